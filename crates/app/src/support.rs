//! Support levels (SPEC §5.4): staff read them, admins change them; contracts name them.
use crate::paging::{by_id, page_request, paged};
use crate::{
    App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, check_name, commit_with_event, json,
    require_admin, require_staff,
};
use api_types::{ListQuery, NewSupportLevel, SupportLevelPatch};
use domain::Principal;
use domain::billing::SupportLevel;
use domain::billing::support::MAX_FIRST_RESPONSE_MINUTES;
use domain::event::{EntityType, EventAction};
use store::time::now;

fn check_minutes(fields: &mut Fields, minutes: Option<u32>) -> Option<u32> {
    if minutes.is_some_and(|m| m == 0 || m > MAX_FIRST_RESPONSE_MINUTES) {
        fields.add(
            "max_first_response_minutes",
            format!("must be 1 to {MAX_FIRST_RESPONSE_MINUTES}"),
        );
    }
    minutes
}

impl App {
    pub async fn create_support_level(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        input: NewSupportLevel,
    ) -> AppResult<SupportLevel> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let name = check_name(&mut fields, &input.name);
        let minutes = check_minutes(&mut fields, input.max_first_response_minutes);
        fields.finish()?;
        let at = now();
        let mut tx = self.store().write().await?;
        let level = tx
            .insert_support_level(&SupportLevel {
                id: 0,
                name,
                description: input.description.unwrap_or_default(),
                max_first_response_minutes: minutes,
                created_at: at,
                updated_at: at,
            })
            .await?;
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Created,
            Subject(EntityType::SupportLevel, level.id, None),
            None,
            json(&level),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        Ok(level)
    }

    pub async fn get_support_level(&self, p: &Principal, id: i64) -> AppResult<SupportLevel> {
        require_staff(p)?;
        self.store()
            .read()
            .await?
            .support_level(id)
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn list_support_levels(&self, p: &Principal, q: &ListQuery) -> AppResult<Paged<SupportLevel>> {
        require_staff(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self.store().read().await?.support_level_list(&page).await?;
        Ok(paged(rows, &page, |l| by_id(l.id)))
    }

    pub async fn update_support_level(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: SupportLevelPatch,
    ) -> AppResult<SupportLevel> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.support_level(id).await?.ok_or(AppError::NotFound)?;
        let mut level = old.clone();
        let mut fields = Fields::default();
        if let Some(name) = &patch.name {
            level.name = check_name(&mut fields, name);
        }
        if let Some(d) = patch.description {
            level.description = d;
        }
        if let Some(minutes) = patch.max_first_response_minutes {
            level.max_first_response_minutes = check_minutes(&mut fields, minutes);
        }
        fields.finish()?;
        if level == old {
            return Ok(old);
        }
        level.updated_at = now();
        tx.update_support_level(&level).await?;
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Updated,
            Subject(EntityType::SupportLevel, id, None),
            None,
            json(&level),
            json(&old),
        );
        commit_with_event(tx, event).await?;
        Ok(level)
    }
}
