//! `ferrodesk-bench`: the load generator, kept out of the server binary. It runs the `ferrodesk` binary as a
//! child process (by default the one built beside it) and prints the figures (docs/benchmarks.md).
mod bench;

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "ferrodesk-bench",
    version,
    about = "Measure a ferrodesk server started on a scratch database and print the figures"
)]
struct Cli {
    /// The ferrodesk binary to measure; default: `ferrodesk` in the directory of this executable (so
    /// `cargo build --release -p ferrodesk` first).
    #[arg(long, value_name = "PATH")]
    server: Option<PathBuf>,
    /// Database URL: default a scratch SQLite file; postgres://… to measure PostgreSQL (use a durable server:
    /// fsync and synchronous_commit on).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    #[command(flatten)]
    args: bench::BenchArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let server = match cli.server {
        Some(path) => path,
        None => match std::env::current_exe() {
            Ok(exe) => exe.with_file_name(format!("ferrodesk{}", std::env::consts::EXE_SUFFIX)),
            Err(e) => {
                eprintln!("error: cannot find this executable's directory ({e}); pass --server PATH");
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    match bench::run(cli.args, server, cli.database_url).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
