//! libFuzzer entry point; the target's body is `targets/pdf.rs`, which the corpus replay
//! test (`shared/tests/integration/fuzz_replay.rs`) runs too.

#![no_main]

#[path = "../targets/extraction.rs"]
mod extraction;
#[path = "../targets/pdf.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|data: &[u8]| target::run(data));
