//! The people's SQL: staff accounts, API tokens, customers and end users.
use crate::attributes::{as_defined, search_text, write_tags, write_values};
use crate::{
    Dialect, RowExt, RowMap, SqlConn, Transaction, Value, by_id, count_row, decode_err, from_json_text, id_page,
    json_text,
};
use domain::{ActivityEvent, ApiToken, Attribute, AttributeEntity, Customer, EndUser, Role, Staff};
use store::time::{from_micros, to_micros};
use store::{
    DeletedFilter, EndUserCredentials, IndexedValue, PageRequest, PeopleRead, PeopleWrite, PersonQuery, Result,
    StaffCredentials,
};

fn role(s: &str) -> Result<Role> {
    Role::parse(s).map_err(|e| decode_err("role", e))
}

const STAFF_COLS: &str = "id, email, name, role, created_at, updated_at";

const STAFF_ROW: RowMap<Staff> = |r| {
    Ok(Staff {
        id: r.get("id")?,
        email: r.get("email")?,
        name: r.get("name")?,
        role: role(r.get("role")?)?,
        // Memberships are a table of their own (`MailRead::staff_departments`).
        department_ids: Vec::new(),
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
    })
};

const TOKEN_COLS: &str = "id, name, role, end_user_id, created_by, created_at";

const TOKEN_ROW: RowMap<ApiToken> = |r| {
    Ok(ApiToken {
        id: r.get("id")?,
        name: r.get("name")?,
        role: role(r.get("role")?)?,
        end_user_id: r.get("end_user_id")?,
        created_by: r.get("created_by")?,
        created_at: from_micros(r.get("created_at")?),
    })
};

pub(crate) const CUSTOMER_COLS: &str =
    "id, name, email, phone, city, country, external_id, tags, attributes, created_at, updated_at, deleted_at";

pub(crate) const CUSTOMER_ROW: RowMap<Customer> = |r| {
    Ok(Customer {
        id: r.get("id")?,
        name: r.get("name")?,
        email: r.get("email")?,
        phone: r.get("phone")?,
        city: r.get("city")?,
        country: r.get("country")?,
        external_id: r.get("external_id")?,
        tags: from_json_text("customer tags", r.get("tags")?)?,
        attributes: from_json_text("customer attributes", r.get("attributes")?)?,
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
        deleted_at: r.get::<Option<i64>>("deleted_at")?.map(from_micros),
    })
};

pub(crate) const END_USER_COLS: &str = "id, customer_id, name, first_name, last_name, email, phone, city, country, \
     tags, attributes, password_hash, created_at, updated_at, deleted_at";

pub(crate) const END_USER_ROW: RowMap<EndUser> = |r| {
    Ok(EndUser {
        id: r.get("id")?,
        customer_id: r.get("customer_id")?,
        name: r.get("name")?,
        first_name: r.get("first_name")?,
        last_name: r.get("last_name")?,
        email: r.get("email")?,
        phone: r.get("phone")?,
        city: r.get("city")?,
        country: r.get("country")?,
        tags: from_json_text("end user tags", r.get("tags")?)?,
        attributes: from_json_text("end user attributes", r.get("attributes")?)?,
        has_password: r.get::<Option<&str>>("password_hash")?.is_some(),
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
        deleted_at: r.get::<Option<i64>>("deleted_at")?.map(from_micros),
    })
};

const ACTIVITY_COLS: &str = "id, end_user_id, customer_id, name, counter, metadata, timestamp";

const ACTIVITY_ROW: RowMap<ActivityEvent> = |r| {
    Ok(ActivityEvent {
        id: r.get("id")?,
        end_user_id: r.get("end_user_id")?,
        customer_id: r.get("customer_id")?,
        name: r.get("name")?,
        counter: r.get("counter")?,
        metadata: from_json_text("activity metadata", r.get("metadata")?)?,
        timestamp: from_micros(r.get("timestamp")?),
    })
};

#[async_trait::async_trait]
impl<C: Dialect> PeopleRead for SqlConn<C> {
    async fn staff(&mut self, id: i64) -> Result<Option<Staff>> {
        by_id(&mut self.conn, STAFF_COLS, "staff", id, STAFF_ROW).await
    }

    async fn staff_credentials(&mut self, email: &str) -> Result<Option<StaffCredentials>> {
        let sql = format!("SELECT {STAFF_COLS}, password_hash FROM staff WHERE email = $1");
        let map: RowMap<StaffCredentials> = |r| {
            Ok(StaffCredentials {
                staff: STAFF_ROW(r)?,
                password_hash: r.get("password_hash")?,
            })
        };
        self.conn.fetch_optional(sql.into(), &[Value::from(email)], map).await
    }

    async fn staff_list(&mut self, page: &PageRequest) -> Result<Vec<Staff>> {
        id_page(&mut self.conn, STAFF_COLS, "staff", "", None, page, STAFF_ROW).await
    }

    async fn staff_count(&mut self, role: Option<Role>) -> Result<i64> {
        let sql = "SELECT COUNT(*) AS count FROM staff WHERE $1 IS NULL OR role = $1";
        self.conn
            .fetch_one(sql.into(), &[Value::from(role.map(Role::as_str))], count_row)
            .await
    }

    async fn token(&mut self, id: i64) -> Result<Option<ApiToken>> {
        by_id(&mut self.conn, TOKEN_COLS, "api_tokens", id, TOKEN_ROW).await
    }

    async fn token_by_hash(&mut self, secret_hash: &str) -> Result<Option<ApiToken>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE secret_hash = $1");
        self.conn
            .fetch_optional(sql.into(), &[Value::from(secret_hash)], TOKEN_ROW)
            .await
    }

    async fn token_list(&mut self, page: &PageRequest) -> Result<Vec<ApiToken>> {
        id_page(&mut self.conn, TOKEN_COLS, "api_tokens", "", None, page, TOKEN_ROW).await
    }

    async fn end_user_token_list(&mut self, end_user_id: i64, page: &PageRequest) -> Result<Vec<ApiToken>> {
        let condition = "AND end_user_id = $3";
        id_page(
            &mut self.conn,
            TOKEN_COLS,
            "api_tokens",
            condition,
            Some(end_user_id),
            page,
            TOKEN_ROW,
        )
        .await
    }

    async fn customer(&mut self, id: i64) -> Result<Option<Customer>> {
        by_id(&mut self.conn, CUSTOMER_COLS, "customers", id, CUSTOMER_ROW).await
    }

    async fn customer_list(&mut self, deleted: DeletedFilter, page: &PageRequest) -> Result<Vec<Customer>> {
        let condition = match deleted {
            DeletedFilter::Exclude => "AND deleted_at IS NULL",
            DeletedFilter::Only => "AND deleted_at IS NOT NULL",
            DeletedFilter::Include => "",
        };
        id_page(
            &mut self.conn,
            CUSTOMER_COLS,
            "customers",
            condition,
            None,
            page,
            CUSTOMER_ROW,
        )
        .await
    }

    async fn end_user(&mut self, id: i64) -> Result<Option<EndUser>> {
        by_id(&mut self.conn, END_USER_COLS, "end_users", id, END_USER_ROW).await
    }

    async fn end_user_credentials(&mut self, email: &str) -> Result<Option<EndUserCredentials>> {
        let sql = format!(
            "SELECT {END_USER_COLS} FROM end_users WHERE email = $1 AND deleted_at IS NULL \
             AND password_hash IS NOT NULL ORDER BY id LIMIT 1"
        );
        let map: RowMap<EndUserCredentials> = |r| {
            Ok(EndUserCredentials {
                end_user: END_USER_ROW(r)?,
                password_hash: r.get("password_hash")?,
            })
        };
        self.conn.fetch_optional(sql.into(), &[Value::from(email)], map).await
    }

    async fn end_user_password_hash(&mut self, id: i64) -> Result<Option<String>> {
        let map: RowMap<Option<String>> = |r| r.get("password_hash");
        let sql = "SELECT password_hash FROM end_users WHERE id = $1";
        let hash = self.conn.fetch_optional(sql.into(), &[Value::from(id)], map).await?;
        Ok(hash.flatten())
    }

    async fn end_user_by_email(&mut self, customer_id: i64, email: &str) -> Result<Option<EndUser>> {
        let sql = format!(
            "SELECT {END_USER_COLS} FROM end_users WHERE customer_id = $1 AND email = $2 AND deleted_at IS NULL \
             ORDER BY id LIMIT 1"
        );
        let params = [Value::from(customer_id), Value::from(email)];
        self.conn.fetch_optional(sql.into(), &params, END_USER_ROW).await
    }

    async fn first_end_user_with_email(&mut self, email: &str) -> Result<Option<EndUser>> {
        let sql = format!(
            "SELECT {END_USER_COLS} FROM end_users WHERE email = $1 AND deleted_at IS NULL ORDER BY id LIMIT 1"
        );
        self.conn
            .fetch_optional(sql.into(), &[Value::from(email)], END_USER_ROW)
            .await
    }

    async fn end_user_list(
        &mut self,
        customer_id: Option<i64>,
        deleted: DeletedFilter,
        page: &PageRequest,
    ) -> Result<Vec<EndUser>> {
        // An end user of a soft-deleted customer is hidden with it (their own deleted_at stays as it was).
        let deleted_cond = match deleted {
            DeletedFilter::Exclude => {
                "AND deleted_at IS NULL AND EXISTS (SELECT 1 FROM customers c WHERE c.id = end_users.customer_id \
                 AND c.deleted_at IS NULL)"
            }
            DeletedFilter::Only => {
                "AND (deleted_at IS NOT NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = end_users.customer_id \
                 AND c.deleted_at IS NOT NULL))"
            }
            DeletedFilter::Include => "",
        };
        let condition = match customer_id {
            Some(_) => format!("{deleted_cond} AND customer_id = $3"),
            None => deleted_cond.to_owned(),
        };
        id_page(
            &mut self.conn,
            END_USER_COLS,
            "end_users",
            &condition,
            customer_id,
            page,
            END_USER_ROW,
        )
        .await
    }

    async fn customer_query(&mut self, query: &PersonQuery) -> Result<Vec<Customer>> {
        if let Some(rows) = self
            .conn
            .person_list_matching(query, CUSTOMER_COLS, CUSTOMER_ROW)
            .await?
        {
            return Ok(rows);
        }
        let plan = crate::attributes::person_plan(&mut self.conn, query, crate::attributes::DRIVING_BOUND).await?;
        let (sql, params) = crate::attributes::person_query::<C>(query, CUSTOMER_COLS, &plan).build();
        self.conn.fetch_all(sql, &params, CUSTOMER_ROW).await
    }

    async fn end_user_query(&mut self, query: &PersonQuery) -> Result<Vec<EndUser>> {
        if let Some(rows) = self
            .conn
            .person_list_matching(query, END_USER_COLS, END_USER_ROW)
            .await?
        {
            return Ok(rows);
        }
        let plan = crate::attributes::person_plan(&mut self.conn, query, crate::attributes::DRIVING_BOUND).await?;
        let (sql, params) = crate::attributes::person_query::<C>(query, END_USER_COLS, &plan).build();
        self.conn.fetch_all(sql, &params, END_USER_ROW).await
    }

    async fn person_count_bounded(&mut self, query: &PersonQuery, bound: i64) -> Result<i64> {
        let plan =
            crate::attributes::person_plan(&mut self.conn, query, crate::attributes::COUNT_DRIVING_BOUND).await?;
        let (sql, params) = crate::attributes::person_count_bounded::<C>(query, &plan, bound).build();
        self.conn.fetch_one(sql, &params, count_row).await
    }

    async fn person_count(&mut self, query: &PersonQuery) -> Result<i64> {
        let (sql, params) = crate::attributes::person_count::<C>(query).build();
        self.conn.fetch_one(sql, &params, count_row).await
    }

    async fn end_users_of(&mut self, customer_ids: &[i64]) -> Result<Vec<EndUser>> {
        if customer_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = crate::QueryBuilder::new(format!(
            "SELECT {END_USER_COLS} FROM end_users WHERE deleted_at IS NULL AND customer_id IN ("
        ));
        q.bind_list(customer_ids.iter().copied()).push(") ORDER BY id");
        let (sql, params) = q.build();
        self.conn.fetch_all(sql, &params, END_USER_ROW).await
    }

    async fn customers_by_ids(&mut self, ids: &[i64]) -> Result<Vec<Customer>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = crate::QueryBuilder::new(format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id IN ("));
        q.bind_list(ids.iter().copied()).push(")");
        let (sql, params) = q.build();
        self.conn.fetch_all(sql, &params, CUSTOMER_ROW).await
    }

    async fn customer_by_external_id(&mut self, external_id: &str) -> Result<Option<Customer>> {
        let sql = format!("SELECT {CUSTOMER_COLS} FROM customers WHERE external_id = $1");
        self.conn
            .fetch_optional(sql.into(), &[Value::from(external_id)], CUSTOMER_ROW)
            .await
    }

    async fn customer_by_email(&mut self, email: &str) -> Result<Option<Customer>> {
        let sql = format!("SELECT {CUSTOMER_COLS} FROM customers WHERE email = $1");
        self.conn
            .fetch_optional(sql.into(), &[Value::from(email)], CUSTOMER_ROW)
            .await
    }

    async fn attributes(&mut self, entity: AttributeEntity, with_deleted: bool) -> Result<Vec<Attribute>> {
        crate::attributes::attributes(&mut self.conn, entity, with_deleted).await
    }

    async fn attribute(&mut self, id: i64) -> Result<Option<Attribute>> {
        crate::attributes::attribute(&mut self.conn, id).await
    }

    async fn activity_event(&mut self, id: i64) -> Result<Option<ActivityEvent>> {
        by_id(&mut self.conn, ACTIVITY_COLS, "activity_events", id, ACTIVITY_ROW).await
    }

    async fn activity_events(
        &mut self,
        end_user_ids: &[i64],
        customer_ids: &[i64],
        limit: u32,
    ) -> Result<Vec<ActivityEvent>> {
        if end_user_ids.is_empty() && customer_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = crate::QueryBuilder::new(format!("SELECT {ACTIVITY_COLS} FROM activity_events WHERE FALSE"));
        if !end_user_ids.is_empty() {
            q.push(" OR end_user_id IN (")
                .bind_list(end_user_ids.iter().copied())
                .push(")");
        }
        if !customer_ids.is_empty() {
            q.push(" OR customer_id IN (")
                .bind_list(customer_ids.iter().copied())
                .push(")");
        }
        q.push(" ORDER BY id DESC LIMIT ").bind(i64::from(limit));
        let (sql, params) = q.build();
        self.conn.fetch_all(sql, &params, ACTIVITY_ROW).await
    }
}

#[async_trait::async_trait]
impl<C: Transaction> PeopleWrite for SqlConn<C> {
    async fn insert_staff(&mut self, s: &Staff, password_hash: &str) -> Result<Staff> {
        let sql = "INSERT INTO staff (email, name, role, password_hash, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        let params = [
            Value::from(&s.email),
            Value::from(&s.name),
            Value::from(s.role.as_str()),
            Value::from(password_hash),
            Value::from(to_micros(s.created_at)),
            Value::from(to_micros(s.updated_at)),
        ];
        let id = self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await?;
        Ok(Staff { id, ..s.clone() })
    }

    async fn admin_count_for_update(&mut self) -> Result<i64> {
        // Locked in id order, so concurrent units queue on the first admin instead of deadlocking; a unit
        // let through after another's commit sees that commit (READ COMMITTED re-reads locked rows).
        let sql = format!(
            "SELECT count(*) AS count FROM (SELECT id FROM staff WHERE role = 'admin' ORDER BY id{}) AS admins",
            C::FOR_UPDATE
        );
        self.conn.fetch_one(sql.into(), &[], count_row).await
    }

    async fn update_staff(&mut self, s: &Staff, password_hash: Option<&str>) -> Result<()> {
        let sql = "UPDATE staff SET email = $2, name = $3, role = $4, password_hash = coalesce($5, password_hash), \
                   updated_at = $6 WHERE id = $1";
        let params = [
            Value::from(s.id),
            Value::from(&s.email),
            Value::from(&s.name),
            Value::from(s.role.as_str()),
            Value::from(password_hash),
            Value::from(to_micros(s.updated_at)),
        ];
        self.conn.execute(sql.into(), &params).await.map(drop)
    }

    async fn delete_staff(&mut self, id: i64) -> Result<()> {
        // Their logins and reset links go with them (saved views and presence cascade).
        for sql in [
            "DELETE FROM sessions WHERE staff_id = $1",
            "DELETE FROM password_resets WHERE staff_id = $1",
            "DELETE FROM staff WHERE id = $1",
        ] {
            self.conn.execute(sql.into(), &[Value::from(id)]).await?;
        }
        Ok(())
    }

    async fn insert_token(&mut self, t: &ApiToken, secret_hash: &str) -> Result<ApiToken> {
        let sql = "INSERT INTO api_tokens (name, role, end_user_id, created_by, secret_hash, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        let params = [
            Value::from(&t.name),
            Value::from(t.role.as_str()),
            Value::from(t.end_user_id),
            Value::from(t.created_by),
            Value::from(secret_hash),
            Value::from(to_micros(t.created_at)),
        ];
        let id = self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await?;
        Ok(ApiToken { id, ..t.clone() })
    }

    async fn delete_token(&mut self, id: i64) -> Result<()> {
        let sql = "DELETE FROM api_tokens WHERE id = $1";
        self.conn.execute(sql.into(), &[Value::from(id)]).await.map(drop)
    }

    async fn insert_customer(&mut self, c: &Customer, values: &[IndexedValue]) -> Result<Customer> {
        let values = &as_defined(&mut self.conn, values).await?;
        let sql = "INSERT INTO customers (name, email, phone, external_id, tags, created_at, updated_at, deleted_at, \
                   city, country, attributes, search_text, phone_key) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";
        let params = [
            Value::from(&c.name),
            Value::from(&c.email),
            Value::from(&c.phone),
            Value::from(&c.external_id),
            Value::from(json_text(&c.tags)?),
            Value::from(to_micros(c.created_at)),
            Value::from(to_micros(c.updated_at)),
            Value::from(c.deleted_at.map(to_micros)),
            Value::from(&c.city),
            Value::from(&c.country),
            Value::from(json_text(&c.attributes)?),
            Value::from(search_text(values)),
            Value::from(c.phone.as_deref().and_then(crate::phone_key)),
        ];
        let id = self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await?;
        write_values(&mut self.conn, AttributeEntity::Customer, id, values, false).await?;
        write_tags(&mut self.conn, AttributeEntity::Customer, id, &c.tags, false).await?;
        Ok(Customer { id, ..c.clone() })
    }

    async fn update_customer(&mut self, c: &Customer, values: Option<&[IndexedValue]>) -> Result<()> {
        let values = match values {
            Some(v) => Some(as_defined(&mut self.conn, v).await?),
            None => None,
        };
        let values = values.as_deref();
        let sql = "UPDATE customers SET name = $2, email = $3, phone = $4, external_id = $5, tags = $6, \
                   updated_at = $7, deleted_at = $8, city = $9, country = $10, attributes = $11, \
                   search_text = coalesce($12, search_text), phone_key = $13 WHERE id = $1";
        let params = [
            Value::from(c.id),
            Value::from(&c.name),
            Value::from(&c.email),
            Value::from(&c.phone),
            Value::from(&c.external_id),
            Value::from(json_text(&c.tags)?),
            Value::from(to_micros(c.updated_at)),
            Value::from(c.deleted_at.map(to_micros)),
            Value::from(&c.city),
            Value::from(&c.country),
            Value::from(json_text(&c.attributes)?),
            Value::from(values.map(search_text)),
            Value::from(c.phone.as_deref().and_then(crate::phone_key)),
        ];
        self.conn.execute(sql.into(), &params).await?;
        if let Some(values) = values {
            write_values(&mut self.conn, AttributeEntity::Customer, c.id, values, true).await?;
        }
        write_tags(&mut self.conn, AttributeEntity::Customer, c.id, &c.tags, true).await
    }

    async fn insert_end_user(
        &mut self,
        u: &EndUser,
        password_hash: Option<&str>,
        values: &[IndexedValue],
    ) -> Result<EndUser> {
        let values = &as_defined(&mut self.conn, values).await?;
        let sql = "INSERT INTO end_users (customer_id, name, email, phone, tags, password_hash, created_at, \
                   updated_at, deleted_at, first_name, last_name, city, country, attributes, search_text, phone_key) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id";
        let params = [
            Value::from(u.customer_id),
            Value::from(&u.name),
            Value::from(&u.email),
            Value::from(&u.phone),
            Value::from(json_text(&u.tags)?),
            Value::from(password_hash),
            Value::from(to_micros(u.created_at)),
            Value::from(to_micros(u.updated_at)),
            Value::from(u.deleted_at.map(to_micros)),
            Value::from(&u.first_name),
            Value::from(&u.last_name),
            Value::from(&u.city),
            Value::from(&u.country),
            Value::from(json_text(&u.attributes)?),
            Value::from(search_text(values)),
            Value::from(u.phone.as_deref().and_then(crate::phone_key)),
        ];
        let id = self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await?;
        write_values(&mut self.conn, AttributeEntity::EndUser, id, values, false).await?;
        write_tags(&mut self.conn, AttributeEntity::EndUser, id, &u.tags, false).await?;
        Ok(EndUser {
            id,
            has_password: password_hash.is_some(),
            ..u.clone()
        })
    }

    async fn update_end_user(
        &mut self,
        u: &EndUser,
        password_hash: Option<Option<&str>>,
        values: Option<&[IndexedValue]>,
    ) -> Result<()> {
        let values = match values {
            Some(v) => Some(as_defined(&mut self.conn, v).await?),
            None => None,
        };
        let values = values.as_deref();
        let sql = "UPDATE end_users SET customer_id = $2, name = $3, email = $4, phone = $5, tags = $6, \
                   updated_at = $7, deleted_at = $8, password_hash = CASE WHEN $9 THEN $10 ELSE password_hash END, \
                   first_name = $11, last_name = $12, city = $13, country = $14, attributes = $15, \
                   search_text = coalesce($16, search_text), phone_key = $17 WHERE id = $1";
        let params = [
            Value::from(u.id),
            Value::from(u.customer_id),
            Value::from(&u.name),
            Value::from(&u.email),
            Value::from(&u.phone),
            Value::from(json_text(&u.tags)?),
            Value::from(to_micros(u.updated_at)),
            Value::from(u.deleted_at.map(to_micros)),
            Value::from(password_hash.is_some()),
            Value::from(password_hash.flatten()),
            Value::from(&u.first_name),
            Value::from(&u.last_name),
            Value::from(&u.city),
            Value::from(&u.country),
            Value::from(json_text(&u.attributes)?),
            Value::from(values.map(search_text)),
            Value::from(u.phone.as_deref().and_then(crate::phone_key)),
        ];
        self.conn.execute(sql.into(), &params).await?;
        if let Some(values) = values {
            write_values(&mut self.conn, AttributeEntity::EndUser, u.id, values, true).await?;
        }
        write_tags(&mut self.conn, AttributeEntity::EndUser, u.id, &u.tags, true).await
    }

    async fn insert_activity_event(&mut self, e: &ActivityEvent) -> Result<ActivityEvent> {
        let sql = "INSERT INTO activity_events (end_user_id, customer_id, name, counter, metadata, timestamp, \
                   created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let params = [
            Value::from(e.end_user_id),
            Value::from(e.customer_id),
            Value::from(&e.name),
            Value::from(e.counter),
            Value::from(json_text(&e.metadata)?),
            Value::from(to_micros(e.timestamp)),
            Value::from(to_micros(store::time::now())),
        ];
        let id = self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await?;
        Ok(ActivityEvent { id, ..e.clone() })
    }

    async fn insert_attribute(&mut self, a: &Attribute) -> Result<Attribute> {
        crate::attributes::insert_attribute(&mut self.conn, a).await
    }

    async fn update_attribute(&mut self, a: &Attribute, old: &Attribute) -> Result<()> {
        crate::attributes::update_attribute::<C>(&mut self.conn, a, old).await
    }
}
