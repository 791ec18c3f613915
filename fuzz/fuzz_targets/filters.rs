//! The list filter syntax (`field{op}value;…`): any text is read or refused with a position inside it,
//! and what is read, written back, reads the same.
#![no_main]
use ferrodesk_domain::{FilterCondition, parse_filter};
use libfuzzer_sys::fuzz_target;

fn written(c: &FilterCondition) -> String {
    let value = c.value.replace('\\', "\\\\").replace(';', "\\;");
    format!("{}{{{}}}{value}", c.field, c.op)
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    match parse_filter(s) {
        Ok(conditions) => {
            let again = conditions.iter().map(written).collect::<Vec<_>>().join(";");
            assert_eq!(parse_filter(&again), Ok(conditions));
        }
        Err(e) => assert!(e.position >= 1 && e.position <= s.chars().count() + 1, "{e}"),
    }
});
