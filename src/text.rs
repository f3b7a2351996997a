//! User text in messages: the one place that makes text from outside safe to print.
//!
//! Every message that echoes text from outside (an argument, an id, a name, a value, a `--set`
//! path, a file name, a lock holder's command line) passes it through [`clip`] (or [`quote`],
//! [`path`]: the same function with backticks, or a longer limit): control characters are
//! escaped (`\u{1b}`) and the text is cut to [`MAX_ECHO_CHARS`] characters, marked with `…` and
//! its length when cut, so that hostile input can neither flood the terminal nor drive it with
//! escape sequences. At the binary's edge every message, ours or a library's (clap's), goes
//! through [`quiet_message`] once more before it is printed: whatever a new message forgets, no
//! control character but the newline that ends a line reaches the terminal, and no line is longer
//! than [`MAX_MESSAGE_CHARS`].

use std::borrow::Cow;
use std::path::Path;

/// Most characters of user text (an id, a name, a value, an argument) that a message quotes.
/// Longer text is cut there and marked with `…` and its length in characters.
pub const MAX_ECHO_CHARS: usize = 80;

/// Most characters of a path that a message quotes (paths are longer than names; the operating
/// system refuses paths over 4096 bytes anyway).
pub const MAX_PATH_CHARS: usize = 240;

/// Longest line of a message printed to the terminal, in characters, and longest third-party
/// message (from the RON parser or a type's deserializer) after the quoted text in it has been
/// cut to [`MAX_ECHO_CHARS`].
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// `s` with every control character (Unicode category Cc) written as an escape: `\n`, `\t`,
/// `\u{1b}`.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` cut to `max` characters: the head, escaped, and the length in characters when cut.
fn cut(s: &str, max: usize) -> (Cow<'_, str>, Option<usize>) {
    match s.char_indices().nth(max) {
        None => (escape_controls(s), None),
        Some((at, _)) => {
            let head = escape_controls(&s[..at]).into_owned();
            (Cow::Owned(head), Some(s.chars().count()))
        }
    }
}

/// `s` for a message, unquoted: control characters escaped, cut to `max` characters
/// (`head… (N characters)`). The one function every echo of outside text goes through.
pub fn clip_to(s: &str, max: usize) -> String {
    match cut(s, max) {
        (head, None) => head.into_owned(),
        (head, Some(n)) => format!("{head}… ({n} characters)"),
    }
}

/// `s` for an error message, unquoted: control characters escaped, cut to [`MAX_ECHO_CHARS`]
/// (`head… (N characters)`).
pub fn clip(s: &str) -> String {
    clip_to(s, MAX_ECHO_CHARS)
}

/// A path for a message (as [`Path::display`] writes it): control characters escaped, cut to
/// [`MAX_PATH_CHARS`].
pub fn path(p: impl AsRef<Path>) -> String {
    clip_to(&p.as_ref().to_string_lossy(), MAX_PATH_CHARS)
}

/// A whole message for the terminal: each line (split at newlines, which stay) with its control
/// characters escaped and cut to [`MAX_MESSAGE_CHARS`]. Applied at the binary's edge to every
/// message printed to standard error, after the text in it went through [`clip`].
pub fn quiet_message(message: &str) -> String {
    message
        .split('\n')
        .map(|line| clip_to(line, MAX_MESSAGE_CHARS))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A message written by a library that quotes user text in single quotes (clap: `invalid value
/// 'X' for '--runs <N>'`), backticks or double quotes: each line's quoted spans cut to
/// [`MAX_ECHO_CHARS`], control characters escaped, newlines kept.
pub fn quiet_library_message(message: &str) -> String {
    message
        .split('\n')
        .map(|line| clip_quoted_in(line, &['\'', '`', '"']))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A field path for an error message: each of its parts (between dots) as [`clip`] writes it, so
/// that a long field name or id in it is cut.
pub fn clip_path(path: &str) -> String {
    path.split('.').map(clip).collect::<Vec<_>>().join(".")
}

/// `s` for an error message, in backticks: control characters escaped, cut to
/// [`MAX_ECHO_CHARS`] (`` `head…` (N characters) ``).
pub fn quote(s: &str) -> String {
    match cut(s, MAX_ECHO_CHARS) {
        (head, None) => format!("`{head}`"),
        (head, Some(n)) => format!("`{head}…` ({n} characters)"),
    }
}

/// A message written by someone else (the RON parser, a deserializer) that may quote user text
/// in backticks or double quotes: every quoted span cut to [`MAX_ECHO_CHARS`], control characters
/// escaped, and the whole cut to [`MAX_MESSAGE_CHARS`].
pub fn clip_quoted(message: &str) -> String {
    clip_quoted_in(message, &['`', '"'])
}

/// [`clip_quoted`] with the quote characters `delims`.
fn clip_quoted_in(message: &str, delims: &[char]) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(open) = rest.find(delims) {
        let delim = rest.as_bytes()[open] as char;
        out.push_str(&rest[..=open]);
        let inner = &rest[open + 1..];
        // The closing delimiter; inside double quotes a backslash escapes the next character.
        let mut close = None;
        let mut escaped = false;
        for (i, c) in inner.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' && delim == '"' {
                escaped = true;
            } else if c == delim {
                close = Some(i);
                break;
            }
        }
        let end = close.unwrap_or(inner.len());
        // A span [`quote`] already cut (its head and `…`) is not cut again.
        let span = &inner[..end];
        let clipped = span.ends_with('…') && span.chars().count() <= MAX_ECHO_CHARS + 1;
        let max = if clipped {
            MAX_ECHO_CHARS + 1
        } else {
            MAX_ECHO_CHARS
        };
        match cut(span, max) {
            (head, None) => out.push_str(&head),
            (head, Some(n)) => {
                out.push_str(&head);
                out.push('…');
                if close.is_some() {
                    out.push(delim);
                }
                out.push_str(&format!(" ({n} characters)"));
                rest = close.map_or("", |c| &inner[c + 1..]);
                continue;
            }
        }
        match close {
            Some(c) => {
                out.push(delim);
                rest = &inner[c + 1..];
            }
            None => rest = "",
        }
    }
    out.push_str(&escape_controls(rest));
    clip_to(&out, MAX_MESSAGE_CHARS)
}

/// The first control character (Unicode category Cc) in `s`; newline and tab are allowed when
/// `layout` is true (a multi-line description).
pub fn forbidden_control(s: &str, layout: bool) -> Option<char> {
    s.chars()
        .find(|&c| c.is_control() && !(layout && matches!(c, '\n' | '\t')))
}

/// `holds the control character `\u{1b}``: the character named as an escape, for a message.
pub fn control_message(c: char) -> String {
    format!("holds the control character `{}`", c.escape_debug())
}

/// Why a free text holding a control character is refused (newline and tab are allowed when
/// `layout`: a multi-line description), or `None` when it holds none.
pub fn text_controls(s: &str, layout: bool) -> Option<String> {
    let c = forbidden_control(s, layout)?;
    let but = if layout { " but newline and tab" } else { "" };
    Some(format!(
        "the text {} (allowed: no control characters{but})",
        control_message(c)
    ))
}

/// `: it holds the control character `\u{1b}`` when `s` holds one (newline and tab included),
/// else nothing: a note for a message about a name or id.
pub fn control_note(s: &str) -> String {
    forbidden_control(s, false).map_or(String::new(), |c| format!(": it {}", control_message(c)))
}

/// Most ids listed where a message names the ones a scenario knows.
pub const MAX_IDS_LISTED: usize = 12;

/// `ids` joined by `sep` for a message: at most [`MAX_IDS_LISTED`] of them, then `… (N in all)`,
/// each clipped by [`clip`].
pub fn list_ids<S: AsRef<str>>(ids: &[S], sep: &str) -> String {
    let shown: Vec<String> = ids
        .iter()
        .take(MAX_IDS_LISTED)
        .map(|s| clip(s.as_ref()))
        .collect();
    match ids.len() > MAX_IDS_LISTED {
        true => format!("{}{sep}… ({} in all)", shown.join(sep), ids.len()),
        false => shown.join(sep),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_cut_and_escaped() {
        assert_eq!(quote("a\u{1b}[31m"), "`a\\u{1b}[31m`");
        let long = "x".repeat(100);
        assert_eq!(quote(&long), format!("`{}…` (100 characters)", "x".repeat(80)));
        assert_eq!(clip(&long), format!("{}… (100 characters)", "x".repeat(80)));
        assert_eq!(clip("a\nb"), "a\\nb");
        assert_eq!(
            clip_path(&format!("a.{long}.b")),
            format!("a.{}… (100 characters).b", "x".repeat(80))
        );
        let m = format!("Unexpected field named `{long}` in `Scenario`, found \"{long}\\\"\"");
        assert_eq!(
            clip_quoted(&m),
            format!(
                "Unexpected field named `{x}…` (100 characters) in `Scenario`, found \"{x}…\" (102 characters)",
                x = "x".repeat(80)
            )
        );
        assert_eq!(clip_quoted("`a` and `b"), "`a` and `b");
        let quoted = format!("{} is not a month", quote(&long));
        assert_eq!(clip_quoted(&quoted), quoted);
        assert!(clip_quoted(&"y ".repeat(5000)).ends_with("… (10000 characters)"));
    }

    #[test]
    fn messages_for_the_terminal_are_quiet() {
        assert_eq!(quiet_message("a\u{1b}[2J\nb\u{7}"), "a\\u{1b}[2J\nb\\u{7}");
        let long = "z".repeat(5000);
        let line = quiet_message(&format!("x {long}\ny"));
        assert!(line.ends_with("… (5002 characters)\ny"), "{line}");
        let clap = quiet_library_message(&format!(
            "error: invalid value '\u{1b}[31m{long}' for '--runs <N>'\n"
        ));
        assert!(clap.starts_with("error: invalid value '\\u{1b}[31mzz"), "{clap}");
        assert!(clap.contains("…' (5005 characters) for '--runs <N>'"), "{clap}");
        assert!(clap.ends_with('\n'));
        assert_eq!(path(Path::new("a\u{1b}/b")), "a\\u{1b}/b");
        assert_eq!(
            path(Path::new(&long)).chars().count(),
            MAX_PATH_CHARS + "… (5000 characters)".chars().count()
        );
    }

    #[test]
    fn controls_are_found() {
        assert_eq!(forbidden_control("a\nb\tc", true), None);
        assert_eq!(forbidden_control("a\nb", false), Some('\n'));
        assert_eq!(forbidden_control("a\u{1b}", true), Some('\u{1b}'));
        assert_eq!(text_controls("a\nb", true), None);
        assert!(text_controls("a\nb", false).unwrap().contains("`\\n`"));
        assert_eq!(control_message('\u{1b}'), "holds the control character `\\u{1b}`");
    }
}
