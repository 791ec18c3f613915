//! The web-call documents: any bytes are read or refused with an error, never a panic or an entity
//! expansion; an account read from an answer is the same account when read back from the `userXML` it
//! is sent as, and a case document written from what was read reads the same again.
#![no_main]
use ferrodesk_integrations::webcall::{case_xml, parse_tickets, parse_userdata, parse_users, user_xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(users) = parse_users(data) {
        assert!(users.iter().all(|u| !u.userkey.is_empty()));
    }
    if let Ok(account) = parse_userdata(data) {
        assert_eq!(parse_userdata(user_xml(&account).as_bytes()), Ok(account));
    }
    if let Ok(tickets) = parse_tickets(data) {
        for ticket in tickets {
            let written = parse_tickets(case_xml(&ticket).as_bytes()).expect("a case document we wrote reads");
            assert_eq!(written.len(), 1);
            let again = parse_tickets(case_xml(&written[0]).as_bytes()).expect("and reads again");
            assert_eq!(again, written);
        }
    }
});
