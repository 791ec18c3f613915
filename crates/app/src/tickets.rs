//! Tickets (SPEC §3.2): opening, reading, listing, changing and deleting them; replies are in `replies`.
use crate::paging::{page_request, paged};
use crate::service::check_service;
use crate::{App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, clean, commit_with_event, json};
use api_types::{NewTicket, TicketPatch, TicketQuery};
use domain::event::{EntityType, EventAction};
use domain::{
    Cursor, Department, Email, EndUser, HookPoint, Principal, Priority, Reply, Side, Ticket, TicketStatus, Timestamp,
    Title, search_terms,
};
use store::time::{now, to_micros};
use store::{AssignedFilter, Reader, StoreError, TicketFilter, TicketSort, UniqueKey, Writer};

/// Longest message accepted; the request body limit (1 MiB) is the outer bound.
const MAX_MESSAGE_BYTES: usize = 512 * 1024;

pub(crate) fn side(p: &Principal) -> Side {
    if p.is_staff() { Side::Staff } else { Side::Customer }
}

pub(crate) fn check_message(fields: &mut Fields, field: &str, message: &str) {
    if message.trim().is_empty() {
        fields.add(field, "must not be empty");
    } else if message.len() > MAX_MESSAGE_BYTES {
        fields.add(field, "must be at most 512 KiB");
    } else if let Err(e) = domain::control::check_text(message, domain::control::TextKind::MultiLine) {
        fields.add(field, e);
    }
}

/// The ticket `id` if `p` may see it; 404 otherwise.
pub(crate) async fn visible_ticket(db: &mut dyn Reader, p: &Principal, id: i64) -> AppResult<Ticket> {
    db.ticket(id).await?.filter(|t| visible(p, t)).ok_or(AppError::NotFound)
}

/// Whether `p` may see `t`: staff see every ticket, end users their own customer's.
pub(crate) fn visible(p: &Principal, t: &Ticket) -> bool {
    p.customer_scope().is_none_or(|c| c == t.customer_id)
}

/// The author fields of a reply written by `p`: WiseCP's `user_id` is the end user's or staff member's
/// id; for an integration token it is the token's id.
pub(crate) fn author(p: &Principal) -> (i64, bool) {
    match p {
        Principal::Staff { id, .. } => (*id, true),
        Principal::Integration { token_id, .. } => (*token_id, true),
        Principal::EndUser { id, .. } => (*id, false),
        Principal::System => (0, true),
    }
}

/// Opening a ticket, step 1: the input's own rules, every bad field named in one answer. Gives the title and,
/// when staff name the requester by address, that address.
fn check_new_ticket(side: Side, input: &NewTicket) -> AppResult<(Title, Option<Email>)> {
    let mut fields = Fields::default();
    let title = fields.check("title", Title::parse(&input.title));
    check_message(&mut fields, "message", &input.message);
    if side == Side::Customer {
        for (field, given) in [
            ("customer_id", input.customer_id.is_some()),
            ("email", input.email.is_some()),
            ("assigned", input.assigned.is_some()),
            ("account_key", input.account_key.is_some()),
            ("callid", input.callid.is_some()),
        ] {
            if given {
                fields.add(field, "may only be given by staff");
            }
        }
    }
    let email = match clean(input.email.clone()) {
        Some(e) => fields.check("email", Email::parse(&e)),
        None => None,
    };
    fields.finish()?;
    let title = title.ok_or_else(|| AppError::Internal("title checked above".into()))?;
    Ok((title, email))
}

/// Step 2: the department the ticket opens in. Staff may use any, end users only a public one; anything else
/// is refused at once, naming `did`.
async fn opening_department(db: &mut dyn Reader, side: Side, did: i64) -> AppResult<Department> {
    db.department(did)
        .await?
        .filter(|d| side == Side::Staff || d.public)
        .ok_or_else(|| AppError::field("did", "no such department"))
}

/// Step 3a: the requester as far as the request names an existing one: an end user opens tickets as
/// themselves; staff may name one by `user_id`, which must belong to the `customer_id` if they give both.
/// `None` when staff name the requester by customer and address instead (resolved in [`App::requester`]).
async fn named_requester(
    db: &mut dyn Reader,
    p: &Principal,
    input: &NewTicket,
    fields: &mut Fields,
) -> AppResult<Option<EndUser>> {
    if let Principal::EndUser { id, .. } = p {
        if input.user_id.is_some_and(|u| u != *id) {
            fields.add("user_id", "an end user opens tickets as themselves");
        }
        return Ok(db.end_user(*id).await?);
    }
    let Some(user_id) = input.user_id else {
        return Ok(None);
    };
    let user = db.end_user(user_id).await?.filter(|u| u.deleted_at.is_none());
    match &user {
        None => fields.add("user_id", "no such end user"),
        Some(u) if input.customer_id.is_some_and(|c| c != u.customer_id) => {
            fields.add("customer_id", "does not match the end user's customer")
        }
        Some(_) => {}
    }
    Ok(user)
}

/// Step 3b: the staff member the ticket is assigned to, if any, exists.
async fn check_assignee(db: &mut dyn Reader, assigned: Option<i64>, fields: &mut Fields) -> AppResult<()> {
    if let Some(staff_id) = assigned
        && db.staff(staff_id).await?.is_none()
    {
        fields.add("assigned", "no such staff member");
    }
    Ok(())
}

/// Step 4: the ticket as it opens, in its side's opening state (ids are the store's to give).
fn opened_ticket(
    p: &Principal,
    side: Side,
    did: i64,
    requester: &EndUser,
    title: Title,
    input: NewTicket,
    at: Timestamp,
) -> Ticket {
    let opening = Ticket::opening_state(side);
    let assigned_by = input.assigned.and(match p {
        Principal::Staff { id, .. } => Some(*id),
        _ => None,
    });
    Ticket {
        id: 0,
        did,
        user_id: requester.id,
        customer_id: requester.customer_id,
        status: opening.status,
        locked: false,
        priority: input.priority.unwrap_or(Priority::MEDIUM),
        title: title.into_inner(),
        ctime: at,
        lastreply: at,
        read_by_customer: opening.read_by_customer,
        read_by_staff: opening.read_by_staff,
        service: input.service,
        assigned: input.assigned,
        assigned_by,
        custom_fields: input.custom_fields.unwrap_or_default(),
        redeemed: vec![],
        account_key: clean(input.account_key),
        callid: clean(input.callid),
        updated_at: at,
        replies: None,
    }
}

/// The opening message, written by `p`, as the ticket's first reply.
fn first_reply(p: &Principal, meta: &RequestMeta, message: String, at: Timestamp) -> Reply {
    let (user_id, admin) = author(p);
    Reply {
        id: 0,
        owner_id: 0,
        user_id,
        admin,
        name: p.display_name().to_owned(),
        encrypted: false,
        message,
        ctime: at,
        ip: meta.ip.clone(),
        internal: false,
        attachments: Vec::new(),
    }
}

/// Step 5: writes the ticket and its first reply, then the `Ticket…Created` event, and commits.
async fn write_opened_ticket(
    mut tx: Box<dyn Writer>,
    change: &Change<'_>,
    side: Side,
    ticket: Ticket,
    first: Reply,
    call: Option<i64>,
) -> AppResult<Ticket> {
    let ticket = tx.insert_ticket(&ticket).await?;
    if let Some(call) = call {
        tx.set_call_ticket(call, ticket.id).await?;
    }
    let first = tx
        .insert_reply(&Reply {
            owner_id: ticket.id,
            ..first
        })
        .await?;
    let ticket = Ticket {
        replies: Some(vec![first]),
        ..ticket
    };
    commit_with_event(
        tx,
        change.event(
            EventAction::Created,
            Subject(EntityType::Ticket, ticket.id, Some(ticket.customer_id)),
            Some(HookPoint::ticket_created(side)),
            json(&ticket),
            serde_json::Value::Null,
        ),
    )
    .await?;
    Ok(ticket)
}

/// Why resolving a new ticket's requester failed: a refusal to answer with, or a lost race to create the
/// same new end user (another request inserted it after this one looked), which is worth one retry.
enum RequesterError {
    Refused(AppError),
    EmailTaken,
}

impl From<AppError> for RequesterError {
    fn from(e: AppError) -> Self {
        Self::Refused(e)
    }
}

impl From<StoreError> for RequesterError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unique(UniqueKey::EndUserEmail) => Self::EmailTaken,
            other => Self::Refused(other.into()),
        }
    }
}

impl App {
    /// Opens a ticket; its message becomes the first reply.
    pub async fn create_ticket(&self, p: &Principal, meta: &RequestMeta, mut input: NewTicket) -> AppResult<Ticket> {
        let side = side(p);
        let (title, email) = check_new_ticket(side, &input)?;
        self.validate_with_hooks(HookPoint::create_validation(side), || json(&input))
            .await?;

        // References are checked on a read connection, so that the writer's turn is spent on writing; the
        // foreign keys still refuse a department, person or assignee deleted in between.
        let mut db = self.store().read().await?;
        let department = opening_department(&mut *db, side, input.did).await?;
        let mut fields = Fields::default();
        let named = named_requester(&mut *db, p, &input, &mut fields).await?;
        check_assignee(&mut *db, input.assigned, &mut fields).await?;
        // A ticket opened from a telephony call names the call the screen pop recorded for its brand.
        let call = match input.callid.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(callid) => {
                let call = db.call_by_callid(department.brand_id, callid).await?;
                if call.is_none() {
                    fields.add(
                        "callid",
                        "no call with this callid was recorded for the department's brand",
                    );
                }
                call
            }
            None => None,
        };
        drop(db);

        let change = Change { principal: p, meta };
        // A concurrent request may create the same new requester between the lookup and the insert. The
        // loser's transaction is spoiled (PostgreSQL aborts it on the unique violation), so it retries once
        // on a fresh one, whose lookup finds the end user that won.
        let mut retried = false;
        let (tx, requester) = loop {
            let mut tx = self.store().write().await?;
            let resolved = self
                .requester(&mut *tx, &change, &input, named.clone(), email.clone(), fields.clone())
                .await;
            match resolved {
                Ok(requester) => break (tx, requester),
                Err(RequesterError::EmailTaken) if !retried => retried = true,
                Err(RequesterError::EmailTaken) => return Err(StoreError::Unique(UniqueKey::EndUserEmail).into()),
                Err(RequesterError::Refused(e)) => return Err(e),
            }
        };
        let (mut tx, requester) = (tx, requester);
        check_service(&mut *tx, input.service, requester.customer_id).await?;
        let at = now();
        let message = std::mem::take(&mut input.message);
        let ticket = opened_ticket(p, side, department.id, &requester, title, input, at);
        let first = first_reply(p, meta, message, at);
        write_opened_ticket(tx, &change, side, ticket, first, call.map(|c| c.id)).await
    }

    /// Step 3c, on the write transaction: the requester named before, or (staff without a `user_id`) the one
    /// found or created by customer and address. Refuses the request with every field error collected so far.
    async fn requester(
        &self,
        tx: &mut dyn Writer,
        change: &Change<'_>,
        input: &NewTicket,
        named: Option<EndUser>,
        email: Option<Email>,
        mut fields: Fields,
    ) -> Result<EndUser, RequesterError> {
        let requester = match named {
            Some(user) => Some(user),
            None if side(change.principal) == Side::Staff && input.user_id.is_none() => {
                self.find_or_create_requester(tx, change, input, email, &mut fields)
                    .await?
            }
            None => None,
        };
        fields.finish()?;
        requester.ok_or_else(|| AppError::field("user_id", "no such end user").into())
    }

    /// Staff without a `user_id` name the requester by `customer_id` + `email`: the customer's end user with
    /// that address, created if there is none.
    async fn find_or_create_requester(
        &self,
        tx: &mut dyn Writer,
        change: &Change<'_>,
        input: &NewTicket,
        email: Option<Email>,
        fields: &mut Fields,
    ) -> Result<Option<EndUser>, RequesterError> {
        let (Some(customer_id), Some(email)) = (input.customer_id, email) else {
            fields.add("user_id", "give user_id, or customer_id and email of the requester");
            return Ok(None);
        };
        if tx
            .customer(customer_id)
            .await?
            .filter(|c| c.deleted_at.is_none())
            .is_none()
        {
            fields.add("customer_id", "no such customer");
            return Ok(None);
        }
        if let Some(existing) = tx.end_user_by_email(customer_id, email.as_str()).await? {
            return Ok(Some(existing));
        }
        let at = now();
        let name = clean(input.name.clone())
            .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or(email.as_str()).to_owned());
        let mut user = EndUser {
            id: 0,
            customer_id,
            name,
            first_name: None,
            last_name: None,
            email: Some(email.as_str().to_owned()),
            phone: None,
            city: None,
            country: None,
            tags: vec![],
            attributes: Default::default(),
            has_password: false,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        // A requester made on the way is held to the end-user attributes like any other (defaults filled
        // in; a required one without a default cannot be made this way).
        let set = crate::attributes::AttributeSet::load(&mut *tx, domain::AttributeEntity::EndUser).await?;
        let before = fields.clone();
        set.apply(&mut user.attributes, Default::default(), true, fields);
        if fields.0.len() != before.0.len() {
            return Ok(None);
        }
        let values = set.index(&user.attributes);
        let mut user = tx.insert_end_user(&user, None, &values).await?;
        set.visible(&mut user.attributes);
        tx.insert_event(&change.event(
            EventAction::Created,
            Subject(EntityType::EndUser, user.id, Some(customer_id)),
            Some(HookPoint::EndUserCreated),
            json(&user),
            serde_json::Value::Null,
        ))
        .await?;
        Ok(Some(user))
    }

    /// A ticket the principal may see, with its replies when asked (internal notes for staff only).
    pub async fn get_ticket(&self, p: &Principal, id: i64, with_replies: bool) -> AppResult<Ticket> {
        let mut db = self.store().read().await?;
        let ticket = visible_ticket(&mut *db, p, id).await?;
        if with_replies {
            let replies = db.reply_list(id, p.is_staff()).await?;
            return Ok(Ticket {
                replies: Some(replies),
                ..ticket
            });
        }
        Ok(ticket)
    }

    pub async fn list_tickets(&self, p: &Principal, q: &TicketQuery) -> AppResult<Paged<Ticket>> {
        let mut fields = Fields::default();
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let mut filter = TicketFilter {
            page,
            search_internal: p.is_staff(),
            ..TicketFilter::default()
        };
        if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
            for part in s.split(',') {
                if let Some(st) = fields.check("status", TicketStatus::parse(part.trim())) {
                    filter.statuses.push(st);
                }
            }
        }
        filter.did = q.did;
        filter.brand = q.brand;
        filter.user_id = q.user_id;
        filter.customer_id = q.customer_id;
        if let Some(a) = q.assigned.as_deref() {
            filter.assigned = match a {
                "none" | "" => Some(AssignedFilter::Nobody),
                id => fields.check(
                    "assigned",
                    id.parse()
                        .map(AssignedFilter::Staff)
                        .map_err(|_| "must be a staff id or none"),
                ),
            };
        }
        if let Some(pr) = q.priority {
            filter.priority = fields.check("priority", Priority::try_from(pr)).map(Priority::get);
        }
        if let Some(l) = q.locked {
            filter.locked = fields.check(
                "locked",
                match l {
                    0 => Ok(false),
                    1 => Ok(true),
                    _ => Err("must be 0 or 1"),
                },
            );
        }
        if let Some(s) = q.sort.as_deref()
            && let Some(sort) = fields.check("sort", TicketSort::parse(s))
        {
            filter.sort = sort;
        }
        if let Some(text) = q.q.as_deref() {
            filter.terms = search_terms(text);
        }
        fields.finish()?;
        if let Some(scope) = p.customer_scope() {
            if filter.customer_id.is_some_and(|c| c != scope) {
                return Ok(Paged {
                    data: vec![],
                    next_cursor: None,
                });
            }
            filter.customer_id = Some(scope);
            filter.search_internal = false;
        }
        let rows = self.store().read().await?.ticket_list(&filter).await?;
        let sort = filter.sort;
        Ok(paged(rows, &filter.page, |t| Cursor {
            key: match sort {
                TicketSort::LastReplyAsc | TicketSort::LastReplyDesc => to_micros(t.lastreply),
                TicketSort::PriorityAsc | TicketSort::PriorityDesc => i64::from(t.priority),
                TicketSort::IdAsc | TicketSort::IdDesc => 0,
            },
            id: t.id,
        }))
    }

    /// Changes ticket fields: staff any of them, an end user only `status: "solved"`.
    pub async fn update_ticket(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: TicketPatch,
    ) -> AppResult<Ticket> {
        let mut fields = Fields::default();
        if !p.is_staff() {
            let TicketPatch {
                status,
                priority,
                did,
                locked,
                assigned,
                service,
                title,
                custom_fields,
                account_key,
            } = &patch;
            let others = [
                ("priority", priority.is_some()),
                ("did", did.is_some()),
                ("locked", locked.is_some()),
                ("assigned", assigned.is_some()),
                ("service", service.is_some()),
                ("title", title.is_some()),
                ("custom_fields", custom_fields.is_some()),
                ("account_key", account_key.is_some()),
            ];
            for (field, given) in others {
                if given {
                    fields.add(field, "end users may only set status to solved");
                }
            }
            if status.is_some_and(|s| s != TicketStatus::Solved) {
                fields.add("status", "end users may only set status to solved");
            }
        }
        let title = patch.title.as_deref().map(|t| fields.check("title", Title::parse(t)));
        fields.finish()?;

        let change = Change { principal: p, meta };
        let mut tx = self.store().write().await?;
        let old = tx
            .ticket_for_update(id)
            .await?
            .filter(|t| visible(p, t))
            .ok_or(AppError::NotFound)?;
        let mut t = old.clone();
        let mut fields = Fields::default();
        if let Some(did) = patch.did {
            if tx.department(did).await?.is_none() {
                fields.add("did", "no such department");
            }
            t.did = did;
        }
        if let Some(assigned) = patch.assigned {
            if let Some(staff_id) = assigned
                && tx.staff(staff_id).await?.is_none()
            {
                fields.add("assigned", "no such staff member");
            }
            if assigned != old.assigned {
                t.assigned = assigned;
                t.assigned_by = match (assigned, p) {
                    (Some(_), Principal::Staff { id, .. }) => Some(*id),
                    _ => None,
                };
            }
        }
        fields.finish()?;
        if let Some(s) = patch.status {
            t.status = s;
        }
        if let Some(pr) = patch.priority {
            t.priority = pr;
        }
        if let Some(l) = patch.locked {
            t.locked = l;
        }
        if let Some(s) = patch.service {
            check_service(&mut *tx, s, t.customer_id).await?;
            t.service = s;
        }
        if let Some(Some(title)) = title {
            t.title = title.into_inner();
        }
        if let Some(cf) = patch.custom_fields {
            t.custom_fields = cf;
        }
        if let Some(k) = patch.account_key {
            t.account_key = clean(k);
        }
        if t == old {
            return Ok(old);
        }
        t.updated_at = now();
        tx.update_ticket(&t).await?;
        let name = if p.is_staff() {
            HookPoint::TicketAdminUpdated
        } else {
            HookPoint::TicketSolved
        };
        commit_with_event(
            tx,
            change.event(
                EventAction::Updated,
                Subject(EntityType::Ticket, t.id, Some(t.customer_id)),
                Some(name),
                json(&t),
                json(&old),
            ),
        )
        .await?;
        Ok(t)
    }

    pub async fn delete_ticket(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<()> {
        crate::require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.ticket_for_update(id).await?.ok_or(AppError::NotFound)?;
        tx.delete_ticket(id).await?;
        // The dashboard's kept figures of the day it was opened count it.
        tx.forget_day_count(crate::dashboard::day_of(old.ctime)).await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Deleted,
                Subject(EntityType::Ticket, id, Some(old.customer_id)),
                Some(HookPoint::TicketDeleted),
                serde_json::Value::Null,
                json(&old),
            ),
        )
        .await?;
        Ok(())
    }

    /// Marks the ticket read for the caller's side.
    pub async fn mark_ticket_read(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<Ticket> {
        let mut tx = self.store().write().await?;
        let old = tx
            .ticket_for_update(id)
            .await?
            .filter(|t| visible(p, t))
            .ok_or(AppError::NotFound)?;
        let mut t = old.clone();
        match side(p) {
            Side::Staff => t.read_by_staff = true,
            Side::Customer => t.read_by_customer = true,
        }
        if t == old {
            return Ok(old);
        }
        t.updated_at = now();
        tx.update_ticket(&t).await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Updated,
                Subject(EntityType::Ticket, id, Some(t.customer_id)),
                None,
                json(&t),
                json(&old),
            ),
        )
        .await?;
        Ok(t)
    }
}
