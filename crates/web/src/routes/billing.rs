//! Routes of billing: the catalogue (`/api/v1/features`, `/groups`, `/packages`, `/plans`; SPEC §5.1; staff
//! read, admins change; deleting a feature, package or plan hides it, and features and packages come back
//! with `…/restore`), subscriptions (§5.2), invoices, payments and refunds (§5.3), billing-system links (§5.5).
use super::{Answer, page};
use crate::extract::{AdminAuth, Auth, Id, Json, Meta, Query, StaffAuth};
use crate::state::AppState;
use api_types::{
    BillingLink, CancelQuery, CatalogueQuery, Feature, FeaturePatch, Group, GroupPatch, Invoice, InvoiceQuery,
    ListQuery, NewBillingLink, NewFeature, NewGroup, NewInvoice, NewPackage, NewPayment, NewPlan, NewRefund,
    NewSubscription, NewSupportLevel, Package, PackagePatch, Page, Payment, Plan, PlanPatch, PlanWire, Problem, Refund,
    Subscription, SupportLevel, SupportLevelPatch,
};
use axum::extract::State;
use axum::http::StatusCode;

#[utoipa::path(post, path = "/api/v1/features", tag = "catalogue", request_body = NewFeature,
    responses((status = 201, body = Feature), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_feature(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Json(body): Json<NewFeature>,
) -> Answer<(StatusCode, Json<Feature>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_feature(&p, &m, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/features", tag = "catalogue", params(CatalogueQuery), responses((status = 200, body = Page<Feature>)))]
pub(crate) async fn list_features(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Query(q): Query<CatalogueQuery>,
) -> Answer<Json<Page<Feature>>> {
    Ok(Json(page(s.app.list_features(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/features/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = Feature), (status = 404, body = Problem)))]
pub(crate) async fn get_feature(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
) -> Answer<Json<Feature>> {
    Ok(Json(s.app.get_feature(&p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/features/{id}", tag = "catalogue", params(("id" = i64, Path)), request_body = FeaturePatch,
    responses((status = 200, body = Feature), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_feature(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<FeaturePatch>,
) -> Answer<Json<Feature>> {
    Ok(Json(s.app.update_feature(&p, &m, id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/features/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub(crate) async fn delete_feature(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.app.delete_feature(&p, &m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/features/{id}/restore", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = Feature), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn restore_feature(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<Json<Feature>> {
    Ok(Json(s.app.restore_feature(&p, &m, id).await?))
}

#[utoipa::path(post, path = "/api/v1/groups", tag = "catalogue", request_body = NewGroup,
    responses((status = 201, body = Group), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_group(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Json(body): Json<NewGroup>,
) -> Answer<(StatusCode, Json<Group>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_group(&p, &m, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/groups", tag = "catalogue", params(CatalogueQuery), responses((status = 200, body = Page<Group>)))]
pub(crate) async fn list_groups(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Query(q): Query<CatalogueQuery>,
) -> Answer<Json<Page<Group>>> {
    Ok(Json(page(s.app.list_groups(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/groups/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = Group), (status = 404, body = Problem)))]
pub(crate) async fn get_group(State(s): State<AppState>, StaffAuth(p): StaffAuth, Id(id): Id) -> Answer<Json<Group>> {
    Ok(Json(s.app.get_group(&p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/groups/{id}", tag = "catalogue", params(("id" = i64, Path)), request_body = GroupPatch,
    responses((status = 200, body = Group), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_group(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<GroupPatch>,
) -> Answer<Json<Group>> {
    Ok(Json(s.app.update_group(&p, &m, id, body).await?))
}

#[utoipa::path(post, path = "/api/v1/packages", tag = "catalogue", request_body = NewPackage,
    responses((status = 201, body = Package), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_package(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Json(body): Json<NewPackage>,
) -> Answer<(StatusCode, Json<Package>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_package(&p, &m, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/packages", tag = "catalogue", params(CatalogueQuery), responses((status = 200, body = Page<Package>)))]
pub(crate) async fn list_packages(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Query(q): Query<CatalogueQuery>,
) -> Answer<Json<Page<Package>>> {
    Ok(Json(page(s.app.list_packages(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/packages/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = Package), (status = 404, body = Problem)))]
pub(crate) async fn get_package(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
) -> Answer<Json<Package>> {
    Ok(Json(s.app.get_package(&p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/packages/{id}", tag = "catalogue", params(("id" = i64, Path)), request_body = PackagePatch,
    responses((status = 200, body = Package), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_package(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<PackagePatch>,
) -> Answer<Json<Package>> {
    Ok(Json(s.app.update_package(&p, &m, id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/packages/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub(crate) async fn delete_package(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.app.delete_package(&p, &m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/packages/{id}/restore", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = Package), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn restore_package(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<Json<Package>> {
    Ok(Json(s.app.restore_package(&p, &m, id).await?))
}

#[utoipa::path(post, path = "/api/v1/plans", tag = "catalogue", request_body = NewPlan,
    responses((status = 201, body = PlanWire), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_plan(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Json(body): Json<NewPlan>,
) -> Answer<(StatusCode, Json<Plan>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_plan(&p, &m, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/plans", tag = "catalogue", params(CatalogueQuery), responses((status = 200, body = Page<PlanWire>)))]
pub(crate) async fn list_plans(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Query(q): Query<CatalogueQuery>,
) -> Answer<Json<Page<Plan>>> {
    Ok(Json(page(s.app.list_plans(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = PlanWire), (status = 404, body = Problem)))]
pub(crate) async fn get_plan(State(s): State<AppState>, StaffAuth(p): StaffAuth, Id(id): Id) -> Answer<Json<Plan>> {
    Ok(Json(s.app.get_plan(&p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/plans/{id}", tag = "catalogue", params(("id" = i64, Path)), request_body = PlanPatch,
    responses((status = 200, body = PlanWire), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_plan(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<PlanPatch>,
) -> Answer<Json<Plan>> {
    Ok(Json(s.app.update_plan(&p, &m, id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/plans/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub(crate) async fn delete_plan(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.app.delete_plan(&p, &m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/subscriptions", tag = "subscriptions", params(("id" = i64, Path)),
    request_body = NewSubscription,
    responses((status = 201, body = Subscription), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn subscribe(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<NewSubscription>,
) -> Answer<(StatusCode, Json<Subscription>)> {
    Ok((StatusCode::CREATED, Json(s.app.subscribe(&p, &m, id, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/subscriptions", tag = "subscriptions", params(("id" = i64, Path), ListQuery),
    responses((status = 200, body = Page<Subscription>), (status = 404, body = Problem)))]
pub(crate) async fn list_subscriptions(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<Subscription>>> {
    Ok(Json(page(s.app.list_subscriptions(&p, id, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/subscriptions/{id}", tag = "subscriptions", params(("id" = i64, Path)),
    responses((status = 200, body = Subscription), (status = 404, body = Problem)))]
pub(crate) async fn get_subscription(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
) -> Answer<Json<Subscription>> {
    Ok(Json(s.app.get_subscription(&p, id).await?))
}

/// Cancels now, or with `?at=period_end` at the end of the current period; answers the subscription.
#[utoipa::path(delete, path = "/api/v1/subscriptions/{id}", tag = "subscriptions", params(("id" = i64, Path), CancelQuery),
    responses((status = 200, body = Subscription), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn cancel_subscription(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
    Query(q): Query<CancelQuery>,
) -> Answer<Json<Subscription>> {
    Ok(Json(s.app.cancel_subscription(&p, &m, id, q.at.as_deref()).await?))
}

#[utoipa::path(post, path = "/api/v1/invoices", tag = "invoices", request_body = NewInvoice,
    responses((status = 201, body = Invoice), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_invoice(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Json(body): Json<NewInvoice>,
) -> Answer<(StatusCode, Json<Invoice>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_invoice(&p, &m, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/invoices", tag = "invoices", params(InvoiceQuery), responses((status = 200, body = Page<Invoice>)))]
pub(crate) async fn list_invoices(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<InvoiceQuery>,
) -> Answer<Json<Page<Invoice>>> {
    Ok(Json(page(s.app.list_invoices(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "invoices", params(("id" = i64, Path)),
    responses((status = 200, body = Invoice), (status = 404, body = Problem)))]
pub(crate) async fn get_invoice(State(s): State<AppState>, Auth(p): Auth, Id(id): Id) -> Answer<Json<Invoice>> {
    Ok(Json(s.app.get_invoice(&p, id).await?))
}

/// Issues a draft: it gets the year's next number and becomes payable.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/settle", tag = "invoices", params(("id" = i64, Path)),
    responses((status = 200, body = Invoice), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn settle_invoice(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<Json<Invoice>> {
    Ok(Json(s.app.settle_invoice(&p, &m, id).await?))
}

#[utoipa::path(post, path = "/api/v1/invoices/{id}/void", tag = "invoices", params(("id" = i64, Path)),
    responses((status = 200, body = Invoice), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn void_invoice(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<Json<Invoice>> {
    Ok(Json(s.app.void_invoice(&p, &m, id).await?))
}

/// Applies a payment; paying more than is due marks the invoice paid and credits the subscription's balance.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/payments", tag = "invoices", params(("id" = i64, Path)),
    request_body = NewPayment,
    responses((status = 201, body = Payment), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn apply_payment(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<NewPayment>,
) -> Answer<(StatusCode, Json<Payment>)> {
    Ok((StatusCode::CREATED, Json(s.app.apply_payment(&p, &m, id, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/invoices/{id}/payments", tag = "invoices", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Payment>), (status = 404, body = Problem)))]
pub(crate) async fn list_payments(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
) -> Answer<Json<Vec<Payment>>> {
    Ok(Json(s.app.list_payments(&p, id).await?))
}

#[utoipa::path(get, path = "/api/v1/invoices/{id}/refunds", tag = "invoices", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Refund>), (status = 404, body = Problem)))]
pub(crate) async fn list_refunds(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
) -> Answer<Json<Vec<Refund>>> {
    Ok(Json(s.app.list_refunds(&p, id).await?))
}

#[utoipa::path(post, path = "/api/v1/payments/{id}/refunds", tag = "invoices", params(("id" = i64, Path)),
    request_body = NewRefund,
    responses((status = 201, body = Refund), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn refund_payment(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<NewRefund>,
) -> Answer<(StatusCode, Json<Refund>)> {
    Ok((StatusCode::CREATED, Json(s.app.refund_payment(&p, &m, id, body).await?)))
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/billing-links", tag = "billing links", params(("id" = i64, Path)),
    request_body = NewBillingLink,
    responses((status = 201, body = BillingLink), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_billing_link(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<NewBillingLink>,
) -> Answer<(StatusCode, Json<BillingLink>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_billing_link(&p, &m, id, body).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/billing-links", tag = "billing links", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<BillingLink>), (status = 404, body = Problem)))]
pub(crate) async fn list_billing_links(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
) -> Answer<Json<Vec<BillingLink>>> {
    Ok(Json(s.app.list_billing_links(&p, id).await?))
}

#[utoipa::path(get, path = "/api/v1/billing-links/{id}", tag = "billing links", params(("id" = i64, Path)),
    responses((status = 200, body = BillingLink), (status = 404, body = Problem)))]
pub(crate) async fn get_billing_link(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
) -> Answer<Json<BillingLink>> {
    Ok(Json(s.app.get_billing_link(&p, id).await?))
}

#[utoipa::path(delete, path = "/api/v1/billing-links/{id}", tag = "billing links", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub(crate) async fn delete_billing_link(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.app.delete_billing_link(&p, &m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/support-levels", tag = "contracts", request_body = NewSupportLevel,
    responses((status = 201, body = SupportLevel), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_support_level(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Json(body): Json<NewSupportLevel>,
) -> Answer<(StatusCode, Json<SupportLevel>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_support_level(&p, &m, body).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/support-levels", tag = "contracts", params(ListQuery), responses((status = 200, body = Page<SupportLevel>)))]
pub(crate) async fn list_support_levels(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<SupportLevel>>> {
    Ok(Json(page(s.app.list_support_levels(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/support-levels/{id}", tag = "contracts", params(("id" = i64, Path)),
    responses((status = 200, body = SupportLevel), (status = 404, body = Problem)))]
pub(crate) async fn get_support_level(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
) -> Answer<Json<SupportLevel>> {
    Ok(Json(s.app.get_support_level(&p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/support-levels/{id}", tag = "contracts", params(("id" = i64, Path)),
    request_body = SupportLevelPatch,
    responses((status = 200, body = SupportLevel), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_support_level(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<SupportLevelPatch>,
) -> Answer<Json<SupportLevel>> {
    Ok(Json(s.app.update_support_level(&p, &m, id, body).await?))
}
