//! The SQLite database on disk: private files and directories, and `ferrodesk backup` of a running server.
use crate::process::{department_and_requester, ferrodesk, free_port, running_as_root, signal, spawn_server};
use crate::*;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Every ticket id the server at `client` lists, page by page.
async fn all_ticket_ids(client: &ferrodesk_client::Client) -> BTreeSet<i64> {
    let mut ids = BTreeSet::new();
    let mut cursor = None;
    loop {
        let page = client
            .tickets(&TicketQuery {
                limit: Some(500),
                cursor: cursor.clone(),
                ..Default::default()
            })
            .await
            .expect("list");
        ids.extend(page.data.iter().map(|t| t.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
}

/// The database holds password and token hashes: a new one is created in a 0700 directory as 0600 files
/// (its `-wal` and `-shm` too), and an existing one that others may read is reported at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_files_are_private_and_exposure_is_reported() {
    let dir = temp_dir();
    let data = dir.path().join("data");
    let file = data.join("nested").join("ferrodesk.db");
    let db = format!("sqlite://{}", file.display());
    let env = [("FERRODESK_ADMIN_TOKEN", ADMIN_TOKEN)];
    let (child, url) = spawn_server(&db, &env).await;
    let admin = ferrodesk_client::Client::new(&url, ADMIN_TOKEN).expect("client");
    department_and_requester(&admin).await;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("nested")), 0o700);
    for suffix in ["", "-wal", "-shm"] {
        let path = std::path::PathBuf::from(format!("{}{suffix}", file.display()));
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    signal(&child, "-TERM");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("readable by other users"),
        "no warning for private files"
    );

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (child, _) = spawn_server(&db, &env).await;
    signal(&child, "-TERM");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("readable by other users") && stderr.contains("chmod 600"),
        "{stderr}"
    );
    assert_eq!(mode(&file), 0o644, "the operator's choice is reported, not changed");
}

/// `ferrodesk backup` while 8 clients keep creating tickets: the copy is private, one file, and a server
/// started on it finds every ticket acknowledged before the backup began, each whole (its opening message
/// and its event), and nothing the original does not have.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_of_a_running_database_opens_with_a_server() {
    let dir = temp_dir();
    let db = format!("sqlite://{}", dir.path().join("ferrodesk.db").display());
    let env = [("FERRODESK_ADMIN_TOKEN", ADMIN_TOKEN)];
    let (child, url) = spawn_server(&db, &env).await;
    let admin = ferrodesk_client::Client::new(&url, ADMIN_TOKEN).expect("client");
    let (dept, requester) = department_and_requester(&admin).await;

    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..8 {
        let (admin, acknowledged, stop) = (admin.clone(), acknowledged.clone(), stop.clone());
        writers.spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let body = NewTicket {
                    user_id: Some(requester.id),
                    ..new_ticket(dept.id, &format!("backup {w}-{i}"))
                };
                let t = admin.create_ticket(&body).await.expect("create during the backup");
                acknowledged.lock().expect("lock").push(t.id);
                i += 1;
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before: BTreeSet<i64> = acknowledged.lock().expect("lock").iter().copied().collect();
    let copy = dir.path().join("copy.db");
    let args = [
        "backup".to_owned(),
        copy.display().to_string(),
        "--database-url".to_owned(),
        db.clone(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ferrodesk(&args).output().expect("backup")
    })
    .await
    .expect("join");
    // Writes go on a little after the backup, so the copy is shown to hold a moment, not the end.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    while let Some(w) = writers.join_next().await {
        w.expect("writer");
    }
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("backed up"));
    assert_eq!(mode(&copy), 0o600);
    assert!(!dir.path().join("copy.db-wal").exists(), "the copy is one file");

    let again = ferrodesk(&["backup", &copy.display().to_string(), "--database-url", &db])
        .output()
        .expect("backup again");
    assert!(!again.status.success(), "an existing file is never overwritten");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let original = all_ticket_ids(&admin).await;
    signal(&child, "-TERM");
    assert!(child.wait_with_output().expect("wait").status.success());

    let copy_url = format!("sqlite://{}", copy.display());
    let (child, url) = spawn_server(&copy_url, &env).await;
    let restored = ferrodesk_client::Client::new(&url, ADMIN_TOKEN).expect("client");
    let copied = all_ticket_ids(&restored).await;
    assert!(before.len() > 10, "the load ran: {}", before.len());
    assert!(
        before.is_subset(&copied),
        "tickets acknowledged before the backup are in the copy"
    );
    assert!(copied.is_subset(&original), "the copy holds nothing the original lacks");
    assert!(
        copied.len() < original.len(),
        "writes after the backup are not in the copy"
    );
    // The newest ticket in the copy, the likeliest to be cut in half, has its event.
    let newest = copied.last().copied().expect("tickets in the copy");
    let events = restored
        .events(&EventQuery {
            entity: Some("ticket".into()),
            entity_id: Some(newest),
            ..Default::default()
        })
        .await
        .expect("events");
    assert_eq!(events.data.len(), 1, "the newest copied ticket's event is in the copy");
    for id in &copied {
        let t = restored.ticket_with_replies(*id).await.expect("ticket in the copy");
        assert_eq!(t.replies.expect("replies").len(), 1, "ticket {id} is whole");
    }
    signal(&child, "-TERM");
    assert!(child.wait_with_output().expect("wait").status.success());
}

/// On PostgreSQL `backup` refuses, pointing to pg_dump, and creates nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_on_postgres_points_to_pg_dump() {
    let url = if on_postgres() {
        fresh_database().await.0
    } else {
        format!("postgres://fd@127.0.0.1:{}/fd", crate::process::free_port())
    };
    let dir = temp_dir();
    let file = dir.path().join("copy.dump");
    let out = ferrodesk(&["backup", &file.display().to_string(), "--database-url", &url])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pg_dump"), "{err}");
    assert!(!file.exists());
}

/// Sets the mode of the database file and its WAL and index files (those that exist).
fn set_database_mode(db: &Path, mode: u32) {
    for suffix in ["", "-wal", "-shm"] {
        let file = Path::new(&format!("{}{suffix}", db.display())).to_path_buf();
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode))
                .unwrap_or_else(|e| panic!("chmod {}: {e}", file.display()));
        }
    }
}

/// `ferrodesk serve` on `db`, as an unprivileged user when the tests run as root (root writes to files
/// whatever their mode, so a read-only file would not be read-only to it).
fn spawn_unprivileged(db: &Path) -> (std::process::Child, String) {
    let listen = format!("127.0.0.1:{}", free_port());
    let url = format!("sqlite://{}", db.display());
    let mut cmd = if running_as_root() {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "nobody", "--", env!("CARGO_BIN_EXE_ferrodesk")]);
        c
    } else {
        ferrodesk(&[])
    };
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("FERRODESK_")) {
        cmd.env_remove(k);
    }
    cmd.args(["serve", "--listen", &listen, "--database-url", &url])
        .env("RUST_LOG", "warn")
        .env("FERRODESK_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    (cmd.spawn().expect("spawn ferrodesk"), format!("http://{listen}"))
}

/// Polls `check` every 50 ms until it holds or `within` passes; whether it held.
async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Database files that are read-only when the server starts: it serves reads, refuses writes with 503
/// `service_unavailable` and Retry-After, and `/readyz` fails; once the files are writable again it
/// writes and is ready within seconds, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_database_files_are_503_and_recover_without_a_restart() {
    let dir = temp_dir();
    let db = dir.path().join("ferrodesk.db");
    if running_as_root() {
        let status = std::process::Command::new("chown")
            .args(["nobody", &dir.path().display().to_string()])
            .status()
            .expect("chown");
        assert!(status.success(), "chown the test directory to nobody");
    }
    let http = reqwest::Client::new();
    let status_of = |url: String| {
        let http = http.clone();
        async move { http.get(url).send().await.map(|r| r.status().as_u16()).unwrap_or(0) }
    };

    // A database with some data, written by a first run.
    let (mut child, url) = spawn_unprivileged(&db);
    assert!(
        eventually(Duration::from_secs(20), || async {
            status_of(format!("{url}/readyz")).await == 200
        })
        .await,
        "the first start never became ready"
    );
    let admin = ferrodesk_client::Client::new(&url, ADMIN_TOKEN).expect("client");
    let first = admin
        .create_customer(&NewCustomer {
            name: "Before".into(),
            ..Default::default()
        })
        .await
        .expect("write on a writable database");
    signal(&child, "-TERM");
    child.wait().expect("first run stops");

    // Read-only at start.
    set_database_mode(&db, 0o400);
    let (mut child, url) = spawn_unprivileged(&db);
    assert!(
        eventually(Duration::from_secs(20), || async {
            status_of(format!("{url}/healthz")).await == 200
        })
        .await,
        "the server starts on a read-only database"
    );
    let admin = ferrodesk_client::Client::new(&url, ADMIN_TOKEN).expect("client");
    assert_eq!(
        status_of(format!("{url}/readyz")).await,
        503,
        "not ready while it cannot write"
    );
    assert_eq!(admin.customer(first.id).await.expect("reads still work").name, "Before");
    let refused = http
        .post(format!("{url}/api/v1/customers"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({ "name": "While read-only" }))
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status().as_u16(), 503);
    assert!(refused.headers().contains_key("retry-after"), "503 says when to retry");
    let problem: serde_json::Value = refused.json().await.expect("problem+json");
    assert_eq!(problem["code"], "service_unavailable", "{problem}");
    assert_code(
        admin
            .create_customer(&NewCustomer {
                name: "Still read-only".into(),
                ..Default::default()
            })
            .await,
        ErrorCode::ServiceUnavailable,
    );

    // Writable again: ready and writing within seconds, the same process.
    set_database_mode(&db, 0o600);
    assert!(
        eventually(Duration::from_secs(5), || async {
            status_of(format!("{url}/readyz")).await == 200
        })
        .await,
        "/readyz recovers"
    );
    let after = admin
        .create_customer(&NewCustomer {
            name: "After".into(),
            ..Default::default()
        })
        .await
        .expect("writes recover without a restart");
    assert_eq!(admin.customer(after.id).await.expect("read back").name, "After");
    assert!(child.try_wait().expect("try_wait").is_none(), "never restarted");
    signal(&child, "-TERM");
    child.wait().expect("stops");
}
