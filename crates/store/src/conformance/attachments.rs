//! Attachments (SPEC §10): content kept once per SHA-256 and byte for byte, every attachment with its own id,
//! read for many replies at once and with its reply's visibility, and unused content swept when replies and
//! tickets go.
use super::*;
use crate::{NewAttachment, StoredAttachment};
use domain::attachment::Attachment;

/// A digest-shaped key: the store takes the use case's SHA-256 as given.
fn digest(seed: char) -> String {
    seed.to_string().repeat(64)
}

async fn attach(w: &mut Box<dyn Writer>, reply: &Reply, name: &str, sha256: &str, content: &[u8]) -> Attachment {
    w.insert_attachment(&NewAttachment {
        reply_id: reply.id,
        ticket_id: reply.owner_id,
        filename: name,
        content_type: "application/octet-stream",
        sha256,
        content,
        created_at: now(),
    })
    .await
    .expect("insert attachment")
}

pub(super) async fn attachments_round_trip(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let ticket = insert_tickets(&s, vec![new_ticket(&world, "Printer on fire")])
        .await
        .remove(0);
    let replies = insert_replies(
        &s,
        vec![
            new_reply(ticket.id, "photos attached", false),
            new_reply(ticket.id, "log of the driver", true),
            new_reply(ticket.id, "nothing attached", false),
        ],
    )
    .await;
    let (public, note, plain) = (&replies[0], &replies[1], &replies[2]);
    // Every byte value, and a NUL in the middle: binary content comes back unchanged.
    let binary: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
    let mut w = writer(&s).await;
    let photo = w
        .insert_attachment(&NewAttachment {
            reply_id: public.id,
            ticket_id: ticket.id,
            filename: "front ünïcode.jpg",
            content_type: "image/jpeg",
            sha256: &digest('a'),
            content: &binary,
            created_at: now(),
        })
        .await
        .expect("insert attachment");
    let empty = attach(&mut w, public, "empty.txt", &digest('e'), b"").await;
    // The same content on an internal note: stored once, but an attachment of its own.
    let again = attach(&mut w, note, "copy.bin", &digest('a'), &binary).await;
    w.commit().await.expect("commit");

    assert!(photo.id > 0 && empty.id > photo.id && again.id > empty.id);
    assert_eq!(
        photo,
        Attachment {
            id: photo.id,
            filename: "front ünïcode.jpg".into(),
            content_type: "image/jpeg".into(),
            size: 259,
            sha256: digest('a'),
        }
    );
    assert_eq!((empty.size, again.size), (0, 259));

    let mut r = reader(&s).await;
    assert_eq!(
        r.attachment_content(&digest('a')).await.expect("content"),
        Some(binary.clone())
    );
    assert_eq!(
        r.attachment_content(&digest('e')).await.expect("content"),
        Some(Vec::new())
    );
    assert_eq!(r.attachment_content(&digest('f')).await.expect("content"), None);

    // Every read of replies carries their attachments, in the order they were attached.
    let read = r.reply(public.id).await.expect("reply").expect("public reply");
    assert_eq!(read.attachments, vec![photo.clone(), empty.clone()]);
    let all = r.reply_list(ticket.id, true).await.expect("reply_list");
    let listed: Vec<Vec<Attachment>> = all.iter().map(|r| r.attachments.clone()).collect();
    assert_eq!(
        listed,
        vec![vec![photo.clone(), empty.clone()], vec![again.clone()], vec![]]
    );
    let page = r
        .reply_page(ticket.id, false, &PageRequest::first(10))
        .await
        .expect("reply_page");
    assert_eq!(ids(&page), vec![public.id, plain.id], "notes and their files left out");
    assert_eq!(page[0].attachments, vec![photo.clone(), empty.clone()]);
    assert!(page[1].attachments.is_empty());
    assert_eq!(
        r.attachments_of_replies(&[note.id, public.id, plain.id])
            .await
            .expect("of replies"),
        vec![(public.id, photo.clone()), (public.id, empty), (note.id, again.clone())]
    );
    assert!(r.attachments_of_replies(&[]).await.expect("of no replies").is_empty());

    // One attachment with what decides who sees it.
    assert_eq!(
        r.attachment(again.id).await.expect("attachment"),
        Some(StoredAttachment {
            attachment: again,
            reply_id: note.id,
            ticket_id: ticket.id,
            internal: true,
            customer_id: world.customer.id,
        })
    );
    let stored = r.attachment(photo.id).await.expect("attachment").expect("photo");
    assert!(!stored.internal);
    assert!(r.attachment(photo.id + 1000).await.expect("attachment").is_none());
}

pub(super) async fn attachments_of_many_replies(s: Arc<dyn Store>) {
    // More replies than one query's list holds: every attachment still comes back, and only once.
    const REPLIES: usize = 600;
    let world = world(&s).await;
    let ticket = insert_tickets(&s, vec![new_ticket(&world, "Long thread")])
        .await
        .remove(0);
    let replies = insert_replies(
        &s,
        (0..REPLIES)
            .map(|i| new_reply(ticket.id, &format!("message {i}"), false))
            .collect(),
    )
    .await;
    let mut w = writer(&s).await;
    let mut expected = Vec::new();
    for (i, reply) in replies.iter().enumerate().filter(|(i, _)| i % 7 == 0) {
        let a = attach(&mut w, reply, &format!("file {i}.txt"), &digest('b'), b"shared").await;
        expected.push((reply.id, a));
    }
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let all: Vec<i64> = ids(&replies);
    assert_eq!(r.attachments_of_replies(&all).await.expect("of replies"), expected);
    let listed = r.reply_list(ticket.id, false).await.expect("reply_list");
    let with_files: Vec<(i64, Attachment)> = listed
        .iter()
        .flat_map(|reply| reply.attachments.iter().map(|a| (reply.id, a.clone())))
        .collect();
    assert_eq!(with_files, expected);
}

pub(super) async fn attachment_contents_swept_with_deletes(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let tickets = insert_tickets(&s, vec![new_ticket(&world, "Doomed"), new_ticket(&world, "Kept")]).await;
    let replies = insert_replies(
        &s,
        vec![
            new_reply(tickets[0].id, "shared and own", false),
            new_reply(tickets[1].id, "shared only", false),
            new_reply(tickets[1].id, "shared again", true),
        ],
    )
    .await;
    let (shared, own) = (digest('c'), digest('d'));
    let mut w = writer(&s).await;
    let doomed = attach(&mut w, &replies[0], "a.txt", &shared, b"shared").await;
    attach(&mut w, &replies[0], "b.txt", &own, b"own").await;
    let kept = attach(&mut w, &replies[1], "a.txt", &shared, b"shared").await;
    let last = attach(&mut w, &replies[2], "a.txt", &shared, b"shared").await;
    w.commit().await.expect("commit");

    let mut w = writer(&s).await;
    w.delete_ticket(tickets[0].id).await.expect("delete ticket");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(r.attachment(doomed.id).await.expect("attachment").is_none());
    assert_eq!(
        r.attachment_content(&own).await.expect("content"),
        None,
        "unused content swept"
    );
    assert_eq!(
        r.attachment_content(&shared).await.expect("content"),
        Some(b"shared".to_vec()),
        "content another ticket names is kept"
    );
    drop(r);

    let mut w = writer(&s).await;
    w.delete_reply(replies[1].id).await.expect("delete reply");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(r.attachment(kept.id).await.expect("attachment").is_none());
    assert!(
        r.attachment_content(&shared).await.expect("content").is_some(),
        "a note still names it"
    );
    drop(r);

    let mut w = writer(&s).await;
    w.delete_reply(replies[2].id).await.expect("delete reply");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(r.attachment(last.id).await.expect("attachment").is_none());
    assert_eq!(r.attachment_content(&shared).await.expect("content"), None);
    assert!(r.reply_list(tickets[1].id, true).await.expect("reply_list").is_empty());
}

pub(super) async fn attachment_rolled_back_with_its_reply(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let ticket = insert_tickets(&s, vec![new_ticket(&world, "Never mind")])
        .await
        .remove(0);
    let mut w = writer(&s).await;
    let reply = w
        .insert_reply(&new_reply(ticket.id, "with a file", false))
        .await
        .expect("insert reply");
    let a = attach(&mut w, &reply, "gone.txt", &digest('9'), b"gone").await;
    drop(w);
    let mut r = reader(&s).await;
    assert!(r.attachment(a.id).await.expect("attachment").is_none());
    assert_eq!(r.attachment_content(&digest('9')).await.expect("content"), None);
}

pub(super) async fn attachment_kept_for_a_concurrent_attach(s: Arc<dyn Store>) {
    // One transaction attaches content that another, at the same time, leaves unused by deleting its last
    // attachment: the content must stay for the new attachment, and neither transaction may fail or wait
    // for the other to end (PostgreSQL; SQLite's writers take turns).
    let world = world(&s).await;
    let tickets = insert_tickets(&s, vec![new_ticket(&world, "Old"), new_ticket(&world, "New")]).await;
    let replies = insert_replies(
        &s,
        vec![
            new_reply(tickets[0].id, "old file", false),
            new_reply(tickets[1].id, "new file", false),
        ],
    )
    .await;
    let content = digest('7');
    let mut w = writer(&s).await;
    attach(&mut w, &replies[0], "old.txt", &content, b"same bytes").await;
    w.commit().await.expect("commit");

    let mut attaching = writer(&s).await;
    let new = attach(&mut attaching, &replies[1], "new.txt", &content, b"same bytes").await;
    let deleting = {
        let s = Arc::clone(&s);
        let reply_id = replies[0].id;
        tokio::spawn(async move {
            let mut w = s.write().await.expect("write");
            w.delete_reply(reply_id).await.expect("delete reply");
            w.commit().await.expect("commit the delete");
        })
    };
    // Give the delete time to reach the content row before the attach commits.
    tokio::time::sleep(Duration::from_millis(200)).await;
    attaching.commit().await.expect("commit the attach");
    deleting.await.expect("delete task");

    let mut r = reader(&s).await;
    assert!(r.attachment(new.id).await.expect("attachment").is_some());
    assert_eq!(
        r.attachment_content(&content).await.expect("content"),
        Some(b"same bytes".to_vec())
    );
}
