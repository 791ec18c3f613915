//! Customer backends on the wire (SPEC §6, §9 "customer backends"): a brand's web-call settings, and the
//! accounts of `GET /api/v1/brands/{id}/accounts` and `GET/PUT /api/v1/brands/{id}/accounts/{userkey}` with
//! the load document's names.
use domain::account::{Account, AccountContact, AccountField, AccountSummary};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

body! {
    /// The `webcall` member of a brand's create or patch body. On a patch an `int_pass` that is left out,
    /// empty or the mask `********` keeps the stored password.
    pub struct WebcallInput {
        pub search_url: String,
        pub load_url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub update_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub case_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub int_user: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub int_pass: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timeout_ms: Option<u64>,
    }
}

/// `GET /api/v1/brands/{id}/accounts`: the accounts the brand's backend found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccountList {
    pub data: Vec<AccountSummaryBody>,
}

/// One account found: `{userkey, status, name, email, phone}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccountSummaryBody {
    pub userkey: String,
    pub status: String,
    pub name: String,
    pub email: String,
    pub phone: String,
}

impl From<AccountSummary> for AccountSummaryBody {
    fn from(a: AccountSummary) -> Self {
        Self {
            userkey: a.userkey,
            status: a.status,
            name: a.name,
            email: a.email,
            phone: a.phone,
        }
    }
}

/// An account with its contacts and custom fields, in the load document's names; the backend's password
/// is never shown. The body of `PUT …/accounts/{userkey}` too (`userkey` there must match the path or be
/// left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    #[serde(default)]
    pub userkey: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub contacts: Vec<ContactBody>,
    #[serde(default)]
    pub fields: Vec<FieldBody>,
}

/// `{firstname, lastname, aone, atwo, city, region, pc, country, pphone, sphone, pemail, semail, mobile,
/// fax}`; members left out are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ContactBody {
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

/// `{id, value}` of a custom field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FieldBody {
    pub id: String,
    #[serde(default)]
    pub value: String,
}

impl From<Account> for AccountBody {
    fn from(a: Account) -> Self {
        Self {
            userkey: a.userkey,
            status: a.status,
            account: a.account,
            contacts: a.contacts.into_iter().map(ContactBody::from).collect(),
            fields: a
                .fields
                .into_iter()
                .map(|f| FieldBody {
                    id: f.id,
                    value: f.value,
                })
                .collect(),
        }
    }
}

impl From<AccountContact> for ContactBody {
    fn from(c: AccountContact) -> Self {
        Self {
            firstname: c.firstname,
            lastname: c.lastname,
            aone: c.aone,
            atwo: c.atwo,
            city: c.city,
            region: c.region,
            pc: c.pc,
            country: c.country,
            pphone: c.pphone,
            sphone: c.sphone,
            pemail: c.pemail,
            semail: c.semail,
            mobile: c.mobile,
            fax: c.fax,
        }
    }
}

impl From<ContactBody> for AccountContact {
    fn from(c: ContactBody) -> Self {
        Self {
            firstname: c.firstname,
            lastname: c.lastname,
            aone: c.aone,
            atwo: c.atwo,
            city: c.city,
            region: c.region,
            pc: c.pc,
            country: c.country,
            pphone: c.pphone,
            sphone: c.sphone,
            pemail: c.pemail,
            semail: c.semail,
            mobile: c.mobile,
            fax: c.fax,
        }
    }
}

impl AccountBody {
    /// The account to send, with `userkey` and the password of the account as loaded.
    pub fn into_account(self, userkey: &str, password: String) -> Account {
        Account {
            userkey: userkey.to_owned(),
            password,
            status: self.status,
            account: self.account,
            contacts: self.contacts.into_iter().map(AccountContact::from).collect(),
            fields: self
                .fields
                .into_iter()
                .map(|f| AccountField {
                    id: f.id,
                    value: f.value,
                })
                .collect(),
        }
    }
}

/// `POST /api/v1/brands/{id}/backend/test`: whether the brand's backend answered, and how fast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BackendTest {
    pub ok: bool,
    /// `local` or `webcall`.
    pub backend: String,
    pub latency_ms: f64,
    /// What failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
