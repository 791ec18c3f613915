//! The server, the chromedriver and the browser tab the journeys drive.
use anyhow::{Context, bail};
use api_types::{NewStaff, Role};
use ferrodesk::Server;
use ferrodesk::demo::Demo;
use ferrodesk::settings::Settings;
use ferrodesk_client::Client;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use thirtyfour::common::command::{Command as WebDriverCommand, ExtensionCommand};
use thirtyfour::error::WebDriverErrorInner;
use thirtyfour::prelude::*;

const ADMIN_TOKEN: &str = "fd_browser_admin_token_0123456789abcdef";
/// The password of every account a journey makes.
pub(crate) const PASSWORD: &str = "correct horse battery staple";
/// How long a page may take to show what a journey waits for.
const PATIENCE: Duration = Duration::from_secs(10);

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name no other journey uses.
pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// ferrodesk in this process, exactly as `serve` starts it, on its own SQLite file with the demo data.
pub(crate) struct Site {
    server: Server,
    pub(crate) url: String,
    pub(crate) admin: Client,
    pub(crate) demo: Demo,
    _dir: TempDir,
}

impl Site {
    pub(crate) async fn start() -> Site {
        let dir = tempfile::Builder::new()
            .prefix("ferrodesk-browser-")
            .tempdir()
            .expect("temporary directory");
        let database_url = format!("sqlite://{}/ferrodesk.db", dir.path().display());
        let settings = Settings {
            listen: "127.0.0.1:0".into(),
            database_url: database_url.as_str().into(),
            admin_token: Some(ADMIN_TOKEN.into()),
            ..Settings::default()
        };
        let server = Server::start(&settings).await.expect("server starts");
        let url = server.url();
        let demo = ferrodesk::demo::load(&app::App::new(server.store.clone()))
            .await
            .expect("the demo data loads");
        let admin = Client::new(&url, ADMIN_TOKEN).expect("client");
        Site {
            server,
            url,
            admin,
            demo,
            _dir: dir,
        }
    }

    /// The id of the demo's ticket with this title.
    pub(crate) async fn ticket_id(&self, title: &str) -> anyhow::Result<i64> {
        let page = self
            .admin
            .tickets(&api_types::TicketQuery {
                limit: Some(100),
                ..Default::default()
            })
            .await
            .map_err(|e| anyhow::anyhow!("listing tickets: {e:?}"))?;
        page.data
            .iter()
            .find(|t| t.title == title)
            .map(|t| t.id)
            .with_context(|| format!("no ticket {title:?}"))
    }

    /// A new staff member with [`PASSWORD`]; returns the address to log in with.
    pub(crate) async fn staff(&self, role: Role) -> anyhow::Result<String> {
        let email = format!("{}@browser.example", unique("staff"));
        self.admin
            .create_staff(&NewStaff {
                email: email.clone(),
                name: unique("Browser Staff "),
                role,
                password: PASSWORD.into(),
                department_ids: None,
            })
            .await
            .map_err(|e| anyhow::anyhow!("creating staff: {e:?}"))?;
        Ok(email)
    }

    pub(crate) async fn stop(self) {
        self.server
            .shutdown(Duration::from_secs(10))
            .await
            .expect("clean shutdown");
    }
}

/// The first of `names` that exists as a file, or that is found on the PATH; an environment variable may
/// name it instead.
fn binary(variable: &str, names: &[&str]) -> anyhow::Result<PathBuf> {
    if let Some(given) = std::env::var_os(variable) {
        return Ok(given.into());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        let candidate = Path::new(name);
        if candidate.is_absolute() {
            if candidate.is_file() {
                return Ok(candidate.to_owned());
            }
            continue;
        }
        if let Some(found) = std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
        {
            return Ok(found);
        }
    }
    bail!(
        "{} not found (nor {variable} set): the browser tests need Debian's chromium and chromium-driver \
         (`apt-get install -y chromium chromium-driver`; scripts/test installs them)",
        names.join(" or ")
    )
}

/// A chromedriver on a free loopback port.
struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    async fn start() -> anyhow::Result<Chromedriver> {
        let program = binary(
            "FERRODESK_CHROMEDRIVER",
            &["chromedriver", "/usr/lib/chromium/chromedriver"],
        )?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        let driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = http.get(format!("{}/status", driver.url)).send().await;
            if let Ok(r) = ready
                && let Ok(status) = r.json::<Value>().await
                && status["value"]["ready"] == json!(true)
            {
                return Ok(driver);
            }
            if started.elapsed() > PATIENCE {
                bail!(
                    "{} did not answer on {} within {PATIENCE:?}",
                    program.display(),
                    driver.url
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // Only this process, by its id: the tab's Chromium ends with its session (`Tab::close`).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Chrome DevTools Protocol command, through chromedriver's own endpoint for them.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl ExtensionCommand for Cdp {
    fn parameters_json(&self) -> Option<Value> {
        Some(json!({"cmd": self.cmd, "params": self.params}))
    }

    fn method(&self) -> http::Method {
        http::Method::POST
    }

    fn endpoint(&self) -> Arc<str> {
        "/goog/cdp/execute".into()
    }
}

/// The widths every screenshot is taken at: a small phone and a desktop.
const WIDTHS: [u32; 2] = [375, 1440];

/// One headless Chromium tab on the site.
pub(crate) struct Tab {
    driver: WebDriver,
    base: String,
    _chromedriver: Chromedriver,
}

impl Tab {
    pub(crate) async fn open(site: &Site) -> Tab {
        match Self::try_open(site).await {
            Ok(tab) => tab,
            Err(e) => panic!("cannot start the browser: {e:#}"),
        }
    }

    async fn try_open(site: &Site) -> anyhow::Result<Tab> {
        let chromedriver = Chromedriver::start().await?;
        let mut caps = DesiredCapabilities::chrome();
        let chromium = binary(
            "FERRODESK_CHROMIUM",
            &["chromium", "chromium-browser", "/usr/lib/chromium/chromium"],
        )?;
        caps.set_binary(&chromium.to_string_lossy())?;
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--window-size=1440,1000",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
        ] {
            caps.add_arg(arg)?;
        }
        let driver = WebDriver::new(&chromedriver.url, caps)
            .await
            .context("starting a Chromium session")?;
        Ok(Tab {
            driver,
            base: site.url.trim_end_matches('/').to_owned(),
            _chromedriver: chromedriver,
        })
    }

    pub(crate) async fn close(self) {
        let _ = self.driver.quit().await;
    }

    pub(crate) async fn goto(&self, path: &str) -> anyhow::Result<()> {
        self.driver.goto(format!("{}{path}", self.base)).await?;
        Ok(())
    }

    /// The path (and query) of the page shown.
    pub(crate) async fn path(&self) -> anyhow::Result<String> {
        let url = self.driver.current_url().await?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        })
    }

    pub(crate) async fn url(&self) -> String {
        self.driver
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_else(|e| format!("(unknown: {e})"))
    }

    /// Waits until the page's path is `path` (the query aside).
    pub(crate) async fn wait_path(&self, path: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let now = self.driver.current_url().await?;
            if now.path() == path {
                return Ok(());
            }
            if started.elapsed() > PATIENCE {
                bail!("expected to be on {path}, still on {now}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page's address contains `part` (a filter in its query, say).
    pub(crate) async fn wait_url_has(&self, part: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let now = self.url().await;
            if now.contains(part) {
                return Ok(());
            }
            if started.elapsed() > PATIENCE {
                bail!("expected {part} in the address, still on {now}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Follows the link whose text contains `text`.
    pub(crate) async fn click_link(&self, text: &str) -> anyhow::Result<()> {
        let xpath = format!("//a[contains(normalize-space(.), \"{text}\")]");
        self.driver
            .query(By::XPath(xpath))
            .wait(PATIENCE, Duration::from_millis(50))
            .first()
            .await
            .with_context(|| format!("no link {text:?} on the page"))?
            .click()
            .await?;
        Ok(())
    }

    /// The texts of every element `css` selects, as they are now.
    pub(crate) async fn texts(&self, css: &str) -> anyhow::Result<Vec<String>> {
        let mut out = Vec::new();
        for e in self.driver.find_all(By::Css(css)).await? {
            out.push(e.text().await?);
        }
        Ok(out)
    }

    /// The element `css` selects, once there is one.
    pub(crate) async fn find(&self, css: &str) -> anyhow::Result<WebElement> {
        self.driver
            .query(By::Css(css))
            .wait(PATIENCE, Duration::from_millis(50))
            .first()
            .await
            .with_context(|| format!("no element {css} on the page"))
    }

    pub(crate) async fn exists(&self, css: &str) -> anyhow::Result<bool> {
        Ok(self.driver.query(By::Css(css)).nowait().exists().await?)
    }

    /// Types `text` into the field with this id, replacing what it held.
    pub(crate) async fn fill(&self, id: &str, text: &str) -> anyhow::Result<()> {
        let field = self.find(&format!("#{id}")).await?;
        field.clear().await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// Picks the option with `value` of the select with this id, as a user does (the change event fires).
    pub(crate) async fn choose(&self, id: &str, value: &str) -> anyhow::Result<()> {
        self.find(&format!("#{id} option[value='{value}']"))
            .await?
            .click()
            .await?;
        Ok(())
    }

    pub(crate) async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.find(css).await?.click().await?;
        Ok(())
    }

    pub(crate) async fn text(&self, css: &str) -> anyhow::Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    /// Waits until the element `css` selects says `expected` (somewhere in its text).
    pub(crate) async fn wait_text(&self, css: &str, expected: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Ok(Some(e)) = self.driver.query(By::Css(css)).nowait().first_opt().await
                && e.text().await.is_ok_and(|t| t.contains(expected))
            {
                return Ok(());
            }
            if started.elapsed() > PATIENCE {
                let body = self.text("body").await.unwrap_or_default();
                bail!("{css} never said {expected:?}; the page says: {body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn script(&self, js: &str) -> anyhow::Result<Value> {
        Ok(self.driver.execute(js, Vec::new()).await?.json().clone())
    }

    /// Logs in through the form from a fresh start (no cookies), and waits to land on `lands_on`.
    pub(crate) async fn login(&self, email: &str, password: &str, lands_on: &str) -> anyhow::Result<()> {
        self.submit_login(email, password).await?;
        self.wait_path(lands_on).await
    }

    /// Forgets every cookie of the site (the tab must show one of its pages).
    pub(crate) async fn clear_cookies(&self) -> anyhow::Result<()> {
        if !self.url().await.starts_with(&self.base) {
            self.goto("/login").await?;
        }
        self.driver.delete_all_cookies().await?;
        Ok(())
    }

    /// Fills and sends the login form, without cookies of an earlier visit.
    pub(crate) async fn submit_login(&self, email: &str, password: &str) -> anyhow::Result<()> {
        self.clear_cookies().await?;
        self.goto("/login").await?;
        self.fill("email", email).await?;
        self.fill("password", password).await?;
        self.click("form[action='/login'] button[type=submit]").await
    }

    pub(crate) async fn logout(&self) -> anyhow::Result<()> {
        self.click("form[action='/logout'] button").await?;
        self.wait_path("/login").await
    }

    async fn cdp(&self, cmd: &'static str, params: Value) -> anyhow::Result<()> {
        self.driver
            .cmd(WebDriverCommand::ExtensionCommand(Box::new(Cdp { cmd, params })))
            .await
            .with_context(|| format!("CDP {cmd}"))?;
        Ok(())
    }

    /// Screenshots of the whole page at each width, as docs/screenshots/`name`-`width`.png. At 375 px the
    /// page must not be wider than the screen (tables scroll inside their own box).
    pub(crate) async fn shot(&self, name: &str) -> anyhow::Result<()> {
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir)?;
        for width in WIDTHS {
            let metrics =
                |height: u64| json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600});
            self.cdp("Emulation.setDeviceMetricsOverride", metrics(900)).await?;
            let wide = self.script("return document.documentElement.scrollWidth").await?;
            let height = self
                .script("return document.documentElement.scrollHeight")
                .await?
                .as_u64()
                .unwrap_or(900)
                .clamp(600, 4000);
            self.cdp("Emulation.setDeviceMetricsOverride", metrics(height)).await?;
            let png = self.driver.screenshot_as_png().await?;
            std::fs::write(dir.join(format!("{name}-{width}.png")), png)?;
            if width < 600 && wide.as_u64().is_some_and(|w| w > u64::from(width)) {
                self.cdp("Emulation.clearDeviceMetricsOverride", json!({})).await?;
                bail!("{name} is {wide} px wide on a {width} px screen");
            }
        }
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({})).await
    }

    /// A screenshot and the HTML of the page as it is now, in the target directory, for a failure's report.
    pub(crate) async fn keep_evidence(&self, name: &str) {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
        if let Ok(png) = self.driver.screenshot_as_png().await {
            let _ = std::fs::write(dir.join(format!("browser-{name}.png")), png);
        }
        if let Ok(html) = self.driver.source().await {
            let _ = std::fs::write(dir.join(format!("browser-{name}.html")), html);
        }
        eprintln!("kept the page as {}/browser-{name}.png and .html", dir.display());
    }

    /// Whether an alert (or confirm, prompt) is open: a script that ran would have opened one.
    pub(crate) async fn alert_open(&self) -> anyhow::Result<bool> {
        match self.driver.get_alert_text().await {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.as_inner(), WebDriverErrorInner::NoSuchAlert(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

pub(crate) fn screenshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
}
