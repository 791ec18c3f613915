//! The agent console (SPEC §8): the queue with filters, a ticket with its reply box, controls and customer
//! sidebar, search, and a customer's page.
use crate::harness::{Site, Tab};
use anyhow::ensure;

const TICKET: &str = "Website returns 502 errors since the PHP 8.3 upgrade";

pub(crate) async fn works_the_queue(site: &Site, tab: &Tab) -> anyhow::Result<()> {
    tab.login(&site.demo.agent.email, &site.demo.agent.password, "/agent")
        .await?;
    tab.find("#queue tbody tr[data-ticket]").await?;
    tab.shot("agent-queue").await?;

    // Filters redraw the queue in place and keep themselves in the address.
    tab.choose("f-status", "waiting").await?;
    tab.wait_url_has("status=waiting").await?;
    tab.choose("f-priority", "3").await?;
    tab.wait_url_has("priority=3").await?;
    tab.wait_text("#queue", "Two-factor codes do not arrive by SMS").await?;
    let statuses = tab.texts("#queue tbody tr[data-ticket] td:nth-child(3)").await?;
    ensure!(
        !statuses.is_empty() && statuses.iter().all(|s| s == "waiting"),
        "only waiting tickets: {statuses:?}"
    );
    let titles = tab.texts("#queue tbody tr[data-ticket] td.title").await?;
    ensure!(
        titles.iter().all(|t| !t.contains("Cannot log in to the control panel")),
        "a medium-priority ticket is filtered out: {titles:?}"
    );

    tab.click_link(TICKET).await?;
    let id = site.ticket_id(TICKET).await?;
    tab.wait_path(&format!("/agent/tickets/{id}")).await?;
    tab.find("#customer").await?;
    tab.shot("agent-ticket").await?;

    let reply = "We keep an eye on the PHP pool for the next hour.";
    tab.fill("message", reply).await?;
    tab.click(&format!(
        "form[action='/agent/tickets/{id}/replies'] button[type=submit]"
    ))
    .await?;
    tab.wait_text("#conversation", reply).await?;

    tab.choose("c-status", "process").await?;
    tab.click("#controls button[type=submit]").await?;
    tab.wait_text("#ticket-status", "process").await?;

    // The demo's contract has on-site incidents left; the phone one was redeemed already.
    tab.click("#redeem-onsite").await?;
    tab.wait_text("#conversation", "incident: onsite").await?;
    tab.wait_text("#incidents", "redeemed for this ticket").await?;

    let customer = tab.find("#customer h2 a").await?;
    customer.click().await?;
    tab.find("main h1").await?;
    ensure!(
        tab.path().await?.starts_with("/agent/customers/"),
        "the sidebar links to the customer"
    );
    tab.wait_text("main", "Acme Corporation").await?;
    tab.shot("agent-customer").await?;

    tab.goto("/agent/search").await?;
    tab.fill("q", "certificate").await?;
    tab.wait_text("#results", "SSL certificate renewal failed").await?;
    tab.find("#results mark").await?;
    tab.shot("agent-search").await?;
    tab.logout().await
}
