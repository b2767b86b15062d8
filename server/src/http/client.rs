//! Who is on the other end: the client's address, as sign-in events,
//! sessions and the sign-in throttle see it.
//!
//! Behind a load balancer every connection comes from the balancer, so the
//! address is taken from `X-Forwarded-For` — but only when the connection
//! comes from a proxy the operator named (`MYAPPS_TRUSTED_PROXIES`), and only
//! as far back as the chain of trusted proxies reaches. Anyone can write that
//! header; believing it from anyone would let a client pick its own address
//! and dodge the throttle.

use super::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client address of a request (see the module comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // The server always runs with connect info; a router driven without
        // it (never in this binary) counts as one unknown local client.
        let peer =
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Ok(ClientAddr(client_ip(peer, &parts.headers, &state.trusted_proxies)))
    }
}

/// The rightmost address in the forwarding chain that is not a trusted
/// proxy; the peer itself when it is not one.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let mut client = peer.to_canonical();
    if trusted.is_empty() {
        return client;
    }
    // Several X-Forwarded-For headers form one list, in order.
    let hops: Vec<&str> =
        headers.get_all(FORWARDED_FOR).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).map(str::trim).collect();
    let mut hops = hops.into_iter().rev();
    while trusted.iter().any(|net| net.contains(&client)) {
        let Some(hop) = hops.next() else { break };
        match parse_hop(hop) {
            Some(ip) => client = ip.to_canonical(),
            // A garbled entry: what is left of the header cannot be trusted.
            None => break,
        }
    }
    client
}

/// One entry of X-Forwarded-For: an address, possibly with a port
/// (`1.2.3.4:5678`, `[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    hop.parse::<SocketAddr>().ok().map(|s| s.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(FORWARDED_FOR, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let h = headers(&["203.0.113.9"]);
        assert_eq!(client_ip(ip("198.51.100.1"), &h, &[]), ip("198.51.100.1"));
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let h = headers(&["203.0.113.9"]);
        assert_eq!(client_ip(ip("198.51.100.1"), &h, &nets(&["10.0.0.0/8"])), ip("198.51.100.1"));
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "192.168.1.7/32"]);
        // A client that sent its own forged header, then two of our proxies.
        let h = headers(&["6.6.6.6, 203.0.113.9, 192.168.1.7"]);
        assert_eq!(client_ip(ip("10.1.2.3"), &h, &trusted), ip("203.0.113.9"));
        // The same list split over several headers.
        let h = headers(&["6.6.6.6", "203.0.113.9", "192.168.1.7"]);
        assert_eq!(client_ip(ip("10.1.2.3"), &h, &trusted), ip("203.0.113.9"));
    }

    #[test]
    fn ports_brackets_and_mapped_addresses() {
        let trusted = nets(&["10.0.0.0/8", "::ffff:0:0/96"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &headers(&["203.0.113.9:5555"]), &trusted), ip("203.0.113.9"));
        assert_eq!(client_ip(ip("10.0.0.1"), &headers(&["[2001:db8::1]:443"]), &trusted), ip("2001:db8::1"));
        // An IPv4 peer seen through an IPv6 socket is the IPv4 address.
        assert_eq!(client_ip(ip("::ffff:10.0.0.1"), &headers(&["203.0.113.9"]), &trusted), ip("203.0.113.9"));
    }

    #[test]
    fn a_missing_or_garbled_header_leaves_the_last_proxy() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &HeaderMap::new(), &trusted), ip("10.0.0.1"));
        assert_eq!(client_ip(ip("10.0.0.1"), &headers(&["203.0.113.9, unknown"]), &trusted), ip("10.0.0.1"));
        // Every hop a trusted proxy: the leftmost one is all we know.
        assert_eq!(client_ip(ip("10.0.0.1"), &headers(&["10.0.0.3, 10.0.0.2"]), &trusted), ip("10.0.0.3"));
    }
}
