//! API tokens: random secrets shown once, stored as SHA-256, revoked by deletion.
use crate::auth::{new_token_secret, token_hash};
use crate::paging::{by_id, page_request, paged};
use crate::{
    App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, commit_with_event, json, require_admin,
};
use api_types::{CreatedToken, ListQuery, NewToken};
use domain::event::{EntityType, EventAction};
use domain::{ApiToken, Principal, Role};
use store::time::now;

impl App {
    pub async fn create_token(&self, p: &Principal, meta: &RequestMeta, input: NewToken) -> AppResult<CreatedToken> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            fields.add("name", "must be 1 to 200 characters");
        }
        match (input.role, input.end_user_id) {
            (Role::EndUser, None) => fields.add("end_user_id", "is required for an end_user token"),
            (Role::Admin | Role::Agent, Some(_)) => fields.add("end_user_id", "is only for end_user tokens"),
            _ => {}
        }
        fields.finish()?;
        let mut tx = self.store().write().await?;
        if let Some(uid) = input.end_user_id
            && tx.end_user(uid).await?.filter(|u| u.deleted_at.is_none()).is_none()
        {
            return Err(AppError::field("end_user_id", "no such end user"));
        }
        let created_by = match p {
            Principal::Staff { id, .. } => Some(*id),
            _ => None,
        };
        let secret = new_token_secret();
        let token = tx
            .insert_token(
                &ApiToken {
                    id: 0,
                    name,
                    role: input.role,
                    end_user_id: input.end_user_id,
                    created_by,
                    created_at: now(),
                },
                &token_hash(&secret),
            )
            .await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Created,
                Subject(EntityType::Token, token.id, None),
                None,
                json(&token),
                serde_json::Value::Null,
            ),
        )
        .await?;
        Ok(CreatedToken {
            id: token.id,
            name: token.name,
            role: token.role,
            end_user_id: token.end_user_id,
            token: secret,
        })
    }

    pub async fn list_tokens(&self, p: &Principal, q: &ListQuery) -> AppResult<Paged<ApiToken>> {
        require_admin(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self.store().read().await?.token_list(&page).await?;
        Ok(paged(rows, &page, |t| by_id(t.id)))
    }

    /// The tokens acting as end user `id` (admin); 404 if there is no such end user.
    pub async fn list_end_user_tokens(&self, p: &Principal, id: i64, q: &ListQuery) -> AppResult<Paged<ApiToken>> {
        require_admin(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let mut db = self.store().read().await?;
        if db.end_user(id).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let rows = db.end_user_token_list(id, &page).await?;
        Ok(paged(rows, &page, |t| by_id(t.id)))
    }

    pub async fn delete_token(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<()> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.token(id).await?.ok_or(AppError::NotFound)?;
        tx.delete_token(id).await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Deleted,
                Subject(EntityType::Token, id, None),
                None,
                serde_json::Value::Null,
                json(&old),
            ),
        )
        .await?;
        Ok(())
    }
}
