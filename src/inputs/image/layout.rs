//! The JSON documents of a container image, as the OCI image spec and `docker save` write them:
//! the OCI `index.json` and image indexes, image manifests, the image configuration, and Docker's
//! `manifest.json`. Only the fields shipgate reads are declared; everything else is ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `application/vnd.oci.image.index.v1+json` (and Docker's manifest list), and `index.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Index {
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
}

/// A pointer to a blob: its media type, digest and size, and for manifests their platform.
#[derive(Debug, Clone, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub platform: Option<Platform>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Platform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl Platform {
    /// `os/arch[/variant]`, as `--platform` spells it.
    pub fn name(&self) -> String {
        match &self.variant {
            Some(v) if !v.is_empty() => format!("{}/{}/{v}", self.os, self.architecture),
            _ => format!("{}/{}", self.os, self.architecture),
        }
    }

    /// `os/arch[/variant]`.
    pub fn parse(s: &str) -> Self {
        let mut parts = s.splitn(3, '/');
        Platform {
            os: parts.next().unwrap_or_default().to_string(),
            architecture: parts.next().unwrap_or_default().to_string(),
            variant: parts.next().map(str::to_string),
        }
    }

    /// Whether `want` (`os/arch` or `os/arch/variant`) names this platform.
    pub fn matches(&self, want: &str) -> bool {
        let mut parts = want.split('/');
        let (os, arch, variant) = (parts.next(), parts.next(), parts.next());
        os == Some(self.os.as_str())
            && arch == Some(self.architecture.as_str())
            && variant.is_none_or(|v| self.variant.as_deref() == Some(v))
    }
}

/// `application/vnd.oci.image.manifest.v1+json` (and Docker's schema 2 manifest).
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// One entry of Docker's `manifest.json` (`docker save`, legacy and Docker 25+).
#[derive(Debug, Clone, Deserialize)]
pub struct DockerEntry {
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    pub layers: Vec<String>,
}

/// The image configuration (`application/vnd.oci.image.config.v1+json`).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct ImageConfig {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub config: Option<RunConfig>,
    #[serde(default)]
    pub rootfs: Option<RootFs>,
    #[serde(default)]
    pub history: Vec<History>,
}

impl ImageConfig {
    /// The uncompressed digests of the layers, in order (none when the configuration has no
    /// `rootfs`).
    pub fn diff_ids(&self) -> &[String] {
        self.rootfs.as_ref().map_or(&[], |r| &r.diff_ids)
    }

    pub fn platform(&self) -> Option<Platform> {
        (!self.os.is_empty()).then(|| Platform {
            os: self.os.clone(),
            architecture: self.architecture.clone(),
            variant: self.variant.clone(),
        })
    }
}

/// What a container of the image runs with.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct RunConfig {
    #[serde(rename = "User", default)]
    pub user: Option<String>,
    #[serde(rename = "Env", default)]
    pub env: Option<Vec<String>>,
    #[serde(rename = "Labels", default)]
    pub labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct RootFs {
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

/// One step of the build, as the builder recorded it.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct History {
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub empty_layer: bool,
}

/// The media types of manifests that point to other manifests.
pub fn is_index(media_type: &str) -> bool {
    media_type == "application/vnd.oci.image.index.v1+json"
        || media_type == "application/vnd.docker.distribution.manifest.list.v2+json"
}

/// The media types of image manifests.
pub fn is_manifest(media_type: &str) -> bool {
    media_type == "application/vnd.oci.image.manifest.v1+json"
        || media_type == "application/vnd.docker.distribution.manifest.v2+json"
}

/// An attestation (provenance, SBOM) that buildx stores beside the images: not an image.
pub fn is_attestation(d: &Descriptor) -> bool {
    d.annotations
        .get("vnd.docker.reference.type")
        .is_some_and(|t| t == "attestation-manifest")
        || d.platform
            .as_ref()
            .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown")
}

/// `sha256:<64 hex>` → the hex, if the digest is one.
pub fn sha256_hex(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

/// `sha256:0123456789ab` — a digest short enough for a path, long enough to find the blob.
pub fn short(digest: &str) -> String {
    match digest.split_once(':') {
        Some((alg, hex)) => format!("{alg}:{}", &hex[..hex.len().min(12)]),
        None => digest.chars().take(19).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_match_with_and_without_a_variant() {
        let p = Platform {
            os: "linux".into(),
            architecture: "arm".into(),
            variant: Some("v7".into()),
        };
        assert_eq!(p.name(), "linux/arm/v7");
        assert!(p.matches("linux/arm") && p.matches("linux/arm/v7"));
        assert!(!p.matches("linux/arm/v6") && !p.matches("linux/amd64") && !p.matches("linux"));
    }

    #[test]
    fn digests() {
        let d = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(sha256_hex(&d), Some("ab".repeat(32).as_str()));
        assert_eq!(sha256_hex("sha256:abc"), None);
        assert_eq!(short(&d), "sha256:abababababab");
    }
}
