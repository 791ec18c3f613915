//! Hook scripts and their parameters (admins upload scripts; the parameters come from customers' input):
//! any text either loads or is refused with a line inside it, and a loaded script's hooks run on any JSON
//! parameters within the limits, reporting errors instead of panicking.
#![no_main]
use ferrodesk_hooks::{Hooks, Limits};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use std::time::Duration;

static HOOKS: LazyLock<Hooks> = LazyLock::new(|| {
    Hooks::new(Limits {
        max_operations: 20_000,
        max_time: Duration::from_millis(50),
        ..Limits::default()
    })
});

fuzz_target!(|data: &[u8]| {
    // The script, then (after the first NUL) the parameters.
    let (source, params) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(source) = std::str::from_utf8(source) else { return };
    let params: serde_json::Value = serde_json::from_slice(params).unwrap_or(serde_json::Value::Null);
    match HOOKS.compile("fuzz.rhai", source) {
        Ok(script) => {
            for run in HOOKS.trial(&script, |_| params.clone()) {
                assert!(run.line <= source.lines().count() + 1, "line {} of {run:?}", run.line);
            }
        }
        Err(e) => assert!(e.line <= source.lines().count() + 1, "{e}"),
    }
});
