//! Custom attributes: their definitions (admin), and the rules every write of a customer or end user
//! follows for their values — type, required, editable, unique — whichever API the write came through.
use crate::{App, AppError, AppResult, Change, Fields, RequestMeta, Subject, commit_with_event, json, require_admin};
use api_types::AttributeInput;
use domain::attribute::{self, AttributeDraft, builtin_attributes};
use domain::event::{EntityType, EventAction};
use domain::{Attribute, AttributeEntity, Attributes, Principal};
use serde_json::{Map, Value};
use store::time::now;
use store::{FOLDED_CHARS, IndexedValue, PeopleRead, StoreError, UniqueKey};

/// Members of a customer or end user that a client may send back as it read them (a whole object after a
/// GET, or TeamTools' SDK), and that are not written.
const READ_ONLY: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "deleted_at",
    "has_password",
    "joinDate",
    "notes",
    "customerId",
];

fn entity_type_name(entity: AttributeEntity) -> &'static str {
    match entity {
        AttributeEntity::Customer => "customer",
        AttributeEntity::EndUser => "end user",
    }
}

/// The indexed forms (`attribute_values` rows) of an entity's `values` under the definitions `all` (live and
/// deleted ones): every write computes them here, and so does the benchmark's seeding, which writes
/// through the store directly.
pub fn indexed_values(all: &[Attribute], values: &Attributes) -> Vec<IndexedValue> {
    all.iter()
        .filter_map(|def| {
            let id = def.id?;
            let value = def.check_value(values.get(&def.name)?).ok()??;
            let folded: String = value.folded().chars().take(FOLDED_CHARS).collect();
            Some(IndexedValue {
                attribute_id: id,
                value: value.text(),
                folded,
                number: value.number(),
            })
        })
        .collect()
}

/// Every attribute definition of one entity kind, as read at the start of a use case.
pub(crate) struct AttributeSet {
    /// Live and soft-deleted custom attributes (values of deleted ones stay indexed, for their restore).
    all: Vec<Attribute>,
}

impl AttributeSet {
    pub(crate) async fn load(db: &mut (impl PeopleRead + ?Sized), entity: AttributeEntity) -> AppResult<Self> {
        Ok(Self {
            all: db.attributes(entity, true).await?,
        })
    }

    pub(crate) fn live(&self) -> impl Iterator<Item = &Attribute> {
        self.all.iter().filter(|a| a.deleted_at.is_none())
    }

    /// A live custom attribute by name (case-insensitively, as names are unique that way).
    pub(crate) fn find(&self, name: &str) -> Option<&Attribute> {
        self.live().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    fn by_id(&self, id: i64) -> Option<&Attribute> {
        self.all.iter().find(|a| a.id == Some(id))
    }

    /// Applies the attribute members of a create (`creating`) or update to `values`: unknown names,
    /// wrong types, missing required values and changes to non-editable attributes are field errors;
    /// a create fills in defaults.
    pub(crate) fn apply(
        &self,
        values: &mut Attributes,
        input: Map<String, Value>,
        creating: bool,
        fields: &mut Fields,
    ) {
        let mut given_names = Vec::new();
        for (name, given) in input {
            if READ_ONLY.contains(&name.as_str()) {
                continue;
            }
            given_names.push(name.to_ascii_lowercase());
            let Some(def) = self.find(&name) else {
                fields.add(&name, "is not an attribute (create it first under /api/v1/attributes)");
                continue;
            };
            match def.check_value(&given) {
                Err(e) => fields.add(&def.name, e),
                Ok(value) => {
                    let value = value.map(|v| v.to_json());
                    let current = values.get(&def.name).cloned();
                    if !creating && !def.editable && value != current {
                        fields.add(&def.name, "is not editable");
                        continue;
                    }
                    match value {
                        None if def.required => fields.add(&def.name, "is required"),
                        None => {
                            values.remove(&def.name);
                        }
                        Some(v) => {
                            if def.unique && v.as_str().is_some_and(|s| s.chars().count() > FOLDED_CHARS) {
                                fields.add(
                                    &def.name,
                                    format!("a unique value must be at most {FOLDED_CHARS} characters"),
                                );
                            }
                            values.insert(def.name.clone(), v);
                        }
                    }
                }
            }
        }
        if creating {
            for def in self.live() {
                // A value given (and already judged) is not missing.
                if values.contains_key(&def.name) || given_names.contains(&def.name.to_ascii_lowercase()) {
                    continue;
                }
                match &def.default_value {
                    Some(v) => {
                        values.insert(def.name.clone(), v.clone());
                    }
                    None if def.required => fields.add(&def.name, "is required"),
                    None => {}
                }
            }
        }
    }

    /// The indexed forms of an entity's values, for every attribute that has one (deleted attributes too).
    pub(crate) fn index(&self, values: &Attributes) -> Vec<IndexedValue> {
        indexed_values(&self.all, values)
    }

    /// The values a client sees: those of live attributes.
    pub(crate) fn visible(&self, values: &mut Attributes) {
        values.retain(|name, _| self.live().any(|a| a.name == *name));
    }

    /// A store error, with a broken attribute uniqueness turned into the field error SPEC §3.4 asks for
    /// (also for the loser of a race, which only the database sees).
    pub(crate) fn explain(&self, e: StoreError, entity: AttributeEntity) -> AppError {
        let what = entity_type_name(entity);
        match e {
            StoreError::Unique(UniqueKey::AttributeValue(Some(id))) => {
                let name = self.by_id(id).map_or("attribute", |a| a.name.as_str());
                AppError::field(name, format!("must be unique: another {what} has this value"))
            }
            StoreError::Unique(UniqueKey::CustomerEmail) => {
                AppError::field("email", "must be unique: another customer has this email")
            }
            StoreError::Unique(UniqueKey::CustomerExternalId) => {
                AppError::field("external_id", "must be unique: another customer has this external_id")
            }
            other => other.into(),
        }
    }
}

fn draft(input: AttributeInput) -> AttributeDraft {
    AttributeDraft {
        name: input.name,
        pretty_name: input.pretty_name,
        kind: input.kind,
        description: input.description,
        required: input.required,
        editable: input.editable,
        searchable: input.searchable,
        unique: input.unique,
        default_value: input.default_value.filter(|v| !v.is_null()),
        options: input.options,
    }
}

fn field_errors(errors: Vec<(&'static str, String)>) -> AppError {
    let mut fields = Fields::default();
    for (field, message) in errors {
        fields.add(field, message);
    }
    fields
        .finish()
        .err()
        .unwrap_or(AppError::Internal("no field errors".into()))
}

impl App {
    /// The attributes of an entity: built-in ones first (`default: true`), then the live custom ones.
    /// Staff only (the definitions say how the customer database is kept).
    pub async fn list_attributes(&self, p: &Principal, entity: AttributeEntity) -> AppResult<Vec<Attribute>> {
        crate::require_staff(p)?;
        let mut out = builtin_attributes(entity);
        out.extend(self.store().read().await?.attributes(entity, false).await?);
        Ok(out)
    }

    pub async fn get_attribute(&self, p: &Principal, entity: AttributeEntity, id: i64) -> AppResult<Attribute> {
        crate::require_staff(p)?;
        self.store()
            .read()
            .await?
            .attribute(id)
            .await?
            .filter(|a| a.entity == entity && a.deleted_at.is_none())
            .ok_or(AppError::NotFound)
    }

    pub async fn create_attribute(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        entity: AttributeEntity,
        input: AttributeInput,
    ) -> AppResult<Attribute> {
        require_admin(p)?;
        let attribute = attribute::new_attribute(entity, draft(input), now()).map_err(field_errors)?;
        let mut tx = self.store().write().await?;
        let a = tx.insert_attribute(&attribute).await.map_err(|e| match e {
            StoreError::Unique(UniqueKey::AttributeName) => AppError::field(
                "name",
                "another attribute has this name (a deleted one keeps its name: restore it instead)",
            ),
            other => other.into(),
        })?;
        let id = a.id.unwrap_or_default();
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Created,
                Subject(EntityType::Attribute, id, None),
                None,
                json(&a),
                Value::Null,
            ),
        )
        .await?;
        Ok(a)
    }

    /// Changes a custom attribute. Making it unique while values repeat is 409 `conflict`.
    pub async fn update_attribute(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        entity: AttributeEntity,
        id: i64,
        input: AttributeInput,
    ) -> AppResult<Attribute> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx
            .attribute(id)
            .await?
            .filter(|a| a.entity == entity && a.deleted_at.is_none())
            .ok_or(AppError::NotFound)?;
        let a = attribute::change_attribute(&old, draft(input), now()).map_err(field_errors)?;
        if a == (Attribute {
            updated_at: a.updated_at,
            ..old.clone()
        }) {
            return Ok(old);
        }
        tx.update_attribute(&a, &old).await.map_err(|e| match e {
            StoreError::Unique(UniqueKey::AttributeValue(_)) => {
                AppError::Conflict(format!("{} values repeat: they cannot be made unique", a.name))
            }
            other => other.into(),
        })?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Updated,
                Subject(EntityType::Attribute, id, None),
                None,
                json(&a),
                json(&old),
            ),
        )
        .await?;
        Ok(a)
    }

    /// Soft delete (`deleted = true`) or restore of a custom attribute; its values stay with the entities,
    /// hidden while it is deleted.
    pub async fn set_attribute_deleted(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        entity: AttributeEntity,
        id: i64,
        deleted: bool,
    ) -> AppResult<Attribute> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx
            .attribute(id)
            .await?
            .filter(|a| a.entity == entity)
            .ok_or(AppError::NotFound)?;
        if old.deleted_at.is_some() == deleted {
            return if deleted {
                Err(AppError::NotFound)
            } else {
                Err(AppError::Conflict(format!("attribute {} is not deleted", old.name)))
            };
        }
        let at = now();
        let a = Attribute {
            deleted_at: deleted.then_some(at),
            updated_at: Some(at),
            ..old.clone()
        };
        tx.update_attribute(&a, &old).await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                if deleted {
                    EventAction::Deleted
                } else {
                    EventAction::Restored
                },
                Subject(EntityType::Attribute, id, None),
                None,
                json(&a),
                json(&old),
            ),
        )
        .await?;
        Ok(a)
    }
}
