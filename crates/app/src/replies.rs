//! Replies to tickets (SPEC §3.2): adding one moves the ticket's status and read flags; staff edit and
//! delete them. Each use case writes the reply, the ticket's new state and their events in one transaction.
use crate::attachments::{NewFile, check_files, store_files};
use crate::paging::{by_id, page_request, paged};
use crate::tickets::{author, check_message, side, visible};
use crate::{
    App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, commit_with_event, json, require_staff,
};
use api_types::{ListQuery, NewReply, ReplyPatch};
use domain::event::{EntityType, EventAction};
use domain::ticket::ReplyRefused;
use domain::{HookPoint, Principal, Reply};
use serde_json::json;
use store::time::now;

impl App {
    /// Adds a message. A customer's puts the ticket back in the staff queue, a staff member's hands it to the
    /// customer, an internal note changes neither.
    pub async fn reply_to_ticket(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        input: NewReply,
    ) -> AppResult<Reply> {
        self.reply_with_files(p, meta, id, input, Vec::new()).await
    }

    /// Adds a message with files (SPEC §10): the reply and its attachments in one transaction, each file
    /// under a safe name.
    pub async fn reply_with_files(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        input: NewReply,
        files: Vec<NewFile>,
    ) -> AppResult<Reply> {
        let mut fields = Fields::default();
        check_message(&mut fields, "message", &input.message);
        check_files(&mut fields, &files);
        let internal = input.internal.unwrap_or(false);
        if internal && !p.is_staff() {
            fields.add("internal", "only staff may write internal notes");
        }
        fields.finish()?;
        let side = side(p);
        let point = HookPoint::reply_validation(side);
        if self.hooks().has(point) {
            // WiseCP's reply hooks see `{request: <ticket>, reply: <reply>}`; read outside the write.
            let ticket = self
                .store()
                .read()
                .await?
                .ticket(id)
                .await?
                .filter(|t| visible(p, t))
                .ok_or(AppError::NotFound)?;
            let (user_id, admin) = author(p);
            let reply = serde_json::json!({
                "owner_id": id,
                "user_id": user_id,
                "admin": admin,
                "name": p.display_name(),
                "message": input.message,
                "internal": internal,
            });
            self.validate_with_hooks(point, || serde_json::json!({"request": json(&ticket), "reply": reply}))
                .await?;
        }
        let change = Change { principal: p, meta };
        let mut tx = self.store().write().await?;
        let old = tx
            .ticket_for_update(id)
            .await?
            .filter(|t| visible(p, t))
            .ok_or(AppError::NotFound)?;
        let effect = old.reply_effect(side, internal).map_err(|e| match e {
            ReplyRefused::Locked => AppError::TicketLocked,
            ReplyRefused::InternalByCustomer => AppError::field("internal", "only staff may write internal notes"),
        })?;
        let at = now();
        let (user_id, admin) = author(p);
        let mut reply = tx
            .insert_reply(&Reply {
                id: 0,
                owner_id: id,
                user_id,
                admin,
                name: p.display_name().to_owned(),
                encrypted: false,
                message: input.message,
                ctime: at,
                ip: meta.ip.clone(),
                internal,
                attachments: Vec::new(),
            })
            .await?;
        reply.attachments = store_files(&mut *tx, &reply, files, at).await?;
        write_reply_effect(&mut *tx, &change, &old, reply.clone(), effect, side, at).await?;
        tx.commit().await?;
        Ok(reply)
    }

    /// A page of a ticket's replies, oldest first (internal notes for staff only).
    pub async fn list_replies(&self, p: &Principal, ticket_id: i64, q: &ListQuery) -> AppResult<Paged<Reply>> {
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let mut db = self.store().read().await?;
        db.ticket(ticket_id)
            .await?
            .filter(|t| visible(p, t))
            .ok_or(AppError::NotFound)?;
        let rows = db.reply_page(ticket_id, p.is_staff(), &page).await?;
        Ok(paged(rows, &page, |r| by_id(r.id)))
    }

    /// Edits a reply's text (staff).
    pub async fn update_reply(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        ticket_id: i64,
        reply_id: i64,
        patch: ReplyPatch,
    ) -> AppResult<Reply> {
        require_staff(p)?;
        let mut fields = Fields::default();
        check_message(&mut fields, "message", &patch.message);
        fields.finish()?;
        let mut tx = self.store().write().await?;
        let ticket = tx.ticket_for_update(ticket_id).await?.ok_or(AppError::NotFound)?;
        let old = tx
            .reply(reply_id)
            .await?
            .filter(|r| r.owner_id == ticket_id)
            .ok_or(AppError::NotFound)?;
        let reply = Reply {
            message: patch.message,
            ..old.clone()
        };
        if reply == old {
            return Ok(old);
        }
        tx.update_reply(&reply).await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Updated,
                Subject(EntityType::Reply, reply.id, Some(ticket.customer_id)),
                Some(HookPoint::TicketReplyModified),
                json!({ "request": ticket, "reply": reply }),
                json!({ "request": ticket, "reply": old }),
            ),
        )
        .await?;
        Ok(reply)
    }

    pub async fn delete_reply(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        ticket_id: i64,
        reply_id: i64,
    ) -> AppResult<()> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let ticket = tx.ticket_for_update(ticket_id).await?.ok_or(AppError::NotFound)?;
        let old = tx
            .reply(reply_id)
            .await?
            .filter(|r| r.owner_id == ticket_id)
            .ok_or(AppError::NotFound)?;
        tx.delete_reply(reply_id).await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Deleted,
                Subject(EntityType::Reply, reply_id, Some(ticket.customer_id)),
                Some(HookPoint::TicketReplyDeleted),
                serde_json::Value::Null,
                json!({ "request": ticket, "reply": old }),
            ),
        )
        .await?;
        Ok(())
    }
}

/// After a reply is inserted: the ticket's new status, read flags and last-reply time, the reply's event
/// (its hook name when it is not internal) and the ticket's, on `tx`. Gives the ticket as it is now.
pub(crate) async fn write_reply_effect(
    tx: &mut dyn store::Writer,
    change: &Change<'_>,
    old: &domain::Ticket,
    reply: Reply,
    effect: domain::ticket::ReplyEffect,
    side: domain::Side,
    at: domain::Timestamp,
) -> AppResult<domain::Ticket> {
    let internal = reply.internal;
    let mut t = old.clone();
    if !internal {
        t.lastreply = at;
    }
    t.status = effect.status;
    t.read_by_customer = effect.read_by_customer;
    t.read_by_staff = effect.read_by_staff;
    t.updated_at = at;
    tx.update_ticket(&t).await?;
    let name = if internal {
        None
    } else {
        Some(HookPoint::ticket_replied(side))
    };
    tx.insert_event(&change.event(
        EventAction::Created,
        Subject(EntityType::Reply, reply.id, Some(t.customer_id)),
        name,
        json!({ "request": t, "reply": reply }),
        serde_json::Value::Null,
    ))
    .await?;
    let status_name = (t.status != old.status).then_some(HookPoint::TicketStatusChange);
    tx.insert_event(&change.event(
        EventAction::Updated,
        Subject(EntityType::Ticket, t.id, Some(t.customer_id)),
        status_name,
        crate::json(&t),
        crate::json(old),
    ))
    .await?;
    Ok(t)
}
