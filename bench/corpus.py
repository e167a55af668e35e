#!/usr/bin/env python3
"""Builds shipgate's benchmark corpus, deterministically from a seed.

  bench/corpus.py artifact OUT.tar.gz [--mb 200]   an npm-style package of at least MB compressed
  bench/corpus.py repo DIR [--files 20000 --mb 500]  a work tree: source, configs, minified bundles,
                                                      binaries, vendored folders, a .gitignore
  bench/corpus.py history DIR [--commits 20000]     a git repository with reviewed and unreviewed
                                                      commits (via git fast-import)
"""
import argparse
import io
import os
import random
import subprocess
import sys
import tarfile

WORDS = ("const let var function return import export from await async if else for while class "
         "new this true false null undefined config server client request response user token "
         "value index data result error message handler router service module default string "
         "number object array length push map filter reduce then catch try finally").split()


def text_lines(rng, n):
    out = []
    for _ in range(n):
        k = rng.randint(3, 14)
        indent = "  " * rng.randint(0, 4)
        out.append(indent + " ".join(rng.choice(WORDS) for _ in range(k)) + ";")
    return out


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.lines = text_lines(self.rng, 50_000)

    def text(self, size):
        parts, total = [], 0
        while total < size:
            chunk = "\n".join(self.rng.choices(self.lines, k=200)) + "\n"
            parts.append(chunk)
            total += len(chunk)
        return "".join(parts)[:size].encode()

    def minified(self, size):
        return self.text(size).replace(b"\n", b"").replace(b"  ", b"")

    def binary(self, size):
        return self.rng.randbytes(size)


def artifact(out, mb, seed):
    g = Gen(seed)
    target = mb << 20
    raw = io.BytesIO()
    n = 0
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        def add(name, data):
            info = tarfile.TarInfo("package/" + name)
            info.size, info.mtime, info.mode = len(data), 1_700_000_000, 0o644
            tar.addfile(info, io.BytesIO(data))
        add("package.json", b'{"name":"bench-app","version":"1.0.0"}')
        # Incompressible assets are most of the compressed size; text is most of the entries.
        produced = 0
        i = 0
        while produced < target:
            i += 1
            kind = i % 10
            if kind < 3:
                data = g.binary(g.rng.randint(200_000, 2_000_000))
                add(f"assets/img{i}.png", data)
                produced += len(data)
            elif kind < 4:
                data = g.minified(g.rng.randint(500_000, 3_000_000))
                add(f"dist/chunk{i}.min.js", data)
                produced += len(data) // 4
            else:
                data = g.text(g.rng.randint(5_000, 120_000))
                add(f"dist/lib/mod{i}.js", data)
                produced += len(data) // 4
            n += 1
    tarball = raw.getvalue()
    with open(out, "wb") as f:
        subprocess.run(["gzip", "-6", "-c"], input=tarball, stdout=f, check=True)
    print(f"{out}: {n} entries, {len(tarball) >> 20} MiB uncompressed, {os.path.getsize(out) >> 20} MiB gzip")


def repo(d, files, mb, seed):
    g = Gen(seed)
    os.makedirs(d, exist_ok=True)
    target = mb << 20
    per = target // files
    with open(os.path.join(d, ".gitignore"), "w") as f:
        f.write("node_modules/\n/build/\n*.log\n")
    total = 0
    for i in range(files):
        kind = i % 20
        sub = f"src/pkg{i % 97}/mod{i % 13}"
        if kind == 0:
            path, data = f"vendor/lib{i % 31}/bundle{i}.min.js", g.minified(per * 6)
        elif kind == 1:
            path, data = f"assets/blob{i}.bin", g.binary(per * 3)
        elif kind == 2:
            path, data = f"config/service{i}.yaml", g.text(max(per // 4, 200))
        elif kind == 3:
            path, data = f"node_modules/dep{i}/index.js", g.text(per)
        else:
            path, data = f"{sub}/file{i}.ts", g.text(max(per // 2, 500))
        full = os.path.join(d, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
        total += len(data)
    print(f"{d}: {files} files, {total >> 20} MiB")


def history(d, commits, seed):
    rng = random.Random(seed)
    os.makedirs(d, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", d], check=True)
    lines = []
    t = 1_700_000_000
    for i in range(commits):
        t += 60
        subject = f"Change {i}: " + " ".join(rng.choice(WORDS) for _ in range(5))
        body = ""
        r = rng.random()
        if r < 0.5:
            body = f"\n\nReviewed-by: Reviewer {i % 7} <r{i % 7}@example.com>\n"
        elif r < 0.6:
            subject = f"Merge pull request #{i} from team/feature-{i}"
        msg = (subject + body).encode()
        blob = f"content {i}\n".encode()
        lines.append(b"blob\nmark :%d\ndata %d\n%s\n" % (2 * i + 1, len(blob), blob))
        parent = b"from :%d\n" % (2 * i) if i else b""
        lines.append(
            b"commit refs/heads/main\nmark :%d\nauthor Dev <dev@example.com> %d +0000\n"
            b"committer Dev <dev@example.com> %d +0000\ndata %d\n%s\n%sM 100644 :%d file%d.txt\n"
            % (2 * i + 2, t, t, len(msg), msg, parent, 2 * i + 1, i % 500)
        )
    subprocess.run(["git", "-C", d, "fast-import", "--quiet"], input=b"".join(lines), check=True)
    subprocess.run(["git", "-C", d, "reset", "-q", "--hard", "main"], check=True)
    print(f"{d}: {commits} commits")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["artifact", "repo", "history"])
    p.add_argument("out")
    p.add_argument("--mb", type=int, default=None)
    p.add_argument("--files", type=int, default=20000)
    p.add_argument("--commits", type=int, default=20000)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    if a.what == "artifact":
        artifact(a.out, a.mb or 200, a.seed)
    elif a.what == "repo":
        repo(a.out, a.files, a.mb or 500, a.seed)
    else:
        history(a.out, a.commits, a.seed)


if __name__ == "__main__":
    sys.exit(main())
