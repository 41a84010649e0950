//! Text from the scanned tree — file names, source lines, commit authors —
//! shown on a terminal. An escape sequence in a file name could recolour
//! the output, retitle the window (OSC) or hide a line (CR): every control
//! character is shown escaped instead, as `\e`, `\r`, `\u{7}`.

use std::borrow::Cow;

/// `s` with control characters (other than tab) made visible.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push('\t'),
            '\x1b' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(escape("plain.py"), "plain.py");
        assert_eq!(escape("a\x1b[31mred"), "a\\e[31mred");
        assert_eq!(escape("x\x1b]0;title\x07"), "x\\e]0;title\\u{7}");
        assert_eq!(escape("hidden\rshown"), "hidden\\rshown");
        assert_eq!(escape("tab\tkept"), "tab\tkept");
    }
}
