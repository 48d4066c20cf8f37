#!/bin/sh
# Regenerates the key fixtures of tests/keys.rs (see tests/data/README.md).
# Needs openssl 3; ssh-keygen is optional (the OpenSSH fixture is skipped without it).
set -eu
exec 3>&2 2>/dev/null  # openssl's key generation progress dots
cd "$(dirname "$0")"
rm -f ./*.pem ./*.der ./*.b64 ./*.key

# The RSA-2048 pair every accepted form is made from.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pkcs8.pem
openssl pkey -in rsa.pkcs8.pem -pubout -out public.pem
openssl pkey -in rsa.pkcs8.pem -traditional -out rsa.pkcs1.pem
openssl pkcs8 -topk8 -v2 aes-256-cbc -passout 'pass:correct horse' \
    -in rsa.pkcs8.pem -out rsa.encrypted.pem
# (openssl pkey writes RSA DER as PKCS#1, so PKCS#8 DER comes from pkcs8 -topk8.)
openssl pkcs8 -topk8 -nocrypt -in rsa.pkcs8.pem -outform DER -out rsa.pkcs8.der
openssl rsa -in rsa.pkcs8.pem -traditional -outform DER -out rsa.pkcs1.der
openssl base64 -A -in rsa.pkcs8.der -out rsa.pkcs8.b64
echo >> rsa.pkcs8.b64
openssl base64 -in rsa.pkcs8.der -out rsa.wrapped.b64
# CRLF line endings and text around the block, as mail and Windows editors leave them.
{ printf 'Bag Attributes\r\n    friendlyName: consumer\r\n'; sed 's/$/\r/' rsa.pkcs8.pem; printf 'trailing notes\r\n'; } > rsa.crlf.pem

# Refused forms: a small RSA key where only the label matters.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out small.pkcs8.pem
openssl pkey -in small.pkcs8.pem -traditional -aes256 -passout 'pass:correct horse' -out rsa.legacy-encrypted.pem
openssl rsa -in rsa.pkcs8.pem -RSAPublicKey_out -out public.pkcs1.pem
openssl req -x509 -new -key small.pkcs8.pem -subj /CN=jira-oauth-test -days 3650 -out cert.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pkcs8.pem
openssl ec -in ec.pkcs8.pem -out ec.sec1.pem
openssl dsaparam -genkey -noout -out dsa.pkcs8.pem 1024
openssl pkey -in dsa.pkcs8.pem -traditional -out dsa.pem
openssl genpkey -algorithm ED25519 -out ed25519.pem
rm small.pkcs8.pem

if command -v ssh-keygen >/dev/null 2>&1; then
    ssh-keygen -q -t rsa -b 1024 -N '' -C jira-oauth-test -f openssh.key
    mv openssh.key.pub openssh.pub
else
    echo "ssh-keygen not found: skipping the OpenSSH fixtures" >&3
fi
