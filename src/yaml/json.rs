//! The canonical JSON form of loaded YAML, the same form `tests/oracle/psych_dump.rb` prints for
//! Ruby's Psych: the contract of the YAML fidelity oracle.
//!
//! null/true/false/strings as JSON; integers `{"int": "<digits>"}`; floats `{"float": <number>}`
//! or `{"float": "inf"|"-inf"|"nan"}`; symbols `{"symbol": name}`; `!reference` sequences
//! `{"!reference": [...]}`; mappings as objects whose non-string keys carry a type prefix
//! (`"!!int 1"`). Aliases are expanded.

use super::{Doc, Kind, NodeId, Tag, Value};
use serde_json::{Map, Value as Json, json};

/// The shortest text that reads back as `f`, as a JSON number would print it.
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        serde_json::Number::from_f64(f).map_or_else(|| f.to_string(), |n| n.to_string())
    }
}

impl Doc {
    /// The loaded value of the document's root as canonical JSON (`null` for an empty file).
    pub fn to_canonical_json(&self) -> Json {
        match self.root {
            Some(r) => self.node_json(r, 0),
            None => Json::Null,
        }
    }

    /// The loaded value of one node as canonical JSON. Depth is bounded by the loader's limit.
    pub fn node_json(&self, id: NodeId, depth: u32) -> Json {
        if depth > 200 {
            return json!({"recursive": true});
        }
        let id = self.deref(id);
        let node = self.node(id);
        let value = match &node.kind {
            Kind::Scalar { text, value, .. } => match self.value(*value) {
                Value::Null => Json::Null,
                Value::Bool(b) => Json::Bool(*b),
                Value::Int(i) => json!({"int": i.to_string()}),
                Value::BigInt(s) => json!({"int": s.to_string()}),
                Value::Float(f) => match serde_json::Number::from_f64(*f) {
                    Some(n) => json!({"float": n}),
                    None => json!({"float": float_text(*f)}),
                },
                Value::Str => Json::String(self.str(*text).to_string()),
                Value::Symbol(s) => json!({"symbol": s.to_string()}),
                Value::Disallowed(c) => json!({"disallowed": c}),
                Value::Invalid(c) => json!({"invalid": c}),
            },
            Kind::Seq { .. } => Json::Array(
                self.items(id)
                    .iter()
                    .map(|&i| self.node_json(i, depth + 1))
                    .collect(),
            ),
            Kind::Map { .. } => {
                let mut m = Map::new();
                for e in self.entries(id) {
                    m.insert(
                        self.key_ident(e.key).display().into_owned(),
                        self.node_json(e.value, depth + 1),
                    );
                }
                Json::Object(m)
            }
            Kind::Alias { .. } => Json::Null,
        };
        if self.tag(id) == Tag::Reference {
            return match node.kind {
                Kind::Seq { .. } => json!({ "!reference": value }),
                Kind::Map { .. } => json!({ "!reference_map": value }),
                _ => json!({ "!reference_scalar": self.scalar_text(id).unwrap_or("") }),
            };
        }
        value
    }
}
