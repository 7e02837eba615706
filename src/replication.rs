//! The replicas this store feeds (Redis's `replicationFeedSlaves`): clients that sent SYNC get the
//! data as an RDB payload, then the replay form of every write, as the commands Redis sends its
//! replicas — a SELECT where the database changes, MULTI … EXEC around a unit of several writes.
//! Each replica's stream goes through its connection's mailbox, bound as Redis bounds a
//! replica's output (`client-output-buffer-limit replica 256mb 64mb 60`): past it, it is cut off.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::keyspace::ClientId;
use crate::keyspace::effects::{Replayed, stream_lines};
use crate::pubsub::{Mailbox, OutputLimit};
use crate::reply::Reply;

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

/// Where a replica says it listens (REPLCONF ip-address, else its connection's address; and
/// REPLCONF listening-port), as INFO and ROLE show it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReplicaAddress {
    pub(crate) ip: String,
    pub(crate) port: i64,
}

/// The bytes `line` takes in the stream as RESP: `*<n>` and each argument as a bulk string.
fn encoded_len<'a>(line: impl ExactSizeIterator<Item = &'a [u8]>) -> u64 {
    let digits = |n: usize| n.checked_ilog10().map_or(1, |d| d as u64 + 1);
    let header = 1 + digits(line.len()) + 2;
    header
        + line
            .map(|arg| 1 + digits(arg.len()) + 2 + arg.len() as u64 + 2)
            .sum::<u64>()
}

impl Default for Replicas {
    fn default() -> Replicas {
        Replicas {
            feeds: Vec::new(),
            min_to_write: 0,
            max_lag: 10,
            offset: 0,
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
        if self.feeds.is_empty() {
            return;
        }
        let line: [&[u8]; 3] = [b"REPLCONF", b"GETACK", b"*"];
        self.offset += encoded_len(line.into_iter());
        let request = Reply::Array(line.iter().map(|arg| Reply::bulk(*arg)).collect());
        self.feeds
            .retain(|feed| !feed.mailbox.is_gone() && feed.mailbox.deliver_within(request.clone(), REPLICA_LIMIT));
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

    /// Whether any replica is fed.
    pub(crate) fn is_empty(&self) -> bool {
        self.feeds.is_empty()
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
        self.offset += encoded_len([&b"PING"[..]].into_iter());
        let ping = Reply::Array(vec![Reply::bulk("PING")]);
        self.feeds
            .retain(|feed| !feed.mailbox.is_gone() && feed.mailbox.deliver_within(ping.clone(), REPLICA_LIMIT));
    }

    /// Sends one unit of replay form to every replica (`wrap`: inside MULTI … EXEC when it is
    /// several commands). A replica that left or fell too far behind is dropped.
    pub(crate) fn feed(&mut self, unit: &[Replayed], wrap: bool) {
        let lines = stream_lines(unit, wrap, &mut self.selected_db);
        self.offset += lines.iter().map(|line| encoded_len(line.iter())).sum::<u64>();
        self.feeds.retain(|feed| {
            !feed.mailbox.is_gone()
                && lines.iter().all(|line| {
                    let command = Reply::Array(line.iter().map(Reply::bulk).collect());
                    feed.mailbox.deliver_within(command, REPLICA_LIMIT)
                })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_as_their_resp_bytes() {
        let lines: [&[&[u8]]; 3] = [&[b"PING"], &[b"SET", b"k", b"0123456789"], &[b"SELECT", b"12"]];
        for line in lines {
            let mut resp = format!("*{}\r\n", line.len()).into_bytes();
            for arg in line {
                resp.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
                resp.extend_from_slice(arg);
                resp.extend_from_slice(b"\r\n");
            }
            assert_eq!(encoded_len(line.iter().copied()), resp.len() as u64);
        }
    }
}
