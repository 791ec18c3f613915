//! The `include=` syntax (`a.b,c`): any text is read or refused with a position inside it; what is read
//! keeps the depth and size bounds, written back reads the same, and resolves from every entity kind without
//! panicking, either to the tree's own shape or to an error naming one of its paths.
#![no_main]
use ferrodesk_domain::include::{MAX_INCLUDE_DEPTH, MAX_INCLUDE_PATHS};
use ferrodesk_domain::{EntityKind, IncludeResolveError, ResolvedInclude, parse_includes, relation, resolve_includes};
use libfuzzer_sys::fuzz_target;

/// The names of a resolved tree, as paths, for comparison with the parsed one.
fn paths(resolved: &[ResolvedInclude]) -> Vec<String> {
    let mut paths = Vec::new();
    for r in resolved {
        if r.children.is_empty() {
            paths.push(r.name.clone());
        } else {
            paths.extend(paths_of(r));
        }
    }
    paths
}

fn paths_of(r: &ResolvedInclude) -> Vec<String> {
    paths(&r.children)
        .into_iter()
        .map(|rest| format!("{}.{rest}", r.name))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    match parse_includes(s) {
        Ok(tree) => {
            assert!(tree.depth() <= MAX_INCLUDE_DEPTH);
            assert!(tree.paths().len() <= MAX_INCLUDE_PATHS);
            assert_eq!(parse_includes(&tree.to_string()), Ok(tree.clone()));
            for &root in EntityKind::ALL {
                match resolve_includes(root, &tree, relation) {
                    Ok(resolved) => assert_eq!(paths(&resolved), tree.paths()),
                    Err(
                        IncludeResolveError::UnknownRelation { path, .. } | IncludeResolveError::Cycle { path, .. },
                    ) => {
                        assert!(
                            tree.paths()
                                .iter()
                                .any(|p| p == &path || p.starts_with(&format!("{path}."))),
                            "{path}"
                        )
                    }
                }
            }
        }
        Err(e) => assert!(e.position >= 1 && e.position <= s.chars().count() + 1, "{e}"),
    }
});
