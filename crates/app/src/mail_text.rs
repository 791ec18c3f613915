//! The words of ferrodesk's mails (SPEC §10), per brand: a staff reply as the customer reads it, the
//! acknowledgement of a new ticket, and the notification an agent gets of a customer's message. Plain
//! text; the HTML alternative is made from it.
use domain::mailbox::MailKind;

/// What a mail is made from.
pub(crate) struct MailText<'a> {
    pub kind: MailKind,
    pub brand: &'a str,
    /// The brand's greeting (its call script), opening acknowledgements when set.
    pub greeting: &'a str,
    pub ticket_id: i64,
    pub title: &'a str,
    pub department: &'a str,
    /// The requester's name (acknowledgements greet them).
    pub requester: &'a str,
    /// Who wrote the message, and the message.
    pub author: &'a str,
    pub message: &'a str,
    /// The names of the message's attachments (they travel with the mail).
    pub attachments: &'a [String],
}

/// The signature separator mail clients recognise (`-- ` and a line break).
const SIGNATURE: &str = "-- \n";

impl MailText<'_> {
    pub(crate) fn body(&self) -> String {
        let mut out = match self.kind {
            MailKind::Reply => format!("{}\n", self.message.trim_end()),
            MailKind::Acknowledgement => {
                let mut text = String::new();
                let greeting = self.greeting.trim();
                if !greeting.is_empty() {
                    text.push_str(greeting);
                    text.push_str("\n\n");
                }
                text.push_str(&format!(
                    "Hello {},\n\nthank you for writing to {}. Your request has been received as ticket #{} \
                     (\"{}\"), and we will answer as soon as we can.\n\nTo add to it, reply to this mail and \
                     keep [#{}] in the subject.\n",
                    non_empty(self.requester, "there"),
                    self.brand,
                    self.ticket_id,
                    self.title,
                    self.ticket_id,
                ));
                text
            }
            MailKind::Notification => format!(
                "{} wrote on ticket #{} \"{}\" ({}):\n\n{}\n\nReply to this mail to answer them.\n",
                non_empty(self.author, "A customer"),
                self.ticket_id,
                self.title,
                self.department,
                self.message.trim_end(),
            ),
        };
        if !self.attachments.is_empty() {
            out.push_str(&format!("\nAttached: {}\n", self.attachments.join(", ")));
        }
        out.push('\n');
        out.push_str(SIGNATURE);
        out.push_str(self.brand);
        out.push('\n');
        out
    }
}

fn non_empty<'a>(value: &'a str, otherwise: &'a str) -> &'a str {
    if value.trim().is_empty() {
        otherwise
    } else {
        value.trim()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(kind: MailKind) -> MailText<'static> {
        MailText {
            kind,
            brand: "Acme Hosting",
            greeting: "",
            ticket_id: 42,
            title: "Printer on fire",
            department: "Support",
            requester: "Ann",
            author: "Ann",
            message: "It is still burning.\n",
            attachments: &[],
        }
    }

    #[test]
    fn a_reply_is_the_message_signed_by_the_brand() {
        assert_eq!(
            text(MailKind::Reply).body(),
            "It is still burning.\n\n-- \nAcme Hosting\n"
        );
    }

    #[test]
    fn an_acknowledgement_names_the_ticket_and_how_to_answer() {
        let body = MailText {
            greeting: "Welcome to Acme.",
            ..text(MailKind::Acknowledgement)
        }
        .body();
        assert!(body.starts_with("Welcome to Acme.\n\nHello Ann,"), "{body}");
        assert!(body.contains("ticket #42 (\"Printer on fire\")"), "{body}");
        assert!(body.contains("keep [#42] in the subject"), "{body}");
    }

    #[test]
    fn a_notification_says_who_wrote_where() {
        let body = MailText {
            attachments: &["photo.jpg".to_owned()],
            ..text(MailKind::Notification)
        }
        .body();
        assert!(body.starts_with("Ann wrote on ticket #42 \"Printer on fire\" (Support):\n\nIt is still burning.\n"));
        assert!(body.contains("Attached: photo.jpg"));
    }
}
