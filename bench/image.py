#!/usr/bin/env python3
"""A real container image for the image benchmark, as an oci-archive tarball.

First tries to pull one from a public registry over HTTPS (Docker Hub's token auth, then the
manifest list, the linux/amd64 manifest and its blobs, written as an OCI layout in a tarball).
Where registries are unreachable, assembles one from real published packages instead: Debian's
.deb packages (their data tarballs, as `apt-get install` in a Dockerfile would lay them down) and
npm tarballs (as `npm ci` would), each named by version and sha256 in inputs.txt.

    bench/image.py OUT_DIR            # writes OUT_DIR/image-oci.tar, layers.gz, inputs.txt

layers.gz is the image's gzip layers concatenated: the same compressed bytes `gzip -dc` reads.
Not run by CI (it downloads); bench/run.sh image runs it.
"""

import gzip
import hashlib
import io
import json
import lzma
import os
import subprocess
import sys
import tarfile
import urllib.request

REGISTRY_IMAGE = ("registry-1.docker.io", "library/node", "22-slim")

# Debian bookworm packages, by layer: what a python:3.11-slim-style base plus Node.js lays down.
DEBS = [
    ["libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libssl3", "ca-certificates", "tzdata",
     "bash", "coreutils", "perl-base", "libicu72", "ncurses-base", "libtinfo6", "libzstd1",
     "liblzma5", "libbz2-1.0", "libcrypt1", "debianutils", "sed", "grep", "tar", "gzip"],
    ["python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib", "python3.11",
     "libsqlite3-0", "libexpat1", "libffi8", "libreadline8", "libncursesw6", "libuuid1"],
    ["nodejs=18.20.4+dfsg-1~deb12u3", "libnode108=18.20.4+dfsg-1~deb12u3", "libuv1",
     "libbrotli1", "libc-ares2", "libnghttp2-14"],
]
# npm packages of the application layer: what `npm ci` would put in node_modules.
NPM = ["typescript@5.6.3", "express@4.21.1", "lodash@4.17.21", "react@18.3.1",
       "react-dom@18.3.1", "moment@2.30.1", "rxjs@7.8.1", "zod@3.23.8", "axios@1.7.7",
       "date-fns@4.1.0", "prettier@3.3.3", "webpack@5.95.0", "eslint@9.13.0"]


def sha256(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def try_registry(out):
    host, repo, tag = REGISTRY_IMAGE
    try:
        tok = json.load(urllib.request.urlopen(
            f"https://auth.docker.io/token?service=registry.docker.io&scope=repository:{repo}:pull",
            timeout=10))["token"]
    except Exception as e:  # no network beyond the package registries here
        print(f"registry unreachable ({e}); assembling an image from real packages", file=sys.stderr)
        return None

    def get(path, accept):
        req = urllib.request.Request(f"https://{host}/v2/{repo}/{path}", headers={
            "Authorization": f"Bearer {tok}", "Accept": accept})
        return urllib.request.urlopen(req, timeout=60).read()

    lst = json.loads(get(f"manifests/{tag}", "application/vnd.oci.image.index.v1+json,"
                         "application/vnd.docker.distribution.manifest.list.v2+json"))
    d = next(m for m in lst["manifests"] if m.get("platform", {}).get("architecture") == "amd64")
    mbytes = get(f"manifests/{d['digest']}", d["mediaType"])
    m = json.loads(mbytes)
    blobs = {d["digest"]: mbytes}
    for b in [m["config"]] + m["layers"]:
        blobs[b["digest"]] = get(f"blobs/{b['digest']}", "*/*")
    index = {"schemaVersion": 2, "manifests": [dict(d, annotations={
        "io.containerd.image.name": f"docker.io/{repo}:{tag}"})]}
    write_archive(out, blobs, index)
    layers = [blobs[l["digest"]] for l in m["layers"]]
    inputs = [f"{repo}:{tag} manifest {d['digest']}"] + [
        f"layer {i + 1} {l['digest']} {l['size']} bytes" for i, l in enumerate(m["layers"])]
    return layers, inputs


def deb_data(path):
    """The data tarball of a .deb (an ar archive), uncompressed."""
    data = open(path, "rb").read()
    assert data[:8] == b"!<arch>\n", path
    pos = 8
    while pos < len(data):
        name = data[pos:pos + 16].decode().strip().rstrip("/")
        size = int(data[pos + 48:pos + 58].decode().strip())
        body = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
        if name.startswith("data.tar"):
            if name.endswith(".xz"):
                return lzma.decompress(body)
            if name.endswith(".gz"):
                return gzip.decompress(body)
            if name.endswith(".zst"):
                return subprocess.run(["zstd", "-dc"], input=body, capture_output=True, check=True).stdout
            return body
    raise SystemExit(f"{path}: no data.tar")


def copy_members(src_bytes, dst, prefix=None, strip=None):
    with tarfile.open(fileobj=io.BytesIO(src_bytes)) as src:
        for m in src:
            if strip and m.name.startswith(strip):
                m.name = m.name[len(strip):]
            if prefix:
                m.name = prefix + m.name
            dst.addfile(m, src.extractfile(m) if m.isfile() else None)


def gz_layer(fill):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        fill(t)
    raw = buf.getvalue()
    return gzip.compress(raw, compresslevel=6, mtime=0), sha256(raw)


def assemble(out):
    debs_dir = os.path.join(out, "debs")
    npm_dir = os.path.join(out, "npm")
    os.makedirs(debs_dir, exist_ok=True)
    os.makedirs(npm_dir, exist_ok=True)
    inputs = []
    layers = []
    for group in DEBS:
        subprocess.run(["apt-get", "download", "-q", *group], cwd=debs_dir, check=True,
                       stdout=subprocess.DEVNULL)
    files = sorted(os.listdir(debs_dir))
    for group in DEBS:
        names = [g.split("=")[0] for g in group]
        mine = [f for f in files if f.split("_")[0] in names]

        def fill(t, mine=mine):
            for f in mine:
                copy_members(deb_data(os.path.join(debs_dir, f)), t)
        layers.append(gz_layer(fill))
        for f in mine:
            inputs.append(f"deb {f} {sha256(open(os.path.join(debs_dir, f), 'rb').read())}")
    subprocess.run(["npm", "pack", "--silent", *NPM], cwd=npm_dir, check=True,
                   stdout=subprocess.DEVNULL)
    tgzs = sorted(f for f in os.listdir(npm_dir) if f.endswith(".tgz"))

    def app(t):
        for f in tgzs:
            name = f.rsplit("-", 1)[0]
            raw = gzip.decompress(open(os.path.join(npm_dir, f), "rb").read())
            copy_members(raw, t, prefix=f"usr/src/app/node_modules/{name}/", strip="package/")
        for f in tgzs:
            inputs.append(f"npm {f} {sha256(open(os.path.join(npm_dir, f), 'rb').read())}")
    layers.append(gz_layer(app))

    def cleanup(t):  # what a Dockerfile's last RUN deletes: whiteouts
        for n in ["usr/share/doc/.wh..wh..opq", "usr/share/zoneinfo/.wh.right"]:
            t.addfile(tarfile.TarInfo(n))
    layers.append(gz_layer(cleanup))
    blobs = {}
    descs = []
    for blob, _ in layers:
        blobs[sha256(blob)] = blob
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": sha256(blob), "size": len(blob)})
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"User": "node", "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "NODE_ENV=production"],
                   "WorkingDir": "/usr/src/app"},
        "rootfs": {"type": "layers", "diff_ids": [d for _, d in layers]},
        "history": [{"created_by": f"layer {i + 1}"} for i in range(len(layers))],
    }).encode()
    blobs[sha256(config)] = config
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha256(config), "size": len(config)},
        "layers": descs}).encode()
    blobs[sha256(manifest)] = manifest
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha256(manifest),
        "size": len(manifest), "annotations": {"io.containerd.image.name": "bench/node-app:1"}}]}
    write_archive(out, blobs, index)
    inputs.insert(0, f"image manifest {sha256(manifest)}")
    return [b for b, _ in layers], inputs


def write_archive(out, blobs, index):
    with tarfile.open(os.path.join(out, "image-oci.tar"), "w", format=tarfile.PAX_FORMAT) as t:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        for digest, data in sorted(blobs.items()):
            add("blobs/sha256/" + digest[7:], data)
        add("index.json", json.dumps(index).encode())


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    got = try_registry(out) or assemble(out)
    layers, inputs = got
    with open(os.path.join(out, "layers.gz"), "wb") as f:
        for l in layers:
            if l[:2] == b"\x1f\x8b":
                f.write(l)
    with open(os.path.join(out, "inputs.txt"), "w") as f:
        f.write("\n".join(inputs) + "\n")
    size = os.path.getsize(os.path.join(out, "image-oci.tar"))
    print(f"{out}/image-oci.tar: {size / 1e6:.1f} MB, {len(layers)} layers", file=sys.stderr)


if __name__ == "__main__":
    main()
