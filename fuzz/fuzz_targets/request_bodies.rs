//! Every JSON request body the native API accepts must parse or fail cleanly, never panic, whatever the bytes.
#![no_main]
use ferrodesk_api_types::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The control-character rule walks every request body before it is decoded.
    if let Ok(document) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = ferrodesk_domain::control::control_characters_in(&document);
    }
    let _ = serde_json::from_slice::<NewTicket>(data);
    let _ = serde_json::from_slice::<TicketPatch>(data);
    let _ = serde_json::from_slice::<NewReply>(data);
    let _ = serde_json::from_slice::<NewCustomer>(data);
    let _ = serde_json::from_slice::<CustomerPatch>(data);
    let _ = serde_json::from_slice::<EndUserPatch>(data);
    let _ = serde_json::from_slice::<NewToken>(data);
    let _ = serde_json::from_slice::<NewStaff>(data);
});
