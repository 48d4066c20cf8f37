//! The binary: parse, run, and turn an error into one line and an exit code.

use jira_oauth::{cli::Cli, commands, Error, Kind};
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
    jira_oauth::interrupt::install();
    let cli = match jira_oauth::command_line::parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind == Kind::ClosedPipe => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

fn report(e: &Error) -> ExitCode {
    e.print();
    ExitCode::from(e.exit_code() as u8)
}

/// Help and version go to stdout with 0; a usage error becomes our one
/// line, made from what clap knows of it (its kind and context), not from
/// its rendered text.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ErrorKind};
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        _ => {}
    }
    let ctx = |k: ContextKind| e.get(k).map(|v| v.to_string());
    let arg = ctx(ContextKind::InvalidArg).unwrap_or_default();
    let value = ctx(ContextKind::InvalidValue).unwrap_or_default();
    let mut message = match e.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let mut m = format!("invalid value '{value}' for '{arg}'");
            if let Some(why) = std::error::Error::source(&e) {
                m.push_str(&format!(": {why}"));
            } else if let Some(valid) = ctx(ContextKind::ValidValue) {
                m.push_str(&format!(" (possible values: {valid})"));
            }
            m
        }
        ErrorKind::UnknownArgument => format!("unexpected argument '{arg}'"),
        ErrorKind::InvalidSubcommand => format!(
            "unrecognized subcommand '{}'",
            ctx(ContextKind::InvalidSubcommand).unwrap_or_default()
        ),
        ErrorKind::MissingRequiredArgument => {
            format!("the following required arguments were not provided: {arg}")
        }
        ErrorKind::ArgumentConflict => match ctx(ContextKind::PriorArg) {
            Some(prior) => format!("the argument '{arg}' cannot be used with '{prior}'"),
            None => format!("the argument '{arg}' cannot be used here"),
        },
        ErrorKind::TooManyValues | ErrorKind::NoEquals => {
            format!("unexpected value '{value}' for '{arg}'")
        }
        ErrorKind::MissingSubcommand => "a command is needed".to_string(),
        ErrorKind::InvalidUtf8 => format!("'{arg}' is not valid UTF-8"),
        _ => format!("invalid use of '{arg}'"),
    };
    if let Some(var) = empty_env(&e) {
        message.push_str(&format!(" ({var} is set but empty)"));
    }
    // A curl option gets our equivalent, not clap's "to pass '-L' as a
    // value, use '-- -L'".
    let curl = (e.kind() == ErrorKind::UnknownArgument)
        .then(|| curl_habit(&arg))
        .flatten()
        .map(str::to_string);
    let hint = curl.unwrap_or_else(|| {
        ctx(ContextKind::SuggestedArg)
            .or_else(|| ctx(ContextKind::SuggestedSubcommand))
            .or_else(|| ctx(ContextKind::SuggestedValue))
            .map(|s| format!("did you mean '{s}'?"))
            .or_else(|| ctx(ContextKind::Suggested))
            .unwrap_or_else(|| "run 'jira-oauth --help' for the options".into())
    });
    report(&Error::usage(message).with_hint(hint))
}

/// curl's options that jira-oauth has no use for, and what to do instead
/// (keyed on the argument clap could not place, `--user=x` as `--user`).
fn curl_habit(arg: &str) -> Option<&'static str> {
    let name = arg.split('=').next().unwrap_or(arg);
    Some(match name {
        "-L" | "--location" => {
            "no -L needed: redirects on the same origin are followed already; \
             others are never followed with your token"
        }
        "-u" | "--user" => "jira-oauth signs with OAuth; basic auth (-u) is not used: drop it",
        "--data-binary" | "--data-ascii" | "--data-urlencode" => {
            "use -d DATA (-d @FILE reads a file) or --data-raw DATA (sent as given)"
        }
        "-G" | "--get" => "use -q NAME=VALUE for query parameters (GET is the default)",
        "-I" | "--head" => "use -X HEAD -i",
        "-f" | "--fail" | "--fail-with-body" => {
            "no -f needed: an HTTP error already exits 1 with nothing on stdout"
        }
        "-S" | "--show-error" => "no -S needed: errors are always shown on stderr",
        "-A" | "--user-agent" => "use -H 'User-Agent: NAME'",
        _ => return None,
    })
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
