//! The command line as clap builds it from `cli`, with one rule added: a
//! command offers only the shared options it uses. The others are hidden
//! from its help, completions and manual page, but still accepted, so that
//! an alias such as `jira-oauth --private-key K` works with every command.

use crate::cli::Cli;
use clap::{CommandFactory, FromArgMatches};

const SIGNING: &[&str] = &[
    "consumer_key",
    "private_key",
    "signature_method",
    "consumer_secret",
    "token_secret",
    "auth_in",
    "base_url",
];
const NETWORK: &[&str] = &["cacert", "insecure", "timeout", "verbose"];

/// The shared options each command uses, by the command's name.
fn used_by(command: &str) -> Vec<&'static str> {
    match command {
        "requestToken" => [SIGNING, NETWORK, &["format"]].concat(),
        // Its base URL is the first of four arguments, in the sample's order.
        "accessToken" => [SIGNING, NETWORK, &["format"]]
            .concat()
            .into_iter()
            .filter(|id| *id != "base_url")
            .collect(),
        "request" | "login" | "whoami" | "doctor" | "proxy" => [SIGNING, NETWORK].concat(),
        "sign" => SIGNING.to_vec(),
        "pubkey" => vec!["private_key"],
        "keygen" => vec!["consumer_key"],
        "logout" => [&["base_url"], NETWORK].concat(),
        "token" => [&["base_url"], NETWORK].concat(),
        _ => Vec::new(),
    }
}

/// Every shared option's id.
fn shared() -> Vec<&'static str> {
    [SIGNING, NETWORK, &["format"]].concat()
}

/// clap's `Command` for jira-oauth, each command showing only the shared
/// options it uses (for help, completions and the manual page).
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    // `mut_args` keeps the arguments' order, which a built command's parser
    // relies on (`mut_arg` would move the argument last).
    each_command(cmd, |used, sub| {
        sub.mut_args(|a| {
            let id = a.get_id().as_str();
            if shared().contains(&id) && !used.contains(&id) {
                a.hide(true)
            } else {
                a
            }
        })
    })
}

/// `cmd` with `change` applied to each command, given the shared options
/// that command uses.
fn each_command(
    mut cmd: clap::Command,
    change: impl Fn(&[&'static str], clap::Command) -> clap::Command,
) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        let used = used_by(&name);
        cmd = cmd.mut_subcommand(&name, |sub| change(&used, sub));
    }
    cmd
}

/// The same command line for the generators (completions, the manual
/// page), which list hidden options too: each command gets copies of the
/// shared options it uses, and no others.
pub fn command_to_describe() -> clap::Command {
    let cmd = Cli::command();
    let shared_args: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    each_command(cmd.mut_args(|a| a.global(false)), |used, sub| {
        sub.args(
            shared_args
                .iter()
                .filter(|a| used.contains(&a.get_id().as_str()))
                .cloned(),
        )
    })
}

/// Parses the process's arguments.
pub fn parse() -> Result<Cli, clap::Error> {
    let matches = command().try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

/// The manual page: the program's, then each command's synopsis, text and
/// options, all in one page.
pub fn manual() -> std::io::Result<Vec<u8>> {
    let mut cmd = command_to_describe();
    cmd.build();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let full = format!("jira-oauth {}", sub.get_name());
        out.extend_from_slice(format!(".SH \"{}\"\n", full.to_uppercase()).as_bytes());
        let page = clap_mangen::Man::new(sub.clone());
        let mut sections = Vec::new();
        page.render_synopsis_section(&mut sections)?;
        page.render_description_section(&mut sections)?;
        page.render_options_section(&mut sections)?;
        page.render_extra_section(&mut sections)?;
        // The command's sections become subsections of its own heading.
        for line in String::from_utf8_lossy(&sections).lines() {
            let line = match line.strip_prefix(".SH ") {
                Some(rest) => format!(".SS {rest}"),
                None => line.to_string(),
            };
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
    }
    Ok(out)
}
