//! The address guard: which IP addresses a link found in an upstream item may reach.
//!
//! A link inside someone else's feed must not make feedkeeper fetch its own machine, the
//! local network or a cloud metadata service (server-side request forgery). [`forbidden`]
//! is the pure policy; [`GuardedResolver`] applies it to every DNS answer reqwest asks
//! for, so the check happens after resolution and on every redirect hop, and the address
//! checked is the address connected to. This module decides; it never connects anywhere.

use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why `ip` must not be fetched for a guarded request, or `None` when it may be.
///
/// Refused: loopback, RFC 1918 private, unique-local `fc00::/7`, link-local
/// (`169.254/16`, `fe80::/10`), unspecified and "this network" `0/8`, CGNAT `100.64/10`,
/// cloud metadata (`169.254.169.254`, `fd00:ec2::254`), multicast, broadcast and the
/// reserved `240/4`. IPv4-mapped, IPv4-compatible and NAT64 IPv6 forms are judged by the
/// IPv4 address they carry.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, d] = ip.octets();
    if ip == Ipv4Addr::new(169, 254, 169, 254) {
        Some("cloud metadata")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if a == 0 {
        Some("unspecified")
    } else if a == 100 && (b & 0xc0) == 64 {
        Some("shared (CGNAT)")
    } else if ip.is_broadcast() {
        Some("broadcast")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if a >= 240 {
        Some("reserved")
    } else if a == 192 && b == 0 && c == 0 && (d == 170 || d == 171) {
        // NAT64 discovery addresses (RFC 7050): resolve to the local translator.
        Some("reserved")
    } else {
        None
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return Some("cloud metadata");
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    // IPv4-compatible (deprecated ::a.b.c.d) and NAT64 well-known prefix 64:ff9b::/96.
    if (seg[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_unspecified() && !ip.is_loopback())
        || seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
    {
        let [a, b] = seg[6].to_be_bytes();
        let [c, d] = seg[7].to_be_bytes();
        return forbidden_v4(Ipv4Addr::new(a, b, c, d));
    }
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if (seg[0] & 0xfe00) == 0xfc00 {
        Some("unique-local (private)")
    } else if (seg[0] & 0xffc0) == 0xfe80 {
        Some("link-local")
    } else if (seg[0] & 0xffc0) == 0xfec0 {
        Some("site-local (private)")
    } else if ip.is_multicast() {
        Some("multicast")
    } else {
        None
    }
}

/// Why a feed address read from an untrusted list (an OPML file) may not become a source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UntrustedUrl {
    #[error("not an http(s) URL ({reason})")]
    NotHttp { reason: String },
    #[error("a local file (fetch.allow_private is off)")]
    LocalFile,
    #[error("{addr} is a {kind} address (fetch.allow_private is off)")]
    Address { addr: IpAddr, kind: &'static str },
}

/// Whether an address found in someone else's subscription list may be fetched as a
/// source: the rules a link inside an upstream item obeys. Only http(s) is accepted; a
/// `file:` URL or bare path and a literal IP address that [`forbidden`] names are refused
/// unless `allow_private`. Host names are judged when they resolve, at fetch time.
pub fn untrusted_source(url: &str, allow_private: bool) -> Result<(), UntrustedUrl> {
    let url = url.trim();
    let parsed = match url::Url::parse(url) {
        Ok(u) => u,
        // Not a URL: the config would read it as a local path.
        Err(url::ParseError::RelativeUrlWithoutBase) if !allow_private => return Err(UntrustedUrl::LocalFile),
        Err(url::ParseError::RelativeUrlWithoutBase) => return Ok(()),
        Err(e) => return Err(UntrustedUrl::NotHttp { reason: e.to_string() }),
    };
    let ip = match parsed.scheme() {
        "http" | "https" => match parsed.host() {
            Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
            _ => return Ok(()),
        },
        "file" if allow_private => return Ok(()),
        "file" => return Err(UntrustedUrl::LocalFile),
        other => return Err(UntrustedUrl::NotHttp { reason: format!("scheme `{other}:`") }),
    };
    match forbidden(ip) {
        Some(kind) if !allow_private => Err(UntrustedUrl::Address { addr: ip, kind }),
        _ => Ok(()),
    }
}

/// The error a [`GuardedResolver`] returns; found again in reqwest's error chain and
/// turned into [`super::FetchError::Refused`].
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub host: String,
    pub addr: IpAddr,
    pub kind: &'static str,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} resolves to {} address {}", self.host, self.kind, self.addr)
    }
}

impl StdError for Refusal {}

/// Finds a [`Refusal`] anywhere in an error's source chain.
pub(crate) fn find_refusal<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a Refusal> {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<Refusal>() {
            return Some(r);
        }
        cur = e.source();
    }
    None
}

/// The address policy in force: [`forbidden`] in production; tests substitute one that
/// lets a loopback test server play the part of a public host.
pub(crate) type Policy = fn(IpAddr) -> Option<&'static str>;

/// A DNS resolver that refuses a name when ANY of its addresses is forbidden.
///
/// Refusing the whole name (rather than dropping the bad addresses) keeps a name that
/// mixes public and private records — a DNS-rebinding pattern — from reaching anything.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardedResolver {
    pub policy: Policy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let forbidden = self.policy;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for sa in &addrs {
                if let Some(kind) = forbidden(sa.ip()) {
                    return Err(Box::new(Refusal { host: host.clone(), addr: sa.ip(), kind })
                        as Box<dyn StdError + Send + Sync>);
                }
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn refuses_every_listed_range() {
        for s in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fd00:ec2::254",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(forbidden(ip(s)).is_some(), "{s} should be refused");
        }
    }

    #[test]
    fn allows_public_addresses() {
        for s in [
            "93.184.216.34",
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "169.253.1.1",
            "2606:4700::1111",
            "2001:db8::1",
            "::ffff:93.184.216.34",
            "64:ff9b::808:808",
        ] {
            assert_eq!(forbidden(ip(s)), None, "{s} should be allowed");
        }
    }

    #[test]
    fn metadata_addresses_are_named() {
        assert_eq!(forbidden(ip("169.254.169.254")), Some("cloud metadata"));
        assert_eq!(forbidden(ip("fd00:ec2::254")), Some("cloud metadata"));
    }

    #[tokio::test]
    async fn resolver_refuses_localhost() {
        let name: Name = "localhost".parse().expect("name");
        let resolver = GuardedResolver { policy: forbidden };
        let err = match resolver.resolve(name).await {
            Ok(_) => panic!("localhost must be refused"),
            Err(e) => e,
        };
        let refusal = find_refusal(err.as_ref()).expect("a Refusal");
        assert_eq!(refusal.host, "localhost");
        assert!(refusal.addr.is_loopback());
    }

    #[test]
    fn untrusted_sources_obey_the_item_link_rules() {
        let refused = |u: &str| untrusted_source(u, false).expect_err(u).to_string();
        assert!(untrusted_source("https://news.example/feed", false).is_ok());
        assert!(untrusted_source("http://93.184.216.34/rss", false).is_ok());
        assert_eq!(refused("file:///etc/passwd"), "a local file (fetch.allow_private is off)");
        assert_eq!(refused("/etc/passwd"), "a local file (fetch.allow_private is off)");
        assert!(refused("http://127.0.0.1:22/").contains("loopback"));
        assert!(refused("http://[::1]/").contains("loopback"));
        assert!(refused("http://[::ffff:10.0.0.1]/feed").contains("private"));
        assert!(refused("http://169.254.169.254/latest").contains("cloud metadata"));
        assert!(refused("gopher://a.example/").contains("scheme `gopher:`"));
        for u in ["file:///srv/feed.xml", "http://127.0.0.1:8080/feed", "http://[::1]/", "feeds/local.xml"] {
            assert!(untrusted_source(u, true).is_ok(), "{u} with allow_private");
        }
        assert!(untrusted_source("ftp://a.example/", true).is_err(), "allow_private does not widen schemes");
    }
}
