//! Staff accounts: list, create, change name, email and role, delete, and a password reset link (SPEC §2:
//! "forgot password" without email: the admin hands the link over).
use super::directory::Nothing;
use super::{Action, Cell, Field, FormPage, ListPage, PageQuery, Secret, given, next_page, options, time};
use crate::state::AppState;
use crate::ui::page::{FieldErrors, PageResult, ok, see_other};
use crate::ui::session::{Posted, Visit};
use api_types::{NewStaff, StaffPatch};
use app::sessions::WebSession;
use axum::extract::{Path, Query, State};
use domain::{Role, Staff};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub(crate) struct StaffForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    /// Department ids, comma-separated.
    #[serde(default)]
    department_ids: String,
}

fn role_of(s: &str) -> Option<Role> {
    match s {
        "admin" => Some(Role::Admin),
        "agent" => Some(Role::Agent),
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

impl StaffForm {
    fn of(s: &Staff) -> Self {
        Self {
            email: s.email.clone(),
            name: s.name.clone(),
            role: role_name(s.role).into(),
            password: String::new(),
            department_ids: s
                .department_ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
    fn fields(&self, new: bool) -> Vec<Field> {
        let password = Field::of("password", "Password", super::Kind::Input("password"), "");
        vec![
            Field::of("email", "Email", super::Kind::Input("email"), &self.email).required(),
            Field::input("name", "Name", &self.name).required(),
            Field::select("role", "Role", &self.role, options(&["agent", "admin"])),
            if new {
                password.required()
            } else {
                password.hint("Leave empty to keep the current password.")
            },
            Field::input("department_ids", "Departments", &self.department_ids).hint(
                "Ids of the departments this person belongs to, comma-separated (see Departments): customers' \
                 messages on unassigned tickets there are mailed to the members.",
            ),
        ]
    }
    /// The department ids typed in; a word that is not a number is a field error.
    fn department_ids(&self) -> Result<Vec<i64>, FieldErrors> {
        self.department_ids
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(|id| {
                id.parse().map_err(|_| {
                    FieldErrors(vec![domain::FieldError::new(
                        "department_ids",
                        "must be department ids separated by commas",
                    )])
                })
            })
            .collect()
    }

    fn role(&self) -> Result<Role, FieldErrors> {
        role_of(&self.role).ok_or_else(|| FieldErrors(vec![domain::FieldError::new("role", "must be admin or agent")]))
    }
}

pub(crate) async fn list(State(state): State<AppState>, visit: Visit, Query(q): Query<PageQuery>) -> PageResult {
    let s = visit.admin()?;
    let page = state.app.list_staff(&s.principal, &q.list()).await?;
    let rows = page
        .data
        .iter()
        .map(|m| {
            vec![
                Cell::link(format!("/admin/staff/{}", m.id), &m.name),
                Cell::text(&m.email),
                Cell::Badge(role_name(m.role).into()),
                Cell::text(time(m.created_at)),
            ]
        })
        .collect();
    ok(ListPage::new(s, "staff", "Staff")
        .notices(q.notices())
        .new_link("/admin/staff/new", "New staff member")
        .table(
            &["Name", "Email", "Role", "Since"],
            rows,
            next_page("/admin/staff", page.next_cursor),
        ))
}

fn new_form(s: &WebSession, f: &StaffForm) -> FormPage {
    FormPage::new(s, "staff", "New staff member", "/admin/staff")
        .fields(f.fields(true))
        .submit("Create staff member")
}

pub(crate) async fn new(visit: Visit) -> PageResult {
    let s = visit.admin()?;
    let f = StaffForm {
        role: "agent".into(),
        ..Default::default()
    };
    new_form(s, &f).show()
}

pub(crate) async fn create(State(state): State<AppState>, posted: Posted<StaffForm>) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let result = match f.role().and_then(|role| Ok((role, f.department_ids()?))) {
        Ok((role, department_ids)) => state
            .app
            .create_staff(
                &s.principal,
                &posted.visit.meta,
                NewStaff {
                    email: f.email.clone(),
                    name: f.name.clone(),
                    role,
                    password: f.password.clone(),
                    department_ids: Some(department_ids),
                },
            )
            .await
            .map_err(FieldErrors::from_app),
        Err(e) => Err(Ok(e)),
    };
    match result {
        Ok(m) => see_other(&format!("/admin/staff/{}?saved=1", m.id), posted.visit.htmx),
        Err(e) => new_form(s, f).refused(&e?),
    }
}

fn edit_form(s: &WebSession, id: i64, name: &str, f: &StaffForm) -> FormPage {
    FormPage::new(s, "staff", format!("Staff member {name}"), format!("/admin/staff/{id}"))
        .fields(f.fields(false))
        .action(Action::new(
            format!("/admin/staff/{id}/reset-link"),
            "Issue a password reset link",
            false,
        ))
        .action(Action::new(
            format!("/admin/staff/{id}/delete"),
            "Delete staff member",
            true,
        ))
}

pub(crate) async fn edit(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = visit.admin()?;
    let m = state.app.get_staff(&s.principal, id).await?;
    edit_form(s, id, &m.name, &StaffForm::of(&m))
        .notices(q.notices())
        .show()
}

pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<StaffForm>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let result = match f.role().and_then(|role| Ok((role, f.department_ids()?))) {
        Ok((role, department_ids)) => state
            .app
            .update_staff(
                &s.principal,
                &posted.visit.meta,
                id,
                StaffPatch {
                    email: Some(f.email.clone()),
                    name: Some(f.name.clone()),
                    role: Some(role),
                    password: given(&f.password),
                    department_ids: Some(department_ids),
                },
            )
            .await
            .map_err(FieldErrors::from_app),
        Err(e) => Err(Ok(e)),
    };
    match result {
        Ok(_) => see_other(&format!("/admin/staff/{id}?saved=1"), posted.visit.htmx),
        Err(e) => {
            let m = state.app.get_staff(&s.principal, id).await?;
            edit_form(s, id, &m.name, f).refused(&e?)
        }
    }
}

pub(crate) async fn delete(State(state): State<AppState>, Path(id): Path<i64>, posted: Posted<Nothing>) -> PageResult {
    let s = posted.visit.admin()?;
    match state.app.delete_staff(&s.principal, &posted.visit.meta, id).await {
        Ok(()) => see_other("/admin/staff?saved=1", posted.visit.htmx),
        Err(e) => {
            let errors = FieldErrors::from_app(e)?;
            let m = state.app.get_staff(&s.principal, id).await?;
            edit_form(s, id, &m.name, &StaffForm::of(&m)).refused(&errors)
        }
    }
}

/// Issues a reset link and shows it once: whoever opens it within a day chooses a new password.
pub(crate) async fn reset_link(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Nothing>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let m = state.app.get_staff(&s.principal, id).await?;
    let secret = state
        .app
        .create_password_reset(&s.principal, store::Person::Staff(id))
        .await?;
    let mut page = edit_form(s, id, &m.name, &StaffForm::of(&m));
    page.secrets.push(Secret::new(
        format!("Password reset link for {} (valid for a day, once)", m.email),
        format!("/reset/{secret}"),
    ));
    page.show()
}
