//! The lines of an export file that `ferrodesk restore` reads: any bytes parse or fail cleanly, never panic,
//! and every row that is accepted writes back to the same JSON.
#![no_main]
use ferrodesk_store::dump::{Line, TABLES, parse_line, row_cells};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut columns = TABLES[0].columns.iter().collect::<Vec<_>>();
    for line in text.lines() {
        match parse_line(line) {
            Ok(Line::Table(start)) => {
                if let Ok((_, named)) = start.resolve() {
                    columns = named;
                }
            }
            Ok(Line::Row(values)) => {
                if let Ok(cells) = row_cells(&values, &columns) {
                    let again: Vec<serde_json::Value> = cells.iter().map(|c| c.to_json()).collect();
                    assert_eq!(again, values);
                }
            }
            _ => {}
        }
    }
});
