//! Routes of custom attribute definitions (`/api/v1/attributes/{customer|end_user}`, SPEC §3.4 and §9).
use super::Answer;
use crate::error::ApiError;
use crate::extract::{AdminAuth, Json, Meta, StaffAuth};
use crate::state::AppState;
use api_types::{Attribute, AttributeEntity, AttributeInput, Page, Problem};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;

/// The entity of the path (`customer` or `end_user`); any other word names nothing, so it is 404.
pub(crate) struct Entity(pub AttributeEntity);

impl<S: Send + Sync> FromRequestParts<S> for Entity {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(params) = Path::<Vec<String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found())?;
        params
            .first()
            .and_then(|e| AttributeEntity::parse(e))
            .map(Entity)
            .ok_or_else(ApiError::not_found)
    }
}

/// The entity and the attribute id of the path.
pub(crate) struct EntityId(pub AttributeEntity, pub i64);

impl<S: Send + Sync> FromRequestParts<S> for EntityId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(params) = Path::<Vec<String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found())?;
        let entity = params.first().and_then(|e| AttributeEntity::parse(e));
        let id = params.get(1).and_then(|i| i.parse::<i64>().ok()).filter(|i| *i > 0);
        match (entity, id) {
            (Some(entity), Some(id)) => Ok(EntityId(entity, id)),
            _ => Err(ApiError::not_found()),
        }
    }
}

/// Built-in attributes (`default: true`, no id) and the live custom ones.
#[utoipa::path(get, path = "/api/v1/attributes/{entity}", tag = "attributes",
    params(("entity" = String, Path, description = "customer or end_user")),
    responses((status = 200, body = Page<Attribute>), (status = 404, body = Problem)))]
pub(crate) async fn list(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Entity(entity): Entity,
) -> Answer<Json<Page<Attribute>>> {
    Ok(Json(Page {
        data: s.app.list_attributes(&p, entity).await?,
        next_cursor: None,
    }))
}

#[utoipa::path(post, path = "/api/v1/attributes/{entity}", tag = "attributes",
    params(("entity" = String, Path, description = "customer or end_user")), request_body = AttributeInput,
    responses((status = 201, body = Attribute), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Entity(entity): Entity,
    Json(body): Json<AttributeInput>,
) -> Answer<(StatusCode, Json<Attribute>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_attribute(&p, &m, entity, body).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/attributes/{entity}/{id}", tag = "attributes",
    params(("entity" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Attribute), (status = 404, body = Problem)))]
pub(crate) async fn get(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    EntityId(entity, id): EntityId,
) -> Answer<Json<Attribute>> {
    Ok(Json(s.app.get_attribute(&p, entity, id).await?))
}

/// Changes a custom attribute; `name` and `type` cannot change. Making it unique while values repeat is
/// 409 `conflict`.
#[utoipa::path(patch, path = "/api/v1/attributes/{entity}/{id}", tag = "attributes",
    params(("entity" = String, Path), ("id" = i64, Path)), request_body = AttributeInput,
    responses((status = 200, body = Attribute), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub(crate) async fn update(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    EntityId(entity, id): EntityId,
    Json(body): Json<AttributeInput>,
) -> Answer<Json<Attribute>> {
    Ok(Json(s.app.update_attribute(&p, &m, entity, id, body).await?))
}

/// Soft delete: the attribute and its values vanish until it is restored.
#[utoipa::path(delete, path = "/api/v1/attributes/{entity}/{id}", tag = "attributes",
    params(("entity" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Attribute), (status = 404, body = Problem)))]
pub(crate) async fn delete(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    EntityId(entity, id): EntityId,
) -> Answer<Json<Attribute>> {
    Ok(Json(s.app.set_attribute_deleted(&p, &m, entity, id, true).await?))
}

#[utoipa::path(post, path = "/api/v1/attributes/{entity}/{id}/restore", tag = "attributes",
    params(("entity" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Attribute), (status = 404, body = Problem)))]
pub(crate) async fn restore(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    EntityId(entity, id): EntityId,
) -> Answer<Json<Attribute>> {
    Ok(Json(s.app.set_attribute_deleted(&p, &m, entity, id, false).await?))
}
