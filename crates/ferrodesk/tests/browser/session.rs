//! Logging in and out, changing one's password, and the page after too many failed logins (SPEC §2).
use crate::harness::{PASSWORD, Site, Tab};
use anyhow::ensure;
use api_types::Role;

pub(crate) async fn login_and_logout(site: &Site, tab: &Tab) -> anyhow::Result<()> {
    tab.clear_cookies().await?;
    tab.goto("/agent").await?;
    tab.wait_path("/login").await?;
    tab.shot("login").await?;

    tab.submit_login(&site.demo.agent.email, "not the password").await?;
    tab.wait_text(".alert", "Wrong email or password").await?;
    ensure!(
        tab.find("#email").await?.value().await?.as_deref() == Some(site.demo.agent.email.as_str()),
        "the address is kept after a failed login"
    );

    tab.login(&site.demo.agent.email, &site.demo.agent.password, "/agent")
        .await?;
    tab.find("form[action='/logout']").await?;
    tab.logout().await?;
    tab.goto("/agent").await?;
    tab.wait_path("/login").await?;

    tab.login(&site.demo.end_user.email, &site.demo.end_user.password, "/portal")
        .await?;
    tab.logout().await
}

pub(crate) async fn password_change(site: &Site, tab: &Tab) -> anyhow::Result<()> {
    let email = site.staff(Role::Agent).await?;
    let new_password = "a brand new passphrase";
    tab.login(&email, PASSWORD, "/agent").await?;
    tab.click("a[href='/account/password']").await?;
    tab.wait_path("/account/password").await?;

    tab.fill("current_password", "not my password").await?;
    tab.fill("password", new_password).await?;
    tab.fill("password_again", new_password).await?;
    tab.click("form[action='/account/password'] button[type=submit]")
        .await?;
    tab.find(".field-error, .alert").await?;
    ensure!(
        !tab.exists(".notice").await?,
        "a wrong current password changes nothing"
    );

    tab.fill("current_password", PASSWORD).await?;
    tab.fill("password", new_password).await?;
    tab.fill("password_again", new_password).await?;
    tab.click("form[action='/account/password'] button[type=submit]")
        .await?;
    tab.wait_text(".notice", "password was changed").await?;
    tab.shot("password").await?;
    tab.logout().await?;

    tab.submit_login(&email, PASSWORD).await?;
    tab.wait_text(".alert", "Wrong email or password").await?;
    tab.login(&email, new_password, "/agent").await?;
    tab.logout().await
}

pub(crate) async fn rate_limited_login(site: &Site, tab: &Tab) -> anyhow::Result<()> {
    let email = site.staff(Role::Agent).await?;
    for _ in 0..5 {
        tab.submit_login(&email, "guessing").await?;
        tab.wait_text(".alert", "Wrong email or password").await?;
    }
    tab.submit_login(&email, "guessing").await?;
    tab.wait_text("h1", "Too many attempts").await?;
    let said = tab.text("main").await?;
    ensure!(said.contains("rate_limited"), "the page names the limit: {said}");
    tab.shot("login-rate-limited").await?;

    // The right password does not get through the limit either.
    tab.submit_login(&email, PASSWORD).await?;
    tab.wait_text("h1", "Too many attempts").await
}
