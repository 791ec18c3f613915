//! The rules every outgoing HTTP client of ferrodesk keeps (webhooks, web calls): each connection — to
//! a name's resolved addresses, to a literal address, after a redirect — is checked against the address
//! rules unless private targets are allowed, and no proxy from the environment is used.
use crate::address::refused_reason;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Url, redirect};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// At most this many redirects are followed, each checked like the first target.
const MAX_REDIRECTS: usize = 5;

/// A target the address rules refuse; its own type so a failed request can tell a refusal from an
/// unreachable host.
#[derive(Debug)]
pub(crate) struct RefusedTarget(String);

impl std::fmt::Display for RefusedTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RefusedTarget {}

/// Resolves names and keeps only the addresses that may be reached.
struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|a| refused_reason(a.ip()).is_none())
                .collect();
            if allowed.is_empty() {
                let reason = resolved
                    .first()
                    .and_then(|a| refused_reason(a.ip()))
                    .unwrap_or("no address");
                return Err(RefusedTarget(format!("refused: {host} resolves to a {reason} address")).into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// Why a URL may not be requested before any connection is tried: a scheme other than http(s), or a
/// literal address outside the public ranges.
pub(crate) fn refused_url(url: &Url, allow_private: bool) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!("refused: {} is not http or https", url.scheme()));
    }
    if allow_private {
        return None;
    }
    let ip = match url.host()? {
        url::Host::Ipv4(v4) => IpAddr::V4(v4),
        url::Host::Ipv6(v6) => IpAddr::V6(v6),
        url::Host::Domain(_) => return None,
    };
    refused_reason(ip).map(|reason| format!("refused: {ip} is a {reason} address"))
}

/// A client builder with the address rules in place (the resolver, the redirect policy) and no proxy;
/// callers add their user agent and timeouts.
pub(crate) fn guarded_client_builder(allow_private: bool) -> reqwest::ClientBuilder {
    let policy = redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error("too many redirects");
        }
        match refused_url(attempt.url(), allow_private) {
            Some(reason) => attempt.error(RefusedTarget(format!("redirect {reason}"))),
            None => attempt.follow(),
        }
    });
    let builder = reqwest::Client::builder().no_proxy().redirect(policy);
    if allow_private {
        builder
    } else {
        builder.dns_resolver(Arc::new(GuardedResolver))
    }
}

/// The errors of a failed request, outermost first, without repeating what the outer ones said.
pub(crate) fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".into();
    }
    let mut parts: Vec<String> = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    // The innermost cause says the most ("refused: …", "Connection refused").
    parts.pop().unwrap_or_else(|| error.to_string())
}

/// The address rule's refusal behind a failed request, if that is why it failed.
pub(crate) fn refusal(error: &reqwest::Error) -> Option<String> {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<RefusedTarget>() {
            return Some(refused.0.clone());
        }
        source = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str, allow_private: bool) -> Option<String> {
        refused_url(&Url::parse(url).expect("a URL"), allow_private)
    }

    /// The check every redirect target goes through (names are checked by the resolver instead).
    #[test]
    fn redirect_targets_to_private_literals_and_other_schemes_are_refused() {
        for target in [
            "http://127.0.0.1/x",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.5/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "file:///etc/passwd",
            "gopher://example.com/",
        ] {
            assert!(refused(target, false).is_some(), "{target} must be refused");
        }
        assert_eq!(refused("https://example.com/hook", false), None);
        assert_eq!(refused("http://93.184.216.34/hook", false), None);
        // Allowed private targets, but never another scheme.
        assert_eq!(refused("http://127.0.0.1/x", true), None);
        assert!(refused("file:///etc/passwd", true).is_some());
    }
}
