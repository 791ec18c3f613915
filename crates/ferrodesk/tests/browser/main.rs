//! The main journeys of the web UI in a real, headless Chromium (issue 12 point 6), driven over WebDriver by
//! a chromedriver this test starts itself. Screenshots of each main page at 375 and 1440 px wide are written
//! to docs/screenshots/ (linked from the README).
//!
//! Needs Debian's `chromium` and `chromium-driver` (scripts/test installs them when absent); without them
//! the test fails and says so. `FERRODESK_CHROMEDRIVER` and `FERRODESK_CHROMIUM` name other binaries.
//! The journeys test the pages, not storage: the server runs on SQLite only.

mod admin;
mod agent;
mod harness;
mod portal;
mod session;

use harness::{Site, Tab};

/// One browser and one server for every journey: starting Chromium takes seconds, and each journey logs
/// in afresh (cookies cleared) as whom it needs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journeys() {
    let site = Site::start().await;
    let tab = Tab::open(&site).await;
    let outcome = run(&site, &tab).await;
    if let Err(e) = &outcome {
        tab.keep_evidence("failure").await;
        eprintln!("the journey failed at {}: {e:?}", tab.url().await);
    }
    tab.close().await;
    site.stop().await;
    if let Err(e) = outcome {
        panic!("browser journey failed: {e:?}");
    }
}

async fn run(site: &Site, tab: &Tab) -> anyhow::Result<()> {
    session::login_and_logout(site, tab).await?;
    session::password_change(site, tab).await?;
    session::rate_limited_login(site, tab).await?;
    agent::works_the_queue(site, tab).await?;
    portal::customer_opens_and_follows_a_ticket(site, tab).await?;
    admin::webhook_and_hook_script(site, tab).await?;
    portal::client_slot_scripts_do_not_run(site, tab).await?;
    Ok(())
}
