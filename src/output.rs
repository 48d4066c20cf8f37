//! What goes to stdout: written whole or streamed, a closed pipe ending the
//! run quietly; and the token commands' three formats (the sample's text,
//! JSON, shell assignments for `eval "$(…)"`).

use crate::cli::Format;
use crate::error::Error;
use std::io::Write;

/// Writes command output to stdout.
pub fn print_stdout(bytes: &[u8]) -> crate::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| write_error(&e))
}

/// A failed write of the output. When the reader of stdout has gone
/// (`| head`), the run ends quietly with success (`main` sees to it).
pub fn write_error(e: &std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Error::closed_pipe();
    }
    Error::network(format!("cannot write the output: {e}"))
}

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
