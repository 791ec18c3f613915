//! Which event hooks an event of the log fires, and with what parameters (SPEC §4, WiseCP's shapes):
//! ticket hooks get the ticket's fields; reply hooks `{request: <ticket>, reply: <reply>}`; a ticket's
//! update fires its named hook and each specific change hook (`TicketPriorityChange`, `TicketLockChange`,
//! …), all with `changes: {field: {old, new}}`.
use crate::event::{EntityType, Event, EventAction};
use crate::hook::{HookKind, HookPoint};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// One run of a hook script for an event of the log (`GET /api/v1/events/{id}` shows them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HookRun {
    pub id: i64,
    pub event_id: i64,
    /// The hook point that ran.
    pub hook: String,
    /// The script (its file, or `db:<id>` for one stored through the API).
    pub script: String,
    /// `ok` or `failed`.
    pub status: String,
    /// Where it failed.
    pub line: Option<i64>,
    pub message: Option<String>,
    pub duration_us: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: crate::Timestamp,
}

/// The ticket fields whose change has a hook of its own.
const CHANGE_HOOKS: [(&str, HookPoint); 6] = [
    ("locked", HookPoint::TicketLockChange),
    ("did", HookPoint::TicketDepartmentChange),
    ("priority", HookPoint::TicketPriorityChange),
    ("status", HookPoint::TicketStatusChange),
    ("assigned", HookPoint::TicketAssignedChange),
    ("service", HookPoint::TicketServiceChange),
];

/// `{field: {old, new}}` for every top-level member that differs between `old` and `new`.
pub fn changes(old: &Value, new: &Value) -> Map<String, Value> {
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return Map::new();
    };
    let mut out = Map::new();
    for (field, value) in new {
        let before = old.get(field).unwrap_or(&Value::Null);
        if before != value {
            out.insert(field.clone(), json!({"old": before, "new": value}));
        }
    }
    out
}

/// The event hooks `event` fires, each with its parameters, in a stable order (the event's own name
/// first). Events of no hook point fire none; view and validation names never come from the log.
pub fn event_hooks(event: &Event) -> Vec<(HookPoint, Value)> {
    let named = event
        .name
        .as_deref()
        .and_then(HookPoint::parse)
        .filter(|p| p.kind() == HookKind::Event);
    let data = &event.data;
    let mut out: Vec<(HookPoint, Value)> = Vec::new();
    let is_ticket_update = data.entity == EntityType::Ticket && event.action == EventAction::Updated;
    if is_ticket_update {
        let changed = changes(&data.old, &data.value);
        let with_changes = || {
            let mut params = data.value.as_object().cloned().unwrap_or_default();
            params.insert("changes".into(), Value::Object(changed.clone()));
            Value::Object(params)
        };
        if let Some(point) = named {
            out.push((point, with_changes()));
        }
        for (field, point) in CHANGE_HOOKS {
            if changed.contains_key(field) && named != Some(point) {
                out.push((point, with_changes()));
            }
        }
        let solved = data.value.get("status").and_then(Value::as_str) == Some("solved");
        if solved && changed.contains_key("status") && named != Some(HookPoint::TicketSolved) {
            out.push((HookPoint::TicketSolved, with_changes()));
        }
        return out;
    }
    let Some(point) = named else {
        return out;
    };
    // A deleted record's hook sees what it was.
    let params = if event.action == EventAction::Deleted && data.value.is_null() {
        data.old.clone()
    } else {
        data.value.clone()
    };
    out.push((point, params));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventData, EventSource};

    fn event(entity: EntityType, action: EventAction, name: Option<&str>, value: Value, old: Value) -> Event {
        Event {
            id: 1,
            timestamp: crate::Timestamp::UNIX_EPOCH,
            source: EventSource::Api,
            member_id: None,
            member_type: None,
            url: None,
            action,
            name: name.map(str::to_owned),
            data: EventData { entity, value, old },
            entity_id: 7,
            customer_id: Some(3),
            status: "pending".into(),
            created_at: crate::Timestamp::UNIX_EPOCH,
            updated_at: crate::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_ticket_update_fires_its_name_and_every_specific_change() {
        let old = json!({"id": 7, "status": "waiting", "priority": 2, "locked": false, "did": 1, "title": "A"});
        let new = json!({"id": 7, "status": "solved", "priority": 3, "locked": true, "did": 1, "title": "B"});
        let e = event(
            EntityType::Ticket,
            EventAction::Updated,
            Some("TicketAdminUpdated"),
            new,
            old,
        );
        let fired = event_hooks(&e);
        let points: Vec<HookPoint> = fired.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            points,
            [
                HookPoint::TicketAdminUpdated,
                HookPoint::TicketLockChange,
                HookPoint::TicketPriorityChange,
                HookPoint::TicketStatusChange,
                HookPoint::TicketSolved
            ]
        );
        let params = &fired[2].1;
        assert_eq!(params["title"], "B");
        assert_eq!(params["changes"]["priority"], json!({"old": 2, "new": 3}));
        assert_eq!(params["changes"]["title"], json!({"old": "A", "new": "B"}));
        assert!(params["changes"].get("did").is_none());
    }

    #[test]
    fn other_events_fire_their_name_with_the_record() {
        let reply = json!({"request": {"id": 7}, "reply": {"id": 9, "message": "Hi"}});
        let e = event(
            EntityType::Reply,
            EventAction::Created,
            Some("TicketClientReplied"),
            reply.clone(),
            Value::Null,
        );
        assert_eq!(event_hooks(&e), vec![(HookPoint::TicketClientReplied, reply)]);
        let gone = event(
            EntityType::Ticket,
            EventAction::Deleted,
            Some("TicketDeleted"),
            Value::Null,
            json!({"id": 7}),
        );
        assert_eq!(event_hooks(&gone), vec![(HookPoint::TicketDeleted, json!({"id": 7}))]);
        let quiet = event(EntityType::Brand, EventAction::Created, None, json!({}), Value::Null);
        assert!(event_hooks(&quiet).is_empty());
        let not_an_event = event(
            EntityType::Ticket,
            EventAction::Created,
            Some("TicketClientCreateValidation"),
            json!({}),
            Value::Null,
        );
        assert!(event_hooks(&not_an_event).is_empty());
    }
}
