"""The same URLs through Python's requests-oauthlib, RSA-SHA1, one session.

Usage: oauth1_loop.py KEY_FILE TOKEN URL_FILE
"""
import sys

from oauthlib.oauth1 import SIGNATURE_RSA
from requests_oauthlib import OAuth1Session

key = open(sys.argv[1]).read()
session = OAuth1Session(
    "hardcoded-consumer",
    signature_method=SIGNATURE_RSA,
    rsa_key=key,
    resource_owner_key=sys.argv[2],
)
for url in open(sys.argv[3]).read().split():
    r = session.get(url)
    r.raise_for_status()
    sys.stdout.buffer.write(r.content)
