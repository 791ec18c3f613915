//! Each method, run by the use case its REST route runs, its result the REST body for the same object.
//! Sessions are the web UI's (`App::login`, `App::web_session`, `App::logout`): kept in the database, so
//! any node serves them, expiring like a browser's, and `connect` counts against the same login limit.
use super::super::page;
use crate::error::ApiError;
use crate::state::AppState;
use api_types::jsonrpc::{Call, MethodCall, RpcError, codes, prepare};
use api_types::{AccountBody, AccountList, AccountSummaryBody, ErrorCode};
use app::sessions::WebSession;
use app::{AppError, RequestMeta};
use serde::Serialize;
use serde_json::{Value, json};

/// What every call of one request shares.
pub(super) struct Context<'a> {
    pub(super) state: &'a AppState,
    pub(super) meta: RequestMeta,
    pub(super) user_agent: Option<String>,
}

/// One call: its method, then its session (before anything is said about its parameters), then its
/// parameters, then the use case.
pub(super) async fn execute(cx: &Context<'_>, call: Call) -> Result<Value, RpcError> {
    let prepared = prepare(call)?;
    let session = if prepared.method.needs_session() {
        Some(authenticate(cx, prepared.session.as_deref()).await?)
    } else {
        None
    };
    let call = prepared.bind()?;
    match (call, session) {
        (MethodCall::Connect { username, password }, _) => connect(cx, &username, &password.0).await,
        (call, Some(session)) => run(cx, &session, call).await,
        (_, None) => Err(RpcError::not_authenticated()),
    }
}

/// The staff session a key names, if it is still alive.
async fn authenticate(cx: &Context<'_>, key: Option<&str>) -> Result<WebSession, RpcError> {
    let key = key.ok_or_else(RpcError::not_authenticated)?;
    match cx.state.app.web_session(key).await {
        Ok(session) if session.principal.is_staff() => Ok(session),
        Ok(_) | Err(AppError::Unauthenticated) => Err(RpcError::not_authenticated()),
        Err(e) => Err(rpc_error(e)),
    }
}

/// A staff member's email and password → a session key. An end user's login is ended at once and refused
/// with the same words as a wrong password, so the answer does not tell which accounts are end users'.
async fn connect(cx: &Context<'_>, username: &str, password: &str) -> Result<Value, RpcError> {
    let app = &cx.state.app;
    let ip = cx.meta.ip.clone().unwrap_or_default();
    let refused = || {
        RpcError::new(
            codes::NOT_AUTHENTICATED,
            "not authenticated: wrong username or password (connect takes a staff account's email and password)",
        )
    };
    match app.login(username, password, &ip, cx.user_agent.as_deref()).await {
        Ok(login) if login.session.principal.is_staff() => Ok(Value::String(login.secret)),
        Ok(login) => {
            app.logout(&login.session).await.map_err(rpc_error)?;
            Err(refused())
        }
        Err(AppError::Unauthenticated) => Err(refused()),
        Err(e) => Err(rpc_error(e)),
    }
}

async fn run(cx: &Context<'_>, session: &WebSession, call: MethodCall) -> Result<Value, RpcError> {
    let app = &cx.state.app;
    let p = &session.principal;
    let m = &cx.meta;
    match call {
        MethodCall::Connect { .. } => Err(RpcError::invalid_request("connect opens a session; it takes none")),
        MethodCall::Disconnect => {
            app.logout(session).await.map_err(rpc_error)?;
            Ok(Value::Bool(true))
        }
        MethodCall::AccountSearch { brand, criteria } => result(app.account_search(p, m, brand, &criteria).await.map(
            |found| AccountList {
                data: found.into_iter().map(AccountSummaryBody::from).collect(),
            },
        )),
        MethodCall::AccountLoad { brand, userkey } => {
            result(app.account_load(p, m, brand, &userkey).await.map(AccountBody::from))
        }
        MethodCall::AccountUpdate {
            brand,
            userkey,
            account,
        } => result(
            app.account_update(p, m, brand, &userkey, account)
                .await
                .map(AccountBody::from),
        ),
        MethodCall::CaseSearch(q) => result(app.list_tickets(p, &q).await.map(page)),
        MethodCall::CaseLoad { id } => result(app.get_ticket(p, id, true).await),
        MethodCall::CaseCreate(body) => result(app.create_ticket(p, m, body).await),
        MethodCall::CaseUpdate { id, reply } => result(app.reply_to_ticket(p, m, id, reply).await),
        MethodCall::BrandList(q) => result(app.list_brands(p, &q).await.map(page)),
        MethodCall::BrandLoad { id } => result(app.get_brand(p, id).await),
        MethodCall::BrandCreate(body) => result(app.create_brand(p, m, body).await),
        MethodCall::BrandUpdate { id, patch } => result(app.update_brand(p, m, id, patch).await),
        MethodCall::BrandDelete { id } => result(app.delete_brand(p, m, id).await.map(|()| true)),
        MethodCall::DepartmentList(q) => result(app.list_departments(p, &q).await.map(page)),
    }
}

/// A use case's result as the REST API's body for it.
fn result<T: Serialize>(outcome: Result<T, AppError>) -> Result<Value, RpcError> {
    let value = outcome.map_err(rpc_error)?;
    serde_json::to_value(value).map_err(|e| rpc_error(AppError::Internal(e.to_string())))
}

/// A use case's failure as a JSON-RPC error, through the REST edge's own mapping (which logs what is
/// internal and words what is not), so both APIs say the same thing.
fn rpc_error(e: AppError) -> RpcError {
    let ApiError(problem, retry_after) = ApiError::from(e);
    let detail = problem.detail.clone().unwrap_or_else(|| problem.title.clone());
    match problem.code {
        ErrorCode::Unauthenticated => RpcError::not_authenticated(),
        ErrorCode::NotFound => RpcError::new(codes::NOT_FOUND, "not found"),
        ErrorCode::ValidationFailed if !problem.errors.is_empty() => RpcError::invalid_params(problem.errors),
        ErrorCode::ValidationFailed | ErrorCode::BadRequest => {
            RpcError::new(codes::INVALID_PARAMS, format!("invalid params: {detail}"))
        }
        ErrorCode::Conflict | ErrorCode::TicketLocked | ErrorCode::NoIncidentsLeft => {
            RpcError::new(codes::CONFLICT, format!("conflict: {detail}")).with_data(json!({ "reason": problem.code }))
        }
        ErrorCode::HookRejected => RpcError::new(codes::HOOK_REJECTED, format!("rejected by a hook: {detail}")),
        ErrorCode::RateLimited => {
            RpcError::new(codes::RATE_LIMITED, detail).with_data(json!({ "retry_after": retry_after.unwrap_or(1) }))
        }
        ErrorCode::BackendUnavailable => RpcError::new(
            codes::BACKEND_UNAVAILABLE,
            format!("the customer backend is unavailable: {detail}"),
        )
        .with_data(json!({ "detail": detail })),
        ErrorCode::ServiceUnavailable => RpcError::new(codes::SERVICE_UNAVAILABLE, detail),
        _ => RpcError::new(codes::INTERNAL_ERROR, detail),
    }
}
