//! cachelint: a static linter and cache analyzer for GitLab CI configuration.

pub mod diagnostic;
pub mod source;
pub mod yaml;
