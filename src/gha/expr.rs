//! GitHub Actions expressions (`${{ ... }}`) as far as cache keys need them: a string with
//! expressions becomes a list of [`Component`]s (literal text, context references such as
//! `runner.os` or `matrix.python-version`, `hashFiles(...)` with its patterns, `format()`
//! expanded into its parts), each with its byte range in the file.
//!
//! The parser is small and total: anything it does not understand (operators, other
//! functions, malformed text) becomes [`Part::Other`], which the rules treat as unknown.

use crate::source::Span;

/// What one piece of a templated string is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Text written as is (outside `${{ }}`, or a string literal inside).
    Lit(String),
    /// A context reference, lowercased, split on `.` (`["runner", "os"]`,
    /// `["steps", "setup", "outputs", "python-version"]`).
    Ctx(Vec<String>),
    /// `hashFiles(...)`: each argument's text when it is a string literal, `None` when not.
    HashFiles(Vec<Option<String>>),
    /// Any other expression, as written.
    Other(String),
}

/// A part with where it is written (in the file; the whole value when it cannot be placed
/// exactly).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    pub part: Part,
    pub span: Span,
}

impl Component {
    /// The context path when this is a reference (`runner.os` → `["runner", "os"]`).
    pub fn ctx(&self) -> Option<&[String]> {
        match &self.part {
            Part::Ctx(p) => Some(p),
            _ => None,
        }
    }
    /// Whether this is a reference to `path` (lowercase, dotted).
    pub fn is_ctx(&self, path: &str) -> bool {
        self.ctx()
            .is_some_and(|p| p.iter().map(String::as_str).eq(path.split('.')))
    }
}

/// Splits `text` (a string value whose first byte is at `base` in the file, when its bytes are
/// the file's bytes; see [`locate`]) into components.
pub fn template(text: &str, locate: &dyn Fn(usize, usize) -> Span) -> Vec<Component> {
    let mut out: Vec<Component> = Vec::new();
    let mut rest = 0;
    let push_lit = |out: &mut Vec<Component>, s: &str, start: usize| {
        if s.is_empty() {
            return;
        }
        if let Some(Component {
            part: Part::Lit(prev),
            span,
        }) = out.last_mut()
        {
            prev.push_str(s);
            *span = Span::new(span.start, locate(start, start + s.len()).end);
            return;
        }
        out.push(Component {
            part: Part::Lit(s.to_string()),
            span: locate(start, start + s.len()),
        });
    };
    while let Some(open) = text[rest..].find("${{") {
        let open = rest + open;
        push_lit(&mut out, &text[rest..open], rest);
        let inner_start = open + 3;
        let Some(close) = find_close(&text[inner_start..]) else {
            // Unterminated: the runner refuses it; keep it as unknown.
            out.push(Component {
                part: Part::Other(text[open..].to_string()),
                span: locate(open, text.len()),
            });
            return out;
        };
        let inner = &text[inner_start..inner_start + close];
        let end = inner_start + close + 2;
        let span = locate(open, end);
        let parsed = Parser::new(inner).parse_all();
        match parsed {
            Some(e) => {
                for part in flatten(&e) {
                    match part {
                        Part::Lit(s) => push_lit(&mut out, &s, open),
                        p => out.push(Component { part: p, span }),
                    }
                }
            }
            None => out.push(Component {
                part: Part::Other(inner.trim().to_string()),
                span,
            }),
        }
        rest = end;
    }
    push_lit(&mut out, &text[rest..], rest);
    out
}

/// The offset of the `}}` closing an expression, skipping string literals.
fn find_close(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        if in_str {
            if b[i] == b'\'' {
                if b.get(i + 1) == Some(&b'\'') {
                    i += 1;
                } else {
                    in_str = false;
                }
            }
        } else if b[i] == b'\'' {
            in_str = true;
        } else if b[i] == b'}' && b.get(i + 1) == Some(&b'}') {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// An expression tree, only as deep as keys need.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Str(String),
    Num(String),
    Bool(bool),
    Null,
    /// A context path (`runner.os`, `matrix['os']`), lowercased.
    Path(Vec<String>),
    Call(String, Vec<Expr>),
    /// An operator expression, as written.
    Op(String),
}

/// The parts an expression contributes to a string.
fn flatten(e: &Expr) -> Vec<Part> {
    match e {
        Expr::Str(s) | Expr::Num(s) => vec![Part::Lit(s.clone())],
        Expr::Bool(b) => vec![Part::Lit(b.to_string())],
        Expr::Null => vec![Part::Lit(String::new())],
        Expr::Path(p) => vec![Part::Ctx(p.clone())],
        Expr::Call(name, args) if name == "hashfiles" => vec![Part::HashFiles(
            args.iter()
                .map(|a| match a {
                    Expr::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
        )],
        Expr::Call(name, args) if name == "format" => {
            let Some(Expr::Str(fmt)) = args.first() else {
                return vec![Part::Other(render(e))];
            };
            format_parts(fmt, &args[1..]).unwrap_or_else(|| vec![Part::Other(render(e))])
        }
        _ => vec![Part::Other(render(e))],
    }
}

/// `format('{0}-{1}', a, b)`: `{{`/`}}` are literal braces, `{N}` the N-th argument.
fn format_parts(fmt: &str, args: &[Expr]) -> Option<Vec<Part>> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = fmt.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|x| x.1) == Some('{') => {
                chars.next();
                lit.push('{');
            }
            '}' if chars.peek().map(|x| x.1) == Some('}') => {
                chars.next();
                lit.push('}');
            }
            '{' => {
                let mut n = String::new();
                for (_, d) in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                    n.push(d);
                }
                let i: usize = n.trim().parse().ok()?;
                let arg = args.get(i)?;
                if !lit.is_empty() {
                    out.push(Part::Lit(std::mem::take(&mut lit)));
                }
                out.extend(flatten(arg));
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        out.push(Part::Lit(lit));
    }
    Some(out)
}

/// An expression as text (for `Other`).
fn render(e: &Expr) -> String {
    match e {
        Expr::Str(s) => format!("'{}'", s.replace('\'', "''")),
        Expr::Num(s) => s.clone(),
        Expr::Bool(b) => b.to_string(),
        Expr::Null => "null".into(),
        Expr::Path(p) => p.join("."),
        Expr::Call(n, a) => format!(
            "{n}({})",
            a.iter().map(render).collect::<Vec<_>>().join(", ")
        ),
        Expr::Op(s) => s.clone(),
    }
}

/// Parses a whole expression (the text between `${{` and `}}`).
pub fn parse(text: &str) -> Option<Expr> {
    Parser::new(text).parse_all()
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Parser<'a> {
        Parser { s, i: 0 }
    }

    fn parse_all(mut self) -> Option<Expr> {
        let e = self.expr(0)?;
        self.ws();
        if self.i < self.s.len() {
            return None;
        }
        Some(e)
    }

    fn ws(&mut self) {
        while self.s[self.i..].starts_with([' ', '\t', '\n', '\r']) {
            self.i += 1;
        }
    }

    fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(t) {
            self.i += t.len();
            true
        } else {
            false
        }
    }

    /// Operators make the whole expression unknown ([`Expr::Op`]); only their shape is checked.
    fn expr(&mut self, depth: u32) -> Option<Expr> {
        if depth > 32 {
            return None;
        }
        let start = self.i;
        let first = self.unary(depth)?;
        let mut op = false;
        loop {
            self.ws();
            let rest = &self.s[self.i..];
            let Some(len) = ["==", "!=", "<=", ">=", "&&", "||", "<", ">"]
                .iter()
                .find(|o| rest.starts_with(**o))
                .map(|o| o.len())
            else {
                break;
            };
            self.i += len;
            self.unary(depth)?;
            op = true;
        }
        if op {
            return Some(Expr::Op(self.s[start..self.i].trim().to_string()));
        }
        Some(first)
    }

    fn unary(&mut self, depth: u32) -> Option<Expr> {
        if depth > 32 {
            return None;
        }
        let start = self.i;
        if self.eat("!") {
            self.unary(depth + 1)?;
            return Some(Expr::Op(self.s[start..self.i].trim().to_string()));
        }
        self.postfix(depth)
    }

    fn postfix(&mut self, depth: u32) -> Option<Expr> {
        self.ws();
        let rest = &self.s[self.i..];
        let c = rest.chars().next()?;
        if c == '(' {
            self.i += 1;
            let e = self.expr(depth + 1)?;
            if !self.eat(")") {
                return None;
            }
            return Some(e);
        }
        if c == '\'' {
            return self.string().map(Expr::Str);
        }
        if c.is_ascii_digit() || c == '-' || c == '.' {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.' || ch == '-'))
                .unwrap_or(rest.len());
            self.i += len;
            return Some(Expr::Num(rest[..len].to_string()));
        }
        if !(c.is_ascii_alphabetic() || c == '_') {
            return None;
        }
        let name = self.ident()?;
        let lower = name.to_ascii_lowercase();
        self.ws();
        if self.s[self.i..].starts_with('(') {
            self.i += 1;
            let mut args = Vec::new();
            if !self.eat(")") {
                loop {
                    args.push(self.expr(depth + 1)?);
                    if self.eat(")") {
                        break;
                    }
                    if !self.eat(",") {
                        return None;
                    }
                }
            }
            // A property of a call's result (`fromJSON(x).y`) is unknown.
            if self.s[self.i..].starts_with(['.', '[']) {
                return None;
            }
            return Some(Expr::Call(lower, args));
        }
        match lower.as_str() {
            "true" => return Some(Expr::Bool(true)),
            "false" => return Some(Expr::Bool(false)),
            "null" => return Some(Expr::Null),
            _ => {}
        }
        let mut path = vec![lower];
        loop {
            if self.s[self.i..].starts_with('.') {
                self.i += 1;
                if self.s[self.i..].starts_with('*') {
                    self.i += 1;
                    path.push("*".into());
                    continue;
                }
                path.push(self.ident()?.to_ascii_lowercase());
            } else if self.s[self.i..].starts_with('[') {
                self.i += 1;
                self.ws();
                let key = match self.string() {
                    Some(k) => k,
                    None => {
                        // An index by expression: unknown.
                        return None;
                    }
                };
                if !self.eat("]") {
                    return None;
                }
                path.push(key.to_ascii_lowercase());
            } else {
                break;
            }
        }
        Some(Expr::Path(path))
    }

    fn ident(&mut self) -> Option<String> {
        let rest = &self.s[self.i..];
        let len = rest
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'))
            .unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        self.i += len;
        Some(rest[..len].to_string())
    }

    fn string(&mut self) -> Option<String> {
        let rest = &self.s[self.i..];
        let mut out = String::new();
        let mut chars = rest.char_indices().skip(1).peekable();
        while let Some((at, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|x| x.1) == Some('\'') {
                    chars.next();
                    out.push('\'');
                    continue;
                }
                self.i += at + 1;
                return Some(out);
            }
            out.push(c);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> Vec<Part> {
        template(s, &|a, b| Span::new(a as u32, b as u32))
            .into_iter()
            .map(|c| c.part)
            .collect()
    }

    #[test]
    fn keys() {
        assert_eq!(
            parts("${{ runner.os }}-python-${{ hashFiles('**/pyproject.toml') }}"),
            vec![
                Part::Ctx(vec!["runner".into(), "os".into()]),
                Part::Lit("-python-".into()),
                Part::HashFiles(vec![Some("**/pyproject.toml".into())]),
            ]
        );
        assert_eq!(
            parts("${{ format('{0}-x-{1}', Runner.OS, matrix['python-version']) }}"),
            vec![
                Part::Ctx(vec!["runner".into(), "os".into()]),
                Part::Lit("-x-".into()),
                Part::Ctx(vec!["matrix".into(), "python-version".into()]),
            ]
        );
        assert!(matches!(
            parts("${{ a == 'b' && 'c' || 'd' }}")[0],
            Part::Other(_)
        ));
        assert!(matches!(parts("x-${{ runner.os")[1], Part::Other(_)));
        assert_eq!(parts("plain"), vec![Part::Lit("plain".into())]);
        assert_eq!(
            parts("${{ steps.py.outputs.python-version }}"),
            vec![Part::Ctx(vec![
                "steps".into(),
                "py".into(),
                "outputs".into(),
                "python-version".into()
            ])]
        );
    }

    #[test]
    fn total() {
        for s in [
            "${{",
            "${{ }}",
            "${{ ( }}",
            "${{ '}}' }}",
            "${{ a[ }}",
            "${{ f(,) }}",
        ] {
            let _ = parts(s);
        }
    }
}
