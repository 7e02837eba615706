//! What CONFIG SET accepts for each parameter, as Redis 7.0's config table types them: a yes/no,
//! one of named values, an integer or a memory value within bounds, free text; which parameters
//! cannot change at run time; and the older names (aliases) that share a parameter's value.
//! A value is checked and brought to the form CONFIG GET answers (`1mb` → `1048576`, `YES` →
//! `yes`) before any parameter of the call changes.

use crate::CommandError;

/// How a parameter's value is checked and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `yes` or `no`, any case.
    Bool,
    /// One of these names, any case.
    Enum(&'static [&'static str]),
    /// A decimal integer (as `string2ll` reads it) within bounds.
    Int(i128, i128),
    /// A memory value (`100`, `1k`, `1kb`, `1mb`, `1gb`, …) within bounds.
    Memory(i128, i128),
    /// A memory value, or a percentage of maxmemory (`10%`, at most 100).
    MemoryOrPercent,
    /// Set only at startup.
    Immutable,
    /// Set only with `enable-protected-configs` (never here).
    Protected,
    /// `client-output-buffer-limit`: classes (normal, replica or slave, pubsub), each with a
    /// hard and a soft memory limit and the soft limit's seconds.
    OutputBufferLimits,
    /// `notify-keyspace-events`: event class letters.
    KeyspaceEvents,
    /// `save`: pairs of seconds and changes.
    SavePoints,
    /// Any text.
    Text,
}

const INT_MAX: i128 = i32::MAX as i128;
const INT_MIN: i128 = i32::MIN as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

/// Every typed parameter of Redis 7.0; the rest are [`Kind::Text`].
const KINDS: &[(&str, Kind)] = &[
    // yes/no
    ("protected-mode", Kind::Bool),
    ("rdbcompression", Kind::Bool),
    ("rdb-del-sync-files", Kind::Bool),
    ("activerehashing", Kind::Bool),
    ("stop-writes-on-bgsave-error", Kind::Bool),
    ("dynamic-hz", Kind::Bool),
    ("lazyfree-lazy-eviction", Kind::Bool),
    ("lazyfree-lazy-expire", Kind::Bool),
    ("lazyfree-lazy-server-del", Kind::Bool),
    ("lazyfree-lazy-user-del", Kind::Bool),
    ("lazyfree-lazy-user-flush", Kind::Bool),
    ("repl-disable-tcp-nodelay", Kind::Bool),
    ("repl-diskless-sync", Kind::Bool),
    ("aof-rewrite-incremental-fsync", Kind::Bool),
    ("no-appendfsync-on-rewrite", Kind::Bool),
    ("cluster-require-full-coverage", Kind::Bool),
    ("rdb-save-incremental-fsync", Kind::Bool),
    ("aof-load-truncated", Kind::Bool),
    ("aof-use-rdb-preamble", Kind::Bool),
    ("aof-timestamp-enabled", Kind::Bool),
    ("cluster-replica-no-failover", Kind::Bool),
    ("replica-lazy-flush", Kind::Bool),
    ("replica-serve-stale-data", Kind::Bool),
    ("replica-read-only", Kind::Bool),
    ("replica-ignore-maxmemory", Kind::Bool),
    ("jemalloc-bg-thread", Kind::Bool),
    ("activedefrag", Kind::Bool),
    ("appendonly", Kind::Bool),
    ("cluster-allow-reads-when-down", Kind::Bool),
    ("cluster-allow-pubsubshard-when-down", Kind::Bool),
    ("crash-log-enabled", Kind::Bool),
    ("crash-memcheck-enabled", Kind::Bool),
    ("cluster-allow-replica-migration", Kind::Bool),
    ("replica-announced", Kind::Bool),
    ("latency-tracking", Kind::Bool),
    ("aof-disable-auto-gc", Kind::Bool),
    ("tls-cluster", Kind::Bool),
    ("tls-replication", Kind::Bool),
    ("tls-prefer-server-ciphers", Kind::Bool),
    ("tls-session-caching", Kind::Bool),
    // named values
    ("repl-diskless-load", Kind::Enum(&["disabled", "on-empty-db", "swapdb"])),
    ("loglevel", Kind::Enum(&["debug", "verbose", "notice", "warning"])),
    (
        "maxmemory-policy",
        Kind::Enum(&[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction",
        ]),
    ),
    ("appendfsync", Kind::Enum(&["everysec", "always", "no"])),
    ("oom-score-adj", Kind::Enum(&["no", "yes", "relative", "absolute"])),
    ("acl-pubsub-default", Kind::Enum(&["allchannels", "resetchannels"])),
    ("sanitize-dump-payload", Kind::Enum(&["no", "yes", "clients"])),
    (
        "cluster-preferred-endpoint-type",
        Kind::Enum(&["ip", "hostname", "unknown-endpoint"]),
    ),
    ("tls-auth-clients", Kind::Enum(&["no", "yes", "optional"])),
    // integers
    ("port", Kind::Int(0, 65535)),
    ("auto-aof-rewrite-percentage", Kind::Int(0, INT_MAX)),
    ("cluster-replica-validity-factor", Kind::Int(0, INT_MAX)),
    ("list-max-listpack-size", Kind::Int(INT_MIN, INT_MAX)),
    ("tcp-keepalive", Kind::Int(0, INT_MAX)),
    ("cluster-migration-barrier", Kind::Int(0, INT_MAX)),
    ("active-defrag-cycle-min", Kind::Int(1, 99)),
    ("active-defrag-cycle-max", Kind::Int(1, 99)),
    ("active-defrag-threshold-lower", Kind::Int(0, 1000)),
    ("active-defrag-threshold-upper", Kind::Int(0, 1000)),
    ("lfu-log-factor", Kind::Int(0, INT_MAX)),
    ("lfu-decay-time", Kind::Int(0, INT_MAX)),
    ("replica-priority", Kind::Int(0, INT_MAX)),
    ("repl-diskless-sync-delay", Kind::Int(0, INT_MAX)),
    ("maxmemory-samples", Kind::Int(1, INT_MAX)),
    ("maxmemory-eviction-tenacity", Kind::Int(0, 100)),
    ("timeout", Kind::Int(0, INT_MAX)),
    ("replica-announce-port", Kind::Int(0, 65535)),
    ("cluster-announce-bus-port", Kind::Int(0, 65535)),
    ("cluster-announce-port", Kind::Int(0, 65535)),
    ("cluster-announce-tls-port", Kind::Int(0, 65535)),
    ("repl-timeout", Kind::Int(1, INT_MAX)),
    ("repl-ping-replica-period", Kind::Int(1, INT_MAX)),
    ("list-compress-depth", Kind::Int(0, INT_MAX)),
    ("active-expire-effort", Kind::Int(1, 10)),
    ("hz", Kind::Int(0, INT_MAX)),
    ("min-replicas-to-write", Kind::Int(0, INT_MAX)),
    ("min-replicas-max-lag", Kind::Int(0, INT_MAX)),
    ("shutdown-timeout", Kind::Int(0, INT_MAX)),
    ("repl-diskless-sync-max-replicas", Kind::Int(0, INT_MAX)),
    ("tls-port", Kind::Int(0, 65535)),
    ("tls-session-cache-size", Kind::Int(0, INT_MAX)),
    ("tls-session-cache-timeout", Kind::Int(0, INT_MAX)),
    ("maxclients", Kind::Int(1, UINT_MAX)),
    ("active-defrag-max-scan-fields", Kind::Int(1, LONG_MAX)),
    ("slowlog-max-len", Kind::Int(0, LONG_MAX)),
    ("acllog-max-len", Kind::Int(0, LONG_MAX)),
    ("busy-reply-threshold", Kind::Int(0, LONG_MAX)),
    ("cluster-node-timeout", Kind::Int(0, LONG_MAX)),
    ("slowlog-log-slower-than", Kind::Int(-1, LONG_MAX)),
    ("latency-monitor-threshold", Kind::Int(0, LONG_MAX)),
    ("stream-node-max-entries", Kind::Int(0, LONG_MAX)),
    ("hash-max-listpack-entries", Kind::Int(0, LONG_MAX)),
    ("set-max-intset-entries", Kind::Int(0, LONG_MAX)),
    ("zset-max-listpack-entries", Kind::Int(0, LONG_MAX)),
    ("tracking-table-max-keys", Kind::Int(0, LONG_MAX)),
    ("repl-backlog-ttl", Kind::Int(0, LONG_MAX)),
    // memory values
    ("proto-max-bulk-len", Kind::Memory(1024 * 1024, LONG_MAX)),
    ("repl-backlog-size", Kind::Memory(1, LONG_MAX)),
    ("maxmemory", Kind::Memory(0, ULLONG_MAX)),
    ("cluster-link-sendbuf-limit", Kind::Memory(0, ULLONG_MAX)),
    ("active-defrag-ignore-bytes", Kind::Memory(1, LONG_MAX)),
    ("hash-max-listpack-value", Kind::Memory(0, LONG_MAX)),
    ("stream-node-max-bytes", Kind::Memory(0, LONG_MAX)),
    ("zset-max-listpack-value", Kind::Memory(0, LONG_MAX)),
    ("hll-sparse-max-bytes", Kind::Memory(0, LONG_MAX)),
    ("client-query-buffer-limit", Kind::Memory(1024 * 1024, LONG_MAX)),
    ("auto-aof-rewrite-min-size", Kind::Memory(0, LONG_MAX)),
    ("maxmemory-clients", Kind::MemoryOrPercent),
    ("client-output-buffer-limit", Kind::OutputBufferLimits),
    ("notify-keyspace-events", Kind::KeyspaceEvents),
    ("save", Kind::SavePoints),
    // hidden (CONFIG GET lists them only when asked by name)
    ("use-exit-on-panic", Kind::Bool),
    ("lua-enable-deprecated-api", Kind::Immutable),
    ("rdb-key-save-delay", Kind::Int(INT_MIN, INT_MAX)),
    ("key-load-delay", Kind::Int(INT_MIN, INT_MAX)),
    ("watchdog-period", Kind::Int(0, INT_MAX)),
    ("loading-process-events-interval-bytes", Kind::Int(1024, INT_MAX)),
    // set at startup only
    ("rdbchecksum", Kind::Immutable),
    ("daemonize", Kind::Immutable),
    ("io-threads-do-reads", Kind::Immutable),
    ("always-show-logo", Kind::Immutable),
    ("set-proc-title", Kind::Immutable),
    ("syslog-enabled", Kind::Immutable),
    ("cluster-enabled", Kind::Immutable),
    ("disable-thp", Kind::Immutable),
    ("aclfile", Kind::Immutable),
    ("unixsocket", Kind::Immutable),
    ("pidfile", Kind::Immutable),
    ("cluster-config-file", Kind::Immutable),
    ("syslog-ident", Kind::Immutable),
    ("appendfilename", Kind::Immutable),
    ("appenddirname", Kind::Immutable),
    ("server_cpulist", Kind::Immutable),
    ("bio_cpulist", Kind::Immutable),
    ("aof_rewrite_cpulist", Kind::Immutable),
    ("bgsave_cpulist", Kind::Immutable),
    ("logfile", Kind::Immutable),
    ("supervised", Kind::Immutable),
    ("syslog-facility", Kind::Immutable),
    ("enable-protected-configs", Kind::Immutable),
    ("enable-debug-command", Kind::Immutable),
    ("enable-module-command", Kind::Immutable),
    ("databases", Kind::Immutable),
    ("io-threads", Kind::Immutable),
    ("tcp-backlog", Kind::Immutable),
    ("cluster-port", Kind::Immutable),
    ("unixsocketperm", Kind::Immutable),
    // protected
    ("dir", Kind::Protected),
    ("dbfilename", Kind::Protected),
];

/// Redis's hidden parameters (testing aids): CONFIG GET shows them only when asked by name, not
/// for a pattern.
const HIDDEN: &[&str] = &[
    "use-exit-on-panic",
    "lua-enable-deprecated-api",
    "rdb-key-save-delay",
    "key-load-delay",
    "watchdog-period",
    "loading-process-events-interval-bytes",
];

/// Whether CONFIG GET `pattern` lists the parameter `name`: a pattern matching it, except that
/// a hidden parameter is listed only for its exact name.
pub(super) fn listed_for(pattern: &[u8], name: &str) -> bool {
    if HIDDEN.contains(&name) {
        return pattern == name.as_bytes();
    }
    crate::command::glob_matches(pattern, name.as_bytes())
}

/// Older names and the parameters they stand for.
const ALIASES: &[(&str, &str)] = &[
    ("cluster-slave-validity-factor", "cluster-replica-validity-factor"),
    ("list-max-ziplist-size", "list-max-listpack-size"),
    ("slave-priority", "replica-priority"),
    ("slave-announce-port", "replica-announce-port"),
    ("repl-ping-slave-period", "repl-ping-replica-period"),
    ("min-slaves-to-write", "min-replicas-to-write"),
    ("min-slaves-max-lag", "min-replicas-max-lag"),
    ("lua-time-limit", "busy-reply-threshold"),
    ("hash-max-ziplist-entries", "hash-max-listpack-entries"),
    ("zset-max-ziplist-entries", "zset-max-listpack-entries"),
    ("hash-max-ziplist-value", "hash-max-listpack-value"),
    ("zset-max-ziplist-value", "zset-max-listpack-value"),
    ("cluster-slave-no-failover", "cluster-replica-no-failover"),
    ("slave-lazy-flush", "replica-lazy-flush"),
    ("slave-serve-stale-data", "replica-serve-stale-data"),
    ("slave-read-only", "replica-read-only"),
    ("slave-ignore-maxmemory", "replica-ignore-maxmemory"),
    ("slave-announce-ip", "replica-announce-ip"),
    ("slaveof", "replicaof"),
];

/// The parameter `name` (lowercase) stands for: itself, or the parameter it is an alias of.
pub(super) fn canonical(name: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, of)| of)
}

/// The names that show one parameter's value: the parameter and its aliases.
pub(super) fn names_of(name: &str) -> impl Iterator<Item = &str> {
    std::iter::once(name).chain(
        ALIASES
            .iter()
            .filter(move |(_, of)| *of == name)
            .map(|(alias, _)| *alias),
    )
}

fn kind(name: &str) -> Kind {
    KINDS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(Kind::Text, |(_, kind)| *kind)
}

/// Redis's error for a CONFIG SET of `name` refused because of `why`.
pub(super) fn set_failed(name: &str, why: &str) -> CommandError {
    CommandError::Other(format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}").into())
}

/// Checks that the parameter `name` (lowercase, known) may be set at run time at all — Redis
/// checks this for every parameter of a CONFIG SET before any value; the error names it as
/// `typed` (as given, where the errors about values name it in lowercase).
pub(super) fn check_settable(name: &str, typed: &str) -> Result<(), CommandError> {
    match kind(canonical(name)) {
        Kind::Immutable => Err(set_failed(typed, "can't set immutable config")),
        Kind::Protected => Err(set_failed(typed, "can't set protected config")),
        _ => Ok(()),
    }
}

/// Checks a CONFIG SET of `name` (lowercase, known, settable) to `value`: the parameter it sets
/// (an alias sets the one it stands for) and the value in the form CONFIG GET shows.
pub(super) fn check(name: &str, value: &str) -> Result<(String, String), CommandError> {
    let canonical = canonical(name);
    normalize(canonical, value)
        .map(|shown| (canonical.to_string(), shown))
        .map_err(|why| set_failed(name, &why))
}

/// Checks `value` for the parameter `name` (canonical, lowercase, settable) and answers the form
/// CONFIG GET shows, or why it is refused (the text after Redis's `CONFIG SET failed … - `).
fn normalize(name: &str, value: &str) -> Result<String, String> {
    let between = |min: i128, max: i128, n: i128| {
        if (min..=max).contains(&n) {
            Ok(n.to_string())
        } else {
            Err(format!("argument must be between {min} and {max} inclusive"))
        }
    };
    match kind(name) {
        Kind::Text | Kind::Immutable | Kind::Protected => Ok(value.to_string()),
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            answer @ ("yes" | "no") => Ok(answer.to_string()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Enum(names) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(value))
            .map(|n| n.to_string())
            .ok_or_else(|| format!("argument(s) must be one of the following: {}", names.join(", "))),
        Kind::Int(min, max) => match crate::number::parse_i64(value.as_bytes()) {
            // Redis keeps hz within 1..=500 whatever is set.
            Some(n) if name == "hz" => between(min, max, n as i128).map(|_| n.clamp(1, 500).to_string()),
            Some(n) => between(min, max, n as i128),
            None => Err("argument couldn't be parsed into an integer".into()),
        },
        Kind::KeyspaceEvents => crate::keyspace::NotifyFlags::parse(value)
            .map(crate::keyspace::NotifyFlags::letters)
            .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
        Kind::SavePoints => crate::persistence::save_points(value)
            .map(|points| crate::persistence::show_save_points(&points))
            .ok_or_else(|| "Invalid save parameters".into()),
        Kind::OutputBufferLimits => output_buffer_limits(value).map(|classes| {
            classes
                .iter()
                .map(|(class, [hard, soft, seconds])| format!("{class} {hard} {soft} {seconds}"))
                .collect::<Vec<_>>()
                .join(" ")
        }),
        Kind::Memory(min, max) => match memory_value(value) {
            Some(n) => between(min, max, n),
            None => Err("argument must be a memory value".into()),
        },
        Kind::MemoryOrPercent => match value.strip_suffix('%') {
            Some(percent) => match crate::number::parse_i64(percent.as_bytes()) {
                Some(p) if p > 100 => Err("percentage argument must be less or equal to 100".into()),
                Some(p) if p >= 0 => Ok(format!("{p}%")),
                _ => Err("argument must be a memory or percent value".into()),
            },
            None => memory_value(value)
                .filter(|n| *n <= LONG_MAX)
                .map(|n| n.to_string())
                .ok_or_else(|| "argument must be a memory or percent value".into()),
        },
    }
}

/// The classes a `client-output-buffer-limit` value sets, each with its hard limit, soft limit
/// (bytes) and seconds, in Redis's order of checks and with its errors; `replica` is `slave`.
pub(super) fn output_buffer_limits(value: &str) -> Result<Vec<(&'static str, [u64; 3])>, String> {
    let words: Vec<&str> = value.split_whitespace().collect();
    if !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    words
        .chunks(4)
        .map(|chunk| {
            let class = match chunk[0].to_ascii_lowercase().as_str() {
                "normal" => "normal",
                "replica" | "slave" => "slave",
                "pubsub" => "pubsub",
                _ => return Err("Invalid client class specified in buffer limit configuration.".into()),
            };
            let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.".to_string();
            let memory = |text: &str| {
                memory_value(text)
                    .map(|n| n.min(u64::MAX as i128) as u64)
                    .ok_or_else(bad)
            };
            let seconds = crate::number::parse_i64(chunk[3].as_bytes())
                .filter(|n| *n >= 0)
                .ok_or_else(bad)?;
            Ok((class, [memory(chunk[1])?, memory(chunk[2])?, seconds as u64]))
        })
        .collect()
}

/// A memory value as redis.conf writes them (Redis's `memtoull`): digits, then a unit of b, k,
/// kb, m, mb, g or gb in any case; a number too large for 64 bits reads as the largest.
pub(super) fn memory_value(text: &str) -> Option<i128> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(at);
    let unit: i128 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.is_empty() {
        return None;
    }
    let n = digits.parse::<u64>().unwrap_or(u64::MAX) as i128;
    Some((n * unit).min(ULLONG_MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_typed_parameter_and_alias_is_one_redis_lists() {
        let listed = |name: &str| super::super::config_defaults::DEFAULTS.iter().any(|(n, _)| *n == name);
        for (name, _) in KINDS {
            assert!(listed(name), "{name} is not a CONFIG GET * parameter");
        }
        for (alias, of) in ALIASES {
            assert!(listed(alias) && listed(of), "{alias} → {of}");
        }
    }

    #[test]
    fn values_are_checked_and_shown_as_redis_shows_them() {
        assert_eq!(normalize("maxmemory", "1mb"), Ok("1048576".into()));
        assert_eq!(normalize("activerehashing", "YES"), Ok("yes".into()));
        assert_eq!(normalize("loglevel", "DEBUG"), Ok("debug".into()));
        assert_eq!(normalize("maxmemory-clients", "10%"), Ok("10%".into()));
        assert!(normalize("timeout", "010").is_err());
        assert!(normalize("timeout", "-1").is_err());
        assert!(normalize("maxmemory", "1.5mb").is_err());
        assert!(check_settable("databases", "databases").is_err());
        assert_eq!(
            check("lua-time-limit", "7"),
            Ok(("busy-reply-threshold".into(), "7".into()))
        );
        assert_eq!(canonical("lua-time-limit"), "busy-reply-threshold");
        assert_eq!(
            names_of("busy-reply-threshold").collect::<Vec<_>>(),
            ["busy-reply-threshold", "lua-time-limit"]
        );
    }
}
