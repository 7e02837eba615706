//! The replicas this store feeds (Redis's `replicationFeedSlaves`): clients that sent SYNC get the
//! data as an RDB payload, then the replay form of every write, as the commands Redis sends its
//! replicas — a SELECT where the database changes, MULTI … EXEC around a unit of several writes.
//! Each replica's stream goes through its connection's mailbox, bound as Redis bounds a
//! replica's output (`client-output-buffer-limit replica 256mb 64mb 60`): past it, it is cut off.
//!
//! From the first replica on, the stream is also kept in a backlog of its last
//! `repl-backlog-size` bytes (fed even while no replica is connected, as Redis's is), from which
//! a replica that lost its link continues where it was (PSYNC answered `+CONTINUE`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::keyspace::ClientId;
use crate::keyspace::effects::{Replayed, stream_lines};
use crate::pubsub::{Mailbox, OutputLimit};
use crate::reply::Reply;

/// A full sync's RDB payload, taken in steps (`keyspace/snapshot.rs`) while the replica waits:
/// the replica's stream waits in its mailbox until the payload has gone ahead of it.
#[derive(Debug, Default)]
pub(crate) struct PendingPayload(parking_lot::Mutex<Option<Vec<u8>>>);

impl PendingPayload {
    /// The payload is ready.
    pub(crate) fn put(&self, file: Vec<u8>) {
        *self.0.lock() = Some(file);
    }

    /// The payload, once ready.
    pub(crate) fn take(&self) -> Option<Vec<u8>> {
        self.0.lock().take()
    }
}

/// The replicas fed, and the database their stream is in.
pub(crate) struct Replicas {
    feeds: Vec<Feed>,
    /// `min-replicas-to-write` (0: writes never wait for replicas).
    min_to_write: usize,
    /// `min-replicas-max-lag`, in seconds (0: the rule is off).
    max_lag: u64,
    /// The replication offset (INFO's `master_repl_offset`): the bytes of stream sent so far,
    /// counted once whatever the number of replicas, from the first replica on.
    offset: u64,
    /// The stream's last bytes, up to `backlog_size` (`None` until a replica first attaches).
    backlog: Option<VecDeque<u8>>,
    /// `repl-backlog-size`.
    backlog_size: usize,
    /// INFO's `sync_full`, `sync_partial_ok` and `sync_partial_err`.
    pub(crate) syncs: SyncCounts,
    /// The stream's database (Redis's `slaveseldb`): unknown after a replica attaches, so that
    /// the next write is preceded by a SELECT.
    selected_db: Option<usize>,
    /// `repl-ping-replica-period`: a PING goes down the stream this often, so that a replica
    /// knows its primary is there (it gives up after `repl-timeout` of silence).
    ping_period: Duration,
    last_ping: Instant,
}

/// One replica fed: its client, where it listens, the mailbox its stream goes through, and when
/// it last acknowledged what it received and up to which offset (REPLCONF ACK; its attaching
/// counts as one, of nothing).
struct Feed {
    client: ClientId,
    listening: ReplicaAddress,
    mailbox: Arc<Mailbox>,
    last_ack: Instant,
    acked: u64,
}

/// How replicas synchronised: fully, by continuing from the backlog, and asked to continue but
/// synchronised fully (INFO's `sync_full`, `sync_partial_ok`, `sync_partial_err`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SyncCounts {
    pub(crate) full: u64,
    pub(crate) partial_ok: u64,
    pub(crate) partial_err: u64,
}

/// Where a replica says it listens (REPLCONF ip-address, else its connection's address; and
/// REPLCONF listening-port), as INFO and ROLE show it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReplicaAddress {
    pub(crate) ip: String,
    pub(crate) port: i64,
}

impl Default for Replicas {
    fn default() -> Replicas {
        Replicas {
            feeds: Vec::new(),
            min_to_write: 0,
            max_lag: 10,
            offset: 0,
            backlog: None,
            backlog_size: 1 << 20,
            syncs: SyncCounts::default(),
            selected_db: None,
            ping_period: Duration::from_secs(10),
            last_ping: Instant::now(),
        }
    }
}

/// Redis's default `client-output-buffer-limit` for replicas.
const REPLICA_LIMIT: OutputLimit = OutputLimit {
    hard: 256 << 20,
    soft: 64 << 20,
    soft_seconds: 60,
};

impl std::fmt::Debug for Replicas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replicas").field("count", &self.feeds.len()).finish()
    }
}

impl Replicas {
    /// Feeds `client` from now on, through `mailbox`.
    pub(crate) fn attach(&mut self, client: ClientId, listening: ReplicaAddress, mailbox: &Arc<Mailbox>) {
        self.feeds.push(Feed {
            client,
            listening,
            mailbox: Arc::clone(mailbox),
            last_ack: Instant::now(),
            acked: 0,
        });
        self.selected_db = None;
        self.backlog.get_or_insert_with(VecDeque::new);
    }

    /// Ends the stream, as when this store's data was replaced by its primary's (a full sync
    /// of a replica): every replica fed is disconnected, and the backlog is dropped, so that a
    /// replica that comes back synchronises fully.
    pub(crate) fn restart_stream(&mut self) {
        for feed in self.feeds.drain(..) {
            feed.mailbox.cut_off();
        }
        self.backlog = None;
        self.selected_db = None;
    }

    /// For PSYNC from `offset` (the first byte the replica lacks) of this stream: the bytes from
    /// there, if the backlog still holds them all; `None` when a full resynchronisation is due.
    pub(crate) fn continue_from(&self, offset: u64) -> Option<Vec<u8>> {
        let backlog = self.backlog.as_ref()?;
        let first = self.first_byte(backlog);
        if offset < first || offset > self.offset + 1 {
            return None;
        }
        let skip = (offset - first) as usize;
        Some(backlog.iter().skip(skip).copied().collect())
    }

    /// `repl-backlog-size`: the backlog keeps at most this many of the stream's last bytes.
    pub(crate) fn set_backlog_size(&mut self, bytes: usize) {
        self.backlog_size = bytes.max(1);
        self.trim_backlog();
    }

    /// INFO's backlog fields: whether there is one, its first byte's offset and its length.
    pub(crate) fn backlog_state(&self) -> (bool, u64, usize) {
        match &self.backlog {
            Some(backlog) => (true, self.first_byte(backlog), backlog.len()),
            None => (false, 0, 0),
        }
    }

    /// The offset of `backlog`'s first byte (offsets count from 1).
    fn first_byte(&self, backlog: &VecDeque<u8>) -> u64 {
        self.offset + 1 - backlog.len() as u64
    }

    fn trim_backlog(&mut self) {
        if let Some(backlog) = &mut self.backlog
            && backlog.len() > self.backlog_size
        {
            backlog.drain(..backlog.len() - self.backlog_size);
        }
    }

    /// Whether the stream is kept (a backlog exists): writes are fed even with no replica.
    pub(crate) fn streams(&self) -> bool {
        self.backlog.is_some()
    }

    /// Sends `lines` down the stream: into the offset and the backlog, and to every replica
    /// (one that left or fell too far behind is dropped).
    fn send(&mut self, lines: &[Reply]) {
        let Some(backlog) = &mut self.backlog else {
            return;
        };
        for line in lines {
            let bytes = line.to_resp();
            self.offset += bytes.len() as u64;
            backlog.extend(bytes);
        }
        self.trim_backlog();
        self.feeds.retain(|feed| {
            !feed.mailbox.is_gone()
                && lines
                    .iter()
                    .all(|line| feed.mailbox.deliver_within(line.clone(), REPLICA_LIMIT))
        });
    }

    /// REPLCONF ACK `offset` from `client`, if it is a replica fed here.
    pub(crate) fn acknowledged(&mut self, client: ClientId, offset: u64) {
        if let Some(feed) = self.feeds.iter_mut().find(|feed| feed.client == client) {
            feed.last_ack = Instant::now();
            feed.acked = feed.acked.max(offset);
        }
    }

    /// How many replicas still fed acknowledged at least `offset` (what WAIT counts).
    pub(crate) fn acked_at_least(&self, offset: u64) -> usize {
        self.listed().filter(|(_, acked, _)| *acked >= offset).count()
    }

    /// Asks every replica to acknowledge what it has received now (`REPLCONF GETACK *` down the
    /// stream, which counts in the offset as Redis counts it), for a client waiting in WAIT.
    pub(crate) fn request_acks(&mut self) {
        self.send(&[Reply::Array(["REPLCONF", "GETACK", "*"].map(Reply::bulk).to_vec())]);
    }

    /// The replication offset: the bytes of stream sent so far (INFO's `master_repl_offset`,
    /// where a new replica's stream starts).
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Each replica still fed: where it listens, the offset it acknowledged, and the whole
    /// seconds since it last did (INFO's `slave<n>` lines, ROLE's list).
    pub(crate) fn listed(&self) -> impl Iterator<Item = (&ReplicaAddress, u64, u64)> {
        self.feeds
            .iter()
            .filter(|feed| !feed.mailbox.is_gone())
            .map(|feed| (&feed.listening, feed.acked, feed.last_ack.elapsed().as_secs()))
    }

    /// `min-replicas-to-write` and `min-replicas-max-lag` (seconds).
    pub(crate) fn set_min_replicas(&mut self, to_write: usize, max_lag: u64) {
        self.min_to_write = to_write;
        self.max_lag = max_lag;
    }

    /// Whether `min-replicas-to-write` is in force (both it and `min-replicas-max-lag` set).
    pub(crate) fn counts_good_replicas(&self) -> bool {
        self.min_to_write > 0 && self.max_lag > 0
    }

    /// How many replicas acknowledged within `min-replicas-max-lag` seconds (Redis's "good
    /// replicas": its lag, in whole seconds, at most the limit).
    pub(crate) fn good_replicas(&self) -> usize {
        let live = |feed: &&Feed| !feed.mailbox.is_gone() && feed.last_ack.elapsed().as_secs() <= self.max_lag;
        self.feeds.iter().filter(live).count()
    }

    /// Whether writes are refused for want of good replicas (Redis's `checkGoodReplicasStatus`
    /// failing).
    pub(crate) fn refuse_writes(&self) -> bool {
        self.counts_good_replicas() && self.good_replicas() < self.min_to_write
    }

    /// How many replicas are fed (INFO's `connected_slaves`).
    pub(crate) fn len(&self) -> usize {
        self.listed().count()
    }

    /// `repl-ping-replica-period`, in seconds.
    pub(crate) fn set_ping_period(&mut self, seconds: u64) {
        self.ping_period = Duration::from_secs(seconds.max(1));
    }

    /// The cron's part (Redis's `replicationCron`): a PING down the stream once a period.
    pub(crate) fn ping_if_due(&mut self) {
        if self.feeds.is_empty() || self.last_ping.elapsed() < self.ping_period {
            return;
        }
        self.last_ping = Instant::now();
        self.send(&[Reply::Array(vec![Reply::bulk("PING")])]);
    }

    /// Sends one unit of replay form to every replica (`wrap`: inside MULTI … EXEC when it is
    /// several commands). A replica that left or fell too far behind is dropped.
    pub(crate) fn feed(&mut self, unit: &[Replayed], wrap: bool) {
        let lines = stream_lines(unit, wrap, &mut self.selected_db);
        let lines: Vec<Reply> = lines
            .iter()
            .map(|line| Reply::Array(line.iter().map(Reply::bulk).collect()))
            .collect();
        self.send(&lines);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backlog_continues_a_stream_from_any_byte_it_still_holds() {
        let mut replicas = Replicas::default();
        replicas.send(&[Reply::Array(vec![Reply::bulk("PING")])]);
        assert_eq!(replicas.offset(), 0, "nothing counts before the first replica");
        assert_eq!(replicas.continue_from(1), None, "no backlog yet");
        replicas.backlog = Some(VecDeque::new());
        replicas.send(&[Reply::Array(vec![Reply::bulk("PING")])]);
        assert_eq!(replicas.offset(), 14);
        let set = Reply::Array(["SET", "k", "v"].map(Reply::bulk).to_vec());
        replicas.send(std::slice::from_ref(&set));
        let bytes = set.to_resp();
        assert_eq!(replicas.offset(), 14 + bytes.len() as u64);
        assert_eq!(replicas.continue_from(15), Some(bytes.clone()), "from its first byte");
        assert_eq!(replicas.continue_from(16), Some(bytes[1..].to_vec()));
        assert_eq!(
            replicas.continue_from(replicas.offset() + 1),
            Some(Vec::new()),
            "nothing missed"
        );
        let mut everything = Reply::Array(vec![Reply::bulk("PING")]).to_resp();
        everything.extend_from_slice(&bytes);
        assert_eq!(replicas.continue_from(1), Some(everything), "the whole backlog");
        assert_eq!(replicas.continue_from(0), None, "before the backlog");
        assert_eq!(replicas.continue_from(replicas.offset() + 2), None, "past the stream");
        replicas.set_backlog_size(4);
        assert_eq!(replicas.backlog_state(), (true, replicas.offset() - 3, 4));
        assert_eq!(replicas.continue_from(15), None, "trimmed away");
    }
}
