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
    /// The stream's database (Redis's `slaveseldb`): unknown after a replica attaches, so that
    /// the next write is preceded by a SELECT.
    selected_db: Option<usize>,
    /// `repl-ping-replica-period`: a PING goes down the stream this often, so that a replica
    /// knows its primary is there (it gives up after `repl-timeout` of silence).
    ping_period: Duration,
    last_ping: Instant,
}

/// One replica fed: its client, the mailbox its stream goes through, and when it last
/// acknowledged what it received (REPLCONF ACK; its attaching counts as one).
struct Feed {
    client: ClientId,
    mailbox: Arc<Mailbox>,
    last_ack: Instant,
}

impl Default for Replicas {
    fn default() -> Replicas {
        Replicas {
            feeds: Vec::new(),
            min_to_write: 0,
            max_lag: 10,
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
    pub(crate) fn attach(&mut self, client: ClientId, mailbox: &Arc<Mailbox>) {
        self.feeds.push(Feed {
            client,
            mailbox: Arc::clone(mailbox),
            last_ack: Instant::now(),
        });
        self.selected_db = None;
    }

    /// REPLCONF ACK from `client`, if it is a replica fed here.
    pub(crate) fn acknowledged(&mut self, client: ClientId) {
        if let Some(feed) = self.feeds.iter_mut().find(|feed| feed.client == client) {
            feed.last_ack = Instant::now();
        }
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
        self.feeds.len()
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
        let ping = Reply::Array(vec![Reply::bulk("PING")]);
        self.feeds
            .retain(|feed| !feed.mailbox.is_gone() && feed.mailbox.deliver_within(ping.clone(), REPLICA_LIMIT));
    }

    /// Sends one unit of replay form to every replica (`wrap`: inside MULTI … EXEC when it is
    /// several commands). A replica that left or fell too far behind is dropped.
    pub(crate) fn feed(&mut self, unit: &[Replayed], wrap: bool) {
        let lines = stream_lines(unit, wrap, &mut self.selected_db);
        self.feeds.retain(|feed| {
            !feed.mailbox.is_gone()
                && lines.iter().all(|line| {
                    let command = Reply::Array(line.iter().map(Reply::bulk).collect());
                    feed.mailbox.deliver_within(command, REPLICA_LIMIT)
                })
        });
    }
}
