//! Several `serve` processes on one PostgreSQL database (SPEC §1, "how ferrodesk grows past one machine").
use crate::process::{department_and_requester, signal, spawn_unready, wait_ready};
use crate::*;
use std::collections::BTreeSet;

const TOKEN: &str = "a shared bootstrap token for every node";

/// Two nodes started at the same moment with the same bootstrap variables both come up (migrations under
/// the advisory lock, the admin account and token made once), then take concurrent creates: every ticket
/// is visible through both, and no id is handed out twice.
#[tokio::test]
async fn two_nodes_started_together_share_one_database() {
    if !on_postgres() {
        eprintln!("skipped: several nodes share a PostgreSQL database only");
        return;
    }
    let env = [
        ("FERRODESK_ADMIN_EMAIL", "nodes@example.com"),
        ("FERRODESK_ADMIN_PASSWORD", "a shared admin password"),
        ("FERRODESK_ADMIN_TOKEN", TOKEN),
    ];
    // A race shows only sometimes: a few rounds, each on an empty database.
    for round in 0..3 {
        let (db, _dir) = fresh_database().await;
        let (mut a, url_a) = spawn_unready(&db, &env);
        let (mut b, url_b) = spawn_unready(&db, &env);
        wait_ready(&mut a, &url_a).await;
        wait_ready(&mut b, &url_b).await;
        let node_a = ferrodesk_client::Client::new(&url_a, TOKEN).expect("client");
        let node_b = ferrodesk_client::Client::new(&url_b, TOKEN).expect("client");

        let staff = node_a.staff(&ListQuery::default()).await.expect("staff");
        let emails: Vec<&str> = staff.data.iter().map(|s| s.email.as_str()).collect();
        assert_eq!(emails, ["nodes@example.com"], "round {round}: one admin account");
        let tokens = node_b.tokens(&ListQuery::default()).await.expect("tokens");
        assert_eq!(tokens.data.len(), 1, "round {round}: one bootstrap token");

        let (dept, requester) = department_and_requester(&node_b).await;

        let mut tasks = tokio::task::JoinSet::new();
        for worker in 0..16 {
            let node = if worker % 2 == 0 {
                node_a.clone()
            } else {
                node_b.clone()
            };
            tasks.spawn(async move {
                let mut ids = Vec::new();
                for i in 0..10 {
                    let t = node
                        .create_ticket(&NewTicket {
                            user_id: Some(requester.id),
                            ..new_ticket(dept.id, &format!("node ticket {worker}-{i}"))
                        })
                        .await
                        .expect("create through either node");
                    ids.push(t.id);
                }
                ids
            });
        }
        let mut created = Vec::new();
        while let Some(ids) = tasks.join_next().await {
            created.extend(ids.expect("task"));
        }
        let distinct: BTreeSet<i64> = created.iter().copied().collect();
        assert_eq!(distinct.len(), created.len(), "round {round}: ids are distinct");
        for node in [&node_a, &node_b] {
            let seen: BTreeSet<i64> = node
                .tickets(&TicketQuery {
                    limit: Some(500),
                    ..Default::default()
                })
                .await
                .expect("list")
                .data
                .iter()
                .map(|t| t.id)
                .collect();
            assert_eq!(
                seen, distinct,
                "round {round}: every ticket is visible through every node"
            );
        }
        for child in [&a, &b] {
            signal(child, "-TERM");
        }
        assert!(a.wait().expect("wait").success());
        assert!(b.wait().expect("wait").success());
    }
}

/// Two nodes started together on an empty database without bootstrap variables: both come up, exactly one
/// creates the first admin and prints its password, and there is one account.
#[tokio::test]
async fn two_nodes_started_together_create_one_first_admin() {
    if !on_postgres() {
        eprintln!("skipped: several nodes share a PostgreSQL database only");
        return;
    }
    for round in 0..3 {
        let (db, _dir) = fresh_database().await;
        let (mut a, url_a) = spawn_unready(&db, &[]);
        let (mut b, url_b) = spawn_unready(&db, &[]);
        wait_ready(&mut a, &url_a).await;
        wait_ready(&mut b, &url_b).await;
        let mut printed = 0;
        for child in [a, b] {
            signal(&child, "-TERM");
            let out = child.wait_with_output().expect("wait");
            assert!(out.status.success(), "round {round}");
            printed += String::from_utf8_lossy(&out.stdout).matches("password:").count();
        }
        assert_eq!(
            printed, 1,
            "round {round}: one node prints the one password that was stored"
        );

        let out = crate::process::ferrodesk(&[
            "token",
            "create",
            "--database-url",
            &db,
            "--name",
            "check",
            "--role",
            "admin",
        ])
        .output()
        .expect("token create");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let (child, url) = crate::process::spawn_server(&db, &[]).await;
        let admin = ferrodesk_client::Client::new(&url, &token).expect("client");
        let staff = admin.staff(&ListQuery::default()).await.expect("staff");
        assert_eq!(staff.data.len(), 1, "round {round}: one first admin");
        signal(&child, "-TERM");
        let out = child.wait_with_output().expect("wait");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("password:"),
            "printed once only"
        );
    }
}
