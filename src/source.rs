//! Source files, byte spans and the line index.
//!
//! Every position inside cachelint is a byte offset into one file's text. The line index turns a
//! byte offset into a 1-based line and column, counted in characters (for people) or in UTF-16
//! code units (for the language server).

use std::path::PathBuf;
use std::sync::Arc;

/// Index of a file in a [`crate::load::FileSet`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct FileId(pub u32);

/// A half-open byte range `[start, end)` in one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: u32, end: u32) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }
    pub fn empty(at: u32) -> Span {
        Span { start: at, end: at }
    }
    pub fn len(&self) -> u32 {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// A position in one file of a file set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: FileId,
    pub span: Span,
}

/// A 1-based line and column; `col` counts characters, `col_utf16` UTF-16 code units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
    pub col_utf16: u32,
}

/// One file of the configuration: its path, its text and its line index.
#[derive(Debug)]
pub struct SourceFile {
    /// The path used to open the file.
    pub path: PathBuf,
    /// The path relative to the project root, with `/` separators (what reports show).
    pub rel_path: String,
    pub text: Arc<str>,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(path: PathBuf, rel_path: String, text: impl Into<Arc<str>>) -> SourceFile {
        let text: Arc<str> = text.into();
        // Lines end at `\n`, `\r\n` or a lone `\r`, as editors and the language server
        // protocol count them.
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        let b = text.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
                line_starts.push(i as u32 + 1);
            }
        }
        SourceFile {
            path,
            rel_path,
            text,
            line_starts,
        }
    }

    /// Number of lines (a final line without a newline counts).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The 0-based line index containing byte `offset`.
    pub fn line_index(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Byte offset of the start of 1-based `line` (clamped to the text).
    pub fn line_start(&self, line: u32) -> u32 {
        let i = (line.max(1) as usize - 1).min(self.line_starts.len() - 1);
        self.line_starts[i]
    }

    /// The text of 1-based `line`, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let i = (line.max(1) as usize - 1).min(self.line_starts.len() - 1);
        let start = self.line_starts[i] as usize;
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(self.text.len(), |&e| e as usize);
        let t = &self.text[start..end];
        let t = t.strip_suffix('\n').unwrap_or(t);
        t.strip_suffix('\r').unwrap_or(t)
    }

    /// Converts a byte offset (clamped to the text, snapped back to a character boundary).
    pub fn line_col(&self, offset: u32) -> LineCol {
        let mut offset = (offset as usize).min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let li = self.line_index(offset as u32);
        let start = self.line_starts[li] as usize;
        let before = &self.text[start..offset];
        let (col, col_utf16) = if before.is_ascii() {
            (before.len(), before.len())
        } else {
            (
                before.chars().count(),
                before.chars().map(char::len_utf16).sum(),
            )
        };
        LineCol {
            line: li as u32 + 1,
            col: col as u32 + 1,
            col_utf16: col_utf16 as u32 + 1,
        }
    }

    /// The byte offset of a 1-based line and a 1-based column in characters (clamped).
    pub fn offset_of(&self, line: u32, col: u32) -> u32 {
        let start = self.line_start(line) as usize;
        let text = self.line_text(line);
        let skip = text
            .char_indices()
            .nth(col.max(1) as usize - 1)
            .map_or(text.len(), |(i, _)| i);
        (start + skip) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_columns_count_characters_and_utf16_units() {
        let f = SourceFile::new("x".into(), "x".into(), "ab\né😀x: 1\n");
        assert_eq!(
            f.line_col(0),
            LineCol {
                line: 1,
                col: 1,
                col_utf16: 1
            }
        );
        // 'x' on line 2 comes after é (2 bytes) and 😀 (4 bytes, 2 UTF-16 units).
        let x = f.text.find('x').unwrap() as u32;
        assert_eq!(
            f.line_col(x),
            LineCol {
                line: 2,
                col: 3,
                col_utf16: 4
            }
        );
        // An offset inside a multi-byte character snaps back to its start.
        assert_eq!(f.line_col(4).col, 1);
        assert_eq!(f.line_text(2), "é😀x: 1");
        assert_eq!(f.offset_of(2, 3), x);
        assert_eq!(f.line_col(f.text.len() as u32 + 10).line, 3);
    }
}
