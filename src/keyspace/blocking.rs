//! Clients blocked on lists and sorted sets (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, …)
//! or on nothing but time (WAIT): who waits on which keys, in arrival order, and the replies
//! served to them.
//!
//! As in Redis, a blocked client is served by the client whose command made its key ready, under the
//! same lock and before any other command runs: no third client can take the element in between,
//! and waiters on a key are served first come, first served.

use std::collections::VecDeque;

use super::{ClientId, Key, Keyspace, Map};
use crate::reply::Reply;

/// When a blocked command times out: Unix microseconds on the store's [`Clock`](crate::Clock), so
/// a manual clock moves blocking timeouts as it moves TTLs.
pub(crate) type Deadline = i64;

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListEnd {
    Head,
    Tail,
}

/// What a blocked client will do when one of its keys gets elements.
#[derive(Debug, Clone)]
pub(crate) enum BlockedOp {
    /// BLPOP/BRPOP: one element, answered as `[key, element]`.
    Pop(ListEnd),
    /// BLMPOP: up to `count` elements, answered as `[key, [elements]]`.
    PopMany(ListEnd, usize),
    /// BLMOVE/BRPOPLPUSH: pop from the key, push onto `dst`, answer the element
    /// (`rpoplpush`: it was BRPOPLPUSH, replayed as RPOPLPUSH; else as LMOVE).
    Move {
        from: ListEnd,
        to: ListEnd,
        dst: Key,
        rpoplpush: bool,
    },
    /// BZPOPMIN/BZPOPMAX (`Head` is the lowest score): `[key, member, score]`.
    ZPop(ListEnd),
    /// BZMPOP: up to `count` entries, answered as `[key, [[member, score], …]]`.
    ZPopMany(ListEnd, usize),
    /// WAIT: waits on no key until `wanted` replicas acknowledged the replication `offset`,
    /// and answers how many did (then, or when it times out or is unblocked).
    WaitReplicas { offset: u64, wanted: i64 },
    /// XREAD/XREADGROUP: entries past an ID, from the first of its streams to get some.
    ReadStreams(Box<StreamRead>),
}

/// What a client blocked in XREAD or XREADGROUP waits for.
#[derive(Debug, Clone)]
pub(crate) struct StreamRead {
    /// For each key of the request, in order, the ID entries must be above (for a group, the
    /// group's last ID is read again when served).
    pub(crate) ids: Vec<super::stream::StreamId>,
    /// At most this many entries.
    pub(crate) count: usize,
    /// XREADGROUP's group and consumer, and NOACK.
    pub(crate) group: Option<(Vec<u8>, Vec<u8>, bool)>,
    /// The client's protocol, which shapes the reply (an array of pairs, or a map).
    pub(crate) resp: u8,
}

impl BlockedOp {
    /// Whether the op pops a sorted set rather than a list.
    pub(crate) fn on_sorted_set(&self) -> bool {
        matches!(self, BlockedOp::ZPop(_) | BlockedOp::ZPopMany(..))
    }

    /// Whether the op reads streams.
    pub(crate) fn on_stream(&self) -> bool {
        matches!(self, BlockedOp::ReadStreams(_))
    }

    /// The reply when the command times out (or CLIENT UNBLOCK ends it as timed out), in `ks`
    /// as it is then: a nil array for the pops and moves, the count of replicas that
    /// acknowledged its offset for WAIT.
    pub(crate) fn timeout_reply(&self, ks: &Keyspace) -> Reply {
        match self {
            BlockedOp::WaitReplicas { offset, .. } => Reply::Integer(ks.replicas.acked_at_least(*offset) as i64),
            _ => Reply::NilArray,
        }
    }
}

/// A blocked client's request.
#[derive(Debug, Clone)]
pub(crate) struct BlockedRequest {
    pub(crate) db: usize,
    pub(crate) keys: Vec<Key>,
    pub(crate) op: BlockedOp,
    /// When to give up; `None` waits for ever (timeout 0).
    pub(crate) deadline: Option<Deadline>,
}

#[derive(Debug, Default)]
pub(super) struct Blocked {
    /// The clients waiting on each (database, key), first come first.
    waiting: Map<(usize, Key), VecDeque<ClientId>>,
    requests: Map<ClientId, BlockedRequest>,
    /// Keys created while someone waits on them, to serve after the running command, in the
    /// order they became ready (Redis's `ready_keys` list).
    ready: VecDeque<(usize, Key)>,
    /// Replies served to clients that have not picked them up yet, each with how its wait
    /// ended.
    served: Map<ClientId, (Reply, WaitEnd)>,
}

/// How a blocked command's wait ended, which decides what its statistics and the slow log
/// record once its reply is picked up (Redis's `updateStatsOnUnblock`, which a timeout skips).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitEnd {
    /// A key it waited on served it: logged with its arguments, failed if its reply is an error.
    Served,
    /// CLIENT UNBLOCK ended it (with the timeout reply or an error): counted as failed and
    /// logged without arguments, as Redis has freed them by then.
    Interrupted,
    /// Its timeout passed: nothing more is counted.
    TimedOut,
}

impl Keyspace {
    /// How many clients wait in a blocking command (INFO's `blocked_clients`).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn blocked_count(&self) -> usize {
        self.blocked.requests.len()
    }

    /// Whether `client` waits in a blocking command (CLIENT LIST's `b` flag).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn is_blocked(&self, client: ClientId) -> bool {
        self.blocked.requests.contains_key(&client)
    }

    /// Registers `client` as blocked with `request`.
    pub(crate) fn block(&mut self, client: ClientId, request: BlockedRequest) {
        for key in &request.keys {
            let queue = self.blocked.waiting.entry((request.db, key.clone())).or_default();
            if !queue.contains(&client) {
                queue.push_back(client);
            }
        }
        self.blocked.requests.insert(client, request);
    }

    /// Forgets `client`'s request (served or timed out) and answers it.
    pub(crate) fn unblock(&mut self, client: ClientId) -> Option<BlockedRequest> {
        let request = self.blocked.requests.remove(&client)?;
        for key in &request.keys {
            let slot = (request.db, key.clone());
            if let Some(queue) = self.blocked.waiting.get_mut(&slot) {
                queue.retain(|c| *c != client);
                if queue.is_empty() {
                    self.blocked.waiting.remove(&slot);
                }
            }
        }
        Some(request)
    }

    /// The request `client` is blocked with.
    pub(crate) fn blocked_request(&self, client: ClientId) -> Option<&BlockedRequest> {
        self.blocked.requests.get(&client)
    }

    /// The reply served to `client`, if it has been served, and how its wait ended.
    pub(crate) fn take_served(&mut self, client: ClientId) -> Option<(Reply, WaitEnd)> {
        self.blocked.served.remove(&client)
    }

    /// Hands `reply` to a blocked client whose wait ended so.
    pub(crate) fn deliver(&mut self, client: ClientId, reply: Reply, end: WaitEnd) {
        self.blocked.served.insert(client, (reply, end));
    }

    /// Serves the clients waiting in WAIT whose replicas have now acknowledged enough (after a
    /// REPLCONF ACK); answers whether any was served.
    pub(crate) fn serve_replica_waits(&mut self) -> bool {
        let ready: Vec<(ClientId, usize)> = self
            .blocked
            .requests
            .iter()
            .filter_map(|(client, request)| match request.op {
                BlockedOp::WaitReplicas { offset, wanted } => {
                    let acked = self.replicas.acked_at_least(offset);
                    (acked as i64 >= wanted).then_some((*client, acked))
                }
                _ => None,
            })
            .collect();
        for &(client, acked) in &ready {
            self.unblock(client);
            self.deliver(client, Reply::Integer(acked as i64), WaitEnd::Served);
        }
        !ready.is_empty()
    }

    /// The clients waiting on `key`, first come first.
    pub(crate) fn waiters(&self, db: usize, key: &[u8]) -> Vec<ClientId> {
        self.blocked
            .waiting
            .get(&(db, key.to_vec()))
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The first key made ready by the running command and not yet served, if any: keys are
    /// served in the order they became ready, those a served BLMOVE fills after the others.
    pub(crate) fn next_ready(&mut self) -> Option<(usize, Key)> {
        self.blocked.ready.pop_front()
    }

    /// Whether any key was made ready and waits to be served.
    pub(crate) fn has_ready(&self) -> bool {
        !self.blocked.ready.is_empty()
    }

    /// The keys someone waits on in `db` that hold streams there now, sorted: before FLUSHDB or
    /// SWAPDB takes them away, so that their XREADGROUP clients learn of it (Redis's
    /// `scanDatabaseForDeletedStreams`).
    pub(super) fn waited_streams(&self, db: usize) -> Vec<Key> {
        if self.blocked.waiting.is_empty() {
            return Vec::new();
        }
        let mut keys: Vec<Key> = self
            .blocked
            .waiting
            .keys()
            .filter(|(d, key)| {
                *d == db
                    && matches!(
                        self.dbs[db].data.get(key).map(|e| &e.value),
                        Some(super::Value::Stream(_))
                    )
            })
            .map(|(_, key)| key.clone())
            .collect();
        keys.sort();
        keys
    }

    /// Signals the keys of [`Keyspace::waited_streams`] that no longer hold a stream.
    pub(super) fn streams_gone(&mut self, db: usize, keys: Vec<Key>) {
        for key in keys {
            if !matches!(
                self.dbs[db].data.get(&key).map(|e| &e.value),
                Some(super::Value::Stream(_))
            ) {
                self.key_created(db, &key);
            }
        }
    }

    /// SWAPDB brought other data into `db`: every key someone waits on there that now exists is
    /// ready (Redis's `scanDatabaseForReadyKeys`).
    pub(super) fn waiting_keys_swapped_in(&mut self, db: usize) {
        let mut present: Vec<Key> = self
            .blocked
            .waiting
            .keys()
            .filter(|(d, key)| *d == db && self.dbs[db].data.contains_key(key))
            .map(|(_, key)| key.clone())
            .collect();
        // Sorted, so that the order does not depend on the map's.
        present.sort();
        for key in present {
            self.key_created(db, &key);
        }
    }

    /// Notes that a stream at `key` got entries or lost a group (XADD, XGROUP DESTROY), if
    /// anyone waits on it.
    pub(crate) fn signal_ready(&mut self, db: usize, key: &[u8]) {
        self.key_created(db, key);
    }

    /// Notes that `key` was created, or a stream there deleted or overwritten, if anyone waits
    /// on it (Redis's `signalKeyAsReady`).
    pub(super) fn key_created(&mut self, db: usize, key: &[u8]) {
        if self.blocked.waiting.is_empty() {
            return;
        }
        let slot = (db, key.to_vec());
        if self.blocked.waiting.contains_key(&slot) && !self.blocked.ready.contains(&slot) {
            self.blocked.ready.push_back(slot);
        }
    }
}
