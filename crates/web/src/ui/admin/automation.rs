//! Webhooks (with their delivery log and replay) and hook scripts (an editor, versions, and a tester that
//! runs a script against a ticket without side effects).
use super::directory::Nothing;
use super::{
    Action, Cell, Field, FormPage, Kind, ListPage, PageQuery, Secret, checked, given, list_of, next_page, options, time,
};
use crate::state::AppState;
use crate::ui::page::{Area, Chrome, FieldErrors, PageError, PageResult, html, ok, see_other};
use crate::ui::session::{Posted, Visit};
use api_types::{HookPatch, HookTest, HookTestResult, NewHook, NewWebhook, WebhookPatch};
use app::sessions::WebSession;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::automation::{Delivery, DeliveryStatus, HookScript, Webhook, WebhookFormat};
use serde::Deserialize;

// ---------------------------------------------------------------- webhooks

#[derive(Deserialize, Default)]
pub(crate) struct WebhookForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    events: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    active: Option<String>,
}

fn format_name(f: WebhookFormat) -> &'static str {
    match f {
        WebhookFormat::Native => "native",
        WebhookFormat::Teamtools => "teamtools",
    }
}

impl WebhookForm {
    fn of(w: &Webhook) -> Self {
        Self {
            url: w.url.clone(),
            events: w.events.join(", "),
            secret: String::new(),
            format: format_name(w.format).into(),
            active: w.active.then(|| "true".into()),
        }
    }
    fn fields(&self, new: bool) -> Vec<Field> {
        vec![
            Field::of("url", "URL", Kind::Input("url"), &self.url).required(),
            Field::input("events", "Events", &self.events).hint(
                "Event names separated by commas (TicketClientCreated, ticket.updated, …), or * for every event.",
            ),
            Field::input("secret", "Signing secret", &self.secret).hint(if new {
                "Leave empty to have one made (whsec_…)."
            } else {
                "Leave empty to keep the current secret."
            }),
            Field::select("format", "Body format", &self.format, options(&["native", "teamtools"])),
            Field::checkbox("active", "Active", checked(&self.active)),
        ]
    }
    fn events(&self) -> Vec<String> {
        list_of(&self.events)
    }
}

pub(crate) async fn webhooks(State(state): State<AppState>, visit: Visit, Query(q): Query<PageQuery>) -> PageResult {
    let s = visit.admin()?;
    let page = state.app.list_webhooks(&s.principal, &q.list()).await?;
    let rows = page
        .data
        .iter()
        .map(|w| {
            vec![
                Cell::link(format!("/admin/webhooks/{}", w.id), &w.url),
                Cell::text(w.events.join(", ")),
                Cell::text(format_name(w.format)),
                Cell::yes_no(w.active),
                Cell::text(w.failing_since.map(time).unwrap_or_default()),
            ]
        })
        .collect();
    ok(ListPage::new(s, "webhooks", "Webhooks")
        .notices(q.notices())
        .new_link("/admin/webhooks/new", "New webhook")
        .table(
            &["URL", "Events", "Format", "Active", "Failing since"],
            rows,
            next_page("/admin/webhooks", page.next_cursor),
        ))
}

fn new_webhook_form(s: &WebSession, f: &WebhookForm) -> FormPage {
    FormPage::new(s, "webhooks", "New webhook", "/admin/webhooks")
        .fields(f.fields(true))
        .submit("Create webhook")
}

pub(crate) async fn new_webhook(visit: Visit) -> PageResult {
    let s = visit.admin()?;
    let f = WebhookForm {
        events: "*".into(),
        format: "native".into(),
        active: Some("true".into()),
        ..Default::default()
    };
    new_webhook_form(s, &f).show()
}

pub(crate) async fn create_webhook(State(state): State<AppState>, posted: Posted<WebhookForm>) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let input = NewWebhook {
        url: f.url.trim().to_owned(),
        events: Some(f.events()),
        secret: given(&f.secret),
        format: given(&f.format),
        active: Some(checked(&f.active)),
    };
    match state.app.create_webhook(&s.principal, &posted.visit.meta, input).await {
        Ok(w) => {
            let mut page = webhook_page(&state, s, &w, &WebhookForm::of(&w), &PageQuery::default()).await?;
            page.secrets.push(Secret::new("Signing secret", w.secret.clone()));
            ok(page)
        }
        Err(e) => new_webhook_form(s, f).refused(&FieldErrors::from_app(e)?),
    }
}

/// One delivery of the log, with every attempt.
pub(crate) struct DeliveryRow {
    id: i64,
    event_id: i64,
    status: &'static str,
    attempts: i64,
    created: String,
    next_attempt: String,
    log: Vec<AttemptRow>,
}

pub(crate) struct AttemptRow {
    at: String,
    status_code: String,
    error: String,
    latency_ms: String,
    response: String,
}

fn delivery_row(d: &Delivery) -> DeliveryRow {
    DeliveryRow {
        id: d.id,
        event_id: d.event_id,
        status: match d.status {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Done => "done",
            DeliveryStatus::Failed => "failed",
        },
        attempts: d.attempts,
        created: time(d.created_at),
        next_attempt: d.next_attempt_at.map(time).unwrap_or_default(),
        log: d
            .attempt_log
            .iter()
            .map(|a| AttemptRow {
                at: a.attempted_at.strftime("%Y-%m-%d %H:%M:%S").to_string(),
                status_code: a.status_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into()),
                error: a.error.clone().unwrap_or_default(),
                latency_ms: format!("{:.1}", a.latency_us as f64 / 1000.0),
                response: a.response.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "admin/webhook.html")]
pub(crate) struct WebhookPage {
    c: Chrome,
    section: &'static str,
    heading: String,
    id: i64,
    notices: Vec<String>,
    secrets: Vec<Secret>,
    others: Vec<String>,
    fields: Vec<Field>,
    disabled_reason: Option<String>,
    deliveries: Vec<DeliveryRow>,
    next: Option<String>,
}

async fn webhook_page(
    state: &AppState,
    s: &WebSession,
    w: &Webhook,
    form: &WebhookForm,
    q: &PageQuery,
) -> Result<WebhookPage, PageError> {
    let deliveries = state.app.webhook_deliveries(&s.principal, w.id, &q.list()).await?;
    Ok(WebhookPage {
        c: Chrome::of(s, Area::Admin, format!("Webhook {}", w.url)),
        section: "webhooks",
        heading: format!("Webhook {}", w.url),
        id: w.id,
        notices: q.notices(),
        secrets: Vec::new(),
        others: Vec::new(),
        fields: form.fields(false),
        disabled_reason: w.disabled_reason.clone(),
        deliveries: deliveries.data.iter().map(delivery_row).collect(),
        next: next_page(&format!("/admin/webhooks/{}", w.id), deliveries.next_cursor),
    })
}

pub(crate) async fn webhook(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = visit.admin()?;
    let w = state.app.get_webhook(&s.principal, id).await?;
    ok(webhook_page(&state, s, &w, &WebhookForm::of(&w), &q).await?)
}

pub(crate) async fn update_webhook(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<WebhookForm>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let patch = WebhookPatch {
        url: Some(f.url.trim().to_owned()),
        events: Some(f.events()),
        secret: given(&f.secret),
        format: given(&f.format),
        active: Some(checked(&f.active)),
    };
    match state
        .app
        .update_webhook(&s.principal, &posted.visit.meta, id, patch)
        .await
    {
        Ok(_) => see_other(&format!("/admin/webhooks/{id}?saved=1"), posted.visit.htmx),
        Err(e) => {
            let errors = FieldErrors::from_app(e)?;
            let w = state.app.get_webhook(&s.principal, id).await?;
            let mut page = webhook_page(&state, s, &w, f, &PageQuery::default()).await?;
            let names: Vec<&str> = page.fields.iter().map(|f| f.name).collect();
            page.others = errors.others(&names);
            for field in &mut page.fields {
                field.error = errors.get(field.name).map(str::to_owned);
            }
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}

pub(crate) async fn delete_webhook(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Nothing>,
) -> PageResult {
    let s = posted.visit.admin()?;
    state.app.delete_webhook(&s.principal, &posted.visit.meta, id).await?;
    see_other("/admin/webhooks?saved=1", posted.visit.htmx)
}

/// Queues the delivery again (its attempts so far stay in the log) and goes back to its webhook.
pub(crate) async fn replay_delivery(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Nothing>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let d = state.app.replay_delivery(&s.principal, id).await?;
    see_other(&format!("/admin/webhooks/{}?saved=1", d.webhook_id), posted.visit.htmx)
}

// ---------------------------------------------------------------- hook scripts

const EXAMPLE_HOOK: &str =
    "hook(\"TicketAdminAreaViewDetailSidebar\", 5, |params| {\n    `<p>Ticket ${params.id}</p>`\n});\n";

#[derive(Deserialize, Default)]
pub(crate) struct HookForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    enabled: Option<String>,
}

impl HookForm {
    fn of(h: &HookScript) -> Self {
        Self {
            name: h.name.clone(),
            source: h.source.clone(),
            enabled: h.enabled.then(|| "true".into()),
        }
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::input("name", "Name", &self.name).required(),
            Field::of("source", "Script (Rhai)", Kind::Code, &self.source)
                .hint("hook(\"HookName\", priority, |params| { … }); see docs/hooks.md."),
            Field::checkbox("enabled", "Enabled", checked(&self.enabled)),
        ]
    }
}

pub(crate) async fn hooks(State(state): State<AppState>, visit: Visit, Query(q): Query<PageQuery>) -> PageResult {
    let s = visit.admin()?;
    let page = state.app.list_hooks(&s.principal, &q.list()).await?;
    let rows = page
        .data
        .iter()
        .map(|h| {
            vec![
                Cell::link(format!("/admin/hooks/{}", h.id), &h.name),
                Cell::Badge(if h.enabled { "enabled" } else { "disabled" }.into()),
                Cell::text(h.version),
                Cell::text(time(h.updated_at)),
            ]
        })
        .collect();
    ok(ListPage::new(s, "hooks", "Hook scripts")
        .intro("Scripts stored in the database run beside the files of the hooks directory, on every node.")
        .notices(q.notices())
        .new_link("/admin/hooks/new", "New hook script")
        .table(
            &["Name", "State", "Version", "Changed"],
            rows,
            next_page("/admin/hooks", page.next_cursor),
        ))
}

fn new_hook_form(s: &WebSession, f: &HookForm) -> FormPage {
    FormPage::new(s, "hooks", "New hook script", "/admin/hooks")
        .fields(f.fields())
        .submit("Create script")
}

pub(crate) async fn new_hook(visit: Visit) -> PageResult {
    let s = visit.admin()?;
    let f = HookForm {
        source: EXAMPLE_HOOK.into(),
        enabled: Some("true".into()),
        ..Default::default()
    };
    new_hook_form(s, &f).show()
}

pub(crate) async fn create_hook(State(state): State<AppState>, posted: Posted<HookForm>) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let input = NewHook {
        name: f.name.clone(),
        source: f.source.clone(),
        enabled: Some(checked(&f.enabled)),
    };
    match state.app.create_hook(&s.principal, &posted.visit.meta, input).await {
        Ok(h) => see_other(&format!("/admin/hooks/{}?saved=1", h.id), posted.visit.htmx),
        Err(e) => new_hook_form(s, f).refused(&FieldErrors::from_app(e)?),
    }
}

pub(crate) struct VersionRow {
    version: i64,
    created: String,
    source: String,
}

#[derive(Template)]
#[template(path = "admin/hook.html")]
pub(crate) struct HookPage {
    c: Chrome,
    section: &'static str,
    heading: String,
    id: i64,
    notices: Vec<String>,
    secrets: Vec<Secret>,
    others: Vec<String>,
    fields: Vec<Field>,
    actions: Vec<Action>,
    versions: Vec<VersionRow>,
    ticket_id: String,
    ticket_error: Option<String>,
    /// What the tester printed: each hook's output, refusal or error.
    output: Option<String>,
}

async fn hook_page(state: &AppState, s: &WebSession, h: &HookScript, form: &HookForm) -> Result<HookPage, PageError> {
    let versions = state.app.hook_versions(&s.principal, h.id).await?;
    let toggle = if h.enabled { "Disable" } else { "Enable" };
    Ok(HookPage {
        c: Chrome::of(s, Area::Admin, format!("Hook script {}", h.name)),
        section: "hooks",
        heading: format!("Hook script {}", h.name),
        id: h.id,
        notices: Vec::new(),
        secrets: Vec::new(),
        others: Vec::new(),
        fields: form.fields(),
        actions: vec![
            Action::new(format!("/admin/hooks/{}?toggle=1", h.id), toggle, false),
            Action::new(format!("/admin/hooks/{}/delete", h.id), "Delete script", true),
        ],
        versions: versions
            .into_iter()
            .rev()
            .map(|v| VersionRow {
                version: v.version,
                created: time(v.created_at),
                source: v.source,
            })
            .collect(),
        ticket_id: String::new(),
        ticket_error: None,
        output: None,
    })
}

pub(crate) async fn hook(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = visit.admin()?;
    let h = state.app.get_hook(&s.principal, id).await?;
    let mut page = hook_page(&state, s, &h, &HookForm::of(&h)).await?;
    page.notices = q.notices();
    ok(page)
}

#[derive(Deserialize, Default)]
pub(crate) struct ToggleQuery {
    #[serde(default)]
    toggle: Option<String>,
}

/// Saves the script (a changed source is a new version), or with `?toggle=1` only flips enabled.
pub(crate) async fn update_hook(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(t): Query<ToggleQuery>,
    posted: Posted<HookForm>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let patch = if t.toggle.is_some() {
        let h = state.app.get_hook(&s.principal, id).await?;
        HookPatch {
            enabled: Some(!h.enabled),
            ..Default::default()
        }
    } else {
        HookPatch {
            name: Some(f.name.clone()),
            source: Some(f.source.clone()),
            enabled: Some(checked(&f.enabled)),
        }
    };
    match state.app.update_hook(&s.principal, &posted.visit.meta, id, patch).await {
        Ok(_) => see_other(&format!("/admin/hooks/{id}?saved=1"), posted.visit.htmx),
        Err(e) => {
            let errors = FieldErrors::from_app(e)?;
            let h = state.app.get_hook(&s.principal, id).await?;
            let mut page = hook_page(&state, s, &h, f).await?;
            let names: Vec<&str> = page.fields.iter().map(|f| f.name).collect();
            page.others = errors.others(&names);
            for field in &mut page.fields {
                field.error = errors.get(field.name).map(str::to_owned);
            }
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}

pub(crate) async fn delete_hook(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Nothing>,
) -> PageResult {
    let s = posted.visit.admin()?;
    state.app.delete_hook(&s.principal, &posted.visit.meta, id).await?;
    see_other("/admin/hooks?saved=1", posted.visit.htmx)
}

#[derive(Deserialize, Default)]
pub(crate) struct TestForm {
    #[serde(default)]
    ticket_id: String,
}

/// What each hook of the script gave, one block per hook.
fn test_output(result: &HookTestResult) -> String {
    if result.runs.is_empty() {
        return "The script registers no hook.".into();
    }
    let mut out = String::new();
    for run in &result.runs {
        out.push_str(&format!(
            "{} ({}, priority {}, {} µs)\n",
            run.hook, run.kind, run.priority, run.duration_us
        ));
        if let Some(error) = &run.error {
            out.push_str(&format!("  error at line {}: {error}\n", run.line));
        } else if run.rejected {
            out.push_str(&format!(
                "  rejects the write: {}\n",
                run.output.as_deref().unwrap_or_default()
            ));
        } else {
            match &run.output {
                Some(o) => out.push_str(&format!("  output: {o}\n")),
                None => out.push_str("  no output\n"),
            }
        }
    }
    out
}

/// Runs the stored script against a ticket (nothing is written) and shows what it gave.
pub(crate) async fn test_hook(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<TestForm>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let h = state.app.get_hook(&s.principal, id).await?;
    let mut page = hook_page(&state, s, &h, &HookForm::of(&h)).await?;
    page.ticket_id = f.ticket_id.clone();
    let Ok(ticket_id) = f.ticket_id.trim().parse::<i64>() else {
        page.ticket_error = Some("must be a ticket number".into());
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page));
    };
    match state.app.test_hook(&s.principal, id, HookTest { ticket_id }).await {
        Ok(result) => {
            page.output = Some(test_output(&result));
            ok(page)
        }
        Err(e) => {
            let errors = FieldErrors::from_app(e)?;
            page.ticket_error = errors.get("ticket_id").map(str::to_owned);
            page.others = errors.others(&["ticket_id"]);
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}
