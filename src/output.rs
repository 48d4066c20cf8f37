//! The token commands' three output formats: the sample's text, JSON, and
//! shell assignments for `eval "$(…)"`.

use crate::cli::Format;

/// Renders `fields` (name, value) in `format`; `text` is the sample's lines.
pub fn render(format: Format, text: &str, env: &[(&str, &str)], json: serde_json::Value) -> String {
    match format {
        Format::Text => text.to_string(),
        Format::Json => format!("{json}\n"),
        Format::Env => env
            .iter()
            .map(|(k, v)| format!("{k}={}\n", shell_quote(v)))
            .collect(),
    }
}

/// Single-quotes for POSIX shells: `'` becomes `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_for_eval() {
        assert_eq!(shell_quote("a'b $x"), r"'a'\''b $x'");
        let out = render(
            Format::Env,
            "",
            &[("A", "1"), ("B", "it's")],
            serde_json::json!({}),
        );
        assert_eq!(out, "A='1'\nB='it'\\''s'\n");
    }
}
