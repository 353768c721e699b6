//! No input may crash the loader: every corpus file, mutated many times with YAML's special
//! characters, must load to a result (possibly errors), never a panic or an internal error.

use cachelint::source::FileId;
use cachelint::yaml::{Limits, parse_file};
use std::path::Path;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ":",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\t",
    "&a ",
    "*a",
    "<<: ",
    "<<: *a\n",
    "!reference ",
    "!!str ",
    "!foo ",
    "\"",
    "'",
    "|\n",
    ">-\n",
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "?",
    ",",
    "é",
    "😀",
    "\u{feff}",
    "\r\n",
    "~",
    "0x1F",
    "2024-01-02",
    ":sym",
    "&b [*b]",
    "&c {<<: *c}",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut s = text.to_string();
    for _ in 0..1 + rng.below(6) {
        let mut at = rng.below(s.len() + 1);
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        match rng.below(3) {
            0 => {
                let mut end = (at + rng.below(20)).min(s.len());
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                s.replace_range(at..end, "");
            }
            _ => s.insert_str(at, PIECES[rng.below(PIECES.len())]),
        }
    }
    s
}

fn files(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml")
            && let Ok(t) = std::fs::read_to_string(&p)
        {
            out.push(t);
        }
    }
}

#[test]
fn mutated_corpus_files_never_crash_the_loader() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    files(&root.join("tests/corpus"), &mut texts);
    files(&root.join("tests/fixtures"), &mut texts);
    assert!(!texts.is_empty());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut runs = 0;
    for text in &texts {
        // Only the first 4 KB of each file, so the test stays fast.
        let mut end = text.len().min(4096);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let iterations: usize = std::env::var("CACHELINT_FUZZ_ITERATIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(12);
        for _ in 0..iterations {
            let input = mutate(&mut rng, &text[..end]);
            let parsed = parse_file(FileId(0), input.as_str(), &Limits::default());
            for d in &parsed.diagnostics {
                assert!(
                    !d.message.contains("internal error"),
                    "the parser panicked on:\n{input}"
                );
                assert!(d.span.end as usize <= input.len(), "span past the end");
                assert!(input.is_char_boundary(d.span.start as usize));
            }
            let _ = parsed.doc.to_canonical_json();
            runs += 1;
        }
    }
    assert!(runs > 1000);
}
