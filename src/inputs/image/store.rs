//! The blobs of an image artifact, each read once. A tarball (`docker save`, `oci-archive`, either
//! gzip-compressed too) is streamed in the order it was written: metadata (`index.json`,
//! `manifest.json`, manifests, configs) is kept in memory, layers are scanned as they pass, since
//! the manifest that orders them may come last. An OCI layout directory is read from its
//! `index.json` down, blob by blob. Every blob's sha256 is computed while it is read.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::inputs::artifact_scan::Options;
use crate::inputs::image::layer::{self, looks_like_layer, Hashing, LayerScan, Meter};
use crate::inputs::image::{layout, ImageError};

/// The most a metadata document (index, manifest, configuration) may take in memory.
pub const MAX_JSON: u64 = 8 << 20;

/// What a blob turned out to be.
#[derive(Debug)]
pub enum Content {
    Json(Vec<u8>),
    Layer(Box<LayerScan>),
    /// Neither (Docker's `VERSION` files, an unreadable blob): only its digest is known.
    Other,
}

#[derive(Debug)]
pub struct Blob {
    /// `sha256:<hex>` of its bytes, as read.
    pub digest: String,
    pub size: u64,
    pub content: Content,
}

/// The blobs by their path in the artifact (`blobs/sha256/<hex>`, `<id>/layer.tar`, `index.json`).
pub struct Store {
    pub blobs: HashMap<String, Blob>,
    /// Links in a `docker save` tarball (`<id>/layer.tar` → `../<id2>/layer.tar`), resolved.
    pub links: HashMap<String, String>,
    /// For an OCI layout directory: its root, blobs are read when first asked for.
    root: Option<PathBuf>,
    /// Blobs whose content does not match the digest they are named by.
    pub digest_errors: Vec<String>,
}

impl Store {
    /// A directory: nothing is read until asked for.
    pub fn dir(root: &Path) -> Self {
        Store {
            blobs: HashMap::new(),
            links: HashMap::new(),
            root: Some(root.to_path_buf()),
            digest_errors: Vec::new(),
        }
    }

    /// Whether `name` exists (reading it from the directory if need be).
    pub fn load(
        &mut self,
        name: &str,
        opts: &Options<'_>,
        meter: &Meter,
    ) -> Result<bool, ImageError> {
        let name = self.resolve(name);
        if self.blobs.contains_key(&name) {
            return Ok(true);
        }
        let Some(root) = &self.root else {
            return Ok(false);
        };
        // Only regular files inside the folder: no `..`, no absolute name, no link followed (a
        // blob that is a symlink to /dev/zero or a FIFO would never end).
        if name.starts_with('/') || name.split('/').any(|c| c == "..") {
            return Err(ImageError::Format(format!(
                "`{name}` points outside the image layout; blobs are files inside it"
            )));
        }
        let path = root.join(&name);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(ImageError::Read(format!("cannot read {name}: {e}"))),
            Ok(m) if !m.file_type().is_file() => {
                return Err(ImageError::Format(format!(
                    "{name} is not a regular file (a link, folder or device): a layout's blobs are files"
                )))
            }
            Ok(_) => {}
        }
        let file =
            File::open(&path).map_err(|e| ImageError::Read(format!("cannot read {name}: {e}")))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let blob = read_blob(file, &name, size, true, opts, meter)?;
        self.digest_errors.extend(misnamed(&name, &blob));
        self.blobs.insert(name, blob);
        Ok(true)
    }

    /// The name with links followed.
    pub fn resolve(&self, name: &str) -> String {
        let mut n = name.trim_start_matches("./").to_string();
        for _ in 0..8 {
            match self.links.get(&n) {
                Some(t) => n = t.clone(),
                None => break,
            }
        }
        n
    }

    pub fn get(&self, name: &str) -> Option<&Blob> {
        self.blobs.get(&self.resolve(name))
    }

    /// Reads a tarball's every entry once.
    pub fn stream(
        reader: impl Read,
        opts: &Options<'_>,
        meter: &Meter,
    ) -> Result<Self, ImageError> {
        let mut store = Store {
            blobs: HashMap::new(),
            links: HashMap::new(),
            root: None,
            digest_errors: Vec::new(),
        };
        let mut archive = tar::Archive::new(reader);
        let mut last = String::new();
        let at = |last: &str| {
            if last.is_empty() {
                "corrupt image tarball before the first entry".to_string()
            } else {
                format!("corrupt image tarball after entry `{last}`")
            }
        };
        let entries = archive
            .entries()
            .map_err(|e| ImageError::Read(format!("{}: {e}", at(&last))))?;
        for entry in entries {
            let entry = entry.map_err(|e| ImageError::Read(format!("{}: {e}", at(&last))))?;
            meter.add_entry().map_err(ImageError::Budget)?;
            let name = layer::normalize(&entry.path_bytes());
            match entry.header().entry_type() {
                tar::EntryType::Directory => {}
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let target = entry
                        .link_name_bytes()
                        .map(|l| String::from_utf8_lossy(&l).into_owned())
                        .unwrap_or_default();
                    let symlink = entry.header().entry_type() == tar::EntryType::Symlink;
                    store
                        .links
                        .insert(name.clone(), link_target(&name, &target, symlink));
                }
                _ => {
                    let size = entry.size();
                    let blob = read_blob(entry, &name, size, false, opts, meter)?;
                    store.digest_errors.extend(misnamed(&name, &blob));
                    store.blobs.insert(name.clone(), blob);
                }
            }
            last = name;
        }
        Ok(store)
    }
}

/// A link's target as a path from the tarball's root.
fn link_target(name: &str, target: &str, symlink: bool) -> String {
    if !symlink || target.starts_with('/') {
        return layer::normalize(target.as_bytes());
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    parts.pop();
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// Whether a blob of this name and size is metadata to keep, from its name alone.
fn json_by_name(name: &str) -> bool {
    matches!(
        name,
        "index.json" | "manifest.json" | "oci-layout" | "repositories"
    ) || name.ends_with(".json")
        || name.ends_with("/json")
}

/// Reads one blob: kept when it is JSON, scanned when it is a layer, hashed in any case.
fn read_blob(
    raw: impl Read,
    name: &str,
    size: u64,
    from_dir: bool,
    opts: &Options<'_>,
    meter: &Meter,
) -> Result<Blob, ImageError> {
    let mut hashing = if from_dir {
        Hashing::new(raw, meter)
    } else {
        Hashing::inner(raw, meter)
    };
    let content = {
        let mut buf = BufReader::with_capacity(64 << 10, &mut hashing);
        let head = buf
            .fill_buf()
            .map_err(|e| ImageError::Read(format!("cannot read {name}: {e}")))?;
        let first = head.iter().find(|b| !b.is_ascii_whitespace()).copied();
        if json_by_name(name) || (first == Some(b'{') && size <= MAX_JSON) {
            if size > MAX_JSON {
                return Err(ImageError::Format(format!(
                    "{name} is {size} bytes: too large for image metadata (at most {MAX_JSON})"
                )));
            }
            let mut data = Vec::with_capacity(size as usize);
            buf.read_to_end(&mut data)
                .map_err(|e| ImageError::Read(format!("cannot read {name}: {e}")))?;
            meter
                .add_out(data.len() as u64)
                .map_err(ImageError::Budget)?;
            Content::Json(data)
        } else if looks_like_layer(head) || (from_dir && head.is_empty()) {
            Content::Layer(Box::new(layer::scan(&mut buf, name, opts, meter)?))
        } else {
            let mut guard = layer::Guard {
                inner: &mut buf,
                meter,
            };
            io::copy(&mut guard, &mut io::sink())
                .map_err(|e| layer::classify(e, || format!("cannot read {name}")))?;
            Content::Other
        }
    };
    let (digest, len) = hashing
        .finish()
        .map_err(|e| ImageError::Read(format!("cannot read {name}: {e}")))?;
    if !from_dir && len < size {
        return Err(ImageError::Read(format!(
            "truncated: {name} declares {size} bytes but only {len} could be read"
        )));
    }
    Ok(Blob {
        digest,
        size: len,
        content,
    })
}

/// For a blob named by its digest (`blobs/sha256/<hex>`): why its content does not match, if not.
pub fn misnamed(name: &str, blob: &Blob) -> Option<String> {
    let hex = name.strip_prefix("blobs/sha256/")?;
    layout::sha256_hex(&format!("sha256:{hex}"))?;
    (blob.digest != format!("sha256:{hex}")).then(|| {
        format!(
            "{name} has the digest {}: its content does not match its name (the image was \
changed after it was built, or saved incompletely); save or pull the image again",
            blob.digest
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_from_the_tarball_root() {
        assert_eq!(
            link_target("a/layer.tar", "../b/layer.tar", true),
            "b/layer.tar"
        );
        assert_eq!(
            link_target("a/layer.tar", "b/layer.tar", false),
            "b/layer.tar"
        );
        assert_eq!(
            link_target("a/layer.tar", "/b/layer.tar", true),
            "b/layer.tar"
        );
    }
}
