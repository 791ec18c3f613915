//! API tokens and OAuth clients: listed, created with their secret shown once, deleted.
use super::directory::Nothing;
use super::{Cell, Field, FormPage, ListPage, PageQuery, Secret, given, next_page, number, options, time};
use crate::state::AppState;
use crate::ui::page::{FieldErrors, PageResult, ok, see_other};
use crate::ui::session::{Posted, Visit};
use api_types::{NewOauthClient, NewToken};
use app::sessions::WebSession;
use axum::extract::{Path, Query, State};
use domain::Role;
use serde::Deserialize;

fn role_of(s: &str) -> Option<Role> {
    match s {
        "admin" => Some(Role::Admin),
        "agent" => Some(Role::Agent),
        "end_user" => Some(Role::EndUser),
        _ => None,
    }
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Admin => "admin",
        Role::Agent => "agent",
        Role::EndUser => "end_user",
    }
}

async fn token_list(state: &AppState, s: &WebSession, q: &PageQuery) -> Result<ListPage, crate::ui::page::PageError> {
    let page = state.app.list_tokens(&s.principal, &q.list()).await?;
    let rows = page
        .data
        .iter()
        .map(|t| {
            vec![
                Cell::text(&t.name),
                Cell::Badge(role_name(t.role).into()),
                Cell::text(t.end_user_id.map(|id| id.to_string()).unwrap_or_default()),
                Cell::text(time(t.created_at)),
                Cell::Post(format!("/admin/tokens/{}/delete", t.id), "Delete".into()),
            ]
        })
        .collect();
    Ok(ListPage::new(s, "tokens", "API tokens")
        .intro("Bearer tokens for integrations. The secret is shown once, when the token is made.")
        .notices(q.notices())
        .new_link("/admin/tokens/new", "New token")
        .table(
            &["Name", "Role", "End user", "Created", ""],
            rows,
            next_page("/admin/tokens", page.next_cursor),
        ))
}

pub(crate) async fn tokens(State(state): State<AppState>, visit: Visit, Query(q): Query<PageQuery>) -> PageResult {
    let s = visit.admin()?;
    ok(token_list(&state, s, &q).await?)
}

#[derive(Deserialize, Default)]
pub(crate) struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    end_user_id: String,
}

impl TokenForm {
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::input("name", "Name", &self.name).required(),
            Field::select("role", "Role", &self.role, options(&["agent", "admin", "end_user"])),
            Field::of(
                "end_user_id",
                "End user id",
                super::Kind::Input("number"),
                &self.end_user_id,
            )
            .hint("Only for the end_user role: the end user the token acts as."),
        ]
    }
}

fn token_form(s: &WebSession, f: &TokenForm) -> FormPage {
    FormPage::new(s, "tokens", "New API token", "/admin/tokens")
        .fields(f.fields())
        .submit("Create token")
}

pub(crate) async fn new_token(visit: Visit) -> PageResult {
    let s = visit.admin()?;
    token_form(
        s,
        &TokenForm {
            role: "agent".into(),
            ..Default::default()
        },
    )
    .show()
}

/// Creates the token and shows the list with its secret, once.
pub(crate) async fn create_token(State(state): State<AppState>, posted: Posted<TokenForm>) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let mut errors = Vec::new();
    let end_user_id = number("end_user_id", &f.end_user_id, &mut errors);
    let role = role_of(&f.role);
    if role.is_none() {
        errors.push(domain::FieldError::new("role", "must be admin, agent or end_user"));
    }
    let result = match role {
        Some(role) if errors.is_empty() => state
            .app
            .create_token(
                &s.principal,
                &posted.visit.meta,
                NewToken {
                    name: f.name.clone(),
                    role,
                    end_user_id,
                },
            )
            .await
            .map_err(FieldErrors::from_app),
        _ => Err(Ok(FieldErrors(errors))),
    };
    match result {
        Ok(created) => {
            let page = token_list(&state, s, &PageQuery::default()).await?;
            ok(page.secret(Secret::new(format!("Token {}", created.name), created.token)))
        }
        Err(e) => token_form(s, f).refused(&e?),
    }
}

pub(crate) async fn delete_token(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Nothing>,
) -> PageResult {
    let s = posted.visit.admin()?;
    state.app.delete_token(&s.principal, &posted.visit.meta, id).await?;
    see_other("/admin/tokens?saved=1", posted.visit.htmx)
}

async fn client_list(state: &AppState, s: &WebSession, q: &PageQuery) -> Result<ListPage, crate::ui::page::PageError> {
    let page = state.app.list_oauth_clients(&s.principal, &q.list()).await?;
    let rows = page
        .data
        .iter()
        .map(|c| {
            vec![
                Cell::text(&c.name),
                Cell::text(&c.client_id),
                Cell::Badge(role_name(c.role).into()),
                Cell::text(time(c.created_at)),
                Cell::Post(format!("/admin/oauth-clients/{}/delete", c.id), "Delete".into()),
            ]
        })
        .collect();
    Ok(ListPage::new(s, "oauth-clients", "OAuth clients")
        .intro("Client credentials for POST /oauth/token (TeamTools SDK and other integrations).")
        .notices(q.notices())
        .new_link("/admin/oauth-clients/new", "New OAuth client")
        .table(
            &["Name", "Client id", "Role", "Created", ""],
            rows,
            next_page("/admin/oauth-clients", page.next_cursor),
        ))
}

pub(crate) async fn oauth_clients(
    State(state): State<AppState>,
    visit: Visit,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = visit.admin()?;
    ok(client_list(&state, s, &q).await?)
}

#[derive(Deserialize, Default)]
pub(crate) struct ClientForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    salt: String,
}

impl ClientForm {
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::input("name", "Name", &self.name).required(),
            Field::select("role", "Role", &self.role, options(&["agent", "admin"])),
            Field::input("salt", "Salt", &self.salt).hint("Optional (TeamTools); made when empty."),
        ]
    }
}

fn client_form(s: &WebSession, f: &ClientForm) -> FormPage {
    FormPage::new(s, "oauth-clients", "New OAuth client", "/admin/oauth-clients")
        .fields(f.fields())
        .submit("Create client")
}

pub(crate) async fn new_oauth_client(visit: Visit) -> PageResult {
    let s = visit.admin()?;
    client_form(
        s,
        &ClientForm {
            role: "agent".into(),
            ..Default::default()
        },
    )
    .show()
}

pub(crate) async fn create_oauth_client(State(state): State<AppState>, posted: Posted<ClientForm>) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let input = NewOauthClient {
        name: f.name.clone(),
        role: role_of(&f.role),
        salt: given(&f.salt),
    };
    match state
        .app
        .create_oauth_client(&s.principal, &posted.visit.meta, input)
        .await
    {
        Ok(created) => {
            let page = client_list(&state, s, &PageQuery::default()).await?;
            ok(page
                .secret(Secret::new(format!("Client id of {}", created.name), created.client_id))
                .secret(Secret::new("Client secret", created.client_secret)))
        }
        Err(e) => client_form(s, f).refused(&FieldErrors::from_app(e)?),
    }
}

pub(crate) async fn delete_oauth_client(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Nothing>,
) -> PageResult {
    let s = posted.visit.admin()?;
    state
        .app
        .delete_oauth_client(&s.principal, &posted.visit.meta, id)
        .await?;
    see_other("/admin/oauth-clients?saved=1", posted.visit.htmx)
}
