//! Finding where a field path sits in RON source, for error messages.
//!
//! After a scenario has parsed, a range or reference problem is known by its field path
//! (`polities[1].mobilization_lag`). This module walks the RON text once (skipping comments and
//! strings) and records the `line:column` at which each value starts, keyed by the same path
//! syntax that `serde_path_to_error` uses. Enum variant names (`Contact(...)`) are transparent.

use std::collections::HashMap;

struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
    col: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }
    fn bump(&mut self) {
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
    fn skip_trivia(&mut self) {
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
    fn ident(&mut self) -> String {
        let start = self.at;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
            self.bump();
        }
        String::from_utf8_lossy(&self.text[start..self.at]).into_owned()
    }
    fn string(&mut self) -> String {
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

/// The position of every value in `source`, by field path.
pub fn positions(source: &str) -> HashMap<String, (usize, usize)> {
    let mut cur = Cursor {
        text: source.as_bytes(),
        at: 0,
        line: 1,
        col: 1,
    };
    let mut out = HashMap::new();
    cur.skip_trivia();
    value(&mut cur, String::new(), &mut out, 0);
    out
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

fn value(cur: &mut Cursor<'_>, path: String, out: &mut HashMap<String, (usize, usize)>, depth: usize) {
    if depth > 64 {
        return;
    }
    cur.skip_trivia();
    out.entry(path.clone()).or_insert((cur.line, cur.col));
    match cur.peek() {
        Some(b'"') => {
            cur.string();
        }
        Some(b'(') => {
            cur.bump();
            fields_or_items(cur, &path, out, depth, b')');
        }
        Some(b'[') => {
            cur.bump();
            fields_or_items(cur, &path, out, depth, b']');
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
                        value(cur, join(&path, &key), out, depth + 1);
                    }
                    Some(_) => {
                        let before = cur.at;
                        value(cur, join(&path, "?"), out, depth + 1);
                        if cur.at == before {
                            cur.bump();
                        }
                    }
                }
            }
        }
        Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
            cur.ident();
            cur.skip_trivia();
            if cur.peek() == Some(b'(') {
                cur.bump();
                fields_or_items(cur, &path, out, depth, b')');
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
fn fields_or_items(
    cur: &mut Cursor<'_>,
    path: &str,
    out: &mut HashMap<String, (usize, usize)>,
    depth: usize,
    close: u8,
) {
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
                    value(cur, join(path, &name), out, depth + 1);
                } else {
                    (cur.at, cur.line, cur.col) = save;
                    value(cur, format!("{path}[{index}]"), out, depth + 1);
                    index += 1;
                }
            }
            Some(_) => {
                let before = cur.at;
                value(cur, format!("{path}[{index}]"), out, depth + 1);
                index += 1;
                if cur.at == before {
                    cur.bump();
                }
            }
        }
    }
}

/// The position of `path`, or of its nearest enclosing value that is in the file (a field left
/// to its default is reported at the struct that lacks it).
pub fn nearest(positions: &HashMap<String, (usize, usize)>, path: &str) -> Option<(usize, usize)> {
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
    }
}
