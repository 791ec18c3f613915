//! The telephony screen pop (SPEC §7.4): a phone system opens the pop in the agent's browser with the
//! brand, the call's id, the caller's number (`ani`) and a case id the caller keyed in. The pop matches the
//! number through the brand's customer backend, loads the case, and records the call with `CallReceived`.
use crate::backends::CustomerBackend;
use crate::{App, AppError, AppResult, Change, RequestMeta, Subject, commit_with_event, json, require_staff};
use domain::account::{Account, AccountCriteria, AccountSummary, caller_key};
use domain::call::Call;
use domain::event::{EntityType, EventAction};
use domain::{Brand, Customer, EndUser, HookPoint, Principal, Ticket};
use std::collections::BTreeSet;
use store::time::now;

/// Accounts, customers or end users a number matches that the pop lists at most.
const MATCHES: u32 = 10;

/// What the phone system sent, as given (`company` and `brand` are checked by the page: SPEC §7.4 answers
/// their absence with a 400 page).
#[derive(Debug, Clone, Default)]
pub struct PopRequest {
    pub brand_id: i64,
    pub callid: String,
    pub ani: String,
    /// A ticket id the caller keyed in.
    pub caseid: Option<String>,
}

/// What the agent sees.
#[derive(Debug, Clone)]
pub struct Pop {
    pub brand: Brand,
    /// The call as recorded.
    pub call: Call,
    /// `local` backends: the customers whose (or whose end users') number ends like the caller's.
    pub customers: Vec<Customer>,
    pub end_users: Vec<EndUser>,
    /// `webcall` backends: the accounts the search by `PrimaryPhone` found.
    pub accounts: Vec<AccountSummary>,
    /// The account loaded: the only one found, or the case's.
    pub account: Option<Account>,
    /// The ticket named by `caseid`, when it is one of this brand's.
    pub ticket: Option<Ticket>,
    /// A `caseid` that named no ticket of this brand.
    pub case_missing: Option<String>,
    /// Why the lookup failed (the backend did not answer): the pop still shows the call.
    pub lookup_error: Option<String>,
}

impl App {
    /// Live customers whose number, or one of whose end users' number, ends with the last digits of
    /// `ani` (none when it has too few digits to name anyone).
    pub(crate) async fn customers_by_caller(&self, ani: &str, limit: u32) -> AppResult<BTreeSet<i64>> {
        let Some(key) = caller_key(ani) else {
            return Ok(BTreeSet::new());
        };
        let mut db = self.store().read().await?;
        let mut ids: BTreeSet<i64> = db.customers_by_phone(&key, limit).await?.iter().map(|c| c.id).collect();
        ids.extend(db.end_users_by_phone(&key, limit).await?.iter().map(|u| u.customer_id));
        Ok(ids)
    }

    /// The screen pop (staff): looks the caller up, loads the case, records the call (with its
    /// `CallReceived` event) and answers what the agent sees. An unknown brand is [`AppError::NotFound`];
    /// a failing backend is not an error of the pop (it is in [`Pop::lookup_error`]).
    pub async fn screen_pop(&self, p: &Principal, meta: &RequestMeta, request: PopRequest) -> AppResult<Pop> {
        require_staff(p)?;
        let brand = self
            .store()
            .read()
            .await?
            .brand(request.brand_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut pop = Pop {
            brand: brand.clone(),
            call: Call {
                id: 0,
                callid: request.callid.trim().to_owned(),
                ani: request.ani.trim().to_owned(),
                brand_id: brand.id,
                customer_id: None,
                end_user_id: None,
                account_key: None,
                ticket_id: None,
                staff_id: match p {
                    Principal::Staff { id, .. } => Some(*id),
                    _ => None,
                },
                lookup_error: None,
                created_at: now(),
            },
            customers: Vec::new(),
            end_users: Vec::new(),
            accounts: Vec::new(),
            account: None,
            ticket: None,
            case_missing: None,
            lookup_error: None,
        };
        if let Some(caseid) = request.caseid.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            pop.ticket = self.ticket_of_brand(caseid, brand.id).await?;
            if pop.ticket.is_none() {
                pop.case_missing = Some(caseid.to_owned());
            }
        }
        match self.backend_of(&brand, p, meta) {
            Ok(backend) => self.look_up_caller(&*backend, &mut pop).await?,
            Err(AppError::BackendUnavailable(m)) => pop.lookup_error = Some(m),
            Err(e) => return Err(e),
        }
        pop.call.customer_id = pop.customers.first().map(|c| c.id).filter(|_| pop.customers.len() == 1);
        pop.call.end_user_id = pop.end_users.first().map(|u| u.id).filter(|_| pop.end_users.len() == 1);
        pop.call.account_key = pop.account.as_ref().map(|a| a.userkey.clone());
        pop.call.lookup_error = pop.lookup_error.clone();
        let mut tx = self.store().write().await?;
        pop.call = tx.insert_call(&pop.call).await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Created,
                Subject(EntityType::Call, pop.call.id, pop.call.customer_id),
                Some(HookPoint::CallReceived),
                json(&pop.call),
                serde_json::Value::Null,
            ),
        )
        .await?;
        Ok(pop)
    }

    /// The ticket `caseid` names when it belongs to a department of `brand_id`.
    async fn ticket_of_brand(&self, caseid: &str, brand_id: i64) -> AppResult<Option<Ticket>> {
        let Ok(id) = caseid.trim_start_matches('#').parse::<i64>() else {
            return Ok(None);
        };
        let mut db = self.store().read().await?;
        let Some(ticket) = db.ticket(id).await? else {
            return Ok(None);
        };
        let same_brand = db.department(ticket.did).await?.is_some_and(|d| d.brand_id == brand_id);
        Ok(same_brand.then_some(ticket))
    }

    /// Matches the caller through the brand's backend: the local customer database by the number's last
    /// digits, or the `webcall` backend's search by `PrimaryPhone`; the case's account, or the only one
    /// found, is loaded. A backend failure is recorded in the pop, not raised.
    async fn look_up_caller(&self, backend: &dyn CustomerBackend, pop: &mut Pop) -> AppResult<()> {
        let outcome: AppResult<()> = async {
            if backend.name() == "local" {
                let mut db = self.store().read().await?;
                if let Some(key) = caller_key(&pop.call.ani) {
                    pop.customers = db.customers_by_phone(&key, MATCHES).await?;
                    pop.end_users = db.end_users_by_phone(&key, MATCHES).await?;
                }
                if let Some(t) = &pop.ticket
                    && !pop.customers.iter().any(|c| c.id == t.customer_id)
                    && let Some(c) = db.customer(t.customer_id).await?
                {
                    pop.customers.insert(0, c);
                }
                return Ok(());
            }
            if !pop.call.ani.is_empty() {
                let mut criteria = AccountCriteria::default();
                criteria
                    .set("PrimaryPhone", pop.call.ani.clone())
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                pop.accounts = backend.search(&criteria).await?;
                pop.accounts.truncate(MATCHES as usize);
            }
            let key = pop
                .ticket
                .as_ref()
                .and_then(|t| t.account_key.clone())
                .or_else(|| (pop.accounts.len() == 1).then(|| pop.accounts[0].userkey.clone()));
            if let Some(key) = key {
                match backend.load(&key).await {
                    Ok(account) => pop.account = Some(account),
                    Err(AppError::NotFound) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        }
        .await;
        match outcome {
            Ok(()) => Ok(()),
            Err(AppError::BackendUnavailable(m)) => {
                pop.lookup_error = Some(m);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}
