//! Which addresses the server may fetch a link preview from: public unicast addresses only
//! (never loopback, private, link-local, shared, multicast, documentation or reserved ranges,
//! nor IPv6 forms that embed such an IPv4 address), plus whatever networks the operator allows.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Whether `ip` is a public unicast address: one anybody on the internet could reach.
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = a == 0 // "this network"
        || a == 10 // private
        || a == 127 // loopback
        || (a == 100 && (64..128).contains(&b)) // shared (carrier-grade NAT)
        || (a == 169 && b == 254) // link-local (cloud metadata lives here)
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168) // private
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved, broadcast
    !special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    let first = segments[0];
    let special = ip.is_unspecified()
        || ip.is_loopback()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (first & 0xff00) == 0xff00 // multicast
        || (first == 0x64 && segments[1] == 0xff9b && segments[2] == 1) // local-use NAT64
        || (first == 0x2001 && segments[1] == 0x0db8) // documentation
        || (first == 0x2001 && segments[1] < 0x0200) // IETF protocol assignments, Teredo
        || (first == 0x0100 && segments[1..4] == [0, 0, 0]) // discard
        || (first & 0xe000) != 0x2000; // outside global unicast 2000::/3
    !special
}

/// The IPv4 address an IPv6 one stands for: mapped (`::ffff:a.b.c.d`), compatible
/// (`::a.b.c.d`), well-known NAT64 (`64:ff9b::a.b.c.d`) and 6to4 (`2002:ab:cd::`). (The
/// local-use NAT64 prefix `64:ff9b:1::/48` places the IPv4 address by the network's own prefix
/// length: it is not public, see [`is_public_v6`].)
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new(
        (s[6] >> 8) as u8,
        (s[6] & 0xff) as u8,
        (s[7] >> 8) as u8,
        (s[7] & 0xff) as u8,
    );
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        [0, 0, 0, 0, 0, 0, _, _] if !ip.is_loopback() && !ip.is_unspecified() => Some(low),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        [0x2002, high, low16, ..] => Some(Ipv4Addr::new(
            (high >> 8) as u8,
            (high & 0xff) as u8,
            (low16 >> 8) as u8,
            (low16 & 0xff) as u8,
        )),
        _ => None,
    }
}

/// Where link previews may be fetched from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Whether public addresses are (the default; off, only `allowed` networks are).
    pub public: bool,
    /// Networks fetched from although they are not public (an intranet's wiki, tests).
    pub allowed: Vec<IpNet>,
}

impl AddressPolicy {
    /// Public addresses only.
    #[must_use]
    pub fn public_only() -> Self {
        Self {
            public: true,
            allowed: Vec::new(),
        }
    }

    /// Whether a preview may be fetched from `ip`.
    #[must_use]
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            // Judge a mapped IPv4 address as the IPv4 address it is.
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        };
        (self.public && is_public(ip)) || self.allowed.iter().any(|net| net.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_public_unicast_addresses_are_public() {
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.1",
            "198.17.255.255",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert!(is_public(ip(public)), "{public} is public");
        }
        for special in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.1.2.3",
            "64:ff9b::7f00:1",
            "64:ff9b:1::a00:1",
            "64:ff9b:1:808:808::",
            "2002:7f00:0001::1",
            "2002:c0a8:0101::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
            "4000::1",
        ] {
            assert!(!is_public(ip(special)), "{special} is not public");
        }
    }

    #[test]
    fn the_policy_adds_allowed_networks_and_can_leave_out_the_public_ones() {
        let policy = AddressPolicy::public_only();
        assert!(policy.permits(ip("8.8.8.8")));
        assert!(!policy.permits(ip("127.0.0.2")));
        let intranet = AddressPolicy {
            public: false,
            allowed: vec![
                "127.0.0.2/32".parse().unwrap(),
                "10.1.0.0/16".parse().unwrap(),
            ],
        };
        assert!(intranet.permits(ip("127.0.0.2")));
        assert!(intranet.permits(ip("::ffff:127.0.0.2")));
        assert!(intranet.permits(ip("10.1.200.3")));
        assert!(!intranet.permits(ip("127.0.0.1")));
        assert!(!intranet.permits(ip("10.2.0.1")));
        assert!(!intranet.permits(ip("8.8.8.8")));
    }
}
