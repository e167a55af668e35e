//! From layers to what an image ships. Layers are applied in order: a layer's whiteouts delete
//! from the layers below it (`.wh.name` the path and everything under it, `.wh..wh..opq` everything
//! under the folder), then its entries are added, replacing what had the same path. What the final
//! filesystem no longer has is kept as hidden entries: its bytes are still in the image's blobs, and
//! anyone who pulls the image can read them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::inputs::artifact::EntryKind;
use crate::inputs::artifact_scan::{ArtifactData, ArtifactScan, Entries};
use crate::inputs::content::RawMatch;
use crate::inputs::image::layer::{LayerScan, Whiteout};
use crate::inputs::image::layout::short;
use crate::inputs::image::resolve::ImageRef;
use crate::inputs::image::store::{Content, Store};
use crate::inputs::image::ImageData;
use crate::report::model::{ArtifactInfo, LayerInfo, NotScanned};

const MAX_NOT_SCANNED_LISTED: usize = 50;

/// Where an entry is: layer index and entry index in that layer.
type Slot = (usize, usize);

/// One scan per image. The first carries the artifact's report entry, with every image listed.
pub fn scans(
    store: &Store,
    images: &[ImageRef],
    display: String,
    mut info: ArtifactInfo,
) -> Vec<ArtifactScan> {
    let error = if store.digest_errors.is_empty() {
        None
    } else {
        Some(format!("{display}: {}", store.digest_errors.join("; ")))
    };
    let mut out = Vec::new();
    for (k, img) in images.iter().enumerate() {
        let layers: Vec<&LayerScan> = img
            .layers
            .iter()
            .filter_map(|l| match store.get(&l.name).map(|b| &b.content) {
                Some(Content::Layer(scan)) => Some(&**scan),
                _ => None,
            })
            .collect();
        let data = image_data(store, img, &layers);
        info.images.push(data.info());
        let shown = if images.len() == 1 {
            display.clone()
        } else {
            format!("{display}!{}", label(img, k, images))
        };
        let mut scan = one(&shown, img, &layers, data);
        scan.error = error.clone().or(scan.error);
        scan.listed = k == 0;
        out.push(scan);
    }
    if let Some(first) = out.first_mut() {
        info.not_scanned = first.info.not_scanned.clone();
        first.info = info.clone();
    }
    for s in out.iter_mut().skip(1) {
        s.info = info.clone();
    }
    out
}

/// How the report names image `k` when an artifact holds several: its tag and platform.
fn label(img: &ImageRef, k: usize, all: &[ImageRef]) -> String {
    let tag = img.tags.first();
    let platform_needed = all.iter().filter(|o| o.tags.first() == tag).count() > 1;
    match (tag, &img.platform) {
        (Some(t), Some(p)) if platform_needed => format!("{t} {p}"),
        (Some(t), _) => t.clone(),
        (None, Some(p)) => p.clone(),
        (None, None) => format!("image {}", k + 1),
    }
}

fn image_data(store: &Store, img: &ImageRef, layers: &[&LayerScan]) -> ImageData {
    let infos = img
        .layers
        .iter()
        .zip(layers)
        .map(|(l, scan)| LayerInfo {
            digest: l.digest.clone(),
            size: store.get(&l.name).map_or(0, |b| b.size),
            compression: scan.compression.map_or("tar", |c| c.as_str()),
            uncompressed: scan.uncompressed,
            entries: scan.entries.len() as u64,
        })
        .collect();
    ImageData {
        tags: img.tags.clone(),
        platform: img.platform.clone(),
        manifest_digest: img.manifest_digest.clone(),
        config_digest: img.config_digest.clone(),
        config: img.config.clone(),
        layers: infos,
    }
}

/// The final filesystem (`live`) and what is hidden, with why.
struct Filesystem {
    live: BTreeMap<String, Slot>,
    hidden: Vec<(Slot, String)>,
}

impl Filesystem {
    /// Takes every live path equal to `path` or under it (`path` empty: everything).
    fn take(&mut self, path: &str, with_self: bool, why: &str) {
        let under = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        let mut gone: Vec<String> = self
            .live
            .range(under.clone()..)
            .take_while(|(k, _)| k.starts_with(&under))
            .map(|(k, _)| k.clone())
            .collect();
        if with_self && self.live.contains_key(path) {
            gone.push(path.to_string());
        }
        for k in gone {
            let slot = self.live.remove(&k).expect("listed");
            self.hidden.push((slot, why.to_string()));
        }
    }
}

fn apply(layers: &[&LayerScan]) -> Filesystem {
    let mut fs = Filesystem {
        live: BTreeMap::new(),
        hidden: Vec::new(),
    };
    for (li, layer) in layers.iter().enumerate() {
        let deleted = format!("deleted in layer {}", li + 1);
        let replaced = format!("replaced in layer {}", li + 1);
        for w in &layer.whiteouts {
            match w {
                Whiteout::Path(p) => fs.take(p, true, &deleted),
                Whiteout::Opaque(d) => fs.take(d, false, &deleted),
            }
        }
        for (ei, e) in layer.entries.iter().enumerate() {
            let is_dir = e.kind == EntryKind::Dir;
            if !is_dir {
                // A file where a folder was: what was under the folder is gone.
                fs.take(&e.path, false, &replaced);
            }
            if let Some(old) = fs.live.insert(e.path.clone(), (li, ei)) {
                let was_dir = layers[old.0].entries[old.1].kind == EntryKind::Dir;
                if !(is_dir && was_dir) {
                    fs.hidden.push((old, replaced.clone()));
                }
            }
        }
    }
    fs
}

fn one(shown: &str, img: &ImageRef, layers: &[&LayerScan], data: ImageData) -> ArtifactScan {
    let fs = apply(layers);
    let prefix = |li: usize, why: Option<&str>| {
        let digest = short(&img.layers[li].digest);
        match why {
            None => format!("layer {} ({digest})", li + 1),
            Some(w) => format!("layer {} ({digest}, {w} but still in the image)", li + 1),
        }
    };
    // Display paths are kept only for the entries that content matches name.
    let matched: HashSet<Slot> = layers
        .iter()
        .enumerate()
        .flat_map(|(li, l)| l.matches.iter().map(move |(ei, _)| (li, *ei)))
        .collect();
    let mut shown_as: HashMap<Slot, String> = HashMap::new();
    let mut push = |into: &mut Entries, slot: Slot, why: Option<&str>| {
        let e = &layers[slot.0].entries[slot.1];
        let slash = if e.kind == EntryKind::Dir { "/" } else { "" };
        let rel = format!("{}{slash}", e.path);
        let path = format!("{}/{rel}", prefix(slot.0, why));
        into.push(&path, &rel, &e.kind, e.size, e.map.clone());
        if matched.contains(&slot) {
            shown_as.insert(slot, path);
        }
    };
    let mut slots: Vec<Slot> = fs.live.values().copied().collect();
    slots.sort();
    let mut entries = Entries::default();
    for s in &slots {
        push(&mut entries, *s, None);
    }
    let mut hidden = Entries::default();
    for (s, why) in &fs.hidden {
        if layers[s.0].entries[s.1].kind != EntryKind::Dir {
            push(&mut hidden, *s, Some(why));
        }
    }
    let mut matches: Vec<(String, RawMatch)> = Vec::new();
    let mut suppressed = Vec::new();
    let mut not_scanned = Vec::new();
    let mut pattern_error = None;
    for (li, layer) in layers.iter().enumerate() {
        for (ei, m) in &layer.matches {
            if let Some(path) = shown_as.get(&(li, *ei)) {
                matches.push((path.clone(), m.clone()));
            }
        }
        suppressed.extend(layer.suppressed.iter().copied());
        for n in &layer.not_scanned {
            if not_scanned.len() < MAX_NOT_SCANNED_LISTED {
                not_scanned.push(NotScanned {
                    path: format!("{}/{}", prefix(li, None), n.path),
                    bytes: n.bytes,
                });
            }
        }
        pattern_error = pattern_error.or(layer.pattern_error.clone());
    }
    let bytes = slots
        .iter()
        .map(|s| &layers[s.0].entries[s.1])
        .filter(|e| e.kind != EntryKind::Dir)
        .map(|e| e.size)
        .sum();
    ArtifactScan {
        data: ArtifactData {
            display: shown.to_string(),
            entries,
            bytes,
            hidden,
            image: Some(Arc::new(data)),
        },
        info: ArtifactInfo {
            path: shown.to_string(),
            entries: 0,
            bytes: 0,
            sha256: String::new(),
            format: None,
            not_scanned,
            images: Vec::new(),
        },
        matches,
        suppressed,
        error: pattern_error,
        listed: true,
    }
}
