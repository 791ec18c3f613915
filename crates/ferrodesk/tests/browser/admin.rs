//! The admin area (SPEC §8): the dashboard, a webhook with its delivery log, and a hook script whose output
//! shows in the tester and in its slot on the agent's ticket page.
use crate::harness::{Site, Tab};
use anyhow::{Context, ensure};

pub(crate) async fn webhook_and_hook_script(site: &Site, tab: &Tab) -> anyhow::Result<()> {
    let admin = site.demo.admin.as_ref().context("the demo made an admin")?;
    tab.login(&admin.email, &admin.password, "/agent").await?;
    tab.goto("/admin").await?;
    tab.find("main svg").await?;
    tab.shot("admin-dashboard").await?;

    tab.goto("/admin/webhooks/new").await?;
    tab.fill("f-url", "https://hooks.example.com/ferrodesk").await?;
    tab.fill("f-events", "TicketClientCreated, TicketAdminReplied").await?;
    tab.click("form[action='/admin/webhooks'] button[type=submit]").await?;
    // The new webhook's page, with its signing secret shown this once.
    tab.wait_text("main", "whsec_").await?;
    tab.wait_text("main", "Deliveries").await?;
    ensure!(
        tab.find("#f-url").await?.value().await?.as_deref() == Some("https://hooks.example.com/ferrodesk"),
        "the saved webhook shows its address"
    );
    tab.shot("admin-webhook").await?;

    let marker = "Browser-tested slot";
    let source = format!(
        "hook(\"TicketAdminAreaViewDetail\", 5, |params| `<p class=\"from-hook\">{marker}: ticket ${{params.id}}</p>`);"
    );
    tab.goto("/admin/hooks/new").await?;
    tab.fill("f-name", "slot-demo").await?;
    tab.fill("f-source", &source).await?;
    tab.click("form[action='/admin/hooks'] button[type=submit]").await?;
    tab.wait_url_has("saved=1").await?;

    let id = site
        .ticket_id("SSL certificate renewal failed for shop.globex.example")
        .await?;
    tab.fill("t-ticket_id", &id.to_string()).await?;
    tab.click("form[action$='/test'] button[type=submit]").await?;
    tab.wait_text("pre.out", marker).await?;
    tab.shot("admin-hook").await?;

    tab.goto(&format!("/agent/tickets/{id}")).await?;
    tab.wait_text(
        ".hook-slot[data-slot='TicketAdminAreaViewDetail'] .from-hook",
        &format!("{marker}: ticket {id}"),
    )
    .await?;
    tab.logout().await
}
