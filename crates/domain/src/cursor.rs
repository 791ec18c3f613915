//! Opaque list cursors: the sort key and id of the last row of a page.
//!
//! Encoded as hex of `key|id` so that clients treat them as opaque tokens and cannot guess offsets.
use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key of the last row (e.g. a timestamp in microseconds, or a priority); empty for id order.
    pub key: i64,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let plain = format!("{}|{}", self.key, self.id);
        let mut out = String::with_capacity(plain.len() * 2);
        for b in plain.bytes() {
            let _ = write!(out, "{b:02x}");
        }
        out
    }

    pub fn decode(s: &str) -> Result<Self, &'static str> {
        const BAD: &str = "is not a cursor returned by this list";
        if !s.len().is_multiple_of(2) || s.len() > 100 {
            return Err(BAD);
        }
        let bytes: Result<Vec<u8>, _> = (0..s.len())
            .step_by(2)
            .map(|i| {
                s.get(i..i + 2)
                    .ok_or(BAD)
                    .and_then(|h| u8::from_str_radix(h, 16).map_err(|_| BAD))
            })
            .collect();
        let plain = String::from_utf8(bytes?).map_err(|_| BAD)?;
        let (key, id) = plain.split_once('|').ok_or(BAD)?;
        Ok(Cursor {
            key: key.parse().map_err(|_| BAD)?,
            id: id.parse().map_err(|_| BAD)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(key in any::<i64>(), id in any::<i64>()) {
            let c = Cursor { key, id };
            prop_assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,100}") {
            let _ = Cursor::decode(&s);
        }
    }
}
