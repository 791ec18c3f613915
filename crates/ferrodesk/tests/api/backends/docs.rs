//! The requests of docs/integrations.md's "Customer backends in ferrodesk" answer as documented.
use super::*;

/// The fenced blocks of docs/integrations.md's "Customer backends in ferrodesk": each ```http block, and
/// the ```json block right after it (only blank lines between) when there is one.
fn documented_exchanges() -> Vec<(String, Option<String>)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/integrations.md"))
        .expect("docs/integrations.md");
    let start = doc.find("\n## Customer backends in ferrodesk\n").expect("the section");
    let section = &doc[start + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |end| end + 1)];
    let mut blocks: Vec<(&str, String, bool)> = Vec::new();
    let mut lines = section.lines();
    let mut blank_run = true;
    while let Some(line) = lines.next() {
        if let Some(language) = line.strip_prefix("```") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
            blocks.push((language, body.join("\n"), blank_run));
            blank_run = true;
        } else if !line.trim().is_empty() {
            blank_run = false;
        }
    }
    let mut exchanges = Vec::new();
    for (i, (language, body, _)) in blocks.iter().enumerate() {
        if *language == "http" {
            let answer = blocks
                .get(i + 1)
                .filter(|(next, _, adjacent)| *next == "json" && *adjacent)
                .map(|(_, answer, _)| answer.clone());
            exchanges.push((body.clone(), answer));
        }
    }
    exchanges
}

/// Whether `documented` is `actual` with members left out (objects may be abridged; arrays are whole).
fn abridges(documented: &Value, actual: &Value) -> bool {
    match (documented, actual) {
        (Value::Object(d), Value::Object(a)) => d
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|actual| abridges(v, actual))),
        (Value::Array(d), Value::Array(a)) => d.len() == a.len() && d.iter().zip(a).all(|(d, a)| abridges(d, a)),
        _ => documented == actual,
    }
}

#[tokio::test]
async fn the_documented_requests_answer_as_documented() {
    let desk = webcall_desk().await;
    let backend = WebcallServer::start().await;
    let brand = desk
        .admin
        .create_brand(&NewBrand {
            name: unique("Documented"),
            ..Default::default()
        })
        .await
        .expect("brand");
    let base = format!("http://{}", backend.address());
    let concrete = |text: &str| {
        text.replace("https://crm.example.com/spice", &base)
            .replace("/api/v1/brands/1/", &format!("/api/v1/brands/{}/", brand.id))
            .replace("/api/v1/brands/1\n", &format!("/api/v1/brands/{}\n", brand.id))
            .replace("\"id\": 1,", &format!("\"id\": {},", brand.id))
    };
    let exchanges = documented_exchanges();
    assert_eq!(exchanges.len(), 6, "{exchanges:?}");
    let http = reqwest::Client::new();
    for (request, answer) in exchanges {
        let request = concrete(&format!("{request}\n"));
        let (head, body) = request.split_once("\n\n").unwrap_or((&request, ""));
        let mut head = head.lines();
        let (method, path) = head.next().and_then(|l| l.split_once(' ')).expect("METHOD path");
        let mut call = http
            .request(
                method.parse().expect("a method"),
                format!("{}{}", desk.url, path.trim()),
            )
            .bearer_auth(ADMIN_TOKEN);
        for header in head {
            let (name, value) = header.split_once(": ").expect("a header");
            call = call.header(name, value);
        }
        if !body.trim().is_empty() {
            call = call.body(body.trim().to_owned());
        }
        let response = call.send().await.expect("an answer");
        let status = response.status();
        let mut actual: Value = response.json().await.expect("JSON");
        assert!(
            status.is_success() || status.as_u16() == 422,
            "{method} {path}: {status} {actual}"
        );
        let Some(documented) = answer else { continue };
        let mut documented: Value = serde_json::from_str(&concrete(&documented))
            .unwrap_or_else(|e| panic!("{method} {path}: the documented answer is not JSON: {e}"));
        // How long a call took differs from run to run.
        for v in [&mut documented, &mut actual] {
            if let Some(o) = v.as_object_mut() {
                o.remove("latency_ms");
            }
        }
        assert!(
            abridges(&documented, &actual),
            "{method} {path}:\ndocumented {documented:#}\nactual {actual:#}"
        );
    }
    // The documented password reached the backend, and the edit was posted.
    assert!(backend.requests().iter().all(|r| r.has_credentials()));
    assert_eq!(backend.account("jdoe").expect("jdoe").contacts[0].firstname, "Jane");
}
