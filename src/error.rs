//! Errors, each printing Redis's exact error line.
//!
//! A [`CommandError`]'s `Display` is the line Redis writes after the `-` of an error reply, so a server
//! writes `-{error}\r\n` and nothing else translates. The first word is the error code (`ERR`,
//! `WRONGTYPE`, `EXECABORT`, …), available on its own through [`CommandError::code`].

use std::borrow::Cow;

/// An error reply: what a Redis command answers when it fails.
///
/// In a transaction each command's error takes that command's slot of the EXEC reply and the other
/// commands still run; outside one it is the command's whole reply.
///
/// ```
/// use embedis::{Commands, CommandError, Store};
///
/// let store = Store::new();
/// store.rpush("list", "a")?;
/// let err = store.incr("list").unwrap_err();
/// assert_eq!(err, CommandError::WrongType);
/// assert_eq!(err.to_string(), "WRONGTYPE Operation against a key holding the wrong kind of value");
/// assert_eq!(err.code(), "WRONGTYPE");
/// # Ok::<(), CommandError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The key holds a value of another type than the command works on.
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    /// An argument or a stored string is not a 64-bit signed integer.
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    /// An argument or a stored string is not a floating point number.
    #[error("ERR value is not a valid float")]
    NotFloat,
    /// INCR, INCRBY, DECR or DECRBY would leave the 64-bit range.
    #[error("ERR increment or decrement would overflow")]
    IncrementOverflow,
    /// DECRBY with -9223372036854775808, whose negation does not exist.
    #[error("ERR decrement would overflow")]
    DecrementOverflow,
    /// INCRBYFLOAT whose result is not a finite number.
    #[error("ERR increment would produce NaN or Infinity")]
    NanOrInfinity,
    /// HINCRBY on a field that does not hold an integer.
    #[error("ERR hash value is not an integer")]
    HashValueNotInteger,
    /// Options or arguments in a combination the command does not accept.
    #[error("ERR syntax error")]
    Syntax,
    /// The command needs the key to exist (RENAME, LSET, …).
    #[error("ERR no such key")]
    NoSuchKey,
    /// A database index outside 0..=15.
    #[error("ERR DB index is out of range")]
    DbIndexOutOfRange,
    /// MOVE or COPY onto the key itself.
    #[error("ERR source and destination objects are the same")]
    SameObject,
    /// A TTL that is not positive or overflows, for the named command.
    #[error("ERR invalid expire time in '{0}' command")]
    InvalidExpireTime(&'static str),
    /// The wrong number of arguments for the named command (lowercase, as Redis prints it).
    #[error("ERR wrong number of arguments for '{0}' command")]
    WrongArity(String),
    /// A command name Redis does not know; the text is Redis's whole line.
    #[error("{0}")]
    UnknownCommand(String),
    /// EXEC after a command was refused while queuing.
    #[error("EXECABORT Transaction discarded because of previous errors.")]
    ExecAbort,
    /// EXEC itself was refused (for example `EXEC x`); carries the refusal without its `ERR ` code.
    #[error("EXECABORT Transaction discarded because of: {0}")]
    ExecAbortBecause(String),
    /// EXEC outside MULTI.
    #[error("ERR EXEC without MULTI")]
    ExecWithoutMulti,
    /// DISCARD outside MULTI.
    #[error("ERR DISCARD without MULTI")]
    DiscardWithoutMulti,
    /// MULTI inside MULTI (the transaction goes on, as in Redis).
    #[error("ERR MULTI calls can not be nested")]
    NestedMulti,
    /// WATCH inside MULTI (the transaction goes on, as in Redis).
    #[error("ERR WATCH inside MULTI is not allowed")]
    WatchInMulti,
    /// A command Redis refuses inside MULTI (SAVE, SHUTDOWN, …); the transaction is aborted.
    #[error("ERR Command not allowed inside a transaction")]
    NotAllowedInMulti,
    /// Another client's EVAL script has run past `busy-reply-threshold` and holds the store: only
    /// SCRIPT KILL (or a server's SHUTDOWN NOSAVE) gets through.
    #[error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")]
    BusyScript,
    /// As [`CommandError::BusyScript`] for a function (FCALL): only FUNCTION KILL gets through.
    #[error("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")]
    BusyFunction,
    /// `maxmemory` is reached and the policy can evict nothing more: commands that may grow the
    /// store (Redis's `denyoom` ones) are refused; reads, deletes and the like still run.
    #[error("OOM command not allowed when used memory > 'maxmemory'.")]
    OutOfMemory,
    /// A write while `min-replicas-to-write` asks for more replicas acknowledging within
    /// `min-replicas-max-lag` seconds than there are.
    #[error("NOREPLICAS Not enough good replicas to write.")]
    NoReplicas,
    /// A write on a replica of a primary (REPLICAOF) while `replica-read-only` is on: the
    /// replica's data is the primary's.
    #[error("READONLY You can't write against a read only replica.")]
    ReadOnlyReplica,
    /// A command on a replica whose link with its primary is down, while
    /// `replica-serve-stale-data` is off (only the commands Redis flags `stale` run then).
    #[error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")]
    MasterDown,
    /// SCRIPT KILL or FUNCTION KILL with no script running.
    #[error("NOTBUSY No scripts in execution right now.")]
    NotBusy,
    /// SCRIPT KILL or FUNCTION KILL of a script that already wrote: its writes cannot be undone.
    #[error(
        "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
    )]
    Unkillable,
    /// Cluster mode: the request's keys (or a transaction's, or a script's) hash to different
    /// slots, which no one node of a Redis Cluster serves together. Keys sharing a `{hash tag}`
    /// share a slot ([`key_slot`](crate::key_slot)).
    #[error("CROSSSLOT Keys in request don't hash to the same slot")]
    CrossSlot,
    /// Cluster mode: the node cannot serve the request now (`Hash slot not served`, `The cluster
    /// is down`, …).
    #[error("CLUSTERDOWN {0}")]
    ClusterDown(&'static str),
    /// Cluster mode: another node serves the slot of the request's keys; the client should send
    /// it there, and from now on send that slot's requests there.
    #[error("MOVED {slot} {address}")]
    Moved {
        /// The hash slot of the request's keys.
        slot: u16,
        /// `ip:port` of the node serving it.
        address: String,
    },
    /// Cluster mode: the slot is moving to another node, which has the keys the request names;
    /// the client should send this one request there, after ASKING.
    #[error("ASK {slot} {address}")]
    Ask {
        /// The hash slot of the request's keys.
        slot: u16,
        /// `ip:port` of the node the slot is moving to.
        address: String,
    },
    /// Cluster mode: the request names several keys of a slot that is moving, some already on
    /// the other node: the client should try again once the move is done.
    #[error("TRYAGAIN Multiple keys request during rehashing of slot")]
    TryAgain,
    /// Any other error line, written out in full (`ERR offset is out of range`, …).
    #[error("{0}")]
    Other(Cow<'static, str>),
    /// A reply could not be converted into the Rust type asked for. This never comes from Redis: it is
    /// the typed API telling you the type you chose does not fit the reply.
    #[error("ERR cannot convert reply {reply} into {target}")]
    Conversion {
        /// What the reply was, in short.
        reply: String,
        /// The Rust type asked for.
        target: &'static str,
    },
}

impl CommandError {
    /// The error code: the first word of the error line (`ERR`, `WRONGTYPE`, `EXECABORT`, …).
    ///
    /// ```
    /// use embedis::CommandError;
    /// assert_eq!(CommandError::Syntax.code(), "ERR");
    /// assert_eq!(CommandError::ExecAbort.code(), "EXECABORT");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            CommandError::WrongType => "WRONGTYPE",
            CommandError::ExecAbort | CommandError::ExecAbortBecause(_) => "EXECABORT",
            CommandError::BusyScript | CommandError::BusyFunction => "BUSY",
            CommandError::NotBusy => "NOTBUSY",
            CommandError::Unkillable => "UNKILLABLE",
            CommandError::CrossSlot => "CROSSSLOT",
            CommandError::ClusterDown(_) => "CLUSTERDOWN",
            CommandError::Moved { .. } => "MOVED",
            CommandError::Ask { .. } => "ASK",
            CommandError::TryAgain => "TRYAGAIN",
            CommandError::Other(line) => match line.split(' ').next() {
                Some("WRONGTYPE") => "WRONGTYPE",
                Some("BUSYKEY") => "BUSYKEY",
                Some("NOSCRIPT") => "NOSCRIPT",
                Some("NOTBUSY") => "NOTBUSY",
                Some("OOM") => "OOM",
                _ => "ERR",
            },
            _ => "ERR",
        }
    }

    /// An error with a full line of Redis's, code included.
    pub(crate) fn other(line: &'static str) -> CommandError {
        CommandError::Other(Cow::Borrowed(line))
    }

    /// The line without a leading `ERR `, as Redis quotes errors inside other errors.
    pub(crate) fn without_err_code(&self) -> String {
        let line = self.to_string();
        match line.strip_prefix("ERR ") {
            Some(rest) => rest.to_string(),
            None => line,
        }
    }
}
