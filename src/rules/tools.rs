//! Build tools and their caches: which tools a job's scripts run, where each keeps its
//! download cache by default, and what in effect for the job moves that cache (a variable, a
//! flag, a `config set` command, a configuration file of the project). For
//! `cache-tool-not-redirected` and `cache-dir-not-cached`.
//!
//! Scripts are read line by line, split at `&&`, `||`, `;`, `|` and parentheses; a segment
//! runs the tool its first word names (after `VAR=value` assignments and `sudo`, `time`,
//! `env`, ...). Nothing else of the shell is interpreted: a tool run through a script file
//! is not seen, and a job that `source`s a file may set anything, so the rules stay silent
//! about it.

use crate::model::variables::{Lookup, Part, display, expand_shell};
use crate::model::{Job, Origin};

/// A build tool with a download cache.
pub struct Tool {
    pub name: &'static str,
    /// Where it keeps the cache when nothing moves it, in words.
    pub default: &'static str,
    /// Project-relative directories people cache for it (after redirecting it there).
    pub dirs: &'static [&'static str],
    /// Environment variables that move the cache.
    pub env: &'static [&'static str],
    /// Command-line options of the tool that move the cache.
    pub flags: &'static [&'static str],
    /// Commands that set the cache location for later runs (`npm config set cache`).
    pub config: &'static [&'static str],
    /// Project files (see [`crate::load::TOOL_FILES`]) and the setting in them that moves the
    /// cache.
    pub files: &'static [(&'static str, &'static str)],
    /// How to redirect it into the project, for the fix hint.
    pub hint: &'static str,
}

pub static TOOLS: &[Tool] = &[
    Tool {
        name: "pip",
        default: "~/.cache/pip",
        dirs: &[".cache/pip", ".pip-cache", ".pip"],
        env: &["PIP_CACHE_DIR", "XDG_CACHE_HOME"],
        flags: &["--cache-dir"],
        config: &[
            "pip config set global.cache-dir",
            "pip3 config set global.cache-dir",
        ],
        files: &[],
        hint: "set `PIP_CACHE_DIR: $CI_PROJECT_DIR/.cache/pip` in the job's `variables:`",
    },
    Tool {
        name: "npm",
        default: "~/.npm",
        dirs: &[".npm", ".npm-cache", ".cache/npm"],
        env: &["npm_config_cache", "NPM_CONFIG_CACHE"],
        flags: &["--cache"],
        config: &["npm config set cache", "npm set cache"],
        files: &[(".npmrc", "cache")],
        hint: "run `npm ci --cache .npm --prefer-offline`",
    },
    Tool {
        name: "yarn",
        default: "~/.cache/yarn",
        dirs: &[".yarn-cache", ".cache/yarn"],
        env: &["YARN_CACHE_FOLDER", "XDG_CACHE_HOME"],
        flags: &["--cache-folder"],
        config: &["yarn config set cache-folder"],
        files: &[
            (".yarnrc", "cache-folder"),
            (".yarnrc", "yarn-offline-mirror"),
            (".yarnrc.yml", "cacheFolder"),
            (".yarnrc.yml", "enableGlobalCache"),
        ],
        hint: "run `yarn install --cache-folder .yarn-cache`",
    },
    Tool {
        name: "pnpm",
        default: "~/.local/share/pnpm/store",
        dirs: &[".pnpm-store"],
        env: &["npm_config_store_dir", "NPM_CONFIG_STORE_DIR"],
        flags: &["--store-dir"],
        config: &["pnpm config set store-dir"],
        files: &[(".npmrc", "store-dir")],
        hint: "run `pnpm config set store-dir .pnpm-store` before `pnpm install`",
    },
    Tool {
        name: "Gradle",
        default: "~/.gradle",
        // Not `.gradle` itself: Gradle keeps its project cache there by default.
        dirs: &[
            ".gradle/caches",
            ".gradle/wrapper",
            ".gradle-home",
            ".gradle_home",
        ],
        env: &["GRADLE_USER_HOME", "GRADLE_OPTS"],
        flags: &["-g", "--gradle-user-home"],
        config: &[],
        files: &[("gradle.properties", "gradle.user.home")],
        hint: "set `GRADLE_USER_HOME: $CI_PROJECT_DIR/.gradle` in the job's `variables:`",
    },
    Tool {
        name: "Maven",
        default: "~/.m2/repository",
        dirs: &[".m2", ".m2/repository", ".maven"],
        env: &["MAVEN_OPTS", "MAVEN_ARGS"],
        flags: &[
            "-Dmaven.repo.local",
            "-s",
            "--settings",
            "-gs",
            "--global-settings",
        ],
        config: &[],
        files: &[
            (".mvn/maven.config", "maven.repo.local"),
            (".mvn/jvm.config", "maven.repo.local"),
        ],
        hint: "set `MAVEN_OPTS: -Dmaven.repo.local=$CI_PROJECT_DIR/.m2/repository` in the job's `variables:`",
    },
    Tool {
        name: "Go modules",
        default: "~/go/pkg/mod",
        dirs: &[".go", ".go/pkg/mod", ".gopath", ".gomodcache"],
        env: &["GOPATH", "GOMODCACHE"],
        flags: &[],
        config: &["go env -w GOPATH", "go env -w GOMODCACHE"],
        files: &[],
        hint: "set `GOPATH: $CI_PROJECT_DIR/.go` in the job's `variables:`",
    },
    Tool {
        name: "the Go build cache",
        default: "~/.cache/go-build",
        dirs: &[".cache/go-build", ".go-build", ".gocache"],
        env: &["GOCACHE", "XDG_CACHE_HOME"],
        flags: &[],
        config: &["go env -w GOCACHE"],
        files: &[],
        hint: "set `GOCACHE: $CI_PROJECT_DIR/.cache/go-build` in the job's `variables:`",
    },
    Tool {
        name: "Cargo",
        default: "~/.cargo",
        dirs: &[".cargo/registry", ".cargo/git", ".cargo-home"],
        env: &["CARGO_HOME"],
        flags: &[],
        config: &[],
        files: &[],
        hint: "set `CARGO_HOME: $CI_PROJECT_DIR/.cargo` in the job's `variables:`",
    },
    Tool {
        name: "uv",
        default: "~/.cache/uv",
        dirs: &[".cache/uv", ".uv-cache"],
        env: &["UV_CACHE_DIR", "XDG_CACHE_HOME"],
        flags: &["--cache-dir"],
        config: &[],
        files: &[("uv.toml", "cache-dir"), ("pyproject.toml", "cache-dir")],
        hint: "set `UV_CACHE_DIR: $CI_PROJECT_DIR/.cache/uv` in the job's `variables:`",
    },
    Tool {
        name: "Bundler",
        default: "the system gem directory",
        dirs: &["vendor/bundle", "vendor/ruby"],
        env: &["BUNDLE_PATH", "BUNDLE_DEPLOYMENT"],
        flags: &["--path", "--deployment"],
        config: &[
            "bundle config set path",
            "bundle config set --local path",
            "bundle config set --global path",
            "bundle config path",
            "bundle config --local path",
            "bundle config set deployment",
            "bundle config set --local deployment",
            "bundle config --local deployment",
        ],
        files: &[
            (".bundle/config", "BUNDLE_PATH"),
            (".bundle/config", "BUNDLE_DEPLOYMENT"),
        ],
        hint: "run `bundle config set --local path vendor/bundle` before `bundle install`",
    },
    Tool {
        name: "Composer",
        default: "~/.cache/composer",
        dirs: &[".composer-cache", ".cache/composer", ".composer/cache"],
        env: &["COMPOSER_CACHE_DIR", "COMPOSER_HOME", "XDG_CACHE_HOME"],
        flags: &[],
        config: &[
            "composer config cache-dir",
            "composer config --global cache-dir",
        ],
        files: &[("composer.json", "cache-dir")],
        hint: "set `COMPOSER_CACHE_DIR: $CI_PROJECT_DIR/.composer-cache` in the job's `variables:`",
    },
    Tool {
        name: "Poetry",
        default: "~/.cache/pypoetry",
        dirs: &[".cache/pypoetry", ".poetry-cache"],
        env: &["POETRY_CACHE_DIR", "XDG_CACHE_HOME"],
        flags: &[],
        config: &["poetry config cache-dir"],
        files: &[("poetry.toml", "cache-dir")],
        hint: "set `POETRY_CACHE_DIR: $CI_PROJECT_DIR/.cache/pypoetry` in the job's `variables:`",
    },
    Tool {
        name: "pre-commit",
        default: "~/.cache/pre-commit",
        dirs: &[".cache/pre-commit", ".pre-commit-cache"],
        env: &["PRE_COMMIT_HOME", "XDG_CACHE_HOME"],
        flags: &[],
        config: &[],
        files: &[],
        hint: "set `PRE_COMMIT_HOME: $CI_PROJECT_DIR/.cache/pre-commit` in the job's `variables:`",
    },
];

/// The tool a command segment runs, if it is one that fills its cache.
fn tool_of(words: &[&str]) -> Option<&'static str> {
    let first = *words.first()?;
    let base = first.rsplit('/').next().unwrap_or(first);
    let sub = words.get(1).copied().unwrap_or("");
    let is_pip = |w: &str| {
        w.strip_prefix("pip")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
    };
    let pip_fetch = |s: &str| matches!(s, "install" | "download" | "wheel");
    let name = match base {
        b if is_pip(b) => pip_fetch(sub).then_some("pip")?,
        b if b.starts_with("python") && sub == "-m" => {
            let module = words.get(2).copied().unwrap_or("");
            let sub = words.get(3).copied().unwrap_or("");
            match module {
                "pip" if pip_fetch(sub) => "pip",
                _ => return None,
            }
        }
        "npm" => matches!(
            sub,
            "ci" | "install" | "i" | "add" | "update" | "exec" | "x" | "install-test" | "it"
        )
        .then_some("npm")?,
        "npx" => "npm",
        "yarn" => matches!(sub, "" | "install" | "add" | "upgrade")
            .then_some("yarn")
            .or_else(|| sub.starts_with('-').then_some("yarn"))?,
        "pnpm" => matches!(sub, "install" | "i" | "add" | "fetch" | "update").then_some("pnpm")?,
        "gradle" | "gradlew" => "Gradle",
        "mvn" | "mvnw" => "Maven",
        "go" => matches!(
            sub,
            "build" | "test" | "mod" | "get" | "install" | "run" | "vet" | "generate" | "list"
        )
        .then_some("Go")?,
        "cargo" => matches!(
            sub,
            "build" | "test" | "check" | "fetch" | "run" | "install" | "doc" | "clippy" | "bench"
        )
        .then_some("Cargo")?,
        "uv" => matches!(
            sub,
            "sync" | "pip" | "run" | "tool" | "lock" | "add" | "export"
        )
        .then_some("uv")?,
        "uvx" => "uv",
        "bundle" | "bundler" => matches!(sub, "" | "install").then_some("Bundler")?,
        "composer" => matches!(sub, "install" | "update" | "require").then_some("Composer")?,
        "poetry" => {
            matches!(sub, "install" | "add" | "update" | "lock" | "sync").then_some("Poetry")?
        }
        "pre-commit" => {
            matches!(sub, "run" | "install-hooks" | "install").then_some("pre-commit")?
        }
        _ => return None,
    };
    Some(name)
}

/// Whether `tool` (a [`TOOLS`] name) is what `tool_of` reports for it.
fn runs_as(tool: &Tool, ran: &str) -> bool {
    match ran {
        "Go" => tool.name == "Go modules" || tool.name == "the Go build cache",
        other => tool.name == other,
    }
}

/// One simple command of a script line.
struct Segment<'a> {
    words: Vec<&'a str>,
    /// `VAR=value` words before the command (or a bare assignment / `export`).
    assigns: Vec<(&'a str, &'a str)>,
    origin: Origin,
}

/// Splits a script line into simple commands.
fn segments(line: &str, origin: Origin) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in line.split(['\n', ';', '|', '&', '`']) {
        let mut words: Vec<&str> = part
            .split_ascii_whitespace()
            .map(|w| {
                w.trim_start_matches(['(', '{'])
                    .trim_matches(|c| c == '"' || c == '\'')
            })
            .filter(|w| !w.is_empty())
            .collect();
        let mut assigns = Vec::new();
        while let Some(&w) = words.first() {
            if let Some((k, v)) = w.split_once('=')
                && !k.is_empty()
                && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
            {
                assigns.push((k, v));
                words.remove(0);
            } else if matches!(
                w,
                "sudo"
                    | "time"
                    | "exec"
                    | "env"
                    | "command"
                    | "nice"
                    | "nohup"
                    | "export"
                    | "then"
                    | "do"
                    | "else"
            ) {
                words.remove(0);
                // `export VAR`: the variable is set (earlier, or by this line).
                if w == "export" {
                    for x in words.iter() {
                        let k = x.split('=').next().unwrap_or("");
                        if !k.is_empty() && !x.contains('=') {
                            assigns.push((k, ""));
                        }
                    }
                }
            } else {
                break;
            }
        }
        if words.is_empty() && assigns.is_empty() {
            continue;
        }
        out.push(Segment {
            words,
            assigns,
            origin,
        });
    }
    out
}

/// What a job's scripts do with tools.
pub struct Scripts<'a> {
    segments: Vec<Segment<'a>>,
    /// The tools the segments run (as [`tool_of`] names them), each with its first segment.
    ran: Vec<(&'static str, usize)>,
    /// A script `source`s or `.`s a file, which may set anything.
    pub opaque: bool,
}

impl<'a> Scripts<'a> {
    pub fn of(job: &'a Job) -> Scripts<'a> {
        // Most jobs run none of the tools: one pass of a literal matcher over each line tells.
        static NAMES: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
        let names = NAMES.get_or_init(|| {
            regex::Regex::new(
                r"\b(pip[0-9.]*|npm|npx|yarn|pnpm|gradlew?|mvnw?|go|cargo|uvx?|bundler?|composer|poetry|pre-commit|python[0-9.]*|source)\b|(^|[;&|(\s])\.\s",
            )
            .ok()
        });
        if let Some(re) = names
            && !job.run.commands.iter().any(|c| re.is_match(&c.text.value))
        {
            return Scripts {
                segments: Vec::new(),
                ran: Vec::new(),
                opaque: false,
            };
        }
        let mut all = Vec::new();
        for c in &job.run.commands {
            all.extend(segments(&c.text.value, c.text.origin));
        }
        let opaque = all
            .iter()
            .any(|s| matches!(s.words.first(), Some(&"source") | Some(&".")));
        let mut ran: Vec<(&'static str, usize)> = Vec::new();
        for (i, s) in all.iter().enumerate() {
            if let Some(t) = tool_of(&s.words)
                && !ran.iter().any(|(x, _)| *x == t)
            {
                ran.push((t, i));
            }
        }
        Scripts {
            segments: all,
            ran,
            opaque,
        }
    }

    /// Whether a script changes the working directory (`cd`, `pushd`) to anywhere but the
    /// project directory: a relative path is then relative to a directory cachelint does not
    /// follow.
    pub fn changes_dir(&self) -> bool {
        self.segments.iter().any(|s| {
            matches!(s.words.first(), Some(&"cd") | Some(&"pushd"))
                && !s.words.get(1).is_some_and(|t| {
                    matches!(
                        t.trim_matches('"').trim_end_matches('/'),
                        "$CI_PROJECT_DIR" | "${CI_PROJECT_DIR}"
                    )
                })
        })
    }

    /// Whether the scripts run any tool with a cache.
    pub fn runs_any(&self) -> bool {
        !self.ran.is_empty()
    }

    /// The first command that runs `tool`, if one does.
    pub fn runs(&self, tool: &Tool) -> Option<Origin> {
        self.ran
            .iter()
            .find(|(t, _)| runs_as(tool, t))
            .map(|&(_, i)| self.segments[i].origin)
    }

    /// Whether something in the scripts moves `tool`'s cache: an assignment or export of one
    /// of its variables, one of its options on a command that runs it, or a `config set`.
    pub fn redirects(&self, tool: &Tool) -> Option<Redirect> {
        for s in &self.segments {
            for (k, v) in &s.assigns {
                if tool.env.contains(k) {
                    return Some(Redirect {
                        value: (!v.is_empty()).then(|| v.to_string()),
                        origin: s.origin,
                    });
                }
            }
            let line = s.words.join(" ");
            // The scripts write or copy the tool's configuration file (`echo ... >> .yarnrc`).
            if tool
                .files
                .iter()
                .any(|(name, _)| s.words.iter().any(|w| w.trim_start_matches('>') == *name))
            {
                return Some(Redirect {
                    value: None,
                    origin: s.origin,
                });
            }
            if tool.config.iter().any(|c| line.starts_with(c)) {
                return Some(Redirect {
                    value: s.words.last().map(|w| w.to_string()),
                    origin: s.origin,
                });
            }
            if tool_of(&s.words).is_some_and(|t| runs_as(tool, t)) {
                for (i, w) in s.words.iter().enumerate() {
                    for f in tool.flags {
                        let value = if *w == *f {
                            Some(s.words.get(i + 1).map(|v| v.to_string()))
                        } else {
                            w.strip_prefix(f)
                                .and_then(|r| r.strip_prefix('='))
                                .map(|v| Some(v.to_string()))
                        };
                        if let Some(value) = value {
                            // A settings file or a mode, not a directory.
                            let names_dir = !matches!(
                                *f,
                                "-s" | "--settings" | "-gs" | "--global-settings" | "--deployment"
                            );
                            return Some(Redirect {
                                value: value.filter(|_| names_dir),
                                origin: s.origin,
                            });
                        }
                    }
                }
            }
        }
        None
    }
}

/// A setting that moves a tool's cache, and where it is.
pub struct Redirect {
    /// The directory it names, as written, when it names one.
    pub value: Option<String>,
    pub origin: Origin,
}

/// Whether a project file moves `tool`'s cache.
pub fn configured(tool: &Tool, files: &[(&'static str, String)]) -> Option<&'static str> {
    tool.files.iter().find_map(|(name, setting)| {
        files
            .iter()
            .find(|(n, text)| n == name && text.contains(setting))
            .map(|(n, _)| *n)
    })
}

/// The tool whose project-local cache directory `path` (normalised, project-relative) is.
pub fn tool_for_dir(path: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| {
        t.dirs
            .iter()
            .any(|d| path == *d || path.strip_prefix(d).is_some_and(|r| r.starts_with('/')))
    })
}

/// A variable's value for the job, expanded: the directory it points at.
pub fn expanded(value: &str, vars: &dyn Lookup) -> Vec<Part> {
    expand_shell(value, vars)
}

/// Whether an expanded path is relative to the working directory (not anchored at the
/// project or builds directory, not absolute, not in the home directory).
pub fn relative_to_cwd(parts: &[Part]) -> bool {
    let text = display(parts);
    !["$CI_PROJECT_DIR", "$CI_BUILDS_DIR", "/", "~", "$HOME"]
        .iter()
        .any(|p| text.starts_with(p))
}

/// Where a redirect points, relative to the project, when it points inside it: a value
/// starting with `$CI_PROJECT_DIR/` (or `${CI_PROJECT_DIR}`, `$PWD`, `$(pwd)`), or a relative
/// path. `None` when it points elsewhere or cannot be known.
pub fn inside_project(parts: &[Part]) -> Option<String> {
    let text = display(parts);
    for prefix in [
        "$CI_PROJECT_DIR",
        "$CI_BUILDS_DIR/$CI_PROJECT_PATH",
        "$PWD",
        "$(pwd)",
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            let rest = rest.trim_start_matches('/');
            return (!rest.contains('$')).then(|| normalise(rest));
        }
    }
    if text.starts_with('/') || text.starts_with('~') || text.contains('$') || text.is_empty() {
        return None;
    }
    Some(normalise(&text))
}

fn normalise(p: &str) -> String {
    let p = p.trim_start_matches("./").trim_end_matches('/');
    if p.is_empty() { ".".into() } else { p.into() }
}
