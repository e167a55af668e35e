#!/usr/bin/env python3
"""Writes dotenv_cases.json: each case's text and what python-dotenv reads from it.

The expected values of shipgate's dotenv tests (src/inputs/dotenv.rs) are python-dotenv's own:
    python3 -m venv /tmp/v && /tmp/v/bin/pip install python-dotenv==1.2.4
    env -i /tmp/v/bin/python3 src/inputs/dotenv_cases.py > src/inputs/dotenv_cases.json
`env -i`: `${VAR}` is expanded from the file alone, as the tests give no outer environment.
For each case: `values` is dotenv_values() (null: a name without `=`), `invalid` the lines
python-dotenv could not parse and skipped with a warning (shipgate refuses those: an error).
"""
import io
import json
import logging
import os

import dotenv
from importlib.metadata import version

CASES = [
    ("plain", "A=1\n"),
    ("empty", "A=\nB=2\n"),
    ("space then comment is empty", "A= # comment\n"),
    ("tab then comment is empty", "A=\t# comment\n"),
    ("hash right after = is a value", "A=#novalue\n"),
    ("inline comment after a value", "A=x # comment\n"),
    ("hash inside a value", "A=x#y\n"),
    ("only the first inline comment counts", "A=x    # c # d\n"),
    ("spaces around an unquoted value", "A=  spaced value  \n"),
    ("spaces around the name", "  A = 1  \n"),
    ("export", "export A=1\nexport  B=2\n"),
    ("export is a name without a space", "exportA=1\n"),
    ("single quotes keep a hash", "A='single # not a comment'\n"),
    ("single quotes keep backslash n", "A='no\\nescape'\n"),
    ("single quotes escape a quote", "A='it\\'s'\n"),
    ("double quotes escape", "A=\"line\\nbreak \\\"q\\\" \\\\ \\t tab\"\n"),
    ("double quotes keep unknown escapes", "A=\"\\$HOME \\x\"\n"),
    ("double quoted over lines", "A=\"multi\nline\"\nB=2\n"),
    ("single quoted over lines", "A='multi\nline'\nB=2\n"),
    ("comment after a closing quote", "A=\"x\" # c\nB='y'#c\n"),
    ("empty quotes", "A=\"\"\nB=''\n"),
    ("quote after spaces", "A=  \"quoted after space\"\n"),
    ("unquoted keeps inner spaces", "A=b c\n"),
    ("unquoted keeps backslashes", "A=x\\ny\n"),
    ("equals in a value", "A=a=b\n"),
    ("comments and blank lines", "# only a comment\n\n   \n  # indented comment\nA=1\n"),
    ("crlf", "A=1\r\nB=2\r\n"),
    ("byte order mark", "\ufeffA=1\n"),
    ("later wins", "A=1\nA=2\n"),
    ("names python-dotenv accepts", "1A=x\nA.B-C=y\nlower=z\n"),
    ("a quoted name", "'A'=1\n"),
    ("expansion from above", "HOST=db\nURL=postgres://${HOST}:5432/app\n"),
    ("expansion of a name set nowhere", "URL=${MISSING}/x\n"),
    ("expansion default", "URL=${MISSING:-fallback}/x\n"),
    ("default only when unset", "A=\nB=${A:-d}\n"),
    ("expansion sees only what is above", "A=\"${B}\"\nB=1\n"),
    ("expansion in double quotes", "B=1\nA=\"<${B}>\"\n"),
    ("expansion in single quotes too", "B=1\nA='<${B}>'\n"),
    ("dollar without braces is literal", "HOST=db\nA=$HOST\n"),
    ("other shell forms are literal", "A=${B:?err}\nC=${D-x}\n"),
    ("a name without =", "A\n"),
    ("an unclosed double quote", "A=\"open\nB=2\n"),
    ("an unclosed single quote", "A='open\nB=2\n"),
    ("text after a closing quote", "A=\"x\" junk\nB=2\n"),
    ("words with no =", "not a var\nB=2\n"),
    ("a line starting with =", "=1\nB=2\n"),
]


def read(text):
    warnings = []

    class Catch(logging.Handler):
        def emit(self, record):
            warnings.append(record.getMessage())

    log = logging.getLogger("dotenv.main")
    handler = Catch()
    log.addHandler(handler)
    try:
        values = dict(dotenv.dotenv_values(stream=io.StringIO(text)))
    finally:
        log.removeHandler(handler)
    invalid = []
    for w in warnings:
        # "python-dotenv could not parse statement starting at line N"
        invalid.append(int(w.rsplit(" ", 1)[1]))
    return values, invalid


assert not any(k for k in os.environ if k not in ("PWD", "SHLVL", "_", "LC_CTYPE")), "run with env -i"
out = {
    "generated_by": "src/inputs/dotenv_cases.py with python-dotenv " + version("python-dotenv"),
    "cases": [],
}
for name, text in CASES:
    values, invalid = read(text)
    out["cases"].append({"name": name, "text": text, "values": values, "invalid": invalid})
print(json.dumps(out, indent=1, ensure_ascii=False))
