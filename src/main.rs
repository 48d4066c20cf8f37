//! The binary: parse, run, and turn an error into one line and an exit code.

use clap::Parser;
use jira_oauth::{cli::Cli, commands, Error};
use std::process::ExitCode;

fn main() -> ExitCode {
    // A bug must not dump a backtrace (or anything it holds) on a user.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("jira-oauth: error: internal error{place} (a bug: please report it)");
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

fn report(e: &Error) -> ExitCode {
    eprintln!("jira-oauth: error: {}", e.message);
    if let Some(hint) = &e.hint {
        eprintln!("hint: {hint}");
    }
    ExitCode::from(e.exit_code() as u8)
}

/// Help and version go to stdout with 0; a usage error becomes our one line.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let rendered = e.render().to_string();
    // clap's message may go on over indented lines; make it one.
    let first = rendered
        .lines()
        .take_while(|l| {
            !l.starts_with("Usage:") && !l.trim().starts_with("tip:") && !l.starts_with("For more")
        })
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches("error: ")
        .to_string();
    let first = match empty_env(&e) {
        Some(var) => format!("{first} ({var} is set but empty)"),
        None => first,
    };
    let tip = rendered
        .lines()
        .find_map(|l| l.trim().strip_prefix("tip: "))
        .map(str::to_string)
        .unwrap_or_else(|| "run 'jira-oauth --help' for the options".into());
    report(&Error::usage(first).with_hint(tip))
}

/// The environment variable behind the option a usage error is about, when
/// it is set but empty: the user typed no option, so name what they set.
fn empty_env(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    use clap::CommandFactory;
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let long = arg.strip_prefix("--")?.split([' ', '=']).next()?;
    let cmd = Cli::command();
    let var = cmd
        .get_arguments()
        .find(|a| a.get_long() == Some(long))?
        .get_env()?
        .to_str()?
        .to_string();
    std::env::var_os(&var).filter(|v| v.is_empty()).map(|_| var)
}
