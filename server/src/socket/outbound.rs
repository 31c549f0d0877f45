//! What clients that do not read may make this node hold, bounded per client address and in
//! total. Each connection's outbound buffer is already bounded (`TERTULIA_OUTBOUND_QUEUE`
//! packets); many connections from one address, or very many in all, could still pin a lot of
//! memory. Every outbound-check period the bytes waiting for each connection are summed per
//! address and in total; past a budget, the connections holding the most are cut first until
//! it holds again (they reconnect and catch up through the contract). The choice is a pure
//! function ([`to_cut`]), tested on its own.

use std::collections::HashMap;

use crate::client_addr::{AddrKey, client_of};
use crate::fanout::SocketRef;
use crate::metrics::Cut;
use crate::services::Services;

/// One connection's outbound buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// The client's address key.
    pub addr: AddrKey,
    /// Bytes waiting to be sent to it.
    pub bytes: usize,
}

/// Which connections to cut so that every address holds at most `per_addr` bytes and all of
/// them at most `total`: the biggest holders first, within each address, then overall.
/// Returns indexes into `held`.
#[must_use]
pub fn to_cut(held: &[Held], per_addr: usize, total: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..held.len()).collect();
    // Biggest first; ties by position, so the choice is stable.
    order.sort_by_key(|&i| (std::cmp::Reverse(held[i].bytes), i));
    let mut by_addr: HashMap<AddrKey, usize> = HashMap::new();
    for h in held {
        *by_addr.entry(h.addr).or_default() += h.bytes;
    }
    let mut sum: usize = held.iter().map(|h| h.bytes).sum();
    let mut cut = vec![false; held.len()];
    for &i in &order {
        let of_addr = by_addr.get_mut(&held[i].addr).expect("counted above");
        if *of_addr > per_addr && held[i].bytes > 0 {
            *of_addr -= held[i].bytes;
            sum -= held[i].bytes;
            cut[i] = true;
        }
    }
    for &i in &order {
        if sum <= total {
            break;
        }
        if !cut[i] && held[i].bytes > 0 {
            sum -= held[i].bytes;
            cut[i] = true;
        }
    }
    order.into_iter().filter(|&i| cut[i]).collect()
}

/// Checks this node's connections every outbound-check period, for as long as the app runs.
pub fn spawn_outbound_check(services: Services) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(services.hub.config.outbound_check_period());
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let cut = cut_over_budget(&services);
            if cut > 0 {
                tracing::warn!(cut, "connections cut: their clients held too much unread");
            }
        }
    })
}

/// Cuts the connections that put this node over its outbound budgets; how many.
pub fn cut_over_budget(services: &Services) -> usize {
    let config = &services.hub.config;
    // One entry per connection (its namespaces share one buffer).
    let mut connections: HashMap<String, (Held, SocketRef)> = HashMap::new();
    let mut total = 0;
    for socket in services.fanout.local_sockets() {
        let (session, bytes) = socket.outbound();
        connections.entry(session.to_string()).or_insert_with(|| {
            total += bytes;
            let addr = client_of(&socket.req_parts().extensions).key;
            (Held { addr, bytes }, socket)
        });
    }
    services.hub.metrics().outbound_queued(total);
    let (held, sockets): (Vec<Held>, Vec<SocketRef>) = connections.into_values().unzip();
    let chosen = to_cut(
        &held,
        config.outbound_per_ip_bytes,
        config.outbound_total_bytes,
    );
    for &i in &chosen {
        tracing::warn!(addr = %held[i].addr, bytes = held[i].bytes, "cutting a connection that does not read");
        sockets[i].close_transport();
        services.hub.metrics().cut(Cut::OutboundBudget);
    }
    chosen.len()
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    fn held(addr: &str, bytes: usize) -> Held {
        Held {
            addr: AddrKey::of(addr.parse::<IpAddr>().unwrap()),
            bytes,
        }
    }

    #[test]
    fn within_budgets_nobody_is_cut() {
        let all = [held("10.0.0.1", 50), held("10.0.0.2", 50)];
        assert!(to_cut(&all, 100, 1_000).is_empty());
        assert!(to_cut(&[], 0, 0).is_empty());
    }

    #[test]
    fn an_address_over_its_budget_loses_its_biggest_holders_first() {
        let all = [
            held("10.0.0.1", 30),
            held("10.0.0.1", 80),
            held("10.0.0.1", 40),
            held("10.0.0.2", 90),
        ];
        // Address 1 holds 150 of a 100 budget: the 80 goes, and that is enough.
        assert_eq!(to_cut(&all, 100, 1_000), [1]);
        // With a budget of 20, everything of address 1 goes, biggest first; address 2's 90 too.
        assert_eq!(to_cut(&all, 20, 1_000), [3, 1, 2, 0]);
    }

    #[test]
    fn the_total_is_brought_under_its_budget_biggest_first() {
        let all = [
            held("10.0.0.1", 10),
            held("10.0.0.2", 70),
            held("10.0.0.3", 40),
            held("2001:db8::1", 0),
        ];
        assert_eq!(to_cut(&all, 100, 60), [1]);
        assert_eq!(to_cut(&all, 100, 20), [1, 2]);
        assert_eq!(
            to_cut(&all, 100, 0),
            [1, 2, 0],
            "an empty buffer is never cut"
        );
    }
}
