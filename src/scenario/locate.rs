//! Finding where a field path sits in RON source, for error messages.
//!
//! After a scenario has parsed, a range or reference problem is known by its field path
//! (`polities[1].mobilization_lag`). This module walks the RON text once (skipping comments and
//! strings) and records the `line:column` at which each value starts, keyed by the same path
//! syntax that `serde_path_to_error` uses. Enum variant names (`Contact(...)`) are transparent.
//! Only the values that are asked for are recorded ([`positions_of`]), so that locating a few
//! problems in a large file takes one quick pass and little memory.

use std::collections::{HashMap, HashSet};

/// Positions by field path.
pub type Positions = HashMap<String, (usize, usize)>;

/// A position in RON text, moved byte by byte with its `line:column` kept (columns count
/// characters), that can skip comments and whitespace and read a word or a string.
pub(super) struct Cursor<'a> {
    pub(super) text: &'a [u8],
    pub(super) at: usize,
    pub(super) line: usize,
    pub(super) col: usize,
}

impl Cursor<'_> {
    pub(super) fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }
    pub(super) fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.at += 1;
            if c == b'\n' {
                self.line += 1;
                self.col = 1;
            } else if c & 0xC0 != 0x80 {
                self.col += 1;
            }
        }
    }
    pub(super) fn skip_trivia(&mut self) {
        loop {
            match (self.peek(), self.text.get(self.at + 1).copied()) {
                (Some(c), _) if c.is_ascii_whitespace() => self.bump(),
                (Some(b'/'), Some(b'/')) => {
                    while !matches!(self.peek(), None | Some(b'\n')) {
                        self.bump();
                    }
                }
                (Some(b'/'), Some(b'*')) => {
                    let mut depth = 0usize;
                    while let Some(c) = self.peek() {
                        let next = self.text.get(self.at + 1).copied();
                        if c == b'/' && next == Some(b'*') {
                            depth += 1;
                            self.bump();
                        } else if c == b'*' && next == Some(b'/') {
                            depth -= 1;
                            self.bump();
                            if depth == 0 {
                                self.bump();
                                break;
                            }
                        }
                        self.bump();
                    }
                }
                (Some(b'#'), Some(b'!')) => {
                    while !matches!(self.peek(), None | Some(b']')) {
                        self.bump();
                    }
                    self.bump();
                }
                _ => return,
            }
        }
    }
    pub(super) fn ident(&mut self) -> String {
        let start = self.at;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
            self.bump();
        }
        String::from_utf8_lossy(&self.text[start..self.at]).into_owned()
    }
    /// Whether a raw string (`r"…"`, `r#"…"#`, with any number of `#`) begins here.
    pub(super) fn at_raw_string(&self) -> bool {
        if self.peek() != Some(b'r') {
            return false;
        }
        let hashes = self.text[self.at + 1..]
            .iter()
            .take_while(|&&c| c == b'#')
            .count();
        self.text.get(self.at + 1 + hashes) == Some(&b'"')
    }
    /// Read a raw string that begins here ([`Cursor::at_raw_string`]): to the `"` followed by
    /// as many `#` as opened it (no escapes inside). Returns its contents.
    pub(super) fn raw_string(&mut self) -> String {
        self.bump();
        let mut hashes = 0usize;
        while self.peek() == Some(b'#') {
            hashes += 1;
            self.bump();
        }
        self.bump();
        let start = self.at;
        while let Some(c) = self.peek() {
            if c == b'"' {
                let end = self.at;
                let closes = self.text[end + 1..]
                    .iter()
                    .take(hashes)
                    .filter(|&&h| h == b'#')
                    .count()
                    == hashes;
                if closes {
                    self.bump();
                    for _ in 0..hashes {
                        self.bump();
                    }
                    return String::from_utf8_lossy(&self.text[start..end]).into_owned();
                }
            }
            self.bump();
        }
        String::from_utf8_lossy(&self.text[start..self.at]).into_owned()
    }
    pub(super) fn string(&mut self) -> String {
        self.bump();
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.bump();
            match c {
                b'\\' => {
                    if let Some(e) = self.peek() {
                        out.push(e);
                        self.bump();
                    }
                }
                b'"' => break,
                _ => out.push(c),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Every string literal of `source` outside comments: the byte offset where it begins (its `"`,
/// or the `r` of a raw string) and its value as RON reads it (a raw string's contents; the
/// cursor's own reading when RON cannot read the literal). For finding a value by what a
/// literal *reads as*, whatever escapes or raw characters the file writes it with.
pub(crate) fn string_literals(source: &str) -> Vec<(usize, String)> {
    let mut cur = Cursor {
        text: source.as_bytes(),
        at: 0,
        line: 1,
        col: 1,
    };
    let mut out = Vec::new();
    loop {
        cur.skip_trivia();
        let start = cur.at;
        let value = match cur.peek() {
            None => return out,
            Some(b'r') if cur.at_raw_string() => cur.raw_string(),
            Some(b'"') => {
                let read = cur.string();
                source
                    .get(start..cur.at)
                    .and_then(|literal| ron::from_str::<String>(literal).ok())
                    .unwrap_or(read)
            }
            Some(_) => {
                cur.bump();
                continue;
            }
        };
        out.push((start, value));
    }
}

/// The position of every value in `source`, by field path.
pub fn positions(source: &str) -> Positions {
    positions_where(source, &|_| true)
}

/// The positions of the values at `paths` in `source` and of the values that enclose them (so
/// that [`nearest`] finds the enclosing value of a field the file leaves out).
pub fn positions_of<S: AsRef<str>>(source: &str, paths: &[S]) -> Positions {
    let mut wanted: HashSet<&str> = HashSet::from([""]);
    for p in paths {
        let mut p = p.as_ref();
        wanted.insert(p);
        while let Some(cut) = p.rfind(['.', '[']) {
            p = &p[..cut];
            wanted.insert(p);
        }
    }
    positions_where(source, &|path| wanted.contains(path))
}

/// The position of every value in `source` whose path `track` accepts. The values inside a value
/// that `track` refuses are skipped over unrecorded, so `track` must accept every path that
/// encloses one it wants.
fn positions_where(source: &str, track: &dyn Fn(&str) -> bool) -> Positions {
    let mut cur = Cursor {
        text: source.as_bytes(),
        at: 0,
        line: 1,
        col: 1,
    };
    let mut walk = Walk {
        out: HashMap::new(),
        track,
    };
    cur.skip_trivia();
    walk.value(&mut cur, Some(String::new()), 0);
    walk.out
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// One pass over a source: the positions found so far, and which paths to record.
struct Walk<'t> {
    out: Positions,
    track: &'t dyn Fn(&str) -> bool,
}

impl Walk<'_> {
    /// The path of a value inside the value at `path` (`None`: not recorded), made by `child`.
    fn inside(&self, path: Option<&str>, child: impl FnOnce(&str) -> String) -> Option<String> {
        path.map(child).filter(|p| (self.track)(p))
    }

    /// The value of field `name` of the value at `path`.
    fn field(&mut self, cur: &mut Cursor<'_>, path: Option<&str>, name: &str, depth: usize) {
        let inner = self.inside(path, |p| join(p, name));
        self.value(cur, inner, depth + 1);
    }

    /// Item `index` of the list (or tuple) at `path`; counts it.
    fn item(&mut self, cur: &mut Cursor<'_>, path: Option<&str>, index: &mut usize, depth: usize) {
        let inner = self.inside(path, |p| format!("{p}[{index}]"));
        *index += 1;
        self.value(cur, inner, depth + 1);
    }

    fn value(&mut self, cur: &mut Cursor<'_>, path: Option<String>, depth: usize) {
        if depth > 64 {
            return;
        }
        cur.skip_trivia();
        if let Some(p) = &path {
            self.out.entry(p.clone()).or_insert((cur.line, cur.col));
        }
        let path = path.as_deref();
        match cur.peek() {
            Some(b'r') if cur.at_raw_string() => {
                cur.raw_string();
            }
            Some(b'"') => {
                cur.string();
            }
            Some(b'(') => {
                cur.bump();
                self.fields_or_items(cur, path, depth, b')');
            }
            Some(b'[') => {
                cur.bump();
                self.fields_or_items(cur, path, depth, b']');
            }
            Some(b'{') => {
                cur.bump();
                loop {
                    cur.skip_trivia();
                    match cur.peek() {
                        None => return,
                        Some(b'}') => {
                            cur.bump();
                            return;
                        }
                        Some(b',') => cur.bump(),
                        Some(b'"') => {
                            let key = cur.string();
                            cur.skip_trivia();
                            if cur.peek() == Some(b':') {
                                cur.bump();
                            }
                            self.field(cur, path, &key, depth);
                        }
                        Some(_) => {
                            let before = cur.at;
                            self.field(cur, path, "?", depth);
                            if cur.at == before {
                                cur.bump();
                            }
                        }
                    }
                }
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let ident = cur.ident();
                cur.skip_trivia();
                if cur.peek() == Some(b'(') {
                    cur.bump();
                    if ident == "Some" {
                        // `Some(x)` is transparent, as `x` alone is with `implicit_some`.
                        self.value(cur, path.map(str::to_string), depth + 1);
                        cur.skip_trivia();
                        if cur.peek() == Some(b')') {
                            cur.bump();
                        }
                    } else {
                        self.fields_or_items(cur, path, depth, b')');
                    }
                }
            }
            Some(_) => {
                while !matches!(cur.peek(), None | Some(b',' | b')' | b']' | b'}'))
                    && !cur.peek().is_some_and(|c| c.is_ascii_whitespace())
                {
                    cur.bump();
                }
            }
            None => {}
        }
    }

    /// Inside `(` or `[`: named fields (`name: value`) or positional items.
    fn fields_or_items(&mut self, cur: &mut Cursor<'_>, path: Option<&str>, depth: usize, close: u8) {
        let mut index = 0usize;
        loop {
            cur.skip_trivia();
            match cur.peek() {
                None => return,
                Some(c) if c == close => {
                    cur.bump();
                    return;
                }
                Some(b',') => cur.bump(),
                Some(c) if close == b')' && (c.is_ascii_alphabetic() || c == b'_') => {
                    // Either `field: value` or a positional enum/ident value.
                    let save = (cur.at, cur.line, cur.col);
                    let name = cur.ident();
                    cur.skip_trivia();
                    if cur.peek() == Some(b':') {
                        cur.bump();
                        self.field(cur, path, &name, depth);
                    } else {
                        (cur.at, cur.line, cur.col) = save;
                        self.item(cur, path, &mut index, depth);
                    }
                }
                Some(_) => {
                    let before = cur.at;
                    self.item(cur, path, &mut index, depth);
                    if cur.at == before {
                        cur.bump();
                    }
                }
            }
        }
    }
}

/// The position of `path`, or of its nearest enclosing value that is in the file (a field left
/// to its default is reported at the struct that lacks it).
pub fn nearest(positions: &Positions, path: &str) -> Option<(usize, usize)> {
    let mut p = path.to_string();
    loop {
        if let Some(&pos) = positions.get(&p) {
            return Some(pos);
        }
        let cut = p.rfind(['.', '['])?;
        p.truncate(cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_fields() {
        let src = "// comment\n(\n  name: \"x\",\n  polities: [\n    (id: \"a\", strength: 1.0),\n    (id: \"b\", /* c */ strength: -2),\n  ],\n  events: [(effects: [Contact(a: \"a\", value: 3)])],\n)";
        let pos = positions(src);
        assert_eq!(pos.get("name"), Some(&(3, 9)));
        assert_eq!(pos.get("polities[1].strength"), Some(&(6, 33)));
        assert_eq!(pos.get("events[0].effects[0].value"), Some(&(8, 46)));
        assert_eq!(nearest(&pos, "polities[1].missing"), Some((6, 5)));
        let few = positions_of(src, &["polities[1].missing", "events[0].effects[0].value"]);
        assert_eq!(few.len(), 8, "{few:?}");
        assert_eq!(nearest(&few, "polities[1].missing"), Some((6, 5)));
        assert_eq!(few.get("events[0].effects[0].value"), Some(&(8, 46)));
    }
}
