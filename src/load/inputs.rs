//! A file's `spec:inputs` (its header) and the values an include gives them, checked as
//! GitLab's `Header::Input` and `Interpolation::Inputs` check them (docs/semantics.md, "Inputs
//! and components").

use crate::diagnostic::Diagnostic;
use crate::rules::{invalid_input, invalid_input_spec};
use crate::source::{FileId, Loc, Span};
use crate::yaml::interpolate::{IVal, InputValue};
use crate::yaml::{Doc, KeyIdent, NodeId};
use regex::Regex;
use std::collections::HashMap;

/// `Header::Input::ALLOWED_OPTIONS_LIMIT`.
const OPTIONS_LIMIT: usize = 50;
/// The most values read from one input's value or default.
const VALUE_BUDGET: u64 = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Boolean,
    Array,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Number => "number",
            Type::Boolean => "boolean",
            Type::Array => "array",
        }
    }
    fn accepts(self, v: &IVal) -> bool {
        matches!(
            (self, v),
            (Type::String, IVal::Str(_))
                | (Type::Number, IVal::Int(_) | IVal::Float(_))
                | (Type::Boolean, IVal::Bool(_))
                | (Type::Array, IVal::Seq(..))
        )
    }
}

/// One declared input.
#[derive(Clone, Debug)]
pub struct InputSpec {
    pub name: String,
    /// The input's key in the header.
    pub at: Loc,
    pub ty: Type,
    /// The default and where it is written; `None`: the input is required.
    pub default: Option<(IVal, Loc)>,
    pub options: Option<Vec<IVal>>,
    /// The pattern (GitLab's `UntrustedRegexp`, RE2; the `regex` crate has its syntax), when it
    /// compiles.
    pub regex: Option<(String, Option<Regex>)>,
    /// `rules:` (newer GitLab, `Header::Input::Rules`): options and default depend on other
    /// inputs. cachelint does not evaluate them: without a value given, the input is unknown.
    pub rules: bool,
}

/// A file's header.
#[derive(Clone, Debug, Default)]
pub struct Spec {
    pub inputs: Vec<InputSpec>,
    /// `spec:include` (newer GitLab, `Header::Includes`) brings more inputs from other files,
    /// which cachelint does not read: arguments and blocks it does not know are not errors.
    pub open: bool,
}

impl Spec {
    pub fn names(&self) -> Vec<String> {
        self.inputs.iter().map(|i| i.name.clone()).collect()
    }
}

fn key_text(doc: &Doc, key: NodeId) -> String {
    match doc.key_ident(key) {
        KeyIdent::Str(s) => s.to_string(),
        // `:name` keys are symbols: after `deep_symbolize_keys` the same as `name`.
        other => {
            let d = other.display().into_owned();
            d.strip_prefix("!!symbol ").map(str::to_string).unwrap_or(d)
        }
    }
}

/// Reads and checks the header `header` of `file`.
pub fn read_spec(header: &Doc, file: FileId, diags: &mut Vec<Diagnostic>) -> Spec {
    let mut spec = Spec::default();
    let Some(root) = header.root() else {
        return spec;
    };
    let at = |n: NodeId| header.span(n);
    let bad = |diags: &mut Vec<Diagnostic>, span: Span, msg: String, help: &str, subject: &str| {
        diags.push(invalid_input_spec::invalid(file, span, msg, help, subject));
    };
    for e in header.entries(root) {
        let k = key_text(header, e.key);
        if k != "spec" {
            bad(
                diags,
                at(e.key),
                format!(
                    "the header may only hold `spec`, not `{k}` (GitLab: \"header config contains unknown keys: {k}\")"
                ),
                "move it below the `---` line, into the configuration",
                "header-key",
            );
        }
    }
    // A mapping under `key` of `parent`: `None` when it is absent, null, or not a mapping
    // (then reported with `msg` and `help`).
    let mapping = |diags: &mut Vec<Diagnostic>,
                   parent: NodeId,
                   key: &str,
                   msg: &str,
                   help: &str,
                   subject: &str| {
        let node = header.get(parent, key).map(|e| e.value)?;
        if header.is_null(node) {
            return None;
        }
        if !header.is_map(node) {
            bad(diags, at(node), msg.into(), help, subject);
            return None;
        }
        Some(node)
    };
    let Some(spec_node) = mapping(
        diags,
        root,
        "spec",
        "`spec` must be a mapping (GitLab: \"header:spec config should be a hash\")",
        "write `spec:` then `  inputs:` on the next lines",
        "spec",
    ) else {
        return spec;
    };
    for e in header.entries(spec_node) {
        let k = key_text(header, e.key);
        if !matches!(k.as_str(), "inputs" | "include" | "component") {
            bad(
                diags,
                at(e.key),
                format!(
                    "`spec` may hold `inputs`, `include` and `component`, not `{k}` (GitLab: \"spec config contains unknown keys: {k}\")"
                ),
                "did you mean `inputs`?",
                "spec-key",
            );
        }
    }
    spec.open = header.get(spec_node, "include").is_some();
    let Some(inputs) = mapping(
        diags,
        spec_node,
        "inputs",
        "`spec:inputs` must be a mapping of input names (GitLab: \"spec:inputs config should be a hash\")",
        "write each input as a key under `inputs:`",
        "inputs",
    ) else {
        return spec;
    };
    for e in header.entries(inputs) {
        let name = key_text(header, e.key);
        let key_loc = Loc {
            file,
            span: at(e.key),
        };
        let mut input = InputSpec {
            name: name.clone(),
            at: key_loc,
            ty: Type::String,
            default: None,
            options: None,
            regex: None,
            rules: false,
        };
        let def = e.value;
        if header.is_null(def) {
            spec.inputs.push(input);
            continue;
        }
        if !header.is_map(def) {
            bad(
                diags,
                at(def),
                format!(
                    "input `{name}` must be a mapping of `default`, `description`, `options`, `regex`, `type` (GitLab: \"spec:inputs:{name} config should be a hash\")"
                ),
                "write `default: VALUE` under the input's name for a default value",
                &format!("input:{name}"),
            );
            spec.inputs.push(input);
            continue;
        }
        for f in header.entries(def) {
            let fk = key_text(header, f.key);
            let value = f.value;
            match fk.as_str() {
                "default" => {
                    let mut budget = VALUE_BUDGET;
                    input.default = Some((
                        header.to_ival(value, &mut budget),
                        Loc {
                            file,
                            span: at(value),
                        },
                    ));
                }
                "description" => {}
                "rules" => input.rules = true,
                "type" => match header.as_str(value) {
                    Some("string") => input.ty = Type::String,
                    Some("number") => input.ty = Type::Number,
                    Some("boolean") => input.ty = Type::Boolean,
                    Some("array") => input.ty = Type::Array,
                    other => bad(
                        diags,
                        at(value),
                        format!(
                            "input `{name}` has the type `{}`, which does not exist (GitLab: \"spec:inputs:{name} input type unknown value: {}\")",
                            other.unwrap_or("?"),
                            other.unwrap_or("?")
                        ),
                        "use `string`, `number`, `boolean` or `array`",
                        &format!("type:{name}"),
                    ),
                },
                "options" => {
                    if !header.is_seq(value) {
                        bad(
                            diags,
                            at(value),
                            format!(
                                "the `options` of input `{name}` must be a list (GitLab: \"spec:inputs:{name} input options should be an array\")"
                            ),
                            "write the options as a list: `options: [a, b]`",
                            &format!("options:{name}"),
                        );
                    } else {
                        let items = header.items(value);
                        if items.len() > OPTIONS_LIMIT {
                            bad(
                                diags,
                                at(value),
                                format!(
                                    "input `{name}` has {} options, more than the {OPTIONS_LIMIT} GitLab allows (\"cannot define more than {OPTIONS_LIMIT} options\")",
                                    items.len()
                                ),
                                "keep at most 50 options, or use `regex:` instead",
                                &format!("options:{name}"),
                            );
                        }
                        let mut budget = VALUE_BUDGET;
                        input.options = Some(
                            items
                                .iter()
                                .map(|&i| header.to_ival(i, &mut budget))
                                .collect(),
                        );
                    }
                }
                "regex" => match header.as_str(value) {
                    Some(r) => {
                        let compiled = Regex::new(r).ok();
                        if compiled.is_none() {
                            bad(
                                diags,
                                at(value),
                                format!(
                                    "the `regex` of input `{name}` is not a valid pattern (GitLab: \"`{name}` input: invalid regular expression\")"
                                ),
                                "GitLab uses RE2 syntax: no look-around, no back-references",
                                &format!("regex:{name}"),
                            );
                        }
                        input.regex = Some((r.to_string(), compiled));
                    }
                    None => bad(
                        diags,
                        at(value),
                        format!(
                            "the `regex` of input `{name}` must be a string (GitLab: \"spec:inputs:{name} input regex should be a string\")"
                        ),
                        "quote the pattern",
                        &format!("regex:{name}"),
                    ),
                },
                other => bad(
                    diags,
                    at(f.key),
                    format!(
                        "input `{name}` has the unknown key `{other}` (GitLab: \"spec:inputs:{name} config contains unknown keys: {other}\")"
                    ),
                    "an input may have `default`, `description`, `options`, `regex` and `type`",
                    &format!("key:{name}:{other}"),
                ),
            }
        }
        if input.options.is_some() && !matches!(input.ty, Type::String | Type::Number) {
            bad(
                diags,
                at(e.key),
                format!(
                    "input `{name}` is a {} and has `options` (GitLab: \"`{name}` input: Options can only be used with string and number inputs\")",
                    input.ty.name()
                ),
                "remove `options`, or make the input a string or a number",
                &format!("options-type:{name}"),
            );
        }
        if input.regex.is_some() && input.ty != Type::String {
            bad(
                diags,
                at(e.key),
                format!(
                    "input `{name}` is a {} and has `regex` (GitLab: \"`{name}` input: RegEx validation can only be used with string inputs\")",
                    input.ty.name()
                ),
                "remove `regex`, or make the input a string",
                &format!("regex-type:{name}"),
            );
        }
        spec.inputs.push(input);
    }
    spec
}

/// Where the include's arguments are: the includer's document and its `inputs:` value.
pub struct Args<'a> {
    pub doc: &'a Doc,
    pub file: FileId,
    pub node: NodeId,
}

/// What an include (or the root file, `args: None`) gives the inputs of `spec`: the values for
/// the interpolation. Problems go to `diags`. `site` is where the include is written, `target`
/// the included file's path. Without `args` (the root file), a required input has no value
/// offline: its blocks are left as written.
pub fn values(
    spec: &Spec,
    args: Option<Args<'_>>,
    site: Option<Loc>,
    target: &str,
    diags: &mut Vec<Diagnostic>,
) -> HashMap<String, InputValue> {
    let mut given: HashMap<String, (IVal, Loc)> = HashMap::new();
    let mut extra: HashMap<String, InputValue> = HashMap::new();
    if let Some(a) = &args {
        if a.doc.is_map(a.node) {
            let declared = spec.names();
            for e in a.doc.entries(a.node) {
                let name = key_text(a.doc, e.key);
                let mut budget = VALUE_BUDGET;
                let v = a.doc.to_ival(e.value, &mut budget);
                let loc = Loc {
                    file: a.file,
                    span: a.doc.span(e.value),
                };
                if !declared.contains(&name) && spec.open {
                    // Maybe declared in a file of `spec:include`.
                    extra.insert(
                        name,
                        InputValue {
                            value: v,
                            at: loc,
                            default: false,
                            unknown: false,
                        },
                    );
                    continue;
                }
                if !declared.contains(&name) {
                    diags.push(invalid_input::unknown(
                        a.file,
                        a.doc.span(e.key),
                        &name,
                        &declared,
                        target,
                    ));
                    continue;
                }
                // `value.nil? ? default : value`: an explicit null is not given.
                if v != IVal::Null {
                    given.insert(name, (v, loc));
                }
            }
        } else if !a.doc.is_null(a.node) {
            diags.push(invalid_input::not_a_mapping(a.file, a.doc.span(a.node)));
        }
    }
    let mut out = extra;
    for input in &spec.inputs {
        let name = &input.name;
        let Some((value, at, default)) = (match (given.remove(name), &input.default) {
            (Some((v, at)), _) => Some((v, at, false)),
            (None, Some((v, at))) => Some((v.clone(), *at, true)),
            (None, None) => None,
        }) else {
            match site.filter(|_| !input.rules) {
                Some(site) => {
                    diags.push(invalid_input::missing(
                        site.file, site.span, name, input.at, target,
                    ));
                    // GitLab stops here; cachelint leaves the input's blocks as written.
                    out.insert(
                        name.clone(),
                        InputValue {
                            value: IVal::Null,
                            at: input.at,
                            default: true,
                            unknown: true,
                        },
                    );
                }
                None => {
                    // A pipeline input of the root file: given when the pipeline is run.
                    out.insert(
                        name.clone(),
                        InputValue {
                            value: IVal::Null,
                            at: input.at,
                            default: true,
                            unknown: true,
                        },
                    );
                }
            }
            continue;
        };
        // GitLab checks the default (when there is one) and then the value given.
        let mut checks: Vec<(&IVal, Loc, bool)> = Vec::new();
        if let Some((d, dat)) = &input.default {
            checks.push((d, *dat, true));
        }
        if input.rules {
            // The options and default of the rule that matches apply; not evaluated.
            checks.clear();
        }
        if !default {
            checks.push((&value, at, false));
        }
        for (v, vat, is_default) in checks {
            if !input.ty.accepts(v) {
                diags.push(invalid_input::wrong_type(
                    vat.file,
                    vat.span,
                    name,
                    input.ty.name(),
                    v.type_name(),
                    is_default,
                ));
                continue;
            }
            if let Some(options) = &input.options
                && matches!(input.ty, Type::String | Type::Number)
                && !options.contains(v)
            {
                let texts: Vec<String> = options.iter().map(IVal::to_ruby_s).collect();
                diags.push(invalid_input::not_an_option(
                    vat.file,
                    vat.span,
                    name,
                    &v.to_ruby_s(),
                    &texts,
                ));
            }
            if let (Some((pattern, Some(re))), IVal::Str(s)) = (&input.regex, v)
                && input.ty == Type::String
                && !re.is_match(s)
            {
                diags.push(invalid_input::no_match(
                    vat.file, vat.span, name, pattern, is_default,
                ));
            }
        }
        out.insert(
            name.clone(),
            InputValue {
                value,
                at,
                default,
                unknown: false,
            },
        );
    }
    out
}
