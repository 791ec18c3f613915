//! Support contracts and per-incident support (SPEC §5.4, Eventum's model): staff keep a customer's
//! contracts, and redeem a ticket as an incident of a type, which uses one of the contract's incidents of
//! that type; the package feature `support_incidents` tops a contract up each billing period.
use crate::paging::{by_id, page_request, paged};
use crate::{
    App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, commit_with_event, json, require_staff,
};
use api_types::{ContractPatch, ContractQuery, IncidentInput, NewContract, RedeemIncidents, TicketIncidents};
use domain::billing::catalogue::SUPPORT_INCIDENTS;
use domain::billing::contract::{check_count, incident_type, usage};
use domain::billing::{Contract, ContractStatus, IncidentCount, Package, Subscription, TicketIncident};
use domain::event::{EntityType, EventAction};
use domain::{HookPoint, Principal, Timestamp};
use jiff::civil::Date;
use jiff::tz::Offset;
use std::collections::BTreeMap;
use store::Writer;
use store::time::now;

/// The incident type the `support_incidents` package feature tops up.
pub(crate) const TOP_UP_TYPE: &str = "support_incidents";

fn day(t: Timestamp) -> Date {
    Offset::UTC.to_datetime(t).date()
}

fn parse_date(fields: &mut Fields, field: &str, text: &str) -> Option<Date> {
    text.trim()
        .parse::<Date>()
        .map_err(|_| fields.add(field, "must be a date, YYYY-MM-DD"))
        .ok()
}

fn parse_status(fields: &mut Fields, text: &str) -> Option<ContractStatus> {
    text.parse()
        .map_err(|_| fields.add("status", "must be active, expired or cancelled"))
        .ok()
}

/// Checked incident counts; `before` gives the `used` of a type whose input leaves it out.
fn parse_incidents(
    fields: &mut Fields,
    input: BTreeMap<String, IncidentInput>,
    before: &BTreeMap<String, IncidentCount>,
) -> BTreeMap<String, IncidentCount> {
    let mut out = BTreeMap::new();
    for (name, count) in input {
        let field = format!("incidents.{name}");
        let Ok(kind) = incident_type(&name).map_err(|e| fields.add(&field, e)) else {
            continue;
        };
        let used = count.used.unwrap_or_else(|| before.get(&kind).map_or(0, |c| c.used));
        match check_count(IncidentCount {
            total: count.total,
            used,
        }) {
            Ok(c) => {
                out.insert(kind, c);
            }
            Err(e) => fields.add(&field, e),
        }
    }
    out
}

impl App {
    pub async fn create_contract(&self, p: &Principal, meta: &RequestMeta, input: NewContract) -> AppResult<Contract> {
        require_staff(p)?;
        let mut fields = Fields::default();
        let status = input
            .status
            .as_deref()
            .map_or(Some(ContractStatus::Active), |s| parse_status(&mut fields, s));
        let start = parse_date(&mut fields, "start", &input.start);
        let end = parse_date(&mut fields, "end", &input.end);
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            fields.add("end", "must not be before start");
        }
        let incidents = parse_incidents(&mut fields, input.incidents.unwrap_or_default(), &BTreeMap::new());
        fields.finish()?;
        let (Some(status), Some(start), Some(end)) = (status, start, end) else {
            return Err(AppError::Internal("a checked contract lost a field".into()));
        };
        let mut tx = self.store().write().await?;
        let customer = tx.customer(input.customer_id).await?;
        if customer.is_none_or(|c| c.deleted_at.is_some()) {
            return Err(AppError::field("customer_id", "no such customer"));
        }
        check_level(&mut tx, input.support_level_id).await?;
        let at = now();
        let contract = tx
            .insert_contract(&Contract {
                id: 0,
                customer_id: input.customer_id,
                status,
                start,
                end,
                support_level_id: input.support_level_id,
                incidents,
                created_at: at,
                updated_at: at,
            })
            .await?;
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Created,
            Subject(EntityType::Contract, contract.id, Some(contract.customer_id)),
            None,
            json(&contract),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        Ok(contract)
    }

    pub async fn get_contract(&self, p: &Principal, id: i64) -> AppResult<Contract> {
        require_staff(p)?;
        self.store().read().await?.contract(id).await?.ok_or(AppError::NotFound)
    }

    pub async fn list_contracts(&self, p: &Principal, q: &ContractQuery) -> AppResult<Paged<Contract>> {
        require_staff(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let mut r = self.store().read().await?;
        if let Some(customer) = q.customer_id
            && r.customer(customer).await?.is_none()
        {
            return Err(AppError::NotFound);
        }
        let rows = r.contract_list(q.customer_id, &page).await?;
        Ok(paged(rows, &page, |c| by_id(c.id)))
    }

    pub async fn update_contract(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: ContractPatch,
    ) -> AppResult<Contract> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.contract(id).await?.ok_or(AppError::NotFound)?;
        let mut contract = old.clone();
        let mut fields = Fields::default();
        if let Some(s) = &patch.status
            && let Some(status) = parse_status(&mut fields, s)
        {
            contract.status = status;
        }
        if let Some(start) = patch.start.as_deref().and_then(|s| parse_date(&mut fields, "start", s)) {
            contract.start = start;
        }
        if let Some(end) = patch.end.as_deref().and_then(|s| parse_date(&mut fields, "end", s)) {
            contract.end = end;
        }
        if contract.end < contract.start {
            fields.add("end", "must not be before start");
        }
        let counts_given = patch.incidents.is_some();
        if let Some(incidents) = patch.incidents {
            contract.incidents = parse_incidents(&mut fields, incidents, &old.incidents);
        }
        fields.finish()?;
        if let Some(level) = patch.support_level_id {
            check_level(&mut tx, level).await?;
            contract.support_level_id = level;
        }
        if contract == old {
            return Ok(old);
        }
        contract.updated_at = now();
        tx.update_contract(&contract).await?;
        if counts_given {
            tx.set_incident_counts(&contract).await?;
        }
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Updated,
            Subject(EntityType::Contract, id, Some(contract.customer_id)),
            None,
            json(&contract),
            json(&old),
        );
        commit_with_event(tx, event).await?;
        Ok(contract)
    }

    /// The incident types of the ticket's customer's contract, as the ticket sees them.
    pub async fn ticket_incidents(&self, p: &Principal, ticket_id: i64) -> AppResult<TicketIncidents> {
        require_staff(p)?;
        let mut r = self.store().read().await?;
        let ticket = r.ticket(ticket_id).await?.ok_or(AppError::NotFound)?;
        let redeemed = r.ticket_incidents(ticket_id).await?;
        let contract = match redeemed.first() {
            // The contract the ticket redeemed from, even if it has ended since.
            Some(first) => r.contract(first.contract_id).await?,
            None => r.incident_contract(ticket.customer_id, day(now())).await?,
        };
        Ok(TicketIncidents {
            contract_id: contract.as_ref().map(|c| c.id),
            data: contract.map(|c| usage(&c, &redeemed)).unwrap_or_default(),
        })
    }

    /// Redeems one incident of each type for the ticket, all or none: 409 `no_incidents_left` when a type
    /// has none left, 409 `conflict` when the ticket redeemed a type already or the customer has no
    /// per-incident contract.
    pub async fn redeem_incidents(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        ticket_id: i64,
        input: RedeemIncidents,
    ) -> AppResult<TicketIncidents> {
        require_staff(p)?;
        let mut fields = Fields::default();
        let mut types: Vec<String> = Vec::new();
        for (n, name) in input.types.iter().enumerate() {
            match incident_type(name) {
                Ok(t) if !types.contains(&t) => types.push(t),
                Ok(_) => fields.add(&format!("types[{n}]"), "named twice"),
                Err(e) => fields.add(&format!("types[{n}]"), e),
            }
        }
        if input.types.is_empty() {
            fields.add("types", "name at least one incident type");
        }
        fields.finish()?;
        let mut tx = self.store().write().await?;
        let old = tx.ticket_for_update(ticket_id).await?.ok_or(AppError::NotFound)?;
        let redeemed = tx.ticket_incidents(ticket_id).await?;
        if let Some(again) = types.iter().find(|t| redeemed.iter().any(|r| &r.kind == *t)) {
            return Err(AppError::Conflict(format!(
                "an incident of type {again} is redeemed on this ticket already"
            )));
        }
        let at = now();
        let contract = tx
            .incident_contract(old.customer_id, day(at))
            .await?
            .ok_or_else(|| AppError::Conflict("the customer has no per-incident support contract".into()))?;
        for (n, kind) in types.iter().enumerate() {
            if !contract.incidents.contains_key(kind) {
                return Err(AppError::field(
                    &format!("types[{n}]"),
                    format!("contract {} has no incidents of type {kind}", contract.id),
                ));
            }
            if !tx.use_incident(contract.id, kind).await? {
                return Err(AppError::NoIncidentsLeft(format!(
                    "contract {} has no incidents of type {kind} left",
                    contract.id
                )));
            }
            tx.insert_ticket_incident(&TicketIncident {
                id: 0,
                ticket_id,
                contract_id: contract.id,
                kind: kind.clone(),
                created_at: at,
            })
            .await?;
        }
        let mut ticket = old.clone();
        ticket.redeemed.extend(types.iter().cloned());
        ticket.updated_at = at;
        tx.update_ticket(&ticket).await?;
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Updated,
            Subject(EntityType::Ticket, ticket_id, Some(ticket.customer_id)),
            Some(HookPoint::IncidentRedeemed),
            json(&serde_json::json!({"ticket_id": ticket_id, "contract_id": contract.id, "types": types})),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        self.ticket_incidents(p, ticket_id).await
    }

    /// Gives back the incident of `kind` the ticket redeemed (404 when it redeemed none).
    pub async fn unredeem_incident(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        ticket_id: i64,
        kind: &str,
    ) -> AppResult<TicketIncidents> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.ticket_for_update(ticket_id).await?.ok_or(AppError::NotFound)?;
        let incident = tx
            .ticket_incidents(ticket_id)
            .await?
            .into_iter()
            .find(|i| i.kind == kind)
            .ok_or(AppError::NotFound)?;
        tx.delete_ticket_incident(incident.id).await?;
        tx.return_incident(incident.contract_id, kind).await?;
        let mut ticket = old.clone();
        ticket.redeemed.retain(|t| t != kind);
        ticket.updated_at = now();
        tx.update_ticket(&ticket).await?;
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Updated,
            Subject(EntityType::Ticket, ticket_id, Some(ticket.customer_id)),
            Some(HookPoint::IncidentUnredeemed),
            json(&serde_json::json!({"ticket_id": ticket_id, "contract_id": incident.contract_id, "types": [kind]})),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        self.ticket_incidents(p, ticket_id).await
    }
}

async fn check_level(tx: &mut Box<dyn Writer>, level: Option<i64>) -> AppResult<()> {
    if let Some(id) = level
        && tx.support_level(id).await?.is_none()
    {
        return Err(AppError::field("support_level_id", "no such support level"));
    }
    Ok(())
}

/// The incidents per period that `package` sells through its `support_incidents` feature, if it does.
pub(crate) async fn incidents_per_period(tx: &mut Box<dyn Writer>, package: &Package) -> AppResult<Option<i64>> {
    for f in &package.features {
        let Some(quantity) = f.quantity.filter(|q| *q > 0) else {
            continue;
        };
        let feature = tx.feature(f.feature_id).await?;
        if feature.is_some_and(|f| f.unique_key.as_deref() == Some(SUPPORT_INCIDENTS)) {
            return Ok(Some(quantity));
        }
    }
    Ok(None)
}

/// Tops up the per-incident contract of `s`'s customer for the period `[start, end)` with the `support_incidents`
/// feature of `s`'s package (`incidents` per period): the contract covering the period's first day gets
/// that many more incidents of type [`TOP_UP_TYPE`] and is extended to the period's last day; a customer
/// without one gets a contract for the period. Incidents carry over: a top-up adds to what is left.
pub(crate) async fn top_up(
    tx: &mut Box<dyn Writer>,
    change: &Change<'_>,
    incidents: i64,
    s: &Subscription,
    start: Timestamp,
    end: Timestamp,
) -> AppResult<()> {
    // A period ends during its last day (the next begins that day): the contract covers that day too, and
    // the next period's top-up finds it.
    let (first, last) = (day(start), day(end));
    let at = now();
    match tx.incident_contract(s.customer_id, first).await? {
        Some(before) => {
            tx.add_incidents(before.id, TOP_UP_TYPE, incidents).await?;
            let mut after = before.clone();
            let count = after.incidents.entry(TOP_UP_TYPE.to_owned()).or_default();
            count.total += incidents;
            after.end = after.end.max(last);
            after.updated_at = at;
            tx.update_contract(&after).await?;
            let event = change.event(
                EventAction::Updated,
                Subject(EntityType::Contract, before.id, Some(s.customer_id)),
                None,
                json(&after),
                json(&before),
            );
            tx.insert_event(&event).await?;
        }
        None => {
            let contract = tx
                .insert_contract(&Contract {
                    id: 0,
                    customer_id: s.customer_id,
                    status: ContractStatus::Active,
                    start: first,
                    end: last,
                    support_level_id: None,
                    incidents: BTreeMap::from([(
                        TOP_UP_TYPE.to_owned(),
                        IncidentCount {
                            total: incidents,
                            used: 0,
                        },
                    )]),
                    created_at: at,
                    updated_at: at,
                })
                .await?;
            let event = change.event(
                EventAction::Created,
                Subject(EntityType::Contract, contract.id, Some(s.customer_id)),
                None,
                json(&contract),
                serde_json::Value::Null,
            );
            tx.insert_event(&event).await?;
        }
    }
    Ok(())
}
