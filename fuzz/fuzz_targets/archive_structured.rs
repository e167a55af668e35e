//! The archive readers on well-formed archives built from generated entries by the real tar and
//! zip writers, then bent the ways hostile archives are: a lone zero block inside the stream,
//! bytes after the end, an entry's local header renamed, duplicated or hidden from the zip's
//! central directory, a GNU sparse header. Every run goes past the magic bytes into the entry
//! loop; any outcome must be entries or an error, never a panic or a hang.
#![no_main]
use std::io::Write;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use shipgate::inputs::artifact::{read_bytes, unsafe_reason, Budgets, Entry, Visitor};

#[derive(Arbitrary, Debug)]
enum Kind {
    File,
    Dir,
    Symlink(String),
    Hardlink(String),
    Fifo,
    Sparse(u32),
}

#[derive(Arbitrary, Debug)]
struct FuzzEntry {
    name: String,
    data: Vec<u8>,
    kind: Kind,
}

#[derive(Arbitrary, Debug)]
enum Bend {
    None,
    /// A zero block after entry `n`.
    ZeroBlockAfter(u8),
    /// Garbage after the end.
    Trailer(Vec<u8>),
    /// Zip: rename the local header of entry `n` (same length).
    RenameLocal(u8),
    /// Zip: a second copy of entry `n`'s local header and data before the central directory.
    HiddenLocal(u8),
    /// Truncate to this fraction (out of 256).
    Cut(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    format: u8,
    entries: Vec<FuzzEntry>,
    bend: Bend,
}

struct Judge;
impl Visitor for Judge {
    fn entry(&mut self, e: &Entry, content: Option<&[u8]>) {
        let _ = unsafe_reason(e);
        if let Some(c) = content {
            let _ = shipgate::inputs::artifact_scan::inspect_map(c);
        }
    }
}

fn tar(input: &Input) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, e) in input.entries.iter().enumerate().take(64) {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        let _ = h.set_path(&e.name);
        h.set_mode(0o644);
        h.set_size(e.data.len() as u64);
        match &e.kind {
            Kind::File => h.set_entry_type(tar::EntryType::Regular),
            Kind::Dir => h.set_entry_type(tar::EntryType::Directory),
            Kind::Symlink(t) | Kind::Hardlink(t) => {
                h.set_entry_type(if matches!(e.kind, Kind::Symlink(_)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                });
                let _ = h.set_link_name(t);
            }
            Kind::Fifo => h.set_entry_type(tar::EntryType::Fifo),
            Kind::Sparse(real) => {
                h.set_entry_type(tar::EntryType::GNUSparse);
                if let Some(gnu) = h.as_gnu_mut() {
                    gnu.realsize = format!("{real:011o}\0").as_bytes()[..12].try_into().unwrap();
                }
            }
        }
        h.set_cksum();
        let _ = b.append(&h, e.data.as_slice());
        let block = b.into_inner().unwrap_or_default();
        // Without the end blocks: the entries follow one another.
        out.extend_from_slice(&block[..block.len().saturating_sub(1024)]);
        if let Bend::ZeroBlockAfter(n) = input.bend {
            if n as usize == i {
                out.extend_from_slice(&[0u8; 512]);
            }
        }
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

fn zip(input: &Input) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored);
    let mut names = Vec::new();
    for e in input.entries.iter().take(64) {
        let ok = match e.kind {
            Kind::Dir => z.add_directory(e.name.as_str(), opts).is_ok(),
            _ => z.start_file(e.name.as_str(), opts).is_ok() && z.write_all(&e.data).is_ok(),
        };
        if ok {
            names.push(e.name.clone());
        }
    }
    let mut data = z.finish().map(|c| c.into_inner()).unwrap_or_default();
    match input.bend {
        Bend::RenameLocal(n) => {
            // The n-th local header's name, first byte changed.
            let mut at = 0;
            let mut k = 0;
            while let Some(i) = data[at..].windows(4).position(|w| w == b"PK\x03\x04") {
                let pos = at + i;
                if k == n as usize && pos + 31 <= data.len() {
                    data[pos + 30] ^= 0x20;
                    break;
                }
                k += 1;
                at = pos + 4;
            }
        }
        Bend::HiddenLocal(n) => {
            if let Some(cd) = data.windows(4).rposition(|w| w == b"PK\x01\x02") {
                let first_cd = data[..cd + 4]
                    .windows(4)
                    .position(|w| w == b"PK\x01\x02")
                    .unwrap_or(cd);
                let hidden = format!("hidden{n}.env");
                let mut lfh = b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
                lfh.extend([0u8; 12]);
                lfh.extend((hidden.len() as u16).to_le_bytes());
                lfh.extend([0u8; 2]);
                lfh.extend(hidden.as_bytes());
                data.splice(first_cd..first_cd, lfh);
            }
        }
        _ => {}
    }
    data
}

fuzz_target!(|input: Input| {
    let mut data = match input.format % 3 {
        0 => tar(&input),
        1 => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let _ = e.write_all(&tar(&input));
            e.finish().unwrap_or_default()
        }
        _ => zip(&input),
    };
    match &input.bend {
        Bend::Trailer(t) => data.extend_from_slice(t),
        Bend::Cut(f) => data.truncate(data.len() * (*f as usize) / 256),
        _ => {}
    }
    let budgets = Budgets {
        max_scan_size: 1 << 16,
        max_total: 8 << 20,
        max_ratio: 100,
        ratio_after: 1 << 20,
        max_entries: 10_000,
        max_names: 1 << 20,
    };
    let _ = read_bytes(&data, &budgets, &mut Judge);
});
