//! The bench binary as a user starts it: its help, and a clear error when the server binary is missing.
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ferrodesk-bench");

#[test]
fn help_lists_the_options() {
    let out = Command::new(BIN).arg("--help").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for option in ["--server", "--database-url", "--tickets", "--seconds", "--concurrency"] {
        assert!(text.contains(option), "{option}: {text}");
    }
}

#[test]
fn a_missing_server_binary_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("ferrodesk-bench-cli-{}", std::process::id()));
    let missing = dir.join("ferrodesk");
    let out = Command::new(BIN)
        .args([
            "--server",
            &missing.display().to_string(),
            "--tickets",
            "10",
            "--seconds",
            "1",
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no ferrodesk server binary") && err.contains("cargo build --release -p ferrodesk"),
        "{err}"
    );
}
