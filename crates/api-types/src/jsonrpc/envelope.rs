//! Reading a request body as calls: one call object or a batch (an array of them), in JSON-RPC 2.0 or in
//! SpiceCSM's 1.0 style.
use super::{Answer, RpcError, Version, codes};
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// The most calls one batch may hold. A longer batch is refused whole, before any of its calls runs.
pub const MAX_BATCH: usize = 100;

/// The parameters of a call as sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Params {
    /// No `params` member, or `null`.
    Absent,
    /// By name (an object).
    Named(Map<String, Value>),
    /// By position (an array).
    Positional(Vec<Value>),
}

/// One well-formed call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub version: Version,
    /// `None` for a notification, which gets no answer: a 2.0 call without `id`, or a 1.0 call whose `id`
    /// is `null` or missing (JSON-RPC 1.0's notification).
    pub id: Option<Value>,
    pub method: String,
    pub params: Params,
}

/// A request body, read.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// One call object; `Err` holds the answer to a malformed one.
    Single(Result<Call, Box<Answer>>),
    /// A batch of 1 to [`MAX_BATCH`] entries, in order.
    Batch(Vec<Result<Call, Box<Answer>>>),
    /// The whole body is answered with this one error: not JSON, not an object or array, an empty batch,
    /// or a batch over [`MAX_BATCH`].
    Refused(Answer),
}

/// Reads a request body. A batch's calls are counted before any is built, so an oversized batch costs one
/// pass over its bytes and no allocation per call.
pub fn parse(body: &[u8]) -> Incoming {
    let shape = match serde_json::from_slice::<Shape>(body) {
        Ok(shape) => shape,
        Err(e) => return Incoming::Refused(parse_error(&e)),
    };
    match shape {
        Shape::Batch(0) => {
            return Incoming::Refused(Answer::refusal(RpcError::invalid_request(
                "an empty batch has no call to answer",
            )));
        }
        Shape::Batch(n) if n > MAX_BATCH => {
            return Incoming::Refused(Answer::refusal(RpcError::invalid_request(format!(
                "a batch holds at most {MAX_BATCH} calls; this one holds {n}"
            ))));
        }
        Shape::Other => {
            return Incoming::Refused(Answer::refusal(RpcError::invalid_request(
                "the body must be a call object or an array of them",
            )));
        }
        Shape::Batch(_) | Shape::Object => {}
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(entries)) => Incoming::Batch(entries.into_iter().map(call).collect()),
        Ok(single) => Incoming::Single(call(single)),
        Err(e) => Incoming::Refused(parse_error(&e)),
    }
}

fn parse_error(e: &serde_json::Error) -> Answer {
    Answer::refusal(RpcError::new(codes::PARSE_ERROR, format!("parse error: {e}")))
}

/// One entry of a request: a call, or the answer to a malformed one (with the call's `id` when it has a
/// usable one, `null` otherwise).
fn call(entry: Value) -> Result<Call, Box<Answer>> {
    let Value::Object(mut members) = entry else {
        return Err(Box::new(Answer::refusal(RpcError::invalid_request(
            "a call must be a JSON object",
        ))));
    };
    let version = match members.remove("jsonrpc") {
        None => Version::One,
        Some(Value::String(v)) if v == "2.0" => Version::Two,
        Some(_) => {
            let id = members.remove("id").filter(id_of_2_0).unwrap_or(Value::Null);
            return Err(Box::new(Answer {
                version: Version::Two,
                id,
                outcome: Err(RpcError::invalid_request(
                    "`jsonrpc` must be \"2.0\" (or left out for the 1.0 style)",
                )),
            }));
        }
    };
    let id = match (version, members.remove("id")) {
        (Version::Two, Some(id)) if !id_of_2_0(&id) => {
            return Err(Box::new(Answer {
                version,
                id: Value::Null,
                outcome: Err(RpcError::invalid_request("`id` must be a string, a number or null")),
            }));
        }
        (Version::One, Some(Value::Null)) => None,
        (_, id) => id,
    };
    let refuse = |message: &str| {
        Box::new(Answer {
            version,
            id: id.clone().unwrap_or(Value::Null),
            outcome: Err(RpcError::invalid_request(message)),
        })
    };
    let method = match members.remove("method") {
        Some(Value::String(method)) => method,
        Some(_) => return Err(refuse("`method` must be a string")),
        None => return Err(refuse("`method` is required")),
    };
    let params = match members.remove("params") {
        None | Some(Value::Null) => Params::Absent,
        Some(Value::Object(named)) => Params::Named(named),
        Some(Value::Array(positional)) => Params::Positional(positional),
        Some(_) => return Err(refuse("`params` must be an object (by name) or an array (by position)")),
    };
    Ok(Call {
        version,
        id,
        method,
        params,
    })
}

fn id_of_2_0(id: &Value) -> bool {
    matches!(id, Value::String(_) | Value::Number(_) | Value::Null)
}

/// What a body is at the top, with a batch's length: read without building any value.
enum Shape {
    Object,
    Batch(usize),
    Other,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON document")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        let mut n = 0usize;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(Shape::Batch(n))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Shape::Object)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
}
