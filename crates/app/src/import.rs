//! Importing customers or end users from a table (`ferrodesk import customers FILE.csv`): the header maps
//! columns to built-in fields and custom attributes, and every row is stored by the rules of the API's
//! create and update (the field checks of `people`, [`AttributeSet::apply`] and the database's unique
//! indexes), with its event in the same transaction. Rows are stored in batches, one transaction each; a
//! batch the database refuses is stored again row by row, so a bad row never costs the others. The binary
//! reads the file; nothing here knows about CSV.
use crate::attributes::AttributeSet;
use crate::people::{check_email, check_external_id, check_name, check_phone, check_place, check_tags, end_user_name};
use crate::{App, AppError, AppResult, Change, Fields, RequestMeta, Subject, json, require_staff};
use domain::event::{EntityType, EventAction};
use domain::{AttributeEntity, Customer, Email, EndUser, FieldError, HookPoint, Principal};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use store::time::now;
use store::{StoreError, UniqueKey, Writer};

/// A built-in field that a column of the file can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportField {
    Name,
    FirstName,
    LastName,
    Email,
    Phone,
    City,
    Country,
    ExternalId,
    Tags,
    /// End users: their customer, by id.
    CustomerId,
    /// End users: their customer, by the customer's `external_id`.
    CustomerExternalId,
    /// End users: their customer, by the customer's email.
    CustomerEmail,
}

impl ImportField {
    /// The native spelling, used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::City => "city",
            Self::Country => "country",
            Self::ExternalId => "external_id",
            Self::Tags => "tags",
            Self::CustomerId => "customer_id",
            Self::CustomerExternalId => "customer_external_id",
            Self::CustomerEmail => "customer_email",
        }
    }

    fn names_customer(self) -> bool {
        matches!(self, Self::CustomerId | Self::CustomerExternalId | Self::CustomerEmail)
    }
}

/// What one column of the file fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportColumn {
    Field(ImportField),
    /// A custom attribute, by its defined name.
    Attribute(String),
}

/// Columns that name something ferrodesk sets itself (ids, timestamps, the portal password), lower case.
const NOT_IMPORTABLE: &[&str] = &[
    "id",
    "created_at",
    "createdat",
    "updated_at",
    "updatedat",
    "deleted_at",
    "deletedat",
    "joindate",
    "has_password",
    "password",
];

/// The built-in field a header cell names for `entity`, ignoring case, in the native (`external_id`) or
/// TeamTools (`externalId`) spelling.
pub fn builtin_field(entity: AttributeEntity, header: &str) -> Option<ImportField> {
    use ImportField as F;
    let lower = domain::attribute::native_member_name(header.trim()).to_ascii_lowercase();
    let common = match lower.as_str() {
        "name" => Some(F::Name),
        "email" => Some(F::Email),
        "phone" => Some(F::Phone),
        "city" => Some(F::City),
        "country" => Some(F::Country),
        "tags" => Some(F::Tags),
        _ => None,
    };
    common.or(match (entity, lower.as_str()) {
        (AttributeEntity::Customer, "external_id") => Some(F::ExternalId),
        (AttributeEntity::EndUser, "first_name") => Some(F::FirstName),
        (AttributeEntity::EndUser, "last_name") => Some(F::LastName),
        (AttributeEntity::EndUser, "customer_id") => Some(F::CustomerId),
        (AttributeEntity::EndUser, "customer_external_id" | "customerexternalid") => Some(F::CustomerExternalId),
        (AttributeEntity::EndUser, "customer_email" | "customeremail") => Some(F::CustomerEmail),
        _ => None,
    })
}

/// The tags of a cell: separated by `;` or `,` (a spreadsheet's list), blanks dropped.
pub fn split_tags(cell: &str) -> Vec<String> {
    cell.split([';', ','])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One row of the file: the physical line it starts on (the header is line 1) and one cell per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub line: u64,
    pub cells: Vec<String>,
}

/// What became of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOutcome {
    Created(i64),
    Updated(i64),
    /// The record already held every value of the row: nothing was written.
    Unchanged(i64),
    /// Nothing was written; every reason names its field.
    Failed(Vec<FieldError>),
}

/// A value that only one record may hold, claimed by a row of the file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Claim {
    ExternalId(String),
    CustomerEmail(String),
    EndUserEmail(i64, String),
    /// A unique custom attribute's value, folded as its unique index compares it.
    Attribute(i64, String),
}

/// An import under way: what the columns fill, and the unique values the rows stored so far hold, so that
/// a second row with the same value fails naming the first one's line instead of updating its record.
pub struct Import {
    entity: AttributeEntity,
    columns: Vec<ImportColumn>,
    claimed: HashMap<Claim, u64>,
}

impl Import {
    pub fn entity(&self) -> AttributeEntity {
        self.entity
    }

    pub fn columns(&self) -> &[ImportColumn] {
        &self.columns
    }

    fn claim(&mut self, claims: &[(Claim, String)], line: u64) {
        for (claim, _) in claims {
            self.claimed.insert(claim.clone(), line);
        }
    }

    /// Forgets what the rows of `lines` claimed (they are stored again, or not at all).
    fn release(&mut self, lines: &HashSet<u64>) {
        self.claimed.retain(|_, line| !lines.contains(line));
    }
}

/// The cells of a row that hold a value, by what they fill. An empty (or blank) cell is no value: a create
/// leaves the field empty (or takes the attribute's `defaultValue`), an update leaves it as it is, so
/// running a file again never erases what it does not say.
#[derive(Debug, Default, PartialEq)]
struct RowValues {
    fields: HashMap<ImportField, String>,
    attributes: Map<String, Value>,
    /// End users: the column that names the customer, whether or not this row's cell is empty.
    customer_column: Option<ImportField>,
}

impl RowValues {
    /// Pairs cells with columns; a row with more or fewer cells than the header has is refused.
    fn read(columns: &[ImportColumn], cells: &[String]) -> Result<Self, FieldError> {
        if cells.len() != columns.len() {
            return Err(FieldError::new(
                "row",
                format!("has {} cells, the header has {} columns", cells.len(), columns.len()),
            ));
        }
        let mut values = Self::default();
        for (column, cell) in columns.iter().zip(cells) {
            if let ImportColumn::Field(f) = column
                && f.names_customer()
            {
                values.customer_column = Some(*f);
            }
            if cell.trim().is_empty() {
                continue;
            }
            match column {
                ImportColumn::Field(f) => {
                    values.fields.insert(*f, cell.clone());
                }
                ImportColumn::Attribute(name) => {
                    values.attributes.insert(name.clone(), Value::String(cell.clone()));
                }
            }
        }
        Ok(values)
    }

    /// The value of a field in this row, if its cell has one.
    fn field(&self, f: ImportField) -> Option<String> {
        self.fields.get(&f).cloned()
    }
}

/// A row checked and ready to be written, with the unique values it claims (and their fields).
struct Prepared {
    write: Write,
    claims: Vec<(Claim, String)>,
}

enum Write {
    InsertCustomer(Customer),
    UpdateCustomer { new: Customer, old: Customer },
    InsertEndUser(EndUser),
    UpdateEndUser { new: EndUser, old: EndUser },
    Unchanged(i64),
}

/// Why a batch was not stored in one go.
enum BatchError {
    /// The database refused a write: store the rows one by one to find out which.
    Refused,
    /// Nothing more can be imported (the database is unreachable, …).
    Fatal(AppError),
}

impl From<AppError> for BatchError {
    fn from(e: AppError) -> Self {
        Self::Fatal(e)
    }
}

impl From<StoreError> for BatchError {
    fn from(e: StoreError) -> Self {
        Self::Fatal(e.into())
    }
}

impl App {
    /// Reads a file's header: each column must name a built-in field of the entity or one of its live
    /// custom attributes, once. All problems come at once, each naming its column.
    pub async fn start_import(&self, p: &Principal, entity: AttributeEntity, header: &[String]) -> AppResult<Import> {
        require_staff(p)?;
        let set = AttributeSet::load(&mut *self.store().read().await?, entity).await?;
        let mut fields = Fields::default();
        let mut columns = Vec::with_capacity(header.len());
        for (n, cell) in header.iter().enumerate() {
            let label = cell.trim();
            let column = if label.is_empty() {
                fields.add(&format!("column {}", n + 1), "has no name in the header");
                continue;
            } else if let Some(f) = builtin_field(entity, label) {
                ImportColumn::Field(f)
            } else if NOT_IMPORTABLE.contains(&label.to_ascii_lowercase().as_str()) {
                fields.add(label, "cannot be imported: ferrodesk sets it (leave the column out)");
                continue;
            } else if let Some(def) = set.find(label) {
                ImportColumn::Attribute(def.name.clone())
            } else {
                let path = match entity {
                    AttributeEntity::Customer => "customer",
                    AttributeEntity::EndUser => "end_user",
                };
                fields.add(
                    label,
                    format!(
                        "is neither a field nor a custom attribute of {} (define it first under \
                         /api/v1/attributes/{path}, or leave the column out)",
                        entity_plural(entity)
                    ),
                );
                continue;
            };
            if columns.contains(&column) {
                fields.add(label, "appears twice in the header");
                continue;
            }
            columns.push(column);
        }
        let has = |f: ImportField| columns.contains(&ImportColumn::Field(f));
        match entity {
            AttributeEntity::Customer => {
                if !has(ImportField::Name) {
                    fields.add("name", "the header needs a name column: every customer has a name");
                }
            }
            AttributeEntity::EndUser => {
                if ![ImportField::Name, ImportField::FirstName, ImportField::LastName]
                    .into_iter()
                    .any(has)
                {
                    fields.add("name", "the header needs a name, first_name or last_name column");
                }
                let references = columns
                    .iter()
                    .filter(|c| matches!(c, ImportColumn::Field(f) if f.names_customer()))
                    .count();
                if references != 1 {
                    fields.add(
                        "customer_id",
                        "the header needs exactly one of customer_id, customer_external_id or customer_email \
                         (the customer each end user belongs to)",
                    );
                }
            }
        }
        fields.finish()?;
        Ok(Import {
            entity,
            columns,
            claimed: HashMap::new(),
        })
    }

    /// Stores a batch of rows (in file order) on one transaction, each row as a create or an update with
    /// its event; a row whose values break a rule fails alone. When the database refuses a write (a unique
    /// value another record holds), the batch is rolled back and stored again one row per transaction.
    /// One outcome per row, in order; an error means nothing more can be imported.
    pub async fn import_rows(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        import: &mut Import,
        rows: &[ImportRow],
    ) -> AppResult<Vec<RowOutcome>> {
        require_staff(p)?;
        let change = Change { principal: p, meta };
        match self.import_together(&change, import, rows).await {
            Ok(outcomes) => Ok(outcomes),
            Err(BatchError::Fatal(e)) => Err(e),
            Err(BatchError::Refused) => {
                import.release(&rows.iter().map(|r| r.line).collect());
                let mut outcomes = Vec::with_capacity(rows.len());
                for row in rows {
                    outcomes.push(self.import_alone(&change, import, row).await?);
                }
                Ok(outcomes)
            }
        }
    }

    async fn import_together(
        &self,
        change: &Change<'_>,
        import: &mut Import,
        rows: &[ImportRow],
    ) -> Result<Vec<RowOutcome>, BatchError> {
        let mut tx = self.store().write().await?;
        let set = AttributeSet::load(&mut *tx, import.entity).await?;
        let mut outcomes = Vec::with_capacity(rows.len());
        for row in rows {
            match prepare(&mut *tx, &set, import, row).await? {
                Err(errors) => outcomes.push(RowOutcome::Failed(errors)),
                Ok(prepared) => {
                    import.claim(&prepared.claims, row.line);
                    let outcome = write(&mut *tx, &set, change, prepared.write).await.map_err(refused)?;
                    outcomes.push(outcome);
                }
            }
        }
        tx.commit().await.map_err(refused)?;
        Ok(outcomes)
    }

    /// One row on its own transaction: a refusal by the database becomes the row's failure.
    async fn import_alone(&self, change: &Change<'_>, import: &mut Import, row: &ImportRow) -> AppResult<RowOutcome> {
        let mut tx = self.store().write().await?;
        let set = AttributeSet::load(&mut *tx, import.entity).await?;
        let prepared = match prepare(&mut *tx, &set, import, row).await? {
            Err(errors) => return Ok(RowOutcome::Failed(errors)),
            Ok(prepared) => prepared,
        };
        let stored = async {
            let outcome = write(&mut *tx, &set, change, prepared.write).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(outcome)
        }
        .await;
        match stored {
            Ok(outcome) => {
                import.claim(&prepared.claims, row.line);
                Ok(outcome)
            }
            Err(e @ StoreError::Unavailable { .. }) => Err(e.into()),
            // Another writer gave the customer an end user with this email since the row was checked.
            Err(StoreError::Unique(UniqueKey::EndUserEmail)) => Ok(RowOutcome::Failed(vec![FieldError::new(
                "email",
                "must be unique: this customer already has an end user with this email",
            )])),
            Err(e) => Ok(RowOutcome::Failed(match set.explain(e, import.entity) {
                AppError::Validation(errors) => errors,
                AppError::Conflict(message) => vec![FieldError::new("row", message)],
                other => vec![FieldError::new("row", format!("could not be stored: {other}"))],
            })),
        }
    }
}

fn entity_plural(entity: AttributeEntity) -> &'static str {
    match entity {
        AttributeEntity::Customer => "customers",
        AttributeEntity::EndUser => "end users",
    }
}

/// A write the database refused: worth telling the rows apart, unless the database is gone.
fn refused(e: StoreError) -> BatchError {
    match e {
        StoreError::Unavailable { .. } => BatchError::Fatal(e.into()),
        _ => BatchError::Refused,
    }
}

/// Checks a row against the entity's rules and finds the record it updates, if any.
async fn prepare(
    tx: &mut dyn Writer,
    set: &AttributeSet,
    import: &Import,
    row: &ImportRow,
) -> AppResult<Result<Prepared, Vec<FieldError>>> {
    let values = match RowValues::read(&import.columns, &row.cells) {
        Ok(values) => values,
        Err(e) => return Ok(Err(vec![e])),
    };
    let prepared = match import.entity {
        AttributeEntity::Customer => prepare_customer(tx, set, &values).await?,
        AttributeEntity::EndUser => prepare_end_user(tx, set, &values).await?,
    };
    let Ok(prepared) = prepared else {
        return Ok(prepared);
    };
    // The first value taken is the reason: the record's keys come first, and a row that matches a record
    // an earlier row stored would otherwise also be blamed for that record's other values.
    let taken = prepared.claims.iter().find_map(|(claim, field)| {
        let line = *import.claimed.get(claim)?;
        (line != row.line).then(|| {
            FieldError::new(
                field,
                format!("must be unique: line {line} of this file has the same value"),
            )
        })
    });
    Ok(match taken {
        None => Ok(prepared),
        Some(e) => Err(vec![e]),
    })
}

/// The unique custom attribute values of a record, as claims.
fn attribute_claims(set: &AttributeSet, values: &domain::Attributes) -> Vec<(Claim, String)> {
    set.index(values)
        .into_iter()
        .filter_map(|v| {
            let def = set.live().find(|a| a.id == Some(v.attribute_id) && a.unique)?;
            Some((Claim::Attribute(v.attribute_id, v.folded), def.name.clone()))
        })
        .collect()
}

async fn prepare_customer(
    tx: &mut dyn Writer,
    set: &AttributeSet,
    values: &RowValues,
) -> AppResult<Result<Prepared, Vec<FieldError>>> {
    use ImportField as F;
    let mut fields = Fields::default();
    let external_id = check_external_id(&mut fields, values.field(F::ExternalId));
    let email = check_email(&mut fields, values.field(F::Email));
    // The record to update: by external_id, else by email (unless that one has another external_id).
    let mut existing: Option<(Customer, &'static str)> = None;
    if let Some(ext) = &external_id {
        existing = tx.customer_by_external_id(ext).await?.map(|c| (c, "external_id"));
    }
    if let Some(email) = &email {
        match tx.customer_by_email(email).await? {
            Some(owner) if existing.as_ref().is_some_and(|(c, _)| c.id != owner.id) => fields.add(
                "email",
                format!("must be unique: another customer (id {}) has this email", owner.id),
            ),
            Some(owner) if existing.is_none() => match (&owner.external_id, &external_id) {
                (Some(theirs), Some(_)) => fields.add(
                    "email",
                    format!(
                        "must be unique: another customer (id {}, external_id {theirs}) has this email",
                        owner.id
                    ),
                ),
                _ => existing = Some((owner, "email")),
            },
            _ => {}
        }
    }
    if let Some((old, matched_by)) = &existing
        && old.deleted_at.is_some()
    {
        fields.add(
            matched_by,
            format!("matches customer {}, which is deleted: restore it first", old.id),
        );
        return Ok(Err(fields.0));
    }
    let existing = existing.map(|(c, _)| c);
    let creating = existing.is_none();
    let at = now();
    let mut c = existing.clone().unwrap_or_else(|| Customer {
        id: 0,
        name: String::new(),
        email: None,
        phone: None,
        city: None,
        country: None,
        external_id: None,
        tags: Vec::new(),
        attributes: Default::default(),
        created_at: at,
        updated_at: at,
        deleted_at: None,
    });
    match values.field(F::Name) {
        Some(name) => c.name = check_name(&mut fields, &name),
        None if creating => c.name = check_name(&mut fields, ""),
        None => {}
    }
    if email.is_some() {
        c.email = email;
    }
    if external_id.is_some() {
        c.external_id = external_id;
    }
    if let Some(v) = values.field(F::Phone) {
        c.phone = check_phone(&mut fields, Some(v));
    }
    if let Some(v) = values.field(F::City) {
        c.city = check_place(&mut fields, "city", Some(v));
    }
    if let Some(v) = values.field(F::Country) {
        c.country = check_place(&mut fields, "country", Some(v));
    }
    if let Some(v) = values.field(F::Tags) {
        c.tags = check_tags(&mut fields, Some(split_tags(&v)));
    }
    set.apply(&mut c.attributes, values.attributes.clone(), creating, &mut fields);
    if !fields.0.is_empty() {
        return Ok(Err(fields.0));
    }
    let mut claims = Vec::new();
    if let Some(ext) = &c.external_id {
        claims.push((Claim::ExternalId(ext.clone()), "external_id".into()));
    }
    if let Some(email) = &c.email {
        claims.push((Claim::CustomerEmail(email.clone()), "email".into()));
    }
    claims.extend(attribute_claims(set, &c.attributes));
    let write = match existing {
        None => Write::InsertCustomer(c),
        Some(old) if old == c => Write::Unchanged(old.id),
        Some(old) => Write::UpdateCustomer { new: c, old },
    };
    Ok(Ok(Prepared { write, claims }))
}

async fn prepare_end_user(
    tx: &mut dyn Writer,
    set: &AttributeSet,
    values: &RowValues,
) -> AppResult<Result<Prepared, Vec<FieldError>>> {
    use ImportField as F;
    let mut fields = Fields::default();
    let customer = customer_of(tx, values, &mut fields).await?;
    let email = check_email(&mut fields, values.field(F::Email));
    let Some(customer_id) = customer else {
        return Ok(Err(fields.0));
    };
    // The record to update: the customer's live end user with this email.
    let existing = match &email {
        Some(email) => tx.end_user_by_email(customer_id, email).await?,
        None => None,
    };
    let creating = existing.is_none();
    let at = now();
    let mut u = existing.clone().unwrap_or_else(|| EndUser {
        id: 0,
        customer_id,
        name: String::new(),
        first_name: None,
        last_name: None,
        email: None,
        phone: None,
        city: None,
        country: None,
        tags: Vec::new(),
        attributes: Default::default(),
        has_password: false,
        created_at: at,
        updated_at: at,
        deleted_at: None,
    });
    let first_name = values.field(F::FirstName);
    let last_name = values.field(F::LastName);
    let named = [F::Name, F::FirstName, F::LastName]
        .into_iter()
        .any(|f| values.fields.contains_key(&f));
    if first_name.is_some() {
        u.first_name = check_place(&mut fields, "first_name", first_name);
    }
    if last_name.is_some() {
        u.last_name = check_place(&mut fields, "last_name", last_name);
    }
    // A row that names the person sets the name: the one given, or else `first_name last_name`.
    if named || creating {
        let name = end_user_name(values.field(F::Name), u.first_name.as_deref(), u.last_name.as_deref());
        u.name = check_name(&mut fields, &name);
    }
    if email.is_some() {
        u.email = email;
    }
    if let Some(v) = values.field(F::Phone) {
        u.phone = check_phone(&mut fields, Some(v));
    }
    if let Some(v) = values.field(F::City) {
        u.city = check_place(&mut fields, "city", Some(v));
    }
    if let Some(v) = values.field(F::Country) {
        u.country = check_place(&mut fields, "country", Some(v));
    }
    if let Some(v) = values.field(F::Tags) {
        u.tags = check_tags(&mut fields, Some(split_tags(&v)));
    }
    set.apply(&mut u.attributes, values.attributes.clone(), creating, &mut fields);
    if !fields.0.is_empty() {
        return Ok(Err(fields.0));
    }
    let mut claims = Vec::new();
    if let Some(email) = &u.email {
        claims.push((Claim::EndUserEmail(customer_id, email.clone()), "email".into()));
    }
    claims.extend(attribute_claims(set, &u.attributes));
    let write = match existing {
        None => Write::InsertEndUser(u),
        Some(old) if old == u => Write::Unchanged(old.id),
        Some(old) => Write::UpdateEndUser { new: u, old },
    };
    Ok(Ok(Prepared { write, claims }))
}

/// The live customer an end-user row names (by id, external_id or email), or the field's error.
async fn customer_of(tx: &mut dyn Writer, values: &RowValues, fields: &mut Fields) -> AppResult<Option<i64>> {
    use ImportField as F;
    // The header has one such column (checked at the start).
    let field = values.customer_column.unwrap_or(F::CustomerId);
    let Some(cell) = values.field(field) else {
        fields.add(field.as_str(), "is required: the customer the end user belongs to");
        return Ok(None);
    };
    let cell = cell.trim();
    let found = match field {
        F::CustomerId => match cell.parse::<i64>() {
            Ok(id) => tx.customer(id).await?,
            Err(_) => {
                fields.add(field.as_str(), "must be a customer id (a whole number)");
                return Ok(None);
            }
        },
        F::CustomerExternalId => tx.customer_by_external_id(cell).await?,
        _ => match Email::parse(cell) {
            Ok(email) => tx.customer_by_email(email.as_str()).await?,
            Err(e) => {
                fields.add(field.as_str(), e);
                return Ok(None);
            }
        },
    };
    match found {
        Some(c) if c.deleted_at.is_none() => Ok(Some(c.id)),
        Some(c) => {
            fields.add(
                field.as_str(),
                format!("customer {} is deleted: restore it first", c.id),
            );
            Ok(None)
        }
        None => {
            fields.add(field.as_str(), "no such customer");
            Ok(None)
        }
    }
}

/// Writes a checked row and its event (`CustomerCreated`, `EndUserUpdated`, …) as the API's create and
/// update do.
async fn write(
    tx: &mut dyn Writer,
    set: &AttributeSet,
    change: &Change<'_>,
    write: Write,
) -> Result<RowOutcome, StoreError> {
    let (outcome, event) = match write {
        Write::Unchanged(id) => return Ok(RowOutcome::Unchanged(id)),
        Write::InsertCustomer(c) => {
            let mut c = tx.insert_customer(&c, &set.index(&c.attributes)).await?;
            set.visible(&mut c.attributes);
            let event = change.event(
                EventAction::Created,
                Subject(EntityType::Customer, c.id, Some(c.id)),
                Some(HookPoint::CustomerCreated),
                json(&c),
                Value::Null,
            );
            (RowOutcome::Created(c.id), event)
        }
        Write::UpdateCustomer { mut new, mut old } => {
            new.updated_at = now();
            tx.update_customer(&new, Some(&set.index(&new.attributes))).await?;
            set.visible(&mut new.attributes);
            set.visible(&mut old.attributes);
            let event = change.event(
                EventAction::Updated,
                Subject(EntityType::Customer, new.id, Some(new.id)),
                Some(HookPoint::CustomerUpdated),
                json(&new),
                json(&old),
            );
            (RowOutcome::Updated(new.id), event)
        }
        Write::InsertEndUser(u) => {
            let mut u = tx.insert_end_user(&u, None, &set.index(&u.attributes)).await?;
            set.visible(&mut u.attributes);
            let event = change.event(
                EventAction::Created,
                Subject(EntityType::EndUser, u.id, Some(u.customer_id)),
                Some(HookPoint::EndUserCreated),
                json(&u),
                Value::Null,
            );
            (RowOutcome::Created(u.id), event)
        }
        Write::UpdateEndUser { mut new, mut old } => {
            new.updated_at = now();
            tx.update_end_user(&new, None, Some(&set.index(&new.attributes)))
                .await?;
            set.visible(&mut new.attributes);
            set.visible(&mut old.attributes);
            let event = change.event(
                EventAction::Updated,
                Subject(EntityType::EndUser, new.id, Some(new.customer_id)),
                Some(HookPoint::EndUserUpdated),
                json(&new),
                json(&old),
            );
            (RowOutcome::Updated(new.id), event)
        }
    };
    tx.insert_event(&event).await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn headers_name_fields_in_either_spelling_and_any_case() {
        use AttributeEntity::{Customer as C, EndUser as U};
        assert_eq!(builtin_field(C, "external_id"), Some(ImportField::ExternalId));
        assert_eq!(builtin_field(C, "externalId"), Some(ImportField::ExternalId));
        assert_eq!(builtin_field(C, " Email "), Some(ImportField::Email));
        assert_eq!(builtin_field(U, "firstName"), Some(ImportField::FirstName));
        assert_eq!(builtin_field(U, "LAST_NAME"), Some(ImportField::LastName));
        assert_eq!(
            builtin_field(U, "customerExternalId"),
            Some(ImportField::CustomerExternalId)
        );
        assert_eq!(builtin_field(U, "customer_email"), Some(ImportField::CustomerEmail));
        // Fields of the other entity are not fields here.
        assert_eq!(builtin_field(C, "first_name"), None);
        assert_eq!(builtin_field(C, "customer_id"), None);
        assert_eq!(builtin_field(U, "external_id"), None);
        assert_eq!(builtin_field(C, "plan"), None);
    }

    #[test]
    fn tags_split_on_semicolons_and_commas() {
        assert_eq!(split_tags("vip; hosting,eu"), vec!["vip", "hosting", "eu"]);
        assert_eq!(split_tags(" ; ,"), Vec::<String>::new());
        assert_eq!(split_tags("one tag"), vec!["one tag"]);
    }

    #[test]
    fn cells_pair_with_columns_and_blank_means_no_value() {
        let columns = vec![
            ImportColumn::Field(ImportField::Name),
            ImportColumn::Field(ImportField::Phone),
            ImportColumn::Attribute("plan".into()),
            ImportColumn::Attribute("seats".into()),
        ];
        let v = RowValues::read(&columns, &cells(&["Acme", "  ", "gold", ""])).expect("as many cells as columns");
        assert_eq!(v.field(ImportField::Name), Some("Acme".into()));
        assert_eq!(v.field(ImportField::Phone), None, "a blank cell is no value");
        assert_eq!(v.field(ImportField::Email), None, "no such column");
        assert_eq!(v.attributes.get("plan"), Some(&Value::String("gold".into())));
        assert!(
            !v.attributes.contains_key("seats"),
            "an empty attribute is left out: defaults apply on a create, an update keeps the value"
        );
    }

    #[test]
    fn a_row_must_have_a_cell_per_column() {
        let columns = vec![
            ImportColumn::Field(ImportField::Name),
            ImportColumn::Field(ImportField::Email),
        ];
        let short = RowValues::read(&columns, &cells(&["Acme"])).expect_err("too few cells");
        assert_eq!(short.field, "row");
        assert_eq!(short.message, "has 1 cells, the header has 2 columns");
        assert!(
            RowValues::read(&columns, &cells(&["a", "b", "c"])).is_err(),
            "too many cells"
        );
    }
}
