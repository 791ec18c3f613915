//! `include=` (SPEC §3.4): related records embedded in each returned record, nested with dots. The
//! relation names and the cycle rule are the domain's (`domain::include`); this module fetches the related
//! records in batches and places them in the answer, in the native shape (arrays and objects) or
//! TeamTools' (`{"data": …}` envelopes, compat/teamtools.md §8).
use crate::error::ApiError;
use app::App;
use domain::billing::{Feature, Invoice, Package, Payment, Plan, Refund, Subscription, SubscriptionStatus};
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
    pub billing: BillingStyle,
    /// TeamTools wraps every embedded relation in `{"data": …}`; its `events` are activity events.
    pub teamtools: bool,
}

/// How billing records are written.
#[derive(Clone, Copy)]
pub(crate) struct BillingStyle {
    pub subscription: fn(&Subscription) -> Map<String, Value>,
    pub invoice: fn(&Invoice) -> Map<String, Value>,
    pub plan: fn(&Plan) -> Map<String, Value>,
    pub package: fn(&Package) -> Map<String, Value>,
    pub feature: fn(&Feature) -> Map<String, Value>,
    pub payment: fn(&Payment) -> Map<String, Value>,
    pub refund: fn(&Refund) -> Map<String, Value>,
}

pub(crate) fn object<T: serde::Serialize>(value: &T) -> Map<String, Value> {
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
    billing: BillingStyle {
        subscription: object::<Subscription>,
        invoice: object::<Invoice>,
        plan: object::<Plan>,
        package: object::<Package>,
        feature: object::<Feature>,
        payment: object::<Payment>,
        refund: object::<Refund>,
    },
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

/// One record being answered: its id, the id of its customer (end users), the records it refers to
/// (a subscription's plan, a plan's package, a package's features), and its members.
pub(crate) struct Node {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub refs: Vec<(EntityKind, i64)>,
    pub members: Map<String, Value>,
}

impl Node {
    pub(crate) fn customer(c: &Customer, style: &Style) -> Self {
        Self {
            id: c.id,
            customer_id: Some(c.id),
            refs: Vec::new(),
            members: (style.customer)(c),
        }
    }

    pub(crate) fn end_user(u: &EndUser, style: &Style) -> Self {
        Self {
            id: u.id,
            customer_id: Some(u.customer_id),
            refs: Vec::new(),
            members: (style.end_user)(u),
        }
    }

    fn plain(id: i64, members: Map<String, Value>) -> Self {
        Self {
            id,
            customer_id: None,
            refs: Vec::new(),
            members,
        }
    }

    fn referring(mut self, refs: impl IntoIterator<Item = (EntityKind, i64)>) -> Self {
        self.refs.extend(refs);
        self
    }

    /// The ids of `kind` this record refers to.
    fn refs_to(&self, kind: EntityKind) -> impl Iterator<Item = i64> + '_ {
        self.refs.iter().filter(move |(k, _)| *k == kind).map(|(_, id)| *id)
    }
}

/// The records of kind `target` related to `node` (of kind `kind`) by the billing relation `name`, in
/// `style`, with what they refer to in turn.
async fn billing_related(
    app: &App,
    p: &Principal,
    style: &BillingStyle,
    (kind, node): (EntityKind, &Node),
    (target, name): (EntityKind, &str),
) -> Result<Vec<Node>, ApiError> {
    let page = |customer_id: Option<i64>| api_types::InvoiceQuery {
        limit: Some(500),
        cursor: None,
        customer_id,
    };
    let subscription =
        |s: &Subscription| Node::plain(s.id, (style.subscription)(s)).referring([(EntityKind::Plan, s.plan_id)]);
    let plan = |p: &Plan| Node::plain(p.id, (style.plan)(p)).referring([(EntityKind::Package, p.package_id)]);
    let package = |p: &Package| {
        Node::plain(p.id, (style.package)(p)).referring(p.features.iter().map(|f| (EntityKind::Feature, f.feature_id)))
    };
    let list = api_types::ListQuery {
        limit: Some(500),
        ..api_types::ListQuery::default()
    };
    Ok(match (kind, target) {
        (EntityKind::Customer, EntityKind::Subscription) => {
            let all = app.list_subscriptions(p, node.id, &list).await?.data;
            if name == "subscription" {
                // The customer's subscription: the newest live one.
                all.iter()
                    .rev()
                    .find(|s| s.status != SubscriptionStatus::Canceled)
                    .map(subscription)
                    .into_iter()
                    .collect()
            } else {
                all.iter().map(subscription).collect()
            }
        }
        (EntityKind::Customer, EntityKind::Invoice) => app
            .list_invoices(p, &page(Some(node.id)))
            .await?
            .data
            .iter()
            .map(|i| Node::plain(i.id, (style.invoice)(i)))
            .collect(),
        (EntityKind::Subscription, EntityKind::Plan) => {
            let mut out = Vec::new();
            for id in node.refs_to(EntityKind::Plan) {
                out.push(plan(&app.get_plan(p, id).await?));
            }
            out
        }
        (EntityKind::Subscription, EntityKind::Package) => {
            let mut out = Vec::new();
            for id in node.refs_to(EntityKind::Plan) {
                let of = app.get_plan(p, id).await?;
                out.push(package(&app.get_package(p, of.package_id).await?));
            }
            out
        }
        (EntityKind::Plan, EntityKind::Package) => {
            let mut out = Vec::new();
            for id in node.refs_to(EntityKind::Package) {
                out.push(package(&app.get_package(p, id).await?));
            }
            out
        }
        (EntityKind::Package, EntityKind::Feature) => {
            let mut out = Vec::new();
            for id in node.refs_to(EntityKind::Feature) {
                let f = app.get_feature(p, id).await?;
                if f.deleted_at.is_none() {
                    out.push(Node::plain(f.id, (style.feature)(&f)));
                }
            }
            out
        }
        (EntityKind::Invoice, EntityKind::Payment) => app
            .list_payments(p, node.id)
            .await?
            .iter()
            .map(|x| Node::plain(x.id, (style.payment)(x)))
            .collect(),
        (EntityKind::Invoice, EntityKind::Refund) => app
            .list_refunds(p, node.id)
            .await?
            .iter()
            .map(|x| Node::plain(x.id, (style.refund)(x)))
            .collect(),
        // Relations back up the catalogue (a feature's packages, a plan's subscription, …): none embedded.
        _ => Vec::new(),
    })
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
                        .map(|members| Node::plain(0, members))
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
                    groups
                        .entry(owner)
                        .or_default()
                        .push(Node::plain(e.id, (style.activity)(&e)));
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
                        events.iter().map(|e| Node::plain(e.id, (style.event)(e))).collect(),
                    );
                }
                place(nodes, include, style, |n| groups.remove(&n.id).unwrap_or_default());
            }
            (_, target) => {
                for node in nodes.iter() {
                    let mut children =
                        billing_related(app, p, &style.billing, (kind, node), (target, include.name.as_str())).await?;
                    Box::pin(embed(app, p, style, target, &mut children, &include.children)).await?;
                    groups.insert(node.id, children);
                }
                place(nodes, include, style, |n| groups.remove(&n.id).unwrap_or_default());
            }
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
