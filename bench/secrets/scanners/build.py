#!/usr/bin/env python3
"""Builds the scanner corpus: the true and false samples of other scanners' public test suites,
one sample per file, in the families shipgate's repo-secrets / generic-secrets claim.

    python3 build.py [--out DIR] [--seed N] [--contexts N]

Sources (bare git snapshots brought in with the `fetch` tool):
  gitleaks      tag v8.30.1: cmd/generate/config/rules/*.go, `tps` (true) and `fps` (false). Samples
                generated at test time (secrets.NewSecret, utils.GenerateSampleSecrets,
                newPlausibleSecret) are reproduced in Python (gosrc.py): same regexes, same
                context templates; the random parts differ from any one gitleaks run.
  trufflehog    HEAD: pkg/detectors/<d>/*_test.go, the `*_Pattern` tests: `input`, and `want`
                (non-empty: true; empty or nil: false).
  detect-secrets HEAD: tests/plugins/*_test.py parametrized cases (should_flag / expected_secret),
                and a few lines of test_data/ with the labels its tests give them.

Writes DIR/<family>/<true|false>/<n>/<file> and DIR/manifest.json:
  [{dir, family, truth, source, tool, rule, context, file, debatable, note}]
`truth` is the source suite's own label; `debatable` says why that label may be wrong (a
placeholder labelled true, a real-looking secret labelled false only because one detector skips
it). Nothing here is a real credential: every value is from a public test suite or random.
"""
import argparse
import ast
import base64
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gosrc  # noqa: E402

# Bare clones of the three repositories, as <owner>+<name>/repo (see bench/secrets/README.md).
MIRROR = os.environ.get("SCANNER_MIRROR", "/work/.mirror")
GL = ("gitleaks/gitleaks", f"{MIRROR}/gitleaks+gitleaks/repo", "v8.30.1")
TH = ("trufflesecurity/trufflehog", f"{MIRROR}/trufflesecurity+trufflehog/repo", "3ab759fef4bb")
DS = ("Yelp/detect-secrets", f"{MIRROR}/Yelp+detect-secrets/repo", "5e141933554a")


def git(repo, *args):
    return subprocess.run(["git", "--git-dir", repo[1], *args], check=True, capture_output=True, text=True).stdout


def show(repo, path):
    return git(repo, "show", f"{repo[2]}:{path}")


def commit(repo):
    return git(repo, "rev-parse", f"{repo[2]}^{{commit}}").strip()


# ------------------------------------------------------------------------------------ families
GL_FILES = {
    "privatekey": "private-key",
    "aws": "aws",
    "github": "github",
    "gitlab": "gitlab",
    "slack": "slack",
    "stripe": "stripe",
    "gcp": "google",
    "npm": "npm",
    "pypi": "pypi",
    "openai": "openai",
    "anthropic": "anthropic",
    "sendgrid": "sendgrid",
    "azure": "azure",
    "twilio": "twilio",
    "mailgun": "mailgun",
    "heroku": "heroku",
    "digitalocean": "digitalocean",
    "shopify": "shopify",
    "huggingface": "huggingface",
    "databricks": "databricks",
    "jwt": "jwt",
    "kubernetes": "kubernetes",
    "generic": "generic",
}

TH_FILES = {
    "privatekey/privatekey_test.go": "private-key",
    "aws/access_keys/accesskey_test.go": "aws",
    "aws/session_keys/sessionkeys_test.go": "aws",
    "github/v1/github_old_test.go": "github",
    "github/v2/github_test.go": "github",
    "gitlab/v1/gitlab_v1_test.go": "gitlab",
    "gitlab/v2/gitlab_v2_test.go": "gitlab",
    "gitlab/v3/gitlab_v3_test.go": "gitlab",
    "slack/slack_test.go": "slack",
    "slackwebhook/slackwebhook_test.go": "slack",
    "stripe/stripe_test.go": "stripe",
    "gcp/gcp_test.go": "google",
    "googlegemini/googlegemini_test.go": "google",
    "npmtoken/npmtoken_test.go": "npm",
    "npmtokenv2/npmtokenv2_test.go": "npm",
    "pypi/pypi_test.go": "pypi",
    "openai/openai_test.go": "openai",
    "openaiadmin/openaiadmin_test.go": "openai",
    "anthropic/anthropic_test.go": "anthropic",
    "sendgrid/sendgrid_test.go": "sendgrid",
    "azure_storage/storage_test.go": "azure",
    "azure_entra/serviceprincipal/v1/spv1_test.go": "azure",
    "azure_entra/serviceprincipal/v2/spv2_test.go": "azure",
    "azuresastoken/azuresastoken_test.go": "azure",
    "azure_batch/azurebatch_test.go": "azure",
    "azure_cosmosdb/azure_cosmosdb_test.go": "azure",
    "azurecontainerregistry/azurecontainerregistry_test.go": "azure",
    "azurefunctionkey/azurefunctionkey_test.go": "azure",
    "azuresearchadminkey/azuresearchadminkey_test.go": "azure",
    "azuresearchquerykey/azuresearchquerykey_test.go": "azure",
    "azureapimanagement/repositorykey/repositorykey_test.go": "azure",
    "azureapimanagementsubscriptionkey/azureapimanagementsubscriptionkey_test.go": "azure",
    "twilio/twilio_test.go": "twilio",
    "twilioapikey/twilioapikey_test.go": "twilio",
    "mailgun/mailgun_test.go": "mailgun",
    "heroku/v1/heroku_test.go": "heroku",
    "heroku/v2/heroku_test.go": "heroku",
    "digitaloceantoken/digitaloceantoken_test.go": "digitalocean",
    "digitaloceanv2/digitaloceanv2_test.go": "digitalocean",
    "shopify/shopify_test.go": "shopify",
    "huggingface/huggingface_test.go": "huggingface",
    "databrickstoken/databrickstoken_test.go": "databricks",
    "jwt/jwt_test.go": "jwt",
}
# Test functions that are not pattern tests (verification, option handling) are skipped.
TH_FUNCS = re.compile(r"^Test\w*_Pattern$|^Test_FindClientSecretMatches$")

DS_FILES = {
    "aws_key": "aws",
    "azure_storage_key": "azure",
    "github_token": "github",
    "gitlab_token": "gitlab",
    "jwt": "jwt",
    "keyword": "generic",
    "npm": "npm",
    "openai": "openai",
    "private_key": "private-key",
    "pypi_token": "pypi",
    "sendgrid": "sendgrid",
    "slack": "slack",
    "stripe_key": "stripe",
    "twilio": "twilio",
}
# detect-secrets runs the same keyword cases for many file extensions; one file per distinct rule
# set is kept (the others repeat the same lines).
DS_KEYWORD_EXT = {"conf": "app.conf", "go": "main.go", "c": "config.c", "py": "settings.py", "tf": "main.tf"}

# ------------------------------------------------------------------------- labels under review
# (tool or "*", truth, regex over the sample text or a function of it, reason). The source's label
# is kept; the sample is marked debatable, with the reason. The reason's tag says which kind:
#   [placeholder]     a made-up value (words, sequences, x-runs, a vendor's documented example)
#   [not-a-secret]    no usable credential in it (a public value, a header without a key, an
#                     unsigned token, a constant prefix without its body)
#   [format]          a synthetic value that does not have the vendor's format (random characters
#                     where the real token has structure), so a format-exact pattern misses it
#   [policy]          the label is one tool's policy rather than a property of the text (trufflehog
#                     skipping HMAC JWTs, a detector's length bound)
DEBATABLE = [
    # ---- true samples
    ("detect-secrets", "true", r"AKIAZZZZZZZZZZZZZZZZ|A3T0ZZZZ|ABIAZZZZ|ACCAZZZZ|ASIAZZZZ", "[placeholder] a key id of 16 Z's"),
    ("*", "true", r"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY|AKIAIOSFODNN7EXAMPLE", "[placeholder] AWS's documented example key (gitleaks' own fps list it)"),
    ("detect-secrets", "true", r"SKxxxxxxxx|ACxxxxxxxx", "[placeholder] all x"),
    ("detect-secrets", "true", r"hooks\.slack\.com/services/Txxxxxxxx", "[placeholder] all-x webhook"),
    ("detect-secrets", "true", r"_authToken=npm_xxxxxxxxxxx", "[placeholder] all-x npm token"),
    ("detect-secrets", "true", r"super secret private key here|yabba dabba doo", "[not-a-secret] a PEM header with words, no key material (detect-secrets flags the header alone)"),
    ("detect-secrets", "true", r"somethingSuperRandomAndSecretHere", "[placeholder] a PEM header around a made-up phrase, not key material"),
    ("detect-secrets", "true", r"glpat-hellOworld380_testin|gldt-HwllOuhfw|glsoat-PREfix_helloworld|GR1348941PREfix_helloworld|glcbt-helloworld380|glimt-my-tokens_are-correct|glptt-Need5_T00|glagent-Need5_T00|gloas-checking_Length", "[placeholder] a format test made of words (hello world, testin, `Need5 T00 be exactly 40 chars`)"),
    ("detect-secrets", "true", r"e039d02840a0b9379c'?$|xoxb-34532454-e039d", "[placeholder] Slack format test with a short made-up tail"),
    ("detect-secrets", "true", r"m\{\{h\}o\)p\$\{e\]nob\(ody", "[placeholder] keyword-plugin test value `m{{h}o)p${e]nob(ody[finds>-_$#thisone}}`: template syntax `{{`/`${` in it"),
    ("detect-secrets", "true", r"value with quotes and spaces", "[placeholder] keyword-plugin test value: plain words with spaces"),
    ("detect-secrets", "true", r"A,\.:-", "[placeholder] keyword-plugin test value: `A` and punctuation"),
    ("detect-secrets", "true", r"^eyJ[^.]+\.eyJ[^.\s]+\s*$", "[not-a-secret] a JWT without its signature segment"),
    ("detect-secrets", "true", r"123456789a1234|23456789a1|456789123a|567891234b", "[placeholder] digits in sequence with one letter"),
    ("*", "true", r"abc123xyz-456def789ghij-klmnopqrstuvwx|abc12fake-456def", "[placeholder] made-up `abc123xyz-456def789ghij-klmnop...` example key"),
    ("gitleaks", "true", r"\b(?:sk|rk)_(?:test|prod)_", "[policy] a Stripe test-mode key (or the `_prod_` prefix Stripe does not issue): not a live credential"),
    ("gitleaks", "true", r"ABSKQmVkcm9ja0FQSUtleS1EXAMPLE", "[placeholder] AWS Bedrock example key made of EXAMPLE"),
    ("gitleaks", "true", r"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t(?![A-Za-z0-9+/=%])", "[not-a-secret] only the constant prefix of a short-lived Bedrock key (base64 of `bedrock.amazonaws.com`), no token body"),
    ("gitleaks", "true", r"\b12345678-ABCD-ABCD-ABCD-1234567890AB\b", "[placeholder] sequential placeholder UUID"),
    ("gitleaks", "true", r"00001111-22223333", "[placeholder] Mailgun signing key tail `00001111-22223333`"),
    ("gitleaks", "true", r"pubkey-[0-9a-f]{32}", "[not-a-secret] Mailgun's public validation key (`pubkey-`), meant to be embedded client-side"),
    ("gitleaks", "true", lambda t: jwt_header_not_json(t), "[format] the JWT's header segment is not base64 JSON (random characters after `ey` from gitleaks' regex, or a corrupted `eeei` header)"),
    ("gitleaks", "true", r"eyJhbGciOiJub25lIn0", "[not-a-secret] an unsigned (`alg: none`) JWT"),
    ("gitleaks", "true", r"xoxb-50014434-slacktoken", "[placeholder] the word `slacktoken` in the token"),
    ("gitleaks", "true", r"xoxa-2-511111111-31111111111-3111111111111", "[placeholder] repeated-1 digits (`511111111-31111111111-3111111111111`)"),
    ("gitleaks", "true", r"xoxb-123456789012-Xw937", "[placeholder] sequential digits, from a README"),
    ("gitleaks", "true", r"hooks\.slack\.com/(?:services|workflows|triggers)/[a-z0-9]{40,}\s*$", "[format] random characters after `/services/`; a real webhook is `T<team>/B<id>/<24 chars>`"),
    ("gitleaks", "true", r"xapp-1-A\d+-\d+-[a-z0-9]*[g-z][a-z0-9]*\"", "[format] the last segment of an app token is hex; gitleaks' generated one is `[a-z0-9]{64}`"),
    ("gitleaks", "true", r"SG\.(?![A-Za-z0-9_-]{22}\.)[a-z0-9=_-]{66}", "[format] random 66 characters after `SG.`; a SendGrid key is `SG.<22>.<43>`"),
    ("*", "true", r"eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6I", "[placeholder] jwt.io's example claims (`sub: 1234567890`, `John Doe`)"),
    ("*", "true", r"eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24i", "[placeholder] Supabase's published local-development key (the sample's comment says so)"),
    ("gitleaks", "true", r"pypi-AgEIcHlwaS5vcmc[0-9a-f]{64}(?![A-Za-z0-9_-])", "[format] 64 hex characters after the location prefix; a real token goes on with the base64 macaroon (`CJ…` identifier, caveats, signature)"),
    ("gitleaks", "true", r"\beyJhIjoxLCJiIjoyLCJjIjozfQ\b", "[placeholder] a JWT with toy claims {a:1,b:2,c:3}"),
    ("gitleaks", "true", r"key: bXlwYXNzd29yZA==", "[placeholder] k8s Secret whose value is base64 `mypassword` (its comment says so)"),
    ("gitleaks", "true", r"UyFCXCpkJHpEc2I9", "[placeholder] k8s Secret whose value is the Kubernetes docs' example password `S!B\\*d$zDsb=`"),
    ("gitleaks", "true", r"YWRtaW46cGFzc3dvcmQ=", "[placeholder] k8s Secret whose value is base64 `admin:password`"),
    ("gitleaks", "true", r"eyJhdXRocyI6eyJodHRwczovL2V4YW1wbGUvdjEvIjp7ImF1dGgiOiJvcGVuc2VzYW1lIn19fQo=", "[placeholder] k8s dockercfg Secret for `https://example/v1/`, auth `opensesame`"),
    ("gitleaks", "true", r"ca\.pem: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0t", "[not-a-secret] a k8s Secret holding a CA certificate (public)"),
    ("trufflehog", "true", r"MIIEvAIBADANBgkqhkiG9w0BAQEFAASC\.\.\.|EXAMPLE=\\n-----END", "[placeholder] service-account JSON whose private key is cut short (`...`) or ends in EXAMPLE"),
    ("trufflehog", "true", r"xoxb-65677559833-9613778673399u", "[format] made-up 2-segment Slack tokens from a format test"),
    ("trufflehog", "true", r"thisisfake|fake8f7c4d9aefake|fakeW86MQp1Oml3Ymg0Cw|1203afake", "[placeholder] the sample says `fake`"),
    ("trufflehog", "true", r"FakeeP35zYGPXaEUfake", "[placeholder] the sample says `Fake`/`fake`/`FAKE`"),
    ("trufflehog", "true", r"C2y6yDjf5/R\+ob0N8A7Cgv30VRDJIWEHLM\+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==", "[placeholder] the Azure Cosmos DB emulator's published key"),
    ("trufflehog", "true", r"TAGGINGEXAMPLE", "[placeholder] `EXAMPLE` in the webhook's team id"),
    ("trufflehog", "true", r"ABc123456789dEFghIJK", "[placeholder] sequential `123456789`"),
    ("trufflehog", "true", r"abc123def4567890abcdef1234567890abcdef12", "[placeholder] `abc123def4567890abcdef...` sequential hex"),
    ("trufflehog", "true", r"\bA(?:KIA|BIA|SIA)(?=[A-Z0-9]{16}\b)[A-Z0-9]{0,15}[0189]", "[format] the AWS key id has 0, 1, 8 or 9, which AWS key ids (base32) never contain (gitleaks' own comment says so)"),
    ("trufflehog", "true", r"SG\.ZV-VYwtHzJJW4wF8yPQk3\.", "[format] SendGrid key with a 21-character id part (real keys: `SG.<22>.<43>`)"),
    # ---- false samples
    ("trufflehog", "false", r"a-string-secret-at-least-256-bits-long", "[policy] false only because trufflehog skips HMAC JWTs it cannot verify; the token is a signed JWT (jwt.io's example key)"),
    ("detect-secrets", "false", r"glsoat-PREfix_helloworld380_testin_pretty_long_token_long_|GR1348941PREfix_helloworld380_testin_pretty_long_token_long_|glimt-my-tokens_are-correctAB38_280|glptt-Need5_T00-be-exactly-40-chars--ELse_failing|gloas-checking_Length-Is-_exactly_64--Xchecking", "[policy] false only for being one character past detect-secrets' length bound; a prefix of it is the well-formed (made-up) token"),
    ("detect-secrets", "false", r"^(?:///|//registry\.npmjs\.org:|registry\.npmjs\.org/:|)_authToken=743b294a", "[policy] false only because detect-secrets wants the exact `//host/:_authToken=` key; the value is a legacy (UUID) npm token in an .npmrc either way"),
    ("trufflehog", "false", r"sp=rqx&|sip=168\.1\.6&", "[policy] trufflehog rejects the SAS token for a bad `sp`/`sip` parameter, but it carries the same `sig=` as a true sample"),
    ("trufflehog", "false", r"AIzaSyDW1PXXav-TxriHUIrj1djZfHKIuInr7A'", "[policy] one character short of a Google API key (trufflehog's negative); any assignment rule flags it"),
    ("trufflehog", "false", r"HRKU-AAlQ1aVoHDujJ9QsDHdHlHO0hbzoERRSO45ZQusSYHg_____|BAD_KEY=sk-admin-|BXIMbhBlC3=5hIbqCEKvq7op!|wRRPyhjv8m6JGRujUUr-PK#|SUBSCRIPTION_KEY=2c69j2dc3f7c4929b74d3a832a042", "[policy] a malformed (wrong length or an invalid character) but random secret-looking value assigned to a key name; trufflehog's negative for the vendor format, not evidence of no secret"),
]


def jwt_header_not_json(text):
    """A token shaped like a JWT (ey….ey….) whose first segment is not base64url JSON."""
    for m in re.finditer(r"(?<![A-Za-z0-9_-])(ey[A-Za-z0-9_-]{10,})\.ey[A-Za-z0-9/\\_-]{10,}", text):
        seg = m.group(1)
        try:
            json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))
        except Exception:
            return True
    return False


# (tool, regex, reason): samples left out (not a statement about the corpus' families).
SKIP = [
    ("detect-secrets", r"^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$", "a GitHub token in GitLab's negative list: a true sample of another family"),
    ("detect-secrets", r"^sk_live_$", "prefix only, nothing to scan"),
    ("trufflehog", r"This is a regular OpenAI key, not an admin key", "a regular OpenAI key in the admin-key detector's negatives: a true sample of the family"),
    ("gitleaks", r"^sk-ant-api03-abc123xyz-456def789ghij-klmnopqrstuvwx-3456yza789bcde-1234fghijklmnopby56aaaogaopaaaabc123xyzAA$", "the API-key rule's true sample in the admin rule's false list"),
    ("gitleaks", r"^sk-ant-admin01-abc123xyz-456def789ghij-klmnopqrstuvwx-3456yza789bcde-1234fghijklmnopby56aaaogaopaaaabc123xyzAA$", "an admin key (true for the admin rule) in the API rule's false list"),
]

# trufflehog cases marked `skip: true` in their suite: labelled here from their content.
TH_SKIPPED_LABELS = {
    "no private_key_id (1)": (True, "skip:true in trufflehog; a full PKCS#8 private key in a JS config"),
    "no private_key_id (2)": (False, "skip:true in trufflehog; `YOUR-PRIVATE-KEY-GOES-HERE` placeholder"),
    ".env": (True, "skip:true in trufflehog; a full PKCS#8 private key in a .env"),
}


def matches_any(rules, tool, text):
    for t, rx, why in rules:
        if t == tool and re.search(rx, text, re.M):
            return why
    return None


def debatable(tool, truth, text):
    for t, tr, rx, why in DEBATABLE:
        if t not in ("*", tool) or tr != truth:
            continue
        hit = rx(text) if callable(rx) else re.search(rx, text, re.M)
        if hit:
            return why
    return None


# ------------------------------------------------------------------------------ file naming
def guess_file(text, family):
    """A realistic file name for a sample, from what its text looks like."""
    t = text.strip()
    lines = [ln.strip() for ln in t.splitlines() if ln.strip()]
    if family == "kubernetes":
        return "secret.yaml"
    if t.startswith("-----BEGIN") and "PRIVATE KEY" in t:
        return "server.key" if "PGP" not in t else "private.asc"
    if re.match(r"^(?:\[\s*)?\{", t) or re.match(r'^"[\w.-]+"\s*:', t):
        return "config.json"
    if t.startswith("<"):
        return "config.xml"
    if re.search(r"^\s*(?:export\s+)?(?:const|let)\s+\w+|module\.exports", t, re.M):
        return "config.js"
    if "std::" in t:
        return "config.cpp"
    if re.search(r"^\s*'\w+'\s*=>", t, re.M):
        return "config.php"
    if re.search(r"^\s*(?:\$ |curl |docker |az |go run|huggingface-cli|gitlab-runner|npm |export [A-Z_]+=)|\s\\$", t, re.M):
        return "setup.sh"
    if re.search(r"//registry\.|_authToken", t):
        return ".npmrc"
    if re.search(r"^\s*(?:package |func |import \(|var \w+ = |\w+ := )", t, re.M) or ":=" in t:
        return "main.go"
    if re.search(r"^\s*(?:public |private |static |String |class )", t, re.M):
        return "Config.java"
    if re.search(r"^\s*(?:def |import |from |os\.environ)", t, re.M):
        return "app.py"
    if lines and all(re.match(r"^(?:#.*|[A-Z][A-Z0-9_]*=.*)$", ln) for ln in lines) and any("=" in ln for ln in lines):
        return ".env"
    if re.search(r"^\s*-?\s*[\w.\"'-]+:\s", t, re.M) and not re.search(r"[;{}]\s*$", t, re.M):
        return "config.yaml"
    if re.search(r"^\s*\w+\s*=\s*[\"'`]", t, re.M):
        return "settings.py"
    if re.search(r"^\s*[\w.]+\s*=\s*[^\s\"'`(),;{}]+\s*$", t, re.M):
        return "app.properties"  # an unquoted `key = value`: configuration, not code
    return "config.txt"


# --------------------------------------------------------------------------------- gitleaks
def gitleaks_generate_test_values():
    """cmd/generate/config/rules/jwt.go generateTestValues, in Python (one header value of each
    parameter, all four base64 encodings rotating)."""
    suffix = ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    headers = {
        "alg": ['"HS256"', '"RS256"', '"none"'],
        "kid": ['"my_key_id"'],
        "typ": ['"JWT"'],
        "iss": ['"kubernetes/serviceaccount"'],
        "enc": ['"A256GCM"'],
        "cty": ['"json"'],
        "x5t": ['"IYIeevIT57t8ppUejM42Bqx6f3I"'],
        "jku": ['"https://c2id.com/jwks.json"'],
        "kty": ['"EC"'],
        "sub": ['"1234567890"'],
    }
    encs = [
        lambda b: base64.b64encode(b).decode(),
        lambda b: base64.b64encode(b).decode().rstrip("="),
        lambda b: base64.urlsafe_b64encode(b).decode(),
        lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="),
    ]
    out = []
    i = 0
    for k, vals in headers.items():
        for v in vals:
            header = json.dumps({k: json.loads(v)}, separators=(",", ":")) if v else f'{{"{k}":}}'
            jwt = base64.urlsafe_b64encode(header.encode()).decode().rstrip("=") + suffix
            out.append(encs[i % 4](jwt.encode()))
            i += 1
    return out


def gitleaks_samples(rng, ncontexts):
    sha = commit(GL)
    stop = gosrc.GoFile(show(GL, "cmd/generate/config/rules/stopwords.go"), rng)
    stopwords = stop.lookup("DefaultStopWords", {})
    out = []
    call_no = {}
    for name, family in GL_FILES.items():
        path = f"cmd/generate/config/rules/{name}.go"
        src = show(GL, path)
        extra = {"generateTestValues": lambda f, a, line: [gosrc.gstr(v, line, "jwt-base64") for v in gitleaks_generate_test_values()]}
        f = gosrc.GoFile(src, rng, extra_builtins=extra, stopwords=stopwords)
        for fn, (a, b) in f.funcs.items():
            body = " ".join(t.val for t in f.toks[a:b])
            m = re.search(r'RuleID : "([^"]+)"', body)
            if not m:
                continue
            rule = m.group(1)
            env = f.run_func(fn)
            for truth, var in (("true", "tps"), ("false", "fps")):
                v = env.get(var)
                if v is None:
                    continue
                if isinstance(v, gosrc.Err):
                    print(f"gitleaks {rule} {var}: {v.msg}", file=sys.stderr)
                    continue
                if isinstance(v, dict):  # path -> content (ValidateWithPaths)
                    items = [(gosrc.gstr(c, c.line if hasattr(c, "line") else None), k) for k, c in v.items() if k != "__line__"]
                    if all(not str(c).strip() for c, _ in items):
                        continue  # a path rule (pkcs12 files): nothing to scan
                else:
                    items = [(c, None) for c in v]
                # rotate GenerateSampleSecrets' contexts: ncontexts of each call
                groups = {}
                ctx_names = {n for n, _, _ in gosrc.SAMPLE_CONTEXTS}
                for idx, (c, fname) in enumerate(items):
                    if isinstance(c, gosrc.Err):
                        print(f"gitleaks {rule}: {c.msg}", file=sys.stderr)
                        continue
                    gk = ("call", c.line) if c.ctx in ctx_names else ("one", idx)
                    groups.setdefault(gk, []).append((c, fname))
                for g in groups.values():
                    if len(g) == len(gosrc.SAMPLE_CONTEXTS) and ncontexts < len(g):
                        k = call_no.get(family, 0)
                        call_no[family] = k + 1
                        keep = {(k * ncontexts + j) % len(g) for j in range(ncontexts)}
                        g = [x for i, x in enumerate(g) if i in keep]
                    for c, fname in g:
                        fileh = fname or gosrc.CONTEXT_FILE.get(c.ctx) or guess_file(c, family)
                        out.append(
                            dict(
                                text=str(c),
                                family=family,
                                truth=truth,
                                tool="gitleaks",
                                rule=rule,
                                context=c.ctx or "",
                                file=os.path.basename(fileh),
                                source=f"{GL[0]}@{GL[2]}({sha[:12]}):{path}:{c.line}",
                            )
                        )
    return out


# -------------------------------------------------------------------------------- trufflehog
def trufflehog_samples(rng):
    sha = commit(TH)
    out = []
    for rel, family in TH_FILES.items():
        path = f"pkg/detectors/{rel}"
        f = gosrc.GoFile(show(TH, path), rng)
        detector = rel.split("/")[0] if not rel.startswith(("aws/", "azure_entra/", "github/", "gitlab/", "heroku/", "azureapimanagement/")) else "/".join(rel.split("/")[:-1])
        for fn in f.funcs:
            if not TH_FUNCS.match(fn):
                continue
            env = f.run_func(fn)
            if rel == "privatekey/privatekey_test.go":
                # TestPrivatekey_EncryptedKeyReported: an encrypted key, reported (unverified)
                key = f.lookup("encryptedUncrackablePattern", {})
                env["__extra__"] = [{"name": "encrypted key (TestPrivatekey_EncryptedKeyReported)", "input": f"privatekey = '{key}'", "want": [key], "__line__": key.line}]
            for var, v in env.items():
                if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                    cases = [(x.get("name"), x) for x in v]
                elif isinstance(v, dict) and v and all(isinstance(x, dict) for k, x in v.items() if k != "__line__"):
                    cases = [(k, x) for k, x in v.items() if k != "__line__"]
                else:
                    continue
                for name, c in cases:
                    inp = c.get("input", c.get("Input"))
                    if not isinstance(inp, str):
                        if inp is not None:
                            print(f"trufflehog {rel} {name}: {inp}", file=sys.stderr)
                        continue
                    want = c.get("want", c.get("Expected"))
                    note = ""
                    if c.get("skip") is True:
                        if name not in TH_SKIPPED_LABELS:
                            continue
                        truth, note = TH_SKIPPED_LABELS[name]
                    else:
                        if isinstance(want, gosrc.Err):
                            print(f"trufflehog {rel} {name}: want {want.msg}", file=sys.stderr)
                            continue
                        truth = bool(want)
                    # Go raw strings inside the test carry the test's own indentation
                    text = textwrap.dedent(str(inp).replace("\r", "")).strip("\n") + "\n"
                    out.append(
                        dict(
                            text=text,
                            family=family,
                            truth="true" if truth else "false",
                            tool="trufflehog",
                            rule=detector,
                            context=str(name),
                            file=guess_file(text, family),
                            source=f"{TH[0]}@{sha[:12]}:{path}:{c.get('__line__')}",
                            note=note,
                        )
                    )
    return out


# ---------------------------------------------------------------------------- detect-secrets
def ds_samples():
    sha = commit(DS)
    out = []
    for name, family in DS_FILES.items():
        path = f"tests/plugins/{name}_test.py"
        src = show(DS, path)
        tree = ast.parse(src)
        rnd = random.Random(7)
        ns = {"base64": base64, "randint": rnd.randint, "textwrap": textwrap}
        lines_of = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) or (isinstance(node, ast.FunctionDef) and not node.decorator_list):
                exec(compile(ast.Module([node], []), path, "exec"), ns)
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
                    for elt in node.value.elts:
                        try:
                            val = eval(compile(ast.Expression(elt), path, "eval"), ns)
                        except Exception:
                            continue
                        if isinstance(val, tuple) and val:
                            lines_of.setdefault(val[0], elt.lineno)
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            if fn.name == "test_get_secret_access_key":
                continue  # a test of how the AWS plugin pairs an id with a secret, not of a pattern
            for dec in fn.decorator_list:
                if not (isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") == "parametrize"):
                    continue
                names = [n.strip() for n in ast.literal_eval(dec.args[0]).split(",")]
                argv = dec.args[1]
                if isinstance(argv, (ast.List, ast.Tuple)):
                    cases = []
                    for elt in argv.elts:
                        val = eval(compile(ast.Expression(elt), path, "eval"), ns)
                        cases.append((val if isinstance(val, tuple) else (val,), elt.lineno))
                else:
                    vals = eval(compile(ast.Expression(argv), path, "eval"), ns)
                    cases = [(v if isinstance(v, tuple) else (v,), None) for v in vals]
                for vals, lineno in cases:
                    row = dict(zip(names, vals))
                    text = row.get("line", row.get("payload", row.get("file_content")))
                    if text is None:
                        continue
                    if "should_flag" in row:
                        truth = bool(row["should_flag"])
                    elif "expected_secret" in row:
                        truth = row["expected_secret"] is not None
                    else:
                        truth = True  # tests that assert every case is found
                    fname = guess_file(text, family)
                    if "file_extension" in row:
                        ext = row["file_extension"]
                        if ext not in DS_KEYWORD_EXT:
                            continue
                        fname = DS_KEYWORD_EXT[ext]
                        lineno = lines_of.get(text)
                    out.append(
                        dict(
                            text=text,
                            family=family,
                            truth="true" if truth else "false",
                            tool="detect-secrets",
                            rule=name,
                            context=row.get("file_extension") or "",
                            file=fname,
                            source=f"{DS[0]}@{sha[:12]}:{path}:{lineno or dec.lineno}",
                        )
                    )
    # test_data/: single lines whose label the suite gives (tests/core/secrets_collection_test.py,
    # tests/core/baseline_test.py and the files' own comments). Each line becomes one file.
    td = [
        ("test_data/config.env", 1, "generic", "true", ".env", "found by the Base64HighEntropyString plugin (tests/audit/audit_test.py)"),
        ("test_data/config.ini", 2, "generic", "true", "config.ini", "reported at config.ini:2 (tests/core/secrets_collection_test.py)"),
        ("test_data/config.ini", 10, "generic", "true", "config.ini", "reported at config.ini:10"),
        ("test_data/config.ini", 32, "generic", "true", "config.ini", "reported at config.ini:32"),
        ("test_data/config.ini", 33, "generic", "false", "config.ini", "not reported: an id (foreign_key_id)"),
        ("test_data/config.yaml", 17, "generic", "false", "config.yaml", "not reported: a UUID"),
        ("test_data/each_secret.py", 1, "generic", "false", "settings.py", "not reported: DEADBEEF"),
        ("test_data/each_secret.py", 4, "generic", "true", "settings.py", "base64 secret"),
        ("test_data/each_secret.py", 5, "generic", "true", "settings.py", "hex secret"),
        ("test_data/each_secret.py", 8, "aws", "true", "settings.py", "AWS key id"),
        ("test_data/each_secret.py", 9, "aws", "true", "settings.py", "AWS secret key"),
        ("test_data/files/file_with_secrets.py", 3, "generic", "true", "settings.py", "the file the pre-commit tests expect to be blocked"),
        ("test_data/files/private_key", None, "private-key", "true", "id_rsa", "PrivateKeyDetector"),
        ("test_data/short_files/middle_line.yml", None, "generic", "true", "deploy.yml", "reported at line 4 (tests/core/scan_test.py)"),
        ("test_data/files/file_with_no_secrets.py", None, "generic", "false", "settings.py", "no secrets"),
    ]
    for p, line, family, truth, fname, why in td:
        content = show(DS, p)
        text = content.splitlines()[line - 1] + "\n" if line else content
        out.append(
            dict(
                text=text,
                family=family,
                truth=truth,
                tool="detect-secrets",
                rule="test_data",
                context=why,
                file=fname,
                source=f"{DS[0]}@{sha[:12]}:{p}:{line or 1}",
            )
        )
    return out


# ------------------------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--contexts", type=int, default=10, help="of the 26 GenerateSampleSecrets contexts, how many per call (rotating)")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    samples = gitleaks_samples(rng, args.contexts) + trufflehog_samples(rng) + ds_samples()

    true_texts = {s["text"].strip() for s in samples if s["truth"] == "true"}
    kept, seen, skipped = [], {}, []
    for s in samples:
        why = matches_any(SKIP, s["tool"], s["text"])
        if s["truth"] == "false" and s["text"].strip() in true_texts:
            why = why or "the same text is a true sample elsewhere (a rule-discrimination negative)"
        if why:
            skipped.append((s, why))
            continue
        key = (s["family"], s["text"].strip(), s["file"])
        if key in seen:
            seen[key].setdefault("also", []).append(s["source"])
            continue
        s["debatable"] = debatable(s["tool"], s["truth"], s["text"])
        seen[key] = s
        kept.append(s)

    out = args.out
    for fam in {s["family"] for s in kept}:
        shutil.rmtree(os.path.join(out, fam), ignore_errors=True)
    counters = {}
    manifest = []
    for s in kept:
        k = (s["family"], s["truth"])
        n = counters.get(k, 0) + 1
        counters[k] = n
        d = f"{s['family']}/{s['truth']}/{n:04d}"
        os.makedirs(os.path.join(out, d), exist_ok=True)
        text = s["text"] if s["text"].endswith("\n") else s["text"] + "\n"
        with open(os.path.join(out, d, s["file"]), "w") as fh:
            fh.write(text)
        m = {k2: s.get(k2) for k2 in ("family", "truth", "source", "tool", "rule", "context", "file", "debatable", "note", "also")}
        m["dir"] = d
        manifest.append({k2: v for k2, v in m.items() if v not in (None, "", [])})
    with open(os.path.join(out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    with open(os.path.join(out, "skipped.json"), "w") as fh:
        json.dump([{"source": s["source"], "family": s["family"], "truth": s["truth"], "why": w, "text": s["text"][:300]} for s, w in skipped], fh, indent=1)
    by = {}
    for m in manifest:
        by.setdefault((m["family"], m["truth"]), 0)
        by[(m["family"], m["truth"])] += 1
    for (fam, t), n in sorted(by.items()):
        print(f"{fam:14} {t:5} {n}")
    print("total", len(manifest), "skipped", len(skipped), "debatable", sum(1 for m in manifest if m.get("debatable")))


if __name__ == "__main__":
    main()
