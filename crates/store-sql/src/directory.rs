//! The directory's SQL: brands and departments.
use crate::{Dialect, RowExt, RowMap, SqlConn, Transaction, Value, by_id, count_row, decode_err, id_page};
use domain::account::WebcallSettings;
use domain::{Brand, Department};
use store::time::{from_micros, to_micros};
use store::{DirectoryRead, DirectoryWrite, PageRequest, Result};

const BRAND_COLS: &str =
    "id, name, slug, greeting, customer_backend, webcall, acknowledge_new_tickets, created_at, updated_at";

const BRAND_ROW: RowMap<Brand> = |r| {
    Ok(Brand {
        id: r.get("id")?,
        name: r.get("name")?,
        slug: r.get("slug")?,
        greeting: r.get("greeting")?,
        customer_backend: r.get("customer_backend")?,
        webcall: {
            let stored: Option<String> = r.get("webcall")?;
            match stored {
                Some(json) => Some(serde_json::from_str(&json).map_err(|e| decode_err("webcall", e))?),
                None => None,
            }
        },
        acknowledge_new_tickets: r.get("acknowledge_new_tickets")?,
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
    })
};

/// The stored form of web-call settings: every field, the password in clear (the client sends it; answers
/// and events show [`WebcallSettings`]' masked serialization instead).
fn stored_webcall(settings: Option<&WebcallSettings>) -> Option<String> {
    settings.map(|w| {
        serde_json::json!({
            "search_url": w.search_url,
            "load_url": w.load_url,
            "update_url": w.update_url,
            "case_url": w.case_url,
            "int_user": w.int_user,
            "int_pass": w.int_pass,
            "timeout_ms": w.timeout_ms,
        })
        .to_string()
    })
}

const DEPARTMENT_COLS: &str = "id, brand_id, name, slug, description, public, created_at, updated_at";

const DEPARTMENT_ROW: RowMap<Department> = |r| {
    Ok(Department {
        id: r.get("id")?,
        brand_id: r.get("brand_id")?,
        name: r.get("name")?,
        slug: r.get("slug")?,
        description: r.get("description")?,
        public: r.get("public")?,
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
    })
};

#[async_trait::async_trait]
impl<C: Dialect> DirectoryRead for SqlConn<C> {
    async fn brand(&mut self, id: i64) -> Result<Option<Brand>> {
        by_id(&mut self.conn, BRAND_COLS, "brands", id, BRAND_ROW).await
    }

    async fn brand_list(&mut self, page: &PageRequest) -> Result<Vec<Brand>> {
        id_page(&mut self.conn, BRAND_COLS, "brands", "", None, page, BRAND_ROW).await
    }

    async fn department(&mut self, id: i64) -> Result<Option<Department>> {
        by_id(&mut self.conn, DEPARTMENT_COLS, "departments", id, DEPARTMENT_ROW).await
    }

    async fn department_list(
        &mut self,
        brand_id: Option<i64>,
        public_only: bool,
        page: &PageRequest,
    ) -> Result<Vec<Department>> {
        let sql = format!(
            "SELECT {DEPARTMENT_COLS} FROM departments WHERE id < $1 AND ($3 IS NULL OR brand_id = $3) \
             AND (public OR NOT $4) ORDER BY id DESC LIMIT $2"
        );
        let params = [
            Value::from(page.before_id()),
            Value::from(i64::from(page.limit)),
            Value::from(brand_id),
            Value::from(public_only),
        ];
        self.conn.fetch_all(sql.into(), &params, DEPARTMENT_ROW).await
    }

    async fn department_ticket_count(&mut self, id: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) AS count FROM tickets WHERE did = $1";
        self.conn.fetch_one(sql.into(), &[Value::from(id)], count_row).await
    }

    async fn brand_department_count(&mut self, id: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) AS count FROM departments WHERE brand_id = $1";
        self.conn.fetch_one(sql.into(), &[Value::from(id)], count_row).await
    }
}

#[async_trait::async_trait]
impl<C: Transaction> DirectoryWrite for SqlConn<C> {
    async fn insert_brand(&mut self, b: &Brand) -> Result<Brand> {
        let sql = "INSERT INTO brands (name, slug, greeting, customer_backend, created_at, updated_at, webcall, \
                   acknowledge_new_tickets) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
        let params = [
            Value::from(&b.name),
            Value::from(&b.slug),
            Value::from(&b.greeting),
            Value::from(&b.customer_backend),
            Value::from(to_micros(b.created_at)),
            Value::from(to_micros(b.updated_at)),
            Value::from(stored_webcall(b.webcall.as_ref())),
            Value::from(b.acknowledge_new_tickets),
        ];
        let id = self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await?;
        Ok(Brand { id, ..b.clone() })
    }

    async fn update_brand(&mut self, b: &Brand) -> Result<()> {
        let sql = "UPDATE brands SET name = $2, slug = $3, greeting = $4, customer_backend = $5, updated_at = $6, \
                   webcall = $7, acknowledge_new_tickets = $8 WHERE id = $1";
        let params = [
            Value::from(b.id),
            Value::from(&b.name),
            Value::from(&b.slug),
            Value::from(&b.greeting),
            Value::from(&b.customer_backend),
            Value::from(to_micros(b.updated_at)),
            Value::from(stored_webcall(b.webcall.as_ref())),
            Value::from(b.acknowledge_new_tickets),
        ];
        self.conn.execute(sql.into(), &params).await.map(drop)
    }

    async fn delete_brand(&mut self, id: i64) -> Result<()> {
        let sql = "DELETE FROM brands WHERE id = $1";
        self.conn.execute(sql.into(), &[Value::from(id)]).await.map(drop)
    }

    async fn insert_department(&mut self, d: &Department) -> Result<Department> {
        let sql = "INSERT INTO departments (brand_id, name, slug, description, public, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let params = [
            Value::from(d.brand_id),
            Value::from(&d.name),
            Value::from(&d.slug),
            Value::from(&d.description),
            Value::from(d.public),
            Value::from(to_micros(d.created_at)),
            Value::from(to_micros(d.updated_at)),
        ];
        let id = self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await?;
        Ok(Department { id, ..d.clone() })
    }

    async fn update_department(&mut self, d: &Department) -> Result<()> {
        let sql = "UPDATE departments SET brand_id = $2, name = $3, slug = $4, description = $5, public = $6, \
                   updated_at = $7 WHERE id = $1";
        let params = [
            Value::from(d.id),
            Value::from(d.brand_id),
            Value::from(&d.name),
            Value::from(&d.slug),
            Value::from(&d.description),
            Value::from(d.public),
            Value::from(to_micros(d.updated_at)),
        ];
        self.conn.execute(sql.into(), &params).await.map(drop)
    }

    async fn delete_department(&mut self, id: i64) -> Result<()> {
        let sql = "DELETE FROM departments WHERE id = $1";
        self.conn.execute(sql.into(), &[Value::from(id)]).await.map(drop)
    }
}
