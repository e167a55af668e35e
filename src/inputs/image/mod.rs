//! Container images as artifacts: `docker save` tarballs (Docker's `manifest.json` with layer
//! tars, and the OCI layout Docker 25+ writes), OCI image layout directories and `oci-archive`
//! tarballs, plain or gzip-compressed. An image is read layer by layer, each blob once and never
//! extracted: [`store`] reads the blobs (hashing each as it is read), [`layer`] walks a layer's
//! tar (gzip, zstd or none, told by its first bytes), [`resolve`] finds the images from the
//! metadata, and [`assemble`] applies whiteouts into the filesystem the image ships, keeping what
//! later layers deleted or replaced (still in the blobs) for the leak checks.
//!
//! Each image becomes one [`ArtifactScan`]: its entries are named
//! `layer N (sha256:0123456789ab)/etc/app/.env` (with `rel` the path in the filesystem, which
//! globs match), hidden ones `layer N (sha256:…, deleted in layer M but still in the image)/…`.

pub mod assemble;
pub mod layer;
pub mod layout;
pub mod resolve;
pub mod store;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::inputs::artifact::{self, Format};
use crate::inputs::artifact_scan::{self, ArtifactScan, Options};
use crate::report::model::{ArtifactInfo, ImageInfo, LayerInfo};
use layer::{Hashing, Meter};
use store::Store;

/// Why an image could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{0}")]
    Read(String),
    #[error("{0}")]
    Budget(String),
    #[error("{0}")]
    Format(String),
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    Digest(String),
}

/// How the image is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// An OCI image layout directory.
    Dir,
    /// A tarball; `gzip` when the tarball itself is compressed.
    Tar { gzip: bool },
}

/// One image, beyond its files: what the image-config checks and the report read.
#[derive(Debug, Clone)]
pub struct ImageData {
    pub tags: Vec<String>,
    pub platform: Option<String>,
    pub manifest_digest: Option<String>,
    pub config_digest: String,
    pub config: layout::ImageConfig,
    pub layers: Vec<LayerInfo>,
}

impl ImageData {
    /// The layers' bytes as stored.
    pub fn size(&self) -> u64 {
        self.layers.iter().map(|l| l.size).sum()
    }

    pub fn uncompressed(&self) -> u64 {
        self.layers.iter().map(|l| l.uncompressed).sum()
    }

    /// A short name: its first tag, else its platform, else its config digest.
    pub fn name(&self) -> String {
        self.tags
            .first()
            .cloned()
            .or_else(|| self.platform.clone())
            .unwrap_or_else(|| layout::short(&self.config_digest))
    }

    pub fn info(&self) -> ImageInfo {
        ImageInfo {
            tags: self.tags.clone(),
            platform: self.platform.clone(),
            manifest_digest: self.manifest_digest.clone(),
            config_digest: self.config_digest.clone(),
            layers: self.layers.clone(),
            size: self.size(),
            uncompressed: self.uncompressed(),
        }
    }
}

/// Whether `path` is a container image, and how it is stored.
pub fn sniff(path: &Path) -> Option<Container> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_dir() {
        let has = |n: &str| path.join(n).exists();
        let metadata = has("index.json") || has("manifest.json");
        return (has("oci-layout") || (has("blobs/sha256") && metadata)).then_some(Container::Dir);
    }
    let gzip = match artifact::detect(path).ok()? {
        Format::Tar => false,
        Format::TarGz => true,
        _ => return None,
    };
    // The first entries' names: a plain tarball's are read seeking past their data; a gzip
    // one's within the first 4 MiB decompressed, so a large first entry is not inflated twice.
    let file = File::open(path).ok()?;
    let found = if gzip {
        let reader = flate2::read::MultiGzDecoder::new(BufReader::new(file)).take(4 << 20);
        first_names(tar::Archive::new(reader).entries().ok()?)
    } else {
        first_names(tar::Archive::new(file).entries_with_seek().ok()?)
    };
    found.then_some(Container::Tar { gzip })
}

/// Whether one of the first eight entries has a name only images have.
fn first_names<R: Read>(entries: tar::Entries<'_, R>) -> bool {
    entries
        .take(8)
        .map_while(Result::ok)
        .any(|e| image_name(&layer::normalize(&e.path_bytes())))
}

/// Names only images have at their root: `oci-layout`, `blobs/sha256/`, `docker save`'s `<id>/`
/// folders and `<id>.json` configurations. A `manifest.json` or `index.json` alone is not enough:
/// web builds have those too.
fn image_name(n: &str) -> bool {
    let hex_id = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    n == "oci-layout"
        || n == "blobs"
        || n.starts_with("blobs/sha256")
        || n.split_once('/').is_some_and(|(d, _)| hex_id(d))
        || hex_id(n)
        || n.strip_suffix(".json").is_some_and(hex_id)
}

/// Scans the artifact at `path`: as images when it is one, else as any other artifact.
pub fn scan(path: &Path, display: String, opts: &Options<'_>) -> Vec<ArtifactScan> {
    match sniff(path) {
        Some(container) => scan_image(Source::Path(path), display, opts, container),
        None => vec![artifact_scan::scan(path, display, opts)],
    }
}

/// Reads an image tarball held in memory (plain or gzip), as `scan` reads a file.
pub fn scan_bytes(data: &[u8], opts: &Options<'_>) -> Vec<ArtifactScan> {
    let gzip = data.starts_with(&[0x1f, 0x8b]);
    scan_image(
        Source::Bytes(data),
        "image".into(),
        opts,
        Container::Tar { gzip },
    )
}

fn scan_image(
    source: Source<'_>,
    display: String,
    opts: &Options<'_>,
    container: Container,
) -> Vec<ArtifactScan> {
    let meter = Meter::new(opts.budgets);
    let read = read(source, container, opts, &meter);
    let mut info = ArtifactInfo {
        path: display.clone(),
        entries: meter.entries.get(),
        bytes: meter.out.get(),
        sha256: String::new(),
        format: Some(format_name(container, None)),
        not_scanned: Vec::new(),
        images: Vec::new(),
    };
    let (store, sha256, images) = match read {
        Ok(r) => r,
        Err(e) => {
            return vec![ArtifactScan {
                data: artifact_scan::ArtifactData {
                    display: display.clone(),
                    ..Default::default()
                },
                info,
                matches: Vec::new(),
                suppressed: Vec::new(),
                error: Some(format!("{display}: {e}")),
                listed: true,
            }]
        }
    };
    info.sha256 = sha256;
    info.format = Some(format_name(container, Some(&store)));
    assemble::scans(&store, &images, display, info)
}

type Read3 = (Store, String, Vec<resolve::ImageRef>);

/// Where the image's bytes are: a file or folder, or memory (the fuzz target's entry point).
#[derive(Clone, Copy)]
enum Source<'a> {
    Path(&'a Path),
    Bytes(&'a [u8]),
}

fn read(
    source: Source<'_>,
    container: Container,
    opts: &Options<'_>,
    meter: &Meter,
) -> Result<Read3, ImageError> {
    let (mut store, sha256) = match (container, source) {
        (Container::Dir, Source::Path(path)) => (Store::dir(path), None),
        (Container::Dir, Source::Bytes(_)) => unreachable!("a folder is never in memory"),
        (Container::Tar { gzip }, Source::Path(path)) => {
            let file = File::open(path)
                .map_err(|e| ImageError::Read(format!("cannot read {}: {e}", path.display())))?;
            let (store, digest) =
                tarball(BufReader::with_capacity(256 << 10, file), gzip, opts, meter)?;
            (store, Some(digest))
        }
        (Container::Tar { gzip }, Source::Bytes(data)) => {
            let (store, digest) = tarball(data, gzip, opts, meter)?;
            (store, Some(digest))
        }
    };
    let images = resolve::images(&mut store, opts, meter, opts.platform)?;
    let sha256 = match sha256 {
        Some(d) => d,
        // A layout's index.json names every blob by digest, and each blob read is verified.
        None => store
            .get("index.json")
            .or_else(|| store.get("manifest.json"))
            .map(|b| b.digest.clone())
            .unwrap_or_default(),
    };
    let sha256 = sha256.trim_start_matches("sha256:").to_string();
    Ok((store, sha256, images))
}

/// Streams a tarball into the store; its sha256 as read.
fn tarball(
    raw: impl Read,
    gzip: bool,
    opts: &Options<'_>,
    meter: &Meter,
) -> Result<(Store, String), ImageError> {
    let mut hashing = Hashing::new(raw, meter);
    let store = {
        let reader: Box<dyn Read + '_> = if gzip {
            Box::new(flate2::read::MultiGzDecoder::new(&mut hashing))
        } else {
            Box::new(&mut hashing)
        };
        Store::stream(reader, opts, meter)?
    };
    let (digest, _) = hashing
        .finish()
        .map_err(|e| ImageError::Read(format!("cannot read the tarball's end: {e}")))?;
    Ok((store, digest))
}

fn format_name(container: Container, store: Option<&Store>) -> &'static str {
    let has = |n: &str| store.is_some_and(|s| s.get(n).is_some());
    let (index, docker) = (has("index.json"), has("manifest.json"));
    match (container, index, docker) {
        (Container::Dir, _, _) => "oci-layout",
        (Container::Tar { gzip: false }, true, true) => "docker-save-oci",
        (Container::Tar { gzip: true }, true, true) => "docker-save-oci+gzip",
        (Container::Tar { gzip: false }, false, true) => "docker-save",
        (Container::Tar { gzip: true }, false, true) => "docker-save+gzip",
        (Container::Tar { gzip: false }, _, _) => "oci-archive",
        (Container::Tar { gzip: true }, _, _) => "oci-archive+gzip",
    }
}
