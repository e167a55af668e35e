//! git's pre-push input: any text parses into push lines or a line-numbered error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(lines) = shipgate::inputs::history::parse_push_lines(text) {
            for l in lines {
                let _ = (l.is_new(), l.is_delete(), l.remote_branch());
            }
        }
    }
});
