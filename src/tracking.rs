//! Client-side caching (CLIENT TRACKING): which clients may hold which keys in a cache, and the
//! invalidation messages they get when those keys change, as Redis 7.0 keeps them.
//!
//! A tracking client in the default mode has the keys of the read-only commands it runs
//! remembered (for a script, the keys it declares, once it runs a read-only command); when such
//! a key changes, expires or is evicted from the table, the client is told once and forgotten
//! for it. A client in BCAST mode remembers nothing: it is told of every change to a key under
//! one of its prefixes, the keys of each prefix batched after the command that changed them.
//! FLUSHDB and FLUSHALL tell every tracking client that everything is invalid (a nil).
//!
//! Messages go where Redis sends them: to the client itself as a RESP3 push
//! (`invalidate [keys]`), or to the client it redirects to — as a push in RESP3, or in RESP2 as
//! a Pub/Sub message on `__redis__:invalidate` when that client subscribes to something. A RESP2
//! client with no redirection gets nothing. Messages wait until the command that caused them has
//! ended, so a client's own invalidations follow its reply (and EXEC's whole array).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::keyspace::{ClientId, Map};
use crate::pubsub::{Hub, Mailbox};
use crate::reply::Reply;

/// Redis's channel for invalidations to a RESP2 client in Pub/Sub mode.
const CHANNEL: &str = "__redis__:invalidate";

/// The tracking state of a store: its tracking clients, the table of keys they may cache, the
/// BCAST prefixes, and the messages waiting for the end of the running command.
pub(crate) struct Tracking {
    trackers: Map<ClientId, Tracker>,
    /// Keys read by default-mode tracking clients, with who read them. A client's id stays
    /// until the key changes, even after it turns tracking off (Redis does no clean-up either).
    table: IndexMap<Vec<u8>, Vec<ClientId>>,
    /// How many ids the table holds in all (INFO's `tracking_total_items`).
    items: usize,
    /// BCAST prefixes, in byte order.
    prefixes: BTreeMap<Vec<u8>, Prefix>,
    /// The client whose command runs (NOLOOP leaves out what it changes itself).
    current: ClientId,
    /// Messages for the end of the command: the tracking client, and the keys (an array) or
    /// nil for all.
    pending: Vec<(ClientId, Reply)>,
    /// `tracking-table-max-keys`: past it, keys leave the table as if they had changed (0: no
    /// bound).
    max_keys: usize,
    /// The state of the random walk that picks keys to evict from the table.
    random: u64,
}

impl std::fmt::Debug for Tracking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracking")
            .field("clients", &self.trackers.len())
            .field("keys", &self.table.len())
            .field("prefixes", &self.prefixes.len())
            .finish_non_exhaustive()
    }
}

impl Default for Tracking {
    fn default() -> Tracking {
        Tracking {
            trackers: Map::default(),
            table: IndexMap::new(),
            items: 0,
            prefixes: BTreeMap::new(),
            current: 0,
            pending: Vec::new(),
            max_keys: 1_000_000,
            random: 0x9E37_79B9_7F4A_7C15,
        }
    }
}

/// One tracking client.
struct Tracker {
    /// Its own mailbox (RESP3 pushes, `tracking-redir-broken`).
    mailbox: Arc<Mailbox>,
    /// Where its messages go instead: the client id and its mailbox.
    redirect: Option<(ClientId, Arc<Mailbox>)>,
    options: TrackingOptions,
    /// CLIENT CACHING was given for the next command (or transaction).
    caching: bool,
    /// The client it redirects to has gone.
    broken: bool,
    /// Its BCAST prefixes.
    prefixes: BTreeSet<Vec<u8>>,
}

/// The options of CLIENT TRACKING ON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TrackingOptions {
    pub(crate) bcast: bool,
    pub(crate) optin: bool,
    pub(crate) optout: bool,
    pub(crate) noloop: bool,
}

/// A BCAST prefix: its clients, and the keys under it changed since the last broadcast, with
/// the client that changed each last (NOLOOP).
#[derive(Debug, Default)]
struct Prefix {
    clients: BTreeSet<ClientId>,
    changed: BTreeMap<Vec<u8>, ClientId>,
}

/// What CLIENT TRACKINGINFO and CLIENT LIST show of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TrackingInfo {
    pub(crate) options: TrackingOptions,
    pub(crate) caching: bool,
    pub(crate) broken: bool,
    /// The client it redirects to, 0 for none.
    pub(crate) redirect: ClientId,
    pub(crate) prefixes: Vec<Vec<u8>>,
}

impl Tracking {
    /// Marks where the reply of `client`'s running command falls among its pushes, if it
    /// tracks keys (see [`Mailbox::mark_reply`]).
    pub(crate) fn mark_reply(&self, client: ClientId) {
        if let Some(tracker) = self.trackers.get(&client) {
            tracker.mailbox.mark_reply();
        }
    }

    /// Whether any client tracks: every other method is cheap to skip when none does.
    pub(crate) fn is_active(&self) -> bool {
        !self.trackers.is_empty() || !self.table.is_empty()
    }

    /// CLIENT TRACKING ON for `client`, whose own messages go to `mailbox` (the caller has
    /// checked the options, Redis's `enableTracking`).
    pub(crate) fn enable(
        &mut self,
        client: ClientId,
        mailbox: &Arc<Mailbox>,
        redirect: Option<(ClientId, Arc<Mailbox>)>,
        options: TrackingOptions,
        prefixes: &[&[u8]],
    ) {
        let tracker = self.trackers.entry(client).or_insert_with(|| Tracker {
            mailbox: Arc::clone(mailbox),
            redirect: None,
            options: TrackingOptions::default(),
            caching: false,
            broken: false,
            prefixes: BTreeSet::new(),
        });
        tracker.redirect = redirect;
        tracker.broken = false;
        tracker.options = options;
        if options.bcast {
            let wanted: Vec<&[u8]> = if prefixes.is_empty() {
                vec![b""]
            } else {
                prefixes.to_vec()
            };
            for prefix in wanted {
                tracker.prefixes.insert(prefix.to_vec());
                self.prefixes.entry(prefix.to_vec()).or_default().clients.insert(client);
            }
        }
    }

    /// CLIENT TRACKING OFF, RESET, and a client leaving (Redis's `disableTracking`).
    pub(crate) fn disable(&mut self, client: ClientId) {
        let Some(tracker) = self.trackers.remove(&client) else {
            return;
        };
        for prefix in tracker.prefixes {
            if let Some(state) = self.prefixes.get_mut(&prefix) {
                state.clients.remove(&client);
                if state.clients.is_empty() {
                    self.prefixes.remove(&prefix);
                }
            }
        }
    }

    /// The mailbox of `client` if it tracks.
    pub(crate) fn mailbox_of(&self, client: ClientId) -> Option<Arc<Mailbox>> {
        self.trackers.get(&client).map(|tracker| Arc::clone(&tracker.mailbox))
    }

    /// What CLIENT TRACKINGINFO shows of `client`, `None` when it does not track.
    pub(crate) fn info(&self, client: ClientId) -> Option<TrackingInfo> {
        let tracker = self.trackers.get(&client)?;
        Some(TrackingInfo {
            options: tracker.options,
            caching: tracker.caching,
            broken: tracker.broken,
            redirect: tracker.redirect.as_ref().map_or(0, |(id, _)| *id),
            prefixes: tracker.prefixes.iter().cloned().collect(),
        })
    }

    /// The first of `prefixes` overlapping one of `client`'s BCAST prefixes (one a prefix of
    /// the other), with it.
    pub(crate) fn overlapping<'p>(&self, client: ClientId, prefixes: &[&'p [u8]]) -> Option<(&'p [u8], Vec<u8>)> {
        let tracker = self.trackers.get(&client)?;
        prefixes.iter().find_map(|new| {
            tracker
                .prefixes
                .iter()
                .find(|old| overlap(old, new))
                .map(|old| (*new, old.clone()))
        })
    }

    /// CLIENT CACHING YES / NO: the next command (or transaction) of `client` is tracked (OPTIN)
    /// or not (OPTOUT).
    pub(crate) fn set_caching(&mut self, client: ClientId) {
        if let Some(tracker) = self.trackers.get_mut(&client) {
            tracker.caching = true;
        }
    }

    /// After a command of `client` outside MULTI (and after EXEC): CLIENT CACHING's effect ends.
    pub(crate) fn command_ended(&mut self, client: ClientId) {
        if let Some(tracker) = self.trackers.get_mut(&client) {
            tracker.caching = false;
        }
    }

    /// Whether the read-only commands of `client` have their keys remembered now: it tracks in
    /// the default mode, and OPTIN/OPTOUT with CLIENT CACHING let it.
    pub(crate) fn remembers(&self, client: ClientId) -> bool {
        self.trackers.get(&client).is_some_and(|tracker| {
            let TrackingOptions {
                bcast, optin, optout, ..
            } = tracker.options;
            // OPTIN tracks only after CLIENT CACHING YES, OPTOUT all but after CACHING NO.
            let opted_in = if optin {
                tracker.caching
            } else {
                !(optout && tracker.caching)
            };
            !bcast && opted_in
        })
    }

    /// Remembers that `client` may cache `keys` (Redis's `trackingRememberKeys`).
    pub(crate) fn remember<'k>(&mut self, client: ClientId, keys: impl IntoIterator<Item = &'k [u8]>) {
        for key in keys {
            let ids = self.table.entry(key.to_vec()).or_default();
            if !ids.contains(&client) {
                ids.push(client);
                self.items += 1;
            }
        }
    }

    /// Notes the client whose command runs now.
    pub(crate) fn set_current(&mut self, client: ClientId) {
        self.current = client;
    }

    /// `key` changed (Redis's `trackingInvalidateKey`): its BCAST prefixes note it, and the
    /// clients that may cache it are told (at the end of the command) and forgotten.
    pub(crate) fn invalidate(&mut self, key: &[u8]) {
        let upto = (Bound::Unbounded, Bound::Included(key));
        for (prefix, state) in self.prefixes.range_mut::<[u8], _>(upto) {
            if key.starts_with(prefix) {
                state.changed.insert(key.to_vec(), self.current);
            }
        }
        self.invalidate_tracked(key, self.current);
    }

    /// Tells the clients that may cache `key` and forgets them; `current` is left out if it
    /// asked for NOLOOP.
    fn invalidate_tracked(&mut self, key: &[u8], current: ClientId) {
        let Some(ids) = self.table.swap_remove(key) else {
            return;
        };
        self.items -= ids.len();
        for id in ids {
            let Some(tracker) = self.trackers.get(&id) else {
                continue;
            };
            if tracker.options.bcast || (tracker.options.noloop && id == current) {
                continue;
            }
            self.pending.push((id, Reply::Array(vec![Reply::bulk(key)])));
        }
    }

    /// FLUSHDB, FLUSHALL: every tracking client is told that all keys are invalid; the table
    /// empties.
    pub(crate) fn flushed(&mut self) {
        let mut ids: Vec<ClientId> = self.trackers.keys().copied().collect();
        ids.sort_unstable();
        self.pending.extend(ids.into_iter().map(|id| (id, Reply::Nil)));
        self.table.clear();
        self.items = 0;
    }

    /// `tracking-table-max-keys`.
    pub(crate) fn set_max_keys(&mut self, max: usize) {
        self.max_keys = max;
    }

    /// INFO's `tracking_clients`, `tracking_total_keys`, `tracking_total_items` and
    /// `tracking_total_prefixes`.
    pub(crate) fn counts(&self) -> (usize, usize, usize, usize) {
        (self.trackers.len(), self.table.len(), self.items, self.prefixes.len())
    }

    /// At the end of a command: keeps the table within its bound (keys evicted from it as if
    /// they had changed), then sends what waits and the BCAST batches (Redis sends these
    /// before it sleeps again; `hub` tells whether a redirection target is in Pub/Sub mode).
    pub(crate) fn flush(&mut self, hub: &Hub) {
        while self.max_keys > 0 && self.table.len() > self.max_keys {
            self.random ^= self.random << 13;
            self.random ^= self.random >> 7;
            self.random ^= self.random << 17;
            let at = (self.random % self.table.len() as u64) as usize;
            let Some((key, _)) = self.table.get_index(at) else {
                break;
            };
            let key = key.clone();
            self.invalidate_tracked(&key, 0);
        }
        for (client, keys) in std::mem::take(&mut self.pending) {
            self.send(hub, client, keys);
        }
        let mut batches = Vec::new();
        for state in self.prefixes.values_mut() {
            if state.changed.is_empty() {
                continue;
            }
            let changed = std::mem::take(&mut state.changed);
            for &client in &state.clients {
                let noloop = self.trackers.get(&client).is_some_and(|t| t.options.noloop);
                let keys: Vec<Reply> = changed
                    .iter()
                    .filter(|(_, by)| !noloop || **by != client)
                    .map(|(key, _)| Reply::bulk(key.as_slice()))
                    .collect();
                if !keys.is_empty() {
                    batches.push((client, Reply::Array(keys)));
                }
            }
        }
        for (client, keys) in batches {
            self.send(hub, client, keys);
        }
    }

    /// Sends `client` its invalidation of `keys` where Redis would (`sendTrackingMessage`).
    fn send(&mut self, hub: &Hub, client: ClientId, keys: Reply) {
        let Some(tracker) = self.trackers.get_mut(&client) else {
            return;
        };
        match &tracker.redirect {
            Some((target, mailbox)) if mailbox.is_gone() => {
                tracker.broken = true;
                if tracker.mailbox.protocol() == 3 {
                    tracker.mailbox.push(Reply::Push(vec![
                        Reply::bulk("tracking-redir-broken"),
                        Reply::Integer(*target as i64),
                    ]));
                }
            }
            Some((target, mailbox)) => {
                if mailbox.protocol() == 3 {
                    mailbox.push(Reply::Push(vec![Reply::bulk("invalidate"), keys]));
                } else if hub.subscriptions(*target) != (0, 0) {
                    mailbox.push(Reply::Push(vec![Reply::bulk("message"), Reply::bulk(CHANNEL), keys]));
                }
            }
            None if tracker.mailbox.protocol() == 3 => {
                tracker.mailbox.push(Reply::Push(vec![Reply::bulk("invalidate"), keys]));
            }
            None => {}
        }
    }
}

/// Whether one of two prefixes starts the other (Redis's `stringCheckPrefix`).
pub(crate) fn overlap(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_prefixes_are_those_where_one_starts_the_other() {
        assert!(overlap(b"foo", b"foobar"));
        assert!(overlap(b"", b"x"));
        assert!(!overlap(b"foo", b"fob"));
    }

    #[test]
    fn a_changed_key_is_sent_once_then_forgotten() {
        let mut tracking = Tracking::default();
        let mailbox = Mailbox::new();
        mailbox.set_protocol(3);
        tracking.enable(1, &mailbox, None, TrackingOptions::default(), &[]);
        tracking.remember(1, [&b"k"[..], b"k"]);
        assert_eq!(tracking.counts(), (1, 1, 1, 0));
        tracking.invalidate(b"k");
        tracking.invalidate(b"k");
        tracking.flush(&Hub::default());
        assert_eq!(
            mailbox.take_all(),
            [Reply::Push(vec![
                Reply::bulk("invalidate"),
                Reply::Array(vec![Reply::bulk("k")])
            ])]
        );
        assert_eq!(tracking.counts(), (1, 0, 0, 0));
    }

    #[test]
    fn the_table_bound_evicts_keys_as_changes() {
        let mut tracking = Tracking::default();
        let mailbox = Mailbox::new();
        mailbox.set_protocol(3);
        tracking.enable(1, &mailbox, None, TrackingOptions::default(), &[]);
        tracking.remember(1, [&b"a"[..], b"b", b"c"]);
        tracking.set_max_keys(1);
        tracking.flush(&Hub::default());
        assert_eq!(tracking.counts().1, 1);
        assert_eq!(mailbox.take_all().len(), 2);
    }
}
