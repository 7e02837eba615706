//! Typed calls that run without a command line: the counters and GET, the commands of the
//! check-and-set loops and transfers that [`Store::atomic`](crate::Store::atomic) and
//! [`Transaction`](crate::Transaction) exist for.
//!
//! A typed method of one of these commands, called with a key given as text or bytes (and a
//! count given as an integer), hands its handler's core the key itself — no command line is
//! written, looked up or parsed back. It runs so only where nothing looks at commands as command
//! lines: no client tracking keys, no command statistics, no reader of the replay form (an
//! append-only file, a replica), no monitor, no cluster routing, memory not exhausted, no
//! `min-replicas-to-write`. Anywhere
//! else, and for arguments of other types, the call becomes the command line the method would
//! have written, and takes the usual way. Either way the command does the same to the keyspace
//! and answers the same reply: the cores are the handlers' own (`command/string.rs`).

use crate::argv::{Argv, ToArgs};
use crate::command::Ctx;
use crate::command::string;
use crate::command::table::{self, CommandSpec};
use crate::error::CommandError;
use crate::keyspace::InlineBytes;
use crate::reply::Reply;
use crate::typed::Request;

/// The commands that run directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DirectCommand {
    Get,
    Incr,
    Decr,
    IncrBy,
    DecrBy,
}

impl DirectCommand {
    /// The command's name as its command line spells it.
    fn name(self) -> &'static str {
        match self {
            DirectCommand::Get => "GET",
            DirectCommand::Incr => "INCR",
            DirectCommand::Decr => "DECR",
            DirectCommand::IncrBy => "INCRBY",
            DirectCommand::DecrBy => "DECRBY",
        }
    }

    /// The command's table row (found once each).
    pub(crate) fn spec(self) -> &'static CommandSpec {
        use std::sync::OnceLock;
        static GET: OnceLock<&'static CommandSpec> = OnceLock::new();
        static INCR: OnceLock<&'static CommandSpec> = OnceLock::new();
        static DECR: OnceLock<&'static CommandSpec> = OnceLock::new();
        static INCRBY: OnceLock<&'static CommandSpec> = OnceLock::new();
        static DECRBY: OnceLock<&'static CommandSpec> = OnceLock::new();
        match self {
            DirectCommand::Get => table::known("get", &GET),
            DirectCommand::Incr => table::known("incr", &INCR),
            DirectCommand::Decr => table::known("decr", &DECR),
            DirectCommand::IncrBy => table::known("incrby", &INCRBY),
            DirectCommand::DecrBy => table::known("decrby", &DECRBY),
        }
    }

    /// Whether the command writes (its table row's WRITE flag).
    fn writes(self) -> bool {
        self != DirectCommand::Get
    }

    /// Whether the command takes a count after its key.
    fn counted(self) -> bool {
        matches!(self, DirectCommand::IncrBy | DirectCommand::DecrBy)
    }
}

/// One typed call of a [`DirectCommand`], its key borrowed from the caller. Built by the typed
/// methods; not constructed by users.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Direct<'a> {
    command: DirectCommand,
    key: &'a [u8],
    /// The count of INCRBY and DECRBY (0 for the others).
    count: i64,
}

impl<'a> Direct<'a> {
    /// The call of `command` (one without a count) on `key`, if the key is one argument of text
    /// or bytes.
    pub(crate) fn of<K: ToArgs + ?Sized>(command: DirectCommand, key: &'a K) -> Option<Direct<'a>> {
        debug_assert!(!command.counted());
        Some(Direct {
            command,
            key: key.as_single_bytes()?,
            count: 0,
        })
    }

    /// The call of `command` (INCRBY or DECRBY) on `key` by `count`, if the key is one argument
    /// of text or bytes and the count an integer.
    pub(crate) fn counted<K: ToArgs + ?Sized, C: ToArgs + ?Sized>(
        command: DirectCommand,
        key: &'a K,
        count: &C,
    ) -> Option<Direct<'a>> {
        debug_assert!(command.counted());
        Some(Direct {
            command,
            key: key.as_single_bytes()?,
            count: count.as_single_integer()?,
        })
    }

    /// The call's command's table row.
    pub(crate) fn spec(&self) -> &'static CommandSpec {
        self.command.spec()
    }

    /// The command line the typed method would have written.
    pub(crate) fn request(&self) -> Request {
        let mut argv = Argv::new();
        argv.push(self.command.name());
        argv.push(self.key);
        if self.command.counted() {
            self.count.write_args(&mut argv);
        }
        Request {
            argv,
            known: Some(self.spec()),
        }
    }

    /// Runs the call in `ctx`, which nothing observes ([`Ctx::observed`] is false): the
    /// handler's core, with the bookkeeping of an unobserved command.
    #[inline(always)]
    pub(crate) fn run(&self, ctx: &mut Ctx<'_>) -> Reply {
        self.run_result(ctx).into()
    }

    /// [`Direct::run`] with the reply converted to `T` (a typed method's answer): for GET, at
    /// once from the value ([`string::get_key_as`]).
    #[inline(always)]
    pub(crate) fn run_as<T: crate::FromReply>(&self, ctx: &mut Ctx<'_>) -> Result<T, CommandError> {
        let key = self.key;
        match self.command {
            DirectCommand::Get => ctx.run_unobserved_value(false, |ctx| string::get_key_as::<T>(ctx, key)),
            _ => T::from_reply(self.run(ctx)),
        }
    }

    /// [`Direct::run`], the command's error left apart from its reply.
    #[inline(always)]
    pub(crate) fn run_result(&self, ctx: &mut Ctx<'_>) -> Result<Reply, CommandError> {
        let (key, count) = (self.key, self.count);
        let writes = self.command.writes();
        // The integer replies are made here, where they go (see `Ctx::run_unobserved_value`);
        // no reply of these commands differs between RESP2 and RESP3.
        let by = match self.command {
            DirectCommand::Get => return ctx.run_unobserved_value(writes, |ctx| string::get_key(ctx, key)),
            DirectCommand::Incr => 1,
            DirectCommand::Decr => -1,
            DirectCommand::IncrBy => count,
            DirectCommand::DecrBy => {
                return ctx
                    .run_unobserved_value(writes, |ctx| string::decr_by(ctx, key, count))
                    .map(Reply::Integer);
            }
        };
        ctx.run_unobserved_value(writes, |ctx| string::incr_by(ctx, key, by))
            .map(Reply::Integer)
    }
}

/// A [`Direct`] call queued in a [`Transaction`](crate::Transaction): its key copied (inline
/// when short).
#[derive(Debug)]
pub(crate) struct QueuedDirect {
    command: DirectCommand,
    key: InlineBytes,
    count: i64,
}

/// A [`Transaction`](crate::Transaction)'s queue of [`Direct`] calls: the first few inside the
/// transaction itself, so that a short transaction allocates no queue.
pub(crate) type DirectQueue = smallvec::SmallVec<[QueuedDirect; 4]>;

impl QueuedDirect {
    /// Queues `call` at the end of `queue`, its key copied into its place there.
    pub(crate) fn push(queue: &mut DirectQueue, call: Direct<'_>) {
        queue.push(QueuedDirect {
            command: call.command,
            key: InlineBytes::EMPTY,
            count: call.count,
        });
        if let Some(queued) = queue.last_mut() {
            queued.key.assign(call.key);
        }
    }

    /// Whether the call may write (what a CLIENT PAUSE WRITE holds).
    pub(crate) fn writes(&self) -> bool {
        self.command.writes()
    }

    /// The call, borrowing the key.
    pub(crate) fn call(&self) -> Direct<'_> {
        Direct {
            command: self.command,
            key: self.key.as_bytes(),
            count: self.count,
        }
    }
}

/// The [`Direct`] call of a typed method, named as the method (`direct get` in the list of
/// typed commands): `None` when its arguments are not of the kinds a direct call takes.
pub(crate) fn get<K: ToArgs + ?Sized>(key: &K) -> Option<Direct<'_>> {
    Direct::of(DirectCommand::Get, key)
}

/// See [`get`].
pub(crate) fn incr<K: ToArgs + ?Sized>(key: &K) -> Option<Direct<'_>> {
    Direct::of(DirectCommand::Incr, key)
}

/// See [`get`].
pub(crate) fn decr<K: ToArgs + ?Sized>(key: &K) -> Option<Direct<'_>> {
    Direct::of(DirectCommand::Decr, key)
}

/// See [`get`].
pub(crate) fn incrby<'a, K: ToArgs + ?Sized, C: ToArgs + ?Sized>(key: &'a K, count: &C) -> Option<Direct<'a>> {
    Direct::counted(DirectCommand::IncrBy, key, count)
}

/// See [`get`].
pub(crate) fn decrby<'a, K: ToArgs + ?Sized, C: ToArgs + ?Sized>(key: &'a K, count: &C) -> Option<Direct<'a>> {
    Direct::counted(DirectCommand::DecrBy, key, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_as_the_table_flags_them() {
        use DirectCommand::*;
        for command in [Get, Incr, Decr, IncrBy, DecrBy] {
            let flagged = command.spec().has(table::flags::WRITE);
            assert_eq!(command.writes(), flagged, "{}", command.name());
        }
    }
}
