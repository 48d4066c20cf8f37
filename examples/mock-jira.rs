//! The test provider on its own, for trying jira-oauth without a JIRA:
//!
//!     cargo build --locked --example mock-jira
//!     target/debug/examples/mock-jira [--port N] [--tls] [--context /jira]
//!         [--consumer-key K] [--public-key FILE] [--state FILE]
//!         [--oauth2-client ID:SECRET [--redirect-uri URI]] [--pat TOKEN]
//!
//! Runs until Ctrl-C or SIGTERM, then removes its TLS files and exits 130 or
//! 143. For every request token it prints the curl command that plays the
//! user clicking Allow.

#[allow(dead_code, unused_imports)]
#[path = "../tests/support/mock_jira/mod.rs"]
mod mock_jira;

use mock_jira::{Consumer, MockJira, OAuth2Client, Options};
use std::path::PathBuf;

const USAGE: &str = "\
usage: mock-jira [--port N] [--tls] [--context /jira] [--consumer-key K]
                 [--public-key FILE] [--state FILE]
                 [--oauth2-client ID:SECRET [--redirect-uri URI]] [--pat TOKEN]
  --port N            port on 127.0.0.1 (default 0: any free port)
  --tls               serve HTTPS with a throw-away CA (its file is printed)
  --context /jira     context path before every endpoint
  --consumer-key K    the Application Link's consumer key (default hardcoded-consumer)
  --public-key FILE   the consumer's RSA public key, PEM (default: the test suite's)
  --state FILE        keep the tokens in this JSON file across restarts
  --oauth2-client ID:SECRET
                      be an OAuth 2.0 provider (Data Center 8.22+) with this incoming link
  --redirect-uri URI  the link's registered redirect URL
                      (default http://localhost:8765/callback)
  --pat TOKEN         a personal access token REST accepts as a bearer";

fn fail(msg: &str) -> ! {
    eprintln!("mock-jira: error: {msg}\n{USAGE}");
    std::process::exit(2);
}

/// A failure that is not the caller's syntax: one line, exit 2.
fn die(msg: &str) -> ! {
    eprintln!("mock-jira: error: {msg}");
    std::process::exit(2);
}

fn main() {
    // Before any thread starts, so that every thread inherits the mask.
    #[cfg(unix)]
    let signals = signals::block();

    let mut opts = Options::default();
    let mut key = mock_jira::TEST_CONSUMER_KEY.to_string();
    let mut public_key =
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/consumer.pub.pem").to_string();
    let mut oauth2: Option<(String, String)> = None;
    let mut redirect = "http://localhost:8765/callback".to_string();
    let mut pats = Vec::new();
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
            "--state" => opts.state_file = Some(PathBuf::from(value("--state"))),
            "--oauth2-client" => {
                let v = value("--oauth2-client");
                let (id, secret) = v
                    .split_once(':')
                    .unwrap_or_else(|| fail("--oauth2-client takes ID:SECRET"));
                oauth2 = Some((id.to_string(), secret.to_string()));
            }
            "--redirect-uri" => redirect = value("--redirect-uri"),
            "--pat" => pats.push(value("--pat")),
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => fail(&format!("unknown argument {other:?}")),
        }
    }
    let pem = std::fs::read_to_string(&public_key)
        .unwrap_or_else(|e| die(&format!("cannot read {public_key}: {e}")));
    if let Err(e) = mock_jira::oauth::parse_public_key(&pem) {
        die(&format!("{public_key}: {e}"));
    }
    opts.consumers.push(Consumer::rsa(&key, &pem));
    let port = opts.port;
    let state = opts.state_file.clone();

    let jira = match MockJira::try_start(opts) {
        Ok(j) => j,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => die(&format!(
            "port {port} on 127.0.0.1 is in use; pick another with --port N (0: any free port)"
        )),
        Err(e) => die(&e.to_string()),
    };
    jira.set_jql(true);
    for pat in &pats {
        jira.add_pat(pat);
    }
    if let Some((id, secret)) = &oauth2 {
        jira.oauth2_register(OAuth2Client {
            id: id.clone(),
            secret: secret.clone(),
            redirect_uris: vec![redirect.clone()],
        });
    }
    println!("mock JIRA listening");
    println!("base URL:     {}", jira.base_url());
    println!("consumer key: {key}");
    println!("public key:   {public_key}");
    if let Some(s) = &state {
        println!(
            "state file:   {} (tokens kept: {})",
            s.display(),
            jira.tokens_kept()
        );
    }
    let cacert = match jira.ca_pem_path() {
        Some(ca) => {
            println!("CA file:      {} (pass it with --cacert)", ca.display());
            format!(" --cacert '{}'", ca.display())
        }
        None => String::new(),
    };
    println!(
        "issues:       HSP-1 to HSP-{}; the search takes simple JQL \
         (project = HSP AND summary ~ \"word\")",
        mock_jira::Counts::default().issues
    );
    // JIRA checks the verifier of 1.0a tokens only (those with a callback).
    println!(
        "verifiers:    checked for request tokens with a callback (login --listen); \
         not for oob ones, as on JIRA"
    );
    if let Some((id, _)) = &oauth2 {
        println!("OAuth 2.0:    client ID {id}, redirect URL {redirect}");
        println!(
            "              to approve as the user would: curl -sSL 'AUTHORIZE_URL&approve=true'"
        );
    }
    if !pats.is_empty() {
        println!("PATs:         {} accepted as bearer tokens", pats.len());
    }
    let authorize = jira.authorize_url("");
    jira.on_request_token(move |token| {
        println!("request token {token} issued; to approve it as the user would:");
        // -L follows JIRA's redirect to a login --listen callback.
        println!("  curl -sSL{cacert} '{authorize}{token}&approve=true'");
    });

    #[cfg(unix)]
    {
        let sig = signals::wait(&signals);
        // Dropping the server removes the CA's temporary folder.
        drop(jira);
        println!("mock JIRA stopped");
        std::process::exit(128 + sig);
    }
    #[cfg(not(unix))]
    loop {
        std::thread::park();
    }
}

/// Ctrl-C and SIGTERM stay pending (blocked in every thread) until the main
/// thread takes them with `sigwait`, so the cleanup runs as plain code rather
/// than inside a signal handler.
#[cfg(unix)]
mod signals {
    pub fn block() -> libc::sigset_t {
        // SAFETY: plain libc calls on a local, zero-initialised sigset_t.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::sigaddset(&mut set, libc::SIGTERM);
            // A hang-up too, unless it is ignored (nohup).
            let mut hup: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGHUP, std::ptr::null(), &mut hup) == 0
                && hup.sa_sigaction != libc::SIG_IGN
            {
                libc::sigaddset(&mut set, libc::SIGHUP);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            set
        }
    }

    /// The number of the first of those signals to arrive.
    pub fn wait(set: &libc::sigset_t) -> i32 {
        let mut sig = 0;
        // SAFETY: `set` was filled by `block`; `sig` is a valid out-pointer.
        while unsafe { libc::sigwait(set, &mut sig) } != 0 {}
        sig
    }
}
