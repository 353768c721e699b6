//! YAML 1.1 scalar resolution, as Ruby's Psych does it (`Psych::ScalarScanner#tokenize`), which is
//! what GitLab uses. Only plain (unquoted, untagged) scalars are typed; quoted and block scalars
//! are strings. See docs/psych-behaviour.md for the cases and the Psych source they come from.

use regex::Regex;
use std::sync::LazyLock;

/// The type and value Psych gives a scalar.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer that does not fit in 64 bits, as its decimal text.
    BigInt(Box<str>),
    Float(f64),
    /// A string: the text of the scalar is the value.
    Str,
    /// `:name` — a Ruby symbol (GitLab permits the class).
    Symbol(Box<str>),
    /// A value of a class GitLab's `safe_load` refuses (`Date`, `Time`, `Foo` of
    /// `!ruby/object:Foo`): loading the file fails.
    Disallowed(Box<str>),
    /// A scalar Ruby cannot convert (`0x_`, `.e+1`, `!!float abc`): loading the file fails with
    /// this message.
    Invalid(Box<str>),
}

static TIME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^-?[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t\r\n\f\v]+)[0-9]{1,2}:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t\r\n\f\v]*(?:Z|[-+][0-9]{1,2}:?(?:[0-9][0-9])?))?$",
    )
});
static DATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[0-9]{4}-(?:1[012]|0[0-9]|[0-9])-(?:[12][0-9]|3[01]|0[0-9]|[0-9])$"));
static SEXAGESIMAL_INT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$"));
static SEXAGESIMAL_FLOAT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}\.[0-9_]*$"));
static FLOAT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?)$"));
static INTEGER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:[-+]?0b[0-1_,]+|[-+]?0[0-7_,]+|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[0-9a-fA-F_,]+)$",
    )
});

fn re(s: &str) -> Regex {
    // The patterns are constants: a failure here is a programming error caught by every test run.
    Regex::new(s).unwrap_or_else(|e| panic!("bad built-in pattern {s}: {e}"))
}

/// Characters of Psych's "looks like a word" class `[[:alpha:]_\s!@#$%\^&*(){}<>|/\\~;=]`.
fn wordish(c: char) -> bool {
    c.is_alphabetic() || "_ \t\r\n\x0c\x0b!@#$%^&*(){}<>|/\\~;=".contains(c)
}

/// Types a plain scalar the way `Psych::ScalarScanner#tokenize` does.
pub fn resolve_plain(s: &str) -> Value {
    if s.is_empty() {
        return Value::Null;
    }
    let mut chars = s.chars();
    let c0 = chars.next().unwrap_or(' ');
    let c1 = chars.next();
    // %r{^[^\d.:-]?[[:alpha:]_\s!@#$%\^&*(){}<>|/\\~;=]+} || /\n/
    let stringish = wordish(c0)
        || (!matches!(c0, '0'..='9' | '.' | ':' | '-') && c1.is_some_and(wordish))
        || s.contains('\n');
    if stringish {
        if s.chars().count() > 5 {
            return Value::Str;
        }
        // Ruby's `^` and `$` match at every line: each test applies to any line of the text.
        let lines: Vec<&str> = s.split('\n').collect();
        let last = lines.len() - 1;
        // /^[^ytonf~]/i: some line starts with another character (an empty line starts with
        // its own line break, which is not in the set).
        let other_start = lines
            .iter()
            .enumerate()
            .any(|(i, l)| match l.chars().next() {
                Some(c) => !matches!(c.to_ascii_lowercase(), 'y' | 't' | 'o' | 'n' | 'f' | '~'),
                None => i < last,
            });
        if other_start {
            return Value::Str;
        }
        let any_line = |words: &[&str]| {
            lines
                .iter()
                .any(|l| words.iter().any(|w| l.eq_ignore_ascii_case(w)))
        };
        if s == "~" || any_line(&["null"]) {
            return Value::Null;
        }
        if any_line(&["yes", "true", "on"]) {
            return Value::Bool(true);
        }
        if any_line(&["no", "false", "off"]) {
            return Value::Bool(false);
        }
        return Value::Str;
    }
    if TIME.is_match(s) {
        return Value::Disallowed("Time".into());
    }
    if DATE.is_match(s) {
        return Value::Disallowed("Date".into());
    }
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        ".inf" | "+.inf" => return Value::Float(f64::INFINITY),
        "-.inf" => return Value::Float(f64::NEG_INFINITY),
        ".nan" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(rest) = s.strip_prefix(':')
        && !rest.is_empty()
    {
        return Value::Symbol(symbol_name(rest).into());
    }
    if SEXAGESIMAL_INT.is_match(s) {
        // Psych: i += n.to_i * 60 ** (e - 2).abs, over the parts in order.
        let mut total: i128 = 0;
        for (e, part) in s.split(':').enumerate() {
            let n = ruby_to_i(part);
            total += n * 60i128.pow((e as i32 - 2).unsigned_abs());
        }
        return int_value(total, s);
    }
    if SEXAGESIMAL_FLOAT.is_match(s) {
        let mut total = 0f64;
        for (e, part) in s.split(':').enumerate() {
            total += ruby_to_f(part) * 60f64.powi((e as i32 - 2).abs());
        }
        return Value::Float(total);
    }
    if FLOAT.is_match(s) {
        let t = s.trim_start_matches(['+', '-']);
        if t == "." {
            return Value::Str;
        }
        let cleaned: String = s.chars().filter(|&c| c != ',' && c != '_').collect();
        // gsub(/\.([Ee]|$)/, '\1'): a dot before the exponent or at the end goes.
        let cleaned = cleaned
            .replace(".e", "e")
            .replace(".E", "E")
            .trim_end_matches('.')
            .to_string();
        return match cleaned.parse::<f64>() {
            Ok(f) => Value::Float(f),
            Err(_) => Value::Invalid(format!("invalid value for Float(): {cleaned:?}").into()),
        };
    }
    if INTEGER.is_match(s) {
        let cleaned: String = s.chars().filter(|&c| c != ',' && c != '_').collect();
        return match ruby_integer(&cleaned) {
            Some(v) => int_value(v, &cleaned),
            None => Value::Invalid(format!("invalid value for Integer(): {cleaned:?}").into()),
        };
    }
    Value::Str
}

/// Types a scalar with an explicit tag, as `Psych::Visitors::ToRuby#deserialize` does: the text
/// is typed like a plain scalar whatever its quoting, except for the few tags Psych knows.
/// Returns the value and, for `!!binary`, the decoded text.
pub fn resolve_tagged(tag: &str, s: &str) -> (Value, Option<String>) {
    match tag {
        "tag:yaml.org,2002:str" | "!str" => (Value::Str, None),
        "tag:yaml.org,2002:binary" | "!binary" => match base64_decode(s).map(String::from_utf8) {
            Some(Ok(text)) => (Value::Str, Some(text)),
            _ => (
                Value::Invalid("a !!binary value that is not valid base64 UTF-8 text".into()),
                None,
            ),
        },
        "tag:yaml.org,2002:float" | "!float" => (
            match resolve_plain(s) {
                Value::Int(i) => Value::Float(i as f64),
                Value::Float(f) => Value::Float(f),
                Value::Str => match ruby_float(s) {
                    Some(f) => Value::Float(f),
                    None => Value::Invalid(format!("invalid value for Float(): {s:?}").into()),
                },
                Value::Invalid(m) => Value::Invalid(m),
                Value::Disallowed(c) => Value::Disallowed(c),
                other => Value::Invalid(format!("can't convert {other:?} into Float").into()),
            },
            None,
        ),
        "!ruby/sym" | "!ruby/symbol" => (Value::Symbol(s.into()), None),
        _ => match disallowed_class(tag) {
            Some(class) => (Value::Disallowed(class.into()), None),
            None => (resolve_plain(s), None),
        },
    }
}

/// The class a tag asks Psych to instantiate when `safe_load` refuses it.
pub fn disallowed_class(tag: &str) -> Option<String> {
    if tag == "tag:yaml.org,2002:set" {
        return Some("Psych::Set".into());
    }
    if matches!(tag, "!ruby/sym" | "!ruby/symbol") {
        return None;
    }
    if let Some(rest) = tag.strip_prefix("!ruby/") {
        return Some(match rest.split_once(':') {
            Some((_, class)) if !class.is_empty() => class.to_string(),
            _ => match rest {
                "regexp" => "Regexp".into(),
                "range" => "Range".into(),
                "string" => "String".into(),
                "array" => "Array".into(),
                "hash" => "Hash".into(),
                "struct" => "Struct".into(),
                _ => "Object".into(),
            },
        });
    }
    for prefix in ["!map:", "!seq:", "!str:"] {
        if let Some(class) = tag.strip_prefix(prefix) {
            return Some(class.to_string());
        }
    }
    None
}

/// Ruby's `Float(str)` for a string: decimal with optional exponent, `_` between digits.
fn ruby_float(s: &str) -> Option<f64> {
    let t = s.trim();
    let b = t.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'_'
            && !(i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            return None;
        }
    }
    let cleaned: String = t.chars().filter(|&c| c != '_').collect();
    if cleaned.is_empty()
        || !cleaned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    cleaned.parse().ok()
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// `:"a b"` and `:'a b'` name the symbol `a b`; otherwise the text after the colon.
fn symbol_name(rest: &str) -> String {
    let b = rest.as_bytes();
    if (b[0] == b'"' || b[0] == b'\'')
        && let Some(end) = rest[1..].rfind(b[0] as char)
    {
        let inner = &rest[1..1 + end];
        return inner.strip_prefix(':').unwrap_or(inner).to_string();
    }
    rest.to_string()
}

fn int_value(v: i128, _text: &str) -> Value {
    match i64::try_from(v) {
        Ok(i) => Value::Int(i),
        Err(_) => Value::BigInt(v.to_string().into()),
    }
}

/// Ruby's `Integer(str)`: optional sign, then `0b`, `0o`, `0x`, a leading `0` (octal) or decimal.
fn ruby_integer(s: &str) -> Option<i128> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(b) = lower.strip_prefix("0x") {
        (16, b)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (2, b)
    } else if let Some(b) = lower.strip_prefix("0o") {
        (8, b)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    let v = i128::from_str_radix(body, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// Ruby's `String#to_i`: leading digits (underscores allowed between them), else 0.
fn ruby_to_i(s: &str) -> i128 {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i128 = 0;
    for c in rest.chars() {
        match c {
            '0'..='9' => v = v.saturating_mul(10).saturating_add(c as i128 - '0' as i128),
            '_' => {}
            _ => break,
        }
    }
    if neg { -v } else { v }
}

/// Ruby's `String#to_f` for the simple forms sexagesimal parts take.
fn ruby_to_f(s: &str) -> f64 {
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    let end = cleaned
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map_or(cleaned.len(), |(i, _)| i);
    cleaned[..end].trim_end_matches('.').parse().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::Value::*;
    use super::*;

    #[test]
    fn yaml_1_1_words() {
        for s in ["yes", "Yes", "YES", "true", "True", "on", "ON", "tRuE"] {
            assert_eq!(resolve_plain(s), Bool(true), "{s}");
        }
        for s in ["no", "No", "false", "off", "OFF"] {
            assert_eq!(resolve_plain(s), Bool(false), "{s}");
        }
        for s in ["~", "null", "Null", "NULL", ""] {
            assert_eq!(resolve_plain(s), Null, "{s}");
        }
        for s in [
            "y",
            "n",
            "Y",
            "yess",
            "nulls",
            "hello",
            "on_success",
            "on\nx",
        ] {
            assert_eq!(resolve_plain(s), Str, "{s}");
        }
        // Ruby's line anchors: a short multi-line text is typed by any of its lines.
        assert_eq!(resolve_plain("n\nno"), Bool(false));
    }

    #[test]
    fn integers_as_ruby_reads_them() {
        assert_eq!(resolve_plain("0777"), Int(511));
        assert_eq!(resolve_plain("0x1F"), Int(31));
        assert_eq!(resolve_plain("0b101"), Int(5));
        assert_eq!(resolve_plain("1_000"), Int(1000));
        assert_eq!(resolve_plain("1,000"), Int(1000));
        assert_eq!(resolve_plain("+12"), Int(12));
        assert_eq!(resolve_plain("-0"), Int(0));
        assert_eq!(resolve_plain("09"), Str);
        assert_eq!(resolve_plain("1e3"), Str);
        assert_eq!(resolve_plain("0x"), Str);
        assert!(matches!(resolve_plain("0x_"), Invalid(_)));
        assert_eq!(resolve_plain("1:30"), Int(5400));
        assert_eq!(resolve_plain("-1:30"), Int(-1800));
    }

    #[test]
    fn floats_and_specials() {
        assert_eq!(resolve_plain("1.5"), Float(1.5));
        assert_eq!(resolve_plain(".5"), Float(0.5));
        assert_eq!(resolve_plain("1."), Float(1.0));
        assert_eq!(resolve_plain("1.0e+3"), Float(1000.0));
        assert_eq!(resolve_plain(".inf"), Float(f64::INFINITY));
        assert_eq!(resolve_plain("-.Inf"), Float(f64::NEG_INFINITY));
        assert!(matches!(resolve_plain(".NaN"), Float(f) if f.is_nan()));
        assert_eq!(resolve_plain("0.0.1"), Str);
        assert_eq!(resolve_plain("."), Str);
    }

    #[test]
    fn dates_times_symbols() {
        assert_eq!(resolve_plain("2024-01-02"), Disallowed("Date".into()));
        assert_eq!(
            resolve_plain("2024-01-02 10:00:00"),
            Disallowed("Time".into())
        );
        assert_eq!(resolve_plain(":foo"), Symbol("foo".into()));
        assert_eq!(resolve_plain(":\"a b\""), Symbol("a b".into()));
    }
}
