//! Every body a JSON-RPC client can send must be read as calls or refused with an answer, and every call's
//! params bound or refused, never a panic, whatever the bytes (SPEC §7.3).
#![no_main]
use ferrodesk_api_types::jsonrpc::{Incoming, MAX_BATCH, parse, prepare};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let entries = match parse(data) {
        Incoming::Refused(answer) => {
            let _ = answer.to_json();
            return;
        }
        Incoming::Single(entry) => vec![entry],
        Incoming::Batch(entries) => {
            assert!(!entries.is_empty() && entries.len() <= MAX_BATCH, "batches are bounded");
            entries
        }
    };
    for entry in entries {
        match entry {
            Ok(call) => {
                if let Ok(prepared) = prepare(call) {
                    if let Err(error) = prepared.bind() {
                        let _ = error.message;
                    }
                }
            }
            Err(answer) => {
                let _ = answer.to_json();
            }
        }
    }
});
