//! The `include=` syntax of reads (comma-separated relation paths, dots for nesting), shared by the native
//! API and the TeamTools-compatible one (SPEC §3.4, compat/teamtools.md §8 and §13): a parser from text to
//! a tree, a resolver that checks the tree against a relation schema, and the schema ferrodesk serves.
//! All pure; loading and embedding the related records is the caller's.
use std::collections::BTreeMap;
use std::fmt;

/// Longest `include` accepted, in bytes: a list of a few relation names, never a document.
pub const MAX_INCLUDE_BYTES: usize = 1024;

/// Most paths in one `include`, counted as written (before duplicates merge).
pub const MAX_INCLUDE_PATHS: usize = 16;

/// Most relations in one path (`a.b.c.d`): each level is one more query per page of results.
pub const MAX_INCLUDE_DEPTH: usize = 4;

/// Longest relation name; the longest real one is a dozen characters.
const MAX_NAME_CHARS: usize = 64;

/// The relations asked for, as a tree: `customer,customer.invoices,events` is
/// `{customer: {invoices: {}}, events: {}}`. Children are kept by name (a `BTreeMap`), so the order in which
/// paths were written does not matter and a path written twice is one branch. Only [`parse_includes`] makes
/// one, so a tree always holds well-formed names within the depth bound.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncludeTree {
    children: BTreeMap<String, IncludeTree>,
}

impl IncludeTree {
    /// The relations asked for at this level, by the name the client wrote, with what to include in each.
    pub fn children(&self) -> &BTreeMap<String, IncludeTree> {
        &self.children
    }

    /// Nothing to include.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Relations on the longest path (0 for an empty tree).
    pub fn depth(&self) -> usize {
        self.children.values().map(|c| 1 + c.depth()).max().unwrap_or(0)
    }

    /// The fewest paths that make this tree, in name order: `customer.invoices,events` for the example
    /// above (a path's prefixes are implied).
    pub fn paths(&self) -> Vec<String> {
        let mut paths = Vec::new();
        for (name, child) in &self.children {
            if child.is_empty() {
                paths.push(name.clone());
            } else {
                paths.extend(child.paths().into_iter().map(|rest| format!("{name}.{rest}")));
            }
        }
        paths
    }

    fn insert(&mut self, path: &[String]) {
        if let Some((first, rest)) = path.split_first() {
            self.children.entry(first.clone()).or_default().insert(rest);
        }
    }
}

/// Written back as an `include` value ([`IncludeTree::paths`] joined by `,`); it parses to the same tree.
impl fmt::Display for IncludeTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.paths().join(","))
    }
}

/// Why an `include` cannot be read, and where: `position` counts characters from 1 (one past the end for
/// something missing at the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludeError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for IncludeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "include: {} at character {}", self.message, self.position)
    }
}

impl std::error::Error for IncludeError {}

fn error(position: usize, message: impl Into<String>) -> IncludeError {
    IncludeError {
        position,
        message: message.into(),
    }
}

/// Reads an `include`: relation paths joined by `,`, the relations of a path joined by `.`
/// (`endusers,subscriptions.plan`). A name is ASCII letters, digits and `_`, starting with a letter, and
/// matches exactly (case counts). Whitespace around names is ignored; an empty name (`a,,b`, `a,`, `a..b`)
/// is an error. Empty (or blank) text includes nothing. Whether the names are relations is
/// [`resolve_includes`]'s to say.
pub fn parse_includes(include: &str) -> Result<IncludeTree, IncludeError> {
    if include.len() > MAX_INCLUDE_BYTES {
        return Err(error(1, format!("longer than {MAX_INCLUDE_BYTES} bytes")));
    }
    let chars: Vec<char> = include.chars().collect();
    let mut tree = IncludeTree::default();
    if chars.iter().all(|c| c.is_whitespace()) {
        return Ok(tree);
    }
    let mut at = 0;
    for count in 1.. {
        if count > MAX_INCLUDE_PATHS {
            return Err(error(at + 1, format!("more than {MAX_INCLUDE_PATHS} paths")));
        }
        let (path, next) = path(&chars, at)?;
        tree.insert(&path);
        match next {
            Some(next) => at = next,
            None => break,
        }
    }
    Ok(tree)
}

/// One path starting at `start`; returns its names and where the next path starts (after its `,`), if any.
fn path(chars: &[char], start: usize) -> Result<(Vec<String>, Option<usize>), IncludeError> {
    let skip_blanks = |mut at: usize| {
        while chars.get(at).is_some_and(|c| c.is_whitespace()) {
            at += 1;
        }
        at
    };
    let mut names = Vec::new();
    let mut at = start;
    loop {
        at = skip_blanks(at);
        let name_start = at;
        while let Some(&c) = chars.get(at) {
            if c == ',' || c == '.' || c.is_whitespace() {
                break;
            }
            let first = at == name_start;
            if !(c.is_ascii_alphabetic() || (!first && (c.is_ascii_digit() || c == '_'))) {
                return Err(error(
                    at + 1,
                    format!("{c:?} in a relation name (letters, digits and _, starting with a letter)"),
                ));
            }
            at += 1;
        }
        if at == name_start {
            return Err(error(name_start + 1, "a relation name is missing"));
        }
        if at - name_start > MAX_NAME_CHARS {
            return Err(error(
                name_start + 1,
                format!("a relation name longer than {MAX_NAME_CHARS} characters"),
            ));
        }
        if names.len() == MAX_INCLUDE_DEPTH {
            return Err(error(
                name_start + 1,
                format!("a path deeper than {MAX_INCLUDE_DEPTH} relations"),
            ));
        }
        names.push(chars[name_start..at].iter().collect());
        at = skip_blanks(at);
        match chars.get(at) {
            None => return Ok((names, None)),
            Some(',') => return Ok((names, Some(at + 1))),
            Some('.') => at += 1,
            Some(c) => {
                return Err(error(
                    at + 1,
                    format!("{c:?} after a relation name (`.` nests a relation, `,` starts another path)"),
                ));
            }
        }
    }
}

/// What an include can reach: the entities of the customer database, the billing ones (resolved now,
/// served when billing comes) and tickets. Not [`crate::EntityType`]: that one is the event log's stored
/// vocabulary of what changes (tokens, hooks, calls, …) and has no plan, package, feature, group or
/// activity event.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::IntoStaticStr,
    strum::Display,
    strum::EnumString,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum EntityKind {
    Customer,
    EndUser,
    /// An end user's activity event (TeamTools `events`), not a change record of the event log.
    Event,
    Subscription,
    Plan,
    Package,
    Feature,
    Group,
    Invoice,
    Payment,
    Refund,
    Ticket,
    Reply,
}

impl EntityKind {
    pub const ALL: &'static [EntityKind] = <Self as strum::VariantArray>::VARIANTS;

    /// The snake_case name used in messages (`end_user`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// How many records a relation embeds: one (`{"data": {…}}`, or `null` data when there is none) or a list
/// (`{"data": […]}`), compat/teamtools.md §8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cardinality {
    One,
    Many,
}

/// Where a relation leads and how many records it embeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relation {
    pub target: EntityKind,
    pub cardinality: Cardinality,
}

/// The relations ferrodesk serves, the same in the native API and the TeamTools one: the TeamTools SDK's
/// relation maps (`$relationMap` of each entity class), plus the names of SPEC §3.4 (`endusers`,
/// `end_users`, `subscriptions`), the way back from a subscription or invoice to its customer, and a
/// ticket's `replies`. Singular names are to-one, plural ones to-many.
const RELATIONS: &[(EntityKind, &str, EntityKind, Cardinality)] = {
    use Cardinality::{Many, One};
    use EntityKind::*;
    &[
        (Customer, "endusers", EndUser, Many),
        (Customer, "end_users", EndUser, Many),
        (Customer, "users", EndUser, Many),
        (Customer, "events", Event, Many),
        (Customer, "subscription", Subscription, One),
        (Customer, "subscriptions", Subscription, Many),
        (Customer, "invoices", Invoice, Many),
        (EndUser, "customer", Customer, One),
        (EndUser, "events", Event, Many),
        (Subscription, "plan", Plan, One),
        (Subscription, "package", Package, One),
        (Subscription, "customer", Customer, One),
        (Plan, "package", Package, One),
        (Plan, "subscription", Subscription, One),
        (Package, "features", Feature, Many),
        (Package, "plan", Plan, One),
        (Package, "group", Group, One),
        (Feature, "packages", Package, Many),
        (Feature, "dependencies", Feature, Many),
        (Feature, "dependants", Feature, Many),
        (Group, "packages", Package, Many),
        (Invoice, "payments", Payment, Many),
        (Invoice, "refunds", Refund, Many),
        (Invoice, "subscription", Subscription, One),
        (Invoice, "customer", Customer, One),
        (Ticket, "replies", Reply, Many),
    ]
};

/// The relation `name` of entity `of`, if it has one: the schema [`resolve_includes`] checks against.
pub fn relation(of: EntityKind, name: &str) -> Option<Relation> {
    RELATIONS
        .iter()
        .find(|(kind, relation, _, _)| *kind == of && *relation == name)
        .map(|&(_, _, target, cardinality)| Relation { target, cardinality })
}

/// The relation names of entity `of`, in table order (for messages and documentation).
pub fn relation_names(of: EntityKind) -> Vec<&'static str> {
    RELATIONS
        .iter()
        .filter(|(kind, ..)| *kind == of)
        .map(|&(_, name, _, _)| name)
        .collect()
}

/// One relation to embed, checked: the member it fills is `name`, as the client wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedInclude {
    pub name: String,
    pub target: EntityKind,
    pub cardinality: Cardinality,
    /// What to embed inside each embedded record, in name order.
    pub children: Vec<ResolvedInclude>,
}

/// Why an include tree does not fit the entity it is applied to. `path` is the offending path as written
/// (`users.foo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncludeResolveError {
    /// `name` is not a relation of `of`.
    UnknownRelation { of: EntityKind, name: String, path: String },
    /// The path leads back to `kind`, an entity already on it (`users.customer` from a customer).
    Cycle { kind: EntityKind, path: String },
}

impl fmt::Display for IncludeResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownRelation { of, name, path } => {
                write!(f, "include: unknown relation {name:?} of {of} at {path:?}")
            }
            Self::Cycle { kind, path } => write!(
                f,
                "include: {path:?} is a cycle: it comes back to {kind}, which is already on the path"
            ),
        }
    }
}

impl std::error::Error for IncludeResolveError {}

/// Checks that every name of `tree` is a relation (per `schema`, usually [`relation`]) of the entity it is
/// applied to, starting from `root`, and returns what to embed. A path that comes back to an entity kind
/// already on it is refused as a cycle (it would embed what the response already holds, and grow without
/// bound); a relation of a kind to itself (a feature's `dependencies`) leads to other records, so it is no
/// cycle, though it may not lead back to a kind further up. Errors come in name order: the first offending
/// path of the tree's [`IncludeTree::paths`].
pub fn resolve_includes(
    root: EntityKind,
    tree: &IncludeTree,
    schema: impl Fn(EntityKind, &str) -> Option<Relation>,
) -> Result<Vec<ResolvedInclude>, IncludeResolveError> {
    resolve_level(root, tree, &schema, &mut Vec::new(), &mut vec![root])
}

fn resolve_level(
    of: EntityKind,
    tree: &IncludeTree,
    schema: &dyn Fn(EntityKind, &str) -> Option<Relation>,
    names: &mut Vec<String>,
    kinds: &mut Vec<EntityKind>,
) -> Result<Vec<ResolvedInclude>, IncludeResolveError> {
    let mut resolved = Vec::with_capacity(tree.children.len());
    for (name, child) in &tree.children {
        names.push(name.clone());
        let Some(Relation { target, cardinality }) = schema(of, name) else {
            return Err(IncludeResolveError::UnknownRelation {
                of,
                name: name.clone(),
                path: names.join("."),
            });
        };
        if target != of && kinds.contains(&target) {
            return Err(IncludeResolveError::Cycle {
                kind: target,
                path: names.join("."),
            });
        }
        kinds.push(target);
        let children = resolve_level(target, child, schema, names, kinds)?;
        kinds.pop();
        names.pop();
        resolved.push(ResolvedInclude {
            name: name.clone(),
            target,
            cardinality,
            children,
        });
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Cardinality::{Many, One};
    use EntityKind::*;
    use proptest::prelude::*;

    fn tree(paths: &[&str]) -> IncludeTree {
        let mut tree = IncludeTree::default();
        for path in paths {
            tree.insert(&path.split('.').map(str::to_owned).collect::<Vec<_>>());
        }
        tree
    }

    #[test]
    fn paths_are_read_into_a_tree() {
        assert_eq!(parse_includes(""), Ok(IncludeTree::default()));
        assert_eq!(parse_includes("  "), Ok(IncludeTree::default()));
        assert_eq!(
            parse_includes("endusers,subscriptions.plan"),
            Ok(tree(&["endusers", "subscriptions.plan"]))
        );
        let deep = parse_includes("subscription.package.features").expect("three levels");
        assert_eq!(deep.depth(), 3);
        assert_eq!(deep.paths(), ["subscription.package.features"]);
        assert_eq!(
            parse_includes(" events , customer . invoices ").map(|t| t.to_string()),
            Ok("customer.invoices,events".to_owned()),
            "blanks around names are ignored"
        );
    }

    #[test]
    fn duplicates_merge() {
        let merged = parse_includes("customer,customer.invoices,events,customer").expect("merges");
        assert_eq!(merged, tree(&["customer.invoices", "events"]));
        assert_eq!(merged.children().len(), 2);
        assert_eq!(merged.children()["customer"].children().len(), 1);
        assert_eq!(
            parse_includes("b.c,a,b.d"),
            parse_includes("a,b.d,b.c"),
            "order does not matter"
        );
    }

    #[test]
    fn garbage_names_its_position() {
        for (include, position) in [
            ("a,,b", 3),
            ("a,", 3),
            (",a", 1),
            ("a, ,b", 4),
            ("a..b", 3),
            (".a", 1),
            ("a.", 3),
            ("cus tomer", 5),
            ("1users", 1),
            ("users.f-o", 8),
            ("users{eq}", 6),
            ("a\u{0}", 2),
            ("é", 1),
            ("a.b.c.d.e", 9),
        ] {
            let e = parse_includes(include).expect_err(include);
            assert_eq!(e.position, position, "{include:?}: {e}");
        }
        let e = parse_includes(&format!("a.{}", "n".repeat(65))).expect_err("long name");
        assert_eq!(e.position, 3, "{e}");
        assert!(parse_includes(&format!("a.{}", "n".repeat(64))).is_ok());
    }

    #[test]
    fn bounds_hold() {
        let sixteen = (0..16).map(|i| format!("r{i}")).collect::<Vec<_>>().join(",");
        assert_eq!(parse_includes(&sixteen).map(|t| t.children().len()), Ok(16));
        let e = parse_includes(&format!("{sixteen},r16")).expect_err("seventeen paths");
        assert_eq!(e.position, sixteen.len() + 2, "{e}");
        // Duplicates count as written: a list cannot be padded past the bound.
        assert!(parse_includes(&vec!["a"; 17].join(",")).is_err());
        assert_eq!(parse_includes("a.b.c.d").map(|t| t.depth()), Ok(4));
        let long = "a,".repeat(600);
        assert_eq!(
            parse_includes(&long).map_err(|e| e.position),
            Err(1),
            "a 1.2 KB include"
        );
        assert!(parse_includes(&"x".repeat(MAX_INCLUDE_BYTES + 1)).is_err());
    }

    fn resolve(root: EntityKind, include: &str) -> Result<Vec<ResolvedInclude>, IncludeResolveError> {
        resolve_includes(root, &parse_includes(include).expect(include), relation)
    }

    #[test]
    fn relations_resolve_with_the_names_written() {
        let resolved = resolve(Customer, "users,subscription.package.features,invoices").expect("resolves");
        let names: Vec<_> = resolved
            .iter()
            .map(|r| (r.name.as_str(), r.target, r.cardinality))
            .collect();
        assert_eq!(
            names,
            [
                ("invoices", Invoice, Many),
                ("subscription", Subscription, One),
                ("users", EndUser, Many)
            ]
        );
        let package = &resolved[1].children[0];
        assert_eq!((package.name.as_str(), package.target), ("package", Package));
        assert_eq!(package.children[0].target, Feature);
        assert!(package.children[0].children.is_empty());

        let aliases = resolve(Customer, "endusers,end_users,users").expect("three names, one relation");
        assert_eq!(aliases.len(), 3, "each name is its own member");
        assert!(aliases.iter().all(|r| r.target == EndUser));

        let end_user = resolve(EndUser, "events,customer.invoices").expect("end user");
        assert_eq!(end_user[0].target, Customer);
        assert_eq!(end_user[0].children[0].target, Invoice);
        assert_eq!(resolve(Customer, ""), Ok(vec![]));
        assert_eq!(resolve(Ticket, "replies").map(|r| r[0].target), Ok(Reply));
    }

    #[test]
    fn unknown_relations_are_named_with_their_path() {
        let e = resolve(Customer, "users.foo").expect_err("foo");
        assert_eq!(
            e,
            IncludeResolveError::UnknownRelation {
                of: EndUser,
                name: "foo".into(),
                path: "users.foo".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "include: unknown relation \"foo\" of end_user at \"users.foo\""
        );
        assert!(matches!(
            resolve(Customer, "Users"),
            Err(IncludeResolveError::UnknownRelation { .. })
        ));
        assert!(matches!(
            resolve(Customer, "coupon"),
            Err(IncludeResolveError::UnknownRelation { .. })
        ));
    }

    #[test]
    fn cycles_are_refused() {
        for (root, include, kind) in [
            (Customer, "users.customer", Customer),
            (EndUser, "customer.users", EndUser),
            (Customer, "subscription.customer", Customer),
            (Plan, "package.plan", Plan),
            (Package, "features.packages", Package),
            (Customer, "invoices.subscription.customer", Customer),
        ] {
            let e = resolve(root, include).expect_err(include);
            assert_eq!(
                e,
                IncludeResolveError::Cycle {
                    kind,
                    path: include.into()
                }
            );
            assert!(e.to_string().contains("cycle"), "{e}");
        }
        // A feature's dependencies are other features: no cycle, unless the path climbs back up.
        let dependencies = resolve(Feature, "dependencies.dependants").expect("self relations");
        assert_eq!(dependencies[0].children[0].target, Feature);
        assert!(resolve(Package, "features.dependencies.packages").is_err());
        assert!(resolve(Package, "group.packages").is_err());
    }

    #[test]
    fn every_relation_is_in_the_table_once() {
        for &(kind, name, target, cardinality) in RELATIONS {
            assert_eq!(relation(kind, name), Some(Relation { target, cardinality }));
            let once = RELATIONS.iter().filter(|(k, n, ..)| *k == kind && *n == name).count();
            assert_eq!(once, 1, "{kind}.{name}");
            assert_eq!(
                cardinality == Many,
                name.ends_with('s'),
                "{kind}.{name}: plural names are to-many"
            );
            assert!(parse_includes(name).is_ok(), "{name} is a valid name");
        }
        assert_eq!(relation_names(EndUser), ["customer", "events"]);
        assert!(relation_names(Payment).is_empty());
    }

    /// Paths of 1 to 4 names, up to 16 of them.
    fn paths() -> impl Strategy<Value = Vec<Vec<String>>> {
        prop::collection::vec(
            prop::collection::vec("[a-e][a-z0-9_]{0,3}", 1..=MAX_INCLUDE_DEPTH),
            1..=MAX_INCLUDE_PATHS,
        )
    }

    /// `a` is `b` or a path that `b` goes through.
    fn is_prefix(a: &[String], b: &[String]) -> bool {
        b.starts_with(a)
    }

    proptest! {
        #[test]
        fn written_paths_read_into_their_tree_and_back(paths in paths(), blank in "[ \t]{0,2}") {
            let text = paths
                .iter()
                .map(|p| format!("{blank}{}{blank}", p.join(&format!("{blank}.{blank}"))))
                .collect::<Vec<_>>()
                .join(",");
            let tree = parse_includes(&text).expect("well-formed paths");
            // The tree holds every path written, and its leaves are exactly those not inside another.
            let mut expected: Vec<String> = paths
                .iter()
                .filter(|p| !paths.iter().any(|q| q.len() > p.len() && is_prefix(p, q)))
                .map(|p| p.join("."))
                .collect();
            expected.sort();
            expected.dedup();
            prop_assert_eq!(tree.paths(), expected);
            prop_assert!(tree.depth() <= MAX_INCLUDE_DEPTH);
            prop_assert!(tree.paths().len() <= MAX_INCLUDE_PATHS);
            prop_assert_eq!(parse_includes(&tree.to_string()), Ok(tree));
        }

        #[test]
        fn any_text_is_read_or_refused_with_a_position_inside_it(text in "\\PC{0,60}|[a-z.,]{0,80}") {
            match parse_includes(&text) {
                Ok(tree) => {
                    prop_assert!(tree.depth() <= MAX_INCLUDE_DEPTH);
                    prop_assert!(tree.paths().len() <= MAX_INCLUDE_PATHS);
                    prop_assert_eq!(parse_includes(&tree.to_string()), Ok(tree));
                }
                Err(e) => prop_assert!(e.position >= 1 && e.position <= text.chars().count() + 1, "{}", e),
            }
        }

        #[test]
        fn resolving_keeps_the_shape_or_names_a_path_of_the_tree(
            paths in prop::collection::vec(
                prop::collection::vec(prop::sample::select(vec![
                    "users", "customer", "events", "subscription", "package", "plan", "features",
                    "dependencies", "packages", "group", "invoices", "payments", "nope",
                ]), 1..=MAX_INCLUDE_DEPTH),
                1..=4,
            ),
            root in prop::sample::select(EntityKind::ALL),
        ) {
            let text = paths.iter().map(|p| p.join(".")).collect::<Vec<_>>().join(",");
            let tree = parse_includes(&text).expect("well-formed paths");
            match resolve_includes(root, &tree, relation) {
                Ok(resolved) => prop_assert_eq!(shape(&resolved), tree),
                Err(IncludeResolveError::UnknownRelation { path, .. } | IncludeResolveError::Cycle { path, .. }) => {
                    let written: Vec<&str> = path.split('.').collect();
                    prop_assert!(paths.iter().any(|p| p.starts_with(&written)), "{} is not a path written", path);
                }
            }
        }
    }

    fn shape(resolved: &[ResolvedInclude]) -> IncludeTree {
        IncludeTree {
            children: resolved.iter().map(|r| (r.name.clone(), shape(&r.children))).collect(),
        }
    }
}
