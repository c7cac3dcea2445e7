//! Where a delivery may go: webhook URLs may not reach loopback, link-local or private
//! addresses (the server's own admin ports, a cloud's metadata endpoint, the shop's
//! internal network) unless the operator allows it (`--webhook-allow-private`). The check
//! runs when a webhook is created and again at every connection, through the resolver the
//! HTTP client uses, so a name that later resolves elsewhere (DNS rebinding) is refused too.

use crate::model::webhook::forbidden_address;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use url::{Host, Url};

/// Why `url` may not be delivered to, judged from its host alone and, for a name, from
/// what it resolves to now. A name that does not resolve (yet) is not refused: the
/// deliveries will retry. `None`: it may.
pub async fn refused(url: &Url, allow_private: bool) -> Option<String> {
    if allow_private {
        return None;
    }
    match url.host()? {
        Host::Ipv4(v4) => literal(IpAddr::V4(v4)),
        Host::Ipv6(v6) => literal(IpAddr::V6(v6)),
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return Some(format!("{name} is a loopback name"));
            }
            let port = url.port_or_known_default().unwrap_or(443);
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), port))
                .await
                .ok()?
                .collect();
            let forbidden = addresses
                .iter()
                .find_map(|address| forbidden_address(address.ip()))?;
            // Refused when any address is: a name that resolves to both a public and a
            // private address would reach the private one some of the time.
            Some(format!("{name} resolves to {forbidden}"))
        }
    }
}

/// Why an IP literal is refused.
pub fn literal(address: IpAddr) -> Option<String> {
    forbidden_address(address).map(|why| format!("{address} is {why}"))
}

/// The resolver of the delivery client: the system's, keeping only the addresses a
/// delivery may reach (all of them when private addresses are allowed).
#[derive(Clone, Copy, Debug)]
pub struct GuardedResolver {
    /// Whether private addresses are allowed.
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|address| allow_private || forbidden_address(address.ip()).is_none())
                .collect();
            if allowed.is_empty() || (!allow_private && allowed.len() != found.len()) {
                let why = found
                    .iter()
                    .find_map(|address| forbidden_address(address.ip()))
                    .unwrap_or("no address");
                return Err(
                    format!("{host} resolves to {why}, which deliveries may not reach").into(),
                );
            }
            let addresses: Addrs = Box::new(allowed.into_iter());
            Ok(addresses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_private_and_link_local_hosts_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://10.0.0.7/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook",
            "http://[::ffff:192.168.0.1]/hook",
            "http://localhost:3000/hook",
            "http://api.localhost/hook",
        ] {
            let url = Url::parse(url).expect("a URL");
            assert!(refused(&url, false).await.is_some(), "{url}");
            assert_eq!(refused(&url, true).await, None, "{url}");
        }
        let public = Url::parse("https://93.184.215.14/hook").expect("a URL");
        assert_eq!(refused(&public, false).await, None);
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_of_a_loopback_address() {
        let name = || "localhost".parse::<Name>().expect("a name");
        let refused = GuardedResolver {
            allow_private: false,
        }
        .resolve(name())
        .await;
        assert!(refused.is_err());
        let allowed = GuardedResolver {
            allow_private: true,
        }
        .resolve(name())
        .await
        .expect("resolved");
        assert!(allowed.count() > 0);
    }
}
