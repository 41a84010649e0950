//! Messages about what a user wrote (a config, a rule file, a key store)
//! that never repeat the values in it: a pasted token must not reach a
//! terminal or a CI log through an error. Every loader of user input words
//! its errors through here.

/// What is wrong with a regex, without repeating it (it may be a secret):
/// the kind of error and the column.
pub fn regex_problem(pattern: &str, e: &regex::Error) -> String {
    match regex_syntax::ast::parse::Parser::new().parse(pattern) {
        Err(ast) => format!(
            "invalid regex: {} at column {}",
            ast.kind(),
            pattern[..ast.span().start.offset.min(pattern.len())]
                .chars()
                .count()
                + 1
        ),
        Ok(_) => match e {
            regex::Error::CompiledTooBig(_) => "regex too large once compiled".to_string(),
            _ => "invalid regex".to_string(),
        },
    }
}

/// A serde/toml message with its quoted values redacted: `invalid type:
/// string "sk-…"` or ``unknown variant `sk-…` `` would otherwise print what
/// was pasted where it should not be. Backticked names from keylint's
/// schema (`expected one of \`low\`, …`, ``expected `"` ``) stay.
pub fn quiet_message(message: &str) -> String {
    let message = message.trim();
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(['"', '`']) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let quote = &from[..1];
        let inner = &from[1..];
        let (quoted, after) = match inner.find(quote) {
            Some(end) => (&inner[..end], Some(&inner[end + 1..])),
            // An unclosed quote: what follows may be the value.
            None => (inner, None),
        };
        let shown = if quote == "\"" || redacts_backticked(&out, quoted) {
            crate::finding::redact(quoted)
        } else {
            quoted.to_string()
        };
        out.push_str(quote);
        out.push_str(&shown);
        match after {
            Some(after) => {
                out.push_str(quote);
                rest = after;
            }
            None => rest = "",
        }
    }
    out.push_str(rest);
    out.replace('\n', " ")
}

/// Longest unknown key shown as written: a typo'd key name is worth
/// showing, a pasted token is not.
const MAX_SHOWN_KEY: usize = 20;

/// Whether a backticked part of a serde message, after `before`, is the
/// file's text rather than keylint's: the value in ``unknown variant `X` ``,
/// and a long key in ``unknown field `X` `` or ``duplicate key `X` ``.
fn redacts_backticked(before: &str, quoted: &str) -> bool {
    let before = before.trim_end();
    before.ends_with("unknown variant")
        || ((before.ends_with("unknown field") || before.ends_with("duplicate key"))
            && quoted.chars().count() > MAX_SHOWN_KEY)
}

#[cfg(test)]
mod tests {
    use super::quiet_message;

    #[test]
    fn quiet_messages_redact_values_and_keep_schema_names() {
        let value = "Zq8vNw3kLxP2mR7tY4cB9dF1"; // keylint:allow
        let shown = quiet_message(&format!(
            "unknown variant `{value}`, expected one of `low`, `medium`, `high`"
        ));
        assert!(!shown.contains(value), "{shown}");
        assert!(
            shown.ends_with("expected one of `low`, `medium`, `high`"),
            "{shown}"
        );
        let shown = quiet_message(&format!(
            "invalid type: string \"{value}\", expected a sequence"
        ));
        assert!(!shown.contains(value), "{shown}");
        // A quote character named inside backticks is not a value's start.
        assert_eq!(
            quiet_message("invalid basic string, expected `\"`"),
            "invalid basic string, expected `\"`"
        );
        assert_eq!(
            quiet_message("unknown field `disabel`, expected `disable`"),
            "unknown field `disabel`, expected `disable`"
        );
        let shown = quiet_message(&format!("unknown field `{value}`, expected `disable`"));
        assert!(!shown.contains(value), "{shown}");
        assert_eq!(
            quiet_message("missing field `regex`"),
            "missing field `regex`"
        );
    }
}
