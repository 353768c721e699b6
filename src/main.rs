use cachelint::source::FileId;
use cachelint::yaml::{Limits, parse_file};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    for path in &args {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let parsed = parse_file(FileId(0), &text, &Limits::default());
        println!("{}", parsed.doc.to_canonical_json());
        for d in &parsed.diagnostics {
            println!("  {:?} {} @{:?}", d.rule, d.message, d.span);
        }
    }
}
