//! Artifact readers: `.tar.gz`/`.tgz`/`.crate`, `.tar`, `.zip`/`.whl`/`.jar`, and plain directories.
//! The format is recognised by its magic bytes. Every artifact is streamed once, entry by entry,
//! for all artifact checks together; nothing is extracted to disk and no link is followed. An
//! entry's content is kept in memory only up to the scan limit, so memory does not grow with the
//! artifact. Budgets on total uncompressed bytes, on the compression ratio and on the entry count
//! stop decompression bombs early.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::text::human_bytes;

/// Limits that keep hostile archives from hanging or exhausting the machine.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    /// Entry contents larger than this are listed and size-checked, but not scanned.
    pub max_scan_size: u64,
    /// Total uncompressed bytes of one artifact.
    pub max_total: u64,
    /// Uncompressed/compressed ratio, checked once `ratio_after` bytes have come out.
    pub max_ratio: u64,
    pub ratio_after: u64,
    pub max_entries: u64,
    /// Total bytes of entry names kept (for the file checks) across one artifact.
    pub max_names: u64,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            max_scan_size: 16 << 20,
            max_total: 16 << 30,
            max_ratio: 250,
            ratio_after: 64 << 20,
            max_entries: 1_000_000,
            max_names: 32 << 20,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    TarGz,
    Tar,
    Zip,
    Dir,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::TarGz => "tar.gz",
            Format::Tar => "tar",
            Format::Zip => "zip",
            Format::Dir => "directory",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink(String),
    Hardlink(String),
    /// Device, FIFO or another special entry.
    Special(&'static str),
}

/// One entry, as the checks see it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The path inside the artifact, `/`-separated, exactly as stored (lossy UTF-8).
    pub path: String,
    pub kind: EntryKind,
    /// Uncompressed size.
    pub size: u64,
}

/// Why reading stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(String),
    #[error("unknown artifact format: {0}")]
    UnknownFormat(String),
    #[error("{0}")]
    Budget(String),
}

/// Receives each entry, with its content when it is a file within the scan limit.
pub trait Visitor {
    fn entry(&mut self, entry: &Entry, content: Option<&[u8]>);

    /// Why reading must stop now (a budget of what the visitor keeps), if it must.
    fn stop(&self) -> Option<String> {
        None
    }
}

/// What one pass over an artifact established about the artifact itself.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub format: Option<Format>,
    pub entries: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// Recognises the format of `path` by magic bytes (a directory by its metadata).
pub fn detect(path: &Path) -> Result<Format, ReadError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| ReadError::Io(format!("cannot open {}: {e}", path.display())))?;
    if meta.is_dir() {
        return Ok(Format::Dir);
    }
    let mut head = [0u8; 512];
    let mut f = open(path)?;
    let n = read_up_to(&mut f, &mut head).map_err(|e| ReadError::Io(e.to_string()))?;
    let head = &head[..n];
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(Format::TarGz);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(Format::Zip);
    }
    if n >= 262 && &head[257..262] == b"ustar" {
        return Ok(Format::Tar);
    }
    let name = path.to_string_lossy();
    if n >= 512 && name.ends_with(".tar") {
        return Ok(Format::Tar); // a pre-POSIX (v7) tar has no magic
    }
    let shown: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Err(ReadError::UnknownFormat(format!(
        "{} is not a gzip, zip or tar archive, nor a directory (first bytes: {}); \
supported: .tar.gz/.tgz/.crate, .tar, .zip/.whl/.jar, a folder",
        path.display(),
        if shown.is_empty() {
            "none: the file is empty".into()
        } else {
            shown.join(" ")
        }
    )))
}

fn open(path: &Path) -> Result<File, ReadError> {
    File::open(path).map_err(|e| ReadError::Io(format!("cannot open {}: {e}", path.display())))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Streams every entry of the artifact at `path` to `visitor`.
pub fn read(
    path: &Path,
    budgets: &Budgets,
    visitor: &mut dyn Visitor,
) -> Result<Summary, (Summary, ReadError)> {
    let format = detect(path).map_err(|e| (Summary::default(), e))?;
    let mut summary = Summary {
        format: Some(format),
        ..Summary::default()
    };
    let result = match format {
        Format::TarGz | Format::Tar => read_tar(path, format, budgets, visitor, &mut summary),
        Format::Zip => read_zip(path, budgets, visitor, &mut summary),
        Format::Dir => read_dir(path, budgets, visitor, &mut summary),
    };
    match result {
        Ok(()) if summary.entries == 0 => Err((
            summary,
            ReadError::Io(
                "the artifact holds no entries: an empty or broken build (nothing to check is not a pass)"
                    .into(),
            ),
        )),
        Ok(()) => Ok(summary),
        Err(e) => Err((summary, e)),
    }
}

/// Counts and hashes the compressed bytes as they are read from the file.
struct Source<R> {
    inner: R,
    hasher: Sha256,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Counts uncompressed bytes and enforces the total and ratio budgets as data comes out.
struct Guard<R> {
    inner: R,
    out: u64,
    compressed: Arc<AtomicU64>,
    budgets: Budgets,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        if self.out > self.budgets.max_total {
            return Err(io::Error::other(Bomb(format!(
                "more than {} uncompressed: over the artifact size budget (a decompression bomb?)",
                human_bytes(self.budgets.max_total)
            ))));
        }
        let comp = self.compressed.load(Ordering::Relaxed).max(1);
        if self.out > self.budgets.ratio_after && self.out / comp > self.budgets.max_ratio {
            return Err(io::Error::other(Bomb(format!(
                "{} compressed bytes expanded to {} (ratio over {}:1): a decompression bomb",
                comp,
                human_bytes(self.out),
                self.budgets.max_ratio
            ))));
        }
        Ok(n)
    }
}

/// A budget exceeded while reading, carried through the readers (tar, zip, decoders) as an I/O
/// error; [`budget_error`] finds it again. Shared with the image reader.
#[derive(Debug)]
pub(crate) struct Bomb(pub(crate) String);
impl std::fmt::Display for Bomb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Bomb {}

/// An entry's declared size against the total budget before it is read, and a sparse entry's
/// (whose holes cost no compressed bytes) against the ratio budget over the whole file.
fn check_declared(
    before: u64,
    size: u64,
    sparse: bool,
    total_len: u64,
    budgets: &Budgets,
    path: &str,
) -> Result<(), ReadError> {
    let after = before.saturating_add(size);
    if after > budgets.max_total {
        return Err(ReadError::Budget(format!(
            "entry `{path}` declares {}: over the artifact size budget of {} (a decompression bomb?)",
            human_bytes(size),
            human_bytes(budgets.max_total)
        )));
    }
    if sparse && after > budgets.ratio_after && after / total_len.max(1) > budgets.max_ratio {
        return Err(ReadError::Budget(format!(
            "sparse entry `{path}` declares {} in a {}-byte archive (ratio over {}:1): a decompression bomb",
            human_bytes(size),
            total_len,
            budgets.max_ratio
        )));
    }
    Ok(())
}

/// The budget error inside an I/O error, however deep the readers wrapped it.
pub(crate) fn budget_error(e: &io::Error) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|i| i as _);
    while let Some(err) = cur {
        if let Some(b) = err.downcast_ref::<Bomb>() {
            return Some(b.0.clone());
        }
        cur = match err.downcast_ref::<io::Error>() {
            Some(io) => io.get_ref().map(|i| i as _),
            None => err.source(),
        };
    }
    None
}

/// Turns an I/O error into a budget error when it is one (the tar reader wraps our errors).
fn classify(e: io::Error, context: String) -> ReadError {
    match budget_error(&e) {
        Some(b) => ReadError::Budget(b),
        None => ReadError::Io(format!("{context}: {e}")),
    }
}

fn read_tar(
    path: &Path,
    format: Format,
    budgets: &Budgets,
    visitor: &mut dyn Visitor,
    summary: &mut Summary,
) -> Result<(), ReadError> {
    let file = open(path)?;
    let total_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    read_tar_from(
        BufReader::with_capacity(256 << 10, file),
        total_len,
        format,
        budgets,
        visitor,
        summary,
    )
}

/// Reads an artifact held in memory (the fuzz targets' entry point); the format is recognised by
/// its magic bytes, as for files.
pub fn read_bytes(
    data: &[u8],
    budgets: &Budgets,
    visitor: &mut dyn Visitor,
) -> Result<Summary, ReadError> {
    let mut summary = Summary::default();
    let format = if data.starts_with(&[0x1f, 0x8b]) {
        Format::TarGz
    } else if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        Format::Zip
    } else {
        Format::Tar
    };
    summary.format = Some(format);
    match format {
        Format::Zip => read_zip_from(io::Cursor::new(data), budgets, visitor, &mut summary)?,
        _ => read_tar_from(
            data,
            data.len() as u64,
            format,
            budgets,
            visitor,
            &mut summary,
        )?,
    }
    Ok(summary)
}

fn read_tar_from<R: Read>(
    reader: R,
    total_len: u64,
    format: Format,
    budgets: &Budgets,
    visitor: &mut dyn Visitor,
    summary: &mut Summary,
) -> Result<(), ReadError> {
    let compressed = Arc::new(AtomicU64::new(0));
    let mut source = Source {
        inner: reader,
        hasher: Sha256::new(),
        read: compressed.clone(),
    };
    {
        let decoded: Box<dyn Read + '_> = match format {
            Format::TarGz => Box::new(flate2::read::MultiGzDecoder::new(&mut source)),
            _ => Box::new(&mut source),
        };
        let guard = Guard {
            inner: decoded,
            out: 0,
            compressed: compressed.clone(),
            budgets: *budgets,
        };
        let mut archive = tar::Archive::new(guard);
        // Read to the real end, past lone zero blocks, as npm's tar and `tar -i` do: entries
        // after one are extracted by them, so they ship.
        archive.set_ignore_zeros(true);
        let where_ = |summary: &Summary, last: &str| {
            let at = compressed.load(Ordering::Relaxed);
            if summary.entries == 0 {
                format!("corrupt archive at byte {at} of {total_len}, before the first entry")
            } else {
                format!(
                    "corrupt archive at byte {at} of {total_len}, after entry {} (`{last}`)",
                    summary.entries
                )
            }
        };
        let mut last = String::new();
        let entries = archive
            .entries()
            .map_err(|e| classify(e, where_(summary, &last)))?;
        let mut buf = Vec::new();
        for entry in entries {
            let mut entry = entry.map_err(|e| classify(e, where_(summary, &last)))?;
            let header = entry.header();
            let path = lossy_path(&entry.path_bytes());
            let size = entry.size();
            let link = entry
                .link_name_bytes()
                .map(|l| lossy_path(&l))
                .unwrap_or_default();
            let declared = header.entry_type();
            if matches!(declared, tar::EntryType::XGlobalHeader) {
                // `git archive`'s pax_global_header: metadata, not a file.
                continue;
            }
            // The declared size counts before any byte is read: a sparse entry's holes are made
            // up inside the tar reader, where no budget sees them.
            check_declared(
                summary.bytes,
                size,
                declared.is_gnu_sparse(),
                total_len,
                budgets,
                &path,
            )?;
            let kind = match declared {
                tar::EntryType::Regular
                | tar::EntryType::Continuous
                | tar::EntryType::GNUSparse => EntryKind::File,
                tar::EntryType::Directory => EntryKind::Dir,
                tar::EntryType::Symlink => EntryKind::Symlink(link),
                tar::EntryType::Link => EntryKind::Hardlink(link),
                tar::EntryType::Char => EntryKind::Special("character device"),
                tar::EntryType::Block => EntryKind::Special("block device"),
                tar::EntryType::Fifo => EntryKind::Special("FIFO"),
                _ => EntryKind::Special("special entry"),
            };
            summary.entries += 1;
            if summary.entries > budgets.max_entries {
                return Err(ReadError::Budget(format!(
                    "more than {} entries: over the entry budget",
                    budgets.max_entries
                )));
            }
            summary.bytes += size;
            let e = Entry { path, kind, size };
            let scanned = if e.kind == EntryKind::File && size <= budgets.max_scan_size {
                buf.clear();
                (&mut entry)
                    .take(budgets.max_scan_size + 1)
                    .read_to_end(&mut buf)
                    .map_err(|err| {
                        classify(
                            err,
                            format!("{}: cannot read entry `{}`", where_(summary, &last), e.path),
                        )
                    })?;
                if (buf.len() as u64) < size {
                    return Err(ReadError::Io(format!(
                        "truncated archive: entry `{}` declares {size} bytes but only {} could be read",
                        e.path,
                        buf.len()
                    )));
                }
                true
            } else {
                // Skipped content is still decompressed (the next header follows it), within budget.
                io::copy(&mut entry, &mut io::sink()).map_err(|err| {
                    classify(
                        err,
                        format!("{}: cannot read entry `{}`", where_(summary, &last), e.path),
                    )
                })?;
                false
            };
            visitor.entry(&e, scanned.then_some(buf.as_slice()));
            if let Some(why) = visitor.stop() {
                return Err(ReadError::Budget(why));
            }
            last = e.path;
        }
    }
    // Hash the rest of the file (trailing padding after the end-of-archive blocks).
    io::copy(&mut source, &mut io::sink())
        .map_err(|e| ReadError::Io(format!("cannot read the archive's end: {e}")))?;
    summary.sha256 = hex(&source.hasher.finalize());
    Ok(())
}

fn read_zip(
    path: &Path,
    budgets: &Budgets,
    visitor: &mut dyn Visitor,
    summary: &mut Summary,
) -> Result<(), ReadError> {
    let file = open(path)?;
    summary.sha256 = sha256_file(path)?;
    read_zip_from(BufReader::new(file), budgets, visitor, summary)
}

fn read_zip_from<R: Read + Seek>(
    mut reader: R,
    budgets: &Budgets,
    visitor: &mut dyn Visitor,
    summary: &mut Summary,
) -> Result<(), ReadError> {
    zip_layout::check(&mut reader, budgets.max_entries)?;
    reader
        .seek(io::SeekFrom::Start(0))
        .map_err(|e| ReadError::Io(format!("cannot read the zip archive: {e}")))?;
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| ReadError::Io(format!("corrupt zip archive: {e}")))?;
    let n = zip.len() as u64;
    if n > budgets.max_entries {
        return Err(ReadError::Budget(format!(
            "{n} entries: over the entry budget of {}",
            budgets.max_entries
        )));
    }
    let mut total = 0u64;
    let mut buf = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip
            .by_index(i)
            .map_err(|e| ReadError::Io(format!("corrupt zip archive at entry {}: {e}", i + 1)))?;
        let path = lossy_path(f.name_raw());
        let declared = f.size();
        let comp = f.compressed_size().max(1);
        if declared > budgets.ratio_after && declared / comp > budgets.max_ratio {
            return Err(ReadError::Budget(format!(
                "entry `{path}` expands {comp} bytes to {} (ratio over {}:1): a decompression bomb",
                human_bytes(declared),
                budgets.max_ratio
            )));
        }
        let is_link = f.unix_mode().is_some_and(|m| m & 0o170000 == 0o120000);
        buf.clear();
        // Read the whole entry (the CRC is checked at its end), keeping at most the scan limit.
        let limit = budgets.max_total.saturating_sub(total) + 1;
        let mut kept = 0u64;
        let mut chunk = [0u8; 64 << 10];
        let mut read = 0u64;
        let mut reader = (&mut f).take(limit);
        loop {
            let k = reader
                .read(&mut chunk)
                .map_err(|e| ReadError::Io(format!("corrupt zip archive: entry `{path}`: {e}")))?;
            if k == 0 {
                break;
            }
            read += k as u64;
            if kept < budgets.max_scan_size + 1 {
                let take = (k as u64).min(budgets.max_scan_size + 1 - kept) as usize;
                buf.extend_from_slice(&chunk[..take]);
                kept += take as u64;
            }
        }
        total += read;
        if total > budgets.max_total {
            return Err(ReadError::Budget(format!(
                "more than {} uncompressed: over the artifact size budget (a decompression bomb?)",
                human_bytes(budgets.max_total)
            )));
        }
        let kind = if f.is_dir() {
            EntryKind::Dir
        } else if is_link {
            EntryKind::Symlink(String::from_utf8_lossy(&buf).into_owned())
        } else {
            EntryKind::File
        };
        summary.entries += 1;
        summary.bytes += read;
        let e = Entry {
            path,
            kind,
            size: read,
        };
        let content =
            (e.kind == EntryKind::File && read <= budgets.max_scan_size).then_some(buf.as_slice());
        visitor.entry(&e, content);
        if let Some(why) = visitor.stop() {
            return Err(ReadError::Budget(why));
        }
    }
    Ok(())
}

/// A zip archive as its two indexes tell it: the central directory (what `unzip -l` and most
/// readers list) and the local headers before each entry's data (what streaming readers, and
/// `unzip` on a damaged file, use). When they disagree, what ships depends on the reader: an
/// entry hidden from one of them, renamed between them, listed twice, or overlapping another is an
/// error, never a pass.
mod zip_layout {
    use std::collections::HashSet;
    use std::io::{Read, Seek, SeekFrom};

    use super::ReadError;

    struct Listed {
        name: Vec<u8>,
        offset: u64,
        compressed: u64,
        descriptor: bool,
    }

    fn err(m: String) -> ReadError {
        ReadError::Io(format!("corrupt zip archive: {m}"))
    }

    fn u16le(b: &[u8], at: usize) -> u64 {
        u16::from_le_bytes([b[at], b[at + 1]]) as u64
    }

    fn u32le(b: &[u8], at: usize) -> u64 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as u64
    }

    fn u64le(b: &[u8], at: usize) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[at..at + 8]);
        u64::from_le_bytes(a)
    }

    fn read_at<R: Read + Seek>(r: &mut R, at: u64, n: usize) -> Result<Vec<u8>, ReadError> {
        let mut buf = vec![0u8; n];
        r.seek(SeekFrom::Start(at))
            .and_then(|_| r.read_exact(&mut buf))
            .map_err(|e| err(format!("cannot read {n} bytes at {at}: {e}")))?;
        Ok(buf)
    }

    /// Where the central directory is, and how many entries it has (zip64 too).
    fn end_of_directory<R: Read + Seek>(r: &mut R) -> Result<(u64, u64, u64), ReadError> {
        let len = r
            .seek(SeekFrom::End(0))
            .map_err(|e| err(format!("cannot seek: {e}")))?;
        let tail_len = len.min(22 + 65535);
        let tail = read_at(r, len - tail_len, tail_len as usize)?;
        let at = (0..tail.len().saturating_sub(21))
            .rev()
            .find(|&i| tail[i..].starts_with(b"PK\x05\x06"))
            .ok_or_else(|| err("no end-of-central-directory record".into()))?;
        let eocd = &tail[at..];
        let (mut count, mut cd_size, mut cd_offset) =
            (u16le(eocd, 10), u32le(eocd, 12), u32le(eocd, 16));
        let eocd_pos = len - tail_len + at as u64;
        if (count == 0xFFFF || cd_offset == 0xFFFF_FFFF) && eocd_pos >= 20 {
            let loc = read_at(r, eocd_pos - 20, 20)?;
            if loc.starts_with(b"PK\x06\x07") {
                let z = read_at(r, u64le(&loc, 8), 56)?;
                if !z.starts_with(b"PK\x06\x06") {
                    return Err(err("a zip64 locator points at no zip64 record".into()));
                }
                count = u64le(&z, 32);
                cd_size = u64le(&z, 40);
                cd_offset = u64le(&z, 48);
            }
        }
        Ok((count, cd_size, cd_offset))
    }

    /// The central directory's entries.
    fn listed<R: Read + Seek>(r: &mut R, max: u64) -> Result<(Vec<Listed>, u64), ReadError> {
        let (count, cd_size, cd_offset) = end_of_directory(r)?;
        if count > max {
            return Err(ReadError::Budget(format!(
                "{count} entries: over the entry budget of {max}"
            )));
        }
        let cd = read_at(r, cd_offset, cd_size.min(1 << 30) as usize)?;
        let mut out = Vec::new();
        let mut at = 0usize;
        while at + 46 <= cd.len() && cd[at..].starts_with(b"PK\x01\x02") {
            let h = &cd[at..];
            let (n, x, c) = (
                u16le(h, 28) as usize,
                u16le(h, 30) as usize,
                u16le(h, 32) as usize,
            );
            if at + 46 + n + x + c > cd.len() {
                return Err(err(format!(
                    "central directory entry {} is cut off",
                    out.len() + 1
                )));
            }
            let name = h[46..46 + n].to_vec();
            let (mut compressed, mut offset) = (u32le(h, 20), u32le(h, 42));
            let mut extra = &h[46 + n..46 + n + x];
            while extra.len() >= 4 {
                let (id, size) = (u16le(extra, 0), u16le(extra, 2) as usize);
                let body = &extra[4..(4 + size).min(extra.len())];
                if id == 1 {
                    // zip64: the fields that are 0xFFFFFFFF, in order (size, compressed, offset).
                    let mut k = 0;
                    let mut next = || {
                        let v = (k + 8 <= body.len()).then(|| u64le(body, k));
                        k += 8;
                        v
                    };
                    if u32le(h, 24) == 0xFFFF_FFFF {
                        next();
                    }
                    if compressed == 0xFFFF_FFFF {
                        compressed = next().unwrap_or(compressed);
                    }
                    if offset == 0xFFFF_FFFF {
                        offset = next().unwrap_or(offset);
                    }
                }
                extra = &extra[(4 + size).min(extra.len())..];
            }
            out.push(Listed {
                name,
                offset,
                compressed,
                descriptor: u16le(h, 8) & 0x8 != 0,
            });
            at += 46 + n + x + c;
        }
        if out.len() as u64 != count {
            return Err(err(format!(
                "the end record says {count} entries, the central directory holds {}",
                out.len()
            )));
        }
        Ok((out, cd_offset))
    }

    /// Compares the central directory with the local headers.
    pub fn check<R: Read + Seek>(r: &mut R, max: u64) -> Result<(), ReadError> {
        let (mut entries, cd_offset) = listed(r, max)?;
        let mut seen = HashSet::new();
        for e in &entries {
            if !seen.insert(e.name.as_slice()) {
                return Err(err(format!(
                    "`{}` is listed twice: readers disagree on which one ships",
                    String::from_utf8_lossy(&e.name)
                )));
            }
        }
        entries.sort_by_key(|e| e.offset);
        let mut end = 0u64;
        for e in &entries {
            let shown = String::from_utf8_lossy(&e.name);
            if e.offset < end {
                return Err(err(format!(
                    "the data of `{shown}` overlaps the entry before it"
                )));
            }
            hidden(r, end, e.offset)?;
            let h = read_at(r, e.offset, 30)?;
            if !h.starts_with(b"PK\x03\x04") {
                return Err(err(format!("no local header where `{shown}` should start")));
            }
            let (n, x) = (u16le(&h, 26) as usize, u16le(&h, 28));
            let local = read_at(r, e.offset + 30, n)?;
            if local != e.name {
                return Err(err(format!(
                    "`{shown}` is named `{}` in its local header: readers disagree on what ships",
                    String::from_utf8_lossy(&local)
                )));
            }
            end = e.offset + 30 + n as u64 + x + e.compressed;
            if e.descriptor {
                // The data descriptor: 12 or 16 bytes, 20 or 24 for zip64, with or without its
                // signature; the gap check below allows for it.
                end += 12;
            }
        }
        hidden(r, end, cd_offset)
    }

    /// A local header between `from` and `to`, where no listed entry is: an entry the central
    /// directory hides.
    fn hidden<R: Read + Seek>(r: &mut R, from: u64, to: u64) -> Result<(), ReadError> {
        if to <= from {
            return Ok(());
        }
        let gap = read_at(r, from, (to - from).min(64 << 20) as usize)?;
        if let Some(i) = gap.windows(4).position(|w| w == b"PK\x03\x04") {
            let name = gap
                .get(i + 30..)
                .map(|rest| {
                    let n = u16le(&gap, i + 26) as usize;
                    String::from_utf8_lossy(&rest[..n.min(rest.len())]).into_owned()
                })
                .unwrap_or_default();
            return Err(err(format!(
                "a local header for `{name}` at byte {} is not in the central directory: an entry hidden from most readers",
                from + i as u64
            )));
        }
        Ok(())
    }
}

fn read_dir(
    root: &Path,
    budgets: &Budgets,
    visitor: &mut dyn Visitor,
    summary: &mut Summary,
) -> Result<(), ReadError> {
    // Sorted and sequential, so the directory's digest is stable.
    let walk = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    let mut hasher = Sha256::new();
    let mut buf = Vec::new();
    for item in walk {
        let item =
            item.map_err(|e| ReadError::Io(format!("cannot read {}: {e}", root.display())))?;
        if item.depth() == 0 {
            continue;
        }
        let rel = crate::inputs::repo::relative(item.path(), root).unwrap_or_default();
        let ft = item.file_type().expect("not stdin");
        let meta = item
            .path()
            .symlink_metadata()
            .map_err(|e| ReadError::Io(format!("cannot read {rel}: {e}")))?;
        let kind = if ft.is_dir() {
            EntryKind::Dir
        } else if ft.is_symlink() {
            let target = std::fs::read_link(item.path())
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            EntryKind::Symlink(target)
        } else if ft.is_file() {
            EntryKind::File
        } else {
            EntryKind::Special("FIFO, socket or device")
        };
        summary.entries += 1;
        let size = if kind == EntryKind::File {
            meta.len()
        } else {
            0
        };
        summary.bytes += size;
        let e = Entry {
            path: rel,
            kind,
            size,
        };
        hasher.update(e.path.as_bytes());
        hasher.update([0]);
        let mut content = None;
        if e.kind == EntryKind::File {
            let mut f = File::open(item.path())
                .map_err(|err| ReadError::Io(format!("cannot read {}: {err}", e.path)))?;
            buf.clear();
            if size <= budgets.max_scan_size {
                f.read_to_end(&mut buf)
                    .map_err(|err| ReadError::Io(format!("cannot read {}: {err}", e.path)))?;
                hasher.update(&buf);
                content = Some(buf.as_slice());
            } else {
                let mut h = HashWriter(&mut hasher);
                io::copy(&mut f, &mut h)
                    .map_err(|err| ReadError::Io(format!("cannot read {}: {err}", e.path)))?;
            }
        }
        visitor.entry(&e, content);
        if let Some(why) = visitor.stop() {
            return Err(ReadError::Budget(why));
        }
    }
    summary.sha256 = hex(&hasher.finalize());
    Ok(())
}

struct HashWriter<'a>(&'a mut Sha256);
impl io::Write for HashWriter<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.update(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub fn sha256_file(path: &Path) -> Result<String, ReadError> {
    let mut f = open(path)?;
    let mut h = Sha256::new();
    io::copy(&mut f, &mut HashWriter(&mut h))
        .map_err(|e| ReadError::Io(format!("cannot read {}: {e}", path.display())))?;
    f.rewind().ok();
    Ok(hex(&h.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn lossy_path(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace('\\', "/")
}

/// Why an entry is unsafe to unpack, if it is: absolute paths, `..`, links leading outside the
/// artifact, devices and FIFOs. Such entries are reported, never followed.
pub fn unsafe_reason(e: &Entry) -> Option<String> {
    if let Some(r) = path_problem(&e.path) {
        return Some(r);
    }
    match &e.kind {
        EntryKind::Symlink(target) => {
            if is_absolute(target) {
                return Some(format!("symlink to the absolute path `{target}`"));
            }
            let dir = match e.path.trim_end_matches('/').rfind('/') {
                Some(i) => &e.path[..i],
                None => "",
            };
            let joined = if dir.is_empty() {
                target.clone()
            } else {
                format!("{dir}/{target}")
            };
            escapes(&joined).then(|| format!("symlink to `{target}`, outside the artifact"))
        }
        EntryKind::Hardlink(target) => {
            path_problem(target).map(|r| format!("hard link to `{target}`: {r}"))
        }
        EntryKind::Special(what) => Some(format!("{what} entry")),
        _ => None,
    }
}

fn path_problem(p: &str) -> Option<String> {
    if is_absolute(p) {
        return Some("absolute path".into());
    }
    if p.split(['/', '\\']).any(|c| c == "..") {
        return Some("path with `..` that unpacks outside the target folder".into());
    }
    None
}

fn is_absolute(p: &str) -> bool {
    let b = p.as_bytes();
    p.starts_with('/')
        || p.starts_with('\\')
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

/// Whether a relative path climbs above its root.
fn escapes(p: &str) -> bool {
    let mut depth: i64 = 0;
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, kind: EntryKind) -> Entry {
        Entry {
            path: path.into(),
            kind,
            size: 0,
        }
    }

    #[test]
    fn unsafe_entries() {
        assert!(unsafe_reason(&entry("../etc/passwd", EntryKind::File)).is_some());
        assert!(unsafe_reason(&entry("/etc/passwd", EntryKind::File)).is_some());
        assert!(unsafe_reason(&entry("C:/x", EntryKind::File)).is_some());
        assert!(
            unsafe_reason(&entry("package/a", EntryKind::Symlink("../../etc".into()))).is_some()
        );
        assert!(unsafe_reason(&entry("package/a", EntryKind::Symlink("../b".into()))).is_none());
        assert!(unsafe_reason(&entry(
            "package/a",
            EntryKind::Symlink("/etc/passwd".into())
        ))
        .is_some());
        assert!(unsafe_reason(&entry("package/a", EntryKind::Hardlink("../x".into()))).is_some());
        assert!(
            unsafe_reason(&entry("package/a", EntryKind::Hardlink("package/b".into()))).is_none()
        );
        assert!(unsafe_reason(&entry("package/ok.js", EntryKind::File)).is_none());
        assert!(unsafe_reason(&entry("dev", EntryKind::Special("FIFO"))).is_some());
    }
}
