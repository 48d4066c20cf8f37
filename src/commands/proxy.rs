//! `proxy [JIRA_BASE_URL]`: the settings resolved, the gate's token found,
//! then the server (`crate::proxy`) runs until SIGINT or SIGTERM.

use crate::cli::{Global, ProxyArgs};
use crate::config::{Config, TokenWant, Wants};
use crate::error::{Error, Result};
use crate::proxy::{self, gate, Settings};

pub fn run(g: &Global, a: &ProxyArgs) -> Result<()> {
    let listen = proxy::parse_listen(&a.listen)?;
    let loopback = listen.ip().is_loopback();
    if !loopback && !a.allow_remote {
        return Err(Error::usage(format!(
            "--listen {listen} is reachable from other machines"
        ))
        .with_hint("add --allow-remote if that is meant, or listen on 127.0.0.1"));
    }
    if a.no_proxy_auth && !loopback {
        return Err(Error::usage(
            "--no-proxy-auth is for loopback only: anyone who reaches the port would use the login",
        ));
    }
    if a.max_connections == 0 {
        return Err(Error::usage("--max-connections must be at least 1"));
    }
    let config = Config::resolve(
        g,
        Wants {
            base: a.jira_base_url.as_deref(),
            targets: &[],
            token: TokenWant::Required(None),
            needs_base: true,
            bearer: true,
        },
    )?;
    let base = config.base()?.to_string();
    let client = config.client()?;
    let template = config.call(reqwest::Method::GET, crate::urls::parse(&base)?);
    let token = if a.no_proxy_auth {
        crate::warn(
            "--no-proxy-auth: any program on this machine can use the login through the proxy",
        );
        None
    } else {
        Some(gate::load(a.proxy_token_file.as_deref())?)
    };
    let announce = match &token {
        Some((t, gate::Source::Generated)) => {
            format!("Proxy token (shown once): {t}")
        }
        Some((_, gate::Source::File(p))) => format!("Proxy token: in {}", p.display()),
        Some((_, gate::Source::Env)) => "Proxy token: from JIRA_OAUTH_PROXY_TOKEN".to_string(),
        None => String::new(),
    };
    let settings = Settings {
        listen,
        token: token.map(|(t, _)| t),
        rewrite: !a.no_rewrite_links,
        max_connections: a.max_connections,
    };
    proxy::serve(client, template, &base, settings, |url| {
        if !announce.is_empty() {
            proxy::log_line(&announce);
        }
        proxy::log_line(&format!("Proxy for {base} on {url}"));
    })
}
