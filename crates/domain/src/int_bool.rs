//! WiseCP encodes flags as integers `0`/`1`; this serde adapter keeps `bool` in Rust and `0|1` on the wire.
use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(value: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(u8::from(*value))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
    }
    match Flag::deserialize(d)? {
        Flag::Bool(b) => Ok(b),
        Flag::Int(0) => Ok(false),
        Flag::Int(1) => Ok(true),
        Flag::Int(_) => Err(serde::de::Error::custom("must be 0 or 1")),
    }
}

/// The same adapter for `Option<bool>` fields of PATCH bodies.
pub mod option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super")] bool);
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

/// `Option<bool>` as `0|1` both ways, for request bodies that clients serialize too.
pub mod option_ser {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(b) => super::serialize(b, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        super::option::deserialize(d)
    }
}
