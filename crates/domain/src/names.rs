//! Enums' wire names: derived by strum from the variant names under the same case rule serde uses, so no
//! enum keeps a hand-written table of strings; the helpers here say things about those names.
use strum::VariantNames;

/// "must be one of a, b, c": the refusal of a value that is none of `T`'s names.
pub(crate) fn one_of<T: VariantNames>() -> String {
    format!("must be one of {}", T::VARIANTS.join(", "))
}

#[cfg(test)]
mod tests {
    use crate::event::{EntityType, EventAction, EventSource};
    use crate::hook::HookPoint;
    use crate::{Role, TicketStatus};
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use std::fmt::Debug;
    use strum::VariantArray;

    /// Every variant's name parses back to it, and serde writes and reads the same name (the wire and
    /// the database agree).
    fn round_trips<T>(as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
    where
        T: VariantArray + Copy + PartialEq + Debug + Serialize + DeserializeOwned,
    {
        assert!(!T::VARIANTS.is_empty());
        for &v in T::VARIANTS {
            let name = as_str(v);
            assert_eq!(parse(name), Some(v), "{name} parses back");
            let json = serde_json::to_value(v).expect("serialize");
            assert_eq!(json, serde_json::Value::from(name), "serde writes {name}");
            assert_eq!(serde_json::from_value::<T>(json).ok(), Some(v), "serde reads {name}");
        }
        assert_eq!(parse(""), None);
        assert_eq!(parse("no such name"), None);
    }

    #[test]
    fn every_name_round_trips() {
        round_trips(Role::as_str, |s| Role::parse(s).ok());
        round_trips(TicketStatus::as_str, |s| TicketStatus::parse(s).ok());
        round_trips(EventSource::as_str, EventSource::parse);
        round_trips(EventAction::as_str, EventAction::parse);
        round_trips(EntityType::as_str, EntityType::parse);
        round_trips(HookPoint::as_str, HookPoint::parse);
    }

    #[test]
    fn wire_names_are_unchanged() {
        assert_eq!(
            Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            ["admin", "agent", "end_user"]
        );
        assert_eq!(
            TicketStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            ["waiting", "replied", "process", "solved"]
        );
        assert_eq!(
            EventSource::VARIANTS.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            ["UI", "API", "SYSTEM", "HOOK", "MAIL"]
        );
        assert_eq!(
            EventAction::VARIANTS.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            ["created", "updated", "deleted", "restored"]
        );
        // SPEC §3.5's entity types (plus `staff`, which the staff routes log, `oauth_client`, and the
        // catalogue's billing objects `feature`, `group`, `package` and `plan`, and `support_level`).
        assert_eq!(
            EntityType::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
            [
                "ticket",
                "reply",
                "brand",
                "department",
                "customer",
                "end_user",
                "staff",
                "token",
                "oauth_client",
                "attribute",
                "feature",
                "group",
                "package",
                "plan",
                "subscription",
                "invoice",
                "payment",
                "refund",
                "contract",
                "support_level",
                "billing_link",
                "webhook",
                "hook",
                "call",
                "mailbox"
            ]
        );
    }

    #[test]
    fn refusals_name_every_value() {
        assert_eq!(Role::parse("root"), Err("must be one of admin, agent, end_user"));
        // Case matters: the stored and wire forms are exact.
        assert!(TicketStatus::parse("Solved").is_err());
        assert_eq!(EventSource::parse("api"), None);
    }
}
