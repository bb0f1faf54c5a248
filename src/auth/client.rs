//! The client address of a request, for per-address limits.
//!
//! By default it is the TCP peer (axum's `ConnectInfo<SocketAddr>`). Behind
//! a reverse proxy every request comes from the proxy, so name the header it
//! sets (`IMGQL_TRUSTED_PROXY_HEADER`, e.g. `x-forwarded-for`): the address
//! is then the last one in that header, the one the proxy itself appended.
//! Only set it when a proxy that overwrites or appends the header is in front:
//! otherwise clients choose their own address.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// The address a request came from, as far as the server can tell; put in
/// request extensions (and GraphQL data) by the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The address from `trusted_header` when it is set and present,
    /// otherwise the socket peer.
    pub fn from_request(
        headers: &HeaderMap,
        peer: Option<SocketAddr>,
        trusted_header: &str,
    ) -> Self {
        if !trusted_header.is_empty() {
            // Only the proxy's own (last) entry: earlier ones are the client's say.
            let forwarded = headers
                .get_all(trusted_header)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .next_back()
                .and_then(parse_forwarded);
            if forwarded.is_some() {
                return Self(forwarded);
            }
        }
        Self(peer.map(|p| p.ip()))
    }
}

/// One entry of a forwarding header: `1.2.3.4`, `1.2.3.4:5678`, `[::1]:80`, `::1`.
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim().trim_matches('"');
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, axum::http::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn without_a_trusted_header_the_socket_peer_counts() {
        let peer = SocketAddr::from(([10, 0, 0, 1], 4000));
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(
            ClientIp::from_request(&h, Some(peer), ""),
            ClientIp(Some(peer.ip()))
        );
    }

    #[test]
    fn with_a_trusted_header_its_last_address_counts() {
        let peer = SocketAddr::from(([10, 0, 0, 1], 4000));
        let h = headers(&[
            ("x-forwarded-for", "9.9.9.9, 1.2.3.4"),
            ("x-forwarded-for", "[2001:db8::1]:443"),
        ]);
        let ip = ClientIp::from_request(&h, Some(peer), "x-forwarded-for").0;
        assert_eq!(ip, "2001:db8::1".parse().ok());
        let junk = headers(&[("x-forwarded-for", "unknown")]);
        assert_eq!(
            ClientIp::from_request(&junk, Some(peer), "x-forwarded-for"),
            ClientIp(Some(peer.ip()))
        );
    }
}
