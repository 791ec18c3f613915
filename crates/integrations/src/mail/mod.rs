//! Email (SPEC §10): reading a received RFC 5322 message into what a ticket needs ([`parse`]), building
//! ferrodesk's own messages ([`build`]), sending them over SMTP ([`smtp`]) and fetching a mailbox over IMAP
//! ([`imap`]).

pub mod build;
pub mod imap;
pub mod parse;
pub mod smtp;
