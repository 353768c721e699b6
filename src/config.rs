//! `cachelint.toml`: which rules run and at what severity, values of variables defined outside
//! the configuration files (project, group or instance CI/CD variables), and files to leave out.
//!
//! ```toml
//! [rules]
//! ignore = ["cache-key-unsafe-variable"]     # or: select = ["cache-key-collision", ...]
//!
//! [rules.severity]
//! duplicate-key = "error"
//!
//! [variables]
//! CACHE_DIR = ".cache"
//!
//! [files]
//! exclude = ["ci/generated/**.yml"]
//! ```

use crate::diagnostic::{Diagnostic, Severity};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The file name looked for at the project root.
pub const FILE_NAME: &str = "cachelint.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    variables: HashMap<String, toml::Value>,
    #[serde(default)]
    files: RawFiles,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    select: Option<Vec<String>>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    severity: HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFiles {
    #[serde(default)]
    exclude: Vec<String>,
}

/// The checked configuration.
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// Where it was read from (`None`: no file, the defaults).
    pub path: Option<PathBuf>,
    /// Only these rules, when given.
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub severity: HashMap<String, Severity>,
    /// Assumed values of variables the configuration files do not define.
    pub variables: HashMap<String, String>,
    /// Files (relative to the project root) whose findings are left out.
    pub exclude: Vec<regex::Regex>,
}

/// Why a configuration file cannot be used, with where.
#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<(usize, usize)>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some((l, c)) => write!(f, "{}:{l}:{c}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl Config {
    /// Parses the text of a configuration file read from `path`; `rules` are the names of every
    /// rule (the registry's, given by the caller: this module depends on no stage).
    pub fn parse(text: &str, path: &Path, rules: &[&str]) -> Result<Config, ConfigError> {
        let err = |message: String, at: Option<std::ops::Range<usize>>| {
            let line = at.map(|r| {
                let before = &text[..r.start.min(text.len())];
                let l = before.matches('\n').count() + 1;
                let c = before.rsplit('\n').next().map_or(0, |s| s.chars().count()) + 1;
                (l, c)
            });
            ConfigError {
                path: path.to_path_buf(),
                line,
                message,
            }
        };
        let raw: Raw = toml::from_str(text).map_err(|e| err(e.message().to_string(), e.span()))?;
        let check = |names: &[String], what: &str| -> Result<(), ConfigError> {
            for n in names {
                if !rules.contains(&n.as_str()) {
                    let hint = crate::util::suggest::did_you_mean(n, rules.iter().copied())
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    let at = text.find(&format!("\"{n}\"")).map(|i| i..i + n.len());
                    return Err(err(format!("unknown rule `{n}` in `{what}`{hint}"), at));
                }
            }
            Ok(())
        };
        if let Some(s) = &raw.rules.select {
            check(s, "rules.select")?;
        }
        check(&raw.rules.ignore, "rules.ignore")?;
        let mut severity = HashMap::new();
        for (rule, level) in &raw.rules.severity {
            check(std::slice::from_ref(rule), "rules.severity")?;
            let s = match Severity::parse(level) {
                Some(s) => s,
                None => {
                    let other = level.as_str();
                    let at = text
                        .find(&format!("\"{other}\""))
                        .map(|i| i..i + other.len());
                    return Err(err(
                        format!(
                            "severity of `{rule}` must be \"error\", \"warning\" or \"info\", not \"{other}\""
                        ),
                        at,
                    ));
                }
            };
            severity.insert(rule.clone(), s);
        }
        let mut variables = HashMap::new();
        for (name, value) in raw.variables {
            let v = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                _ => {
                    let at = text.find(&name).map(|i| i..i + name.len());
                    return Err(err(
                        format!("the value of variable `{name}` must be a string"),
                        at,
                    ));
                }
            };
            variables.insert(name, v);
        }
        let mut exclude = Vec::new();
        for pattern in &raw.files.exclude {
            exclude.push(glob_regex(pattern).ok_or_else(|| {
                let at = text.find(pattern.as_str()).map(|i| i..i + pattern.len());
                err(format!("`{pattern}` is not a valid file pattern"), at)
            })?);
        }
        Ok(Config {
            path: Some(path.to_path_buf()),
            select: raw.rules.select,
            ignore: raw.rules.ignore,
            severity,
            variables,
            exclude,
        })
    }

    /// Applies rule selection, severities and file exclusion to findings.
    pub fn filter(
        &self,
        diags: Vec<Diagnostic>,
        path_of: impl Fn(&Diagnostic) -> String,
    ) -> Vec<Diagnostic> {
        diags
            .into_iter()
            .filter(|d| {
                self.select
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|r| r == d.rule.name()))
                    && !self.ignore.iter().any(|r| r == d.rule.name())
                    && !self.exclude.iter().any(|re| re.is_match(&path_of(d)))
            })
            .map(|mut d| {
                if let Some(s) = self.severity.get(d.rule.name()) {
                    d.severity = *s;
                }
                d
            })
            .collect()
    }
}

/// A file pattern: `*` within a directory, `**` across directories, `?` one character; a
/// leading `./` is ignored.
fn glob_regex(pattern: &str) -> Option<regex::Regex> {
    crate::util::glob::doublestar(pattern.trim_start_matches("./"), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &[&str] = &["duplicate-key", "cache-key-collision"];

    #[test]
    fn reads_a_full_configuration() {
        let c = Config::parse(
            "[rules]\nignore = [\"duplicate-key\"]\n[rules.severity]\ncache-key-collision = \"error\"\n[variables]\nX = \"1\"\nN = 2\n[files]\nexclude = [\"ci/**.yml\"]\n",
            Path::new("cachelint.toml"),
            RULES,
        )
        .expect("valid");
        assert_eq!(c.ignore, ["duplicate-key"]);
        assert_eq!(c.severity["cache-key-collision"], Severity::Error);
        assert_eq!(c.variables["N"], "2");
        assert!(c.exclude[0].is_match("ci/a/b.yml"));
        assert!(!c.exclude[0].is_match(".gitlab-ci.yml"));
    }

    #[test]
    fn rejects_mistakes_with_a_position() {
        let e = Config::parse(
            "[rules]\nignore = [\"duplicate-kye\"]\n",
            Path::new("c.toml"),
            RULES,
        )
        .expect_err("unknown rule");
        assert!(e.message.contains("did you mean `duplicate-key`"), "{e}");
        assert_eq!(e.line.map(|l| l.0), Some(2));
        let e = Config::parse("[rule]\n", Path::new("c.toml"), RULES).expect_err("unknown table");
        assert!(e.line.is_some(), "{e}");
        let e = Config::parse(
            "[rules.severity]\nduplicate-key = \"fatal\"\n",
            Path::new("c.toml"),
            RULES,
        )
        .expect_err("bad severity");
        assert!(e.message.contains("fatal"));
    }
}
