//! The server under test: this binary as a child process.
use super::*;

pub(super) struct ServerProcess {
    pub(super) child: Child,
    pub(super) pid: u32,
    pub(super) base: String,
    pub(super) ready_after: Duration,
}

impl ServerProcess {
    /// Spawns `ferrodesk serve` on a free loopback port and waits until `/readyz` answers 200.
    pub(super) async fn start(
        exe: &std::path::Path,
        url: &str,
        token: &str,
        http: &reqwest::Client,
        env: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
            probe.local_addr()?.port()
        };
        let listen = format!("127.0.0.1:{port}");
        let started = Instant::now();
        let mut child = tokio::process::Command::new(exe)
            .args(["serve", "--listen", &listen, "--database-url", url])
            .env("FERRODESK_ADMIN_TOKEN", token)
            // The server's own log filter, for a look inside a run; warnings only by default.
            .env(
                "RUST_LOG",
                std::env::var("FERRODESK_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env_remove("FERRODESK_ADMIN_TOKEN_FILE")
            .env_remove("FERRODESK_ADMIN_EMAIL")
            .env_remove("FERRODESK_ADMIN_PASSWORD")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", exe.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let base = format!("http://{listen}");
        let readyz = format!("{base}/readyz");
        let deadline = started + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait()? {
                bail!("the server exited before it was ready ({status})");
            }
            let ok = match http.get(&readyz).timeout(Duration::from_secs(2)).send().await {
                Ok(r) => r.status().is_success(),
                Err(_) => false,
            };
            if ok {
                break;
            }
            if Instant::now() > deadline {
                bail!("the server was not ready within 120 s");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(Self {
            ready_after: started.elapsed(),
            child,
            pid,
            base,
        })
    }

    pub(super) fn rss_bytes(&self) -> anyhow::Result<u64> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .context("no VmRSS in /proc/<pid>/status")?;
        Ok(kib * 1024)
    }

    /// SIGTERM (the server's graceful shutdown), then SIGKILL if it is still there after 30 s.
    pub(super) async fn stop(mut self) -> anyhow::Result<()> {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => {
                status?;
                Ok(())
            }
            Err(_) => {
                self.child.kill().await?;
                bail!("the server did not stop within 30 s of SIGTERM; killed it")
            }
        }
    }
}
