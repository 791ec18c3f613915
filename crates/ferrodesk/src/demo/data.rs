//! The demo's people, customers and ticket stories: what the loader turns into records.
use super::END_USER_EMAIL;
use domain::{Priority, TicketStatus};

pub(super) struct DemoPerson {
    pub(super) key: &'static str,
    pub(super) first_name: &'static str,
    pub(super) last_name: &'static str,
    pub(super) email: &'static str,
    pub(super) job_title: &'static str,
}

pub(super) struct DemoCustomer {
    pub(super) name: &'static str,
    pub(super) email: &'static str,
    pub(super) phone: &'static str,
    pub(super) city: &'static str,
    pub(super) country: &'static str,
    pub(super) external_id: &'static str,
    pub(super) tags: &'static [&'static str],
    pub(super) tier: &'static str,
    pub(super) account_manager: &'static str,
    pub(super) vip: bool,
    pub(super) since: &'static str,
    pub(super) people: &'static [DemoPerson],
}

pub(super) const CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        name: "Acme Corporation",
        email: "billing@acme.example",
        phone: "+49 30 1234567",
        city: "Berlin",
        country: "DE",
        external_id: "CRM-1001",
        tags: &["enterprise", "hosting"],
        tier: "gold",
        account_manager: "Dana Agent",
        vip: true,
        since: "2019-04-01",
        people: &[
            DemoPerson {
                key: "alice",
                first_name: "Alice",
                last_name: "Andersen",
                email: END_USER_EMAIL,
                job_title: "Head of IT",
            },
            DemoPerson {
                key: "bob",
                first_name: "Bob",
                last_name: "Brennan",
                email: "bob@acme.example",
                job_title: "Office manager",
            },
        ],
    },
    DemoCustomer {
        name: "Globex Ltd",
        email: "accounts@globex.example",
        phone: "+44 20 7946 0000",
        city: "London",
        country: "GB",
        external_id: "CRM-1002",
        tags: &["hosting"],
        tier: "silver",
        account_manager: "Sam Rivera",
        vip: false,
        since: "2021-09-15",
        people: &[DemoPerson {
            key: "carol",
            first_name: "Carol",
            last_name: "Chen",
            email: "carol@globex.example",
            job_title: "CTO",
        }],
    },
    DemoCustomer {
        name: "Initech GmbH",
        email: "office@initech.example",
        phone: "+49 89 7654321",
        city: "Munich",
        country: "DE",
        external_id: "CRM-1003",
        tags: &["hosting"],
        tier: "bronze",
        account_manager: "Sam Rivera",
        vip: false,
        since: "2022-02-01",
        people: &[DemoPerson {
            key: "dave",
            first_name: "Dave",
            last_name: "Dufresne",
            email: "dave@initech.example",
            job_title: "Accountant",
        }],
    },
    DemoCustomer {
        name: "Umbrella Health",
        email: "it@umbrella.example",
        phone: "+1 617 555 0100",
        city: "Boston",
        country: "US",
        external_id: "CRM-1004",
        tags: &["apps", "hosting"],
        tier: "silver",
        account_manager: "Dana Agent",
        vip: false,
        since: "2023-06-20",
        people: &[DemoPerson {
            key: "erin",
            first_name: "Erin",
            last_name: "Evans",
            email: "erin@umbrella.example",
            job_title: "IT support",
        }],
    },
    DemoCustomer {
        name: "Stark Studio",
        email: "hello@stark.example",
        phone: "+351 21 000 0000",
        city: "Lisbon",
        country: "PT",
        external_id: "CRM-1005",
        tags: &["apps"],
        tier: "bronze",
        account_manager: "Sam Rivera",
        vip: false,
        since: "2024-01-10",
        people: &[
            DemoPerson {
                key: "frank",
                first_name: "Frank",
                last_name: "Fischer",
                email: "frank@stark.example",
                job_title: "Photographer",
            },
            DemoPerson {
                key: "hana",
                first_name: "Hana",
                last_name: "Hoshino",
                email: "hana@stark.example",
                job_title: "Studio manager",
            },
        ],
    },
    DemoCustomer {
        name: "Wayne Logistics",
        email: "procurement@wayne.example",
        phone: "+1 312 555 0199",
        city: "Chicago",
        country: "US",
        external_id: "CRM-1006",
        tags: &["apps", "enterprise"],
        tier: "gold",
        account_manager: "Dana Agent",
        vip: true,
        since: "2020-11-03",
        people: &[DemoPerson {
            key: "grace",
            first_name: "Grace",
            last_name: "Garcia",
            email: "grace@wayne.example",
            job_title: "Fleet manager",
        }],
    },
];

/// What happens to a ticket after it opens; names are the staff's and people's short names.
pub(super) enum Step {
    /// A reply the customer sees.
    Says(&'static str, &'static str),
    /// An internal note.
    Notes(&'static str, &'static str),
    Assign(&'static str),
    Status(TicketStatus),
    Lock,
    /// An agent redeems an incident of this type of the customer's contract.
    Redeem(&'static str, &'static str),
}

pub(super) struct Story {
    pub(super) department: &'static str,
    pub(super) requester: &'static str,
    /// The agent who opened it for the requester; `None`: the requester did, in the portal.
    pub(super) opened_by: Option<&'static str>,
    pub(super) title: &'static str,
    pub(super) message: &'static str,
    pub(super) priority: Priority,
    pub(super) fields: &'static [(&'static str, &'static str)],
    pub(super) steps: &'static [Step],
}

pub(super) const STORIES: &[Story] = &[
    Story {
        department: "nw-tech",
        requester: "alice",
        opened_by: None,
        title: "Website returns 502 errors since the PHP 8.3 upgrade",
        message: "Since last night's PHP upgrade our shop at acme.example answers every second request with \
                  502 Bad Gateway. Nothing changed on our side. Can you take a look? This is costing us orders.",
        priority: Priority::HIGH,
        fields: &[("domain", "acme.example")],
        steps: &[
            Step::Assign("dana"),
            Step::Notes(
                "dana",
                "The PHP 8.3 pool for acme was created from the default template: pm.max_children = 5, \
                 saturated all night. Raised it to 20.",
            ),
            Step::Says(
                "dana",
                "Hi Alice, thanks for the quick report. The PHP 8.3 pool of your site was created with a worker \
                 limit far too low for your traffic. I have raised it; the 502 errors should stop within a \
                 minute. Could you confirm from your side?",
            ),
            Step::Says(
                "alice",
                "Looks good now, no errors in the last ten minutes. Thanks! We also called your hotline \
                 earlier, I hope that was fine.",
            ),
            Step::Redeem("dana", "phone"),
        ],
    },
    Story {
        department: "nw-billing",
        requester: "bob",
        opened_by: None,
        title: "Please add two more mailboxes to our plan",
        message: "We are hiring two people next month. Can we add two mailboxes (jane@ and omar@acme.example) \
                  to our plan, and what will it cost?",
        priority: Priority::LOW,
        fields: &[],
        steps: &[Step::Says(
            "sam",
            "Hi Bob, your Enterprise plan includes 50 mailboxes and you use 31, so two more cost nothing. You can \
             create them in the control panel under Mail, Mailboxes, or reply here and we set them up for you.",
        )],
    },
    Story {
        department: "nw-tech",
        requester: "carol",
        opened_by: None,
        title: "SSL certificate renewal failed for shop.globex.example",
        message: "The browser warns that the certificate of shop.globex.example expires in three days. The \
                  automatic renewal seems to have failed.",
        priority: Priority::HIGH,
        fields: &[("domain", "shop.globex.example")],
        steps: &[
            Step::Assign("dana"),
            Step::Notes(
                "dana",
                "The http-01 challenge fails: a rewrite rule in their .htaccess sends /.well-known to the shop. \
                 Asked their web team for an exception.",
            ),
            Step::Says(
                "dana",
                "Hi Carol, the renewal fails because a rewrite rule in the site's .htaccess also catches the \
                 path the certificate authority checks. We are adding an exception and will renew the \
                 certificate today.",
            ),
            Step::Status(TicketStatus::Process),
        ],
    },
    Story {
        department: "nw-billing",
        requester: "dave",
        opened_by: None,
        title: "Were we billed twice this month?",
        message: "We received two invoices of 19.00 EUR from Northwind this month. Could you check?",
        priority: Priority::MEDIUM,
        fields: &[],
        steps: &[
            Step::Says(
                "sam",
                "Hi Dave, the first invoice is for the Basic plan, the second for the domain transfer you ordered \
                 on the 3rd. Both are on the invoices page of the portal; nothing was billed twice.",
            ),
            Step::Says("dave", "Ah, the domain transfer. All clear, thank you!"),
            Step::Status(TicketStatus::Solved),
        ],
    },
    Story {
        department: "nw-tech",
        requester: "erin",
        opened_by: None,
        title: "Cannot log in to the control panel",
        message: "Since this morning the control panel says \"invalid credentials\" for my account, although \
                  the password manager has the right password. My colleague can log in.",
        priority: Priority::MEDIUM,
        fields: &[],
        steps: &[],
    },
    Story {
        department: "bb-apps",
        requester: "frank",
        opened_by: None,
        title: "App crashes when uploading photos on Android 14",
        message: "Every time I pick more than five photos in the upload dialog the app closes. Open an album, \
                  tap Upload, select six photos, tap Done: gone. It worked in version 3.1.",
        priority: Priority::HIGH,
        fields: &[("app_version", "3.2.1"), ("platform", "Android 14, Pixel 8")],
        steps: &[
            Step::Assign("sam"),
            Step::Says(
                "sam",
                "Thanks Frank, we can reproduce it on Android 14 with more than five photos. A fix is in \
                 testing; I will let you know when 3.2.2 is in the Play Store.",
            ),
            Step::Notes(
                "sam",
                "Bug BB-1042: the read permission of the content URIs is lost after the fifth one. Fixed in \
                 3.2.2, release planned for Thursday.",
            ),
            Step::Status(TicketStatus::Process),
        ],
    },
    Story {
        department: "bb-sales",
        requester: "grace",
        opened_by: None,
        title: "Quote for 50 additional seats",
        message: "We would like to roll out the Bluebird field app to 50 more drivers. Could you send a quote \
                  for an annual licence?",
        priority: Priority::LOW,
        fields: &[],
        steps: &[
            Step::Assign("dana"),
            Step::Says(
                "dana",
                "Hello Grace, for 50 more seats we can offer 15.00 EUR per seat and month, billed yearly \
                 (9,000.00 EUR). Reply here to accept and we add the seats the same day.",
            ),
        ],
    },
    Story {
        department: "bb-apps",
        requester: "alice",
        opened_by: None,
        title: "Push notifications arrive hours late",
        message: "Notifications about new orders reach our staff phones two to three hours late.",
        priority: Priority::MEDIUM,
        fields: &[("app_version", "3.2.0"), ("platform", "iOS 17.4")],
        steps: &[
            Step::Says(
                "dana",
                "Hi Alice, iOS holds back notifications of apps while a phone is in Low Power Mode. Could you \
                 check whether the staff phones have it turned on?",
            ),
            Step::Says(
                "alice",
                "That was it: three of the phones were in Low Power Mode. Thank you!",
            ),
            Step::Says(
                "dana",
                "Glad it works. I am closing this ticket; open a new one any time if it comes back.",
            ),
            Step::Status(TicketStatus::Solved),
            Step::Lock,
        ],
    },
    Story {
        department: "nw-abuse",
        requester: "carol",
        opened_by: Some("dana"),
        title: "Spam complaint about mail from 203.0.113.25",
        message: "We received three complaints today about unsolicited mail sent from your server \
                  203.0.113.25 (mail.globex.example). Please check it for compromised accounts and tell us \
                  what you found.",
        priority: Priority::HIGH,
        fields: &[],
        steps: &[
            Step::Assign("dana"),
            Step::Notes(
                "dana",
                "Listed on a blocklist since 09:40. Outgoing mail on port 25 throttled until the customer answers.",
            ),
        ],
    },
    Story {
        department: "bb-sales",
        requester: "erin",
        opened_by: None,
        title: "Feature request: export our tickets as CSV",
        message: "It would help our monthly reporting if we could export our ticket history as CSV from the \
                  portal.",
        priority: Priority::LOW,
        fields: &[],
        steps: &[Step::Notes(
            "sam",
            "Noted for the roadmap review: the fourth request for an export this quarter.",
        )],
    },
    Story {
        department: "nw-tech",
        requester: "dave",
        opened_by: None,
        title: "DNS record for status.initech.example",
        message: "Please add a CNAME for status.initech.example pointing to initech.statuspage.example.",
        priority: Priority::LOW,
        fields: &[("domain", "status.initech.example")],
        steps: &[
            Step::Says(
                "sam",
                "Done: status.initech.example now points to initech.statuspage.example. It can take up to an \
                 hour until every resolver sees it.",
            ),
            Step::Status(TicketStatus::Solved),
        ],
    },
    Story {
        department: "bb-apps",
        requester: "hana",
        opened_by: None,
        title: "Two-factor codes do not arrive by SMS",
        message: "Since yesterday none of us receives the SMS code to log in. Codes by e-mail work.",
        priority: Priority::HIGH,
        fields: &[("app_version", "3.2.1"), ("platform", "iOS 17.5")],
        steps: &[],
    },
];
