//! A customer database that speaks SpiceCSM's web-call protocol (SPEC §6) as its document describes it,
//! on 127.0.0.1, for tests that drive ferrodesk's `webcall` backend end to end: it checks `intUser` and
//! `intPass` (wrong ones are answered `401` with no body), searches an in-memory account set by the posted
//! criteria, loads an account by `Userkey` (`<userdata/>` for an unknown one), applies `userXML` updates,
//! takes `caseXML` case updates, and records every request as it arrived so tests assert exactly what
//! ferrodesk sent. [`Mode`]s make it misbehave on demand.
//!
//! The four calls live on `/search`, `/load`, `/update` and `/case` ([`WebcallServer::url`]);
//! [`WebcallServer::settings`] is a brand's `webcall` member pointing at them.
//!
//! ```ignore
//! let backend = WebcallServer::start().await;
//! let desk = webcall_desk().await;            // ferrodesk allowed to call 127.0.0.1
//! let brand = backend.brand(&desk).await;     // a brand served by this backend
//! backend.set_mode(Mode::Status500);
//! let posted = backend.last_request();
//! ```
#![allow(
    dead_code,
    reason = "a kit shared by the backend, telephony and case-update tests; each uses a part of it"
)]
use crate::{TestServer, unique};
use api_types::{Brand, BrandPatch, NewBrand, WebcallInput};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use domain::account::{Account, AccountContact, AccountField, phone_digits};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The `intUser` the server accepts.
pub(crate) const INT_USER: &str = "ferrodesk-desk";
/// The `intPass` the server accepts: tests look for it wherever it must never appear.
pub(crate) const INT_PASS: &str = "Int-Pa55-s3cret-9f2c";

/// How the server answers a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// As the protocol's document says.
    Normal,
    /// A DOCTYPE declaring nested entities (the "billion laughs") used in an attribute.
    Doctype,
    /// A DOCTYPE declaring an external entity (`SYSTEM "file:///etc/passwd"`) used in an attribute.
    ExternalEntity,
    /// 10 MB of answer with its `Content-Length`.
    Huge,
    /// 10 MB of answer in chunks, without a length.
    HugeChunked,
    /// A byte that is not UTF-8 in an attribute value.
    NotUtf8,
    /// Required elements left out: the search answers a prolog without `<users>`, the load a `<userdata>`
    /// with contacts and fields but no `<user>`.
    MissingElements,
    /// `<user>` elements without their `userkey`.
    MissingAttributes,
    /// HTTP 500 (with a well-formed document, which must not count).
    Status500,
    /// No answer for 30 s.
    Silent,
    /// An element that is never closed.
    Malformed,
    /// The document's own examples: the search answer with its typographic quotes (`userkey=”jdoe"`) and
    /// its `<user … />` placeholder, the load answer of `johnd`.
    DocumentExample,
}

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WebcallRequest {
    /// `search`, `load`, `update`, `case` (the path without its slash).
    pub(crate) call: String,
    pub(crate) content_type: String,
    /// The form fields in the order sent.
    pub(crate) form: Vec<(String, String)>,
}

impl WebcallRequest {
    /// The value of a form field.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The fields other than the credentials, in the order sent.
    pub(crate) fn sent(&self) -> Vec<(&str, &str)> {
        self.form
            .iter()
            .filter(|(k, _)| k != "intUser" && k != "intPass")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// Whether the request carried the credentials the server accepts, each exactly once.
    pub(crate) fn has_credentials(&self) -> bool {
        let count = |name: &str| self.form.iter().filter(|(k, _)| k == name).count();
        count("intUser") == 1
            && count("intPass") == 1
            && self.get("intUser") == Some(INT_USER)
            && self.get("intPass") == Some(INT_PASS)
    }
}

/// A case update as posted: `Userkey` and `caseXML`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CasePost {
    pub(crate) userkey: String,
    pub(crate) case_xml: String,
}

#[derive(Default)]
struct Shared {
    accounts: Mutex<Vec<Account>>,
    requests: Mutex<Vec<WebcallRequest>>,
    /// Per call (`search`, …); `*` for every call without its own.
    modes: Mutex<HashMap<String, Mode>>,
    updates: Mutex<Vec<String>>,
    cases: Mutex<Vec<CasePost>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock has already failed; the data is still usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The web-call server of a test; it stops when the test's runtime does.
pub(crate) struct WebcallServer {
    address: SocketAddr,
    shared: Arc<Shared>,
}

impl WebcallServer {
    /// A server on a free loopback port, knowing [`sample_accounts`].
    pub(crate) async fn start() -> WebcallServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("its address");
        let shared = Arc::new(Shared::default());
        lock(&shared.accounts).extend(sample_accounts());
        let app = Router::new().fallback(answer).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        WebcallServer { address, shared }
    }

    /// The URL of a call: `search`, `load`, `update` or `case` (any other path answers 404).
    pub(crate) fn url(&self, call: &str) -> String {
        format!("http://{}/{call}", self.address)
    }

    /// The address of the server, `127.0.0.1:port`.
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// A brand's `webcall` member for this server: the four calls, the right credentials, a 5 s limit.
    pub(crate) fn settings(&self) -> WebcallInput {
        WebcallInput {
            search_url: self.url("search"),
            load_url: self.url("load"),
            update_url: Some(self.url("update")),
            case_url: Some(self.url("case")),
            int_user: Some(INT_USER.into()),
            int_pass: Some(INT_PASS.into()),
            timeout_ms: Some(5_000),
        }
    }

    /// A new brand of `desk` whose accounts this server serves (`desk` must allow private web calls:
    /// [`webcall_desk`]).
    pub(crate) async fn brand(&self, desk: &TestServer) -> Brand {
        self.brand_with(desk, self.settings()).await
    }

    /// A new brand served by this server with `settings`.
    pub(crate) async fn brand_with(&self, desk: &TestServer, settings: WebcallInput) -> Brand {
        let brand = desk
            .admin
            .create_brand(&NewBrand {
                name: unique("Webcall brand"),
                ..Default::default()
            })
            .await
            .expect("brand");
        desk.admin
            .update_brand(
                brand.id,
                &BrandPatch {
                    customer_backend: Some("webcall".into()),
                    webcall: Some(settings),
                    ..Default::default()
                },
            )
            .await
            .expect("the brand served by the web-call server")
    }

    /// Every request so far, in the order received.
    pub(crate) fn requests(&self) -> Vec<WebcallRequest> {
        lock(&self.shared.requests).clone()
    }

    /// The requests of one call (`search`, …).
    pub(crate) fn requests_to(&self, call: &str) -> Vec<WebcallRequest> {
        self.requests().into_iter().filter(|r| r.call == call).collect()
    }

    pub(crate) fn last_request(&self) -> WebcallRequest {
        self.requests().pop().expect("the web-call server received a request")
    }

    pub(crate) fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// How every call is answered from now on (calls given their own mode keep it).
    pub(crate) fn set_mode(&self, mode: Mode) {
        let mut modes = lock(&self.shared.modes);
        modes.clear();
        modes.insert("*".into(), mode);
    }

    /// How one call (`search`, `load`, `update`, `case`) is answered from now on.
    pub(crate) fn set_mode_of(&self, call: &str, mode: Mode) {
        lock(&self.shared.modes).insert(call.into(), mode);
    }

    /// Adds an account (or replaces the one with its userkey).
    pub(crate) fn add_account(&self, account: Account) {
        let mut accounts = lock(&self.shared.accounts);
        accounts.retain(|a| a.userkey != account.userkey);
        accounts.push(account);
    }

    /// The account as the server has it now (updates applied).
    pub(crate) fn account(&self, userkey: &str) -> Option<Account> {
        lock(&self.shared.accounts)
            .iter()
            .find(|a| a.userkey == userkey)
            .cloned()
    }

    /// Every `userXML` posted to `update`, as posted.
    pub(crate) fn updates(&self) -> Vec<String> {
        lock(&self.shared.updates).clone()
    }

    /// Every case update posted to `case`.
    pub(crate) fn cases(&self) -> Vec<CasePost> {
        lock(&self.shared.cases).clone()
    }
}

fn mode_of(shared: &Shared, call: &str) -> Mode {
    let modes = lock(&shared.modes);
    modes
        .get(call)
        .or_else(|| modes.get("*"))
        .copied()
        .unwrap_or(Mode::Normal)
}

/// A ferrodesk test server that may make web calls to loopback addresses (`webcalls_allow_private`).
pub(crate) async fn webcall_desk() -> TestServer {
    TestServer::start_with(|s| s.webcalls_allow_private = true).await
}

fn contact(first: &str, last: &str, email: &str, phone: &str) -> AccountContact {
    AccountContact {
        firstname: first.into(),
        lastname: last.into(),
        pemail: email.into(),
        pphone: phone.into(),
        ..AccountContact::default()
    }
}

/// The accounts a new server knows: `jdoe` and `jdoe2` of the protocol's search example, `johnd` of its
/// load example, and `zoe` with values that need encoding and two contacts.
pub(crate) fn sample_accounts() -> Vec<Account> {
    vec![
        Account {
            userkey: "jdoe".into(),
            password: "p@ss word&<\"x\">".into(),
            status: "Active".into(),
            account: "A-100".into(),
            contacts: vec![AccountContact {
                aone: "123 Fake St.".into(),
                city: "Anywhere".into(),
                region: "ZZ".into(),
                pc: "123456".into(),
                sphone: "(555) 555-0199".into(),
                mobile: "+1 555 555 0177".into(),
                ..contact("John", "Doe", "johnd@xyz.net", "(555) 555-5555")
            }],
            fields: vec![
                AccountField {
                    id: "1".into(),
                    value: "Gold".into(),
                },
                AccountField {
                    id: "7".into(),
                    value: "yes".into(),
                },
            ],
        },
        Account {
            userkey: "jdoe2".into(),
            password: "other".into(),
            status: "Active".into(),
            account: "A-101".into(),
            contacts: vec![contact("John", "Doe", "johgnd@xyz.net", "(555) 555-5555")],
            fields: vec![AccountField {
                id: "1".into(),
                value: "Silver".into(),
            }],
        },
        Account {
            userkey: "johnd".into(),
            status: "Active".into(),
            contacts: vec![AccountContact {
                aone: "123 Fake St.".into(),
                city: "Anywhere".into(),
                region: "ZZ".into(),
                pc: "123456".into(),
                sphone: "(555) 555-5555".into(),
                ..contact("John", "Doe", "johnd@xyz.net", "(555) 555-5555")
            }],
            fields: vec![AccountField {
                id: "1".into(),
                value: "Anything".into(),
            }],
            ..Account::default()
        },
        Account {
            userkey: "zoe".into(),
            password: "zz".into(),
            status: "Inactive".into(),
            account: "Z & Sons".into(),
            contacts: vec![
                contact("Zoë", "O'Brien & <Sons>", "zoe@example.org", "+44 20 7946 0958"),
                contact("Ann", "Other", "ann@example.org", ""),
            ],
            ..Account::default()
        },
    ]
}

/// A value written like the protocol's examples: every byte that is not an ASCII letter or digit as
/// `%XX` (`John%20Doe`). Written here rather than borrowed from ferrodesk, so the server does not share
/// a mistake with the client it tests; its output needs no XML escaping.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Whether an account matches the posted criteria. Like the protocol allows, the server uses some of them
/// (`Userkey`, the names and emails of any contact, phone digits, `Status`, `AccountID`, `CustFields`) and
/// ignores the rest.
fn matches(account: &Account, criteria: &[(&str, &str)]) -> bool {
    let any = |test: &dyn Fn(&AccountContact) -> bool| account.contacts.iter().any(test);
    criteria.iter().all(|(name, value)| match *name {
        "Userkey" => account.userkey == *value,
        "FirstName" => any(&|c| c.firstname.eq_ignore_ascii_case(value)),
        "LastName" => any(&|c| c.lastname.eq_ignore_ascii_case(value)),
        "PrimaryEmail" => any(&|c| c.pemail.eq_ignore_ascii_case(value)),
        "SecondaryEmail" => any(&|c| c.semail.eq_ignore_ascii_case(value)),
        "PrimaryPhone" => any(&|c| !c.pphone.is_empty() && phone_digits(&c.pphone) == phone_digits(value)),
        "SecondayPhone" => any(&|c| !c.sphone.is_empty() && phone_digits(&c.sphone) == phone_digits(value)),
        "Modile" => any(&|c| !c.mobile.is_empty() && phone_digits(&c.mobile) == phone_digits(value)),
        "Status" => account.status.eq_ignore_ascii_case(value),
        "AccountID" => account.account == *value,
        "CustFields" => value.split(',').all(|pair| {
            let (id, wanted) = pair.split_once('\\').unwrap_or((pair, ""));
            account.fields.iter().any(|f| f.id == id && f.value == wanted)
        }),
        _ => true,
    })
}

fn xml(document: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], document.into()).into_response()
}

fn users_answer(accounts: &[Account]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" ?>\n<users>\n");
    for a in accounts {
        let c = a.contacts.first().cloned().unwrap_or_default();
        out.push_str(&format!(
            "  <user status=\"{}\" userkey=\"{}\" name=\"{}\" email=\"{}\" phone=\"{}\" />\n",
            encode(&a.status),
            encode(&a.userkey),
            encode(format!("{} {}", c.firstname, c.lastname).trim()),
            encode(&c.pemail),
            encode(&c.pphone),
        ));
    }
    out.push_str("</users>\n");
    out
}

fn userdata_answer(a: &Account) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<userdata>\n");
    out.push_str(&format!(
        "  <user userkey=\"{}\" password=\"{}\" status=\"{}\" account=\"{}\" />\n  <contacts>\n",
        encode(&a.userkey),
        encode(&a.password),
        encode(&a.status),
        encode(&a.account)
    ));
    for c in &a.contacts {
        let attributes = [
            ("firstname", &c.firstname),
            ("lastname", &c.lastname),
            ("aone", &c.aone),
            ("atwo", &c.atwo),
            ("city", &c.city),
            ("region", &c.region),
            ("pc", &c.pc),
            ("country", &c.country),
            ("pphone", &c.pphone),
            ("sphone", &c.sphone),
            ("pemail", &c.pemail),
            ("semail", &c.semail),
            ("mobile", &c.mobile),
            ("fax", &c.fax),
        ];
        out.push_str("    <contact");
        for (name, value) in attributes {
            out.push_str(&format!(" {name}=\"{}\"", encode(value)));
        }
        out.push_str(" />\n");
    }
    out.push_str("  </contacts>\n  <fielddata>\n");
    for f in &a.fields {
        out.push_str(&format!(
            "    <field id=\"{}\" value=\"{}\" />\n",
            encode(&f.id),
            encode(&f.value)
        ));
    }
    out.push_str("  </fielddata>\n</userdata>\n");
    out
}

/// The search answer exactly as the protocol's document prints it.
pub(crate) const DOCUMENT_SEARCH_EXAMPLE: &str = "<?xml version=\"1.0\" ?> <users>\n\n \t<user status=\"Active\" userkey=\u{201D}jdoe\" name=\"John%20Doe\" email=\"johnd%40xyz%2Enet\" phone=\"%28555%29%20555%2D5555\" /> \n\n<user status=\"Active\" userkey=\u{201D}jdoe2\" name=\"John%20Doe\" email=\"johgnd%40xyz%2Enet\" phone=\"%28555%29%20555%2D5555\" /> <user \u{2026} /> </users>\n";

/// The load answer exactly as the protocol's document prints it.
pub(crate) const DOCUMENT_LOAD_EXAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?> <userdata>

  <user userkey="johnd" password="" status="Active" account="" />
  <contacts>
     <contact firstname="John" lastname="Doe" aone="123%20Fake%20St%2E" atwo="" city="Anywhere" region="ZZ" pc="123456" country="" pphone="%28555%29%20555%2D5555" sphone="%28555%29%20555%2D5555" pemail="johnd%40xyz%2Enet" semail="" mobile="" fax="" />
  </contacts>
  <fielddata>
     <field id="1" value="Anything" />
  </fielddata>

</userdata>
"#;

/// Nested entities that would expand to gigabytes.
pub(crate) const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE users [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<users><user status="&lol9;" userkey="lol9"/></users>"#;

/// An external entity pointing at a local file.
pub(crate) const EXTERNAL_ENTITY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE userdata [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<users><user status="Active" userkey="&xxe;" name="&xxe;"/></users>"#;

/// The size of the oversized answers.
pub(crate) const HUGE_BYTES: usize = 10 * 1024 * 1024;

static SPACES: [u8; 64 * 1024] = [b' '; 64 * 1024];

/// A misbehaving answer to `call`; `None` for [`Mode::Normal`].
async fn misbehave(mode: Mode, call: &str) -> Option<Response> {
    let load = call == "load";
    Some(match mode {
        Mode::Normal => return None,
        Mode::Doctype => xml(BILLION_LAUGHS),
        Mode::ExternalEntity => xml(EXTERNAL_ENTITY),
        Mode::Huge => {
            let mut body = b"<users>".to_vec();
            body.resize(HUGE_BYTES - 8, b' ');
            body.extend_from_slice(b"</users>");
            xml(body)
        }
        Mode::HugeChunked => xml(Body::from_stream(futures_util::stream::iter(
            (0..HUGE_BYTES / SPACES.len()).map(|_| Ok::<_, Infallible>(Bytes::from_static(&SPACES))),
        ))),
        Mode::NotUtf8 if load => xml(&b"<userdata><user userkey=\"j\xF6rg\" status=\"Active\"/></userdata>"[..]),
        Mode::NotUtf8 => xml(&b"<users><user status=\"Active\" userkey=\"j\xF6rg\"/></users>"[..]),
        Mode::MissingElements if load => xml(
            "<?xml version=\"1.0\"?>\n<userdata><contacts><contact firstname=\"John\"/></contacts><fielddata><field id=\"1\" value=\"x\"/></fielddata></userdata>",
        ),
        Mode::MissingElements => xml("<?xml version=\"1.0\"?>\n"),
        Mode::MissingAttributes if load => {
            xml("<userdata><user status=\"Active\" account=\"A-1\"/><contacts/></userdata>")
        }
        Mode::MissingAttributes => xml("<users><user status=\"Active\" name=\"John%20Doe\"/></users>"),
        Mode::Status500 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/xml")],
            if load { "<userdata/>" } else { "<users/>" },
        )
            .into_response(),
        Mode::Silent => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            xml(if load { "<userdata/>" } else { "<users/>" })
        }
        Mode::Malformed if load => xml("<userdata>\n  <user userkey=\"jdoe\">\n  <contacts>\n</userdata>"),
        Mode::Malformed => xml("<users>\n  <user userkey=\"jdoe\">\n</users>"),
        Mode::DocumentExample if load => xml(DOCUMENT_LOAD_EXAMPLE),
        Mode::DocumentExample => xml(DOCUMENT_SEARCH_EXAMPLE),
    })
}

async fn answer(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let call = uri.path().trim_start_matches('/').to_owned();
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let request = WebcallRequest {
        call: call.clone(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        form,
    };
    lock(&shared.requests).push(request.clone());
    if !request.has_credentials() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mode = mode_of(&shared, &call);
    if let Some(response) = misbehave(mode, &call).await {
        return response;
    }
    let criteria = request.sent();
    match call.as_str() {
        "search" => {
            let found: Vec<Account> = lock(&shared.accounts)
                .iter()
                .filter(|a| matches(a, &criteria))
                .cloned()
                .collect();
            xml(users_answer(&found))
        }
        "load" => {
            let userkey = request.get("Userkey").unwrap_or_default();
            match lock(&shared.accounts).iter().find(|a| a.userkey == userkey) {
                Some(account) => xml(userdata_answer(account)),
                None => xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<userdata/>\n"),
            }
        }
        "update" => {
            let Some(document) = request.get("userXML") else {
                return (StatusCode::BAD_REQUEST, "no userXML").into_response();
            };
            lock(&shared.updates).push(document.to_owned());
            // The server reads the document with ferrodesk's parser; tests that care about its exact text
            // read `updates()`.
            match integrations::webcall::parse_userdata(document.as_bytes()) {
                Ok(account) => {
                    let mut accounts = lock(&shared.accounts);
                    match accounts.iter_mut().find(|a| a.userkey == account.userkey) {
                        Some(stored) => {
                            *stored = account;
                            "OK".into_response()
                        }
                        None => (StatusCode::NOT_FOUND, "no such account").into_response(),
                    }
                }
                Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
            }
        }
        "case" => {
            lock(&shared.cases).push(CasePost {
                userkey: request.get("Userkey").unwrap_or_default().to_owned(),
                case_xml: request.get("caseXML").unwrap_or_default().to_owned(),
            });
            "OK".into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::test]
async fn the_server_answers_the_protocol_and_records_what_it_got() {
    let server = WebcallServer::start().await;
    let http = reqwest::Client::new();
    let post = |form: Vec<(&'static str, &'static str)>| http.post(server.url("search")).form(&form).send();
    let refused = post(vec![("intUser", INT_USER), ("intPass", "wrong"), ("Userkey", "jdoe")])
        .await
        .expect("an answer");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let found = post(vec![("intUser", INT_USER), ("intPass", INT_PASS), ("LastName", "doe")])
        .await
        .expect("an answer")
        .text()
        .await
        .expect("a body");
    assert!(
        found.contains("userkey=\"jdoe\"") && found.contains("userkey=\"jdoe2\"") && !found.contains("zoe"),
        "{found}"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].sent(), vec![("LastName", "doe")]);
    assert_eq!(requests[1].content_type, "application/x-www-form-urlencoded");
    assert!(!requests[0].has_credentials() && requests[1].has_credentials());
}

#[test]
fn values_are_encoded_like_the_documents_examples() {
    assert_eq!(encode("John Doe"), "John%20Doe");
    assert_eq!(encode("johnd@xyz.net"), "johnd%40xyz%2Enet");
    assert_eq!(encode("(555) 555-5555"), "%28555%29%20555%2D5555");
    assert_eq!(encode("Zoë"), "Zo%C3%AB");
}
