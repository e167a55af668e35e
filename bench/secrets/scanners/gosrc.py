"""A small evaluator for the Go source of scanners' test suites: string literals, concatenation,
fmt.Sprintf, composite literals ([]string{...}, map[string]string{...}, []struct{...}{...}), and
the sample generators of gitleaks (utils.GenerateSampleSecrets, secrets.NewSecret, ...).

It evaluates the top-level assignments of a function body in order (`x := ...`, `x = append(x, ...)`)
and the package's `var`/`const` declarations, which is how those test suites build their samples.
Anything it cannot evaluate becomes an `Err` value; using it raises.
"""
import base64
import re
import re._parser as sre_parse  # Python 3.11
import re._constants as sre_c
import string

TOKEN = re.compile(
    r"""
 (?P<ws>[ \t\r]+)
|(?P<nl>\n)
|(?P<lcomment>//[^\n]*)
|(?P<bcomment>/\*.*?\*/)
|(?P<raw>`[^`]*`)
|(?P<str>"(?:\\.|[^"\\\n])*")
|(?P<rune>'(?:\\.|[^'\\\n])+')
|(?P<num>\d[\w.]*)
|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
|(?P<op>\.\.\.|:=|==|!=|<=|>=|&&|\|\||<-|\+\+|--|\+=|-=|[-+*/%&|^<>=!(){}\[\],;:.~@#$?\\])
""",
    re.S | re.X,
)

SEMI_AFTER = {"ident", "num", "str", "raw", "rune"}
SEMI_OPS = {")", "]", "}", "++", "--"}


class Tok:
    __slots__ = ("kind", "val", "line")

    def __init__(self, kind, val, line):
        self.kind, self.val, self.line = kind, val, line

    def __repr__(self):
        return f"{self.kind}:{self.val!r}@{self.line}"


def tokenize(src):
    out = []
    pos, line = 0, 1
    while pos < len(src):
        m = TOKEN.match(src, pos)
        if not m:
            # unknown character (e.g. non-ASCII outside strings): skip it
            pos += 1
            continue
        kind = m.lastgroup
        text = m.group(kind)
        if kind == "nl" or (kind == "bcomment" and "\n" in text):
            last = out[-1] if out else None
            if last and (last.kind in SEMI_AFTER or (last.kind == "op" and last.val in SEMI_OPS)):
                out.append(Tok("op", ";", line))
        elif kind in ("ws", "lcomment", "bcomment"):
            pass
        else:
            out.append(Tok(kind, text, line))
        line += text.count("\n")
        pos = m.end()
    return out


def unquote(tok):
    if tok.kind == "raw":
        return tok.val[1:-1].replace("\r", "")
    body = tok.val[1:-1]
    out = bytearray()
    i = 0
    simple = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39, '"': 34}
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        n = body[i + 1]
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == "x":
            out.append(int(body[i + 2 : i + 4], 16))
            i += 4
        elif n in "01234567":
            out.append(int(body[i + 1 : i + 4], 8))
            i += 4
        elif n == "u":
            out += chr(int(body[i + 2 : i + 6], 16)).encode()
            i += 6
        elif n == "U":
            out += chr(int(body[i + 2 : i + 10], 16)).encode()
            i += 10
        else:
            out += ("\\" + n).encode()
            i += 2
    return out.decode("utf-8", "replace")


class Err:
    def __init__(self, msg):
        self.msg = msg

    def __repr__(self):
        return f"Err({self.msg})"


class GStr(str):
    """A sample string with where it came from (line) and how it was put (ctx)."""

    line = None
    ctx = None


def gstr(s, line=None, ctx=None):
    g = GStr(s)
    g.line = getattr(s, "line", None) or line
    g.ctx = getattr(s, "ctx", None) or ctx
    return g


class EvalError(Exception):
    pass


# ---------------------------------------------------------------- regex-driven random strings
PRINTABLE = [chr(c) for c in range(0x20, 0x7F)]
CATS = {
    sre_c.CATEGORY_DIGIT: string.digits,
    sre_c.CATEGORY_NOT_DIGIT: "".join(c for c in PRINTABLE if not c.isdigit()),
    sre_c.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    sre_c.CATEGORY_NOT_WORD: "".join(c for c in PRINTABLE if not (c.isalnum() or c == "_")),
    sre_c.CATEGORY_SPACE: " \t\n",
    sre_c.CATEGORY_NOT_SPACE: "".join(c for c in PRINTABLE if c != " "),
}


class RegexGen:
    """Random strings matching a regex, the way gitleaks' secrets.NewSecret (lucasjones/reggen,
    limit 1) makes them: each character drawn uniformly from its class, a bounded repeat drawn
    between its bounds, an unbounded one at most `limit` past its minimum, one branch at random.
    Under (?i) a class takes both cases, as Go's regexp/syntax folds it."""

    def __init__(self, rng, limit=1):
        self.rng = rng
        self.limit = limit

    def __call__(self, regex):
        return self.gen(sre_parse.parse(regex), False)

    def charset(self, items, icase):
        chars = set()
        neg = False
        for op, av in items:
            if op == sre_c.NEGATE:
                neg = True
            elif op == sre_c.LITERAL:
                chars.add(chr(av))
            elif op == sre_c.RANGE:
                chars.update(chr(c) for c in range(av[0], av[1] + 1))
            elif op == sre_c.CATEGORY:
                chars.update(CATS[av])
            else:
                raise EvalError(f"class item {op}")
        if icase:
            chars |= {c.swapcase() for c in chars if c.isalpha()}
        if neg:
            chars = set(PRINTABLE) - chars
        return sorted(chars)

    def gen(self, parsed, icase):
        out = []
        for op, av in parsed:
            if op == sre_c.LITERAL:
                out.append(chr(av))
            elif op == sre_c.NOT_LITERAL:
                out.append(self.rng.choice([c for c in PRINTABLE if c != chr(av)]))
            elif op == sre_c.ANY:
                out.append(self.rng.choice(PRINTABLE))
            elif op == sre_c.IN:
                out.append(self.rng.choice(self.charset(av, icase)))
            elif op == sre_c.CATEGORY:
                out.append(self.rng.choice(CATS[av]))
            elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
                lo, hi, sub = av
                if hi == sre_c.MAXREPEAT:
                    hi = lo + self.limit
                n = self.rng.randint(lo, hi)
                for _ in range(n):
                    out.append(self.gen(sub, icase))
            elif op == sre_c.SUBPATTERN:
                _, add, rem, sub = av
                ic = icase
                if add & sre_c.SRE_FLAG_IGNORECASE:
                    ic = True
                if rem & sre_c.SRE_FLAG_IGNORECASE:
                    ic = False
                out.append(self.gen(sub, ic))
            elif op == sre_c.BRANCH:
                out.append(self.gen(self.rng.choice(av[1]), icase))
            elif op == sre_c.AT:
                pass
            else:
                raise EvalError(f"regex op {op}")
        return "".join(out)


# ---------------------------------------------------------------- gitleaks' generators
# cmd/generate/config/utils/generate.go GenerateSampleSecrets (gitleaks v8.30.1), with the file each
# context would be written in.
SAMPLE_CONTEXTS = [
    ("ini - quoted1", '{i}Token="{s}"', "settings.ini"),
    ("ini - quoted2", '{i}Token = "{s}"', "settings.ini"),
    ("ini - unquoted1", "{i}Token={s}", "settings.ini"),
    ("ini - unquoted2", "{i}Token = {s}", "settings.ini"),
    ("json - string", '{\n    "{i}_token": "{s}"\n}', "config.json"),
    ("json - escaped newline in string", '{"config.ini": "{I}_TOKEN={s}\\nBACKUP_ENABLED=true"}', "config.json"),
    ("xml - element multiline", "<{i}Token>\n    {s}\n</{i}Token>", "config.xml"),
    ("yaml - singleline - unquoted", "{i}_token: {s}", "config.yaml"),
    ("yaml - singleline - single quote", "{i}_token: '{s}'", "config.yaml"),
    ("yaml - singleline - double quote", '{i}_token: "{s}"', "config.yaml"),
    ("C#", 'string {i}Token = "{s}";', "Settings.cs"),
    ("go - normal", 'var {i}Token string = "{s}"', "config.go"),
    ("go - short", '{i}Token := "{s}"', "config.go"),
    ("go - backticks", "{i}Token := `{s}`", "config.go"),
    ("java", 'String {i}Token = "{s}";', "Config.java"),
    ("kotlin - notype", 'var {i}Token = "{s}"', "Config.kt"),
    ("php - string concat", '${i}Token .= "{s}"', "config.php"),
    ("python - single quote", "{i}Token = '{s}'", "settings.py"),
    ("python - double quote", '{i}Token = "{s}"', "settings.py"),
    ("misc - comma operator", 'System.setProperty("{I}_TOKEN", "{s}")', "Bootstrap.java"),
    ("logstash", '  "{i}Token" => "{s}"', "logstash.conf"),
    ("make - recursive assignment", '{i}_TOKEN = "{s}"', "Makefile"),
    ("make - simple assignment", '{i}_TOKEN := "{s}"', "Makefile"),
    ("make - shell assignment", '{i}_TOKEN ::= "{s}"', "Makefile"),
    ("make - evaluated shell assignment", '{i}_TOKEN :::= "{s}"', "Makefile"),
    ("make - conditional assignment", '{i}_TOKEN ?= "{s}"', "Makefile"),
]
CONTEXT_FILE = {name: f for name, _, f in SAMPLE_CONTEXTS}
CONTEXT_FILE["GenerateSampleSecret"] = "settings.py"


def generate_sample_secrets(identifier, secret, line):
    out = []
    for name, tpl, _ in SAMPLE_CONTEXTS:
        # strings.NewReplacer replaces in one left-to-right pass
        s = re.sub(r"\{i\}|\{I\}|\{s\}", lambda m: {"{i}": identifier, "{I}": identifier.upper(), "{s}": secret}[m.group(0)], tpl)
        out.append(gstr(s, line, name))
    return out


def go_sprintf(fmt, args):
    it = iter(args)

    def rep(m):
        verb = m.group(0)
        if verb == "%%":
            return "%"
        v = next(it)
        if isinstance(v, Err):
            raise EvalError(v.msg)
        if verb.endswith("q"):
            return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + " ".join(map(str, v)) + "]"
        return str(v)

    return re.sub(r"%[-+# 0]*\d*(?:\.\d+)?[sdvqxXt%]", rep, fmt)


# ---------------------------------------------------------------- the evaluator
class GoFile:
    def __init__(self, src, rng, extra_builtins=None, stopwords=()):
        self.src = src
        self.toks = tokenize(src)
        self.rng = rng
        self.regen = RegexGen(rng)
        self.stopwords = [w.lower() for w in stopwords]
        self.globals = {}  # name -> (start, end) token range of its expression, or value
        self.funcs = {}  # name -> (body_start, body_end)
        self.extra = extra_builtins or {}
        self._scan_top()

    # --- top-level structure
    def _match_brace(self, i):
        """Index of the token closing the bracket opened at i."""
        open_, close = self.toks[i].val, {"(": ")", "[": "]", "{": "}"}[self.toks[i].val]
        depth = 0
        for j in range(i, len(self.toks)):
            v = self.toks[j]
            if v.kind == "op" and v.val == open_:
                depth += 1
            elif v.kind == "op" and v.val == close:
                depth -= 1
                if depth == 0:
                    return j
        raise EvalError("unbalanced")

    def _scan_top(self):
        t = self.toks
        i = 0
        while i < len(t):
            tok = t[i]
            if tok.kind == "ident" and tok.val == "func":
                j = i + 1
                if t[j].val == "(":  # method receiver
                    j = self._match_brace(j) + 1
                name = t[j].val
                # find the body's '{' at depth 0 after the signature
                k = j + 1
                depth = 0
                while k < len(t):
                    v = t[k].val
                    if v in "([":
                        depth += 1
                    elif v in ")]":
                        depth -= 1
                    elif v == "{" and depth == 0:
                        # `struct{` / `interface{` in a result type
                        if t[k - 1].val in ("struct", "interface"):
                            k = self._match_brace(k) + 1
                            continue
                        break
                    k += 1
                end = self._match_brace(k)
                self.funcs[name] = (k + 1, end)
                i = end + 1
            elif tok.kind == "ident" and tok.val in ("var", "const"):
                if t[i + 1].val == "(":
                    end = self._match_brace(i + 1)
                    for a, b in self._statements(i + 2, end):
                        self._decl(a, b)
                    i = end + 1
                else:
                    k = i + 1
                    while k < len(t) and t[k].val != ";":
                        if t[k].val in "([{":
                            k = self._match_brace(k)
                        k += 1
                    self._decl(i + 1, k)
                    i = k + 1
            else:
                i += 1

    def _decl(self, a, b):
        t = self.toks
        if a >= b or t[a].kind != "ident":
            return
        # name [type] = expr
        k = a + 1
        while k < b and t[k].val != "=":
            if t[k].val in "([{":
                k = self._match_brace(k)
            k += 1
        if k < b:
            self.globals[t[a].val] = ("lazy", k + 1, b)

    def _statements(self, a, b):
        """Top-level statements (token ranges) between a and b."""
        t = self.toks
        out = []
        s = a
        k = a
        while k < b:
            v = t[k]
            if v.kind == "op" and v.val in "([{":
                k = self._match_brace(k) + 1
                continue
            if v.kind == "op" and v.val == ";":
                if k > s:
                    out.append((s, k))
                s = k + 1
            k += 1
        if b > s:
            out.append((s, b))
        return out

    # --- running a function body
    def run_func(self, name):
        a, b = self.funcs[name]
        env = {}
        for s, e in self._statements(a, b):
            t = self.toks
            if t[s].kind == "ident" and t[s].val == "var":
                s += 1
                k = s + 1
                while k < e and t[k].val != "=":
                    k += 1
                if k >= e:
                    continue
                lhs, rhs = t[s].val, k + 1
            elif t[s].kind == "ident" and s + 1 < e and t[s + 1].val in (":=", "="):
                lhs, rhs = t[s].val, s + 2
            else:
                continue
            try:
                env[lhs] = self.eval_range(rhs, e, env)
            except (EvalError, StopIteration, KeyError, IndexError, ValueError, TypeError) as ex:
                env[lhs] = Err(f"{lhs}: {ex!r}")
        return env

    def eval_range(self, a, b, env):
        p = Parser(self, a, b, env)
        v = p.expr()
        if p.i != b:
            raise EvalError(f"trailing tokens at line {self.toks[p.i].line}: {self.toks[p.i]}")
        return v

    def lookup(self, name, env):
        if name in env:
            v = env[name]
        elif name in self.globals:
            v = self.globals[name]
            if isinstance(v, tuple) and v and v[0] == "lazy":
                self.globals[name] = Err("recursive")
                try:
                    v = self.eval_range(v[1], v[2], {})
                except (EvalError, StopIteration, KeyError, IndexError, ValueError, TypeError) as ex:
                    v = Err(f"{name}: {ex!r}")
                self.globals[name] = v
        elif name in ("nil",):
            return None
        elif name in ("true", "false"):
            return name == "true"
        else:
            raise EvalError(f"unknown name {name}")
        if isinstance(v, Err):
            raise EvalError(v.msg)
        return v

    # --- builtins
    def call(self, fname, args, line):
        def s(x):
            if isinstance(x, Err):
                raise EvalError(x.msg)
            return x

        args = [s(a) for a in args]
        if fname in self.extra:
            return self.extra[fname](self, args, line)
        if fname == "fmt.Sprintf":
            return go_sprintf(args[0], args[1:])
        if fname in ("fmt.Sprint",):
            return "".join(map(str, args))
        if fname == "secrets.NewSecret":
            return self.regen(args[0])
        if fname == "newPlausibleSecret":
            while True:
                v = self.regen(args[0])
                if not re.search("[1-9]", v):
                    continue
                low = v.lower()
                if any(w in low for w in self.stopwords):
                    continue
                return v
        simple = {
            "utils.Numeric": r"[0-9]{%s}",
            "utils.Hex": r"[a-f0-9]{%s}",
            "utils.AlphaNumeric": r"[a-z0-9]{%s}",
            "utils.AlphaNumericExtendedShort": r"[a-z0-9_-]{%s}",
            "utils.AlphaNumericExtended": r"[a-z0-9=_\-]{%s}",
            "utils.AlphaNumericExtendedLong": r"[a-z0-9\/=_\+\-]{%s}",
        }
        if fname in simple:
            return simple[fname] % args[0]
        if fname == "utils.Hex8_4_4_4_12":
            return r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        if fname == "utils.GenerateSampleSecret":
            return gstr(f'{args[0]}_api_token = "{args[1]}"', line, "GenerateSampleSecret")
        if fname == "utils.GenerateSampleSecrets":
            return generate_sample_secrets(args[0], args[1], line)
        if fname == "append":
            return list(args[0] or []) + [a for a in args[1:]]
        if fname == "strings.Repeat":
            return args[0] * args[1]
        if fname == "strings.ToUpper":
            return args[0].upper()
        if fname == "strings.ToLower":
            return args[0].lower()
        if fname == "strings.Join":
            return args[1].join(args[0])
        if fname in ("string", "[]byte", "[]rune"):
            return args[0] if isinstance(args[0], str) else bytes(args[0]).decode()
        if fname in ("regexp.MustCompile", "regexp.Compile"):
            return args[0]
        if fname == "len":
            return len(args[0])
        if fname == "base64.StdEncoding.EncodeToString":
            return base64.b64encode(_b(args[0])).decode()
        if fname == "base64.URLEncoding.EncodeToString":
            return base64.urlsafe_b64encode(_b(args[0])).decode()
        if fname == "base64.RawURLEncoding.EncodeToString":
            return base64.urlsafe_b64encode(_b(args[0])).decode().rstrip("=")
        if fname == "base64.RawStdEncoding.EncodeToString":
            return base64.b64encode(_b(args[0])).decode().rstrip("=")
        raise EvalError(f"unknown function {fname}")


def _b(x):
    return x if isinstance(x, (bytes, bytearray)) else str(x).encode()


class Parser:
    def __init__(self, f, a, b, env):
        self.f, self.t, self.i, self.b, self.env = f, f.toks, a, b, env

    def peek(self, k=0):
        j = self.i + k
        return self.t[j] if j < self.b else Tok("eof", "", 0)

    def take(self, val=None):
        tok = self.peek()
        if val is not None and tok.val != val:
            raise EvalError(f"expected {val!r}, got {tok} ")
        self.i += 1
        return tok

    def expr(self):
        v = self.unary()
        while self.peek().kind == "op" and self.peek().val in ("+", "-", "*"):
            op = self.take().val
            w = self.unary()
            if isinstance(v, Err) or isinstance(w, Err):
                raise EvalError("err operand")
            if op == "+":
                v = v + w
            elif op == "-":
                v = v - w
            else:
                v = v * w
        return v

    def unary(self):
        tok = self.peek()
        if tok.kind == "op" and tok.val in ("&", "*"):
            self.take()
            return self.unary()
        return self.postfix(self.primary())

    def type_expr(self):
        """Consumes a type; returns its text."""
        tok = self.peek()
        if tok.val == "[":
            self.take()
            n = ""
            if self.peek().val != "]":
                n = self.take().val
            self.take("]")
            return f"[{n}]" + self.type_expr()
        if tok.val == "map":
            self.take()
            self.take("[")
            k = self.type_expr()
            self.take("]")
            return f"map[{k}]" + self.type_expr()
        if tok.val in ("struct", "interface"):
            self.take()
            j = self.f._match_brace(self.i)
            self.i = j + 1
            return tok.val + "{}"
        if tok.val == "*":
            self.take()
            return "*" + self.type_expr()
        if tok.val == "func":
            raise EvalError("func type")
        name = self.take().val
        while self.peek().val == "." and self.peek(1).kind == "ident":
            self.take()
            name += "." + self.take().val
        return name

    def primary(self):
        tok = self.peek()
        if tok.kind in ("str", "raw"):
            self.take()
            return gstr(unquote(tok), tok.line)
        if tok.kind == "rune":
            self.take()
            return unquote(Tok("str", '"' + tok.val[1:-1] + '"', tok.line))
        if tok.kind == "num":
            self.take()
            try:
                return int(tok.val, 0)
            except ValueError:
                return float(tok.val)
        if tok.val == "(":
            self.take()
            v = self.expr()
            self.take(")")
            return v
        if tok.val == "func":
            # a function literal: skip it
            self.take()
            j = self.f._match_brace(self.i)
            self.i = j + 1
            while self.peek().val != "{":
                self.take()
            self.i = self.f._match_brace(self.i) + 1
            return Err("func literal")
        if tok.val in ("[", "map", "struct"):
            ty = self.type_expr()
            if self.peek().val == "{":
                return self.composite(ty)
            if self.peek().val == "(":
                self.take()
                v = self.expr()
                self.take(")")
                return self.f.call(ty, [v], tok.line)
            raise EvalError(f"type {ty} without literal")
        if tok.kind == "ident":
            self.take()
            name = tok.val
            while self.peek().val == "." and self.peek(1).kind == "ident":
                self.take()
                name += "." + self.take().val
            nxt = self.peek()
            if nxt.val == "(":
                args = self.args()
                spread = False
                if isinstance(args, tuple):
                    args, spread = args
                if name == "append" and spread:
                    return list(args[0] or []) + list(args[-1]) if len(args) == 2 else list(args[0]) + args[1:-1] + list(args[-1])
                return self.f.call(name, args, tok.line)
            if nxt.val == "{" and (name[0].isupper() or "." in name or name in ("testCase", "test", "tc")):
                return self.composite(name)
            if nxt.val == "[" and name in ("map",):
                raise EvalError("map type")
            return self.f.lookup(name, self.env)
        raise EvalError(f"unexpected {tok}")

    def args(self):
        self.take("(")
        out = []
        spread = False
        while self.peek().val != ")":
            line = self.peek().line
            try:
                v = self.expr()
                if isinstance(v, str) and not isinstance(v, GStr):
                    v = gstr(v, line)
            except EvalError as ex:
                v = Err(str(ex))
                self._skip_to((",", ")"))
            if self.peek().val == "...":
                self.take()
                spread = True
            out.append(v)
            if self.peek().val == ",":
                self.take()
        self.take(")")
        return (out, True) if spread else out

    def _skip_to(self, stops):
        while self.peek().val not in stops and self.peek().kind != "eof":
            if self.peek().val in "([{":
                self.i = self.f._match_brace(self.i) + 1
            else:
                self.take()

    def composite(self, ty):
        self.take("{")
        keyed = {}
        items = []
        while self.peek().val != "}":
            line = self.peek().line
            key = None
            if self.peek().kind == "ident" and self.peek(1).val == ":":
                key = self.take().val
                self.take(":")
            elif self.peek().val != "{":
                # maybe `expr: value`
                save = self.i
                try:
                    k = self.expr()
                    if self.peek().val == ":":
                        self.take(":")
                        key = k
                    else:
                        self.i = save
                except EvalError:
                    self.i = save
            try:
                if self.peek().val == "{":
                    v = self.composite("")
                else:
                    v = self.expr()
                if isinstance(v, str):
                    v = gstr(v, line)
            except EvalError as ex:
                v = Err(str(ex))
                self._skip_to((",", "}"))
            if key is not None:
                keyed[key] = v
                if isinstance(v, dict):
                    v.setdefault("__line__", line)
            else:
                if isinstance(v, dict):
                    v.setdefault("__line__", line)
                items.append(v)
            if self.peek().val == ",":
                self.take()
        self.take("}")
        if keyed and not items:
            return keyed
        if ty.startswith("map") and not keyed:
            return {}
        return items if not keyed else {**keyed, "__items__": items}

    def postfix(self, v):
        while True:
            nxt = self.peek()
            if nxt.val == "[" and isinstance(v, (list, str, dict)):
                self.take()
                k = self.expr()
                self.take("]")
                v = v[k]
            elif nxt.val == "." and self.peek(1).kind == "ident":
                raise EvalError("field access")
            else:
                return v
