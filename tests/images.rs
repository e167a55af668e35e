//! Container images as artifacts (issue 19), built by hand as the OCI image spec and `docker save`
//! lay them out — tar and JSON, no docker daemon: `docker save` tarballs (legacy and Docker 25+),
//! OCI layout folders and `oci-archive` tarballs; gzip, zstd and plain layers; whiteouts and
//! opaque folders; multi-platform indexes; tampered blobs; the image configuration checks.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sha2::Digest;

use crate::util::{check, fake_aws_key, gzip, status, tar_bytes, TestRepo, E};

#[derive(Clone, Copy)]
enum Comp {
    Plain,
    Gzip,
    Zstd,
}

/// A blob: its bytes and `sha256:<hex>`.
#[derive(Clone)]
struct Blob {
    bytes: Vec<u8>,
    digest: String,
}

impl Blob {
    fn new(bytes: Vec<u8>) -> Self {
        let digest = format!("sha256:{:x}", sha2::Sha256::digest(&bytes));
        Blob { bytes, digest }
    }
    fn json(v: &Value) -> Self {
        Blob::new(serde_json::to_vec(v).unwrap())
    }
    fn hex(&self) -> &str {
        &self.digest[7..]
    }
    fn name(&self) -> String {
        format!("blobs/sha256/{}", self.hex())
    }
    fn descriptor(&self, media: &str) -> Value {
        json!({"mediaType": media, "digest": self.digest, "size": self.bytes.len()})
    }
}

/// A layer: its tar, compressed as asked; `diff_id` is the digest of the uncompressed tar.
struct Layer {
    blob: Blob,
    diff_id: String,
    media: &'static str,
}

fn layer(entries: &[E], comp: Comp) -> Layer {
    let tar = tar_bytes(entries);
    let diff_id = Blob::new(tar.clone()).digest;
    let (bytes, media) = match comp {
        Comp::Plain => (tar, "application/vnd.oci.image.layer.v1.tar"),
        Comp::Gzip => (gzip(&tar), "application/vnd.oci.image.layer.v1.tar+gzip"),
        Comp::Zstd => (
            zstd::encode_all(&tar[..], 3).unwrap(),
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
    };
    Layer {
        blob: Blob::new(bytes),
        diff_id,
        media,
    }
}

/// One image: its layers and the parts of its configuration the tests set.
struct Image {
    layers: Vec<Layer>,
    config: Value,
    tag: &'static str,
}

impl Image {
    fn new(layers: Vec<Layer>) -> Self {
        Image {
            layers,
            config: json!({"config": {"User": "app", "Env": ["PATH=/usr/bin"]}}),
            tag: "app:1.4",
        }
    }
    fn config(mut self, config: Value) -> Self {
        self.config = config;
        self
    }
    fn platform(mut self, os: &str, arch: &str) -> Self {
        self.config["os"] = json!(os);
        self.config["architecture"] = json!(arch);
        self
    }
    fn config_blob(&self) -> Blob {
        let mut c = self.config.clone();
        if c.get("os").is_none() {
            c["os"] = json!("linux");
            c["architecture"] = json!("amd64");
        }
        let ids: Vec<&str> = self.layers.iter().map(|l| l.diff_id.as_str()).collect();
        c["rootfs"] = json!({"type": "layers", "diff_ids": ids});
        Blob::json(&c)
    }
    fn manifest(&self) -> Blob {
        let layers: Vec<Value> = self
            .layers
            .iter()
            .map(|l| l.blob.descriptor(l.media))
            .collect();
        Blob::json(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": self.config_blob().descriptor("application/vnd.oci.image.config.v1+json"),
            "layers": layers,
        }))
    }
    /// Every blob of the image: layers, config, manifest.
    fn blobs(&self) -> Vec<Blob> {
        let mut b: Vec<Blob> = self.layers.iter().map(|l| l.blob.clone()).collect();
        b.push(self.config_blob());
        b.push(self.manifest());
        b
    }
    fn index_entry(&self, platform: bool) -> Value {
        let mut d = self
            .manifest()
            .descriptor("application/vnd.oci.image.manifest.v1+json");
        d["annotations"] = json!({"io.containerd.image.name": format!("docker.io/library/{}", self.tag), "org.opencontainers.image.ref.name": "1.4"});
        if platform {
            let c = self.config_blob();
            let c: Value = serde_json::from_slice(&c.bytes).unwrap();
            d["platform"] = json!({"os": c["os"], "architecture": c["architecture"]});
        }
        d
    }
}

/// A tar of named files, in order (an outer archive: `docker save`, `oci-archive`).
fn outer(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let entries: Vec<E> = files
        .iter()
        .map(|(n, d)| E::File(n.as_str(), d.as_slice()))
        .collect();
    tar_bytes(&entries)
}

fn layout_files(blobs: &[Blob], index: &Value) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> =
        blobs.iter().map(|b| (b.name(), b.bytes.clone())).collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files.dedup_by(|a, b| a.0 == b.0);
    files.push(("index.json".into(), serde_json::to_vec(index).unwrap()));
    files.push((
        "oci-layout".into(),
        br#"{"imageLayoutVersion": "1.0.0"}"#.to_vec(),
    ));
    files
}

fn index(manifests: Vec<Value>) -> Value {
    json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests})
}

/// `docker buildx build --output type=oci,dest=…`: an OCI layout in a tarball.
fn oci_archive(path: &Path, img: &Image) {
    let files = layout_files(&img.blobs(), &index(vec![img.index_entry(true)]));
    std::fs::write(path, outer(&files)).unwrap();
}

/// An OCI image layout folder.
fn oci_dir(dir: &Path, img: &Image) {
    for (name, data) in layout_files(&img.blobs(), &index(vec![img.index_entry(false)])) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
}

/// `docker save` as Docker 25+ writes it: an OCI layout plus `manifest.json` with the tags.
fn docker25(path: &Path, img: &Image) -> Vec<(String, Vec<u8>)> {
    let mut files = layout_files(&img.blobs(), &index(vec![img.index_entry(false)]));
    let layers: Vec<String> = img.layers.iter().map(|l| l.blob.name()).collect();
    let manifest =
        json!([{"Config": img.config_blob().name(), "RepoTags": [img.tag], "Layers": layers}]);
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    std::fs::write(path, outer(&files)).unwrap();
    files
}

/// `docker save` before Docker 25: `<id>/layer.tar` (uncompressed), `<config hex>.json`,
/// `manifest.json`, `repositories`.
fn docker_legacy(img: &Image) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut names = Vec::new();
    for (i, l) in img.layers.iter().enumerate() {
        let id = format!("{:0>64}", format!("{:x}", i + 1));
        files.push((format!("{id}/VERSION"), b"1.0".to_vec()));
        files.push((format!("{id}/json"), br#"{"id":"x"}"#.to_vec()));
        files.push((format!("{id}/layer.tar"), l.blob.bytes.clone()));
        names.push(format!("{id}/layer.tar"));
    }
    let config = img.config_blob();
    files.push((format!("{}.json", config.hex()), config.bytes.clone()));
    let manifest = json!([{"Config": format!("{}.json", config.hex()), "RepoTags": [img.tag], "Layers": names}]);
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    files.push(("repositories".into(), b"{}".to_vec()));
    files
}

fn repo() -> TestRepo {
    let t = TestRepo::new();
    t.write("README.md", "app\n");
    t.commit("init");
    t
}

fn art(t: &TestRepo, name: &str) -> PathBuf {
    let d = t.dir.path().join("artifacts");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn run(t: &TestRepo, path: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--artifact", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    t.json(&args)
}

fn paths(r: &Value, id: &str) -> Vec<String> {
    check(r, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap_or("").to_string())
        .collect()
}

fn short(digest: &str) -> String {
    digest[..19].to_string()
}

/// The leaky image of most tests: layer 1 adds `etc/app/.env` and a config with a key, layer 2
/// deletes the `.env` (a whiteout) and replaces the config, adds a source map.
fn leaky(comp: [Comp; 2]) -> Image {
    let key = fake_aws_key();
    let cfg = format!("module.exports = {{ key: '{key}' }};\n");
    let l1 = layer(
        &[
            E::Dir("etc/"),
            E::Dir("etc/app/"),
            E::File("etc/app/.env", b"DB_PASSWORD=x\n"),
            E::File("app/config.js", cfg.as_bytes()),
            E::File("app/index.js", b"console.log(1)\n"),
        ],
        comp[0],
    );
    let l2 = layer(
        &[
            E::File("etc/app/.wh..env", b""),
            E::File("app/config.js", b"module.exports = {};\n"),
            E::File(
                "app/main.js.map",
                br#"{"version":3,"sources":["a.ts"],"sourcesContent":["x"]}"#,
            ),
        ],
        comp[1],
    );
    Image::new(vec![l1, l2])
}

#[test]
fn a_docker_save_tarball_is_read_layer_by_layer() {
    let t = repo();
    let img = leaky([Comp::Plain, Comp::Plain]);
    let p = art(&t, "app.tar");
    std::fs::write(&p, outer(&docker_legacy(&img))).unwrap();
    let (code, r) = run(&t, &p, &[]);
    assert_eq!(code, 1, "{r:#}");
    let l1 = short(&img.layers[0].diff_id);
    let l2 = short(&img.layers[1].diff_id);
    // The .env a later layer deleted is still in the image's blobs.
    assert_eq!(
        paths(&r, "package-env-files"),
        [format!(
            "layer 1 ({l1}, deleted in layer 2 but still in the image)/etc/app/.env"
        )]
    );
    // So is the key in the config.js that layer 2 replaced.
    let secrets = &check(&r, "package-secrets")["findings"][0];
    assert_eq!(
        secrets["location"]["path"],
        format!("layer 1 ({l1}, replaced in layer 2 but still in the image)/app/config.js")
    );
    assert_eq!(
        paths(&r, "package-source-maps"),
        [format!("layer 2 ({l2})/app/main.js.map")]
    );
    // The report lists the image: tags, platform, config digest, layers.
    let a = &r["artifacts"][0];
    assert_eq!(a["format"], "docker-save");
    let image = &a["images"][0];
    assert_eq!(image["tags"], json!(["app:1.4"]));
    assert_eq!(image["platform"], "linux/amd64");
    assert_eq!(image["config_digest"], img.config_blob().digest);
    assert_eq!(image["layers"][0]["digest"], img.layers[0].diff_id);
    assert_eq!(image["layers"][1]["compression"], "tar");
    assert_eq!(
        image["layers"][0]["size"],
        img.layers[0].blob.bytes.len() as u64
    );
    assert_eq!(a["images"].as_array().unwrap().len(), 1);
    // Never a secret whole, in JSON or for a person.
    let key = fake_aws_key();
    assert!(!r.to_string().contains(&key));
    let (_, out, _) = t.run(&["run", "--artifact", p.to_str().unwrap()]);
    assert!(!out.contains(&key), "{out}");
    assert!(
        out.contains(&format!("app.tar!layer 2 ({l2})/app/main.js.map")),
        "{out}"
    );
    assert!(
        out.contains("image app:1.4 · linux/amd64 · config sha256:"),
        "{out}"
    );
    // A gzip-compressed `docker save | gzip` is the same image.
    let gz = art(&t, "app.tar.gz");
    std::fs::write(&gz, gzip(&outer(&docker_legacy(&img)))).unwrap();
    let (code, r) = run(&t, &gz, &["--only", "package-env-files"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["artifacts"][0]["format"], "docker-save+gzip");
}

#[test]
fn docker_25_oci_archives_and_layout_folders_read_alike_with_every_compression() {
    let t = repo();
    let img = leaky([Comp::Gzip, Comp::Zstd]);
    let d25 = art(&t, "app-d25.tar");
    docker25(&d25, &img);
    let archive = art(&t, "app-oci.tar");
    oci_archive(&archive, &img);
    let dir = art(&t, "app-layout");
    oci_dir(&dir, &img);
    let l1 = short(&img.layers[0].blob.digest);
    for (p, format) in [
        (&d25, "docker-save-oci"),
        (&archive, "oci-archive"),
        (&dir, "oci-layout"),
    ] {
        let (code, r) = run(&t, p, &[]);
        assert_eq!(code, 1, "{}: {r:#}", p.display());
        assert_eq!(r["artifacts"][0]["format"], format);
        assert_eq!(
            paths(&r, "package-env-files"),
            [format!(
                "layer 1 ({l1}, deleted in layer 2 but still in the image)/etc/app/.env"
            )],
            "{format}"
        );
        assert_eq!(status(&r, "package-secrets"), "fail", "{format}");
        let image = &r["artifacts"][0]["images"][0];
        let comps: Vec<&str> = image["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["compression"].as_str().unwrap())
            .collect();
        assert_eq!(comps, ["gzip", "zstd"], "{format}");
        assert_eq!(image["manifest_digest"], img.manifest().digest);
        assert_eq!(image["layers"][0]["digest"], img.layers[0].blob.digest);
        assert_eq!(image["config_digest"], img.config_blob().digest);
    }
    let (_, r) = run(&t, &d25, &[]);
    let tags = &r["artifacts"][0]["images"][0]["tags"];
    assert_eq!(tags, &json!(["app:1.4", "docker.io/library/app:1.4"]));
}

#[test]
fn whiteouts_and_opaque_folders_make_the_filesystem_the_image_ships() {
    let t = repo();
    t.write(
        "checks/shape.yaml",
        "id: image-shape\ntitle: The image has the expected files\nseverity: error\nartifact-files:\n  require: [\"var/cache/new.txt\", \"var/cache/old.txt\", \"etc/app.conf\", \"opt/tool/bin/run\"]\n",
    )
    .write(
        "checks/forbid.yaml",
        "id: no-old-cache\ntitle: No old cache\nseverity: error\nartifact-files:\n  forbid: [\"var/cache/old.txt\"]\n",
    )
    .write(".shipgate.yaml", "builtins: false\nextra-checks: [checks/]\n");
    let l1 = layer(
        &[
            E::File("var/cache/old.txt", b"1"),
            E::File("etc/app.conf", b"a=1"),
            E::File("opt/tool/bin/run", b"#!/bin/sh"),
        ],
        Comp::Gzip,
    );
    let l2 = layer(
        &[
            E::File("var/cache/.wh..wh..opq", b""),
            E::File("var/cache/new.txt", b"2"),
            E::File("opt/.wh.tool", b""),
        ],
        Comp::Gzip,
    );
    // Layer 3 puts the tool back: what a later layer adds again is in the filesystem.
    let l3 = layer(&[E::File("opt/tool/bin/run", b"#!/bin/sh\n")], Comp::Gzip);
    let img = Image::new(vec![l1, l2, l3]);
    let p = art(&t, "app-oci.tar");
    oci_archive(&p, &img);
    let (code, r) = run(&t, &p, &[]);
    assert_eq!(code, 1, "{r:#}");
    let msgs: Vec<&str> = check(&r, "image-shape")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    // The opaque folder emptied var/cache of layer 1; etc/app.conf and layer 3's tool are there.
    assert_eq!(
        msgs,
        ["no entry matches `var/cache/old.txt`: it is missing from the artifact"]
    );
    let l1 = short(&img.layers[0].blob.digest);
    assert_eq!(
        paths(&r, "no-old-cache"),
        [format!(
            "layer 1 ({l1}, deleted in layer 2 but still in the image)/var/cache/old.txt"
        )]
    );
}

#[test]
fn a_multi_platform_index_is_read_for_every_platform_or_the_one_asked_for() {
    let t = repo();
    let amd = Image::new(vec![layer(&[E::File("app/index.js", b"x")], Comp::Gzip)])
        .platform("linux", "amd64");
    let arm = Image::new(vec![layer(
        &[E::File("app/index.js", b"x"), E::File("app/.env", b"A=1")],
        Comp::Zstd,
    )])
    .platform("linux", "arm64");
    // buildx: index.json → an image index → one manifest per platform, and an attestation.
    let attestation = Blob::json(&json!({"schemaVersion": 2, "layers": []}));
    let mut att = attestation.descriptor("application/vnd.oci.image.manifest.v1+json");
    att["platform"] = json!({"os": "unknown", "architecture": "unknown"});
    att["annotations"] = json!({"vnd.docker.reference.type": "attestation-manifest"});
    let list = Blob::json(&index(vec![
        amd.index_entry(true),
        arm.index_entry(true),
        att,
    ]));
    let top = index(vec![
        list.descriptor("application/vnd.oci.image.index.v1+json")
    ]);
    let mut blobs = amd.blobs();
    blobs.extend(arm.blobs());
    blobs.push(list.clone());
    blobs.push(attestation);
    let p = art(&t, "multi.tar");
    std::fs::write(&p, outer(&layout_files(&blobs, &top))).unwrap();

    let (code, r) = run(&t, &p, &["--only", "package-env-files"]);
    assert_eq!(code, 1, "{r:#}");
    let f = &check(&r, "package-env-files")["findings"];
    assert_eq!(f.as_array().unwrap().len(), 1, "{f:#}");
    let shown = format!("{}!linux/arm64", p.display());
    assert_eq!(f[0]["location"]["artifact"], shown);
    let images = r["artifacts"][0]["images"].as_array().unwrap();
    let platforms: Vec<&str> = images
        .iter()
        .map(|i| i["platform"].as_str().unwrap())
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    assert_eq!(r["artifacts"].as_array().unwrap().len(), 1);

    let (code, r) = run(
        &t,
        &p,
        &["--only", "package-env-files", "--platform", "linux/amd64"],
    );
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["artifacts"][0]["images"].as_array().unwrap().len(), 1);

    let (code, r) = run(
        &t,
        &p,
        &["--only", "package-env-files", "--platform", "linux/s390x"],
    );
    assert_eq!(code, 2, "{r:#}");
    let reason = check(&r, "package-env-files")["reason"].as_str().unwrap();
    assert!(
        reason.contains("no image for --platform linux/s390x"),
        "{reason}"
    );
    assert!(reason.contains("linux/amd64, linux/arm64"), "{reason}");
    let (code, _, err) = t.run(&[
        "run",
        "--artifact",
        p.to_str().unwrap(),
        "--platform",
        "amd64",
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_blob_that_does_not_match_its_digest_is_an_error_never_a_pass() {
    let t = repo();
    let clean = || Image::new(vec![layer(&[E::File("app/index.js", b"x")], Comp::Gzip)]);
    let img = clean();
    let good = art(&t, "good.tar");
    oci_archive(&good, &img);
    let (code, r) = run(&t, &good, &["--only", "package-env-files"]);
    assert_eq!(code, 0, "{r:#}");

    // The same layer's bytes replaced under its name: tampering.
    let tampered = art(&t, "tampered.tar");
    let evil = layer(&[E::File("app/.env", b"A=1")], Comp::Gzip);
    let mut files = layout_files(&img.blobs(), &index(vec![img.index_entry(true)]));
    for f in files.iter_mut() {
        if f.0 == img.layers[0].blob.name() {
            f.1 = evil.blob.bytes.clone();
        }
    }
    std::fs::write(&tampered, outer(&files)).unwrap();
    let (code, r) = run(&t, &tampered, &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    assert_eq!(status(&r, "package-env-files"), "error");
    let reason = check(&r, "package-env-files")["reason"].as_str().unwrap();
    assert!(
        reason.contains(&img.layers[0].blob.name()) && reason.contains("does not match its name"),
        "{reason}"
    );

    // A legacy layer.tar whose bytes are not the diff id the configuration names.
    let img = clean();
    let mut files = docker_legacy(&Image::new(vec![layer(
        &[E::File("app/index.js", b"x")],
        Comp::Plain,
    )]));
    let other = tar_bytes(&[E::File("app/index.js", b"y")]);
    for f in files.iter_mut().filter(|f| f.0.ends_with("layer.tar")) {
        f.1 = other.clone();
    }
    let legacy = art(&t, "legacy.tar");
    std::fs::write(&legacy, outer(&files)).unwrap();
    let (code, r) = run(&t, &legacy, &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    assert!(check(&r, "package-env-files")["reason"]
        .as_str()
        .unwrap()
        .contains("the image configuration says layer 1 is sha256:"));

    // A compressed layer whose uncompressed tar is not the diff id the configuration names.
    let real = layer(&[E::File("app/index.js", b"x")], Comp::Zstd);
    let lying = Layer {
        diff_id: layer(&[E::File("app/other.js", b"y")], Comp::Plain).diff_id,
        ..real
    };
    let p = art(&t, "diff-id.tar");
    oci_archive(&p, &Image::new(vec![lying]));
    let (code, r) = run(&t, &p, &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    let reason = check(&r, "package-env-files")["reason"].as_str().unwrap();
    assert!(reason.contains("uncompresses to sha256:"), "{reason}");

    // A missing layer, a manifest that is not JSON, a truncated tarball: errors naming what and how.
    let mut files = layout_files(&img.blobs(), &index(vec![img.index_entry(true)]));
    files.retain(|f| f.0 != img.layers[0].blob.name());
    let missing = art(&t, "missing.tar");
    std::fs::write(&missing, outer(&files)).unwrap();
    let (code, r) = run(&t, &missing, &["--only", "package-env-files"]);
    assert_eq!(code, 2);
    let reason = check(&r, "package-env-files")["reason"].as_str().unwrap();
    assert!(
        reason.contains("is missing") && reason.contains("save or pull it again"),
        "{reason}"
    );

    let files: Vec<(String, Vec<u8>)> = vec![
        ("oci-layout".into(), b"{}".to_vec()),
        ("index.json".into(), b"{\"manifests\": [".to_vec()),
    ];
    let bad = art(&t, "badjson.tar");
    std::fs::write(&bad, outer(&files)).unwrap();
    let (code, r) = run(&t, &bad, &["--only", "package-env-files"]);
    assert_eq!(code, 2);
    let reason = check(&r, "package-env-files")["reason"].as_str().unwrap();
    assert!(reason.contains("index.json is not a valid"), "{reason}");

    let bytes = std::fs::read(&good).unwrap();
    let cut = art(&t, "cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (code, r) = run(&t, &cut, &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    assert!(check(&r, "package-env-files")["reason"]
        .as_str()
        .unwrap()
        .contains("cut.tar"));
}

#[test]
fn absolute_symlinks_resolve_inside_the_image_but_dotdot_entries_are_unsafe() {
    let t = repo();
    let ok = Image::new(vec![layer(
        &[
            E::File("usr/bin/python3.12", b"x"),
            E::Symlink("usr/bin/python3", "/usr/bin/python3.12"),
            E::Symlink("usr/lib/x", "../../../../lib"),
            // An absolute name in a layer is a path from the image's root, as runtimes unpack it.
            E::File("/etc/app.conf", b"a=1"),
            E::File("./etc/other.conf", b"b=2"),
        ],
        Comp::Gzip,
    )]);
    let p = art(&t, "ok.tar");
    oci_archive(&p, &ok);
    let (code, r) = run(&t, &p, &["--only", "artifact-unsafe-paths"]);
    assert_eq!(code, 0, "{r:#}");
    let bad = Image::new(vec![layer(
        &[
            E::File("../../etc/cron.d/x", b"x"),
            E::Hardlink("usr/bin/y", "../../outside"),
        ],
        Comp::Gzip,
    )]);
    let p = art(&t, "bad.tar");
    oci_archive(&p, &bad);
    let (code, r) = run(&t, &p, &["--only", "artifact-unsafe-paths"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(paths(&r, "artifact-unsafe-paths").len(), 2);
}

/// The image's configuration: secrets in Env and in the history (redacted), the user, the
/// revision label against HEAD; each with the case that must not be reported beside it.
#[test]
fn the_image_configuration_is_checked() {
    let t = repo();
    let head = t
        .repo
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string();
    let key = fake_aws_key();
    let password = format!("{}{}", "hunter2", "-prod-9f8e7d");
    let npm = format!("{}{}", "npm_", "Xk29dQ7vLm3pRt8sWz1yBn4cE6hJ0uGa5fKi");
    let base = || layer(&[E::File("app/index.js", b"x")], Comp::Gzip);
    let leaky = Image::new(vec![base()]).config(json!({
        "config": {
            "Env": ["PATH=/usr/bin", format!("AWS_ACCESS_KEY_ID={key}"), format!("DB_PASSWORD={password}"), "DB_PASSWORD_FILE=/run/secrets/db"],
            "Labels": {"org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567"}
        },
        "history": [
            {"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
            {"created_by": format!("RUN |1 NPM_TOKEN={npm} /bin/sh -c npm ci")},
            {"created_by": "RUN /bin/sh -c npm run build"}
        ]
    }));
    let p = art(&t, "leaky.tar");
    oci_archive(&p, &leaky);
    let ids = [
        "image-env-secrets",
        "image-history-secrets",
        "image-root-user",
        "image-revision",
    ];
    let mut args = vec!["--artifact", p.to_str().unwrap()];
    for id in ids {
        args.extend(["--only", id]);
    }
    let (code, r) = t.json(&args);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(status(&r, "image-root-user"), "warn");
    let env = paths(&r, "image-env-secrets");
    assert_eq!(env.len(), 2, "{env:?}: DB_PASSWORD_FILE is where, not what");
    assert!(env[0].ends_with("/Env/AWS_ACCESS_KEY_ID") && env[1].ends_with("/Env/DB_PASSWORD"));
    assert_eq!(
        paths(&r, "image-history-secrets"),
        [format!(
            "config ({})/history/2",
            short(&leaky.config_blob().digest)
        )]
    );
    let rev = &check(&r, "image-revision")["findings"][0]["message"];
    assert!(
        rev.as_str()
            .unwrap()
            .contains("not from the commit being released"),
        "{rev}"
    );
    // Redacted everywhere: JSON, the human report, SARIF.
    let text = r.to_string();
    for secret in [&key, &password, &npm] {
        assert!(!text.contains(secret.as_str()), "{secret} in {text}");
    }
    assert!(
        text.contains("DB_PASSWORD=hunt…") && text.contains("NPM_TOKEN=npm_…"),
        "{text}"
    );
    let mut human = vec!["run"];
    human.extend_from_slice(&args);
    let (_, out, _) = t.run(&human);
    let mut sarif = human.clone();
    sarif.extend(["-f", "sarif"]);
    let (_, sarif_out, _) = t.run(&sarif);
    for secret in [&key, &password, &npm] {
        assert!(!out.contains(secret.as_str()) && !sarif_out.contains(secret.as_str()));
    }

    let clean = Image::new(vec![base()]).config(json!({
        "config": {"User": "app", "Env": ["PATH=/usr/bin", "DB_PASSWORD_FILE=/run/secrets/db"],
                   "Labels": {"org.opencontainers.image.revision": head}},
        "history": [{"created_by": "RUN /bin/sh -c npm ci"}]
    }));
    let p = art(&t, "clean.tar");
    oci_archive(&p, &clean);
    args[1] = p.to_str().unwrap();
    let (code, r) = t.json(&args);
    assert_eq!(code, 0, "{r:#}");
    for id in ids {
        assert_eq!(status(&r, id), "pass", "{id}");
    }
    // Not an image: the image checks have nothing to look at.
    let tgz = art(&t, "pkg.tgz");
    crate::util::write_tar_gz(&tgz, &[E::File("package/index.js", b"x")]);
    args[1] = tgz.to_str().unwrap();
    let (_, r) = t.json(&args);
    assert_eq!(status(&r, "image-env-secrets"), "skip");
}

#[test]
fn budgets_and_growth_against_a_baseline_image() {
    let t = repo();
    t.write(
        ".shipgate.yaml",
        "checks:\n  image-budgets:\n    params: {max-layers: 2, max-size: 3KiB}\n",
    );
    let big: Vec<u8> = (0..4096u32).flat_map(|i| i.to_le_bytes()).collect();
    let small = Image::new(vec![layer(&[E::File("app/a", b"x")], Comp::Gzip)]);
    let grown = Image::new(vec![
        layer(&[E::File("app/a", b"x")], Comp::Gzip),
        layer(&[E::File("app/b", &big)], Comp::Gzip),
        layer(&[E::File("app/c", b"c")], Comp::Zstd),
    ]);
    let old = art(&t, "old.tar");
    oci_archive(&old, &small);
    let new = art(&t, "new.tar");
    oci_archive(&new, &grown);
    let (code, r) = run(
        &t,
        &new,
        &[
            "--only",
            "image-budgets",
            "--only",
            "image-growth",
            "--only",
            "package-new-entries",
        ],
    );
    assert_eq!(code, 0, "warnings: {r:#}");
    let msgs: Vec<&str> = check(&r, "image-budgets")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(
        msgs[0].contains("uncompressed, over the budget of 3.0 KiB"),
        "{msgs:?}"
    );
    assert!(
        msgs[1].contains("3 layers, over the budget of 2"),
        "{msgs:?}"
    );
    assert_eq!(status(&r, "image-growth"), "skip");
    let (_, r) = run(
        &t,
        &new,
        &[
            "--only",
            "image-growth",
            "--only",
            "package-new-entries",
            "--baseline",
            old.to_str().unwrap(),
        ],
    );
    assert_eq!(status(&r, "image-growth"), "warn", "{r:#}");
    let growth = check(&r, "image-growth")["findings"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        growth.contains("since the baseline image") && growth.contains("1 → 3 layers"),
        "{growth}"
    );
    // What is new since the baseline, by path in the filesystem.
    let new_paths = paths(&r, "package-new-entries");
    assert!(
        new_paths.iter().any(|p| p.ends_with(")/app/b")),
        "{new_paths:?}"
    );
    assert!(
        !new_paths.iter().any(|p| p.ends_with(")/app/a")),
        "{new_paths:?}"
    );
    // Within budget and without growth: nothing to say.
    let (_, r) = run(
        &t,
        &old,
        &[
            "--only",
            "image-budgets",
            "--only",
            "image-growth",
            "--baseline",
            old.to_str().unwrap(),
        ],
    );
    assert_eq!(status(&r, "image-budgets"), "pass");
    assert_eq!(status(&r, "image-growth"), "pass");
}

/// A web build with a root `manifest.json` and `index.json` is a plain tarball, not an image.
#[test]
fn a_tarball_with_a_manifest_json_is_not_taken_for_an_image() {
    let t = repo();
    let p = art(&t, "site.tar");
    std::fs::write(
        &p,
        tar_bytes(&[
            E::File("manifest.json", br#"{"name": "My PWA", "start_url": "/"}"#),
            E::File("index.json", b"[]"),
            E::File("index.html", b"<html></html>"),
            E::File(".env", b"A=1"),
        ]),
    )
    .unwrap();
    let (code, r) = run(&t, &p, &["--only", "package-env-files"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["artifacts"][0]["format"], "tar");
    assert_eq!(paths(&r, "package-env-files"), [".env"]);
}

/// Layers are inside the artifact's budgets: a decompression bomb or too many entries in a layer
/// end in error; a layer that is not valid gzip names the layer.
#[test]
fn layers_are_read_within_the_budgets_and_corrupt_layers_are_errors() {
    let t = repo();
    t.write(
        ".shipgate.yaml",
        "settings:\n  artifact-max-size: 1MiB\n  artifact-max-entries: 50\n",
    );
    let zeros = vec![0u8; 2 << 20];
    let bomb = Image::new(vec![layer(&[E::File("app/zeros.bin", &zeros)], Comp::Zstd)]);
    let p = art(&t, "bomb.tar");
    oci_archive(&p, &bomb);
    let (code, r) = run(&t, &p, &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    let reason = check(&r, "package-env-files")["reason"].as_str().unwrap();
    assert!(reason.contains("over the artifact size budget"), "{reason}");

    let names: Vec<String> = (0..60).map(|i| format!("app/f{i}")).collect();
    let many: Vec<E> = names.iter().map(|n| E::File(n, b"x")).collect();
    let p = art(&t, "many.tar");
    oci_archive(&p, &Image::new(vec![layer(&many, Comp::Gzip)]));
    let (code, r) = run(&t, &p, &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    assert!(check(&r, "package-env-files")["reason"]
        .as_str()
        .unwrap()
        .contains("over the entry budget"));

    // Names are kept within their budget too (a layer of long names built to exhaust memory).
    t.write(".shipgate.yaml", "settings:\n  artifact-max-names: 100B\n");
    let p = art(&t, "names.tar");
    oci_archive(&p, &Image::new(vec![layer(&many[..30], Comp::Gzip)]));
    let (code, r) = run(&t, &p, &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    assert!(check(&r, "package-env-files")["reason"]
        .as_str()
        .unwrap()
        .contains("over the name budget"));

    // A gzip layer cut short, under a name and descriptor that match its bytes.
    let good = layer(&[E::File("app/index.js", &[b'x'; 5000])], Comp::Gzip);
    let cut = good.blob.bytes[..good.blob.bytes.len() / 2].to_vec();
    let broken = Layer {
        blob: Blob::new(cut),
        diff_id: good.diff_id,
        media: good.media,
    };
    let p = art(&t, "corrupt.tar");
    let img = Image::new(vec![broken]);
    oci_archive(&p, &img);
    let (code, r) = run(&t, &p, &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    let reason = check(&r, "package-env-files")["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("layer {}", img.layers[0].blob.name())),
        "{reason}"
    );
}

/// Older `docker save` links a layer it already wrote (`<id>/layer.tar` → `../<id1>/layer.tar`).
#[test]
fn a_docker_save_layer_that_links_to_another_is_read_through_the_link() {
    let t = repo();
    let img = Image::new(vec![
        layer(&[E::File("app/.env", b"A=1")], Comp::Plain),
        layer(&[E::File("app/.env", b"A=1")], Comp::Plain),
    ]);
    let files = docker_legacy(&img);
    let id1 = files[2].0.clone();
    let id2 = files[5].0.clone();
    assert!(id1.ends_with("layer.tar") && id2.ends_with("layer.tar"));
    let target = format!("../{id1}");
    let mut entries: Vec<E> = Vec::new();
    for (n, d) in &files {
        if *n == id2 {
            entries.push(E::Symlink(n.as_str(), target.as_str()));
        } else {
            entries.push(E::File(n.as_str(), d.as_slice()));
        }
    }
    let p = art(&t, "linked.tar");
    std::fs::write(&p, tar_bytes(&entries)).unwrap();
    let (code, r) = run(&t, &p, &["--only", "package-env-files"]);
    assert_eq!(code, 1, "{r:#}");
    let found = paths(&r, "package-env-files");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found.iter().any(|p| p.starts_with("layer 2 (")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("layer 1 (") && p.contains("replaced in layer 2")),
        "{found:?}"
    );
}

/// What npm, pip and the OS's packages installed is third-party: its source maps, tests and
/// `localhost` defaults are not this project's to fix. The project's own files still are, and
/// leaks are reported wherever they are.
#[test]
fn third_party_trees_are_not_the_projects_hygiene_but_leaks_there_still_count() {
    let t = repo();
    let map = br#"{"version":3,"sources":["a.ts"],"sourcesContent":["x"]}"#;
    let img = Image::new(vec![
        layer(
            &[
                E::File("usr/lib/python3.11/test/test_os.py", b"def test(): pass\n"),
                E::File(
                    "usr/lib/python3.11/wsgiref/simple_server.py",
                    b"open('http://localhost:8000/xyz')\n",
                ),
                E::File("usr/share/javascript/jquery/jquery.min.map", map),
            ],
            Comp::Gzip,
        ),
        layer(
            &[
                E::File("usr/src/app/node_modules/axios/dist/axios.js.map", map),
                E::File(
                    "usr/src/app/node_modules/axios/dist/axios.js",
                    b"x()\n//# sourceMappingURL=axios.js.map\n",
                ),
                E::File("usr/src/app/node_modules/left-pad/.env", b"A=1\n"),
                E::File("usr/src/app/dist/main.js.map", map),
                E::File(
                    "usr/src/app/dist/main.js",
                    b"fetch('http://localhost:3000/api')\n//# sourceMappingURL=main.js.map\n",
                ),
                E::File("usr/src/app/tests/app.test.js", b"test()\n"),
            ],
            Comp::Zstd,
        ),
    ]);
    let p = art(&t, "app.tar");
    oci_archive(&p, &img);
    let ids = [
        "package-source-maps",
        "package-source-map-links",
        "package-dev-paths",
        "package-tests",
        "package-env-files",
    ];
    let mut args = vec!["--artifact", p.to_str().unwrap()];
    for id in ids {
        args.extend(["--only", id]);
    }
    let (_, r) = t.json(&args);
    let l2 = short(&img.layers[1].blob.digest);
    let app = |f: &str| format!("layer 2 ({l2})/usr/src/app/{f}");
    assert_eq!(paths(&r, "package-source-maps"), [app("dist/main.js.map")]);
    assert_eq!(paths(&r, "package-source-map-links"), [app("dist/main.js")]);
    assert_eq!(paths(&r, "package-dev-paths"), [app("dist/main.js")]);
    assert_eq!(paths(&r, "package-tests"), [app("tests/")]);
    assert_eq!(
        paths(&r, "package-env-files"),
        [app("node_modules/left-pad/.env")]
    );
}

/// Layers are matched on a second thread (files over 1 MiB where they are read): findings come in
/// the order of the layer's entries, the same on every run.
#[test]
fn content_findings_keep_the_layers_order() {
    let t = repo();
    let key = fake_aws_key();
    let small = format!("k = '{key}'\n");
    let mut big = "x = 1\n".repeat(300_000).into_bytes();
    big.extend_from_slice(small.as_bytes());
    let names: Vec<String> = (0..40).map(|i| format!("app/f{i:02}.js")).collect();
    let mut entries: Vec<E> = names.iter().map(|n| E::File(n, small.as_bytes())).collect();
    entries.insert(20, E::File("app/big.js", &big));
    let img = Image::new(vec![layer(&entries, Comp::Gzip)]);
    let p = art(&t, "many.tar");
    oci_archive(&p, &img);
    let (_, r) = run(&t, &p, &["--only", "package-secrets"]);
    let found = paths(&r, "package-secrets");
    let l1 = short(&img.layers[0].blob.digest);
    let mut want: Vec<String> = names
        .iter()
        .map(|n| format!("layer 1 ({l1})/{n}"))
        .collect();
    want.insert(20, format!("layer 1 ({l1})/app/big.js"));
    assert_eq!(found, want);
    let (_, again) = run(&t, &p, &["--only", "package-secrets"]);
    assert_eq!(paths(&again, "package-secrets"), found);
}

/// A layout folder is read inside itself: a blob that is a link (to a device, a FIFO, a file
/// elsewhere) or a name with `..` is an error, never followed.
#[cfg(unix)]
#[test]
fn a_layout_folder_follows_no_link_and_no_dotdot() {
    let t = repo();
    let img = Image::new(vec![layer(&[E::File("app/index.js", b"x")], Comp::Gzip)]);
    let dir = art(&t, "layout");
    oci_dir(&dir, &img);
    let (code, r) = run(&t, &dir, &["--only", "package-env-files"]);
    assert_eq!(code, 0, "{r:#}");
    let blob = dir.join(img.layers[0].blob.name());
    std::fs::remove_file(&blob).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &blob).unwrap();
    let (code, r) = run(&t, &dir, &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    let reason = check(&r, "package-env-files")["reason"].as_str().unwrap();
    assert!(reason.contains("is not a regular file"), "{reason}");

    let legacy = art(&t, "legacy-layout");
    std::fs::create_dir_all(legacy.join("blobs/sha256")).unwrap();
    std::fs::write(
        legacy.join("manifest.json"),
        r#"[{"Config": "../../etc/passwd", "Layers": []}]"#,
    )
    .unwrap();
    let (code, r) = run(&t, &legacy, &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    let reason = check(&r, "package-env-files")["reason"].as_str().unwrap();
    assert!(
        reason.contains("points outside the image layout"),
        "{reason}"
    );
}
