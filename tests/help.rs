//! What each command offers, through the binary: its own options first,
//! the shared ones it uses under "Global options", none it ignores (in
//! help, completions and the manual page), and examples that fit 80
//! columns.

mod support;

use support::cli::Env;

const COMMANDS: [&str; 14] = [
    "requestToken",
    "accessToken",
    "request",
    "sign",
    "login",
    "logout",
    "whoami",
    "token",
    "keygen",
    "completions",
    "man",
    "pubkey",
    "doctor",
    "help",
];

const SIGNING: [&str; 7] = [
    "--consumer-key",
    "--private-key",
    "--signature-method",
    "--consumer-secret",
    "--token-secret",
    "--auth-in",
    "--base-url",
];
const NETWORK: [&str; 4] = ["--cacert", "--insecure", "--timeout", "--verbose"];

/// The shared options each command uses (our reading of "options a
/// command ignores are not offered by it").
fn uses(cmd: &str) -> Vec<&'static str> {
    let mut all: Vec<&str> = match cmd {
        "requestToken" | "accessToken" | "request" | "login" | "whoami" | "doctor" => {
            [&SIGNING[..], &NETWORK[..]].concat()
        }
        "sign" => SIGNING.to_vec(),
        "pubkey" => vec!["--private-key"],
        "keygen" => vec!["--consumer-key"],
        // logout revokes an OAuth 2.0 login's refresh token.
        "logout" | "token" => [&["--base-url"][..], &NETWORK[..]].concat(),
        _ => Vec::new(),
    };
    if cmd == "requestToken" || cmd == "accessToken" {
        all.push("--format");
    }
    // accessToken's base URL is its first argument, in the sample's order.
    if cmd == "accessToken" {
        all.retain(|o| *o != "--base-url");
    }
    all
}

fn help(env: &Env, cmd: &str) -> String {
    let out = env.jira_oauth(&[cmd, "--help"]);
    out.ok();
    out.stdout.clone()
}

#[test]
fn each_command_offers_only_the_shared_options_it_uses() {
    let env = Env::new();
    for cmd in COMMANDS.iter().filter(|c| **c != "help") {
        let text = help(&env, cmd);
        for opt in [&SIGNING[..], &NETWORK[..], &["--format"]].concat() {
            let offered = text.contains(&format!("{opt} ")) || text.contains(&format!("{opt}\n"));
            assert_eq!(
                offered,
                uses(cmd).contains(&opt),
                "{cmd} --help and {opt}:\n{text}"
            );
        }
        if !uses(cmd).is_empty() {
            // Its own options first, then the shared ones under their heading.
            let own = text.find("Options:").expect("an Options heading");
            let global = text
                .find("Global options:")
                .expect("a Global options heading");
            assert!(own < global, "{cmd}: own options come first");
        } else {
            assert!(!text.contains("Global options:"), "{cmd}:\n{text}");
        }
    }
}

#[test]
fn ignored_options_are_still_accepted() {
    // An alias that always passes --private-key works with every command.
    let env = Env::new();
    let out = env.jira_oauth(&["--timeout", "5", "completions", "bash"]);
    out.ok();
}

#[test]
fn completions_offer_a_command_only_its_options() {
    let env = Env::new();
    let out = env.jira_oauth(&["completions", "fish"]);
    out.ok();
    let lines = |sub: &str| -> Vec<String> {
        out.stdout
            .lines()
            .filter(|l| l.contains(&format!("__fish_jira_oauth_using_subcommand {sub}\"")))
            .map(str::to_string)
            .collect()
    };
    let keygen = lines("keygen").join("\n");
    assert!(keygen.contains("-l consumer-key"), "{keygen}");
    assert!(!keygen.contains("-l timeout"), "{keygen}");
    let request = lines("request").join("\n");
    assert!(request.contains("-l timeout"), "{request}");
    assert!(!request.contains("-l format"), "{request}");
    // --signature-method and --auth-in complete their values.
    assert!(
        request.contains("RSA-SHA1") && request.contains("HMAC-SHA256"),
        "{request}"
    );
    assert!(
        request.contains("header") && request.contains("query"),
        "{request}"
    );
}

#[test]
fn the_manual_page_covers_every_command() {
    let env = Env::new();
    let out = env.jira_oauth(&["man"]);
    out.ok();
    let page = &out.stdout;
    for cmd in COMMANDS.iter().filter(|c| **c != "help") {
        let heading = format!(".SH \"JIRA-OAUTH {}\"", cmd.to_uppercase());
        let at = page
            .find(&heading)
            .unwrap_or_else(|| panic!("no {heading}"));
        let section = &page[at..];
        let end = section[1..].find(".SH ").map_or(section.len(), |e| e + 1);
        let section = &section[..end];
        assert!(section.contains(".SS SYNOPSIS"), "{cmd}:\n{section}");
    }
    // A command's own options are in its section.
    let at = page.find(".SH \"JIRA-OAUTH REQUEST\"").unwrap();
    let section = &page[at..];
    assert!(section.contains("paginate"), "request's --paginate");
    assert!(section.contains("parallel"), "request's --parallel");
    let top = env.jira_oauth(&["--help"]);
    assert!(
        top.stdout.contains("\n  man "),
        "man is listed:\n{}",
        top.stdout
    );
}

#[test]
fn examples_fit_80_columns() {
    let env = Env::new();
    for cmd in COMMANDS.iter().filter(|c| **c != "help") {
        let text = help(&env, cmd);
        let at = text
            .find("\nExample")
            .unwrap_or_else(|| panic!("{cmd} --help has no example"));
        for line in text[at..].lines() {
            assert!(
                line.chars().count() <= 80,
                "{cmd}: {} columns: {line}",
                line.chars().count()
            );
        }
    }
}
