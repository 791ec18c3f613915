//! The web-call XML documents: the answers ferrodesk reads (`<users>`, `<userdata>`) and the documents it
//! sends (`userXML`, `caseXML`).
//!
//! Reading goes through quick-xml, which never reads a DTD: an answer with a DOCTYPE is refused outright,
//! and references other than the five predefined entities and character references are errors, so no
//! entity is ever expanded. Receivers' habits are tolerated: a prolog or none, a UTF-8 byte order mark,
//! whitespace and comments, attributes in any order, unknown attributes and elements (ignored, whatever
//! they contain), missing optional attributes (empty strings), typographic quotes as attribute
//! delimiters (see [`super::quotes`]) and anything after the root element ends.
use super::WebcallError;
use super::encoding::{url_decode, url_encode};
use super::quotes::{Normalised, normalise_quotes};
use domain::account::{Account, AccountContact, AccountField, AccountSummary, CaseUpdate};
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// The longest piece of the answer (an element name, a parser's message) repeated in an error.
const ECHO_CHARS: usize = 80;

fn echo(text: &str) -> String {
    match text.char_indices().nth(ECHO_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The answer as text, without a byte order mark, and how many bytes the mark took.
fn utf8(answer: &[u8]) -> Result<(&str, u64), WebcallError> {
    let text = std::str::from_utf8(answer).map_err(|e| WebcallError::NotUtf8 {
        position: e.valid_up_to(),
    })?;
    Ok(match text.strip_prefix('\u{FEFF}') {
        Some(rest) => (rest, '\u{FEFF}'.len_utf8() as u64),
        None => (text, 0),
    })
}

/// An element just read: its start tag, whether it was written `<a/>`, and where its tag starts.
struct Element<'a> {
    start: BytesStart<'a>,
    empty: bool,
    position: u64,
}

/// Attribute values of one element: XML-unescaped, and URL-decoded where the document says so.
struct Attributes(Vec<(String, String)>);

impl Attributes {
    /// The value, or an empty string when the attribute is missing.
    fn get(&self, name: &str) -> String {
        self.find(name).unwrap_or_default()
    }

    fn find(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    }

    fn required(&self, element: &'static str, attribute: &'static str) -> Result<String, WebcallError> {
        self.find(attribute)
            .ok_or(WebcallError::MissingAttribute { element, attribute })
    }
}

/// How attribute values are written in a document.
#[derive(Clone, Copy)]
enum Values {
    /// Account documents: URL-encoded (`John%20Doe`).
    UrlEncoded,
    /// The case document: as they are (`agent="Doe, John"`).
    Plain,
}

/// One answer being read, event by event, never holding more than the path to the current element.
struct Answer<'a> {
    reader: Reader<&'a [u8]>,
    normalised: &'a Normalised<'a>,
    /// Bytes of the answer before the text read (a byte order mark).
    skipped: u64,
}

impl<'a> Answer<'a> {
    fn new(normalised: &'a Normalised<'a>, skipped: u64) -> Self {
        let mut reader = Reader::from_str(&normalised.text);
        reader.config_mut().trim_text(true);
        Self {
            reader,
            normalised,
            skipped,
        }
    }

    fn malformed(&self, position: u64, reason: impl std::fmt::Display) -> WebcallError {
        WebcallError::Malformed {
            position: self.skipped + self.normalised.original_position(position),
            reason: echo(&reason.to_string()),
        }
    }

    fn event(&mut self) -> Result<Event<'a>, WebcallError> {
        match self.reader.read_event() {
            Ok(Event::DocType(_)) => Err(WebcallError::Doctype),
            Ok(event) => Ok(event),
            Err(e) => Err(self.malformed(self.reader.error_position(), e)),
        }
    }

    fn element(&self, start: BytesStart<'a>, empty: bool) -> Element<'a> {
        // The reader stands just after the tag: `<`, the name and attributes, `/` when empty, `>`.
        let tag_length = start.len() as u64 + 2 + u64::from(empty);
        let position = self.reader.buffer_position().saturating_sub(tag_length);
        Element { start, empty, position }
    }

    /// The document's root element, which must be `expected`, after any prolog, comments and whitespace.
    fn root(&mut self, expected: &'static str) -> Result<Element<'a>, WebcallError> {
        loop {
            let (start, empty) = match self.event()? {
                Event::Start(start) => (start, false),
                Event::Empty(start) => (start, true),
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
                Event::Eof => return Err(WebcallError::NoRoot { expected }),
                Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) | Event::End(_) | Event::DocType(_) => {
                    return Err(self.malformed(
                        self.reader.buffer_position(),
                        format!("text before the <{expected}> element"),
                    ));
                }
            };
            if start.name().as_ref() != expected {
                return Err(WebcallError::WrongRoot {
                    expected,
                    found: echo(start.name().as_ref()),
                });
            }
            return Ok(self.element(start, empty));
        }
    }

    /// The next child element of the element being read, or `None` at its end tag. Text, comments and
    /// CDATA between children are ignored, and so is the protocol document's placeholder for "more of
    /// these" (`<user … />`), which answers copied from the document carry.
    fn next_child(&mut self, parent: &'static str) -> Result<Option<Element<'a>>, WebcallError> {
        loop {
            let element = match self.event()? {
                Event::Start(start) => self.element(start, false),
                Event::Empty(start) => self.element(start, true),
                Event::End(_) => return Ok(None),
                Event::Eof => {
                    return Err(self.malformed(
                        self.reader.buffer_position(),
                        format!("the answer ends inside <{parent}>"),
                    ));
                }
                _ => continue,
            };
            if matches!(element.start.attributes_raw().trim(), "…" | "...") {
                self.skip(&element)?;
                continue;
            }
            return Ok(Some(element));
        }
    }

    /// Reads past the content of `element` (unknown elements, or children of known ones that are
    /// not read), however deep it goes.
    fn skip(&mut self, element: &Element<'a>) -> Result<(), WebcallError> {
        if element.empty {
            return Ok(());
        }
        let mut depth = 1usize;
        while depth > 0 {
            match self.event()? {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth -= 1,
                Event::Eof => {
                    let name = echo(element.start.name().as_ref());
                    return Err(self.malformed(
                        self.reader.buffer_position(),
                        format!("the answer ends inside <{name}>"),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn attribute_error(&self, element: &Element<'a>, error: AttrError) -> WebcallError {
        let (offset, reason) = match error {
            AttrError::ExpectedEq(at) => (at, "an attribute name must be followed by `=`"),
            AttrError::ExpectedValue(at) => (at, "`=` must be followed by a value"),
            AttrError::UnquotedValue(at) => (at, "an attribute value must be in quotes"),
            AttrError::ExpectedQuote(at, _) => (at, "an attribute value has no closing quote"),
            AttrError::Duplicated(at, _) => (at, "an attribute is given twice"),
        };
        // The parser counts from the element's name, just after its `<`.
        self.malformed(element.position + 1 + offset as u64, reason)
    }

    fn attributes(&self, element: &Element<'a>, values: Values) -> Result<Attributes, WebcallError> {
        let mut found = Vec::new();
        for attribute in element.start.attributes() {
            let attribute = attribute.map_err(|e| self.attribute_error(element, e))?;
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| self.malformed(element.position, e))?;
            let value = match values {
                Values::UrlEncoded => url_decode(&value),
                Values::Plain => value.into_owned(),
            };
            found.push((attribute.key.as_ref().to_owned(), value));
        }
        Ok(Attributes(found))
    }
}

fn is(element: &Element<'_>, name: &str) -> bool {
    element.start.name().as_ref() == name
}

/// Reads a search answer: `<users><user status userkey name email phone/>…</users>`, values
/// URL-encoded. `<users/>` (or `<users></users>`) is no match. Every `<user>` needs a non-empty
/// `userkey`: without one the account could not be loaded.
pub fn parse_users(answer: &[u8]) -> Result<Vec<AccountSummary>, WebcallError> {
    let (text, skipped) = utf8(answer)?;
    let normalised = normalise_quotes(text);
    let mut doc = Answer::new(&normalised, skipped);
    let root = doc.root("users")?;
    let mut users = Vec::new();
    if root.empty {
        return Ok(users);
    }
    while let Some(child) = doc.next_child("users")? {
        if is(&child, "user") {
            let a = doc.attributes(&child, Values::UrlEncoded)?;
            let userkey = a.required("user", "userkey")?;
            if userkey.is_empty() {
                return Err(WebcallError::MissingAttribute {
                    element: "user",
                    attribute: "userkey",
                });
            }
            users.push(AccountSummary {
                userkey,
                status: a.get("status"),
                name: a.get("name"),
                email: a.get("email"),
                phone: a.get("phone"),
            });
        }
        doc.skip(&child)?;
    }
    Ok(users)
}

/// Reads a load answer (and the `userXML` of an update, which has the same structure):
/// `<userdata><user userkey password status account/><contacts><contact …/>…</contacts><fielddata><field
/// id value/>…</fielddata></userdata>`, values URL-encoded. `<user>` with a non-empty `userkey` is
/// required (the first one counts), `<contacts>` and `<fielddata>` may be missing; every `<field>` needs
/// an `id`.
pub fn parse_userdata(answer: &[u8]) -> Result<Account, WebcallError> {
    let (text, skipped) = utf8(answer)?;
    let normalised = normalise_quotes(text);
    let mut doc = Answer::new(&normalised, skipped);
    let root = doc.root("userdata")?;
    let mut user = None;
    let mut contacts = Vec::new();
    let mut fields = Vec::new();
    let mut children = 0_usize;
    if !root.empty {
        while let Some(child) = doc.next_child("userdata")? {
            children += 1;
            if is(&child, "user") && user.is_none() {
                user = Some(doc.attributes(&child, Values::UrlEncoded)?);
            } else if is(&child, "contacts") && !child.empty {
                while let Some(contact) = doc.next_child("contacts")? {
                    if is(&contact, "contact") {
                        contacts.push(read_contact(&doc.attributes(&contact, Values::UrlEncoded)?));
                    }
                    doc.skip(&contact)?;
                }
                continue;
            } else if is(&child, "fielddata") && !child.empty {
                while let Some(field) = doc.next_child("fielddata")? {
                    if is(&field, "field") {
                        let a = doc.attributes(&field, Values::UrlEncoded)?;
                        fields.push(AccountField {
                            id: a.required("field", "id")?,
                            value: a.get("value"),
                        });
                    }
                    doc.skip(&field)?;
                }
                continue;
            }
            doc.skip(&child)?;
        }
    }
    // `<userdata/>` (nothing inside) is how a receiver says it has no such account; contacts or fields
    // without their `<user>` are a broken answer.
    let user = match user {
        Some(user) => user,
        None if children == 0 => return Err(WebcallError::NoAccount),
        None => {
            return Err(WebcallError::MissingElement {
                parent: "userdata",
                element: "user",
            });
        }
    };
    let userkey = user.required("user", "userkey")?;
    if userkey.is_empty() {
        return Err(WebcallError::MissingAttribute {
            element: "user",
            attribute: "userkey",
        });
    }
    Ok(Account {
        userkey,
        password: user.get("password"),
        status: user.get("status"),
        account: user.get("account"),
        contacts,
        fields,
    })
}

fn read_contact(a: &Attributes) -> AccountContact {
    AccountContact {
        firstname: a.get("firstname"),
        lastname: a.get("lastname"),
        aone: a.get("aone"),
        atwo: a.get("atwo"),
        city: a.get("city"),
        region: a.get("region"),
        pc: a.get("pc"),
        country: a.get("country"),
        pphone: a.get("pphone"),
        sphone: a.get("sphone"),
        pemail: a.get("pemail"),
        semail: a.get("semail"),
        mobile: a.get("mobile"),
        fax: a.get("fax"),
    }
}

/// Reads a `caseXML` document (what a receiver of case updates gets): `<tickets><ticket cid id tier date
/// status sid issue agent aname journal email article treepath events/>…</tickets>`, values as they are.
pub fn parse_tickets(document: &[u8]) -> Result<Vec<CaseUpdate>, WebcallError> {
    let (text, skipped) = utf8(document)?;
    let normalised = normalise_quotes(text);
    let mut doc = Answer::new(&normalised, skipped);
    let root = doc.root("tickets")?;
    let mut tickets = Vec::new();
    if root.empty {
        return Ok(tickets);
    }
    while let Some(child) = doc.next_child("tickets")? {
        if is(&child, "ticket") {
            let a = doc.attributes(&child, Values::Plain)?;
            tickets.push(CaseUpdate {
                cid: a.get("cid"),
                id: a.get("id"),
                tier: a.get("tier"),
                date: a.get("date"),
                status: a.get("status"),
                sid: a.get("sid"),
                issue: a.get("issue"),
                agent: a.get("agent"),
                aname: a.get("aname"),
                journal: a.get("journal"),
                email: a.get("email"),
                article: a.get("article"),
                treepath: a.get("treepath"),
                events: a.get("events"),
            });
        }
        doc.skip(&child)?;
    }
    Ok(tickets)
}

/// An attribute value between double quotes: the markup characters escaped, tab and line breaks as
/// character references (a receiver's parser turns literal ones into spaces), and the characters XML 1.0
/// cannot carry at all (most control characters, U+FFFE, U+FFFF) left out.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn write_element(out: &mut String, indent: &str, name: &str, attributes: &[(&str, &str)], values: Values) {
    out.push_str(indent);
    out.push('<');
    out.push_str(name);
    for (key, value) in attributes {
        out.push(' ');
        out.push_str(key);
        out.push('=');
        out.push_str(&match values {
            Values::UrlEncoded => quoted(&url_encode(value)),
            Values::Plain => quoted(value),
        });
    }
    out.push_str("/>\n");
}

/// The `userXML` of an account update: the load structure, every value URL-encoded like the protocol's
/// examples (`123%20Fake%20St%2E`). The password goes back exactly as it was loaded.
pub fn user_xml(account: &Account) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<userdata>\n");
    write_element(
        &mut out,
        "  ",
        "user",
        &[
            ("userkey", &account.userkey),
            ("password", &account.password),
            ("status", &account.status),
            ("account", &account.account),
        ],
        Values::UrlEncoded,
    );
    out.push_str("  <contacts>\n");
    for c in &account.contacts {
        write_element(
            &mut out,
            "    ",
            "contact",
            &[
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
            ],
            Values::UrlEncoded,
        );
    }
    out.push_str("  </contacts>\n  <fielddata>\n");
    for f in &account.fields {
        write_element(
            &mut out,
            "    ",
            "field",
            &[("id", &f.id), ("value", &f.value)],
            Values::UrlEncoded,
        );
    }
    out.push_str("  </fielddata>\n</userdata>\n");
    out
}

/// The `caseXML` of a case update, with the protocol's prolog (`<?xml version="1.0" ?>`) and one
/// `<ticket>`, values as they are (the protocol's example does not URL-encode them), XML-escaped.
pub fn case_xml(case: &CaseUpdate) -> String {
    let mut out = String::from("<?xml version=\"1.0\" ?>\n<tickets>\n");
    write_element(
        &mut out,
        "  ",
        "ticket",
        &[
            ("cid", &case.cid),
            ("id", &case.id),
            ("tier", &case.tier),
            ("date", &case.date),
            ("status", &case.status),
            ("sid", &case.sid),
            ("issue", &case.issue),
            ("agent", &case.agent),
            ("aname", &case.aname),
            ("journal", &case.journal),
            ("email", &case.email),
            ("article", &case.article),
            ("treepath", &case.treepath),
            ("events", &case.events),
        ],
        Values::Plain,
    );
    out.push_str("</tickets>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The search answer as the protocol's document prints it, typographic quotes and the `<user … />`
    /// placeholder included.
    pub(crate) const DOCUMENT_SEARCH_EXAMPLE: &str = "<?xml version=\"1.0\" ?> <users>\n\n \t<user status=\"Active\" userkey=\u{201D}jdoe\" name=\"John%20Doe\" email=\"johnd%40xyz%2Enet\" phone=\"%28555%29%20555%2D5555\" /> \n\n<user status=\"Active\" userkey=\u{201D}jdoe2\" name=\"John%20Doe\" email=\"johgnd%40xyz%2Enet\" phone=\"%28555%29%20555%2D5555\" /> <user \u{2026} /> </users>\n";

    /// The load answer as the protocol's document prints it.
    const DOCUMENT_LOAD_EXAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?> <userdata>

  <user userkey="johnd" password="" status="Active" account="" />
  <contacts>
     <contact firstname="John" lastname="Doe" aone="123%20Fake%20St%2E" atwo="" city="Anywhere" region="ZZ" pc="123456" country="" pphone="%28555%29%20555%2D5555" sphone="%28555%29%20555%2D5555" pemail="johnd%40xyz%2Enet" semail="" mobile="" fax="" />
  </contacts>
  <fielddata>
     <field id="1" value="Anything" />
  </fielddata>

</userdata>
"#;

    fn summary(userkey: &str, email: &str) -> AccountSummary {
        AccountSummary {
            userkey: userkey.into(),
            status: "Active".into(),
            name: "John Doe".into(),
            email: email.into(),
            phone: "(555) 555-5555".into(),
        }
    }

    fn document_account() -> Account {
        Account {
            userkey: "johnd".into(),
            password: String::new(),
            status: "Active".into(),
            account: String::new(),
            contacts: vec![AccountContact {
                firstname: "John".into(),
                lastname: "Doe".into(),
                aone: "123 Fake St.".into(),
                city: "Anywhere".into(),
                region: "ZZ".into(),
                pc: "123456".into(),
                pphone: "(555) 555-5555".into(),
                sphone: "(555) 555-5555".into(),
                pemail: "johnd@xyz.net".into(),
                ..AccountContact::default()
            }],
            fields: vec![AccountField {
                id: "1".into(),
                value: "Anything".into(),
            }],
        }
    }

    fn document_case() -> CaseUpdate {
        CaseUpdate {
            cid: "6344".into(),
            id: "7906".into(),
            tier: "1".into(),
            date: "1/27/06 1:27:51 PM".into(),
            status: "In Progress".into(),
            sid: "2".into(),
            issue: "Browsing".into(),
            agent: "Doe, John".into(),
            aname: String::new(),
            journal: "13:28:41 - adding a second ticket for case dump testing ".into(),
            ..CaseUpdate::default()
        }
    }

    #[test]
    fn the_documents_search_example_reads_as_its_two_users() {
        let users = parse_users(DOCUMENT_SEARCH_EXAMPLE.as_bytes()).expect("the document's example");
        assert_eq!(
            users,
            vec![summary("jdoe", "johnd@xyz.net"), summary("jdoe2", "johgnd@xyz.net")]
        );
    }

    #[test]
    fn the_documents_load_example_reads_as_the_account() {
        assert_eq!(
            parse_userdata(DOCUMENT_LOAD_EXAMPLE.as_bytes()).expect("the document's example"),
            document_account()
        );
    }

    #[test]
    fn no_match_is_an_empty_users_element() {
        for answer in [
            "<users/>",
            "<users></users>",
            "<?xml version=\"1.0\" ?>\n<users>\n</users>\n",
        ] {
            assert_eq!(parse_users(answer.as_bytes()), Ok(vec![]), "{answer}");
        }
    }

    #[test]
    fn what_receivers_add_or_leave_out_is_tolerated() {
        let answer = "\u{FEFF}<!-- generated --><users version=\"2\">
            <meta><user userkey=\"nested-is-not-a-result\"/><deeper><x/></deeper></meta>
            some stray text
            <user phone=\"1\" userkey=\"b\" extra=\"ignored\"><note>ignored</note></user>
            <user userkey='c'/>
        </users>trailing output of a careless script <b>";
        let users = parse_users(answer.as_bytes()).expect("tolerated");
        assert_eq!(
            users,
            vec![
                AccountSummary {
                    userkey: "b".into(),
                    phone: "1".into(),
                    ..AccountSummary::default()
                },
                AccountSummary {
                    userkey: "c".into(),
                    ..AccountSummary::default()
                },
            ]
        );
        let account = parse_userdata(b"<userdata><fielddata/><user userkey=\"k\"/></userdata>").expect("no contacts");
        assert_eq!(
            account,
            Account {
                userkey: "k".into(),
                ..Account::default()
            }
        );
    }

    #[test]
    fn predefined_entities_and_character_references_are_read() {
        let users = parse_users(b"<users><user userkey=\"a&amp;b\" name=\"&lt;&#65;&#x42;&quot;&apos;&gt;\"/></users>")
            .expect("predefined");
        assert_eq!(users[0].userkey, "a&b");
        assert_eq!(users[0].name, "<AB\"'>");
    }

    #[test]
    fn a_doctype_is_refused_and_no_entity_expanded() {
        let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE users [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<users><user userkey="&lol3;"/></users>"#;
        let external = r#"<?xml version="1.0"?><!DOCTYPE userdata [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><userdata><user userkey="&xxe;"/></userdata>"#;
        assert_eq!(parse_users(laughs.as_bytes()), Err(WebcallError::Doctype));
        assert_eq!(parse_userdata(external.as_bytes()), Err(WebcallError::Doctype));
        assert_eq!(
            WebcallError::Doctype.to_string(),
            "the answer declares a DOCTYPE; entities are never expanded"
        );
        // Without a DOCTYPE an undeclared entity is an error, never a lookup.
        let undeclared = parse_users(br#"<users><user userkey="&xxe;"/></users>"#);
        assert!(
            matches!(undeclared, Err(WebcallError::Malformed { .. })),
            "{undeclared:?}"
        );
    }

    #[test]
    fn malformed_xml_says_where() {
        let err = parse_users(b"<users>\n<user userkey=\"a\">\n</users>").expect_err("mismatched end tag");
        let WebcallError::Malformed { position, reason } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*position, 27, "{reason}");
        assert!(err.to_string().starts_with("malformed XML at byte 27: "), "{err}");

        let err = parse_users(b"<users><user userkey=a/></users>").expect_err("unquoted");
        assert_eq!(
            err.to_string(),
            "malformed XML at byte 21: an attribute value must be in quotes"
        );

        let err = parse_users(b"<users><user userkey=\"a\"/>").expect_err("not closed");
        assert!(matches!(err, WebcallError::Malformed { .. }), "{err:?}");

        let err = parse_users(b"<users><user userkey=\"a\" userkey=\"b\"/></users>").expect_err("twice");
        assert_eq!(err.to_string(), "malformed XML at byte 25: an attribute is given twice");
    }

    #[test]
    fn positions_count_a_byte_order_mark() {
        let err = parse_users("\u{FEFF}<users><user userkey=a/></users>".as_bytes()).expect_err("unquoted");
        assert!(matches!(err, WebcallError::Malformed { position: 24, .. }), "{err:?}");
    }

    #[test]
    fn positions_count_the_typographic_quotes_as_received() {
        // `”` is three bytes; the error is in the second user's tag, after it.
        let answer = "<users><user userkey=”a\"/><user userkey=b/></users>";
        let err = parse_users(answer.as_bytes()).expect_err("unquoted");
        let expected = answer.find("b/>").expect("the unquoted value") as u64;
        assert!(
            matches!(err, WebcallError::Malformed { position, .. } if position == expected),
            "{err:?}"
        );
    }

    #[test]
    fn the_root_must_be_the_expected_element() {
        assert_eq!(
            parse_users(b"<html><body>Fatal error</body></html>"),
            Err(WebcallError::WrongRoot {
                expected: "users",
                found: "html".into()
            })
        );
        assert_eq!(
            parse_userdata(b"<users/>"),
            Err(WebcallError::WrongRoot {
                expected: "userdata",
                found: "users".into()
            })
        );
        assert_eq!(parse_users(b""), Err(WebcallError::NoRoot { expected: "users" }));
        assert_eq!(
            parse_users(b"<?xml version=\"1.0\"?>  "),
            Err(WebcallError::NoRoot { expected: "users" })
        );
        let err = parse_users(b"Warning: mysql_connect() failed <users/>").expect_err("text");
        assert!(matches!(err, WebcallError::Malformed { .. }), "{err:?}");
    }

    #[test]
    fn an_empty_userdata_is_no_account() {
        assert_eq!(parse_userdata(b"<userdata/>"), Err(WebcallError::NoAccount));
        assert_eq!(
            parse_userdata(b"<?xml version=\"1.0\"?><userdata>\n</userdata>"),
            Err(WebcallError::NoAccount)
        );
    }

    #[test]
    fn required_elements_and_attributes_are_named() {
        assert_eq!(
            parse_userdata(b"<userdata><contacts/></userdata>"),
            Err(WebcallError::MissingElement {
                parent: "userdata",
                element: "user"
            })
        );
        let no_key = WebcallError::MissingAttribute {
            element: "user",
            attribute: "userkey",
        };
        assert_eq!(
            parse_userdata(b"<userdata><user status=\"Active\"/></userdata>"),
            Err(no_key.clone())
        );
        assert_eq!(parse_users(b"<users><user name=\"x\"/></users>"), Err(no_key.clone()));
        assert_eq!(parse_users(b"<users><user userkey=\"\"/></users>"), Err(no_key));
        assert_eq!(
            parse_userdata(b"<userdata><user userkey=\"k\"/><fielddata><field value=\"v\"/></fielddata></userdata>"),
            Err(WebcallError::MissingAttribute {
                element: "field",
                attribute: "id"
            })
        );
        assert_eq!(
            WebcallError::MissingElement {
                parent: "userdata",
                element: "user"
            }
            .to_string(),
            "<userdata> has no <user> element"
        );
    }

    #[test]
    fn an_answer_that_is_not_utf8_is_refused_with_the_byte() {
        assert_eq!(
            parse_users(b"<users><user userkey=\"J\xF6rg\"/></users>"),
            Err(WebcallError::NotUtf8 { position: 23 })
        );
    }

    #[test]
    fn user_xml_is_the_load_structure_url_encoded() {
        insta::assert_snapshot!(user_xml(&document_account()), @r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <userdata>
          <user userkey="johnd" password="" status="Active" account=""/>
          <contacts>
            <contact firstname="John" lastname="Doe" aone="123%20Fake%20St%2E" atwo="" city="Anywhere" region="ZZ" pc="123456" country="" pphone="%28555%29%20555%2D5555" sphone="%28555%29%20555%2D5555" pemail="johnd%40xyz%2Enet" semail="" mobile="" fax=""/>
          </contacts>
          <fielddata>
            <field id="1" value="Anything"/>
          </fielddata>
        </userdata>
        "#);
    }

    #[test]
    fn case_xml_is_the_documents_structure() {
        insta::assert_snapshot!(case_xml(&document_case()), @r#"
        <?xml version="1.0" ?>
        <tickets>
          <ticket cid="6344" id="7906" tier="1" date="1/27/06 1:27:51 PM" status="In Progress" sid="2" issue="Browsing" agent="Doe, John" aname="" journal="13:28:41 - adding a second ticket for case dump testing " email="" article="" treepath="" events=""/>
        </tickets>
        "#);
    }

    #[test]
    fn case_values_keep_markup_and_line_breaks() {
        let case = CaseUpdate {
            journal: "line one\r\nline <two> & \"three\"\ttab\u{7}".into(),
            email: "”quoted” it’s".into(),
            ..document_case()
        };
        let xml = case_xml(&case);
        assert!(
            xml.contains(r#"journal="line one&#13;&#10;line &lt;two&gt; &amp; &quot;three&quot;&#9;tab""#),
            "{xml}"
        );
        let read = parse_tickets(xml.as_bytes()).expect("our own document");
        assert_eq!(read.len(), 1);
        assert_eq!(
            read[0].journal, "line one\r\nline <two> & \"three\"\ttab",
            "the bell cannot be in XML"
        );
        assert_eq!(read[0].email, "”quoted” it’s");
    }

    #[test]
    fn the_documents_case_example_reads_with_its_typographic_quotes() {
        let document = "<?xml version=\"1.0\" ?>\n  <tickets>\n     <ticket cid=\u{201D}6344\u{201D} id=\"7906\" tier=\"1\" date=\"1/27/06 1:27:51 PM\" status=\"In Progress\" sid=\"2\" issue=\"Browsing\" agent=\"Doe, John\" aname=\"\" journal=\"13:28:41 - adding a second ticket for case dump testing \" email=\"\" article=\"\" treepath=\"\" events=\"\"\n\n/> </tickets>";
        assert_eq!(parse_tickets(document.as_bytes()), Ok(vec![document_case()]));
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[ -~]{0,12}", "[\t\r\n &<>\"'”“’%+]{0,8}"]
    }

    fn contact() -> impl Strategy<Value = AccountContact> {
        proptest::collection::vec(text(), 14).prop_map(|v| {
            let mut v = v.into_iter();
            let mut next = || v.next().unwrap_or_default();
            AccountContact {
                firstname: next(),
                lastname: next(),
                aone: next(),
                atwo: next(),
                city: next(),
                region: next(),
                pc: next(),
                country: next(),
                pphone: next(),
                sphone: next(),
                pemail: next(),
                semail: next(),
                mobile: next(),
                fax: next(),
            }
        })
    }

    fn account() -> impl Strategy<Value = Account> {
        (
            "\\PC{1,12}",
            text(),
            text(),
            text(),
            proptest::collection::vec(contact(), 0..3),
            proptest::collection::vec((text(), text()), 0..4),
        )
            .prop_map(|(userkey, password, status, account, contacts, fields)| Account {
                userkey,
                password,
                status,
                account,
                contacts,
                fields: fields
                    .into_iter()
                    .map(|(id, value)| AccountField { id, value })
                    .collect(),
            })
    }

    fn case() -> impl Strategy<Value = CaseUpdate> {
        proptest::collection::vec(text(), 14).prop_map(|v| {
            let mut v = v.into_iter();
            let mut next = || v.next().unwrap_or_default();
            CaseUpdate {
                cid: next(),
                id: next(),
                tier: next(),
                date: next(),
                status: next(),
                sid: next(),
                issue: next(),
                agent: next(),
                aname: next(),
                journal: next(),
                email: next(),
                article: next(),
                treepath: next(),
                events: next(),
            }
        })
    }

    /// What XML 1.0 can carry of a value.
    fn in_xml(value: &str) -> String {
        value
            .chars()
            .filter(|c| {
                matches!(c, '\t' | '\n' | '\r')
                    || !(c.is_control() && (*c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}'))
            })
            .collect()
    }

    proptest! {
        #[test]
        fn an_account_reads_back_as_it_was_written(account in account()) {
            prop_assert_eq!(parse_userdata(user_xml(&account).as_bytes()), Ok(account));
        }

        #[test]
        fn a_case_update_reads_back_as_it_was_written(case in case()) {
            let read = parse_tickets(case_xml(&case).as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let expected = CaseUpdate {
                cid: in_xml(&case.cid),
                id: in_xml(&case.id),
                tier: in_xml(&case.tier),
                date: in_xml(&case.date),
                status: in_xml(&case.status),
                sid: in_xml(&case.sid),
                issue: in_xml(&case.issue),
                agent: in_xml(&case.agent),
                aname: in_xml(&case.aname),
                journal: in_xml(&case.journal),
                email: in_xml(&case.email),
                article: in_xml(&case.article),
                treepath: in_xml(&case.treepath),
                events: in_xml(&case.events),
            };
            prop_assert_eq!(read, vec![expected]);
        }
    }
}
