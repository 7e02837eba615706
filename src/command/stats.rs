//! What commands did, for INFO's `commandstats`, `errorstats` and `latencystats` sections (and
//! `total_error_replies`): per command its calls, time, failed and rejected calls and a latency
//! histogram; per error code the error replies sent; and SLOWLOG, the commands that took longer
//! than `slowlog-log-slower-than` microseconds.
//!
//! Kept only for a store a server serves (the server turns it on): in-process callers have no
//! INFO, and timing every command costs. Redis's rules: a command *rejected* before it ran
//! (wrong arity, refused while a script is busy, refused by AUTH, …) counts in `rejected_calls`;
//! one that ran and answered an error in `failed_calls`; commands run by EXEC and by scripts
//! count as calls of their own, and EXEC or EVAL as one call that includes their time.

use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use super::latency::LatencyMonitor;
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::blocking::WaitEnd;
use crate::keyspace::{ClientId, Map};
use crate::reply::Reply;

thread_local! {
    /// Set while a script's error reply is one a command inside it already counted: the
    /// script's own count then skips it (see [`error_already_counted`]).
    static ERROR_ALREADY_COUNTED: Cell<bool> = const { Cell::new(false) };
}

/// The error reply the running command (a script, on this thread) is about to give was counted
/// in errorstats already, when a command inside the script failed with it (Redis marks such
/// errors `ignore_error_stats_update`).
pub(crate) fn error_already_counted() {
    ERROR_ALREADY_COUNTED.set(true);
}

/// The statistics of one command (a container's subcommand has its own: `client|list`).
#[derive(Debug, Default, Clone)]
struct CommandStat {
    calls: u64,
    micros: u64,
    rejected: u64,
    failed: u64,
    latency: Histogram,
}

/// See the module's documentation.
#[derive(Debug, Default)]
pub(crate) struct CommandStats {
    /// By command name, in the order first seen (Redis lists them in its table's order).
    commands: Map<&'static str, CommandStat>,
    order: Vec<&'static str>,
    /// Error replies by code (`ERR`, `WRONGTYPE`, …).
    errors: BTreeMap<String, u64>,
    slowlog: Slowlog,
    /// The calls of blocked clients, counted again and logged once their wait ends.
    blocked: Map<ClientId, BlockedCall>,
    /// LATENCY's monitor (its `command`, `fast-command` and `expire-cycle` events).
    pub(crate) latency: LatencyMonitor,
}

/// SLOWLOG: the slowest recent commands, newest first.
#[derive(Debug)]
struct Slowlog {
    entries: VecDeque<SlowEntry>,
    next_id: u64,
    /// `slowlog-log-slower-than` in microseconds; negative turns the log off.
    slower_than: i64,
    /// `slowlog-max-len`.
    max_len: usize,
}

impl Default for Slowlog {
    fn default() -> Slowlog {
        Slowlog {
            entries: VecDeque::new(),
            next_id: 0,
            slower_than: 10_000,
            max_len: 128,
        }
    }
}

#[derive(Debug)]
struct SlowEntry {
    id: u64,
    unix_time: i64,
    micros: u64,
    args: Vec<Vec<u8>>,
    client: String,
    name: Vec<u8>,
}

/// A blocked command's call: Redis counts its time again, into its latency histogram, and logs
/// it in SLOWLOG when it is served or CLIENT UNBLOCK ends it (`updateStatsOnUnblock`), not when
/// it blocks nor when it times out.
#[derive(Debug)]
struct BlockedCall {
    name: &'static str,
    /// Its first run's time.
    took: Duration,
    argv: Argv,
    client: SlowClient,
}

/// Who ran a command, for its SLOWLOG entry: `ip:port` (`?:0` for a script's commands) and the
/// client's name.
#[derive(Debug)]
pub(crate) struct SlowClient {
    pub(crate) addr: String,
    pub(crate) name: Vec<u8>,
}

/// The most arguments and bytes of an argument a SLOWLOG entry keeps (Redis's).
const SLOWLOG_MAX_ARGS: usize = 32;
const SLOWLOG_MAX_ARG_LEN: usize = 128;

impl CommandStats {
    fn stat(&mut self, name: &'static str) -> &mut CommandStat {
        if !self.commands.contains_key(name) {
            self.order.push(name);
        }
        self.commands.entry(name).or_default()
    }

    /// A command that ran, for `took`, answering `reply`.
    pub(crate) fn ran(&mut self, name: &'static str, took: Duration, reply: &Reply) {
        self.ran_blocking(name, took, reply, false);
    }

    /// [`CommandStats::ran`] for a command that may have `blocked`: then its latency waits
    /// until it is served ([`CommandStats::unblocked`]), as Redis's.
    pub(crate) fn ran_blocking(&mut self, name: &'static str, took: Duration, reply: &Reply, blocked: bool) {
        let stat = self.stat(name);
        stat.calls += 1;
        stat.micros += took.as_micros() as u64;
        if !blocked {
            stat.latency.record(took);
        }
        if let Reply::Error(_) = reply {
            stat.failed += 1;
        }
        let ms = took.as_millis() as u64;
        if self.latency.reaches(ms) {
            let event = if super::reference::is_fast(name) {
                "fast-command"
            } else {
                "command"
            };
            self.latency.sample(event, ms);
        }
        if let Reply::Error(e) = reply
            && !ERROR_ALREADY_COUNTED.take()
        {
            self.error(e);
        }
    }

    /// A command `name` that ran for `took` and blocked `client`: its call is counted (with
    /// [`CommandStats::ran_blocking`]), the rest waits for [`CommandStats::wait_ended`].
    pub(crate) fn blocked(
        &mut self,
        client: ClientId,
        name: &'static str,
        took: Duration,
        argv: Argv,
        who: SlowClient,
    ) {
        let call = BlockedCall {
            name,
            took,
            argv,
            client: who,
        };
        self.blocked.insert(client, call);
    }

    /// The wait of `client`'s blocked command ended so, with `error` if a key served it an
    /// error: served or interrupted, its time counts again, into its latency, and it is logged
    /// (without its arguments when interrupted, as Redis has freed them by then); interrupted
    /// or served an error, it failed. It is not a new call. A timeout, or a client that left,
    /// only forgets it.
    pub(crate) fn wait_ended(&mut self, client: ClientId, end: WaitEnd, error: Option<&CommandError>) {
        let Some(call) = self.blocked.remove(&client) else {
            return;
        };
        if end == WaitEnd::TimedOut {
            return;
        }
        let stat = self.stat(call.name);
        stat.micros += call.took.as_micros() as u64;
        stat.latency.record(call.took);
        stat.failed += u64::from(end == WaitEnd::Interrupted || error.is_some());
        if let Some(error) = error {
            self.error(error);
        }
        let argv = if end == WaitEnd::Served {
            call.argv
        } else {
            Argv::default()
        };
        self.slow(call.took, &argv, || call.client);
    }

    /// The running command `name` sent `error` to another client (CLIENT UNBLOCK … ERROR): in
    /// Redis any error reply during a call fails the call, whoever it went to.
    pub(crate) fn errored_elsewhere(&mut self, name: &'static str, error: &CommandError) {
        self.error(error);
        self.stat(name).failed += 1;
    }

    /// A command refused before it ran, with `error`; `name` if the command is known.
    pub(crate) fn rejected(&mut self, name: Option<&'static str>, error: &CommandError) {
        if let Some(name) = name {
            self.stat(name).rejected += 1;
        }
        self.error(error);
    }

    /// An error reply sent, counted by its code.
    pub(crate) fn error(&mut self, error: &CommandError) {
        let line = error.to_string();
        let code = line.split(' ').next().unwrap_or("ERR").to_string();
        *self.errors.entry(code).or_default() += 1;
    }

    /// INFO's `total_error_replies`.
    pub(crate) fn total_errors(&self) -> u64 {
        self.errors.values().sum()
    }

    /// CONFIG RESETSTAT (the slow log stays).
    pub(crate) fn reset(&mut self) {
        self.commands.clear();
        self.order.clear();
        self.errors.clear();
    }

    /// Logs `argv` if it took longer than `slowlog-log-slower-than`; `client` says who ran it.
    pub(crate) fn slow(&mut self, took: Duration, argv: &Argv, client: impl FnOnce() -> SlowClient) {
        let log = &mut self.slowlog;
        let micros = took.as_micros() as u64;
        if log.slower_than < 0 || (micros as i128) < i128::from(log.slower_than) {
            return;
        }
        let client = client();
        let args = redacted(argv);
        let kept = if args.len() > SLOWLOG_MAX_ARGS {
            let mut kept: Vec<Vec<u8>> = args[..SLOWLOG_MAX_ARGS - 1].to_vec();
            kept.push(format!("... ({} more arguments)", args.len() - (SLOWLOG_MAX_ARGS - 1)).into_bytes());
            kept
        } else {
            args
        };
        let args = kept
            .into_iter()
            .map(|arg| {
                if arg.len() > SLOWLOG_MAX_ARG_LEN {
                    let mut cut = arg[..SLOWLOG_MAX_ARG_LEN].to_vec();
                    cut.extend_from_slice(format!("... ({} more bytes)", arg.len() - SLOWLOG_MAX_ARG_LEN).as_bytes());
                    cut
                } else {
                    arg
                }
            })
            .collect();
        let unix_time = crate::clock::system_micros().div_euclid(1_000_000);
        log.entries.push_front(SlowEntry {
            id: log.next_id,
            unix_time,
            micros,
            args,
            client: client.addr,
            name: client.name,
        });
        log.next_id += 1;
        log.entries.truncate(log.max_len);
    }

    /// CONFIG SET slowlog-log-slower-than (microseconds, negative: off) and slowlog-max-len.
    pub(crate) fn set_slowlog(&mut self, slower_than: i64, max_len: usize) {
        self.slowlog.slower_than = slower_than;
        self.slowlog.max_len = max_len;
        self.slowlog.entries.truncate(max_len);
    }

    /// SLOWLOG GET [count]: the newest `count` entries (all for -1).
    pub(crate) fn slowlog_get(&self, count: Option<usize>) -> Reply {
        let entries = self.slowlog.entries.iter().take(count.unwrap_or(usize::MAX));
        Reply::Array(
            entries
                .map(|e| {
                    Reply::Array(vec![
                        Reply::Integer(e.id as i64),
                        Reply::Integer(e.unix_time),
                        Reply::Integer(e.micros as i64),
                        Reply::Array(e.args.iter().map(|a| Reply::Bulk(a.clone())).collect()),
                        Reply::bulk(e.client.as_bytes()),
                        Reply::Bulk(e.name.clone()),
                    ])
                })
                .collect(),
        )
    }

    /// `slowlog-log-slower-than`, for LATENCY DOCTOR's advice.
    pub(crate) fn slowlog_slower_than(&self) -> i64 {
        self.slowlog.slower_than
    }

    /// LATENCY HISTOGRAM [command ...]: for each command named (a container: its subcommands)
    /// that ran since the last CONFIG RESETSTAT, or all of them without names, its calls and
    /// cumulative latency histogram.
    pub(crate) fn latency_histogram(&self, names: &[&[u8]]) -> Reply {
        let histogram = |name: &str, stat: &CommandStat| {
            (
                Reply::bulk(name),
                Reply::map([
                    ("calls", Reply::Integer(stat.calls as i64)),
                    ("histogram_usec", stat.latency.cumulative()),
                ]),
            )
        };
        let ran = |name: &&'static str| self.commands.get(name).filter(|stat| stat.calls > 0);
        let mut pairs = Vec::new();
        if names.is_empty() {
            for name in &self.order {
                if let Some(stat) = ran(name) {
                    pairs.push(histogram(name, stat));
                }
            }
        } else {
            for wanted in names {
                let wanted = String::from_utf8_lossy(wanted).to_lowercase();
                for name in &self.order {
                    let container = name.split_once('|').is_some_and(|(top, _)| top == wanted);
                    if (*name == wanted || container)
                        && let Some(stat) = ran(name)
                    {
                        pairs.push(histogram(name, stat));
                    }
                }
            }
        }
        Reply::Map(pairs)
    }

    /// SLOWLOG LEN.
    pub(crate) fn slowlog_len(&self) -> usize {
        self.slowlog.entries.len()
    }

    /// SLOWLOG RESET.
    pub(crate) fn slowlog_reset(&mut self) {
        self.slowlog.entries.clear();
    }

    /// The body of INFO's `commandstats` section.
    pub(crate) fn commandstats(&self) -> String {
        self.each(|name, stat| {
            let per_call = if stat.calls == 0 {
                0.0
            } else {
                stat.micros as f64 / stat.calls as f64
            };
            format!(
                "cmdstat_{name}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
                stat.calls, stat.micros, stat.rejected, stat.failed
            )
        })
    }

    /// The body of INFO's `latencystats` section: the 50th, 99th and 99.9th percentiles of each
    /// command's time, in microseconds.
    pub(crate) fn latencystats(&self) -> String {
        self.each(|name, stat| {
            if stat.calls == 0 {
                return String::new();
            }
            let [p50, p99, p999] = [50.0, 99.0, 99.9].map(|p| stat.latency.percentile(p));
            format!("latency_percentiles_usec_{name}:p50={p50:.3},p99={p99:.3},p99.9={p999:.3}\r\n")
        })
    }

    /// The body of INFO's `errorstats` section.
    pub(crate) fn errorstats(&self) -> String {
        self.errors
            .iter()
            .map(|(code, count)| format!("errorstat_{code}:count={count}\r\n"))
            .collect()
    }

    fn each(&self, line: impl Fn(&str, &CommandStat) -> String) -> String {
        self.order
            .iter()
            .filter_map(|name| self.commands.get(name).map(|stat| line(name, stat)))
            .collect()
    }
}

/// The arguments of a command as the slow log and MONITOR show them: secrets replaced by
/// `(redacted)` where Redis's command redacts them as it reads its arguments — AUTH's (when it
/// has one or two), HELLO's AUTH option (read after a valid version, while the options before
/// it are well formed), MIGRATE's AUTH and AUTH2 options (likewise), ACL SETUSER's name and
/// rules, and CONFIG SET of a password.
pub(crate) fn redacted(argv: &Argv) -> Vec<Vec<u8>> {
    const HIDDEN: &[u8] = b"(redacted)";
    let mut args: Vec<Vec<u8>> = argv.iter().map(<[u8]>::to_vec).collect();
    let is = |arg: &[u8], word: &str| arg.eq_ignore_ascii_case(word.as_bytes());
    let name = args.first().cloned().unwrap_or_default();
    let hide = |args: &mut Vec<Vec<u8>>, at: usize| {
        if let Some(arg) = args.get_mut(at) {
            *arg = HIDDEN.to_vec();
        }
    };
    if is(&name, "auth") {
        if args.len() <= 3 {
            (1..args.len()).for_each(|at| hide(&mut args, at));
        }
    } else if is(&name, "hello") {
        let version = args.get(1).and_then(|v| crate::number::parse_i64(v));
        let mut at = 2;
        while matches!(version, Some(2 | 3)) && at < args.len() {
            let more = args.len() - 1 - at;
            if is(&args[at], "auth") && more >= 2 {
                hide(&mut args, at + 1);
                hide(&mut args, at + 2);
                at += 3;
            } else if is(&args[at], "setname") && more >= 1 {
                at += 2;
            } else {
                break;
            }
        }
    } else if is(&name, "migrate") {
        let mut at = 6;
        while at < args.len() {
            let more = args.len() - 1 - at;
            if is(&args[at], "copy") || is(&args[at], "replace") {
                at += 1;
            } else if is(&args[at], "auth") && more >= 1 {
                hide(&mut args, at + 1);
                at += 2;
            } else if is(&args[at], "auth2") && more >= 2 {
                hide(&mut args, at + 1);
                hide(&mut args, at + 2);
                at += 3;
            } else {
                break;
            }
        }
    } else if is(&name, "acl") && args.get(1).is_some_and(|a| is(a, "setuser")) {
        // Everything after the subcommand, the user's name included.
        (2..args.len()).for_each(|at| hide(&mut args, at));
    } else if is(&name, "config") && args.get(1).is_some_and(|a| is(a, "set")) {
        for pair in (2..args.len()).step_by(2) {
            let secret = ["requirepass", "masterauth", "masteruser"]
                .iter()
                .any(|s| is(&args[pair], s));
            if secret && let Some(value) = args.get_mut(pair + 1) {
                *value = HIDDEN.to_vec();
            }
        }
    }
    args
}

/// Times in buckets 1/8 of a power of two wide, from 1024 ns up (Redis's HdrHistogram keeps
/// two significant digits; this keeps one and a bit), so that the powers of two LATENCY
/// HISTOGRAM reports at (1024 ns × 2^k) are bucket edges.
#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

/// Sub-buckets per power of two.
const STEPS: u32 = 8;

impl Histogram {
    fn record(&mut self, took: Duration) {
        let bucket = Self::bucket(took.as_nanos() as u64);
        if self.counts.len() <= bucket {
            self.counts.resize(bucket + 1, 0);
        }
        self.counts[bucket] += 1;
        self.total += 1;
    }

    /// The bucket of `nanos`: below 1024 ns all go to the first.
    fn bucket(nanos: u64) -> usize {
        let scaled = (nanos.saturating_mul(u64::from(STEPS)) / 1024).max(u64::from(STEPS));
        let power = 63 - scaled.leading_zeros();
        let within = (scaled >> (power - 3)) & u64::from(STEPS - 1);
        ((power - 3) * STEPS + within as u32) as usize
    }

    /// The upper edge of `bucket`, in nanoseconds.
    fn upper_nanos(bucket: usize) -> u64 {
        let power = bucket as u32 / STEPS + 3;
        let within = bucket as u64 % u64::from(STEPS);
        let scaled = (1u64 << power) + (within + 1) * (1u64 << (power - 3));
        scaled * 1024 / u64::from(STEPS)
    }

    /// The time under which `percent` of the samples fall, in microseconds.
    fn percentile(&self, percent: f64) -> f64 {
        let wanted = ((percent / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return Self::upper_nanos(bucket) as f64 / 1000.0;
            }
        }
        0.0
    }

    /// LATENCY HISTOGRAM's `histogram_usec`: the samples at or under 1024 ns × 2^k for k = 0,
    /// 1, … (cumulative), labelled as Redis labels them (that bound's highest equivalent value
    /// in its HdrHistogram, in whole microseconds), where the count grows.
    fn cumulative(&self) -> Reply {
        let mut pairs = Vec::new();
        let (mut seen, mut previous) = (0u64, 0u64);
        let mut next_bucket = 0;
        for k in 0..40u32 {
            // Buckets wholly under the bound, and the first one at it.
            let last = (k * STEPS) as usize;
            while next_bucket <= last && next_bucket < self.counts.len() {
                seen += self.counts[next_bucket];
                next_bucket += 1;
            }
            if seen > previous {
                let bound = 1024u64 << k;
                pairs.push((
                    Reply::Integer(((bound + bound / 128 - 1) / 1000) as i64),
                    Reply::Integer(seen as i64),
                ));
                previous = seen;
            }
            if seen >= self.total {
                break;
            }
        }
        Reply::Map(pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_calls_failures_rejections_and_errors() {
        let mut stats = CommandStats::default();
        stats.ran("get", Duration::from_micros(3), &Reply::Nil);
        stats.ran(
            "incr",
            Duration::from_micros(1),
            &Reply::Error(CommandError::NotInteger),
        );
        stats.rejected(Some("get"), &CommandError::WrongArity("get".into()));
        stats.rejected(None, &CommandError::BusyScript);
        assert_eq!(
            stats.commandstats(),
            "cmdstat_get:calls=1,usec=3,usec_per_call=3.00,rejected_calls=1,failed_calls=0\r\n\
             cmdstat_incr:calls=1,usec=1,usec_per_call=1.00,rejected_calls=0,failed_calls=1\r\n"
        );
        assert_eq!(
            stats.errorstats(),
            "errorstat_BUSY:count=1\r\nerrorstat_ERR:count=2\r\n"
        );
        assert_eq!(stats.total_errors(), 3);
        stats.reset();
        assert_eq!((stats.commandstats(), stats.total_errors()), (String::new(), 0));
    }

    #[test]
    fn percentiles_fall_in_the_right_bucket() {
        let mut histogram = Histogram::default();
        for micros in 1..=100 {
            histogram.record(Duration::from_micros(micros));
        }
        let p50 = histogram.percentile(50.0);
        assert!((50.0..=58.0).contains(&p50), "{p50}");
        let p99 = histogram.percentile(99.0);
        assert!((99.0..=115.0).contains(&p99), "{p99}");
        assert!(histogram.percentile(99.9) >= p99);
        let mut fast = Histogram::default();
        fast.record(Duration::from_nanos(10));
        assert_eq!(fast.percentile(50.0), 1.152);
        fast.record(Duration::from_micros(3));
        assert_eq!(
            fast.cumulative(),
            Reply::Map(vec![
                (Reply::Integer(1), Reply::Integer(1)),
                (Reply::Integer(4), Reply::Integer(2)),
            ])
        );
    }
}
