//! A customer database that speaks SpiceCSM's web-call protocol as its document describes it, on
//! 127.0.0.1: it checks `intUser`/`intPass`, searches a few accounts by the posted criteria, loads one by
//! `Userkey`, takes updates and case updates, and records every post so tests can see exactly what was
//! sent. Other paths answer the ways real receivers go wrong.
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Form, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use domain::account::{Account, AccountContact, AccountField, phone_digits};
use ferrodesk_integrations::webcall::{WebcallConfig, url_encode};
use futures_util::StreamExt;
use futures_util::stream;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) const INT_USER: &str = "ferrodesk";
pub(crate) const INT_PASS: &str = "s3cret-int-pass";

/// One POST as the backend received it: the path and the form fields in the order sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Post {
    pub(crate) path: String,
    pub(crate) fields: Vec<(String, String)>,
}

impl Post {
    /// The fields after the credentials, which every post starts with.
    pub(crate) fn sent(&self) -> Vec<(&str, &str)> {
        assert_eq!(
            self.fields.get(..2),
            Some(&[("intUser".into(), INT_USER.into()), ("intPass".into(), INT_PASS.into())][..]),
            "every call carries intUser and intPass first"
        );
        self.fields[2..].iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
}

#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Post>>>);

pub(crate) struct Backend {
    address: SocketAddr,
    received: Received,
}

impl Backend {
    pub(crate) async fn start() -> Backend {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("its address");
        let received = Received::default();
        let app = Router::new().fallback(answer).with_state(received.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Backend { address, received }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The four calls configured on their paths, with the credentials the backend expects.
    pub(crate) fn config(&self) -> WebcallConfig {
        WebcallConfig {
            search_url: self.url("/search"),
            load_url: self.url("/load"),
            update_url: self.url("/update"),
            case_url: self.url("/case"),
            int_user: INT_USER.into(),
            int_pass: INT_PASS.into(),
            timeout: Duration::from_secs(5),
        }
    }

    /// Every call on `path` (all four URLs set to it), for answers that go wrong.
    pub(crate) fn config_for(&self, path: &str) -> WebcallConfig {
        let url = self.url(path);
        WebcallConfig {
            search_url: url.clone(),
            load_url: url.clone(),
            update_url: url.clone(),
            case_url: url,
            ..self.config()
        }
    }

    pub(crate) fn posts(&self) -> Vec<Post> {
        self.received.0.lock().expect("posts").clone()
    }

    pub(crate) fn last_post(&self) -> Post {
        self.posts().pop().expect("a post was received")
    }
}

/// The accounts the backend knows.
pub(crate) fn accounts() -> Vec<Account> {
    let contact = |first: &str, last: &str, email: &str, phone: &str| AccountContact {
        firstname: first.into(),
        lastname: last.into(),
        pemail: email.into(),
        pphone: phone.into(),
        ..AccountContact::default()
    };
    vec![
        Account {
            userkey: "jdoe".into(),
            password: "p@ss word&<>\"".into(),
            status: "Active".into(),
            account: "A-100".into(),
            contacts: vec![AccountContact {
                aone: "123 Fake St.".into(),
                city: "Anywhere".into(),
                region: "ZZ".into(),
                pc: "123456".into(),
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
            status: "Active".into(),
            contacts: vec![contact("John", "Doe", "johgnd@xyz.net", "(555) 555-5555")],
            fields: vec![AccountField {
                id: "1".into(),
                value: "Silver".into(),
            }],
            ..Account::default()
        },
        Account {
            userkey: "zoe".into(),
            status: "Inactive".into(),
            contacts: vec![
                contact("Zoë", "O'Brien & <Sons>", "zoe@example.org", "+44 20 7946 0958"),
                contact("Ann", "Other", "", ""),
            ],
            ..Account::default()
        },
    ]
}

/// Whether an account matches the posted criteria. Like the protocol allows, this receiver uses only
/// some of them and ignores the rest.
fn matches(account: &Account, fields: &[(String, String)]) -> bool {
    let first = account.contacts.first().cloned().unwrap_or_default();
    fields.iter().all(|(name, value)| match name.as_str() {
        "Userkey" => account.userkey == *value,
        "FirstName" => first.firstname.eq_ignore_ascii_case(value),
        "LastName" => first.lastname.eq_ignore_ascii_case(value),
        "PrimaryEmail" => first.pemail.eq_ignore_ascii_case(value),
        "PrimaryPhone" => phone_digits(&first.pphone) == phone_digits(value),
        "Status" => account.status == *value,
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

fn users_answer(fields: &[(String, String)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" ?>\n<users>\n");
    for account in accounts().iter().filter(|a| matches(a, fields)) {
        let c = account.contacts.first().cloned().unwrap_or_default();
        out.push_str(&format!(
            "  <user status=\"{}\" userkey=\"{}\" name=\"{}\" email=\"{}\" phone=\"{}\" />\n",
            url_encode(&account.status),
            url_encode(&account.userkey),
            url_encode(&format!("{} {}", c.firstname, c.lastname)),
            url_encode(&c.pemail),
            url_encode(&c.pphone),
        ));
    }
    out.push_str("</users>\n");
    out
}

/// The load answer, written the way a receiver of its own might: one line, attributes in another order,
/// an attribute the protocol does not have.
fn userdata_answer(a: &Account) -> String {
    let e = |s: &str| url_encode(s);
    let mut out = format!(
        "<userdata><user account=\"{}\" status=\"{}\" password=\"{}\" userkey=\"{}\" created=\"2006-01-27\"/><contacts>",
        e(&a.account),
        e(&a.status),
        e(&a.password),
        e(&a.userkey)
    );
    for c in &a.contacts {
        out.push_str(&format!(
            "<contact fax=\"{}\" mobile=\"{}\" semail=\"{}\" pemail=\"{}\" sphone=\"{}\" pphone=\"{}\" country=\"{}\" pc=\"{}\" region=\"{}\" city=\"{}\" atwo=\"{}\" aone=\"{}\" lastname=\"{}\" firstname=\"{}\"/>",
            e(&c.fax),
            e(&c.mobile),
            e(&c.semail),
            e(&c.pemail),
            e(&c.sphone),
            e(&c.pphone),
            e(&c.country),
            e(&c.pc),
            e(&c.region),
            e(&c.city),
            e(&c.atwo),
            e(&c.aone),
            e(&c.lastname),
            e(&c.firstname)
        ));
    }
    out.push_str("</contacts><fielddata>");
    for f in &a.fields {
        out.push_str(&format!("<field value=\"{}\" id=\"{}\"/>", e(&f.value), e(&f.id)));
    }
    out.push_str("</fielddata></userdata>");
    out
}

static SPACES: [u8; 64 * 1024] = [b' '; 64 * 1024];

fn spaces() -> Result<Bytes, Infallible> {
    Ok(Bytes::from_static(&SPACES))
}

/// The search answer exactly as the protocol's document prints it: typographic quotes opening the
/// `userkey` values, and the `<user … />` placeholder.
pub(crate) const DOCUMENT_SEARCH_EXAMPLE: &str = "<?xml version=\"1.0\" ?> <users>\n\n \t<user status=\"Active\" userkey=\u{201D}jdoe\" name=\"John%20Doe\" email=\"johnd%40xyz%2Enet\" phone=\"%28555%29%20555%2D5555\" /> \n\n<user status=\"Active\" userkey=\u{201D}jdoe2\" name=\"John%20Doe\" email=\"johgnd%40xyz%2Enet\" phone=\"%28555%29%20555%2D5555\" /> <user \u{2026} /> </users>\n";

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
<users><user status="&lol9;" userkey="lol"/></users>"#;

pub(crate) const EXTERNAL_ENTITY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE userdata [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<userdata><user userkey="&xxe;" password="" status="Active" account=""/></userdata>"#;

async fn answer(State(received): State<Received>, uri: Uri, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let path = uri.path().to_owned();
    received.0.lock().expect("posts").push(Post {
        path: path.clone(),
        fields: fields.clone(),
    });
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if field("intUser") != Some(INT_USER) || field("intPass") != Some(INT_PASS) {
        return (StatusCode::FORBIDDEN, "bad credentials").into_response();
    }
    let criteria = &fields[2..];
    match path.as_str() {
        "/search" => xml(users_answer(criteria)),
        "/load" => {
            let userkey = field("Userkey").unwrap_or_default();
            match accounts().iter().find(|a| a.userkey == userkey) {
                Some(account) => xml(userdata_answer(account)),
                None => (StatusCode::NOT_FOUND, "no such account").into_response(),
            }
        }
        "/update" | "/case" => "OK".into_response(),
        "/document-example" => xml(DOCUMENT_SEARCH_EXAMPLE),
        "/billion-laughs" => xml(BILLION_LAUGHS),
        "/external-entity" => xml(EXTERNAL_ENTITY),
        "/huge" => xml(vec![b' '; 10 * 1024 * 1024]),
        "/huge-chunked" => xml(Body::from_stream(stream::iter((0..160).map(|_| spaces())))),
        "/endless" => xml(Body::from_stream(stream::repeat_with(spaces))),
        "/not-utf8" => xml(&b"<users><user userkey=\"j\xF6rg\"/></users>"[..]),
        "/missing-user" => xml("<userdata><contacts/><fielddata/></userdata>"),
        "/missing-userkey" => xml("<users><user status=\"Active\" name=\"John%20Doe\"/></users>"),
        "/malformed" => xml("<users>\n  <user userkey=\"jdoe\">\n</users>"),
        "/wrong-root" => xml("<html><body><h1>Fatal error</h1></body></html>"),
        "/status-500" => (StatusCode::INTERNAL_SERVER_ERROR, "<users/>").into_response(),
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            xml("<users/>")
        }
        "/stalled-body" => xml(Body::from_stream(
            stream::once(async { Ok::<_, Infallible>(Bytes::from_static(b"<users>")) }).chain(stream::pending()),
        )),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
