//! The offline demo: the `mock-jira` example run as its own process, as the
//! README's "Try it without a JIRA" runs it, and that section walked step by
//! step with the real binary.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

/// `target/<profile>/examples/mock-jira`. `cargo test --test demo` builds no
/// examples, so cargo is asked to make it fresh (a no-op when it is).
fn mock_jira_exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        // This test runs from target/<profile>/deps/.
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().unwrap().parent().unwrap();
        let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
            "debug" => "dev",
            other => other,
        };
        let mut cargo = Command::new(env!("CARGO"));
        // Variables cargo sets for running tests: some build scripts (ring's)
        // watch them, and would then be rebuilt, here and in the next run.
        for (name, _) in std::env::vars_os() {
            let n = name.to_string_lossy();
            if n.starts_with("CARGO_PKG_") || n.starts_with("CARGO_MANIFEST_") {
                cargo.env_remove(&name);
            }
        }
        let status = cargo
            .args(["build", "--quiet", "--example", "mock-jira", "--profile"])
            .arg(profile)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo");
        assert!(status.success(), "cargo build --example mock-jira failed");
        let path = profile_dir
            .join("examples")
            .join(format!("mock-jira{}", std::env::consts::EXE_SUFFIX));
        assert!(path.is_file(), "{} was not built", path.display());
        path
    })
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The test consumer's private key (the provider's default public key is
/// its pair), owner-only: git keeps no mode, and the binary warns about a
/// key others can read.
fn test_key() -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = data("consumer.pem");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// A free port on 127.0.0.1, for a provider that must come back on it.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `mock-jira`, its stdout read line by line.
struct Provider {
    child: Child,
    out: BufReader<ChildStdout>,
    /// The startup text.
    banner: String,
    base: String,
}

impl Provider {
    fn start(args: &[&str]) -> Provider {
        let mut child = Command::new(mock_jira_exe())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let mut p = Provider {
            child,
            out,
            banner: String::new(),
            base: String::new(),
        };
        // The banner ends with the line about verifiers.
        loop {
            let line = p.line();
            p.banner.push_str(&line);
            p.banner.push('\n');
            if let Some(b) = line.strip_prefix("base URL:") {
                p.base = b.trim().to_string();
            }
            if line.starts_with("verifiers:") {
                break;
            }
        }
        p
    }

    /// The next line of stdout; the provider's stderr if it ended instead.
    fn line(&mut self) -> String {
        let mut line = String::new();
        if self.out.read_line(&mut line).unwrap() == 0 {
            let mut err = String::new();
            let _ = self.child.stderr.take().unwrap().read_to_string(&mut err);
            panic!(
                "mock-jira ended; stdout so far: {}\nstderr: {err}",
                self.banner
            );
        }
        line.trim_end().to_string()
    }

    /// The banner's value for `name:`.
    fn banner_value(&self, name: &str) -> String {
        self.banner
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {}", self.banner))
            .trim()
            .to_string()
    }

    /// The URL of the curl command printed for the next request token.
    fn approve_url(&mut self) -> String {
        loop {
            let line = self.line();
            if let Some(cmd) = line.trim_start().strip_prefix("curl -sSL ") {
                let url = cmd.trim_start_matches(|c| c != '\'');
                return url.trim_matches('\'').to_string();
            }
        }
    }

    /// Sends `sig` and waits for the exit.
    fn signal(mut self, sig: i32) -> (ExitStatus, String) {
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, sig) }, 0);
        let mut rest = String::new();
        self.out.read_to_string(&mut rest).unwrap();
        let status = self.child.wait().unwrap();
        (status, rest)
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The user's browser, or `curl -sSL`: follows JIRA's redirect to a
/// `login --listen` callback.
fn curl(url: &str) -> (u16, String) {
    let r = reqwest::blocking::get(url).unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

/// `jira-oauth` with nothing from the caller's environment but a config
/// folder of its own.
fn jira_oauth(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jira-oauth"))
        .env_clear()
        .env("HOME", config)
        .env("XDG_CONFIG_HOME", config)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: not JSON: {s}"))
}

/// The keys of a search answer's issues.
fn keys(v: &serde_json::Value) -> Vec<String> {
    v["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_string())
        .collect()
}

/// requestToken (oob, or with `callback`) through the binary: token, secret.
fn request_token(config: &Path, p: &mut Provider, callback: Option<&str>) -> (String, String) {
    let key = test_key();
    let mut args = vec!["requestToken", &p.base, "--format", "json"];
    if let Some(c) = callback {
        args.extend(["--callback", c]);
    }
    args.extend(["--private-key", key.to_str().unwrap()]);
    let v = json(&ok(&jira_oauth(config, &args)));
    let token = v["token"].as_str().unwrap().to_string();
    let secret = v["token_secret"].as_str().unwrap().to_string();
    (token, secret)
}

fn access_token(config: &Path, base: &str, token: &str, secret: &str, verifier: &str) -> Output {
    let key = test_key();
    jira_oauth(
        config,
        &[
            "accessToken",
            base,
            token,
            secret,
            verifier,
            "--format",
            "json",
            "--private-key",
            key.to_str().unwrap(),
        ],
    )
}

/// The oob dance through the binary, approved with the provider's curl
/// line; returns the access token.
fn dance(config: &Path, p: &mut Provider) -> String {
    let (token, secret) = request_token(config, p, None);
    let (status, page) = curl(&p.approve_url());
    assert_eq!(status, 200, "{page}");
    let verifier = page
        .split("<p id=\"verifier\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("no verifier in {page}"))
        .to_string();
    let out = access_token(config, &p.base, &token, &secret, &verifier);
    json(&ok(&out))["token"].as_str().unwrap().to_string()
}

#[test]
fn a_busy_port_is_one_line_and_exit_2() {
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port().to_string();
    let out = Command::new(mock_jira_exe())
        .args(["--port", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        format!(
            "mock-jira: error: port {port} on 127.0.0.1 is in use; \
             pick another with --port N (0: any free port)\n"
        )
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn ctrl_c_and_sigterm_remove_the_tls_folder() {
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let p = Provider::start(&["--tls"]);
        assert!(p.base.starts_with("https://127.0.0.1:"), "{}", p.banner);
        let ca_line = p.banner_value("CA file:");
        let ca = PathBuf::from(ca_line.split(" (").next().unwrap());
        let folder = ca.parent().unwrap().to_path_buf();
        assert!(ca.is_file(), "{}", ca.display());
        let (status, rest) = p.signal(sig);
        assert_eq!(status.code(), Some(code), "signal {sig}");
        assert_eq!(rest, "mock JIRA stopped\n");
        assert!(!folder.exists(), "{} left behind", folder.display());
    }
}

#[test]
fn the_help_names_every_option() {
    let out = Command::new(mock_jira_exe())
        .arg("--help")
        .output()
        .unwrap();
    let help = ok(&out);
    for opt in [
        "--port",
        "--tls",
        "--context",
        "--consumer-key",
        "--public-key",
        "--state",
    ] {
        assert!(help.contains(opt), "{opt} missing: {help}");
    }
    let bad = Command::new(mock_jira_exe())
        .arg("--nope")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).starts_with("mock-jira: error: unknown argument \"--nope\"\n"));
}

#[test]
fn search_honours_simple_jql_and_the_readme_issues_exist() {
    let config = tempfile::tempdir().unwrap();
    let config = config.path();
    let mut p = Provider::start(&[]);
    assert!(
        p.banner.contains("not for oob ones, as on JIRA"),
        "{}",
        p.banner
    );
    let token = dance(config, &mut p);
    let key = test_key();
    let key = key.to_str().unwrap();
    let search = format!("{}/rest/api/2/search", p.base);
    let run = |extra: &[&str]| {
        let mut args = vec!["request", "--private-key", key, &token];
        args.extend_from_slice(extra);
        jira_oauth(config, &args)
    };
    let found = |extra: &[&str]| keys(&json(&ok(&run(extra))));

    // The README's example, typed as it reads and with -q.
    let crash = r#"jql=project = HSP AND summary ~ "crash""#;
    assert_eq!(found(&[&search, "-q", crash]), ["HSP-2", "HSP-5"]);
    assert_eq!(found(&[&format!("{search}?{crash}")]), ["HSP-2", "HSP-5"]);
    assert_eq!(
        found(&[&search, "-q", "jql=project = HSP ORDER BY key DESC"]),
        ["HSP-7", "HSP-6", "HSP-5", "HSP-4", "HSP-3", "HSP-2", "HSP-1"]
    );

    // `+`, `&` and `#` in a value need -q; typed in the URL they are a
    // space, a parameter break and the fragment.
    assert_eq!(found(&[&search, "-q", r#"jql=summary ~ "C++""#]), ["HSP-2"]);
    let plus = found(&[&format!(r#"{search}?jql=summary ~ "C++""#)]);
    assert!(plus.is_empty(), "{plus:?}");
    assert_eq!(found(&[&search, "-q", r#"jql=summary ~ "R&D""#]), ["HSP-3"]);
    assert_eq!(
        found(&[&search, "-q", r##"jql=summary ~ "#42""##]),
        ["HSP-4"]
    );
    for typed in [r#"jql=summary ~ "R&D""#, r##"jql=summary ~ "#42""##] {
        let out = run(&[&format!("{search}?{typed}")]);
        assert_eq!(out.status.code(), Some(1), "{typed}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("Error in the JQL Query"),
            "{typed}: {}",
            text(&out.stderr)
        );
    }

    // JIRA's refusals, in its words.
    let nope = run(&[&search, "-q", "jql=project = NOPE"]);
    assert_eq!(nope.status.code(), Some(1));
    assert!(
        text(&nope.stderr).contains("The value 'NOPE' does not exist for the field 'project'."),
        "{}",
        text(&nope.stderr)
    );
    let op = run(&[&search, "-q", "jql=summary = crash"]);
    assert!(
        text(&op.stderr).contains("The operator '=' is not supported by the 'summary' field."),
        "{}",
        text(&op.stderr)
    );

    // The issues the README fetches, in the order given.
    let issue = |n: &str| format!("{}/rest/api/2/issue/{n}", p.base);
    let both = ok(&run(&["--parallel", "2", &issue("HSP-1"), &issue("HSP-2")]));
    let got: Vec<String> = both
        .lines()
        .map(|l| json(l)["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, ["HSP-1", "HSP-2"]);
    let missing = run(&[&issue("HSP-8")]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("Issue Does Not Exist"));
}

#[test]
fn state_keeps_tokens_across_restarts_and_callback_verifiers_are_checked() {
    let config = tempfile::tempdir().unwrap();
    let config = config.path();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("mock-jira.json");
    let state_arg = state.to_str().unwrap();
    let port = free_port().to_string();
    let args = ["--port", &port, "--state", state_arg];
    let key = test_key();
    let key = key.to_str().unwrap();

    let mut p = Provider::start(&args);
    assert!(p.banner.contains("(tokens kept: 0)"), "{}", p.banner);
    let access = dance(config, &mut p);
    // A 1.0a request token (with a callback), not yet approved.
    let callback = "http://127.0.0.1:9/cb";
    let (pending, pending_secret) = request_token(config, &mut p, Some(callback));
    let (status, _) = p.signal(libc::SIGTERM);
    assert_eq!(status.code(), Some(143));

    // One JSON file, owner-only, and no temporary file left beside it.
    let saved = json(&std::fs::read_to_string(&state).unwrap());
    let tokens = saved["tokens"].as_object().unwrap();
    assert_eq!(tokens.len(), 3, "{saved}");
    assert_eq!(tokens[&access]["kind"], "access");
    assert_eq!(tokens[&pending]["secret"], pending_secret.as_str());
    assert_eq!(tokens[&pending]["callback"], callback);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["mock-jira.json"]);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&state).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let p = Provider::start(&args);
    assert!(p.banner.contains("(tokens kept: 3)"), "{}", p.banner);
    // The access token still signs.
    let me = jira_oauth(
        config,
        &[
            "request",
            "--private-key",
            key,
            &access,
            &format!("{}/rest/api/2/myself", p.base),
        ],
    );
    assert_eq!(json(&ok(&me))["name"], "admin");

    // The pending token is approved after the restart: JIRA sends the
    // browser to its callback with the verifier.
    let approve = format!(
        "{}/plugins/servlet/oauth/authorize?oauth_token={pending}&approve=true",
        p.base
    );
    let no_redirect = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect.get(&approve).send().unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(callback), "{location}");
    let verifier = location
        .query_pairs()
        .find(|(n, _)| n == "oauth_verifier")
        .unwrap()
        .1
        .into_owned();

    // A 1.0a token's verifier is checked; the right one then works once.
    let wrong = access_token(config, &p.base, &pending, &pending_secret, "wrong");
    assert_eq!(wrong.status.code(), Some(4), "{}", text(&wrong.stderr));
    assert!(
        text(&wrong.stderr).contains("token_rejected"),
        "{}",
        text(&wrong.stderr)
    );
    let right = access_token(config, &p.base, &pending, &pending_secret, &verifier);
    ok(&right);
    let again = access_token(config, &p.base, &pending, &pending_secret, &verifier);
    assert_eq!(again.status.code(), Some(4));
}

#[test]
fn oob_verifiers_are_not_checked_as_on_jira() {
    let config = tempfile::tempdir().unwrap();
    let config = config.path();
    let mut p = Provider::start(&[]);
    let (token, secret) = request_token(config, &mut p, None);
    let (status, _) = curl(&p.approve_url());
    assert_eq!(status, 200);
    ok(&access_token(config, &p.base, &token, &secret, "anything"));
}

/// The README's "Try it without a JIRA", from an empty config folder, with
/// the binaries built: keygen, the provider, `login --listen` approved with
/// the provider's curl line, `request`, a restart with `--state`, `whoami`,
/// `logout`. Its wall time is printed (`--nocapture` shows it).
#[test]
fn the_readme_walk_through() {
    let exe = mock_jira_exe();
    let started = Instant::now();
    let home = tempfile::tempdir().unwrap();
    let xdg = home.path();
    let run = |args: &[&str]| jira_oauth(xdg, args);

    let keygen = ok(&run(&["keygen"]));
    assert!(keygen.contains("-----BEGIN PUBLIC KEY-----"), "{keygen}");
    let public = xdg.join("jira-oauth/public.pem");
    let state = xdg.join("mock-jira.json");
    let port = free_port().to_string();
    let provider_args = [
        "--port",
        &port,
        "--public-key",
        public.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ];
    let mut p = Provider::start(&provider_args);
    let base = p.base.clone();
    assert_eq!(base, format!("http://127.0.0.1:{port}"));

    let mut login = Command::new(env!("CARGO_BIN_EXE_jira-oauth"))
        .env_clear()
        .env("HOME", xdg)
        .env("XDG_CONFIG_HOME", xdg)
        .args(["login", &base, "--listen"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // login prints the authorize URL once it has the request token, which
    // the provider announced (with its curl line) before answering.
    let mut err = BufReader::new(login.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("/plugins/servlet/oauth/authorize?oauth_token=") {
        assert!(err.read_line(&mut seen).unwrap() > 0, "login ended: {seen}");
    }
    // The user runs the curl command the provider printed.
    let (status, page) = curl(&p.approve_url());
    assert_eq!(status, 200, "{page}");
    let status = login.wait().unwrap();
    err.read_to_string(&mut seen).unwrap();
    let mut stdout = String::new();
    login
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(status.success(), "{seen}");
    assert_eq!(
        stdout,
        format!("Logged in to {base} as Administrator (admin)\n")
    );

    let issue = json(&ok(&run(&["request", "/rest/api/2/issue/HSP-1"])));
    assert_eq!(issue["key"], "HSP-1");
    let two = ok(&run(&[
        "request",
        "--parallel",
        "2",
        "/rest/api/2/issue/HSP-1",
        "/rest/api/2/issue/HSP-2",
    ]));
    assert_eq!(two.lines().count(), 2);
    let found = ok(&run(&[
        "request",
        "/rest/api/2/search",
        "-q",
        r#"jql=project = HSP AND summary ~ "crash""#,
    ]));
    assert_eq!(keys(&json(&found)), ["HSP-2", "HSP-5"]);
    // The README shows this very output, and the provider's banner.
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .unwrap()
        .replace("http://127.0.0.1:8080", &base)
        .replace("/tmp/jira-oauth-demo", xdg.to_str().unwrap());
    assert!(readme.contains(found.trim_end()), "README lacks {found}");
    for line in p.banner.lines() {
        assert!(readme.contains(line), "README lacks {line:?}");
    }

    // Ctrl-C, and the same command again: the login still works.
    let (status, _) = p.signal(libc::SIGINT);
    assert_eq!(status.code(), Some(130));
    let p = Provider::start(&provider_args);
    assert!(p.banner.contains("(tokens kept: 2)"), "{}", p.banner);
    assert_eq!(
        ok(&run(&["whoami"])),
        format!("Logged in to {base} as Administrator (admin) with OAuth 1.0a\n")
    );
    ok(&run(&["logout", &base]));
    let (status, _) = p.signal(libc::SIGINT);
    assert_eq!(status.code(), Some(130));
    eprintln!(
        "README walk: {:.1} s wall time (provider {})",
        started.elapsed().as_secs_f64(),
        exe.display()
    );
}
