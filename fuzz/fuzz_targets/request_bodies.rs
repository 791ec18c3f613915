//! Every JSON request body the native API accepts must parse or fail cleanly, never panic, whatever the bytes.
#![no_main]
use ferrodesk_api_types::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<NewTicket>(data);
    let _ = serde_json::from_slice::<TicketPatch>(data);
    let _ = serde_json::from_slice::<NewReply>(data);
    let _ = serde_json::from_slice::<NewCustomer>(data);
    let _ = serde_json::from_slice::<CustomerPatch>(data);
    let _ = serde_json::from_slice::<EndUserPatch>(data);
    let _ = serde_json::from_slice::<NewToken>(data);
    let _ = serde_json::from_slice::<NewStaff>(data);
});
