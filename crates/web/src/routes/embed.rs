//! `include=` (SPEC §3.4): related records embedded in each returned record, nested with dots. The
//! relation names and the cycle rule are the domain's (`domain::include`); this module fetches the related
//! records in batches and places them in the answer, in the native shape (arrays and objects) or
//! TeamTools' (`{"data": …}` envelopes, compat/teamtools.md §8).
use crate::error::ApiError;
use app::App;
use domain::include::{Cardinality, EntityKind, ResolvedInclude, parse_includes, relation, resolve_includes};
use domain::{ActivityEvent, AttributeEntity, Customer, EndUser, Event, Principal};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// How records are written: the native API's serde shapes, or TeamTools'.
#[derive(Clone, Copy)]
pub(crate) struct Style {
    pub customer: fn(&Customer) -> Map<String, Value>,
    pub end_user: fn(&EndUser) -> Map<String, Value>,
    pub event: fn(&Event) -> Map<String, Value>,
    pub activity: fn(&ActivityEvent) -> Map<String, Value>,
    /// TeamTools wraps every embedded relation in `{"data": …}`; its `events` are activity events.
    pub teamtools: bool,
}

fn object<T: serde::Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The native API's shapes.
pub(crate) const NATIVE: Style = Style {
    customer: object::<Customer>,
    end_user: object::<EndUser>,
    event: object::<Event>,
    activity: object::<ActivityEvent>,
    teamtools: false,
};

/// Reads `include=` against the relations of `root`: 422 naming `include` when it is malformed, names an
/// unknown relation or comes back to an entity already on its path.
pub(crate) fn includes(root: EntityKind, raw: Option<&str>) -> Result<Vec<ResolvedInclude>, ApiError> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    // The domain's messages begin with `include: ` already; the field says it once.
    let message = |text: String| text.strip_prefix("include: ").map(str::to_owned).unwrap_or(text);
    let tree = parse_includes(raw).map_err(|e| ApiError::field("include", message(e.to_string())))?;
    resolve_includes(root, &tree, relation).map_err(|e| ApiError::field("include", message(e.to_string())))
}

/// One record being answered: its id, the id of its customer (end users), and its members.
pub(crate) struct Node {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub members: Map<String, Value>,
}

impl Node {
    pub(crate) fn customer(c: &Customer, style: &Style) -> Self {
        Self {
            id: c.id,
            customer_id: Some(c.id),
            members: (style.customer)(c),
        }
    }

    pub(crate) fn end_user(u: &EndUser, style: &Style) -> Self {
        Self {
            id: u.id,
            customer_id: Some(u.customer_id),
            members: (style.end_user)(u),
        }
    }
}

/// Embeds `includes` into `nodes` (records of kind `kind`), fetching each relation once for all of them.
pub(crate) async fn embed(
    app: &App,
    p: &Principal,
    style: &Style,
    kind: EntityKind,
    nodes: &mut [Node],
    includes: &[ResolvedInclude],
) -> Result<(), ApiError> {
    if !includes.is_empty() && !p.is_staff() {
        return Err(ApiError::field(
            "include",
            "related records are embedded for staff only",
        ));
    }
    for include in includes {
        let mut groups: HashMap<i64, Vec<Node>> = HashMap::new();
        match (kind, include.target) {
            (EntityKind::Customer, EntityKind::EndUser) => {
                let ids: Vec<i64> = nodes.iter().map(|n| n.id).collect();
                let mut children: Vec<Node> = app
                    .end_users_of(p, &ids)
                    .await?
                    .iter()
                    .map(|u| Node::end_user(u, style))
                    .collect();
                Box::pin(embed(
                    app,
                    p,
                    style,
                    EntityKind::EndUser,
                    &mut children,
                    &include.children,
                ))
                .await?;
                for child in children {
                    groups
                        .entry(child.customer_id.unwrap_or_default())
                        .or_default()
                        .push(child);
                }
                place(nodes, include, style, |n| groups.remove(&n.id).unwrap_or_default());
            }
            (EntityKind::EndUser, EntityKind::Customer) => {
                let ids: Vec<i64> = nodes.iter().filter_map(|n| n.customer_id).collect();
                let mut children: Vec<Node> = app
                    .live_customers(p, &ids)
                    .await?
                    .iter()
                    .map(|c| Node::customer(c, style))
                    .collect();
                Box::pin(embed(
                    app,
                    p,
                    style,
                    EntityKind::Customer,
                    &mut children,
                    &include.children,
                ))
                .await?;
                let by_id: HashMap<i64, Map<String, Value>> = children.into_iter().map(|c| (c.id, c.members)).collect();
                place(nodes, include, style, |n| {
                    n.customer_id
                        .and_then(|id| by_id.get(&id).cloned())
                        .map(|members| Node {
                            id: 0,
                            customer_id: None,
                            members,
                        })
                        .into_iter()
                        .collect()
                });
            }
            (EntityKind::Customer | EntityKind::EndUser, EntityKind::Event) if style.teamtools => {
                let ids: Vec<i64> = nodes.iter().map(|n| n.id).collect();
                let (users, customers) = if kind == EntityKind::EndUser {
                    (ids, Vec::new())
                } else {
                    (Vec::new(), ids)
                };
                for e in app.activity_events(p, &users, &customers).await? {
                    let owner = if kind == EntityKind::EndUser {
                        e.end_user_id
                    } else {
                        e.customer_id
                    };
                    groups.entry(owner).or_default().push(Node {
                        id: e.id,
                        customer_id: None,
                        members: (style.activity)(&e),
                    });
                }
                place(nodes, include, style, |n| groups.remove(&n.id).unwrap_or_default());
            }
            (EntityKind::Customer | EntityKind::EndUser, EntityKind::Event) => {
                let entity = if kind == EntityKind::EndUser {
                    AttributeEntity::EndUser
                } else {
                    AttributeEntity::Customer
                };
                for node in nodes.iter() {
                    let events = app.change_events_of(p, entity, node.id).await?;
                    groups.insert(
                        node.id,
                        events
                            .iter()
                            .map(|e| Node {
                                id: e.id,
                                customer_id: None,
                                members: (style.event)(e),
                            })
                            .collect(),
                    );
                }
                place(nodes, include, style, |n| groups.remove(&n.id).unwrap_or_default());
            }
            // Relations of entities this build does not hold yet (billing): none to embed.
            _ => place(nodes, include, style, |_| Vec::new()),
        }
    }
    Ok(())
}

/// Sets member `include.name` of every node to its related nodes, as the relation's cardinality and the
/// style say.
fn place(nodes: &mut [Node], include: &ResolvedInclude, style: &Style, mut related: impl FnMut(&Node) -> Vec<Node>) {
    for node in nodes.iter_mut() {
        let children = related(node);
        let value = match include.cardinality {
            Cardinality::One => children
                .into_iter()
                .next()
                .map_or(Value::Null, |c| Value::Object(c.members)),
            Cardinality::Many => Value::Array(children.into_iter().map(|c| Value::Object(c.members)).collect()),
        };
        let value = if style.teamtools {
            let mut envelope = Map::new();
            envelope.insert("data".into(), value);
            Value::Object(envelope)
        } else {
            value
        };
        node.members.insert(include.name.clone(), value);
    }
}
