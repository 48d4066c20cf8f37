#!/usr/bin/env python3
"""Interop suite: `jira-oauth sign` against oauthlib, an independent
implementation of RFC 5849.

For thousands of generated requests (property-based, with hypothesis,
derandomized so every run draws the same cases) it checks that

- `jira-oauth sign --base-string` prints oauthlib's signature base string
  (RFC 5849 section 3.4.1), and
- `jira-oauth sign` prints an Authorization header (section 3.5.1) whose
  parameters are the protocol parameters given and whose oauth_signature is
  oauthlib's, for HMAC-SHA1, HMAC-SHA256, RSA-SHA1, RSA-SHA256 and PLAINTEXT
  (the last over https only: the binary refuses it over http, which is
  checked too).

Run from the repository root, with oauthlib and hypothesis installed
(.ci/run makes the virtual environment):

    .venv/bin/python tests/interop/interop.py [--binary PATH] [--examples N]

The cases are first drawn, then run through the binary in parallel. When
one disagrees, the cases are drawn again one by one with the check inside
hypothesis, so that it shrinks the disagreement to a minimal example.

Like for like with oauthlib 4.0.1 (see also tests/vectors/generate.py):
- Expected values are built section by section (base_string_uri,
  collect_parameters, normalize_parameters, signature_base_string,
  sign_*_with_client). The protocol parameters go in as an Authorization
  header: collect_parameters decodes oauth_* values from the query or the
  body a second time, so generated query and body names never start with
  oauth_.
- oauthlib's urldecode refuses raw spaces, quotes, brackets and non-ASCII
  in a query or a form body, and a '%' without two hex digits; generated
  queries and bodies percent-encode those (in upper or lower case hex, a
  space as %20 or '+').
- Paths hold unreserved characters, sub-delims and %XX escapes, and no
  dot segments: oauthlib keeps a path as given, while a URL parser (ours,
  and the server's) resolves '.' and '..'.
- Host names start with a letter: a URL parser (WHATWG's, which ours
  follows, as does the connection) reads a numeric last label as IPv4
  shorthand, so http://0 and http://0x are http://0.0.0.0, where oauthlib
  keeps "0"; ours signs the host that is connected to and sent in Host.
- oauthlib's Client leaves out an oauth_token, oauth_callback or
  oauth_verifier whose value is empty; the binary sends what it is given,
  so the Client.sign cross-check skips those cases.
- Tokens have no surrounding white space: the binary trims a token as
  typed (a pasted token's stray space or line end), the same rule for
  every command, so generated tokens are drawn without it.
- A JSON body is not signed (section 3.4.1.3.1); oauthlib's Client would
  add oauth_body_hash to it, so the end-to-end Client.sign cross-check only
  runs for requests without a JSON body.

What JIRA verifies, where it differs from oauthlib: oauthlib signs a form
body's fields on every method, as section 3.4.1.3.1 says, but JIRA's servlet
container (Tomcat, parseBodyMethods = POST) reads form parameters from POST
bodies only, so JIRA's base string for a PUT, PATCH or DELETE lacks them, and
the binary signs them on POST alone. For other methods with a form body, the
expected base string and signature are oauthlib's for the same request
without the body's fields.
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849 import parameters, signature, utils

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KEY_PATH = os.path.join(ROOT, "tests", "data", "consumer.pem")
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

SIGNERS = {
    "RSA-SHA1": signature.sign_rsa_sha1_with_client,
    "RSA-SHA256": signature.sign_rsa_sha256_with_client,
    "HMAC-SHA1": signature.sign_hmac_sha1_with_client,
    "HMAC-SHA256": signature.sign_hmac_sha256_with_client,
    "PLAINTEXT": signature.sign_plaintext_with_client,
}

UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
# Characters oauthlib's urldecode takes raw in a query or a form body,
# beside the unreserved ones ('=', '&' and '%' are structure here).
QUERY_RAW = ":/?@!$'()*,;"
PATH_RAW = "!$&'()*+,;=:@"

# Text for names and values: any character a command line can carry.
TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="\x00"),
    max_size=12,
)
# Mostly ASCII with the characters that matter to encoding, some of anything.
INTERESTING = st.text(alphabet=st.sampled_from(UNRESERVED + " +%&=;#?/\"'<>[]\\^`{|}é€日😀"), max_size=12)
VALUE = st.one_of(INTERESTING, TEXT)


def nonblank(s):
    return s.strip() != ""


@st.composite
def encoded(draw, text):
    """`text` percent-encoded as a form does, with the choices a real
    client might make: raw where allowed, hex in either case, '+' or %20."""
    out = []
    for ch in text:
        if ch in UNRESERVED:
            out.append(ch)
        elif ch in QUERY_RAW and draw(st.booleans()):
            out.append(ch)
        elif ch == " " and draw(st.booleans()):
            out.append("+")
        else:
            lower = draw(st.booleans())
            for b in ch.encode("utf-8"):
                h = f"%{b:02X}"
                out.append(h.lower() if lower else h)
    return "".join(out)


@st.composite
def form(draw, names):
    """A form-encoded string: pairs, repeated names, empty values, names
    without '=', stray '&'."""
    pieces = []
    for _ in range(draw(st.integers(0, 5))):
        name = draw(names)
        piece = draw(encoded(name))
        kind = draw(st.sampled_from(["value", "value", "empty", "bare"]))
        if kind == "value":
            piece += "=" + draw(encoded(draw(VALUE)))
        elif kind == "empty":
            piece += "="
        elif piece == "":
            continue
        pieces.append(piece)
        if draw(st.integers(0, 9)) == 0:
            pieces.append("")
    return "&".join(pieces)


# Few distinct names, so that names repeat; none starts with oauth_.
NAMES = st.one_of(
    st.sampled_from(["jql", "a", "A", "b", "fields", "expand", "startAt", "a b", "c+d", "é", ""]),
    TEXT.filter(lambda s: not s.startswith("oauth_")),
)


@st.composite
def host(draw):
    kind = draw(st.sampled_from(["name", "name", "name", "ipv4", "ipv6"]))
    if kind == "ipv4":
        return ".".join(str(draw(st.integers(0, 255))) for _ in range(4))
    if kind == "ipv6":
        return draw(st.sampled_from(["[::1]", "[2001:DB8::7]", "[fe80::1:2]"]))
    label = st.text(alphabet=st.sampled_from("abcxyzJIRAEXMPL0129"), min_size=1, max_size=8)
    labels = draw(st.lists(label, min_size=1, max_size=3))
    # A URL parser (WHATWG's, ours) reads a numeric last label as IPv4
    # shorthand (http://0 and http://0x are 0.0.0.0), and so does the wire;
    # oauthlib does not.
    labels[-1] = "h" + labels[-1]
    return ".".join(labels) + draw(st.sampled_from(["", ".com", ".Example.COM", ".net"]))


@st.composite
def path(draw):
    segment_char = st.one_of(
        st.sampled_from(UNRESERVED + PATH_RAW),
        st.integers(0, 255).map(lambda b: f"%{b:02X}"),
        st.integers(0, 255).map(lambda b: f"%{b:02x}"),
    )
    segment = st.lists(segment_char, max_size=8).map("".join).filter(
        lambda s: s.replace("%2E", ".").replace("%2e", ".").strip(".") != ""
    )
    context = draw(st.sampled_from(["", "", "/jira", "/JIRA/sub"]))
    rest = draw(
        st.one_of(
            st.sampled_from(
                [
                    "",
                    "/",
                    "/rest/api/2/myself",
                    "/rest/api/2/search",
                    "/plugins/servlet/oauth/request-token",
                    "/plugins/servlet/oauth/access-token",
                ]
            ),
            st.lists(segment, min_size=1, max_size=4).map(lambda s: "/" + "/".join(s)),
        )
    )
    trailing = draw(st.sampled_from(["", "", "/"])) if rest else ""
    return context + rest + trailing


@st.composite
def case(draw):
    method = draw(st.sampled_from(list(SIGNERS)))
    http_method = draw(st.sampled_from(["GET", "GET", "POST", "PUT", "DELETE"]))
    scheme = "https" if method == "PLAINTEXT" else draw(st.sampled_from(["http", "https", "HTTPS"]))
    h = draw(host())
    port = draw(
        st.one_of(
            st.none(),
            st.just(80 if scheme == "http" else 443),
            st.sampled_from([80, 443, 8080, 2990]),
            st.integers(1, 65535),
        )
    )
    url = f"{scheme}://{h}" + (f":{port}" if port is not None else "") + draw(path())
    query = draw(st.one_of(st.none(), form(NAMES)))
    if query is not None:
        url += "?" + query
    if draw(st.booleans()):
        url += "#" + draw(st.sampled_from(["", "frag", "a=b"]))

    content_type = body = None
    if http_method != "GET" and draw(st.integers(0, 2)) > 0:
        content_type = draw(st.sampled_from([FORM, FORM, FORM + "; charset=UTF-8", JSON]))
        if content_type == JSON:
            body = draw(st.sampled_from(['{"a":"b=c&d"}', "a=1&b=2", "[]"]))
        else:
            body = draw(form(NAMES))

    secrets = draw(st.tuples(VALUE, VALUE)) if not method.startswith("RSA") else ("", "")
    return {
        "signature_method": method,
        "method": http_method,
        "url": url,
        "content_type": content_type,
        "body": body,
        "consumer_key": draw(st.one_of(st.sampled_from(["hardcoded-consumer", "OauthKey"]), VALUE)),
        "token": draw(st.one_of(st.none(), VALUE.filter(nonblank).map(str.strip))),
        "callback": draw(st.one_of(st.none(), st.just("oob"), st.just("https://app.example/cb?x=1&y=a b"), VALUE)),
        "verifier": draw(st.one_of(st.none(), VALUE)),
        "nonce": draw(st.one_of(st.text(alphabet=UNRESERVED, min_size=1, max_size=32), VALUE.filter(nonblank))),
        "timestamp": draw(st.integers(0, 2**32)),
        "consumer_secret": secrets[0],
        "token_secret": secrets[1],
    }


# What oauthlib says.

def protocol_params(c):
    """The protocol parameters of RFC 5849 section 3.1, as the binary adds them."""
    p = []
    if c["callback"] is not None:
        p.append(("oauth_callback", c["callback"]))
    p.append(("oauth_consumer_key", c["consumer_key"]))
    p.append(("oauth_nonce", c["nonce"]))
    p.append(("oauth_signature_method", c["signature_method"]))
    p.append(("oauth_timestamp", str(c["timestamp"])))
    if c["token"] is not None:
        p.append(("oauth_token", c["token"]))
    if c["verifier"] is not None:
        p.append(("oauth_verifier", c["verifier"]))
    p.append(("oauth_version", "1.0"))
    return p


def is_form(c):
    return c["content_type"] is not None and c["content_type"].split(";")[0].strip() == FORM


def signed_form(c):
    """The form body whose fields JIRA verifies: a POST's only (see above)."""
    return c["body"] if is_form(c) and c["method"] == "POST" else None


def expected(c, rsa_key):
    headers = parameters.prepare_headers(protocol_params(c))
    url = c["url"].split("#")[0]
    collected = signature.collect_parameters(
        uri_query=urllib.parse.urlparse(url).query,
        body=signed_form(c),
        headers=headers,
    )
    normalized = signature.normalize_parameters(collected)
    base = signature.signature_base_string(c["method"], signature.base_string_uri(url), normalized)
    client = Client(
        c["consumer_key"],
        client_secret=c["consumer_secret"],
        resource_owner_secret=c["token_secret"],
        rsa_key=rsa_key,
    )
    return base, SIGNERS[c["signature_method"]](base, client)


def client_sign(c, rsa_key):
    """oauthlib end to end (Client.sign, header placement): its
    oauth_signature, or None where Client.sign does not apply."""
    if c["content_type"] == JSON or (c["body"] is not None and c["method"] == "GET"):
        return None
    if c["content_type"] not in (None, FORM):
        return None
    if "" in (c["token"], c["callback"], c["verifier"]):
        # Client leaves out a protocol parameter whose value is empty.
        return None
    client = Client(
        c["consumer_key"],
        client_secret=c["consumer_secret"],
        resource_owner_key=c["token"],
        resource_owner_secret=c["token_secret"],
        callback_uri=c["callback"],
        signature_method=c["signature_method"],
        rsa_key=rsa_key if c["signature_method"].startswith("RSA") else None,
        verifier=c["verifier"],
        nonce=c["nonce"],
        timestamp=str(c["timestamp"]),
    )
    body = c["body"]
    headers = {"Content-Type": c["content_type"]} if c["content_type"] else None
    if is_form(c) and signed_form(c) is None:
        # JIRA's rule: the same request without the body's fields.
        body = headers = None
    _, headers, _ = client.sign(c["url"].split("#")[0], c["method"], body, headers)
    got = utils.parse_authorization_header(headers["Authorization"])
    return dict((k, utils.unescape(v)) for k, v in got)["oauth_signature"]


# What the binary says.

class Binary:
    def __init__(self, path):
        self.path = path
        self.home = tempfile.mkdtemp(prefix="jira-oauth-interop-")
        # A copy only its owner can read, so that no run warns about the mode.
        self.key = os.path.join(self.home, "consumer.pem")
        with open(KEY_PATH, "rb") as src:
            fd = os.open(self.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as dst:
                dst.write(src.read())
        self.env = {"HOME": self.home, "XDG_CONFIG_HOME": os.path.join(self.home, "config"), "LANG": "C.UTF-8"}

    def sign(self, c, base_string):
        args = [
            self.path,
            f"--private-key={self.key}",
            f"--signature-method={c['signature_method']}",
            f"--consumer-key={c['consumer_key']}",
            "sign",
            f"--timestamp={c['timestamp']}",
            f"--nonce={c['nonce']}",
        ]
        if not c["signature_method"].startswith("RSA"):
            args.append(f"--consumer-secret={c['consumer_secret']}")
            args.append(f"--token-secret={c['token_secret']}")
        for name in ("token", "callback", "verifier"):
            if c[name] is not None:
                args.append(f"--{name}={c[name]}")
        if c["body"] is not None:
            args.append(f"--data={c['body']}")
            args.append(f"--content-type={c['content_type']}")
        if base_string:
            args.append("--base-string")
        args += ["--", c["method"], c["url"]]
        p = subprocess.run(args, env=self.env, capture_output=True)
        return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")


def parse_header(value):
    assert value.startswith("OAuth "), value
    return [(k, utils.unescape(v)) for k, v in utils.parse_authorization_header(value)]


def disagreement(c, binary, rsa_key):
    """None when the binary and oauthlib agree on case `c`, else why not."""
    base, sig = expected(c, rsa_key)
    code, out, err = binary.sign(c, base_string=True)
    if code != 0:
        return f"sign --base-string failed ({code}): {err.strip()}"
    if out != base + "\n":
        return f"base string:\n  ours     {out.rstrip()}\n  oauthlib {base}"
    code, out, err = binary.sign(c, base_string=False)
    if code != 0:
        return f"sign failed ({code}): {err.strip()}"
    got = parse_header(out.rstrip("\n"))
    want = protocol_params(c) + [("oauth_signature", sig)]
    if sorted(got) != sorted(want):
        return f"Authorization header:\n  ours     {sorted(got)}\n  oauthlib {sorted(want)}"
    end_to_end = client_sign(c, rsa_key)
    if end_to_end is not None and end_to_end != sig:
        return f"oauthlib's Client.sign gave {end_to_end!r}, its sections {sig!r}"
    return None


def plaintext_over_http_is_refused(binary):
    c = {
        "signature_method": "PLAINTEXT", "method": "GET", "url": "http://jira.example.com/x",
        "content_type": None, "body": None, "consumer_key": "k", "token": None, "callback": None,
        "verifier": None, "nonce": "n", "timestamp": 1, "consumer_secret": "cs", "token_secret": "",
    }
    code, out, err = binary.sign(c, base_string=False)
    assert code == 2 and out == "" and "PLAINTEXT" in err, (code, out, err)


def run_settings(examples):
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.environ.get("JIRA_OAUTH_BIN", os.path.join(ROOT, "target", "release", "jira-oauth")))
    ap.add_argument("--examples", type=int, default=int(os.environ.get("INTEROP_EXAMPLES", "2500")))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    started = time.monotonic()
    binary = Binary(args.binary)
    with open(KEY_PATH, "rb") as f:
        # Parsed once: oauthlib takes a key object as well as PEM text.
        rsa_key = load_pem_private_key(f.read(), password=None)

    cases = []

    @run_settings(args.examples)
    @given(case())
    def draw(c):
        cases.append(c)

    draw()
    plaintext_over_http_is_refused(binary)

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda c: disagreement(c, binary, rsa_key), cases))
    failed = [(c, r) for c, r in zip(cases, results) if r is not None]
    by_method = {}
    for c in cases:
        by_method[c["signature_method"]] = by_method.get(c["signature_method"], 0) + 1
    elapsed = time.monotonic() - started
    counts = ", ".join(f"{m} {n}" for m, n in sorted(by_method.items()))
    print(f"interop: {len(cases)} cases ({counts}), {2 * len(cases) + 1} runs of the binary, "
          f"{len(cases) - len(failed)} agree with oauthlib, {elapsed:.1f} s")
    if not failed:
        return 0
    for c, why in failed[:5]:
        print(f"\nDISAGREES: {c!r}\n{why}", file=sys.stderr)
    print(f"\n{len(failed)} cases disagree; shrinking the first with hypothesis:", file=sys.stderr)

    @run_settings(args.examples)
    @given(case())
    def check(c):
        why = disagreement(c, binary, rsa_key)
        assert why is None, why

    try:
        check()
    except AssertionError as e:
        print(f"minimal disagreement: {e}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
