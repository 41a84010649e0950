//! Jupyter notebooks read as a user sees them. A `.ipynb` is JSON: a key
//! printed into an output cell sits there escaped, split across strings,
//! beside kilobytes of base64 images. Each cell's source, and the text its
//! outputs show, become one blob named `analysis.ipynb:cell 4` (outputs:
//! `cell 4 output`), so a finding reads `analysis.ipynb:cell 4:2:7` — the
//! cell and the line within it. A file that does not parse as a notebook is
//! scanned as the text it is.

use serde::Deserialize;
use serde_json::Value;

/// One cell's displayed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// `cell 4` or `cell 4 output` (1-based, as Jupyter numbers them).
    pub label: String,
    pub text: String,
}

#[derive(Deserialize)]
struct Notebook {
    cells: Vec<RawCell>,
}

#[derive(Deserialize)]
struct RawCell {
    #[serde(default)]
    source: Value,
    #[serde(default)]
    outputs: Vec<Value>,
}

/// Whether the path names a notebook.
pub fn is_notebook(path: &str) -> bool {
    path.len() > 6 && path[path.len() - 6..].eq_ignore_ascii_case(".ipynb")
}

/// The cells of the notebook `bytes` at `path`; `None` when it is not a
/// notebook (by name, or because it does not parse as nbformat 4).
pub fn cells(path: &str, bytes: &[u8]) -> Option<Vec<Cell>> {
    if !is_notebook(path) {
        return None;
    }
    let nb: Notebook = serde_json::from_slice(bytes).ok()?;
    let mut out = Vec::new();
    for (i, cell) in nb.cells.iter().enumerate() {
        let n = i + 1;
        let source = text_of(&cell.source);
        if !source.is_empty() {
            out.push(Cell {
                label: format!("cell {n}"),
                text: source,
            });
        }
        let mut shown = String::new();
        for output in &cell.outputs {
            output_text(output, &mut shown);
        }
        if !shown.is_empty() {
            out.push(Cell {
                label: format!("cell {n} output"),
                text: shown,
            });
        }
    }
    Some(out)
}

/// A secret as it appears inside a JSON string, to find it in the raw file.
pub fn escaped(secret: &str) -> String {
    let quoted = serde_json::to_string(secret).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(&quoted)
        .to_string()
}

/// nbformat's multiline strings: a string, or a list of lines.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

/// What an output shows as text: a stream, an error, and the textual
/// representations of a result (`text/plain`, `text/html`, JSON…). Images
/// are not text and are left out.
fn output_text(output: &Value, out: &mut String) {
    let mut push = |s: String| {
        if s.is_empty() {
            return;
        }
        out.push_str(&s);
        if !s.ends_with('\n') {
            out.push('\n');
        }
    };
    if let Some(text) = output.get("text") {
        push(text_of(text));
    }
    if let Some(Value::Object(data)) = output.get("data") {
        for (mime, value) in data {
            if mime.starts_with("text/") || mime.ends_with("json") || mime.ends_with("javascript") {
                match value {
                    Value::String(_) | Value::Array(_) => push(text_of(value)),
                    other => push(other.to_string()),
                }
            }
        }
    }
    if let Some(v) = output.get("evalue") {
        push(text_of(v));
    }
    if let Some(Value::Array(lines)) = output.get("traceback") {
        push(
            lines
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_the_text_they_show() {
        let nb = br##"{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
          {"cell_type": "markdown", "source": ["# Title\n", "words"]},
          {"cell_type": "code", "source": "print(\"a\\tb\")", "outputs": [
            {"output_type": "stream", "name": "stdout", "text": ["a\tb\n"]},
            {"output_type": "execute_result", "data": {"text/plain": ["'x'"], "image/png": "iVBORw0KGgo="}},
            {"output_type": "error", "ename": "E", "evalue": "bad", "traceback": ["line 1", "line 2"]}
          ]}
        ]}"##;
        let cells = cells("a/b.ipynb", nb).unwrap();
        let labels: Vec<&str> = cells.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["cell 1", "cell 2", "cell 2 output"]);
        assert_eq!(cells[0].text, "# Title\nwords");
        assert_eq!(cells[1].text, "print(\"a\\tb\")");
        assert_eq!(cells[2].text, "a\tb\n'x'\nbad\nline 1\nline 2\n");
    }

    #[test]
    fn what_is_not_a_notebook_is_left_alone() {
        assert_eq!(cells("x.json", br#"{"cells": []}"#), None);
        assert_eq!(cells("x.ipynb", b"not json"), None);
        assert_eq!(cells("x.ipynb", br#"{"worksheets": []}"#), None);
        assert!(is_notebook("X.IPYNB"));
    }

    #[test]
    fn escaping_matches_the_raw_file() {
        assert_eq!(escaped(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escaped("plain"), "plain");
    }
}
