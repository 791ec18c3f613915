//! A typed client of ferrodesk's native API.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ferrodesk_client::Error> {
//! let fd = ferrodesk_client::Client::new("http://127.0.0.1:8080", "fd_…")?;
//! let tickets = fd.tickets(&Default::default()).await?;
//! # Ok(()) }
//! ```
mod oauth;

pub use oauth::TokenRequestStyle;

use api_types::*;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use api_types;

/// What a call can fail with: the server's problem+json, or the transport.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{} ({}): {}", .0.status, serde_json::to_string(&.0.code).unwrap_or_default(), .0.detail.clone().unwrap_or_default())]
    Api(Problem),
    #[error("unexpected answer {status}: {body}")]
    Unexpected { status: u16, body: String },
    /// A token endpoint's refusal in its own shape (RFC 6749 §5.2, or TeamTools' `{"error": {…}}`).
    #[error("token request refused ({status}): {body}")]
    Token { status: u16, body: serde_json::Value },
    #[error("transport: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("bad base URL: {0}")]
    BadUrl(String),
}

impl Error {
    /// The problem's stable code, if the server answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api(p) => Some(p.code),
            _ => None,
        }
    }

    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Error::Api(p) => Some(p),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// A connection to one ferrodesk server, acting with one token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    pub fn new(base: &str, token: &str) -> Result<Self> {
        let mut c = Self::anonymous(base)?;
        c.token = Some(token.to_owned());
        Ok(c)
    }

    /// A client without credentials (health checks, or testing refusals).
    pub fn anonymous(base: &str) -> Result<Self> {
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::BadUrl(base.to_owned()));
        }
        Ok(Self {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            token: None,
        })
    }

    /// The same server, acting with another token.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, format!("{}{}", self.base, path));
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    async fn answer<T: DeserializeOwned>(rb: reqwest::RequestBuilder) -> Result<T> {
        let response = rb.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if status.is_success() {
            let body: &[u8] = if status == StatusCode::NO_CONTENT || bytes.is_empty() {
                b"null"
            } else {
                &bytes
            };
            return serde_json::from_slice(body).map_err(|e| Error::Unexpected {
                status: status.as_u16(),
                body: format!("{e}: {}", String::from_utf8_lossy(&bytes)),
            });
        }
        match serde_json::from_slice::<Problem>(&bytes) {
            Ok(p) => Err(Error::Api(p)),
            Err(_) => Err(Error::Unexpected {
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            }),
        }
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        Self::answer(self.request(Method::GET, path)).await
    }

    pub async fn get_query<T: DeserializeOwned, Q: Serialize + ?Sized>(&self, path: &str, query: &Q) -> Result<T> {
        Self::answer(self.request(Method::GET, path).query(query)).await
    }

    pub async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<T> {
        Self::answer(self.request(Method::POST, path).json(body)).await
    }

    pub async fn patch<T: DeserializeOwned, B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<T> {
        Self::answer(self.request(Method::PATCH, path).json(body)).await
    }

    pub async fn put<T: DeserializeOwned, B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<T> {
        Self::answer(self.request(Method::PUT, path).json(body)).await
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        Self::answer(self.request(Method::DELETE, path)).await
    }

    /// Sends raw bytes as a body, for testing how the server treats malformed input.
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<serde_json::Value> {
        let method = Method::from_bytes(method.as_bytes()).map_err(|e| Error::BadUrl(e.to_string()))?;
        Self::answer(
            self.request(method, path)
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    // ------------------------------------------------------------ identity

    pub async fn me(&self) -> Result<Me> {
        self.get("/api/v1/me").await
    }

    pub async fn create_staff(&self, body: &NewStaff) -> Result<Staff> {
        self.post("/api/v1/staff", body).await
    }

    pub async fn staff(&self, q: &ListQuery) -> Result<Page<Staff>> {
        self.get_query("/api/v1/staff", q).await
    }

    pub async fn update_staff(&self, id: i64, body: &StaffPatch) -> Result<Staff> {
        self.patch(&format!("/api/v1/staff/{id}"), body).await
    }

    pub async fn delete_staff(&self, id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/staff/{id}")).await
    }

    pub async fn create_token(&self, body: &NewToken) -> Result<CreatedToken> {
        self.post("/api/v1/tokens", body).await
    }

    pub async fn tokens(&self, q: &ListQuery) -> Result<Page<ApiToken>> {
        self.get_query("/api/v1/tokens", q).await
    }

    pub async fn delete_token(&self, id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/tokens/{id}")).await
    }

    // ------------------------------------------------------------ billing catalogue

    pub async fn create_feature(&self, body: &NewFeature) -> Result<Feature> {
        self.post("/api/v1/features", body).await
    }

    pub async fn feature(&self, id: i64) -> Result<Feature> {
        self.get(&format!("/api/v1/features/{id}")).await
    }

    pub async fn features(&self, q: &CatalogueQuery) -> Result<Page<Feature>> {
        self.get_query("/api/v1/features", q).await
    }

    pub async fn update_feature(&self, id: i64, body: &FeaturePatch) -> Result<Feature> {
        self.patch(&format!("/api/v1/features/{id}"), body).await
    }

    pub async fn delete_feature(&self, id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/features/{id}")).await
    }

    pub async fn restore_feature(&self, id: i64) -> Result<Feature> {
        self.post(&format!("/api/v1/features/{id}/restore"), &serde_json::json!({}))
            .await
    }

    pub async fn create_group(&self, body: &NewGroup) -> Result<Group> {
        self.post("/api/v1/groups", body).await
    }

    pub async fn group(&self, id: i64) -> Result<Group> {
        self.get(&format!("/api/v1/groups/{id}")).await
    }

    pub async fn groups(&self, q: &CatalogueQuery) -> Result<Page<Group>> {
        self.get_query("/api/v1/groups", q).await
    }

    pub async fn update_group(&self, id: i64, body: &GroupPatch) -> Result<Group> {
        self.patch(&format!("/api/v1/groups/{id}"), body).await
    }

    pub async fn create_package(&self, body: &NewPackage) -> Result<Package> {
        self.post("/api/v1/packages", body).await
    }

    pub async fn package(&self, id: i64) -> Result<Package> {
        self.get(&format!("/api/v1/packages/{id}")).await
    }

    pub async fn packages(&self, q: &CatalogueQuery) -> Result<Page<Package>> {
        self.get_query("/api/v1/packages", q).await
    }

    pub async fn update_package(&self, id: i64, body: &PackagePatch) -> Result<Package> {
        self.patch(&format!("/api/v1/packages/{id}"), body).await
    }

    pub async fn delete_package(&self, id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/packages/{id}")).await
    }

    pub async fn restore_package(&self, id: i64) -> Result<Package> {
        self.post(&format!("/api/v1/packages/{id}/restore"), &serde_json::json!({}))
            .await
    }

    pub async fn create_plan(&self, body: &NewPlan) -> Result<Plan> {
        self.post("/api/v1/plans", body).await
    }

    pub async fn plan(&self, id: i64) -> Result<Plan> {
        self.get(&format!("/api/v1/plans/{id}")).await
    }

    pub async fn plans(&self, q: &CatalogueQuery) -> Result<Page<Plan>> {
        self.get_query("/api/v1/plans", q).await
    }

    pub async fn update_plan(&self, id: i64, body: &PlanPatch) -> Result<Plan> {
        self.patch(&format!("/api/v1/plans/{id}"), body).await
    }

    pub async fn delete_plan(&self, id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/plans/{id}")).await
    }

    pub async fn subscribe(&self, customer_id: i64, body: &NewSubscription) -> Result<Subscription> {
        self.post(&format!("/api/v1/customers/{customer_id}/subscriptions"), body)
            .await
    }

    pub async fn subscriptions(&self, customer_id: i64, q: &ListQuery) -> Result<Page<Subscription>> {
        self.get_query(&format!("/api/v1/customers/{customer_id}/subscriptions"), q)
            .await
    }

    pub async fn subscription(&self, id: i64) -> Result<Subscription> {
        self.get(&format!("/api/v1/subscriptions/{id}")).await
    }

    /// Cancels now, or with `at_period_end` at the end of the current period.
    pub async fn cancel_subscription(&self, id: i64, at_period_end: bool) -> Result<Subscription> {
        let query = if at_period_end { "?at=period_end" } else { "" };
        self.delete(&format!("/api/v1/subscriptions/{id}{query}")).await
    }

    pub async fn create_invoice(&self, body: &NewInvoice) -> Result<Invoice> {
        self.post("/api/v1/invoices", body).await
    }

    pub async fn invoice(&self, id: i64) -> Result<Invoice> {
        self.get(&format!("/api/v1/invoices/{id}")).await
    }

    pub async fn invoices(&self, q: &InvoiceQuery) -> Result<Page<Invoice>> {
        self.get_query("/api/v1/invoices", q).await
    }

    pub async fn settle_invoice(&self, id: i64) -> Result<Invoice> {
        self.post(&format!("/api/v1/invoices/{id}/settle"), &serde_json::json!({}))
            .await
    }

    pub async fn void_invoice(&self, id: i64) -> Result<Invoice> {
        self.post(&format!("/api/v1/invoices/{id}/void"), &serde_json::json!({}))
            .await
    }

    pub async fn apply_payment(&self, invoice_id: i64, body: &NewPayment) -> Result<Payment> {
        self.post(&format!("/api/v1/invoices/{invoice_id}/payments"), body)
            .await
    }

    pub async fn payments(&self, invoice_id: i64) -> Result<Vec<Payment>> {
        self.get(&format!("/api/v1/invoices/{invoice_id}/payments")).await
    }

    pub async fn refunds(&self, invoice_id: i64) -> Result<Vec<Refund>> {
        self.get(&format!("/api/v1/invoices/{invoice_id}/refunds")).await
    }

    pub async fn refund_payment(&self, payment_id: i64, body: &NewRefund) -> Result<Refund> {
        self.post(&format!("/api/v1/payments/{payment_id}/refunds"), body).await
    }

    pub async fn create_billing_link(&self, customer_id: i64, body: &NewBillingLink) -> Result<BillingLink> {
        self.post(&format!("/api/v1/customers/{customer_id}/billing-links"), body)
            .await
    }

    pub async fn billing_links(&self, customer_id: i64) -> Result<Vec<BillingLink>> {
        self.get(&format!("/api/v1/customers/{customer_id}/billing-links"))
            .await
    }

    pub async fn billing_link(&self, id: i64) -> Result<BillingLink> {
        self.get(&format!("/api/v1/billing-links/{id}")).await
    }

    pub async fn delete_billing_link(&self, id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/billing-links/{id}")).await
    }

    pub async fn create_support_level(&self, body: &NewSupportLevel) -> Result<SupportLevel> {
        self.post("/api/v1/support-levels", body).await
    }

    pub async fn support_level(&self, id: i64) -> Result<SupportLevel> {
        self.get(&format!("/api/v1/support-levels/{id}")).await
    }

    pub async fn support_levels(&self, q: &ListQuery) -> Result<Page<SupportLevel>> {
        self.get_query("/api/v1/support-levels", q).await
    }

    pub async fn update_support_level(&self, id: i64, body: &SupportLevelPatch) -> Result<SupportLevel> {
        self.patch(&format!("/api/v1/support-levels/{id}"), body).await
    }

    pub async fn add_pending_item(&self, subscription_id: i64, body: &NewPendingItem) -> Result<PendingItem> {
        self.post(&format!("/api/v1/subscriptions/{subscription_id}/items"), body)
            .await
    }

    pub async fn pending_items(&self, subscription_id: i64) -> Result<Vec<PendingItem>> {
        self.get(&format!("/api/v1/subscriptions/{subscription_id}/items"))
            .await
    }

    // ------------------------------------------------------------ contracts and incidents

    pub async fn create_contract(&self, body: &NewContract) -> Result<Contract> {
        self.post("/api/v1/contracts", body).await
    }

    pub async fn contract(&self, id: i64) -> Result<Contract> {
        self.get(&format!("/api/v1/contracts/{id}")).await
    }

    pub async fn contracts(&self, q: &ContractQuery) -> Result<Page<Contract>> {
        self.get_query("/api/v1/contracts", q).await
    }

    pub async fn customer_contracts(&self, customer_id: i64) -> Result<Page<Contract>> {
        self.get(&format!("/api/v1/customers/{customer_id}/contracts")).await
    }

    pub async fn update_contract(&self, id: i64, body: &ContractPatch) -> Result<Contract> {
        self.patch(&format!("/api/v1/contracts/{id}"), body).await
    }

    pub async fn ticket_incidents(&self, ticket_id: i64) -> Result<TicketIncidents> {
        self.get(&format!("/api/v1/tickets/{ticket_id}/incidents")).await
    }

    pub async fn redeem_incidents(&self, ticket_id: i64, types: &[&str]) -> Result<TicketIncidents> {
        let body = RedeemIncidents {
            types: types.iter().map(|t| (*t).to_owned()).collect(),
        };
        self.post(&format!("/api/v1/tickets/{ticket_id}/incidents"), &body)
            .await
    }

    pub async fn unredeem_incident(&self, ticket_id: i64, kind: &str) -> Result<TicketIncidents> {
        let kind = percent_encoding::utf8_percent_encode(kind, percent_encoding::NON_ALPHANUMERIC);
        self.delete(&format!("/api/v1/tickets/{ticket_id}/incidents/{kind}"))
            .await
    }

    // ------------------------------------------------------------ brands and departments

    pub async fn create_brand(&self, body: &NewBrand) -> Result<Brand> {
        self.post("/api/v1/brands", body).await
    }

    pub async fn brand(&self, id: i64) -> Result<Brand> {
        self.get(&format!("/api/v1/brands/{id}")).await
    }

    pub async fn brands(&self, q: &ListQuery) -> Result<Page<Brand>> {
        self.get_query("/api/v1/brands", q).await
    }

    pub async fn update_brand(&self, id: i64, body: &BrandPatch) -> Result<Brand> {
        self.patch(&format!("/api/v1/brands/{id}"), body).await
    }

    pub async fn delete_brand(&self, id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/brands/{id}")).await
    }

    // ------------------------------------------------------------ customer backends (SPEC §6)

    /// Accounts of the brand's customer backend matching `criteria`: pairs of a web-call criterion name
    /// (`Userkey`, `PrimaryPhone`, `SecondayPhone`, …) and its value.
    pub async fn search_accounts(&self, brand: i64, criteria: &[(&str, &str)]) -> Result<AccountList> {
        self.get_query(&format!("/api/v1/brands/{brand}/accounts"), criteria)
            .await
    }

    /// An account of the brand's customer backend, with its contacts and fields.
    pub async fn account(&self, brand: i64, userkey: &str) -> Result<AccountBody> {
        self.get(&account_path(brand, userkey)).await
    }

    /// Writes an account back to the brand's customer backend; answers it as loaded again.
    pub async fn update_account(&self, brand: i64, userkey: &str, body: &AccountBody) -> Result<AccountBody> {
        self.put(&account_path(brand, userkey), body).await
    }

    /// Whether the brand's customer backend answers (admins).
    pub async fn test_backend(&self, brand: i64) -> Result<BackendTest> {
        self.post(&format!("/api/v1/brands/{brand}/backend/test"), &serde_json::json!({}))
            .await
    }

    pub async fn create_department(&self, body: &NewDepartment) -> Result<Department> {
        self.post("/api/v1/departments", body).await
    }

    pub async fn department(&self, id: i64) -> Result<Department> {
        self.get(&format!("/api/v1/departments/{id}")).await
    }

    pub async fn departments(&self, q: &ListQuery) -> Result<Page<Department>> {
        self.get_query("/api/v1/departments", q).await
    }

    pub async fn update_department(&self, id: i64, body: &DepartmentPatch) -> Result<Department> {
        self.patch(&format!("/api/v1/departments/{id}"), body).await
    }

    pub async fn delete_department(&self, id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/departments/{id}")).await
    }

    // ------------------------------------------------------------ customers and end users

    pub async fn create_customer(&self, body: &NewCustomer) -> Result<Customer> {
        self.post("/api/v1/customers", body).await
    }

    pub async fn customer(&self, id: i64) -> Result<Customer> {
        self.get(&format!("/api/v1/customers/{id}")).await
    }

    pub async fn customers(&self, q: &ListQuery) -> Result<Page<Customer>> {
        self.get_query("/api/v1/customers", q).await
    }

    /// Customers by keyword, filters (`filters` are sent as repeated `filter[]=`), tag and order.
    pub async fn find_customers(&self, q: &PersonListQuery, filters: &[&str]) -> Result<Page<Customer>> {
        let rb = self.request(Method::GET, "/api/v1/customers").query(q);
        Self::answer(rb.query(&filter_params(filters))).await
    }

    /// End users by keyword, filters (`filters` are sent as repeated `filter[]=`), tag and order.
    pub async fn find_end_users(&self, q: &PersonListQuery, filters: &[&str]) -> Result<Page<EndUser>> {
        let rb = self.request(Method::GET, "/api/v1/end-users").query(q);
        Self::answer(rb.query(&filter_params(filters))).await
    }

    /// The attributes of `customer` or `end_user`: built-in ones first, then the custom ones.
    pub async fn attributes(&self, entity: AttributeEntity) -> Result<Page<Attribute>> {
        self.get(&format!("/api/v1/attributes/{}", entity.as_str())).await
    }

    pub async fn create_attribute(&self, entity: AttributeEntity, body: &AttributeInput) -> Result<Attribute> {
        self.post(&format!("/api/v1/attributes/{}", entity.as_str()), body)
            .await
    }

    pub async fn update_attribute(&self, entity: AttributeEntity, id: i64, body: &AttributeInput) -> Result<Attribute> {
        self.patch(&format!("/api/v1/attributes/{}/{id}", entity.as_str()), body)
            .await
    }

    pub async fn delete_attribute(&self, entity: AttributeEntity, id: i64) -> Result<Attribute> {
        self.delete(&format!("/api/v1/attributes/{}/{id}", entity.as_str()))
            .await
    }

    pub async fn restore_attribute(&self, entity: AttributeEntity, id: i64) -> Result<Attribute> {
        self.post(
            &format!("/api/v1/attributes/{}/{id}/restore", entity.as_str()),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn update_customer(&self, id: i64, body: &CustomerPatch) -> Result<Customer> {
        self.patch(&format!("/api/v1/customers/{id}"), body).await
    }

    pub async fn delete_customer(&self, id: i64) -> Result<Customer> {
        self.delete(&format!("/api/v1/customers/{id}")).await
    }

    pub async fn restore_customer(&self, id: i64) -> Result<Customer> {
        self.post(&format!("/api/v1/customers/{id}/restore"), &serde_json::json!({}))
            .await
    }

    pub async fn customer_events(&self, id: i64, q: &EventQuery) -> Result<Page<Event>> {
        self.get_query(&format!("/api/v1/customers/{id}/events"), q).await
    }

    pub async fn customer_end_users(&self, id: i64, q: &ListQuery) -> Result<Page<EndUser>> {
        self.get_query(&format!("/api/v1/customers/{id}/end-users"), q).await
    }

    /// Moves end users of customer `id` to another customer; answers the moved ones.
    pub async fn migrate_end_users(&self, id: i64, body: &MigrateEndUsers) -> Result<Page<EndUser>> {
        self.put(&format!("/api/v1/customers/{id}/end-users"), body).await
    }

    pub async fn create_end_user(&self, body: &NewEndUser) -> Result<EndUser> {
        self.post("/api/v1/end-users", body).await
    }

    pub async fn end_user(&self, id: i64) -> Result<EndUser> {
        self.get(&format!("/api/v1/end-users/{id}")).await
    }

    pub async fn end_users(&self, q: &ListQuery) -> Result<Page<EndUser>> {
        self.get_query("/api/v1/end-users", q).await
    }

    pub async fn update_end_user(&self, id: i64, body: &EndUserPatch) -> Result<EndUser> {
        self.patch(&format!("/api/v1/end-users/{id}"), body).await
    }

    pub async fn delete_end_user(&self, id: i64) -> Result<EndUser> {
        self.delete(&format!("/api/v1/end-users/{id}")).await
    }

    pub async fn restore_end_user(&self, id: i64) -> Result<EndUser> {
        self.post(&format!("/api/v1/end-users/{id}/restore"), &serde_json::json!({}))
            .await
    }

    pub async fn end_user_tokens(&self, id: i64, q: &ListQuery) -> Result<Page<ApiToken>> {
        self.get_query(&format!("/api/v1/end-users/{id}/tokens"), q).await
    }

    pub async fn create_end_user_token(&self, id: i64, name: Option<&str>) -> Result<CreatedToken> {
        self.post(
            &format!("/api/v1/end-users/{id}/tokens"),
            &serde_json::json!({ "name": name }),
        )
        .await
    }

    // ------------------------------------------------------------ tickets

    pub async fn create_ticket(&self, body: &NewTicket) -> Result<Ticket> {
        self.post("/api/v1/tickets", body).await
    }

    pub async fn ticket(&self, id: i64) -> Result<Ticket> {
        self.get(&format!("/api/v1/tickets/{id}")).await
    }

    pub async fn ticket_with_replies(&self, id: i64) -> Result<Ticket> {
        self.get(&format!("/api/v1/tickets/{id}?include=replies")).await
    }

    pub async fn tickets(&self, q: &TicketQuery) -> Result<Page<Ticket>> {
        self.get_query("/api/v1/tickets", q).await
    }

    pub async fn update_ticket(&self, id: i64, body: &TicketPatch) -> Result<Ticket> {
        self.patch(&format!("/api/v1/tickets/{id}"), body).await
    }

    pub async fn delete_ticket(&self, id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/tickets/{id}")).await
    }

    pub async fn replies(&self, ticket_id: i64) -> Result<Page<Reply>> {
        self.get(&format!("/api/v1/tickets/{ticket_id}/replies")).await
    }

    /// One page of a ticket's replies (`limit`, `cursor` of `q`).
    pub async fn replies_page(&self, ticket_id: i64, q: &ListQuery) -> Result<Page<Reply>> {
        self.get_query(&format!("/api/v1/tickets/{ticket_id}/replies"), q).await
    }

    pub async fn reply(&self, ticket_id: i64, body: &NewReply) -> Result<Reply> {
        self.post(&format!("/api/v1/tickets/{ticket_id}/replies"), body).await
    }

    /// A reply with files, sent as `multipart/form-data`: `message`, `internal` and one `file` part per
    /// `(file name, content type, bytes)`.
    pub async fn reply_with_files(
        &self,
        ticket_id: i64,
        body: &NewReply,
        files: Vec<(String, String, Vec<u8>)>,
    ) -> Result<Reply> {
        let mut form = reqwest::multipart::Form::new().text("message", body.message.clone());
        if let Some(internal) = body.internal {
            form = form.text("internal", internal.to_string());
        }
        for (filename, content_type, bytes) in files {
            let part = reqwest::multipart::Part::bytes(bytes)
                .file_name(filename)
                .mime_str(&content_type)?;
            form = form.part("file", part);
        }
        Self::answer(
            self.request(Method::POST, &format!("/api/v1/tickets/{ticket_id}/replies"))
                .multipart(form),
        )
        .await
    }

    /// A reply's file: the answer's headers (`Content-Type`, `Content-Disposition`, …) and its bytes.
    pub async fn attachment(&self, id: i64) -> Result<(reqwest::header::HeaderMap, Vec<u8>)> {
        let response = self
            .request(Method::GET, &format!("/api/v1/attachments/{id}"))
            .send()
            .await?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        if status.is_success() {
            return Ok((headers, bytes.to_vec()));
        }
        Err(match serde_json::from_slice::<Problem>(&bytes) {
            Ok(p) => Error::Api(p),
            Err(_) => Error::Unexpected {
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            },
        })
    }

    pub async fn update_reply(&self, ticket_id: i64, reply_id: i64, body: &ReplyPatch) -> Result<Reply> {
        self.patch(&format!("/api/v1/tickets/{ticket_id}/replies/{reply_id}"), body)
            .await
    }

    pub async fn delete_reply(&self, ticket_id: i64, reply_id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/tickets/{ticket_id}/replies/{reply_id}"))
            .await
    }

    pub async fn mark_read(&self, ticket_id: i64) -> Result<Ticket> {
        self.post(&format!("/api/v1/tickets/{ticket_id}/read"), &serde_json::json!({}))
            .await
    }

    pub async fn search(&self, q: &SearchQuery) -> Result<SearchResults> {
        self.get_query("/api/v1/search", q).await
    }

    // ------------------------------------------------------------ events

    pub async fn events(&self, q: &EventQuery) -> Result<Page<Event>> {
        self.get_query("/api/v1/events", q).await
    }

    pub async fn event(&self, id: i64) -> Result<Event> {
        self.get(&format!("/api/v1/events/{id}")).await
    }

    /// An event with its hook runs and webhook deliveries.
    pub async fn event_detail(&self, id: i64) -> Result<EventDetail> {
        self.get(&format!("/api/v1/events/{id}")).await
    }

    // ------------------------------------------------------------ hooks

    pub async fn create_hook(&self, body: &NewHook) -> Result<HookScript> {
        self.post("/api/v1/hooks", body).await
    }

    pub async fn hook(&self, id: i64) -> Result<HookScript> {
        self.get(&format!("/api/v1/hooks/{id}")).await
    }

    pub async fn hooks(&self, q: &ListQuery) -> Result<Page<HookScript>> {
        self.get_query("/api/v1/hooks", q).await
    }

    pub async fn update_hook(&self, id: i64, body: &HookPatch) -> Result<HookScript> {
        self.patch(&format!("/api/v1/hooks/{id}"), body).await
    }

    pub async fn delete_hook(&self, id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/hooks/{id}")).await
    }

    pub async fn hook_versions(&self, id: i64) -> Result<Vec<HookScriptVersion>> {
        self.get(&format!("/api/v1/hooks/{id}/versions")).await
    }

    pub async fn test_hook(&self, id: i64, ticket_id: i64) -> Result<HookTestResult> {
        self.post(&format!("/api/v1/hooks/{id}/test"), &HookTest { ticket_id })
            .await
    }

    pub async fn hook_runs(&self, id: i64, q: &ListQuery) -> Result<Page<HookRun>> {
        self.get_query(&format!("/api/v1/hooks/{id}/runs"), q).await
    }

    // ------------------------------------------------------------ webhooks

    pub async fn create_webhook(&self, body: &NewWebhook) -> Result<Webhook> {
        self.post("/api/v1/webhooks", body).await
    }

    pub async fn webhook(&self, id: i64) -> Result<Webhook> {
        self.get(&format!("/api/v1/webhooks/{id}")).await
    }

    pub async fn webhooks(&self, q: &ListQuery) -> Result<Page<Webhook>> {
        self.get_query("/api/v1/webhooks", q).await
    }

    pub async fn update_webhook(&self, id: i64, body: &WebhookPatch) -> Result<Webhook> {
        self.patch(&format!("/api/v1/webhooks/{id}"), body).await
    }

    pub async fn delete_webhook(&self, id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/webhooks/{id}")).await
    }

    pub async fn create_mailbox(&self, body: &NewMailbox) -> Result<Mailbox> {
        self.post("/api/v1/mailboxes", body).await
    }

    /// Every mailbox, of one brand when `brand_id` is given.
    pub async fn mailboxes(&self, brand_id: Option<i64>) -> Result<Page<Mailbox>> {
        match brand_id {
            Some(id) => self.get(&format!("/api/v1/mailboxes?brand_id={id}")).await,
            None => self.get("/api/v1/mailboxes").await,
        }
    }

    pub async fn mailbox(&self, id: i64) -> Result<Mailbox> {
        self.get(&format!("/api/v1/mailboxes/{id}")).await
    }

    pub async fn update_mailbox(&self, id: i64, body: &MailboxPatch) -> Result<Mailbox> {
        self.patch(&format!("/api/v1/mailboxes/{id}"), body).await
    }

    pub async fn delete_mailbox(&self, id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/mailboxes/{id}")).await
    }

    /// Connects to the mailbox's IMAP and SMTP servers and says what failed.
    pub async fn test_mailbox(&self, id: i64) -> Result<MailboxTest> {
        self.post(&format!("/api/v1/mailboxes/{id}/test"), &serde_json::json!({}))
            .await
    }

    pub async fn webhook_deliveries(&self, id: i64, q: &ListQuery) -> Result<Page<Delivery>> {
        self.get_query(&format!("/api/v1/webhooks/{id}/deliveries"), q).await
    }

    pub async fn delivery(&self, id: i64) -> Result<Delivery> {
        self.get(&format!("/api/v1/deliveries/{id}")).await
    }

    pub async fn replay_delivery(&self, id: i64) -> Result<Delivery> {
        self.post(&format!("/api/v1/deliveries/{id}/replay"), &serde_json::json!({}))
            .await
    }
}

/// `filter[]=` parameters, one per filter.
fn filter_params<'a>(filters: &[&'a str]) -> Vec<(&'static str, &'a str)> {
    filters.iter().map(|f| ("filter[]", *f)).collect()
}

/// The path of an account: the userkey (any text the backend uses) as one path segment.
fn account_path(brand: i64, userkey: &str) -> String {
    let userkey = percent_encoding::utf8_percent_encode(userkey, percent_encoding::NON_ALPHANUMERIC);
    format!("/api/v1/brands/{brand}/accounts/{userkey}")
}
