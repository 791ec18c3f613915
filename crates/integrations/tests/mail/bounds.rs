//! Hostile sizes and shapes: what they cost stays bounded, and nothing overflows the stack.
use super::*;
use base64::Engine;

/// Runs `parse` on a thread with a 2 MiB stack (what tokio's workers and test threads have), so a
/// recursion that grows with the input shows here as the abort it would be in `serve`.
fn parse_on_small_stack(raw: Vec<u8>) -> (Result<InboundMail, ParseError>, Duration) {
    let worker = std::thread::Builder::new().stack_size(2 << 20).spawn(move || {
        let started = Instant::now();
        let result = parse(&raw);
        (result, started.elapsed())
    });
    match worker.map(std::thread::JoinHandle::join) {
        Ok(Ok(outcome)) => outcome,
        _ => panic!("the parsing thread failed"),
    }
}

fn with_headers(body_headers: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!("From: a@example.com\r\nSubject: shape\r\n{body_headers}\r\n").into_bytes();
    raw.extend_from_slice(body);
    raw
}

#[test]
fn five_hundred_parts() {
    let mut body = String::from("--b\r\nContent-Type: text/plain\r\n\r\nThe text.\r\n");
    for index in 0..500 {
        body.push_str(&format!(
            "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"f{index}.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n"
        ));
    }
    body.push_str("--b--\r\n");
    let (result, took) = parse_on_small_stack(with_headers(
        "Content-Type: multipart/mixed; boundary=b\r\n",
        body.as_bytes(),
    ));
    let mail = result.expect("parses");
    assert_eq!(mail.attachments.len(), MAX_ATTACHMENTS);
    assert_eq!(mail.attachments[0].filename, "f0.bin");
    assert_eq!(mail.attachments[0].bytes, [0, 1, 2, 3]);
    assert!(mail.truncated);
    assert_eq!(lf(&mail.text).trim_end(), "The text.");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn a_flood_of_tiny_parts_is_cut() {
    // 20 MiB of empty parts would be ~2 million parts, ~360 MB in the parser.
    let mut body = b"--b\r\n\r\nfirst\r\n".to_vec();
    while body.len() < 20 * 1024 * 1024 {
        body.extend_from_slice(b"--b\r\n\r\nx\r\n");
    }
    let (result, took) = parse_on_small_stack(with_headers("Content-Type: multipart/mixed; boundary=b\r\n", &body));
    let mail = result.expect("parses");
    assert!(mail.truncated);
    assert!(
        mail.text.starts_with("first"),
        "{:?}",
        &mail.text[..mail.text.len().min(40)]
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn deeply_nested_messages_do_not_overflow_the_stack() {
    // 200,000 messages each nesting the next: mail-parser alone drops these recursively and aborts.
    let level = b"Content-Type: message/rfc822\r\n\r\nFrom: b@example.com\r\n";
    let mut body = Vec::with_capacity(level.len() * 200_001);
    for _ in 0..200_000 {
        body.extend_from_slice(level);
    }
    body.extend_from_slice(b"\r\ninnermost\r\n");
    let raw = with_headers(
        "Content-Type: multipart/mixed; boundary=b\r\n",
        &[b"--b\r\n".as_slice(), &body, b"--b--\r\n"].concat(),
    );
    let (result, took) = parse_on_small_stack(raw);
    let mail = result.expect("parses");
    assert_eq!(mail.attachments.len(), 1, "one .eml holding all the levels");
    assert!(
        mail.attachments[0]
            .bytes
            .starts_with(b"From: b@example.com\r\nContent-Type: message/rfc822")
    );
    assert!(!mail.text.contains("innermost"));
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn nesting_inside_an_encoded_message_stays_linear() {
    // An encoded nested message holding 20,000 levels: mail-parser alone copies the whole decoded
    // buffer once per level (~18 GB here) and recurses as deep.
    let mut inner = b"From: c@example.com\r\n".to_vec();
    for _ in 0..20_000 {
        inner.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\nFrom: c@example.com\r\n");
    }
    inner.extend_from_slice(b"\r\ninnermost\r\n");
    let encoded = base64::engine::general_purpose::STANDARD.encode(&inner);
    let mut body = String::from("--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    for line in encoded.as_bytes().chunks(76) {
        body.push_str(&String::from_utf8_lossy(line));
        body.push_str("\r\n");
    }
    body.push_str("--b--\r\n");
    let (result, took) = parse_on_small_stack(with_headers(
        "Content-Type: multipart/mixed; boundary=b\r\n",
        body.as_bytes(),
    ));
    let mail = result.expect("parses");
    assert_eq!(mail.attachments.len(), 1);
    assert_eq!(mail.attachments[0].bytes, inner, "attached as sent");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn the_largest_message_accepted() {
    let mut raw = with_headers("Content-Type: text/plain\r\n", b"");
    let line = b"A line of text in a very long message, nothing special about it at all.\r\n";
    while raw.len() + line.len() <= MAX_MESSAGE_BYTES {
        raw.extend_from_slice(line);
    }
    let (result, took) = parse_on_small_stack(raw);
    let mail = result.expect("parses");
    assert!(mail.text.len() > MAX_MESSAGE_BYTES - 1024);
    assert!(took < Duration::from_secs(20), "{took:?}");
}
