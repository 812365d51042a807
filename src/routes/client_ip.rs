//! Who is on the other end: the peer address, or, behind trusted reverse proxies, the address
//! they say they received the request from. Every feature that needs a client address (rate
//! limits, abuse review) takes it from [`ClientIp`], never from a header of its own.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, request::Parts},
};
use ipnet::IpNet;

use crate::{error::AppError, state::AppState};

/// A keyed hash of a client address (hex, `bytes` long): lines from one address can be told
/// together, and the address cannot be read back without the server's key.
pub fn address_hash(key: &[u8], ip: IpAddr, bytes: usize) -> String {
    keyed_hash(key, b"", ip, bytes)
}

/// A keyed hash of the network an address belongs to (the IPv4 address itself, or an IPv6
/// address's /64: one household or device usually has a whole /64 and can pick any address in
/// it), for one petition. Each petition's hashes are keyed by the petition too, so one network
/// cannot be followed from campaign to campaign; they are erased with its signers' data.
pub fn network_hash(key: &[u8], petition_id: i64, ip: IpAddr) -> String {
    keyed_hash(key, &petition_id.to_be_bytes(), crate::limits::network_of(ip), 8)
}

fn keyed_hash(key: &[u8], scope: &[u8], ip: IpAddr, bytes: usize) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key) else { return String::new() };
    mac.update(scope);
    mac.update(ip.to_string().as_bytes());
    let digest = mac.finalize().into_bytes();
    hex::encode(&digest[..bytes.min(digest.len())])
}

/// The most `X-Forwarded-For` hops looked at, from the right. A real chain of proxies is a few
/// hops long; a header with hundreds is someone else's doing and costs no more than this.
const MAX_HOPS: usize = 32;

/// The client's address: the peer's, unless the peer is a trusted proxy; then the rightmost
/// `X-Forwarded-For` address that is not a trusted proxy. Addresses left of that one were
/// written by whoever the proxy received the request from, who can write anything, so they are
/// never believed. A hop that is not an address ends the walk at the last trusted hop.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .collect();
    for hop in hops.into_iter().rev().take(MAX_HOPS) {
        let Some(ip) = parse_hop(hop) else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`) or in brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok())?;
    Some(ip.to_canonical())
}

/// The client address of a request (see [`client_ip`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Err(AppError::internal_msg("the server was started without peer addresses"));
        };
        Ok(Self(client_ip(peer.ip(), &parts.headers, &state.config.trusted_proxies)))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_network_hash_is_one_per_ipv4_address_and_per_ipv6_64() {
        let key = b"a test key of some length";
        let hash = |ip: &str| network_hash(key, 7, ip.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])));
        assert_eq!(hash("2001:db8:1:2::1"), hash("2001:db8:1:2:ffff::9"), "one /64");
        assert_ne!(hash("2001:db8:1:2::1"), hash("2001:db8:1:3::1"));
        assert_eq!(hash("::ffff:192.0.2.7"), hash("192.0.2.7"), "an IPv4 address however written");
        assert_ne!(hash("192.0.2.7"), hash("192.0.2.8"));
        assert_eq!(hash("192.0.2.7").len(), 16);
        let other = IpAddr::from([192, 0, 2, 7]);
        assert_ne!(network_hash(b"another key", 7, other), hash("192.0.2.7"), "keyed");
        assert_ne!(network_hash(key, 8, other), hash("192.0.2.7"), "another petition's differs");
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().filter_map(|s| s.parse().ok()).collect()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.append("x-forwarded-for", v);
            }
        }
        h
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let h = xff(&["6.6.6.6"]);
        assert_eq!(client_ip(ip("203.0.113.9"), &h, &[]), ip("203.0.113.9"));
        // A peer that is not trusted cannot speak for anyone else either.
        assert_eq!(client_ip(ip("203.0.113.9"), &h, &nets(&["10.0.0.0/8"])), ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "192.168.0.1/32"]);
        // The client forged "6.6.6.6"; the proxy appended what it saw.
        let h = xff(&["6.6.6.6, 198.51.100.7"]);
        assert_eq!(client_ip(ip("10.1.2.3"), &h, &trusted), ip("198.51.100.7"));
        // Two proxies, the header split over two lines.
        let h = xff(&["6.6.6.6", "198.51.100.7, 192.168.0.1"]);
        assert_eq!(client_ip(ip("10.1.2.3"), &h, &trusted), ip("198.51.100.7"));
        // Ports, brackets and IPv4-mapped IPv6 addresses.
        let h = xff(&["[2001:db8::5]:443"]);
        assert_eq!(client_ip(ip("::ffff:10.0.0.1"), &h, &trusted), ip("2001:db8::5"));
        let h = xff(&["198.51.100.7:5678"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("198.51.100.7"));
    }

    #[test]
    fn garbage_and_floods_fall_back_to_the_last_trusted_hop() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &xff(&["not-an-ip"]), &trusted), ip("10.0.0.1"));
        assert_eq!(client_ip(ip("10.0.0.1"), &xff(&["<script>, 10.0.0.2"]), &trusted), ip("10.0.0.2"));
        assert_eq!(client_ip(ip("10.0.0.1"), &xff(&[""]), &trusted), ip("10.0.0.1"));
        assert_eq!(client_ip(ip("10.0.0.1"), &HeaderMap::new(), &trusted), ip("10.0.0.1"));
        // Hundreds of entries: only the last few are looked at.
        let many = vec!["10.0.0.9"; 500].join(", ");
        let flood = format!("203.0.113.1, {many}");
        assert_eq!(client_ip(ip("10.0.0.1"), &xff(&[&flood]), &trusted), ip("10.0.0.9"));
        let spoofed = format!("{many}, 198.51.100.7");
        assert_eq!(client_ip(ip("10.0.0.1"), &xff(&[&spoofed]), &trusted), ip("198.51.100.7"));
    }

    proptest! {
        /// Whatever a client writes in the header, behind one trusted proxy the answer is the
        /// address the proxy saw.
        #[test]
        fn a_client_cannot_choose_its_address(forged in "[ -~]{0,200}", a in 1u8..=223, d in 1u8..=254) {
            let trusted = nets(&["10.0.0.0/8"]);
            let real = IpAddr::from([a, 0, 2, d]);
            prop_assume!(!trusted[0].contains(&real));
            let h = xff(&[&format!("{forged}, {real}")]);
            prop_assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), real);
        }
    }
}
