//! Hook scripts stored through the API (SPEC §4, `/api/v1/hooks`): admins add, change (each new source is
//! a version), enable, disable and remove them; they run beside the hooks directory's scripts on every node
//! (each node reloads them when the stored set changes), and an admin can try one against a ticket without
//! any side effect.
use crate::paging::{by_id, page_request, paged};
use crate::tickets::visible_ticket;
use crate::{
    App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, commit_with_event, json, require_admin,
};
use api_types::{HookPatch, HookTest, HookTestResult, HookTestRun, ListQuery, NewHook};
use domain::automation::{HookScript, HookScriptVersion};
use domain::event::{EntityType, EventAction};
use domain::hook_params::HookRun;
use domain::{HookKind, HookPoint, Principal};
use std::sync::Arc;
use store::time::now;

/// The longest source an admin may store.
const MAX_SOURCE_BYTES: usize = 256 * 1024;

fn check_hook_name(fields: &mut Fields, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        fields.add("name", "must be 1 to 200 characters");
    }
    name.to_owned()
}

/// A ticket's parameters in the shape `point`'s hooks get them (SPEC §4): reply hooks
/// `{request, reply}`, change hooks the ticket with `changes` (none here), the rest the ticket.
fn trial_params(point: HookPoint, ticket: &serde_json::Value, reply: &serde_json::Value) -> serde_json::Value {
    use HookPoint as H;
    match point {
        H::TicketClientReplyValidation
        | H::TicketAdminReplyValidation
        | H::TicketClientReplied
        | H::TicketAdminReplied
        | H::TicketReplyModified
        | H::TicketReplyDeleted => serde_json::json!({"request": ticket, "reply": reply}),
        _ if point.kind() == HookKind::Event && point.as_str().ends_with("Change")
            || point == H::TicketAdminUpdated =>
        {
            let mut params = ticket.clone();
            if let Some(map) = params.as_object_mut() {
                map.insert("changes".into(), serde_json::json!({}));
            }
            params
        }
        _ => ticket.clone(),
    }
}

impl App {
    /// Compiles `source` as the stored script `id` would be: 422 naming `source` with the line and reason.
    async fn compile_stored(&self, id: i64, source: String) -> AppResult<hooks::Script> {
        if source.len() > MAX_SOURCE_BYTES {
            return Err(AppError::field(
                "source",
                format!("must be at most {MAX_SOURCE_BYTES} bytes"),
            ));
        }
        let hooks = Arc::clone(self.hooks());
        let name = HookScript::script_name(id);
        tokio::task::spawn_blocking(move || hooks.compile(&name, &source))
            .await
            .map_err(|e| AppError::Internal(format!("the hook compiler's thread failed: {e}")))?
            .map_err(|e| AppError::field("source", format!("line {}: {}", e.line, e.message)))
    }

    /// Loads the enabled stored scripts into the registry (a script that no longer compiles is logged and
    /// left out). Nodes call it when [`App::stored_hooks_revision`] changes; this node after its own changes.
    pub async fn reload_stored_hooks(&self) -> AppResult<()> {
        let stored = self.store().read().await?.enabled_hook_scripts().await?;
        let hooks = Arc::clone(self.hooks());
        tokio::task::spawn_blocking(move || {
            let mut scripts = Vec::with_capacity(stored.len());
            for s in stored {
                match hooks.compile(&HookScript::script_name(s.id), &s.source) {
                    Ok(script) => scripts.push(script),
                    Err(e) => {
                        tracing::warn!(hook = s.id, line = e.line, error = %e.message, "stored hook script not loaded")
                    }
                }
            }
            hooks.replace_stored(scripts);
        })
        .await
        .map_err(|e| AppError::Internal(format!("the hook loader's thread failed: {e}")))
    }

    /// A value that changes whenever a stored script is added, changed or removed.
    pub async fn stored_hooks_revision(&self) -> AppResult<(i64, i64)> {
        Ok(self.store().read().await?.hook_scripts_revision().await?)
    }

    pub async fn create_hook(&self, p: &Principal, meta: &RequestMeta, input: NewHook) -> AppResult<HookScript> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let name = check_hook_name(&mut fields, &input.name);
        fields.finish()?;
        // Compiled under a provisional name: the errors an admin sees name the line, not the script.
        self.compile_stored(0, input.source.clone()).await?;
        let at = now();
        let mut tx = self.store().write().await?;
        let script = tx
            .insert_hook_script(&HookScript {
                id: 0,
                name,
                source: input.source,
                enabled: input.enabled.unwrap_or(true),
                version: 1,
                created_at: at,
                updated_at: at,
            })
            .await?;
        let event = Change { principal: p, meta }.event(
            EventAction::Created,
            Subject(EntityType::Hook, script.id, None),
            None,
            json(&script),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        self.reload_stored_hooks().await?;
        Ok(script)
    }

    pub async fn get_hook(&self, p: &Principal, id: i64) -> AppResult<HookScript> {
        require_admin(p)?;
        self.store()
            .read()
            .await?
            .hook_script(id)
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn list_hooks(&self, p: &Principal, q: &ListQuery) -> AppResult<Paged<HookScript>> {
        require_admin(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self.store().read().await?.hook_script_list(&page).await?;
        Ok(paged(rows, &page, |s| by_id(s.id)))
    }

    pub async fn hook_versions(&self, p: &Principal, id: i64) -> AppResult<Vec<HookScriptVersion>> {
        require_admin(p)?;
        let mut db = self.store().read().await?;
        db.hook_script(id).await?.ok_or(AppError::NotFound)?;
        Ok(db.hook_script_versions(id).await?)
    }

    pub async fn update_hook(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: HookPatch,
    ) -> AppResult<HookScript> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let name = patch.name.as_deref().map(|n| check_hook_name(&mut fields, n));
        fields.finish()?;
        if let Some(source) = &patch.source {
            self.compile_stored(id, source.clone()).await?;
        }
        let mut tx = self.store().write().await?;
        let old = tx.hook_script(id).await?.ok_or(AppError::NotFound)?;
        let mut script = old.clone();
        if let Some(name) = name {
            script.name = name;
        }
        if let Some(enabled) = patch.enabled {
            script.enabled = enabled;
        }
        let source_changed = patch.source.as_ref().is_some_and(|s| *s != old.source);
        if let Some(source) = patch.source {
            script.source = source;
        }
        if source_changed {
            script.version += 1;
        }
        if script == old {
            return Ok(old);
        }
        script.updated_at = now().max(old.updated_at + jiff::SignedDuration::from_micros(1));
        tx.update_hook_script(&script, source_changed).await?;
        let event = Change { principal: p, meta }.event(
            EventAction::Updated,
            Subject(EntityType::Hook, id, None),
            None,
            json(&script),
            json(&old),
        );
        commit_with_event(tx, event).await?;
        self.reload_stored_hooks().await?;
        Ok(script)
    }

    pub async fn delete_hook(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<()> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.hook_script(id).await?.ok_or(AppError::NotFound)?;
        tx.delete_hook_script(id).await?;
        let event = Change { principal: p, meta }.event(
            EventAction::Deleted,
            Subject(EntityType::Hook, id, None),
            None,
            serde_json::Value::Null,
            json(&old),
        );
        commit_with_event(tx, event).await?;
        self.reload_stored_hooks().await
    }

    /// Runs every hook of stored script `id` (enabled or not, as it is stored now) against a ticket; nothing
    /// is written.
    pub async fn test_hook(&self, p: &Principal, id: i64, input: HookTest) -> AppResult<HookTestResult> {
        require_admin(p)?;
        let mut db = self.store().read().await?;
        let stored = db.hook_script(id).await?.ok_or(AppError::NotFound)?;
        let ticket = visible_ticket(&mut *db, p, input.ticket_id)
            .await
            .map_err(|_| AppError::field("ticket_id", "no such ticket"))?;
        let reply = db
            .reply_list(ticket.id, true)
            .await?
            .pop()
            .map_or_else(|| serde_json::json!({}), |r| json(&r));
        drop(db);
        let script = self.compile_stored(id, stored.source.clone()).await?;
        let (hooks, ticket_json) = (Arc::clone(self.hooks()), json(&ticket));
        let runs = tokio::task::spawn_blocking(move || {
            hooks.trial(&script, |point| trial_params(point, &ticket_json, &reply))
        })
        .await
        .map_err(|e| AppError::Internal(format!("the hook test's thread failed: {e}")))?;
        Ok(HookTestResult {
            hook_id: id,
            version: stored.version,
            ticket_id: ticket.id,
            runs: runs
                .into_iter()
                .map(|r| HookTestRun {
                    hook: r.hook,
                    priority: r.priority,
                    kind: r.kind,
                    output: r.output,
                    rejected: r.rejected,
                    error: r.error,
                    line: r.line,
                    duration_us: r.duration_us,
                })
                .collect(),
        })
    }

    /// The event-hook runs of stored script `id`, newest first.
    pub async fn hook_runs(&self, p: &Principal, id: i64, q: &ListQuery) -> AppResult<Paged<HookRun>> {
        require_admin(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let mut db = self.store().read().await?;
        db.hook_script(id).await?.ok_or(AppError::NotFound)?;
        let before = page.after.as_ref().map(|c| c.id);
        let rows = db
            .hook_runs_of_script(&HookScript::script_name(id), before, page.limit)
            .await?;
        Ok(paged(rows, &page, |r| by_id(r.id)))
    }
}
