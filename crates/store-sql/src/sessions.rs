//! Web UI logins' SQL (SPEC §2): sessions, failed logins, password reset links.
use crate::{Dialect, NewRow, RowExt, RowMap, SqlConn, Transaction, Value};
use domain::Timestamp;
use store::time::{from_micros, to_micros};
use store::{PasswordReset, Person, Presence, Result, SavedView, SessionRecord, SessionsRead, SessionsWrite};

fn person(staff: Option<i64>, end_user: Option<i64>) -> Result<Person> {
    match (staff, end_user) {
        (Some(id), None) => Ok(Person::Staff(id)),
        (None, Some(id)) => Ok(Person::EndUser(id)),
        _ => Err(store::StoreError::internal(
            "a session or reset belongs to exactly one person",
        )),
    }
}

fn person_ids(p: Person) -> (Option<i64>, Option<i64>) {
    match p {
        Person::Staff(id) => (Some(id), None),
        Person::EndUser(id) => (None, Some(id)),
    }
}

const SESSION_COLS: &str =
    "id, secret_hash, staff_id, end_user_id, csrf, ip, user_agent, created_at, last_seen_at, expires_at";

const SESSION_ROW: RowMap<SessionRecord> = |r| {
    Ok(SessionRecord {
        id: r.get("id")?,
        secret_hash: r.get("secret_hash")?,
        person: person(r.get("staff_id")?, r.get("end_user_id")?)?,
        csrf: r.get("csrf")?,
        ip: r.get("ip")?,
        user_agent: r.get("user_agent")?,
        created_at: from_micros(r.get("created_at")?),
        last_seen_at: from_micros(r.get("last_seen_at")?),
        expires_at: from_micros(r.get("expires_at")?),
    })
};

const RESET_COLS: &str = "id, secret_hash, staff_id, end_user_id, created_at, expires_at, used_at";

const RESET_ROW: RowMap<PasswordReset> = |r| {
    Ok(PasswordReset {
        id: r.get("id")?,
        secret_hash: r.get("secret_hash")?,
        person: person(r.get("staff_id")?, r.get("end_user_id")?)?,
        created_at: from_micros(r.get("created_at")?),
        expires_at: from_micros(r.get("expires_at")?),
        used_at: r.get::<Option<i64>>("used_at")?.map(from_micros),
    })
};

#[async_trait::async_trait]
impl<C: Dialect> SessionsRead for SqlConn<C> {
    async fn session_by_hash(&mut self, secret_hash: &str) -> Result<Option<SessionRecord>> {
        let sql = format!("SELECT {SESSION_COLS} FROM sessions WHERE secret_hash = $1");
        self.conn
            .fetch_optional(sql.into(), &[Value::from(secret_hash)], SESSION_ROW)
            .await
    }

    async fn login_failures_since(&mut self, email: &str, ip: &str, since: Timestamp) -> Result<i64> {
        let sql = "SELECT COUNT(*) AS n FROM login_failures WHERE email = $1 AND ip = $2 AND at >= $3";
        let params = [Value::from(email), Value::from(ip), Value::from(to_micros(since))];
        self.conn.fetch_one(sql.into(), &params, |r| r.get("n")).await
    }

    async fn first_login_failure_since(
        &mut self,
        email: &str,
        ip: &str,
        since: Timestamp,
    ) -> Result<Option<Timestamp>> {
        let sql = "SELECT MIN(at) AS at FROM login_failures WHERE email = $1 AND ip = $2 AND at >= $3";
        let params = [Value::from(email), Value::from(ip), Value::from(to_micros(since))];
        let at: Option<i64> = self.conn.fetch_one(sql.into(), &params, |r| r.get("at")).await?;
        Ok(at.map(from_micros))
    }

    async fn password_reset_by_hash(&mut self, secret_hash: &str) -> Result<Option<PasswordReset>> {
        let sql = format!("SELECT {RESET_COLS} FROM password_resets WHERE secret_hash = $1");
        self.conn
            .fetch_optional(sql.into(), &[Value::from(secret_hash)], RESET_ROW)
            .await
    }

    async fn saved_views_of(&mut self, staff_id: i64) -> Result<Vec<SavedView>> {
        let sql = "SELECT id, staff_id, name, query, created_at FROM saved_views WHERE staff_id = $1 ORDER BY id";
        self.conn
            .fetch_all(sql.into(), &[Value::from(staff_id)], |r| {
                Ok(SavedView {
                    id: r.get("id")?,
                    staff_id: r.get("staff_id")?,
                    name: r.get("name")?,
                    query: r.get("query")?,
                    created_at: from_micros(r.get("created_at")?),
                })
            })
            .await
    }

    async fn submission(&mut self, key: &str) -> Result<Option<Option<String>>> {
        let sql = "SELECT result FROM form_submissions WHERE key = $1";
        self.conn
            .fetch_optional(sql.into(), &[Value::from(key)], |r| r.get("result"))
            .await
    }

    async fn presence_on(&mut self, ticket_id: i64, since: Timestamp) -> Result<Vec<Presence>> {
        let sql = "SELECT p.ticket_id, p.staff_id, s.name, p.replying, p.seen_at FROM ticket_presence p \
                   JOIN staff s ON s.id = p.staff_id WHERE p.ticket_id = $1 AND p.seen_at >= $2 ORDER BY s.name";
        let params = [Value::from(ticket_id), Value::from(to_micros(since))];
        self.conn
            .fetch_all(sql.into(), &params, |r| {
                Ok(Presence {
                    ticket_id: r.get("ticket_id")?,
                    staff_id: r.get("staff_id")?,
                    staff_name: r.get("name")?,
                    replying: r.get("replying")?,
                    seen_at: from_micros(r.get("seen_at")?),
                })
            })
            .await
    }
}

#[async_trait::async_trait]
impl<C: Transaction> SessionsWrite for SqlConn<C> {
    async fn insert_session(&mut self, s: &SessionRecord) -> Result<SessionRecord> {
        let (staff, end_user) = person_ids(s.person);
        let row = NewRow::new("sessions")
            .set("secret_hash", s.secret_hash.as_str())
            .set("staff_id", staff)
            .set("end_user_id", end_user)
            .set("csrf", s.csrf.as_str())
            .set("ip", s.ip.as_deref())
            .set("user_agent", s.user_agent.as_deref())
            .set("created_at", to_micros(s.created_at))
            .set("last_seen_at", to_micros(s.last_seen_at))
            .set("expires_at", to_micros(s.expires_at));
        let id = self.conn.insert(row).await?;
        Ok(SessionRecord { id, ..s.clone() })
    }

    async fn touch_session(&mut self, id: i64, at: Timestamp) -> Result<()> {
        let sql = "UPDATE sessions SET last_seen_at = $2 WHERE id = $1";
        self.conn
            .execute(sql.into(), &[Value::from(id), Value::from(to_micros(at))])
            .await?;
        Ok(())
    }

    async fn delete_session(&mut self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM sessions WHERE id = $1".into(), &[Value::from(id)])
            .await?;
        Ok(())
    }

    async fn delete_sessions_of(&mut self, person: Person, keep: Option<i64>) -> Result<()> {
        let (sql, id) = match person {
            Person::Staff(id) => ("DELETE FROM sessions WHERE staff_id = $1 AND id <> $2", id),
            Person::EndUser(id) => ("DELETE FROM sessions WHERE end_user_id = $1 AND id <> $2", id),
        };
        let params = [Value::from(id), Value::from(keep.unwrap_or(0))];
        self.conn.execute(sql.into(), &params).await?;
        Ok(())
    }

    async fn insert_login_failure(&mut self, email: &str, ip: &str, at: Timestamp) -> Result<()> {
        let row = NewRow::new("login_failures")
            .set("email", email)
            .set("ip", ip)
            .set("at", to_micros(at));
        self.conn.insert(row).await?;
        Ok(())
    }

    async fn clear_login_failures(&mut self, before: Timestamp, account: Option<(&str, &str)>) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM login_failures WHERE at < $1".into(),
                &[Value::from(to_micros(before))],
            )
            .await?;
        if let Some((email, ip)) = account {
            let sql = "DELETE FROM login_failures WHERE email = $1 AND ip = $2";
            self.conn
                .execute(sql.into(), &[Value::from(email), Value::from(ip)])
                .await?;
        }
        Ok(())
    }

    async fn insert_password_reset(&mut self, reset: &PasswordReset) -> Result<PasswordReset> {
        let (staff, end_user) = person_ids(reset.person);
        let row = NewRow::new("password_resets")
            .set("secret_hash", reset.secret_hash.as_str())
            .set("staff_id", staff)
            .set("end_user_id", end_user)
            .set("created_at", to_micros(reset.created_at))
            .set("expires_at", to_micros(reset.expires_at))
            .set("used_at", reset.used_at.map(to_micros));
        let id = self.conn.insert(row).await?;
        Ok(PasswordReset { id, ..reset.clone() })
    }

    async fn use_password_reset(&mut self, id: i64, at: Timestamp) -> Result<bool> {
        let sql = "UPDATE password_resets SET used_at = $2 WHERE id = $1 AND used_at IS NULL";
        Ok(self
            .conn
            .execute(sql.into(), &[Value::from(id), Value::from(to_micros(at))])
            .await?
            == 1)
    }

    async fn insert_saved_view(&mut self, view: &SavedView) -> Result<SavedView> {
        let row = NewRow::new("saved_views")
            .set("staff_id", view.staff_id)
            .set("name", view.name.as_str())
            .set("query", view.query.as_str())
            .set("created_at", to_micros(view.created_at));
        let id = self.conn.insert(row).await?;
        Ok(SavedView { id, ..view.clone() })
    }

    async fn delete_saved_view(&mut self, id: i64, staff_id: i64) -> Result<bool> {
        let sql = "DELETE FROM saved_views WHERE id = $1 AND staff_id = $2";
        Ok(self
            .conn
            .execute(sql.into(), &[Value::from(id), Value::from(staff_id)])
            .await?
            == 1)
    }

    async fn mark_presence(&mut self, p: &Presence, stale_before: Timestamp) -> Result<()> {
        let sql = "INSERT INTO ticket_presence (ticket_id, staff_id, replying, seen_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (ticket_id, staff_id) DO UPDATE SET replying = excluded.replying, seen_at = excluded.seen_at";
        let params = [
            Value::from(p.ticket_id),
            Value::from(p.staff_id),
            Value::from(p.replying),
            Value::from(to_micros(p.seen_at)),
        ];
        self.conn.execute(sql.into(), &params).await?;
        self.conn
            .execute(
                "DELETE FROM ticket_presence WHERE seen_at < $1".into(),
                &[Value::from(to_micros(stale_before))],
            )
            .await?;
        Ok(())
    }

    async fn claim_submission(&mut self, key: &str, at: Timestamp, stale_before: Timestamp) -> Result<bool> {
        self.conn
            .execute(
                "DELETE FROM form_submissions WHERE created_at < $1".into(),
                &[Value::from(to_micros(stale_before))],
            )
            .await?;
        let sql = "INSERT INTO form_submissions (key, created_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
        Ok(self
            .conn
            .execute(sql.into(), &[Value::from(key), Value::from(to_micros(at))])
            .await?
            == 1)
    }

    async fn finish_submission(&mut self, key: &str, result: Option<&str>) -> Result<()> {
        match result {
            Some(result) => {
                let sql = "UPDATE form_submissions SET result = $2 WHERE key = $1";
                self.conn
                    .execute(sql.into(), &[Value::from(key), Value::from(result)])
                    .await?;
            }
            None => {
                let sql = "DELETE FROM form_submissions WHERE key = $1";
                self.conn.execute(sql.into(), &[Value::from(key)]).await?;
            }
        }
        Ok(())
    }
}
