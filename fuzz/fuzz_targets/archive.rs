//! The archive readers (tar, gzip, zip): any bytes give entries or an error, within small budgets,
//! and every entry's safety can be judged.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shipgate::inputs::artifact::{read_bytes, unsafe_reason, Budgets, Entry, Visitor};

struct Judge;
impl Visitor for Judge {
    fn entry(&mut self, e: &Entry, content: Option<&[u8]>) {
        let _ = unsafe_reason(e);
        if let Some(c) = content {
            let _ = shipgate::inputs::artifact_scan::inspect_map(c);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let budgets = Budgets {
        max_scan_size: 1 << 16,
        max_total: 8 << 20,
        max_ratio: 100,
        ratio_after: 1 << 20,
        max_entries: 10_000,
        max_names: 1 << 20,
    };
    let _ = read_bytes(data, &budgets, &mut Judge);
});
