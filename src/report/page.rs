//! A rule's page (`rules/<name>.md`) for a terminal (`cachelint rule NAME`): the front matter
//! becomes a title line, headings plain underlined text, and each example a block indented four
//! spaces that starts with a comment naming its file and whether it is the finding or the fix.
//! The Markdown source stays the documentation; this only presents it.

/// The page rendered for a terminal.
pub fn render(page: &str) -> String {
    let (front, body) = split_front_matter(page);
    let field = |key: &str| {
        front.lines().find_map(|l| {
            let v = l.strip_prefix(key)?.strip_prefix(':')?.trim();
            Some(
                v.strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v),
            )
        })
    };
    let name = field("name").unwrap_or("");
    let mut out = String::new();
    out.push_str(&format!(
        "{name} ({}, {})\n",
        field("severity").unwrap_or(""),
        field("category").unwrap_or("")
    ));
    if let Some(summary) = field("summary") {
        out.push_str(summary);
        out.push('\n');
    }
    let mut in_code = false;
    for line in body.lines() {
        if let Some(info) = line.strip_prefix("```") {
            if in_code {
                in_code = false;
                continue;
            }
            in_code = true;
            let mut words = info.split_whitespace();
            let _lang = words.next();
            let kind = words.next();
            let file = words
                .find_map(|w| w.strip_prefix("file="))
                .unwrap_or(".gitlab-ci.yml");
            match kind {
                Some("failing") => out.push_str(&format!("    # {file}: reported by {name}\n")),
                Some("fixed") => out.push_str(&format!("    # {file}: fixed\n")),
                _ => {}
            }
            continue;
        }
        if in_code {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        } else if line.starts_with("# ") {
            // The page's title repeats the rule's name, already shown.
        } else if let Some(h) = line.strip_prefix("## ") {
            out.push_str(h);
            out.push('\n');
            out.push_str(&"─".repeat(h.chars().count()));
            out.push('\n');
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    // No run of blank lines where the title was dropped.
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out
}

/// The front matter (between the leading `---` lines) and the rest.
fn split_front_matter(page: &str) -> (&str, &str) {
    if let Some(rest) = page.strip_prefix("---\n")
        && let Some(end) = rest.find("\n---\n")
    {
        return (&rest[..end], &rest[end + 5..]);
    }
    ("", page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_without_markdown_machinery() {
        let page = "---\nname: x-rule\nseverity: warning\ncategory: cache\nsummary: \"A thing.\"\n---\n\n# x-rule\n\nText `code`.\n\n## Example\n\n```yaml failing file=ci/a.yml\njob:\n  script: [a]\n```\n\n```yaml fixed\nok: 1\n```\n";
        let out = render(page);
        assert!(
            out.starts_with("x-rule (warning, cache)\nA thing.\n"),
            "{out}"
        );
        assert!(!out.contains("---\n"), "{out}");
        assert!(!out.contains("```"), "{out}");
        assert!(!out.contains("failing"), "{out}");
        assert!(out.contains("Example\n───────\n"), "{out}");
        assert!(out.contains("    # ci/a.yml: reported by x-rule\n    job:\n      script: [a]\n"));
        assert!(out.contains("    # .gitlab-ci.yml: fixed\n    ok: 1\n"));
    }
}
