//! The image reader (docker save, oci-archive, their gzip forms): any bytes give images or an
//! error, within small budgets; every entry of every image can be judged and reported.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shipgate::inputs::artifact::{unsafe_reason, Budgets, Entry};
use shipgate::inputs::artifact_scan::Options;

fuzz_target!(|data: &[u8]| {
    let budgets = Budgets {
        max_scan_size: 1 << 16,
        max_total: 8 << 20,
        max_ratio: 100,
        ratio_after: 1 << 20,
        max_entries: 10_000,
        max_names: 1 << 20,
    };
    let ids = |i: usize| i.to_string();
    let opts = Options {
        budgets,
        matcher: None,
        inspect_maps: true,
        ids: &ids,
        counter: None,
        platform: None,
    };
    for scan in shipgate::inputs::image::scan_bytes(data, &opts) {
        for e in scan.data.entries.iter().chain(scan.data.hidden.iter()) {
            let entry = Entry {
                path: e.path.to_string(),
                kind: e.kind.clone(),
                size: e.size,
            };
            let _ = unsafe_reason(&entry);
        }
    }
});
