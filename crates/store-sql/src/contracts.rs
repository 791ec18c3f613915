//! Support contracts' SQL (SPEC §5.4): contracts, their incident counts per type, and tickets' redeemed
//! incidents. Dates are `YYYY-MM-DD` text, which sorts as dates do.
use crate::{Connection, Dialect, QueryBuilder, RowExt, RowMap, SqlConn, Transaction, Value, by_id, decode_err};
use domain::billing::{Contract, IncidentCount, TicketIncident};
use jiff::civil::Date;
use std::collections::BTreeMap;
use store::time::{from_micros, to_micros};
use store::{ContractsRead, ContractsWrite, PageRequest, Result};

const CONTRACT_COLS: &str = "id, customer_id, status, start_date, end_date, support_level_id, created_at, updated_at";

const CONTRACT_ROW: RowMap<Contract> = |r| {
    let date = |column: &str| -> Result<Date> {
        let text: &str = r.get(column)?;
        text.parse().map_err(|e| decode_err(column, e))
    };
    Ok(Contract {
        id: r.get("id")?,
        customer_id: r.get("customer_id")?,
        status: r.get::<&str>("status")?.parse().map_err(|e| decode_err("status", e))?,
        start: date("start_date")?,
        end: date("end_date")?,
        support_level_id: r.get("support_level_id")?,
        incidents: BTreeMap::new(),
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
    })
};

const INCIDENT_COLS: &str = "id, ticket_id, contract_id, type, created_at";

const INCIDENT_ROW: RowMap<TicketIncident> = |r| {
    Ok(TicketIncident {
        id: r.get("id")?,
        ticket_id: r.get("ticket_id")?,
        contract_id: r.get("contract_id")?,
        kind: r.get("type")?,
        created_at: from_micros(r.get("created_at")?),
    })
};

fn contract_values(c: &Contract) -> Vec<Value> {
    vec![
        Value::from(c.customer_id),
        Value::from(<&'static str>::from(c.status)),
        Value::from(c.start.to_string()),
        Value::from(c.end.to_string()),
        Value::from(c.support_level_id),
        Value::from(to_micros(c.created_at)),
        Value::from(to_micros(c.updated_at)),
    ]
}

/// `contracts` with their incident counts filled in.
async fn with_incidents<C: Connection>(c: &mut C, mut contracts: Vec<Contract>) -> Result<Vec<Contract>> {
    if contracts.is_empty() {
        return Ok(contracts);
    }
    let mut q =
        QueryBuilder::new("SELECT contract_id, type, total, used FROM contract_incidents WHERE contract_id IN (");
    q.bind_list(contracts.iter().map(|c| c.id)).push(")");
    let (sql, params) = q.build();
    let rows = c
        .fetch_all(sql, &params, |r| {
            Ok((
                r.get::<i64>("contract_id")?,
                r.get::<String>("type")?,
                IncidentCount {
                    total: r.get("total")?,
                    used: r.get("used")?,
                },
            ))
        })
        .await?;
    let mut counts: BTreeMap<i64, BTreeMap<String, IncidentCount>> = BTreeMap::new();
    for (contract, kind, count) in rows {
        counts.entry(contract).or_default().insert(kind, count);
    }
    for contract in &mut contracts {
        contract.incidents = counts.remove(&contract.id).unwrap_or_default();
    }
    Ok(contracts)
}

#[async_trait::async_trait]
impl<C: Dialect> ContractsRead for SqlConn<C> {
    async fn contract(&mut self, id: i64) -> Result<Option<Contract>> {
        let found = by_id(&mut self.conn, CONTRACT_COLS, "contracts", id, CONTRACT_ROW).await?;
        Ok(with_incidents(&mut self.conn, found.into_iter().collect()).await?.pop())
    }

    async fn contract_list(&mut self, customer_id: Option<i64>, page: &PageRequest) -> Result<Vec<Contract>> {
        let after = page.after.as_ref().map_or(0, |a| a.id);
        let mut q = QueryBuilder::new(format!("SELECT {CONTRACT_COLS} FROM contracts WHERE id > "));
        q.bind(after);
        if let Some(customer) = customer_id {
            q.push(" AND customer_id = ").bind(customer);
        }
        q.push(" ORDER BY id LIMIT ").bind(i64::from(page.limit));
        let (sql, params) = q.build();
        let rows = self.conn.fetch_all(sql, &params, CONTRACT_ROW).await?;
        with_incidents(&mut self.conn, rows).await
    }

    async fn incident_contract(&mut self, customer_id: i64, day: Date) -> Result<Option<Contract>> {
        let sql = format!(
            "SELECT {CONTRACT_COLS} FROM contracts WHERE customer_id = $1 AND status = 'active' \
             AND start_date <= $2 AND end_date >= $2 \
             AND EXISTS (SELECT 1 FROM contract_incidents i WHERE i.contract_id = contracts.id) ORDER BY id LIMIT 1"
        );
        let params = [Value::from(customer_id), Value::from(day.to_string())];
        let found = self.conn.fetch_optional(sql.into(), &params, CONTRACT_ROW).await?;
        Ok(with_incidents(&mut self.conn, found.into_iter().collect()).await?.pop())
    }

    async fn ticket_incidents(&mut self, ticket_id: i64) -> Result<Vec<TicketIncident>> {
        let sql = format!("SELECT {INCIDENT_COLS} FROM ticket_incidents WHERE ticket_id = $1 ORDER BY id");
        self.conn
            .fetch_all(sql.into(), &[Value::from(ticket_id)], INCIDENT_ROW)
            .await
    }
}

impl<C: Transaction> SqlConn<C> {
    async fn write_counts(&mut self, contract: &Contract) -> Result<()> {
        let id = Value::from(contract.id);
        let mut keep = QueryBuilder::new("DELETE FROM contract_incidents WHERE contract_id = ");
        keep.bind(contract.id);
        if !contract.incidents.is_empty() {
            keep.push(" AND type NOT IN (")
                .bind_list(contract.incidents.keys().cloned())
                .push(")");
        }
        let (sql, params) = keep.build();
        self.conn.execute(sql, &params).await?;
        let upsert = "INSERT INTO contract_incidents (contract_id, type, total, used) VALUES ($1, $2, $3, $4) \
                      ON CONFLICT (contract_id, type) DO UPDATE SET total = excluded.total, used = excluded.used";
        for (kind, count) in &contract.incidents {
            let params = [
                id.clone(),
                Value::from(kind.as_str()),
                Value::from(count.total),
                Value::from(count.used),
            ];
            self.conn.execute(upsert.into(), &params).await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl<C: Transaction> ContractsWrite for SqlConn<C> {
    async fn insert_contract(&mut self, c: &Contract) -> Result<Contract> {
        let cols = CONTRACT_COLS.trim_start_matches("id, ");
        let sql = format!("INSERT INTO contracts ({cols}) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id");
        let id: i64 = self
            .conn
            .fetch_one(sql.into(), &contract_values(c), |r| r.get("id"))
            .await?;
        let stored = Contract { id, ..c.clone() };
        self.write_counts(&stored).await?;
        Ok(stored)
    }

    async fn update_contract(&mut self, c: &Contract) -> Result<()> {
        let sql = "UPDATE contracts SET customer_id = $2, status = $3, start_date = $4, end_date = $5, \
                   support_level_id = $6, updated_at = $8 WHERE id = $1";
        let mut params = vec![Value::from(c.id)];
        params.extend(contract_values(c));
        self.conn.execute(sql.into(), &params).await.map(drop)
    }

    async fn set_incident_counts(&mut self, c: &Contract) -> Result<()> {
        self.write_counts(c).await
    }

    async fn use_incident(&mut self, contract_id: i64, kind: &str) -> Result<bool> {
        let sql = "UPDATE contract_incidents SET used = used + 1 WHERE contract_id = $1 AND type = $2 AND used < total";
        let changed = self
            .conn
            .execute(sql.into(), &[Value::from(contract_id), Value::from(kind)])
            .await?;
        Ok(changed == 1)
    }

    async fn return_incident(&mut self, contract_id: i64, kind: &str) -> Result<()> {
        let sql = "UPDATE contract_incidents SET used = used - 1 WHERE contract_id = $1 AND type = $2 AND used > 0";
        self.conn
            .execute(sql.into(), &[Value::from(contract_id), Value::from(kind)])
            .await
            .map(drop)
    }

    async fn add_incidents(&mut self, contract_id: i64, kind: &str, count: i64) -> Result<()> {
        let sql = "INSERT INTO contract_incidents (contract_id, type, total, used) VALUES ($1, $2, $3, 0) \
                   ON CONFLICT (contract_id, type) DO UPDATE SET total = contract_incidents.total + excluded.total";
        let params = [Value::from(contract_id), Value::from(kind), Value::from(count)];
        self.conn.execute(sql.into(), &params).await.map(drop)
    }

    async fn insert_ticket_incident(&mut self, i: &TicketIncident) -> Result<TicketIncident> {
        let sql = "INSERT INTO ticket_incidents (ticket_id, contract_id, type, created_at) VALUES ($1, $2, $3, $4) \
                   RETURNING id";
        let params = [
            Value::from(i.ticket_id),
            Value::from(i.contract_id),
            Value::from(i.kind.as_str()),
            Value::from(to_micros(i.created_at)),
        ];
        let id: i64 = self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await?;
        Ok(TicketIncident { id, ..i.clone() })
    }

    async fn delete_ticket_incident(&mut self, id: i64) -> Result<()> {
        let sql = "DELETE FROM ticket_incidents WHERE id = $1";
        self.conn.execute(sql.into(), &[Value::from(id)]).await.map(drop)
    }
}
