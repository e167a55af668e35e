//! One layer blob, read once: its bytes are hashed as they are read (the digest is verified
//! against the blob's name afterwards), the compression is told by the first bytes (gzip, zstd or
//! none), and the tar inside is walked entry by entry. Whiteouts (`.wh.name`, `.wh..wh..opq`) are
//! kept as markers, not entries; file contents go to the content matcher while they are in memory.
//! Budgets are shared by every layer of the artifact through one [`Meter`].

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};

use sha2::{Digest, Sha256};

use crate::inputs::artifact::{budget_error, Bomb, Budgets, EntryKind};
use crate::inputs::artifact_scan::{
    inspect_map, looks_binary, Job, MapInfo, Matching, Options, Sender,
};
use crate::inputs::content::RawMatch;
use crate::inputs::image::ImageError;
use crate::report::model::NotScanned;
use crate::text::human_bytes;

/// Bytes and entries of the whole artifact, against its budgets.
pub struct Meter {
    pub budgets: Budgets,
    /// Bytes read from the artifact's files.
    pub read: Cell<u64>,
    /// Bytes that came out of decompression (and blobs read as they are).
    pub out: Cell<u64>,
    pub entries: Cell<u64>,
    /// Bytes of entry names kept, across every layer.
    pub names: Cell<u64>,
}

impl Meter {
    pub fn new(budgets: Budgets) -> Self {
        Meter {
            budgets,
            read: Cell::new(0),
            out: Cell::new(0),
            entries: Cell::new(0),
            names: Cell::new(0),
        }
    }

    /// Counts `n` uncompressed bytes; an error when the size or ratio budget is exceeded.
    pub fn add_out(&self, n: u64) -> Result<(), String> {
        let out = self.out.get() + n;
        self.out.set(out);
        let b = &self.budgets;
        if out > b.max_total {
            return Err(format!(
                "more than {} uncompressed: over the artifact size budget (a decompression bomb?)",
                human_bytes(b.max_total)
            ));
        }
        let read = self.read.get().max(1);
        if out > b.ratio_after && out / read > b.max_ratio {
            return Err(format!(
                "{read} compressed bytes expanded to {} (ratio over {}:1): a decompression bomb",
                human_bytes(out),
                b.max_ratio
            ));
        }
        Ok(())
    }

    /// Counts a kept name; an error past the name budget.
    pub fn add_name(&self, len: usize) -> Result<(), String> {
        let n = self.names.get() + len as u64;
        self.names.set(n);
        if n > self.budgets.max_names {
            return Err(format!(
                "the entries' names take more than {}: over the name budget (an image built to exhaust memory?)",
                human_bytes(self.budgets.max_names)
            ));
        }
        Ok(())
    }

    pub fn add_entry(&self) -> Result<(), String> {
        let n = self.entries.get() + 1;
        self.entries.set(n);
        if n > self.budgets.max_entries {
            return Err(format!(
                "more than {} entries: over the entry budget",
                self.budgets.max_entries
            ));
        }
        Ok(())
    }
}

/// Hashes and counts the bytes of a blob as they are read.
pub struct Hashing<'m, R> {
    pub inner: R,
    pub hasher: Sha256,
    pub len: u64,
    pub meter: &'m Meter,
    /// Whether these bytes are read from the artifact's files (not from inside a tarball that
    /// is counted already).
    pub count: bool,
}

impl<'m, R: Read> Hashing<'m, R> {
    pub fn new(inner: R, meter: &'m Meter) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            len: 0,
            meter,
            count: true,
        }
    }

    /// Hashes without counting: the bytes come from inside a tarball whose reads are counted.
    pub fn inner(inner: R, meter: &'m Meter) -> Self {
        Hashing {
            count: false,
            ..Hashing::new(inner, meter)
        }
    }

    /// Reads the rest and returns `sha256:<hex>` of everything read.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((format!("sha256:{}", hex(&self.hasher.finalize())), self.len))
    }
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        if self.count {
            self.meter.read.set(self.meter.read.get() + n as u64);
        }
        Ok(n)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Counts decompressed bytes against the budgets.
pub struct Guard<'m, R> {
    pub inner: R,
    pub meter: &'m Meter,
}

impl<R: Read> Read for Guard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter
            .add_out(n as u64)
            .map_err(|e| io::Error::other(Bomb(e)))?;
        Ok(n)
    }
}

/// A budget error when the I/O error is one (the tar reader wraps ours), else a read error.
pub fn classify(e: io::Error, context: impl FnOnce() -> String) -> ImageError {
    match budget_error(&e) {
        Some(b) => ImageError::Budget(b),
        None => ImageError::Read(format!("{}: {e}", context())),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// Told by the first bytes, whatever the media type says.
    pub fn sniff(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "tar",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Whether the first bytes of a blob are a layer: compressed, or a tar header (or the zero block
/// that ends an empty tar).
pub fn looks_like_layer(head: &[u8]) -> bool {
    Compression::sniff(head) != Compression::None
        || (head.len() >= 262 && &head[257..262] == b"ustar")
        || (head.len() >= 512 && head[..512].iter().all(|b| *b == 0))
}

/// A whiteout: what a layer deletes from the layers below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whiteout {
    /// `dir/.wh.name`: `dir/name`, and everything under it.
    Path(String),
    /// `dir/.wh..wh..opq`: everything under `dir` from lower layers.
    Opaque(String),
}

/// One entry of a layer (whiteouts are not entries).
#[derive(Debug, Clone)]
pub struct LayerEntry {
    /// The path in the image's filesystem: no leading `/` or `./`, no trailing `/`.
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
    pub map: Option<MapInfo>,
}

/// Everything one read of a layer kept.
#[derive(Debug, Clone, Default)]
pub struct LayerScan {
    pub compression: Option<Compression>,
    pub entries: Vec<LayerEntry>,
    pub whiteouts: Vec<Whiteout>,
    /// Content matches, by index into `entries`.
    pub matches: Vec<(usize, RawMatch)>,
    pub suppressed: Vec<usize>,
    pub not_scanned: Vec<NotScanned>,
    pub uncompressed: u64,
    /// For a compressed layer: `sha256:` of its uncompressed tar (what the configuration's
    /// `rootfs.diff_ids` name).
    pub diff_id: Option<String>,
    pub pattern_error: Option<String>,
}

/// The path as the image's filesystem has it: `./etc/x` and `/etc/x` are `etc/x`.
pub fn normalize(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw).replace('\\', "/");
    let mut p = s.as_str();
    loop {
        let before = p;
        p = p.trim_start_matches('/');
        if let Some(rest) = p.strip_prefix("./") {
            p = rest;
        }
        if p == before {
            break;
        }
    }
    let p = p.trim_end_matches('/');
    if p == "." {
        String::new()
    } else {
        p.to_string()
    }
}

fn whiteout(path: &str) -> Option<Whiteout> {
    let (dir, base) = match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    };
    let name = base.strip_prefix(".wh.")?;
    if name == ".wh..opq" {
        return Some(Whiteout::Opaque(dir.to_string()));
    }
    if name.starts_with(".wh.") {
        // aufs' own bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): neither a file nor a deletion.
        return Some(Whiteout::Path(String::new()));
    }
    Some(Whiteout::Path(if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }))
}

/// Reads one layer from `blob` (its raw bytes, which the caller hashes).
pub fn scan(
    blob: &mut dyn Read,
    name: &str,
    opts: &Options<'_>,
    meter: &Meter,
) -> Result<LayerScan, ImageError> {
    let mut buf = BufReader::with_capacity(256 << 10, blob);
    let head = buf
        .fill_buf()
        .map_err(|e| ImageError::Read(format!("layer {name}: {e}")))?;
    let compression = Compression::sniff(head);
    let mut out = LayerScan {
        compression: Some(compression),
        ..LayerScan::default()
    };
    let decoded: Box<dyn Read + '_> = match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(&mut buf)),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(&mut buf)
                .map_err(|e| ImageError::Read(format!("layer {name}: {e}")))?,
        ),
        Compression::None => Box::new(&mut buf),
    };
    // The diff id (the digest of the uncompressed tar) of a compressed layer, hashed as it comes
    // out; an uncompressed layer's is its blob digest.
    let mut diff = DiffHash {
        inner: decoded,
        hasher: (compression != Compression::None).then(Sha256::new),
    };
    let mut guard = Guard {
        inner: &mut diff,
        meter,
    };
    let before = meter.out.get();
    // Decompression and the tar walk on this thread, content matching on the others.
    std::thread::scope(|s| -> Result<(), ImageError> {
        let matching = opts.matcher.map(|m| Matching::start(s, m, opts.ids));
        let tx = matching.as_ref().map(Matching::sender);
        let mut archive = tar::Archive::new(&mut guard);
        let walked = walk(&mut archive, name, opts, meter, &mut out, tx.as_ref());
        drop(tx);
        if let Some(found) = matching.map(Matching::finish) {
            out.matches
                .extend(found.matches.into_iter().map(|(i, _, m)| (i, m)));
            out.suppressed.extend(found.suppressed);
            out.pattern_error = out.pattern_error.take().or(found.pattern_error);
        }
        walked
    })?;
    // The rest of the stream: the compressed end (checked by the decoder), then any padding.
    io::copy(&mut guard, &mut io::sink()).map_err(|e| {
        classify(e, || {
            format!("layer {name}: corrupt {} stream", compression.as_str())
        })
    })?;
    out.uncompressed = meter.out.get() - before;
    out.diff_id = diff
        .hasher
        .take()
        .map(|h| format!("sha256:{}", hex(&h.finalize())));
    Ok(out)
}

/// Hashes what comes out of a decoder, when asked to.
struct DiffHash<R> {
    inner: R,
    hasher: Option<Sha256>,
}

impl<R: Read> Read for DiffHash<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

fn walk<R: Read>(
    archive: &mut tar::Archive<R>,
    name: &str,
    opts: &Options<'_>,
    meter: &Meter,
    out: &mut LayerScan,
    matching: Option<&Sender>,
) -> Result<(), ImageError> {
    let mut last = String::new();
    let at = |last: &str| {
        if last.is_empty() {
            format!("layer {name}: corrupt tar before the first entry")
        } else {
            format!("layer {name}: corrupt tar after entry `{last}`")
        }
    };
    let entries = archive.entries().map_err(|e| classify(e, || at(&last)))?;
    let mut content = Vec::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| classify(e, || at(&last)))?;
        meter.add_entry().map_err(ImageError::Budget)?;
        if let Some(c) = opts.counter {
            c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let path = normalize(&entry.path_bytes());
        if path.is_empty() {
            continue;
        }
        if let Some(w) = whiteout(&path) {
            if w != Whiteout::Path(String::new()) {
                out.whiteouts.push(w);
            }
            last = path;
            continue;
        }
        meter.add_name(path.len()).map_err(ImageError::Budget)?;
        let kind = kind(&entry);
        let size = entry.size();
        let scanned = kind == EntryKind::File && size <= opts.budgets.max_scan_size;
        content.clear();
        let read = if scanned {
            (&mut entry)
                .take(opts.budgets.max_scan_size + 1)
                .read_to_end(&mut content)
        } else {
            io::copy(&mut entry, &mut io::sink()).map(|n| n as usize)
        };
        read.map_err(|e| classify(e, || format!("{}: cannot read `{path}`", at(&last))))?;
        if scanned && (content.len() as u64) < size {
            return Err(ImageError::Read(format!(
                "layer {name}: truncated: `{path}` declares {size} bytes but only {} could be read",
                content.len()
            )));
        }
        let index = out.entries.len();
        let mut map = None;
        if kind == EntryKind::File {
            if opts.inspect_maps && path.ends_with(".map") {
                map = Some(if scanned {
                    inspect_map(&content)
                } else {
                    MapInfo::TooLarge
                });
            }
            if scanned {
                match_content(opts, &path, &mut content, index, matching);
            } else {
                out.not_scanned.push(NotScanned {
                    path: path.clone(),
                    bytes: size,
                });
            }
        }
        out.entries.push(LayerEntry {
            path: path.clone(),
            kind,
            size,
            map,
        });
        last = path;
    }
    Ok(())
}

fn kind<R: Read>(entry: &tar::Entry<'_, R>) -> EntryKind {
    let link = || {
        entry
            .link_name_bytes()
            .map(|l| normalize_link(&l))
            .unwrap_or_default()
    };
    match entry.header().entry_type() {
        tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
            EntryKind::File
        }
        tar::EntryType::Directory => EntryKind::Dir,
        tar::EntryType::Symlink => EntryKind::Symlink(link()),
        // A hard link names another entry of the layer, from the layer's root.
        tar::EntryType::Link => {
            EntryKind::Hardlink(normalize(&entry.link_name_bytes().unwrap_or_default()))
        }
        tar::EntryType::Char => EntryKind::Special("character device"),
        tar::EntryType::Block => EntryKind::Special("block device"),
        tar::EntryType::Fifo => EntryKind::Special("FIFO"),
        _ => EntryKind::Special("special entry"),
    }
}

fn normalize_link(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).replace('\\', "/")
}

fn match_content(
    opts: &Options<'_>,
    path: &str,
    data: &mut Vec<u8>,
    index: usize,
    matching: Option<&Sender>,
) {
    let (Some(m), Some(tx)) = (opts.matcher, matching) else {
        return;
    };
    let owners = m.owners_for(path);
    if owners.is_empty() || looks_binary(data) {
        return;
    }
    tx.send(Job {
        index,
        path: path.to_string(),
        rel: None,
        owners,
        data: std::mem::take(data),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_whiteouts() {
        assert_eq!(normalize(b"./etc/app/"), "etc/app");
        assert_eq!(normalize(b"/usr/bin/x"), "usr/bin/x");
        assert_eq!(normalize(b"./"), "");
        assert_eq!(
            whiteout("etc/app/.wh.env"),
            Some(Whiteout::Path("etc/app/env".into()))
        );
        assert_eq!(
            whiteout(".wh.root.txt"),
            Some(Whiteout::Path("root.txt".into()))
        );
        assert_eq!(
            whiteout("var/cache/.wh..wh..opq"),
            Some(Whiteout::Opaque("var/cache".into()))
        );
        assert_eq!(
            whiteout("a/.wh..wh.plnk"),
            Some(Whiteout::Path(String::new()))
        );
        assert_eq!(whiteout("etc/what.wh.x"), None);
    }

    #[test]
    fn compression_by_magic_bytes() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(b"etc/"), Compression::None);
        assert!(looks_like_layer(&[0u8; 1024]));
        assert!(!looks_like_layer(b"{\"schemaVersion\":2}"));
    }
}
