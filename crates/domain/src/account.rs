//! Accounts of a customer backend (SPEC §6): what an external customer database — SpiceCSM's web calls,
//! Eventum's customer backend — knows about a customer, in the web-call protocol's own terms, so the agent's
//! view is the same whichever backend serves the brand.
use serde::{Deserialize, Serialize};

/// The search criteria of the web-call protocol, in the order the protocol lists them, with its spellings
/// (`SecondayPhone` and `Modile` included: receivers read these exact names).
pub const SEARCH_CRITERIA: [&str; 19] = [
    "Userkey",
    "FirstName",
    "LastName",
    "AddressOne",
    "AddressTwo",
    "City",
    "Region",
    "PostalCode",
    "Country",
    "PrimaryPhone",
    "SecondayPhone",
    "PrimaryEmail",
    "SecondaryEmail",
    "Fax",
    "Modile",
    "Password",
    "Status",
    "AccountID",
    "CustFields",
];

/// An account search: criterion name (one of [`SEARCH_CRITERIA`]) → value. Empty values are left out when
/// sent, as the protocol says ("only variables that contain data will be sent").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountCriteria {
    pairs: Vec<(&'static str, String)>,
}

/// A criterion name that is not one of the protocol's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown search criterion {0:?}; the criteria are: {list}", list = SEARCH_CRITERIA.join(", "))]
pub struct UnknownCriterion(pub String);

impl AccountCriteria {
    /// Sets a criterion by its protocol name (exact spelling, case included).
    pub fn set(&mut self, name: &str, value: impl Into<String>) -> Result<(), UnknownCriterion> {
        let name = SEARCH_CRITERIA
            .iter()
            .copied()
            .find(|c| *c == name)
            .ok_or_else(|| UnknownCriterion(name.to_owned()))?;
        let value = value.into();
        self.pairs.retain(|(n, _)| *n != name);
        if !value.trim().is_empty() {
            self.pairs.push((name, value));
        }
        Ok(())
    }

    /// The value of a criterion, when it has one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The non-empty criteria in the protocol's order.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        SEARCH_CRITERIA
            .iter()
            .filter_map(|name| self.get(name).map(|v| (*name, v)))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// One account found by a search (`<user status userkey name email phone/>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub userkey: String,
    pub status: String,
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// A contact of an account (`<contact …/>` of the load document), with the document's attribute names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountContact {
    pub firstname: String,
    pub lastname: String,
    pub aone: String,
    pub atwo: String,
    pub city: String,
    pub region: String,
    pub pc: String,
    pub country: String,
    pub pphone: String,
    pub sphone: String,
    pub pemail: String,
    pub semail: String,
    pub mobile: String,
    pub fax: String,
}

/// A custom field of an account (`<field id value/>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountField {
    pub id: String,
    pub value: String,
}

/// A loaded account (`<userdata>`): the user, contacts and custom fields. The backend's password is read
/// but never shown: it is only sent back unchanged when the account is updated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    pub userkey: String,
    pub password: String,
    pub status: String,
    pub account: String,
    pub contacts: Vec<AccountContact>,
    pub fields: Vec<AccountField>,
}

/// The case update a `webcall` backend receives after each reply (`<ticket …/>` of `caseXML`), in the
/// document's terms: `cid` the ticket, `id` the reply, `date` like `1/27/06 1:27:51 PM`, `sid` the numeric
/// status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseUpdate {
    pub cid: String,
    pub id: String,
    pub tier: String,
    pub date: String,
    pub status: String,
    pub sid: String,
    pub issue: String,
    pub agent: String,
    pub aname: String,
    pub journal: String,
    pub email: String,
    pub article: String,
    pub treepath: String,
    pub events: String,
}

/// How a brand reaches its `webcall` backend (SPEC §6). `int_pass` is a secret: it is shown masked
/// ([`MASKED_SECRET`]) wherever the settings are serialized — API answers, the event log — and only the store
/// and the web-call client read it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebcallSettings {
    pub search_url: String,
    pub load_url: String,
    /// Empty: the backend takes no account updates.
    #[serde(default)]
    pub update_url: String,
    /// Empty: no case updates are sent.
    #[serde(default)]
    pub case_url: String,
    #[serde(default)]
    pub int_user: String,
    #[serde(default)]
    pub int_pass: String,
    /// How long one call may take, answer included.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

/// What a secret shows as.
pub const MASKED_SECRET: &str = "********";
/// A call's time limit when none is set.
pub const DEFAULT_WEBCALL_TIMEOUT_MS: u64 = 5_000;
/// The longest time limit a call may be given.
pub const MAX_WEBCALL_TIMEOUT_MS: u64 = 60_000;

fn default_timeout_ms() -> u64 {
    DEFAULT_WEBCALL_TIMEOUT_MS
}

impl WebcallSettings {
    /// `int_pass` as shown: masked when set, empty when not.
    pub fn shown_pass(&self) -> &'static str {
        if self.int_pass.is_empty() { "" } else { MASKED_SECRET }
    }
}

impl Serialize for WebcallSettings {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("WebcallSettings", 7)?;
        s.serialize_field("search_url", &self.search_url)?;
        s.serialize_field("load_url", &self.load_url)?;
        s.serialize_field("update_url", &self.update_url)?;
        s.serialize_field("case_url", &self.case_url)?;
        s.serialize_field("int_user", &self.int_user)?;
        s.serialize_field("int_pass", self.shown_pass())?;
        s.serialize_field("timeout_ms", &self.timeout_ms)?;
        s.end()
    }
}

impl std::fmt::Debug for WebcallSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebcallSettings")
            .field("search_url", &self.search_url)
            .field("load_url", &self.load_url)
            .field("update_url", &self.update_url)
            .field("case_url", &self.case_url)
            .field("int_user", &self.int_user)
            .field("int_pass", &self.shown_pass())
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// The index key of a phone number for matching callers (`customers.phone_key`, `end_users.phone_key`): its
/// digits reversed, so numbers that end alike share a prefix — a range of the index — whatever country code
/// or punctuation comes first. `None` without any digit.
pub fn phone_key(phone: &str) -> Option<String> {
    let key: String = phone.chars().rev().filter(char::is_ascii_digit).collect();
    (!key.is_empty()).then_some(key)
}

/// The digits of a caller's number a stored number must end with to match it: the last nine, or all when
/// fewer; as a [`phone_key`] prefix. Nine, not ten: a national number written with its trunk prefix
/// (`030 1234567`) and the same number in international form (`+49 30 1234567`) share only their last nine
/// digits. `None` below [`MIN_CALLER_DIGITS`]: too few to name anyone.
pub fn caller_key(ani: &str) -> Option<String> {
    let key = phone_key(ani)?;
    (key.len() >= MIN_CALLER_DIGITS).then(|| key.chars().take(CALLER_DIGITS).collect())
}

/// How many of a caller's last digits are matched.
pub const CALLER_DIGITS: usize = 9;

/// The fewest digits a caller's number must have to be matched with stored numbers.
pub const MIN_CALLER_DIGITS: usize = 6;

/// Digits of a phone number, for matching a caller's number (`ani`) with stored ones: `+1 (555) 555-0100`
/// → `15555550100`.
pub fn phone_digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_keep_the_protocols_names_and_order_and_drop_empty_values() {
        let mut c = AccountCriteria::default();
        c.set("Modile", "555").expect("Modile");
        c.set("Userkey", "jdoe").expect("Userkey");
        c.set("City", "  ").expect("City");
        assert_eq!(c.pairs(), vec![("Userkey", "jdoe"), ("Modile", "555")]);
        assert!(c.set("Mobile", "1").is_err(), "the protocol spells it Modile");
        assert!(c.set("userkey", "1").is_err(), "names are case-sensitive");
        c.set("Userkey", "").expect("clear");
        assert_eq!(c.pairs(), vec![("Modile", "555")]);
    }

    #[test]
    fn the_password_never_shows() {
        let settings = WebcallSettings {
            search_url: "https://crm.example/search".into(),
            load_url: "https://crm.example/load".into(),
            update_url: String::new(),
            case_url: String::new(),
            int_user: "desk".into(),
            int_pass: "s3cret".into(),
            timeout_ms: 5_000,
        };
        let shown = serde_json::to_string(&settings).expect("json");
        assert!(!shown.contains("s3cret") && shown.contains(MASKED_SECRET), "{shown}");
        assert!(!format!("{settings:?}").contains("s3cret"));
    }

    #[test]
    fn phone_digits_drop_punctuation() {
        assert_eq!(phone_digits("+1 (555) 555-0100"), "15555550100");
        assert_eq!(phone_digits("n/a"), "");
    }

    #[test]
    fn numbers_that_end_alike_share_a_key_prefix() {
        assert_eq!(phone_key("+1 (555) 555-0100").as_deref(), Some("00105555551"));
        assert_eq!(phone_key("n/a"), None);
        let stored = phone_key("(555) 555-0100").expect("key");
        let caller = caller_key("+1-555-555-0100").expect("caller");
        assert!(stored.starts_with(&caller), "{stored} {caller}");
        assert_eq!(caller_key("12345"), None, "too short to name anyone");
        let international = phone_key("+49 30 1234567").expect("key");
        let trunk = caller_key("030/1234567").expect("caller");
        assert!(international.starts_with(&trunk), "{international} {trunk}");
    }
}
