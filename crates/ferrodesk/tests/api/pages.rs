//! The web UI over HTTP, as a browser without JavaScript uses it: a cookie jar, forms with their CSRF
//! token, redirects looked at rather than followed. Shared by the UI tests; the journeys in a real
//! Chromium are in the `browser` test binary.
use super::*;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A password every test login uses.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// One answer of a page request.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) body: String,
    pub(crate) headers: reqwest::header::HeaderMap,
}

impl Page {
    /// The CSRF token of the page's forms.
    pub(crate) fn csrf(&self) -> Option<String> {
        input_value(&self.body, "csrf")
    }

    #[track_caller]
    pub(crate) fn assert_ok(&self) -> &Self {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        self
    }
}

/// The value of the first `<input name="NAME" … value="…">` of `html` (attribute order as the templates
/// write it), with the HTML escapes askama writes undone.
pub(crate) fn input_value(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("name=\"{name}\""))?;
    let rest = &html[start..];
    let end = rest.find('>')?;
    let tag = &rest[..end];
    let v = tag.find("value=\"")? + 7;
    let len = tag[v..].find('"')?;
    Some(unescape(&tag[v..v + len]))
}

pub(crate) fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&#38;", "&")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A browser session: keeps cookies, remembers the CSRF token of the last page that had one.
pub(crate) struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
    csrf: Mutex<Option<String>>,
}

impl Browser {
    pub(crate) fn new(server: &TestServer) -> Browser {
        Self::at(&server.url)
    }

    pub(crate) fn at(base: &str) -> Browser {
        Browser {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            cookies: Mutex::new(BTreeMap::new()),
            csrf: Mutex::new(None),
        }
    }

    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().expect("cookies").get(name).cloned()
    }

    pub(crate) fn set_cookie(&self, name: &str, value: &str) {
        self.cookies.lock().expect("cookies").insert(name.into(), value.into());
    }

    pub(crate) fn csrf(&self) -> Option<String> {
        self.csrf.lock().expect("csrf").clone()
    }

    fn cookie_header(&self) -> String {
        let jar = self.cookies.lock().expect("cookies");
        jar.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&self, r: reqwest::Response) -> Page {
        let status = r.status();
        let headers = r.headers().clone();
        for v in headers.get_all(SET_COOKIE) {
            let text = v.to_str().expect("cookie header");
            let first = text.split(';').next().unwrap_or_default();
            let (name, value) = first.split_once('=').expect("name=value");
            let mut jar = self.cookies.lock().expect("cookies");
            if value.is_empty() || text.contains("Max-Age=0") {
                jar.remove(name);
            } else {
                jar.insert(name.into(), value.into());
            }
        }
        let location = headers.get(LOCATION).map(|v| v.to_str().expect("location").to_owned());
        let body = r.text().await.expect("page body");
        let page = Page {
            status,
            location,
            body,
            headers,
        };
        if let Some(token) = page.csrf() {
            *self.csrf.lock().expect("csrf") = Some(token);
        }
        page
    }

    pub(crate) async fn get(&self, path: &str) -> Page {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("GET page");
        self.finish(r).await
    }

    /// Posts a form with the CSRF token of the last page (unless the fields give one).
    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if !fields.iter().any(|(k, _)| *k == "csrf")
            && let Some(t) = self.csrf()
        {
            all.push(("csrf".into(), t));
        }
        self.post_raw(path, &all).await
    }

    /// Posts exactly these fields (no token added).
    pub(crate) async fn post_raw(&self, path: &str, fields: &[(String, String)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter())
            .finish();
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST form");
        self.finish(r).await
    }

    /// Logs in through `/login` and returns the page it redirects to.
    pub(crate) async fn login(&self, email: &str, password: &str) -> Page {
        self.get("/login").await.assert_ok();
        self.post("/login", &[("email", email), ("password", password)]).await
    }
}

/// A staff member with [`PASSWORD`], logged in in a fresh [`Browser`].
pub(crate) async fn staff_browser(server: &TestServer, role: Role) -> (Staff, Browser) {
    let email = format!("{}@example.com", unique("staff").to_lowercase());
    let staff = server
        .admin
        .create_staff(&NewStaff {
            email: email.clone(),
            name: unique("Agent Smith"),
            role,
            password: PASSWORD.into(),
            department_ids: None,
        })
        .await
        .expect("staff");
    let b = Browser::new(server);
    let landed = b.login(&email, PASSWORD).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    let home = b.get("/agent").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    (staff, b)
}

/// An end user (of a new customer) with [`PASSWORD`], logged in in a fresh [`Browser`].
pub(crate) async fn customer_browser(server: &TestServer) -> (Person, Browser) {
    let person = server.customer().await;
    server
        .admin
        .update_end_user(
            person.end_user.id,
            &EndUserPatch {
                password: Some(Some(PASSWORD.into())),
                ..Default::default()
            },
        )
        .await
        .expect("portal password");
    let b = Browser::new(server);
    let email = person.end_user.email.clone().expect("email");
    let landed = b.login(&email, PASSWORD).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    assert_eq!(landed.location.as_deref(), Some("/portal"));
    (person, b)
}
