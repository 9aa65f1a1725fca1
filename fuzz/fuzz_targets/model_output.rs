//! libFuzzer entry point; the target's body is `targets/model_output.rs`, which the corpus replay
//! test (`shared/tests/integration/fuzz_replay.rs`) runs too.

#![no_main]

#[path = "../targets/model_output.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|data: &[u8]| target::run(data));
