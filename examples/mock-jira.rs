//! The test provider on its own, for trying jira-oauth without a JIRA:
//!
//!     cargo run --example mock-jira -- [--port N] [--tls] [--context /jira]
//!         [--consumer-key K] [--public-key FILE]
//!
//! Runs until interrupted. For every request token it prints the curl
//! command that plays the user clicking Allow.

#[allow(dead_code, unused_imports)]
#[path = "../tests/support/mock_jira/mod.rs"]
mod mock_jira;

use mock_jira::{Consumer, MockJira, Options};

const USAGE: &str = "usage: mock-jira [--port N] [--tls] [--context /jira] \
                     [--consumer-key K] [--public-key FILE]";

fn fail(msg: &str) -> ! {
    eprintln!("mock-jira: error: {msg}\n{USAGE}");
    std::process::exit(2);
}

fn main() {
    let mut opts = Options::default();
    let mut key = mock_jira::TEST_CONSUMER_KEY.to_string();
    let mut public_key =
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/consumer.pub.pem").to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| fail(&format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--port" => {
                opts.port = value("--port")
                    .parse()
                    .unwrap_or_else(|_| fail("--port: not a port number"))
            }
            "--tls" => opts.tls = true,
            "--context" => {
                let ctx = value("--context");
                let ctx = ctx.trim_end_matches('/');
                opts.context_path = if ctx.is_empty() || ctx.starts_with('/') {
                    ctx.to_string()
                } else {
                    format!("/{ctx}")
                };
            }
            "--consumer-key" => key = value("--consumer-key"),
            "--public-key" => public_key = value("--public-key"),
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => fail(&format!("unknown argument {other:?}")),
        }
    }
    let pem = std::fs::read_to_string(&public_key)
        .unwrap_or_else(|e| fail(&format!("cannot read {public_key}: {e}")));
    if let Err(e) = mock_jira::oauth::parse_public_key(&pem) {
        fail(&format!("{public_key}: {e}"));
    }
    opts.consumers.push(Consumer::rsa(&key, &pem));

    let jira = MockJira::start(opts);
    println!("mock JIRA listening");
    println!("base URL:     {}", jira.base_url());
    println!("consumer key: {key}");
    let cacert = match jira.ca_pem_path() {
        Some(ca) => {
            println!("CA file:      {} (pass it with --cacert)", ca.display());
            format!(" --cacert '{}'", ca.display())
        }
        None => String::new(),
    };
    let authorize = jira.authorize_url("");
    jira.on_request_token(move |token| {
        println!("request token {token} issued; to approve it as the user would:");
        // -L follows JIRA's redirect to a login --listen callback.
        println!("  curl -sSL{cacert} '{authorize}{token}&approve=true'");
    });
    loop {
        std::thread::park();
    }
}
