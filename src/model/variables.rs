//! CI/CD variables: GitLab's predefined variables with their scope, and the two ways the runner
//! expands variables (Go's `os.Expand` for cache keys and policies, shell syntax for paths).

use std::collections::HashMap;

/// How widely one value of a predefined variable holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One value for the whole pipeline (`CI_COMMIT_REF_SLUG`, `CI_PROJECT_DIR`, ...).
    Pipeline,
    /// A different value in every job (`CI_JOB_NAME`, `CI_NODE_INDEX`, ...).
    Job,
}

/// Predefined variables that differ from job to job (GitLab's "Predefined CI/CD variables").
const PER_JOB: &[&str] = &[
    "CI_JOB_ID",
    "CI_JOB_NAME",
    "CI_JOB_NAME_SLUG",
    "CI_JOB_STAGE",
    "CI_JOB_URL",
    "CI_JOB_TOKEN",
    "CI_JOB_STARTED_AT",
    "CI_JOB_STATUS",
    "CI_JOB_TIMEOUT",
    "CI_JOB_IMAGE",
    "CI_JOB_MANUAL",
    "CI_JOB_TRIGGERED",
    "CI_JOB_GROUP_NAME",
    "CI_NODE_INDEX",
    "CI_NODE_TOTAL",
    "CI_BUILD_ID",
    "CI_BUILD_NAME",
    "CI_BUILD_STAGE",
    "CI_BUILD_TOKEN",
    "CI_RUNNER_ID",
    "CI_RUNNER_DESCRIPTION",
    "CI_RUNNER_TAGS",
    "CI_RUNNER_SHORT_TOKEN",
    "CI_RUNNER_VERSION",
    "CI_RUNNER_REVISION",
    "CI_RUNNER_EXECUTABLE_ARCH",
    "CI_CONCURRENT_ID",
    "CI_CONCURRENT_PROJECT_ID",
    "CI_ENVIRONMENT_NAME",
    "CI_ENVIRONMENT_SLUG",
    "CI_ENVIRONMENT_URL",
    "CI_ENVIRONMENT_ACTION",
    "CI_ENVIRONMENT_TIER",
    "CI_ENVIRONMENT_ID",
    "CI_REGISTRY_PASSWORD",
    "CI_DEPENDENCY_PROXY_PASSWORD",
    "CI_DEPLOY_PASSWORD",
    "CI_DEPLOY_USER",
    "CI_DISPOSABLE_ENVIRONMENT",
    "CI_SHARED_ENVIRONMENT",
    "CI_RELEASE_DESCRIPTION",
    "CI_BUILDS_DIR",
    "CI_PROJECT_DIR_ID",
];

/// Predefined variables with one value for the whole pipeline.
const PIPELINE: &[&str] = &[
    "CI",
    "GITLAB_CI",
    "CI_COMMIT_SHA",
    "CI_COMMIT_SHORT_SHA",
    "CI_COMMIT_REF_NAME",
    "CI_COMMIT_REF_SLUG",
    "CI_COMMIT_REF_PROTECTED",
    "CI_COMMIT_BRANCH",
    "CI_COMMIT_TAG",
    "CI_COMMIT_TAG_MESSAGE",
    "CI_COMMIT_BEFORE_SHA",
    "CI_COMMIT_TITLE",
    "CI_COMMIT_MESSAGE",
    "CI_COMMIT_DESCRIPTION",
    "CI_COMMIT_TIMESTAMP",
    "CI_COMMIT_AUTHOR",
    "CI_BUILD_REF",
    "CI_BUILD_REF_NAME",
    "CI_BUILD_REF_SLUG",
    "CI_BUILD_TAG",
    "CI_DEFAULT_BRANCH",
    "CI_DEFAULT_BRANCH_SLUG",
    "CI_PIPELINE_ID",
    "CI_PIPELINE_IID",
    "CI_PIPELINE_SOURCE",
    "CI_PIPELINE_URL",
    "CI_PIPELINE_CREATED_AT",
    "CI_PIPELINE_NAME",
    "CI_PIPELINE_SCHEDULE_DESCRIPTION",
    "CI_PIPELINE_TRIGGERED",
    "CI_PROJECT_ID",
    "CI_PROJECT_NAME",
    "CI_PROJECT_NAMESPACE",
    "CI_PROJECT_NAMESPACE_ID",
    "CI_PROJECT_NAMESPACE_SLUG",
    "CI_PROJECT_ROOT_NAMESPACE",
    "CI_PROJECT_PATH",
    "CI_PROJECT_PATH_SLUG",
    "CI_PROJECT_URL",
    "CI_PROJECT_DIR",
    "CI_PROJECT_TITLE",
    "CI_PROJECT_DESCRIPTION",
    "CI_PROJECT_VISIBILITY",
    "CI_PROJECT_REPOSITORY_LANGUAGES",
    "CI_PROJECT_CLASSIFICATION_LABEL",
    "CI_PROJECT_CONFIG_PATH",
    "CI_CONFIG_PATH",
    "CI_API_V4_URL",
    "CI_API_GRAPHQL_URL",
    "CI_SERVER",
    "CI_SERVER_URL",
    "CI_SERVER_HOST",
    "CI_SERVER_PORT",
    "CI_SERVER_PROTOCOL",
    "CI_SERVER_SHELL_SSH_HOST",
    "CI_SERVER_SHELL_SSH_PORT",
    "CI_SERVER_FQDN",
    "CI_SERVER_NAME",
    "CI_SERVER_VERSION",
    "CI_SERVER_VERSION_MAJOR",
    "CI_SERVER_VERSION_MINOR",
    "CI_SERVER_VERSION_PATCH",
    "CI_SERVER_REVISION",
    "CI_SERVER_TLS_CA_FILE",
    "CI_REGISTRY",
    "CI_REGISTRY_IMAGE",
    "CI_REGISTRY_USER",
    "CI_TEMPLATE_REGISTRY_HOST",
    "CI_DEPENDENCY_PROXY_SERVER",
    "CI_DEPENDENCY_PROXY_USER",
    "CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX",
    "CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX",
    "CI_OPEN_MERGE_REQUESTS",
    "CI_PAGES_DOMAIN",
    "CI_PAGES_HOSTNAME",
    "CI_PAGES_URL",
    "CI_DEBUG_TRACE",
    "CI_DEBUG_SERVICES",
    "CI_KUBERNETES_ACTIVE",
    "CI_DEPLOY_FREEZE",
    "CI_HAS_OPEN_REQUIREMENTS",
    "CI_GITLAB_FIPS_MODE",
    "GITLAB_FEATURES",
    "GITLAB_USER_EMAIL",
    "GITLAB_USER_ID",
    "GITLAB_USER_LOGIN",
    "GITLAB_USER_NAME",
    "GITLAB_ENV",
    "TRIGGER_PAYLOAD",
    "CHAT_CHANNEL",
    "CHAT_INPUT",
    "CHAT_USER_ID",
];

/// The scope of a predefined variable, if `name` is one.
pub fn predefined(name: &str) -> Option<Scope> {
    if PER_JOB.contains(&name) {
        return Some(Scope::Job);
    }
    if PIPELINE.contains(&name)
        || name.starts_with("CI_MERGE_REQUEST_")
        || name.starts_with("CI_EXTERNAL_PULL_REQUEST_")
    {
        return Some(Scope::Pipeline);
    }
    None
}

/// One part of an expanded value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Text(String),
    /// A variable whose value is not known from the configuration.
    Var {
        name: String,
        /// `None`: defined nowhere in the configuration nor predefined (a project, group or
        /// instance variable, or nothing: the runner then expands it to "").
        scope: Option<Scope>,
    },
}

/// The value of a variable as the runner expands it: literal text and unknown variables.
pub type Expanded = Vec<Part>;

/// Where expansion finds a variable: its raw value and whether it expands (`expand: false`
/// makes the runner take it literally).
pub trait Lookup {
    fn var(&self, name: &str) -> Option<(&str, bool)>;
}

impl Lookup for HashMap<String, (String, bool)> {
    fn var(&self, name: &str) -> Option<(&str, bool)> {
        self.get(name).map(|(v, e)| (v.as_str(), *e))
    }
}

/// Go's `os.Expand` as the runner applies it to cache keys and policies (`ExpandValue`):
/// `$NAME` and `${NAME}`; `$$` is a literal `$`; no default values.
pub fn expand_go(value: &str, vars: &dyn Lookup) -> Expanded {
    let mut out = Vec::new();
    expand_go_into(value, vars, &mut out, 0);
    normalize(out)
}

fn expand_go_into(value: &str, vars: &dyn Lookup, out: &mut Vec<Part>, depth: u32) {
    let b = value.as_bytes();
    let mut i = 0;
    let mut lit = String::new();
    while i < b.len() {
        if b[i] != b'$' || i + 1 >= b.len() {
            let c = value[i..].chars().next().unwrap_or('$');
            lit.push(c);
            i += c.len_utf8();
            continue;
        }
        let (name, width) = go_shell_name(&value[i + 1..]);
        if name.is_empty() {
            if width == 0 {
                lit.push('$');
            }
            i += 1 + width;
            continue;
        }
        if name == "$" {
            lit.push('$');
            i += 1 + width;
            continue;
        }
        if !lit.is_empty() {
            out.push(Part::Text(std::mem::take(&mut lit)));
        }
        push_var(name, vars, out, depth, expand_go_into);
        i += 1 + width;
    }
    if !lit.is_empty() {
        out.push(Part::Text(lit));
    }
}

/// Go's `getShellName`: the name after `$` and how many bytes it takes.
fn go_shell_name(s: &str) -> (&str, usize) {
    let b = s.as_bytes();
    if b.first() == Some(&b'{') {
        if b.len() > 2 && is_shell_special(b[1]) && b[2] == b'}' {
            return (&s[1..2], 3);
        }
        for (i, &c) in b.iter().enumerate().skip(1) {
            if c == b'}' {
                if i == 1 {
                    return ("", 2);
                }
                return (&s[1..i], i + 1);
            }
        }
        return ("", 1);
    }
    if b.first().is_some_and(|&c| is_shell_special(c)) {
        return (&s[0..1], 1);
    }
    let n = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count();
    (&s[..n], n)
}

fn is_shell_special(c: u8) -> bool {
    matches!(c, b'*' | b'#' | b'$' | b'@' | b'!' | b'?' | b'-') || c.is_ascii_digit()
}

type Expander = fn(&str, &dyn Lookup, &mut Vec<Part>, u32);

fn push_var(name: &str, vars: &dyn Lookup, out: &mut Vec<Part>, depth: u32, expand: Expander) {
    match vars.var(name) {
        Some((value, true)) if depth < 10 => expand(value, vars, out, depth + 1),
        Some((value, _)) => out.push(Part::Text(value.to_string())),
        None => out.push(Part::Var {
            name: name.to_string(),
            scope: predefined(name),
        }),
    }
}

/// Shell expansion as the runner's helper applies it to cache and artifact paths
/// (`mvdan.cc/sh` `shell.Expand`): `$NAME`, `${NAME}`, and `${NAME:-default}`/`${NAME-default}`
/// (the default is used when the variable is unknown here). `~` is not expanded by the helper.
pub fn expand_shell(value: &str, vars: &dyn Lookup) -> Expanded {
    let mut out = Vec::new();
    expand_shell_into(value, vars, &mut out, 0);
    normalize(out)
}

fn expand_shell_into(value: &str, vars: &dyn Lookup, out: &mut Vec<Part>, depth: u32) {
    let b = value.as_bytes();
    let mut i = 0;
    let mut lit = String::new();
    while i < b.len() {
        if b[i] != b'$' || i + 1 >= b.len() {
            let c = value[i..].chars().next().unwrap_or('$');
            lit.push(c);
            i += c.len_utf8();
            continue;
        }
        let rest = &value[i + 1..];
        let (name, default, width) = if let Some(inner) = rest.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => {
                    let body = &inner[..end];
                    let (name, default) = match body.find([':', '-', '=', '+', '?']) {
                        Some(p) => {
                            let op_end = if body[p..].starts_with(":-")
                                || body[p..].starts_with(":=")
                                || body[p..].starts_with(":+")
                                || body[p..].starts_with(":?")
                            {
                                p + 2
                            } else {
                                p + 1
                            };
                            (&body[..p], Some(&body[op_end..]))
                        }
                        None => (body, None),
                    };
                    (name, default, end + 2)
                }
                None => ("", None, 0),
            }
        } else {
            let n = rest
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                .count();
            (&rest[..n], None, n)
        };
        if name.is_empty() {
            lit.push('$');
            i += 1;
            continue;
        }
        if !lit.is_empty() {
            out.push(Part::Text(std::mem::take(&mut lit)));
        }
        match (vars.var(name), default) {
            (None, Some(d)) if predefined(name).is_none() => {
                expand_shell_into(d, vars, out, depth + 1)
            }
            _ => push_var(name, vars, out, depth, expand_shell_into),
        }
        i += 1 + width;
    }
    if !lit.is_empty() {
        out.push(Part::Text(lit));
    }
}

/// Joins adjacent text parts.
fn normalize(parts: Vec<Part>) -> Expanded {
    let mut out: Vec<Part> = Vec::new();
    for p in parts {
        match (out.last_mut(), p) {
            (Some(Part::Text(a)), Part::Text(b)) => a.push_str(&b),
            (_, Part::Text(t)) if t.is_empty() => {}
            (_, p) => out.push(p),
        }
    }
    out
}

/// The expanded value as text, with unknown variables shown as `${NAME}`.
pub fn display(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => t.clone(),
            Part::Var { name, .. } => format!("${name}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, (String, bool)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), (v.to_string(), true)))
            .collect()
    }

    #[test]
    fn go_expansion_of_keys() {
        let v = vars(&[("ARCH", "amd64"), ("NESTED", "x-$ARCH")]);
        assert_eq!(display(&expand_go("cache-$ARCH", &v)), "cache-amd64");
        assert_eq!(display(&expand_go("${NESTED}-y", &v)), "x-amd64-y");
        assert_eq!(display(&expand_go("a$$b", &v)), "a$b");
        assert_eq!(
            expand_go("$CI_COMMIT_REF_SLUG", &v),
            vec![Part::Var {
                name: "CI_COMMIT_REF_SLUG".into(),
                scope: Some(Scope::Pipeline)
            }]
        );
        assert_eq!(
            expand_go("k-$CI_JOB_NAME", &v)[1],
            Part::Var {
                name: "CI_JOB_NAME".into(),
                scope: Some(Scope::Job)
            }
        );
        // Go has no default values: `${X:-y}` names the variable `X:-y`.
        assert_eq!(
            expand_go("${X:-y}", &v),
            vec![Part::Var {
                name: "X:-y".into(),
                scope: None
            }]
        );
    }

    #[test]
    fn shell_expansion_of_paths() {
        let v = vars(&[("DIR", "build")]);
        assert_eq!(display(&expand_shell("$DIR/out", &v)), "build/out");
        assert_eq!(
            display(&expand_shell("${MISSING:-.cache}/pip", &v)),
            ".cache/pip"
        );
        assert_eq!(display(&expand_shell("${DIR:-x}/a", &v)), "build/a");
        assert_eq!(display(&expand_shell("~/.npm", &v)), "~/.npm");
    }
}
