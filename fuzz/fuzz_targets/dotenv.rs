//! The dotenv parser: any text parses or gives a file:line error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = shipgate::inputs::dotenv::parse(text, "fuzz.env");
    }
});
