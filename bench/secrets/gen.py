#!/usr/bin/env python3
"""Generates the secrets benchmark corpus: one sample per file, from the vendors' documented
token formats (prefix, alphabet, length, checksum), in the places secrets are written (.env,
YAML, JSON, source assignments, URLs, one-line PEM in JSON), beside false samples (placeholders,
the example values vendors document, hashes, UUIDs, base64 blobs, test keys).

    python3 bench/secrets/gen.py OUT_DIR [--seed N] [--rounds N]

Writes OUT_DIR/<family>/<true|false>/<n>/<file> and OUT_DIR/manifest.json. Deterministic for a
seed. Nothing here is a real credential: every value is random or a documented example.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import string
import uuid
import zlib

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B64 = string.ascii_letters + string.digits + "+/"
B64U = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
UPNUM = string.ascii_uppercase + string.digits


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def s(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def b62(self, n, width=6):
        out = ""
        while n:
            n, d = divmod(n, 62)
            out = B62[d] + out
        return out.rjust(width, "0")

    def b36(self, n, width=1):
        d = "0123456789abcdefghijklmnopqrstuvwxyz"
        out = ""
        while n:
            n, k = divmod(n, 36)
            out = d[k] + out
        return (out or "0").rjust(width, "0")

    # --- token formats, as the vendors document them
    def github(self, prefix, n=36):
        body = self.s(ALNUM, n - 6)
        return f"{prefix}_{body}{self.b62(zlib.crc32(body.encode()))}"

    def github_pat(self):
        return "github_pat_11" + self.s(UPNUM, 20) + "_" + self.s(ALNUM, 59)

    def gitlab_routable(self, prefix):
        payload = f"o:{self.b36(self.r.randint(1, 10**6))}\nu:{self.b36(self.r.randint(1, 10**7))}"
        raw = self.r.randbytes(16) + payload.encode() + bytes([len(payload)])
        p = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        head = f"{prefix}{p}.01.{self.b36(len(p), 2)}"
        return head + self.b36(zlib.crc32(head.encode()), 7)

    def jwt(self, payload):
        enc = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
        h = enc(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        p = enc(json.dumps(payload, separators=(",", ":")).encode())
        sig = enc(hmac.new(self.r.randbytes(32), f"{h}.{p}".encode(), hashlib.sha256).digest())
        return f"{h}.{p}.{sig}"

    def pypi(self, host="pypi.org"):
        loc = host.encode()
        ident = str(uuid.UUID(int=self.r.getrandbits(128), version=4)).encode()
        caveat = json.dumps({"version": 1, "permissions": "user"}).encode()
        mac = (b"\x02\x01" + bytes([len(loc)]) + loc + b"\x02" + bytes([len(ident)]) + ident
               + b"\x00\x02" + bytes([len(caveat)]) + caveat + b"\x00\x00\x06\x20" + self.r.randbytes(32))
        return "pypi-" + base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def pem(self, label, header_b64, lines=4, sep="\n"):
        body = header_b64 + self.s(B64, 64 * lines - len(header_b64))
        rows = [body[i:i + 64] for i in range(0, len(body), 64)]
        return f"-----BEGIN {label}-----{sep}" + sep.join(rows) + f"{sep}-----END {label}-----"

    def uuid4(self):
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))


# Where a value is written: (file name, text) for a variable name and value.
def contexts(g, name, value):
    camel = name.lower().split("_")[0] + "".join(w.title() for w in name.lower().split("_")[1:])
    return [
        (".env", f"{name}={value}\n"),
        ("config/app.yaml", f"service:\n  {name.lower()}: {value}\n"),
        ("config/app.json", json.dumps({"service": {camel: value}}, indent=2) + "\n"),
        ("src/settings.py", f'{name} = "{value}"\n'),
        ("src/client.js", f'const {camel} = "{value}";\nmodule.exports = {{ {camel} }};\n'),
        ("cmd/main.go", f'package main\n\nconst {camel} = "{value}"\n'),
    ]


def true_samples(g):
    """(family, name, value) triples of real-shaped secrets; values are random."""
    f = []
    add = lambda fam, name, value: f.append((fam, name, value))
    add("aws", "AWS_ACCESS_KEY_ID", "AKIA" + g.s(B32, 16))
    add("aws", "AWS_ACCESS_KEY_ID", "ASIA" + g.s(B32, 16))
    add("aws", "AWS_SECRET_ACCESS_KEY", g.s(B64, 40))
    add("github", "GITHUB_TOKEN", g.github("ghp"))
    add("github", "GH_OAUTH_TOKEN", g.github("gho"))
    add("github", "GITHUB_TOKEN", g.github("ghs"))
    add("github", "GITHUB_TOKEN", g.github_pat())
    add("gitlab", "GITLAB_TOKEN", "glpat-" + g.s(ALNUM + "-_", 20))
    add("gitlab", "GITLAB_TOKEN", g.gitlab_routable("glpat-"))
    add("gitlab", "CI_DEPLOY_TOKEN", "gldt-" + g.s(ALNUM, 20))
    add("gitlab", "RUNNER_TOKEN", "glrt-" + g.s(ALNUM + "-_", 20))
    add("gitlab", "REGISTRATION_TOKEN", "GR1348941" + g.s(ALNUM, 20))
    add("slack", "SLACK_BOT_TOKEN",
        f"xoxb-{g.r.randint(10**11, 10**12)}-{g.r.randint(10**12, 10**13)}-{g.s(ALNUM, 24)}")
    add("slack", "SLACK_USER_TOKEN",
        f"xoxp-{g.r.randint(10**11, 10**12)}-{g.r.randint(10**11, 10**12)}-{g.r.randint(10**12, 10**13)}-{g.s(HEX, 32)}")
    add("slack", "SLACK_APP_TOKEN",
        f"xapp-1-A{g.s(UPNUM, 10)}-{g.r.randint(10**12, 10**13)}-{g.s(HEX, 64)}")
    add("slack", "SLACK_WEBHOOK_URL",
        f"https://hooks.slack.com/services/T{g.s(UPNUM, 8)}/B{g.s(UPNUM, 10)}/{g.s(ALNUM, 24)}")
    add("stripe", "STRIPE_SECRET_KEY", "sk_live_51" + g.s(ALNUM, 97))
    add("stripe", "STRIPE_RESTRICTED_KEY", "rk_live_" + g.s(ALNUM, 24))
    add("stripe", "STRIPE_WEBHOOK_SECRET", "whsec_" + g.s(ALNUM, 32))
    add("google", "GOOGLE_API_KEY", "AIzaSy" + g.s(ALNUM + "-_", 33))
    add("google", "GOOGLE_CLIENT_SECRET", "GOCSPX-" + g.s(ALNUM + "-_", 28))
    add("npm", "NPM_TOKEN", g.github("npm"))
    add("pypi", "PYPI_TOKEN", g.pypi())
    add("pypi", "TEST_PYPI_TOKEN", g.pypi("test.pypi.org"))
    add("openai", "OPENAI_API_KEY", "sk-proj-" + g.s(ALNUM + "-_", 74) + "T3BlbkFJ" + g.s(ALNUM + "-_", 74))
    add("anthropic", "ANTHROPIC_API_KEY", "sk-ant-api03-" + g.s(ALNUM + "-_", 93) + "AA")
    add("sendgrid", "SENDGRID_API_KEY", "SG." + g.s(B64U, 22) + "." + g.s(B64U, 43))
    add("twilio", "TWILIO_API_KEY", "SK" + g.s(HEX, 32))
    add("mailgun", "MAILGUN_API_KEY", "key-" + g.s(HEX, 32))
    add("heroku", "HEROKU_API_KEY", "HRKU-AA" + g.s(ALNUM + "-_", 58))
    add("digitalocean", "DIGITALOCEAN_TOKEN", "dop_v1_" + g.s(HEX, 64))
    add("shopify", "SHOPIFY_ACCESS_TOKEN", "shpat_" + g.s(HEX, 32))
    add("huggingface", "HF_TOKEN", "hf_" + g.s(string.ascii_letters, 34))
    add("databricks", "DATABRICKS_TOKEN", "dapi" + g.s(HEX, 32))
    return f


def true_files(g):
    """(family, file, text): each true value in one context, plus the forms that are not a
    `NAME=value` line (URLs, key files, one-line PEM in JSON, connection strings, Kubernetes)."""
    out = []
    for i, (fam, name, value) in enumerate(true_samples(g)):
        ctx = contexts(g, name, value)
        path, text = ctx[(i + g.r.randint(0, 5)) % len(ctx)]
        out.append((fam, path, text))
    rsa = g.pem("RSA PRIVATE KEY", "MIIEowIBAAKCAQEA")
    out.append(("private-key", "deploy/id_rsa", rsa + "\n"))
    out.append(("private-key", "config/sa.json", json.dumps({
        "type": "service_account", "project_id": "shop-prod",
        "private_key_id": g.s(HEX, 40),
        "private_key": g.pem("PRIVATE KEY", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", 3) + "\n",
        "client_email": "deploy@shop-prod.iam.gserviceaccount.com"}) + "\n"))
    out.append(("private-key", ".env", "JWT_PRIVATE_KEY=\"" + g.pem("PRIVATE KEY", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", 3, sep="\\n") + "\"\n"))
    out.append(("private-key", "config/ssh.yaml", "deploy_key: |\n  " + g.pem("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ", 3, sep="\n  ") + "\n"))
    acct = "acct" + g.s("abcdefghijklmnopqrstuvwxyz0123456789", 8)
    out.append(("azure", "config/storage.env",
                f"AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName={acct};AccountKey={base64.b64encode(g.r.randbytes(64)).decode()};EndpointSuffix=core.windows.net\n"))
    sig = base64.b64encode(g.r.randbytes(32)).decode().replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    out.append(("azure", "src/report.py",
                f'URL = "https://{acct}.blob.core.windows.net/data/r.csv?sp=r&st=2026-05-01T08:00:00Z&se=2027-05-01T16:00:00Z&spr=https&sv=2022-11-02&sr=b&sig={sig}"\n'))
    out.append(("azure", ".env", "AZURE_CLIENT_SECRET=" + g.s(ALNUM + "_~.-", 3) + "8Q~" + g.s(ALNUM + "_~.-", 34) + "\n"))
    out.append(("kubernetes", "deploy/secret.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n  password: "
                + base64.b64encode(g.s(ALNUM + "!@#%", 24).encode()).decode() + "\n"))
    out.append(("twilio", "src/sms.py", f'TWILIO_ACCOUNT_SID = "AC{g.s(HEX, 32)}"\nTWILIO_AUTH_TOKEN = "{g.s(HEX, 32)}"\n'))
    out.append(("jwt", "src/api.js",
                f'const serviceToken = "{g.jwt({"sub": "svc-" + g.s(HEX, 8), "role": "service_role", "iat": 1767225600})}";\n'))
    out.append(("generic", "config/database.yml", f"production:\n  password: {g.s(ALNUM, 14)}9%{g.s(ALNUM, 5)}\n"))
    out.append(("generic", "src/config.py", f'API_SECRET = "{g.s(ALNUM, 40)}"\n'))
    return out


def false_files(g):
    """(family, file, text): placeholders, documented examples, non-secrets that look random."""
    out = []
    add = lambda fam, path, text: out.append((fam, path, text))
    add("aws", ".env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
    add("aws", "config/app.yaml", "aws_access_key_id: AKIAXXXXXXXXXXXXXXXX\n")
    add("aws", "src/settings.py", 'AWS_ACCESS_KEY_ID = "<your-access-key-id>"\n')
    add("github", ".env", "GITHUB_TOKEN=ghp_" + "x" * 36 + "\n")
    add("github", "docs/api.md", "curl -H 'Authorization: token gho_16C7e42F292c6912E7710c838347Ae178B4a' https://api.github.com\n")
    add("github", "src/client.js", 'const token = process.env.GITHUB_TOKEN || "ghp_YOUR_TOKEN_HERE";\n')
    add("github", "config/app.json", json.dumps({"token": "ghp_" + "0" * 36}) + "\n")
    add("gitlab", ".env", "GITLAB_TOKEN=glpat-XXXXXXXXXXXXXXXXXXXX\n")
    add("gitlab", "config/app.yaml", "gitlab_token: glpat-<your_access_token>\n")
    add("slack", ".env", "SLACK_BOT_TOKEN=xoxb-XXXXXXXXXXXX-XXXXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX\n")
    add("slack", "config/app.yaml", "webhook: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\n")
    add("slack", "web/index.html", '<img src="https://cdn.example.com/a-xoxo-b-1234567890-avatar.png">\n')
    add("stripe", ".env", "STRIPE_SECRET_KEY=sk_test_" + g.s(ALNUM, 24) + "\n")
    add("github", "tests/fixtures/auth.json", json.dumps({"token": "ghp_" + g.s(ALNUM, 36)}) + "\n")
    add("aws", "src/mock.py", 'ACCESS_KEY = "AKIA' + g.r.choice(["TEST", "FAKE", "MOCK"]) + "X" * 12 + '"\n')
    add("stripe", "src/pay.js", 'const key = "sk_live_" + process.env.STRIPE_SUFFIX;\n')
    add("stripe", "config/app.yaml", "stripe_key: sk_live_xxxxxxxxxxxxxxxxxxxxxxxx\n")
    add("google", "src/maps.js", 'const apiKey = "AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";\n')
    add("google", ".env", "GOOGLE_API_KEY=your-google-api-key\n")
    add("npm", ".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n")
    add("npm", ".env", "NPM_TOKEN=npm_" + "a" * 36 + "\n")
    add("pypi", ".pypirc", "[pypi]\nusername = __token__\npassword = pypi-<your-token>\n")
    add("openai", ".env", "OPENAI_API_KEY=sk-...your-key-here...\n")
    add("anthropic", ".env", "ANTHROPIC_API_KEY=sk-ant-api03-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n")
    add("sendgrid", ".env", "SENDGRID_API_KEY=SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n")
    add("azure", ".env", "AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;\n")
    add("twilio", "src/sms.py", 'TWILIO_AUTH_TOKEN = "your_auth_token"\n')
    add("databricks", "docs/setup.md", "export DATABRICKS_TOKEN=dapi1234567890ab1cde2f3ab456c7d89efa\n")
    add("private-key", "src/pem.js", "const HEADER = '-----BEGIN RSA PRIVATE KEY-----';\n")
    add("private-key", "config/tls.yaml", "key: |\n  -----BEGIN PRIVATE KEY-----\n  <paste your key here>\n  -----END PRIVATE KEY-----\n")
    add("private-key", "certs/server.pub", g.pem("PUBLIC KEY", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 6) + "\n")
    add("private-key", "certs/server.crt", g.pem("CERTIFICATE", "MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa", 8) + "\n")
    add("jwt", "docs/auth.md",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n")
    add("kubernetes", "deploy/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  password: Y2hhbmdlbWU=\n")
    # Not secrets at all, but random-looking.
    add("non-secret", "package-lock.json", json.dumps({"packages": {"node_modules/x": {
        "integrity": "sha512-" + base64.b64encode(g.r.randbytes(64)).decode()}}}) + "\n")
    add("non-secret", "src/ids.py", f'DEFAULT_TENANT = "{g.uuid4()}"\nCOMMIT = "{g.s(HEX, 40)}"\n')
    add("non-secret", "config/app.yaml", f"checksum: {hashlib.sha256(g.r.randbytes(8)).hexdigest()}\nrequest_id: {g.uuid4()}\n")
    add("non-secret", "web/logo.js", 'export const logo = "data:image/png;base64,' + base64.b64encode(g.r.randbytes(90)).decode() + '";\n')
    add("non-secret", "src/keys.ts", 'const npmKeys = [{ key: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE' + g.s(B64, 52) + '==" }];\n')
    add("non-secret", "src/form.tsx", 'const passwordLabel = "Enter your password";\nconst tokenUrl = "https://auth.example.com/oauth/token";\n')
    add("non-secret", "src/settings.py", 'SECRET_KEY = os.environ["SECRET_KEY"]\nPASSWORD_MIN_LENGTH = 12\n')
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    manifest = []
    n = 0
    for round_ in range(a.rounds):
        g = Gen(a.seed + round_)
        for truth, files in (("true", true_files(g)), ("false", false_files(g))):
            for fam, path, text in files:
                d = os.path.join(a.out, fam, truth, str(n))
                os.makedirs(os.path.dirname(os.path.join(d, path)), exist_ok=True)
                with open(os.path.join(d, path), "w") as fh:
                    fh.write(text)
                manifest.append({"dir": os.path.relpath(d, a.out), "family": fam, "truth": truth, "file": path})
                n += 1
    with open(os.path.join(a.out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    print(f"{n} samples in {a.out}")


if __name__ == "__main__":
    main()
