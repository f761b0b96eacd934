//! Where sources may connect: the pull worker must not become a way into
//! the operator's own network (cloud metadata, databases, admin ports).
//! Every address is checked after resolution, IP-literal URLs and redirect
//! hops included, before any connection is made.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::AutopullSettings;

/// Why a source may not reach an address; the message names the setting
/// that would allow it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

#[derive(Debug, Default)]
pub struct HostPolicy {
    names: Vec<String>,
    nets: Vec<IpNet>,
    allow_loopback: bool,
    allow_private: bool,
}

impl HostPolicy {
    pub fn new(settings: &AutopullSettings) -> Self {
        let mut policy =
            Self { allow_loopback: settings.allow_loopback, allow_private: settings.allow_private, ..Self::default() };
        for entry in &settings.allow_hosts {
            let entry = entry.trim().trim_start_matches('[').trim_end_matches(']');
            if let Ok(net) = entry.parse::<IpNet>() {
                policy.nets.push(net);
            } else if let Ok(ip) = entry.parse::<IpAddr>() {
                policy.nets.push(IpNet::from(ip));
            } else if entry.contains('/') {
                tracing::warn!(entry, "ignoring [autopull] allow_hosts entry: not a CIDR such as 10.1.0.0/16");
            } else {
                policy.names.push(entry.to_ascii_lowercase());
            }
        }
        policy
    }

    /// A host name listed in `allow_hosts` may resolve to anything.
    fn allows_name(&self, host: &str) -> bool {
        self.names.iter().any(|n| n.eq_ignore_ascii_case(host.trim_end_matches('.')))
    }

    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Denied> {
        let ip = ip.to_canonical();
        if self.nets.iter().any(|net| net.contains(&ip)) {
            return Ok(());
        }
        let (kind, setting) = match classify(ip) {
            None => return Ok(()),
            Some(("loopback", _)) if self.allow_loopback => return Ok(()),
            Some((_, Some("allow_private"))) if self.allow_private => return Ok(()),
            Some(found) => found,
        };
        let hint = match setting {
            Some(flag) => format!("set [autopull] {flag} = true or add it to [autopull] allow_hosts"),
            None => "add it to [autopull] allow_hosts if this is really meant".into(),
        };
        Err(Denied(format!("{ip} is a {kind} address, which sources may not reach; {hint}")))
    }

    /// Checks a URL whose host is an IP literal (no resolver runs for those);
    /// names are checked by the resolver, once resolved.
    pub fn check_url(&self, url: &Url) -> Result<(), Denied> {
        let literal = url.host_str().and_then(|h| h.trim_start_matches('[').trim_end_matches(']').parse().ok());
        literal.map_or(Ok(()), |ip| self.check_ip(ip))
    }

    /// The addresses of `host` a source may use; an error when none.
    fn filter(&self, host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Denied> {
        if self.allows_name(host) {
            return Ok(addrs);
        }
        let mut first_denial = None;
        let allowed: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| self.check_ip(a.ip()).map_err(|d| first_denial.get_or_insert(d).clone()).is_ok())
            .collect();
        match first_denial {
            Some(Denied(why)) if allowed.is_empty() => Err(Denied(format!("host {host} resolves to {why}"))),
            _ => Ok(allowed),
        }
    }

    /// Resolves the URL's host now and checks every address, so a source
    /// that could never be pulled is refused when it is written.
    pub async fn vet(&self, url: &Url) -> Result<(), Denied> {
        self.check_url(url)?;
        let Some(host) = url.domain() else { return Ok(()) };
        // A name that does not resolve yet may resolve later; the pull checks it then.
        let Ok(addrs) = tokio::net::lookup_host((host, 0)).await else { return Ok(()) };
        self.filter(host, addrs.collect()).map(drop)
    }
}

/// The kind of a special-purpose address and the setting that opts in to
/// it (none: only `allow_hosts` can).
fn classify(ip: IpAddr) -> Option<(&'static str, Option<&'static str>)> {
    let private = Some("allow_private");
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) if v6.is_loopback() => Some(("loopback", Some("allow_loopback"))),
        IpAddr::V6(v6) if v6.is_unspecified() => Some(("unspecified", None)),
        IpAddr::V6(v6) if v6.is_multicast() => Some(("multicast", None)),
        IpAddr::V6(v6) if in_v6(v6, 0xfc00, 7) => Some(("private (unique local)", private)),
        IpAddr::V6(v6) if in_v6(v6, 0xfe80, 10) => Some(("link-local", None)),
        IpAddr::V6(_) => None,
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<(&'static str, Option<&'static str>)> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some(("loopback", Some("allow_loopback")))
    } else if ip.is_private() {
        Some(("private", Some("allow_private")))
    } else if a == 100 && (64..128).contains(&b) {
        Some(("shared (CGNAT)", Some("allow_private")))
    } else if ip.is_link_local() {
        Some(("link-local", None))
    } else if a == 0 {
        Some(("unspecified", None))
    } else if ip.is_multicast() || ip.is_broadcast() {
        Some(("multicast or broadcast", None))
    } else {
        None
    }
}

fn in_v6(ip: Ipv6Addr, prefix: u16, bits: u32) -> bool {
    let mask = u16::MAX << (16 - bits);
    ip.segments()[0] & mask == prefix & mask
}

/// reqwest's resolver, keeping only addresses the policy allows.
pub struct GuardedResolver(pub Arc<HostPolicy>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = policy.filter(&host, addrs)?;
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allow_hosts: &[&str], allow_loopback: bool, allow_private: bool) -> HostPolicy {
        HostPolicy::new(&AutopullSettings {
            allow_hosts: allow_hosts.iter().map(|h| h.to_string()).collect(),
            allow_loopback,
            allow_private,
            ..AutopullSettings::default()
        })
    }

    fn denied(p: &HostPolicy, ip: &str) -> bool {
        p.check_ip(ip.parse().unwrap()).is_err()
    }

    #[test]
    fn special_ranges_are_denied_by_default_and_public_addresses_allowed() {
        let p = policy(&[], false, false);
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(denied(&p, ip), "{ip}");
        }
        for ip in ["93.184.216.34", "172.32.0.1", "100.128.0.1", "2001:db8::1"] {
            assert!(!denied(&p, ip), "{ip}");
        }
    }

    #[test]
    fn opt_ins_open_only_their_ranges() {
        let loopback = policy(&[], true, false);
        assert!(!denied(&loopback, "127.0.0.1") && !denied(&loopback, "::1") && denied(&loopback, "10.0.0.1"));
        let private = policy(&[], false, true);
        assert!(!denied(&private, "10.0.0.1") && !denied(&private, "100.64.1.1") && denied(&private, "127.0.0.1"));
        assert!(denied(&private, "169.254.169.254"), "link-local needs allow_hosts");
        let listed = policy(&["10.1.0.0/16", "169.254.169.254", "sensors.internal"], false, false);
        assert!(!denied(&listed, "10.1.2.3") && denied(&listed, "10.2.0.1") && !denied(&listed, "169.254.169.254"));
        assert!(listed.allows_name("Sensors.Internal."));
    }

    #[test]
    fn a_denial_names_the_address_and_the_setting() {
        let Denied(why) = policy(&[], false, false).check_ip("10.0.0.1".parse().unwrap()).unwrap_err();
        assert!(why.contains("10.0.0.1") && why.contains("allow_private"), "{why}");
        let url = Url::parse("http://[::1]:8080/x").unwrap();
        let Denied(why) = policy(&[], false, false).check_url(&url).unwrap_err();
        assert!(why.contains("::1") && why.contains("allow_loopback"), "{why}");
    }
}
