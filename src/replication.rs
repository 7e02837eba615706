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
    feeds: Vec<(ClientId, Arc<Mailbox>)>,
    /// The stream's database (Redis's `slaveseldb`): unknown after a replica attaches, so that
    /// the next write is preceded by a SELECT.
    selected_db: Option<usize>,
    /// `repl-ping-replica-period`: a PING goes down the stream this often, so that a replica
    /// knows its primary is there (it gives up after `repl-timeout` of silence).
    ping_period: Duration,
    last_ping: Instant,
}

impl Default for Replicas {
    fn default() -> Replicas {
        Replicas {
            feeds: Vec::new(),
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
        self.feeds.push((client, Arc::clone(mailbox)));
        self.selected_db = None;
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
            .retain(|(_, mailbox)| !mailbox.is_gone() && mailbox.deliver_within(ping.clone(), REPLICA_LIMIT));
    }

    /// Sends one unit of replay form to every replica (`wrap`: inside MULTI … EXEC when it is
    /// several commands). A replica that left or fell too far behind is dropped.
    pub(crate) fn feed(&mut self, unit: &[Replayed], wrap: bool) {
        let lines = stream_lines(unit, wrap, &mut self.selected_db);
        self.feeds.retain(|(_, mailbox)| {
            !mailbox.is_gone()
                && lines.iter().all(|line| {
                    let command = Reply::Array(line.iter().map(Reply::bulk).collect());
                    mailbox.deliver_within(command, REPLICA_LIMIT)
                })
        });
    }
}
