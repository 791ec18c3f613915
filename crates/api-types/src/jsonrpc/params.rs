//! The methods and their parameters (SPEC §9, "JSON-RPC params"). Named parameters are an object with
//! `session` as a member; positional ones are the same values in the order §9 lists them, `session` last,
//! where `<criteria>` (accountSearch), `…` (brandUpdate) and `account` (accountUpdate) are each one object.
//! Parameters are bound to the native API's request types, so a call checks what the REST body checks.
use super::{Call, Params, RpcError, codes};
use crate::{AccountBody, BrandPatch, ListQuery, NewBrand, NewReply, NewTicket, TicketQuery};
use domain::account::AccountCriteria;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::fmt;

/// A method of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Connect,
    Disconnect,
    AccountSearch,
    AccountLoad,
    AccountUpdate,
    CaseSearch,
    CaseLoad,
    CaseCreate,
    CaseUpdate,
    BrandList,
    BrandLoad,
    BrandCreate,
    BrandUpdate,
    BrandDelete,
    DepartmentList,
}

impl Method {
    pub const ALL: [Method; 15] = [
        Method::Connect,
        Method::Disconnect,
        Method::AccountSearch,
        Method::AccountLoad,
        Method::AccountUpdate,
        Method::CaseSearch,
        Method::CaseLoad,
        Method::CaseCreate,
        Method::CaseUpdate,
        Method::BrandList,
        Method::BrandLoad,
        Method::BrandCreate,
        Method::BrandUpdate,
        Method::BrandDelete,
        Method::DepartmentList,
    ];

    /// The method's name on the wire (case matters).
    pub fn name(self) -> &'static str {
        match self {
            Method::Connect => "connect",
            Method::Disconnect => "disconnect",
            Method::AccountSearch => "accountSearch",
            Method::AccountLoad => "accountLoad",
            Method::AccountUpdate => "accountUpdate",
            Method::CaseSearch => "caseSearch",
            Method::CaseLoad => "caseLoad",
            Method::CaseCreate => "caseCreate",
            Method::CaseUpdate => "caseUpdate",
            Method::BrandList => "brandList",
            Method::BrandLoad => "brandLoad",
            Method::BrandCreate => "brandCreate",
            Method::BrandUpdate => "brandUpdate",
            Method::BrandDelete => "brandDelete",
            Method::DepartmentList => "departmentList",
        }
    }

    pub fn parse(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Every method but `connect` runs in a session.
    pub fn needs_session(self) -> bool {
        self != Method::Connect
    }

    /// The values of the positional form, in order, before the session.
    fn positions(self) -> &'static [&'static str] {
        match self {
            Method::Connect => &["username", "password"],
            Method::Disconnect | Method::BrandList => &[],
            Method::AccountSearch => &["brand", "criteria"],
            Method::AccountLoad => &["brand", "userkey"],
            Method::AccountUpdate => &["brand", "userkey", "account"],
            Method::CaseSearch => &["q", "status"],
            Method::CaseLoad | Method::BrandLoad | Method::BrandDelete => &["id"],
            Method::CaseCreate => &["did", "title", "message", "user_id", "account_key"],
            Method::CaseUpdate => &["id", "message", "internal"],
            Method::BrandCreate => &["name", "slug", "greeting"],
            Method::BrandUpdate => &["id", "fields"],
            Method::DepartmentList => &["brand"],
        }
    }

    /// The positional object that the named form spreads over its own members (`<criteria>`, `…`): in the
    /// named form every member that is not another parameter belongs to it.
    fn spread(self) -> Option<&'static str> {
        match self {
            Method::AccountSearch => Some("criteria"),
            Method::BrandUpdate => Some("fields"),
            _ => None,
        }
    }

    /// Members the named form takes beyond the positional values (a page of a list).
    fn named_extras(self) -> &'static [&'static str] {
        match self {
            Method::CaseSearch | Method::BrandList | Method::DepartmentList => &["limit", "cursor"],
            _ => &[],
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A secret parameter (a password): kept out of `Debug` output and so out of logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A call with its parameters bound to what the use case takes.
#[derive(Debug, Clone, PartialEq)]
pub enum MethodCall {
    Connect {
        username: String,
        password: Secret,
    },
    Disconnect,
    AccountSearch {
        brand: i64,
        criteria: AccountCriteria,
    },
    AccountLoad {
        brand: i64,
        userkey: String,
    },
    /// `account` is the REST body of `PUT /api/v1/brands/{id}/accounts/{userkey}` (`status`, `account`,
    /// `contacts`, `fields`).
    AccountUpdate {
        brand: i64,
        userkey: String,
        account: AccountBody,
    },
    /// The ticket list with `q` (full text over the title and every reply) and `status`.
    CaseSearch(TicketQuery),
    CaseLoad {
        id: i64,
    },
    CaseCreate(NewTicket),
    CaseUpdate {
        id: i64,
        reply: NewReply,
    },
    BrandList(ListQuery),
    BrandLoad {
        id: i64,
    },
    BrandCreate(NewBrand),
    BrandUpdate {
        id: i64,
        patch: BrandPatch,
    },
    BrandDelete {
        id: i64,
    },
    DepartmentList(ListQuery),
}

/// A call to a known method, its session key taken out of its parameters and the rest not yet checked:
/// the server authenticates the session before it says anything about the parameters.
#[derive(Clone, PartialEq)]
pub struct Prepared {
    pub method: Method,
    /// The session key, when the call passes a string where the session goes.
    pub session: Option<String>,
    params: Params,
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("method", &self.method)
            .field("session", &self.session.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

/// Finds the call's method (`-32601` when there is none of that name) and takes out its session key.
pub fn prepare(call: Call) -> Result<Prepared, RpcError> {
    let method = Method::parse(&call.method).ok_or_else(|| {
        let name: String = call.method.chars().take(100).collect();
        RpcError::new(codes::METHOD_NOT_FOUND, format!("method not found: {name:?}"))
    })?;
    let mut params = call.params;
    let session = if method.needs_session() {
        let given = match &mut params {
            Params::Named(named) => named.remove("session"),
            Params::Positional(values) => values.pop(),
            Params::Absent => None,
        };
        match given {
            Some(Value::String(key)) => Some(key),
            _ => None,
        }
    } else {
        None
    };
    Ok(Prepared {
        method,
        session,
        params,
    })
}

impl Prepared {
    /// Checks the parameters and binds them: `-32602` naming the parameter that is missing, unknown, extra
    /// or of the wrong type, with the same words the REST API uses for its bodies.
    pub fn bind(self) -> Result<MethodCall, RpcError> {
        let method = self.method;
        let mut args = Args::new(method, self.params)?;
        if method != Method::Connect {
            // The REST bodies' rule for control characters; a password is the one value it does not cover.
            let errors = domain::control::control_characters_in(&Value::Object(args.members.clone()));
            if !errors.is_empty() {
                return Err(RpcError::invalid_params(errors));
            }
        }
        let call = match method {
            Method::Connect => MethodCall::Connect {
                username: args.required_text("username")?,
                password: Secret(args.required_text("password")?),
            },
            Method::Disconnect => MethodCall::Disconnect,
            Method::AccountSearch => MethodCall::AccountSearch {
                brand: args.required_id("brand")?,
                criteria: criteria(args.object("criteria")?.unwrap_or_default())?,
            },
            Method::AccountLoad => MethodCall::AccountLoad {
                brand: args.required_id("brand")?,
                userkey: args.required_text("userkey")?,
            },
            Method::AccountUpdate => MethodCall::AccountUpdate {
                brand: args.required_id("brand")?,
                userkey: args.required_text("userkey")?,
                account: body_of(
                    args.object("account")?
                        .ok_or_else(|| RpcError::param("account", "is required"))?,
                    "account.",
                )?,
            },
            Method::CaseSearch => MethodCall::CaseSearch(TicketQuery {
                q: Some(args.required_text("q")?),
                status: args.text("status")?,
                limit: args.limit()?,
                cursor: args.text("cursor")?,
                ..TicketQuery::default()
            }),
            Method::CaseLoad => MethodCall::CaseLoad {
                id: args.required_id("id")?,
            },
            Method::CaseCreate => return Ok(MethodCall::CaseCreate(args.into_body()?)),
            Method::CaseUpdate => {
                let id = args.required_id("id")?;
                return Ok(MethodCall::CaseUpdate {
                    id,
                    reply: args.into_body()?,
                });
            }
            Method::BrandList => MethodCall::BrandList(ListQuery {
                limit: args.limit()?,
                cursor: args.text("cursor")?,
                ..ListQuery::default()
            }),
            Method::BrandLoad => MethodCall::BrandLoad {
                id: args.required_id("id")?,
            },
            Method::BrandCreate => return Ok(MethodCall::BrandCreate(args.into_body()?)),
            Method::BrandUpdate => {
                let id = args.required_id("id")?;
                let fields = args.object("fields")?.unwrap_or_default();
                MethodCall::BrandUpdate {
                    id,
                    patch: body_of(fields, "")?,
                }
            }
            Method::BrandDelete => MethodCall::BrandDelete {
                id: args.required_id("id")?,
            },
            Method::DepartmentList => MethodCall::DepartmentList(ListQuery {
                brand_id: args.id("brand")?,
                limit: args.limit()?,
                cursor: args.text("cursor")?,
                ..ListQuery::default()
            }),
        };
        args.done()?;
        Ok(call)
    }
}

/// A call's parameters by name, whichever form they came in.
struct Args {
    method: Method,
    members: Map<String, Value>,
}

impl Args {
    fn new(method: Method, params: Params) -> Result<Args, RpcError> {
        let positions = method.positions();
        let members = match params {
            Params::Absent => Map::new(),
            Params::Positional(values) => {
                if values.len() > positions.len() {
                    return Err(too_many(method, values.len()));
                }
                positions
                    .iter()
                    .zip(values)
                    .filter(|(_, value)| !value.is_null())
                    .map(|(name, value)| ((*name).to_owned(), value))
                    .collect()
            }
            Params::Named(named) => match method.spread() {
                None => named,
                Some(spread) => {
                    let (mut own, rest): (Map<String, Value>, Map<String, Value>) = named
                        .into_iter()
                        .partition(|(name, _)| positions.contains(&name.as_str()));
                    let gathered = match own.remove(spread) {
                        Some(Value::Object(mut given)) => {
                            for (name, value) in rest {
                                if given.contains_key(&name) {
                                    return Err(RpcError::param(&name, "is given twice"));
                                }
                                given.insert(name, value);
                            }
                            given
                        }
                        None | Some(Value::Null) => rest,
                        Some(_) => return Err(RpcError::param(spread, "must be an object")),
                    };
                    own.insert(spread.to_owned(), Value::Object(gathered));
                    own
                }
            },
        };
        Ok(Args { method, members })
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.members.remove(name).filter(|v| !v.is_null())
    }

    /// A text parameter. Its value never appears in the error (it may be a password).
    fn text(&mut self, name: &str) -> Result<Option<String>, RpcError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(RpcError::param(name, "must be a string")),
        }
    }

    fn required_text(&mut self, name: &str) -> Result<String, RpcError> {
        self.text(name)?.ok_or_else(|| RpcError::param(name, "is required"))
    }

    fn id(&mut self, name: &str) -> Result<Option<i64>, RpcError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
            Some(_) => Err(RpcError::param(name, "must be an integer id")),
        }
    }

    fn required_id(&mut self, name: &str) -> Result<i64, RpcError> {
        self.id(name)?.ok_or_else(|| RpcError::param(name, "is required"))
    }

    /// A page size; its range is the list's own rule (1 to 500, as in the REST API).
    fn limit(&mut self) -> Result<Option<u32>, RpcError> {
        match self.take("limit") {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| RpcError::param("limit", "must be a whole number from 1 to 500")),
            Some(_) => Err(RpcError::param("limit", "must be a whole number from 1 to 500")),
        }
    }

    fn object(&mut self, name: &str) -> Result<Option<Map<String, Value>>, RpcError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Object(members)) => Ok(Some(members)),
            Some(_) => Err(RpcError::param(name, "must be an object")),
        }
    }

    /// The remaining members as a native request body (which refuses members it does not know).
    fn into_body<T: DeserializeOwned>(self) -> Result<T, RpcError> {
        body_of(self.members, "")
    }

    /// Refuses members left over: they are not parameters of the method.
    fn done(self) -> Result<(), RpcError> {
        if self.members.is_empty() {
            return Ok(());
        }
        let method = self.method;
        let mut known: Vec<&str> = method.positions().to_vec();
        known.extend(method.named_extras());
        if method.needs_session() {
            known.push("session");
        }
        let errors = self
            .members
            .keys()
            .map(|name| {
                domain::FieldError::new(
                    clipped(name),
                    format!("is not a parameter of {method}; it takes: {}", known.join(", ")),
                )
            })
            .collect();
        Err(RpcError::invalid_params(errors))
    }
}

/// `given` counts the values before the session.
fn too_many(method: Method, given: usize) -> RpcError {
    let mut order: Vec<&str> = method.positions().to_vec();
    let session = usize::from(method.needs_session());
    if session == 1 {
        order.push("session");
    }
    RpcError::param(
        "params",
        format!(
            "{method} takes at most {} positional params ({}); {} were given",
            order.len(),
            order.join(", "),
            given + session
        ),
    )
}

/// A long member name, shortened for an error message.
fn clipped(name: &str) -> String {
    name.chars().take(100).collect()
}

/// An object as a native request body, with the REST API's words for what does not fit: the member's path,
/// and serde's message.
/// `prefix` names the object the members are in (`account.`), or is empty for the parameters themselves.
fn body_of<T: DeserializeOwned>(members: Map<String, Value>, prefix: &str) -> Result<T, RpcError> {
    serde_path_to_error::deserialize(Value::Object(members)).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let field = if path == "." {
            quoted_name(&message).map_or_else(|| "params".to_owned(), clipped)
        } else {
            path
        };
        RpcError::param(&format!("{prefix}{field}"), message)
    })
}

/// The member named in serde's "unknown field `x`" or "missing field `x`".
fn quoted_name(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// accountSearch's criteria: the web-call protocol's names (`FirstName`, `PrimaryPhone`, …) with text values
/// (numbers are taken as their digits).
fn criteria(members: Map<String, Value>) -> Result<AccountCriteria, RpcError> {
    let mut criteria = AccountCriteria::default();
    let mut errors = Vec::new();
    for (name, value) in members {
        let text = match value {
            Value::String(text) => text,
            Value::Number(n) => n.to_string(),
            Value::Null => continue,
            _ => {
                errors.push(domain::FieldError::new(clipped(&name), "must be a string"));
                continue;
            }
        };
        if let Err(unknown) = criteria.set(&name, text) {
            errors.push(domain::FieldError::new(clipped(&name), unknown.to_string()));
        }
    }
    if errors.is_empty() {
        Ok(criteria)
    } else {
        Err(RpcError::invalid_params(errors))
    }
}
