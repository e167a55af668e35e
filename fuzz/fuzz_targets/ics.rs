//! The iCalendar holiday reader: any text gives holidays or a file:line error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = shipgate::inputs::ics::parse(text, "fuzz.ics", 2020..=2030);
    }
});
