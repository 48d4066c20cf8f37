//! What goes to stdout: written whole or streamed, a closed pipe ending the
//! run quietly; and the token commands' three formats (the sample's text,
//! JSON, shell assignments for `eval "$(…)"`).

use crate::cli::Format;
use crate::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

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
            // Exported, so that the next jira-oauth (a child) sees them.
            .map(|(k, v)| format!("export {k}={}\n", shell_quote(v)))
            .collect(),
    }
}

/// Single-quotes for POSIX shells: `'` becomes `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Where the bodies go: stdout, or the `-o` file, created (or truncated)
/// on the first write, as curl does, so a failed request leaves none.
pub struct Sink {
    path: Option<PathBuf>,
    file: Option<BufWriter<File>>,
    stdout: std::io::StdoutLock<'static>,
    /// Why the output failed, if it did (a closed pipe, a full disk).
    broken: Option<Error>,
}

impl Sink {
    pub fn new(path: Option<PathBuf>) -> Sink {
        Sink {
            path,
            file: None,
            stdout: std::io::stdout().lock(),
            broken: None,
        }
    }

    fn target(&mut self) -> std::io::Result<&mut dyn Write> {
        let Some(path) = &self.path else {
            return Ok(&mut self.stdout);
        };
        if self.file.is_none() {
            let f = File::create(path).inspect_err(|e| {
                self.broken = Some(Error::usage(format!(
                    "cannot create the output file {}: {}",
                    path.display(),
                    crate::io_reason(e)
                )));
            })?;
            self.file = Some(BufWriter::new(f));
        }
        Ok(self.file.as_mut().expect("just opened"))
    }

    /// Why the output failed, if it did; the run cannot go on then.
    pub fn take_failure(&mut self) -> Option<Error> {
        self.broken.take()
    }

    fn note(&mut self, r: std::io::Result<usize>) -> std::io::Result<usize> {
        if let Err(e) = &r {
            if self.broken.is_none() {
                self.broken = Some(write_error(e));
            }
        }
        r
    }

    /// All written and flushed; after a run without failure the file
    /// exists even for an empty body (as curl's).
    pub fn finish(mut self, succeeded: bool) -> crate::Result<()> {
        let r = if succeeded || self.file.is_some() {
            self.target().and_then(|t| t.flush())
        } else {
            Ok(())
        };
        match (r, self.broken.take()) {
            (_, Some(e)) => Err(e),
            (Err(e), None) => Err(write_error(&e)),
            (Ok(()), None) => Ok(()),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.target().and_then(|t| t.write(buf));
        self.note(r)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.target().and_then(|t| t.flush()).map(|_| 0);
        self.note(r).map(|_| ())
    }
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
        assert_eq!(out, "export A='1'\nexport B='it'\\''s'\n");
    }
}
