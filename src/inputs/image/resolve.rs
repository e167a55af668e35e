//! Which images an artifact holds, from its metadata: an OCI `index.json` (down through nested
//! indexes to every platform's manifest; attestations are not images), or Docker's
//! `manifest.json`. Each image is its tags, platform, configuration and layers in order. Digests
//! and sizes the metadata declares are checked against the blobs as read.

use std::collections::BTreeSet;

use serde::de::DeserializeOwned;

use crate::inputs::artifact_scan::Options;
use crate::inputs::image::layer::{Compression, Meter};
use crate::inputs::image::layout::{self, Descriptor, DockerEntry, ImageConfig, Index, Manifest};
use crate::inputs::image::store::{Content, Store};
use crate::inputs::image::ImageError;

/// One layer of an image: the blob it is, and the digest that names it in the image.
#[derive(Debug, Clone)]
pub struct LayerRef {
    pub name: String,
    pub digest: String,
}

/// One image of the artifact.
#[derive(Debug, Clone)]
pub struct ImageRef {
    pub tags: Vec<String>,
    pub platform: Option<String>,
    pub manifest_digest: Option<String>,
    pub config_digest: String,
    pub config: ImageConfig,
    pub layers: Vec<LayerRef>,
}

struct Cx<'a, 'o> {
    store: &'a mut Store,
    opts: &'a Options<'o>,
    meter: &'a Meter,
}

impl Cx<'_, '_> {
    /// The blob `name`, parsed as `T`; `by` says what refers to it.
    fn json<T: DeserializeOwned>(&mut self, name: &str, by: &str) -> Result<T, ImageError> {
        if !self.store.load(name, self.opts, self.meter)? {
            return Err(ImageError::Missing(format!(
                "{name} is missing, but {by} refers to it: the image was saved incompletely; save \
or pull it again"
            )));
        }
        match &self.store.get(name).expect("loaded").content {
            Content::Json(data) => serde_json::from_slice(data).map_err(|e| {
                ImageError::Format(format!("{name} is not a valid {by} document: {e}"))
            }),
            _ => Err(ImageError::Format(format!(
                "{name} is not JSON, but {by} says it is a manifest or configuration"
            ))),
        }
    }

    /// Checks the blob a descriptor names against its declared size (the digest is its name).
    fn check_size(&mut self, name: &str, d: &Descriptor) {
        if let Some(b) = self.store.get(name) {
            if d.size > 0 && b.size != d.size {
                self.store.digest_errors.push(format!(
                    "{name} is {} bytes, but its descriptor says {}: the image was changed after \
it was built, or saved incompletely",
                    b.size, d.size
                ));
            }
        }
    }
}

/// The blob a digest names: `sha256:<hex>` is `blobs/sha256/<hex>`.
fn blob_name(digest: &str) -> Result<String, ImageError> {
    match layout::sha256_hex(digest) {
        Some(hex) => Ok(format!("blobs/sha256/{hex}")),
        None => Err(ImageError::Format(format!(
            "unsupported digest `{digest}`: shipgate reads sha256 digests"
        ))),
    }
}

/// Every image of the artifact, or those of `platform`.
pub fn images(
    store: &mut Store,
    opts: &Options<'_>,
    meter: &Meter,
    platform: Option<&str>,
) -> Result<Vec<ImageRef>, ImageError> {
    let mut cx = Cx { store, opts, meter };
    let has_index = cx.store.load("index.json", opts, meter)?;
    let has_docker = cx.store.load("manifest.json", opts, meter)?;
    let mut found = if has_index {
        let index: Index = cx.json("index.json", "the OCI layout")?;
        let mut out = Vec::new();
        for d in &index.manifests {
            walk(&mut cx, d, &names(d), 0, &mut out)?;
        }
        if has_docker {
            docker_tags(&mut cx, &mut out)?;
        }
        out
    } else if has_docker {
        docker(&mut cx)?
    } else {
        return Err(ImageError::Format(
            "neither index.json nor manifest.json: not a container image".into(),
        ));
    };
    dedupe(&mut found);
    if let Some(want) = platform {
        let all: Vec<String> = found.iter().filter_map(|i| i.platform.clone()).collect();
        found.retain(|i| {
            i.platform
                .as_deref()
                .is_some_and(|p| layout::Platform::parse(p).matches(want))
        });
        if found.is_empty() {
            return Err(ImageError::Format(format!(
                "no image for --platform {want}; the artifact has: {}",
                if all.is_empty() {
                    "no platform named".into()
                } else {
                    all.join(", ")
                }
            )));
        }
    }
    if found.is_empty() {
        return Err(ImageError::Format("the index lists no image".into()));
    }
    Ok(found)
}

/// The names a top-level descriptor gives its image.
fn names(d: &Descriptor) -> Vec<String> {
    [
        "io.containerd.image.name",
        "org.opencontainers.image.ref.name",
    ]
    .iter()
    .filter_map(|k| d.annotations.get(*k).cloned())
    .take(1)
    .collect()
}

fn walk(
    cx: &mut Cx<'_, '_>,
    d: &Descriptor,
    tags: &[String],
    depth: usize,
    out: &mut Vec<ImageRef>,
) -> Result<(), ImageError> {
    if layout::is_attestation(d) {
        return Ok(());
    }
    if depth > 4 {
        return Err(ImageError::Format(
            "image indexes nested more than 4 deep".into(),
        ));
    }
    let name = blob_name(&d.digest)?;
    if layout::is_index(&d.media_type) {
        let index: Index = cx.json(&name, "an image index")?;
        cx.check_size(&name, d);
        for sub in &index.manifests {
            walk(cx, sub, tags, depth + 1, out)?;
        }
        return Ok(());
    }
    if !layout::is_manifest(&d.media_type) && !d.media_type.is_empty() {
        return Ok(()); // another kind of artifact stored beside the images
    }
    let manifest: Manifest = cx.json(&name, "an image manifest")?;
    cx.check_size(&name, d);
    let config_name = blob_name(&manifest.config.digest)?;
    let config: ImageConfig = cx.json(&config_name, &format!("the manifest {name}"))?;
    cx.check_size(&config_name, &manifest.config);
    let diff_ids = config.diff_ids();
    let mut layers = Vec::new();
    for (i, l) in manifest.layers.iter().enumerate() {
        let lname = blob_name(&l.digest)?;
        layer_blob(cx, &lname, &format!("the manifest {name}"))?;
        cx.check_size(&lname, l);
        check_diff_id(cx, &lname, i, diff_ids.get(i));
        layers.push(LayerRef {
            name: lname,
            digest: l.digest.clone(),
        });
    }
    let platform = d
        .platform
        .clone()
        .or_else(|| config.platform())
        .map(|p| p.name());
    out.push(ImageRef {
        tags: tags.to_vec(),
        platform,
        manifest_digest: Some(d.digest.clone()),
        config_digest: manifest.config.digest.clone(),
        config,
        layers,
    });
    Ok(())
}

/// Checks a compressed layer's uncompressed digest against the configuration's diff id.
fn check_diff_id(cx: &mut Cx<'_, '_>, name: &str, i: usize, want: Option<&String>) {
    let Some(want) = want else { return };
    let got = match cx.store.get(name).map(|b| &b.content) {
        Some(Content::Layer(l)) => l.diff_id.clone(),
        _ => None,
    };
    if let Some(got) = got.filter(|g| g != want) {
        cx.store.digest_errors.push(format!(
            "{name} uncompresses to {got}, but the image configuration says layer {} is {want}: \
the image was changed after it was built; build or pull it again",
            i + 1
        ));
    }
}

/// Makes sure a layer's blob is there and is a layer.
fn layer_blob(cx: &mut Cx<'_, '_>, name: &str, by: &str) -> Result<(), ImageError> {
    if !cx.store.load(name, cx.opts, cx.meter)? {
        return Err(ImageError::Missing(format!(
            "the layer {name} is missing, but {by} refers to it: the image was saved \
incompletely; save or pull it again"
        )));
    }
    match cx.store.get(name).map(|b| &b.content) {
        Some(Content::Layer(_)) => Ok(()),
        _ => Err(ImageError::Format(format!(
            "the layer {name} is not a tar archive (plain, gzip or zstd)"
        ))),
    }
}

/// Docker's `manifest.json` alone: `docker save` before Docker 25.
fn docker(cx: &mut Cx<'_, '_>) -> Result<Vec<ImageRef>, ImageError> {
    let entries: Vec<DockerEntry> = cx.json("manifest.json", "docker save's manifest")?;
    let mut out = Vec::new();
    for e in entries {
        let config: ImageConfig = cx.json(&e.config, "manifest.json")?;
        let config_digest = cx.store.get(&e.config).expect("loaded").digest.clone();
        // A legacy configuration is named by its digest: `<hex>.json`.
        let named = e
            .config
            .trim_end_matches(".json")
            .rsplit('/')
            .next()
            .unwrap_or("");
        if layout::sha256_hex(&format!("sha256:{named}")).is_some()
            && config_digest != format!("sha256:{named}")
        {
            cx.store.digest_errors.push(format!(
                "{} has the digest {config_digest}: its content does not match its name (the \
image was changed after it was built); save the image again",
                e.config
            ));
        }
        let diff_ids = config.diff_ids();
        let mut layers = Vec::new();
        for (i, name) in e.layers.iter().enumerate() {
            layer_blob(cx, name, "manifest.json")?;
            let blob = cx.store.get(name).expect("loaded");
            let digest = match (name.strip_prefix("blobs/sha256/"), diff_ids.get(i)) {
                (Some(hex), _) => format!("sha256:{hex}"),
                (None, Some(id)) => {
                    let plain = matches!(&blob.content, Content::Layer(l) if l.compression == Some(Compression::None));
                    if plain && &blob.digest != id {
                        cx.store.digest_errors.push(format!(
                            "{name} has the digest {}, but the image configuration says layer {} \
is {id}: the image was changed after it was built; save the image again",
                            blob.digest,
                            i + 1
                        ));
                    }
                    id.clone()
                }
                (None, None) => blob.digest.clone(),
            };
            layers.push(LayerRef {
                name: cx.store.resolve(name),
                digest,
            });
        }
        out.push(ImageRef {
            tags: e.repo_tags.unwrap_or_default(),
            platform: config.platform().map(|p| p.name()),
            manifest_digest: None,
            config_digest,
            config,
            layers,
        });
    }
    Ok(out)
}

/// Docker 25+ writes both: the tags of `manifest.json` go to the images of `index.json`.
fn docker_tags(cx: &mut Cx<'_, '_>, images: &mut [ImageRef]) -> Result<(), ImageError> {
    let entries: Vec<DockerEntry> = cx.json("manifest.json", "docker save's manifest")?;
    for e in entries {
        for i in images.iter_mut() {
            if blob_name(&i.config_digest).is_ok_and(|n| n == cx.store.resolve(&e.config)) {
                i.tags.extend(e.repo_tags.clone().unwrap_or_default());
            }
        }
    }
    Ok(())
}

/// One image per manifest (several tags may name the same one).
fn dedupe(images: &mut Vec<ImageRef>) {
    let mut seen: Vec<ImageRef> = Vec::new();
    for img in images.drain(..) {
        let key = (img.manifest_digest.clone(), img.config_digest.clone());
        match seen
            .iter_mut()
            .find(|s| (s.manifest_digest.clone(), s.config_digest.clone()) == key)
        {
            Some(s) => s.tags.extend(img.tags),
            None => seen.push(img),
        }
    }
    for s in &mut seen {
        let tags: BTreeSet<String> = s.tags.drain(..).collect();
        s.tags = tags.into_iter().collect();
    }
    *images = seen;
}
