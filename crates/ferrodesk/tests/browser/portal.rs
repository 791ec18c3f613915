//! The customer portal (SPEC §8): tickets, opening one, replying, invoices; and a client-area hook slot
//! that must not run the scripts a hook returns.
use crate::harness::{Site, Tab};
use anyhow::ensure;
use api_types::NewHook;

pub(crate) async fn customer_opens_and_follows_a_ticket(site: &Site, tab: &Tab) -> anyhow::Result<()> {
    tab.login(&site.demo.end_user.email, &site.demo.end_user.password, "/portal")
        .await?;
    tab.wait_text("main", "Push notifications arrive hours late").await?;
    tab.shot("portal-tickets").await?;

    tab.click("main a[href='/portal/tickets/new']").await?;
    tab.wait_path("/portal/tickets/new").await?;
    let title = "Backups of the shop database are missing since Monday";
    tab.fill("title", title).await?;
    tab.fill(
        "message",
        "The nightly backup list in the control panel ends on Monday. Is the backup job still running?",
    )
    .await?;
    tab.fill("reference", "acme.example").await?;
    tab.shot("portal-new-ticket").await?;
    tab.click("form[action='/portal/tickets/new'] button[type=submit]")
        .await?;
    tab.wait_text("main h1", title).await?;
    ensure!(
        tab.path().await?.starts_with("/portal/tickets/"),
        "the new ticket's page"
    );

    let reply = "Found one more thing: the last backup is 0 bytes.";
    tab.fill("message", reply).await?;
    tab.click("form[action$='/replies'] button[type=submit]").await?;
    tab.wait_text("main", reply).await?;
    tab.shot("portal-ticket").await?;

    tab.click("a[href='/portal/invoices']").await?;
    tab.wait_path("/portal/invoices").await?;
    let rows = tab.texts("main tbody tr").await?;
    ensure!(
        !rows.is_empty() && rows.iter().all(|r| !r.contains("No invoices")),
        "the customer's invoices are listed: {rows:?}"
    );
    ensure!(rows.iter().any(|r| r.contains("paid")), "with their status: {rows:?}");
    tab.shot("portal-invoices").await?;
    tab.logout().await
}

/// A hook that answers a client-area slot with a script, an event handler and a `javascript:` link: the
/// portal shows its text and runs none of it.
pub(crate) async fn client_slot_scripts_do_not_run(site: &Site, tab: &Tab) -> anyhow::Result<()> {
    let source = r#"hook("TicketClientAreaViewDetail", 5, |params| `<p>Status page: all systems normal</p><script>window.__pwned = 1; alert("pwned")</script><img src="x" onerror="window.__pwned = 2; alert(2)"><a href="javascript:alert(3)">details</a>`);"#;
    site.admin
        .create_hook(&NewHook {
            name: "portal-script".into(),
            source: source.into(),
            enabled: Some(true),
        })
        .await
        .map_err(|e| anyhow::anyhow!("creating the hook: {e:?}"))?;

    let id = site.ticket_id("Push notifications arrive hours late").await?;
    tab.login(&site.demo.end_user.email, &site.demo.end_user.password, "/portal")
        .await?;
    tab.goto(&format!("/portal/tickets/{id}")).await?;
    tab.wait_text(
        ".hook-slot[data-slot='TicketClientAreaViewDetail']",
        "all systems normal",
    )
    .await?;
    // An error loading the image would have fired its handler by now.
    tab.script("return new Promise(done => setTimeout(done, 300))")
        .await
        .ok();
    ensure!(!tab.alert_open().await?, "a script of the hook opened an alert");
    let pwned = tab.script("return typeof window.__pwned").await?;
    ensure!(
        pwned == "undefined",
        "a script of the hook ran: window.__pwned is {pwned}"
    );
    let scripts = tab
        .script("return document.querySelectorAll('.hook-slot script, .hook-slot [onerror]').length")
        .await?;
    ensure!(scripts == 0, "the slot kept {scripts} scripts or handlers");
    let href = tab
        .script(
            "const a = document.querySelector(\".hook-slot[data-slot='TicketClientAreaViewDetail'] a\"); \
             return a ? a.getAttribute('href') : null",
        )
        .await?;
    ensure!(
        !href
            .as_str()
            .is_some_and(|h| h.trim_start().to_ascii_lowercase().starts_with("javascript:")),
        "a javascript: link survived: {href}"
    );
    tab.logout().await
}
