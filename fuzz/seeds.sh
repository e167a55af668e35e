#!/usr/bin/env bash
# Writes the fuzz seed corpus into fuzz/corpus/<target>/ (git ignores fuzz/corpus; rerun this
# after a clone): real tar, tar.gz, zip and wheel archives (and a docker-save-like image tar),
# the built-in check files, env files, push lines and calendars.
set -euo pipefail
cd "$(dirname "$0")"
c=corpus
mkdir -p $c/archive $c/archive_structured $c/config $c/dotenv $c/pre_push $c/ics $c/image
cp ../checks/*.yaml $c/config/
printf 'settings:\n  timezone: Europe/Berlin\nchecks:\n  static-paths: {off: true}\nwaivers:\n  - {check: repo-secrets, path: "test/**", reason: fixtures}\n' > $c/config/shipgate.yaml
printf 'A=1\nexport B="two words"\nC=${A}-x # comment\nD=\x27single $A\x27\nE="multi\nline"\n' > $c/dotenv/basic.env
printf 'DATABASE_URL=postgres://app:pw@db/app\nEMPTY=\n#comment\n  SPACED = v \n' > $c/dotenv/app.env
z=0000000000000000000000000000000000000000
printf 'refs/heads/main 1111111111111111111111111111111111111111 refs/heads/main 2222222222222222222222222222222222222222\n' > $c/pre_push/update
printf 'refs/heads/feature 1111111111111111111111111111111111111111 refs/heads/feature %s\n(delete) %s refs/heads/old 3333333333333333333333333333333333333333\n' $z $z > $c/pre_push/new-and-delete
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261226\r\nSUMMARY:Christmas\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;TZID=Europe/Berlin:20261231T180000\r\nDTEND;TZID=Europe/Berlin:20270101T060000\r\nSUMMARY:Freeze\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > $c/ics/holidays.ics
printf 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20191128\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=TH;BYSETPOS=4\r\nEXDATE;VALUE=DATE:20271125\r\nRDATE;VALUE=DATE:20270601\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;TZID=Pacific/Auckland:20251225T000000\r\nDTEND;TZID=Pacific/Auckland:20251226T000000\r\nRRULE:FREQ=YEARLY;UNTIL=20301231T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > $c/ics/floating.ics
python3 - "$c/archive" <<'PY'
import io, json, sys, tarfile, zipfile, gzip
out = sys.argv[1]
def tar_bytes(entries, fmt=tarfile.GNU_FORMAT):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        for name, data, kind in entries:
            i = tarfile.TarInfo(name); i.size = len(data)
            if kind == "dir": i.type = tarfile.DIRTYPE; i.size = 0
            if kind.startswith("sym:"): i.type = tarfile.SYMTYPE; i.linkname = kind[4:]; i.size = 0
            t.addfile(i, io.BytesIO(data) if i.size else None)
    return b.getvalue()
pkg = [("package/", b"", "dir"), ("package/package.json", b'{"name":"x","version":"1.0.0"}', "f"),
       ("package/dist/index.js", b"console.log(1)\n//# sourceMappingURL=index.js.map\n", "f"),
       ("package/dist/index.js.map", b'{"version":3,"sources":["../src/a.ts"],"sourcesContent":["x"],"mappings":"A"}', "f"),
       ("package/.env", b"SECRET=1\n", "f"), ("package/link", b"", "sym:../../etc/passwd")]
open(f"{out}/npm.tgz", "wb").write(gzip.compress(tar_bytes(pkg)))
open(f"{out}/pax.tar", "wb").write(tar_bytes(pkg, tarfile.PAX_FORMAT))
a = tar_bytes(pkg[:2])
open(f"{out}/zero-block.tgz", "wb").write(gzip.compress(a[:-1024] + b"\0" * 512 + tar_bytes(pkg[4:5])))
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("app/__init__.py", "print(1)\n")
    z.writestr("app-1.0.dist-info/METADATA", "Name: app\n")
    z.writestr("app-1.0.dist-info/RECORD", "app/__init__.py,,9\napp-1.0.dist-info/METADATA,,10\napp-1.0.dist-info/RECORD,,\n")
open(f"{out}/app-1.0-py3-none-any.whl", "wb").write(b.getvalue())
b = io.BytesIO()
with zipfile.ZipFile(b, "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    z.writestr("keys/release.keystore", "x")
open(f"{out}/app.jar", "wb").write(b.getvalue())
layer = tar_bytes([("app/", b"", "dir"), ("app/.env", b"K=1\n", "f"), ("app/.wh.old", b"", "f")])
img = tar_bytes([("manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["app:1"], "Layers": ["l1/layer.tar"]}]).encode(), "f"),
                 ("c.json", b'{"config":{"Env":["PATH=/bin"]},"rootfs":{"type":"layers"}}', "f"),
                 ("l1/layer.tar", layer, "f")])
open(f"{out}/image.tar", "wb").write(img)
PY
cp $c/archive/* $c/archive_structured/ 2>/dev/null || true
cp $c/archive/image.tar $c/image/
echo "seeds in $(pwd)/$c"
