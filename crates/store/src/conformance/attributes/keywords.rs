//! Checks of keyword terms in the customer and end-user lists: many matches read page by page in both
//! orders, and words cut at punctuation alike on both backends.
use super::*;

/// Keyword lists with more matches than a backend reads at once, spread over several thousand ids with a
/// long run of ids without any: every page, in both id orders, by cursor and by offset, with a filter and
/// with deleted records, holds exactly the matches the model says, in order. (PostgreSQL finds them in
/// windows of ids that grow from the end the list reads first; a window must neither skip nor repeat one.)
pub(in crate::conformance) async fn person_keyword_many_matches(s: Arc<dyn Store>) {
    const PEOPLE: usize = 6_000;
    let owner = owner(&s).await;
    let common = |n: usize| n.is_multiple_of(2) && !(800..3_300).contains(&n);
    for entity in ENTITIES {
        let defs = define(&s, vec![new_attribute(entity, "tier", AttributeType::Text)]).await;
        let mut w = writer(&s).await;
        let mut model: Vec<Member> = Vec::with_capacity(PEOPLE);
        for n in 0..PEOPLE {
            let mut name = format!("Member {n}");
            if common(n) {
                name.push_str(" Common");
            }
            if n.is_multiple_of(50) {
                name.push_str(" sparse");
            }
            let tier = ["gold", "silver", "bronze"][n % 3];
            let deleted = (n % 9 == 4).then(now);
            let pairs = [("tier", json!(tier))];
            let id = match entity {
                AttributeEntity::Customer => {
                    let c = Customer {
                        deleted_at: deleted,
                        ..new_customer(&name, None)
                    };
                    add_customer(&mut w, &defs, c, &pairs).await.expect("customer").id
                }
                AttributeEntity::EndUser => {
                    let u = EndUser {
                        deleted_at: deleted,
                        ..new_end_user(owner.id, &name, None)
                    };
                    add_end_user(&mut w, &defs, u, &pairs).await.expect("end user").id
                }
            };
            model.push(Member {
                id,
                common: common(n),
                sparse: n.is_multiple_of(50),
                tier,
                deleted: deleted.is_some(),
            });
        }
        w.commit().await.expect("commit people");
        let expected = |keep: &dyn Fn(&Member) -> bool, descending: bool| -> Vec<i64> {
            let mut ids: Vec<i64> = model.iter().filter(|m| keep(m)).map(|m| m.id).collect();
            if descending {
                ids.reverse();
            }
            ids
        };
        let search =
            |terms: &[&str], conditions: Vec<PersonCondition>, deleted: DeletedFilter, descending: bool| PersonQuery {
                terms: terms.iter().map(|t| (*t).to_owned()).collect(),
                deleted,
                order: PersonOrder {
                    field: PersonField::Column(PersonColumn::Id),
                    descending,
                },
                ..query(entity, conditions)
            };
        let gold = condition(attribute_field(&defs[0]), FilterOp::Eq, text("gold"));
        let live_common = |m: &Member| m.common && !m.deleted;
        let mut r = reader(&s).await;
        let name = entity.as_str();
        assert!(
            expected(&live_common, true).len() > 1_000,
            "more matches than are read at once"
        );

        for (descending, limit) in [(true, 50), (false, 120)] {
            let q = search(&["common"], vec![], DeletedFilter::Exclude, descending);
            assert_eq!(
                keyset_pages(&mut r, &q, limit).await,
                expected(&live_common, descending),
                "{name} keyword=common by cursor, descending {descending}"
            );
        }
        let q = search(&["common"], vec![], DeletedFilter::Exclude, true);
        assert_eq!(
            offset_pages(&mut r, &q, 70).await,
            expected(&live_common, true),
            "{name} keyword=common by offset"
        );
        let q = search(&["comm"], vec![], DeletedFilter::Exclude, true);
        assert_eq!(
            listed(
                &mut r,
                &PersonQuery {
                    page: PersonPage::Offset { offset: 0, limit: 50 },
                    ..q
                }
            )
            .await,
            expected(&live_common, true)[..50],
            "{name} keyword=comm matches as a prefix"
        );
        let q = search(&["member", "common"], vec![gold.clone()], DeletedFilter::Exclude, false);
        assert_eq!(
            keyset_pages(&mut r, &q, 30).await,
            expected(&|m| live_common(m) && m.tier == "gold", false),
            "{name} keyword=member common, filter tier{{eq}}gold, oldest first"
        );
        let q = search(&["common"], vec![], DeletedFilter::Only, true);
        assert_eq!(
            keyset_pages(&mut r, &q, 40).await,
            expected(&|m| m.common && m.deleted, true),
            "{name} keyword=common among deleted ones"
        );
        let q = search(&["sparse"], vec![gold.clone()], DeletedFilter::Include, true);
        assert_eq!(
            keyset_pages(&mut r, &q, 7).await,
            expected(&|m| m.sparse && m.tier == "gold", true),
            "{name} a rarer word, deleted ones included"
        );
    }
}

/// One record of [`person_keyword_many_matches`], as the model knows it.
struct Member {
    id: i64,
    common: bool,
    sparse: bool,
    tier: &'static str,
    deleted: bool,
}

/// Every id of a list in id order, read in pages of `limit` by cursor.
async fn keyset_pages(r: &mut Box<dyn Reader>, q: &PersonQuery, limit: u32) -> Vec<i64> {
    let mut all: Vec<i64> = Vec::new();
    let mut after: Option<Cursor> = None;
    for _ in 0..1_000 {
        let page = PersonQuery {
            page: PersonPage::Keyset(PageRequest {
                limit,
                after: after.clone(),
            }),
            ..q.clone()
        };
        let rows = listed(r, &page).await;
        assert!(rows.len() <= limit as usize, "a page is longer than its limit {limit}");
        match rows.last() {
            None => break,
            Some(&last) => after = Some(Cursor { key: 0, id: last }),
        }
        all.extend(rows);
    }
    all
}

/// Every id of a list, read in pages of `limit` by offset.
async fn offset_pages(r: &mut Box<dyn Reader>, q: &PersonQuery, limit: u32) -> Vec<i64> {
    let mut all: Vec<i64> = Vec::new();
    for _ in 0..1_000 {
        let page = PersonQuery {
            page: PersonPage::Offset {
                offset: all.len() as u64,
                limit,
            },
            ..q.clone()
        };
        let rows = listed(r, &page).await;
        assert!(rows.len() <= limit as usize, "a page is longer than its limit {limit}");
        if rows.is_empty() {
            break;
        }
        all.extend(rows);
    }
    all
}

/// Keyword terms find words inside an email address, a phone number and a name with punctuation, on both
/// backends alike (FTS5 cuts words at punctuation; PostgreSQL's parser would keep an email as one lexeme),
/// in the lists and in the search.
pub(in crate::conformance) async fn person_keyword_punctuation(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let ada = w
        .insert_customer(
            &Customer {
                email: Some("ada.lovelace@example.com".into()),
                phone: Some("+49 30 1234-567".into()),
                ..new_customer("O'Brien & Söhne GmbH", None)
            },
            &[],
        )
        .await
        .expect("customer");
    let other = w
        .insert_customer(&new_customer("Example Street Bakery", None), &[])
        .await
        .expect("customer");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let both = BTreeSet::from([ada.id, other.id]);
    let only_ada = BTreeSet::from([ada.id]);
    for (terms, expected) in [
        (&["lovelace"][..], &only_ada),
        (&["lovel"], &only_ada),
        (&["example"], &both),
        (&["ada.lovelace@example.com"], &only_ada),
        (&["lovelace@example"], &only_ada),
        (&["1234"], &only_ada),
        (&["brien"], &only_ada),
        (&["o'brien", "sohne"], &only_ada),
        (&["söhne", "gmb"], &only_ada),
    ] {
        assert_eq!(
            &keyword(&mut r, AttributeEntity::Customer, terms).await,
            expected,
            "keyword {terms:?}"
        );
        let hits = r
            .search(&SearchRequest {
                terms: terms.iter().map(|t| (*t).to_owned()).collect(),
                kinds: vec![SearchKind::Customer],
                customer_scope: None,
                limit: 10,
            })
            .await
            .expect("search");
        assert_eq!(
            &hits.iter().map(|h| h.id).collect::<BTreeSet<_>>(),
            expected,
            "search {terms:?}"
        );
    }
}
