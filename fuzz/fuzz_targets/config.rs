//! The check and configuration loader: any text gives checks or positioned errors, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shipgate::config::{parse_checks, parse_yaml, raw::RawProject, samples, Source};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut errors = Vec::new();
    let src = Source { label: "fuzz.yaml".into(), text: text.into(), builtin: false };
    for c in parse_checks(&[src], &Default::default(), None, &mut errors) {
        let _ = samples::verify(&c);
    }
    let _ = parse_yaml::<RawProject>(".shipgate.yaml", text);
    for e in errors {
        let _ = e.to_string();
    }
});
