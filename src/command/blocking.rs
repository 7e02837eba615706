//! What blocking commands share: the timeout argument, blocking a client (or answering at once
//! where a client may not block), and serving blocked clients when their keys get data.

use super::{Caller, Ctx, Engines};
use crate::error::CommandError;
use crate::keyspace::blocking::{BlockedOp, BlockedRequest, Deadline, WaitEnd};
use crate::keyspace::{Keyspace, List, Value, ZSet};
use crate::number::timeout_millis;
use crate::reply::Reply;

/// A blocking command's timeout: `None` waits for ever (0), else the deadline, counted from the
/// command's time on the store's clock; Redis's errors.
pub(crate) fn parse_timeout(ks: &Keyspace, arg: &[u8]) -> Result<Option<Deadline>, CommandError> {
    let millis = timeout_millis(arg).ok_or(CommandError::other("ERR timeout is not a float or out of range"))?;
    deadline_after(ks, millis)
}

/// A timeout given in whole milliseconds (WAIT's): as [`parse_timeout`], with Redis's error for
/// what is not an integer.
pub(crate) fn parse_timeout_millis(ks: &Keyspace, arg: &[u8]) -> Result<Option<Deadline>, CommandError> {
    let millis =
        crate::number::parse_i64(arg).ok_or(CommandError::other("ERR timeout is not an integer or out of range"))?;
    deadline_after(ks, millis)
}

/// The deadline `millis` after the command's time; `None` (for ever) for 0.
fn deadline_after(ks: &Keyspace, millis: i64) -> Result<Option<Deadline>, CommandError> {
    if millis < 0 {
        return Err(CommandError::other("ERR timeout is negative"));
    }
    Ok((millis > 0).then(|| ks.now_micros().saturating_add(millis.saturating_mul(1000))))
}

impl Ctx<'_> {
    /// No data for a blocking command: inside MULTI (or a script, or `atomic`) it answers at once
    /// with `denied`, as Redis treats it as timed out; otherwise the client blocks on `keys`.
    pub(crate) fn block(&mut self, keys: &[&[u8]], op: BlockedOp, deadline: Option<Deadline>, denied: Reply) -> Reply {
        if !self.may_block {
            return denied;
        }
        self.blocked = Some(BlockedRequest {
            db: self.db,
            keys: keys.iter().map(|k| k.to_vec()).collect(),
            op,
            deadline,
        });
        Reply::NilArray
    }
}

/// Serves the clients blocked on keys that the last command made ready, first come first
/// served, as long as those keys hold elements (a served BLMOVE may create more ready keys);
/// clients blocked in XREADGROUP on a stream that is gone get Redis's error. Answers whether
/// anyone was served.
pub(crate) fn serve_blocked(ks: &mut Keyspace, engines: &mut Engines) -> bool {
    // Serving comes after the command (or EXEC), whose frozen time no longer holds: a key that
    // expired meanwhile (a DEBUG SLEEP inside MULTI) is expired when served, as Redis reads
    // the clock afresh outside a command.
    ks.thaw_time();
    let mut served = false;
    while let Some((db, key)) = ks.next_ready() {
        // Looked up as Redis's `lookupKeyWrite` does: a key past its TTL goes now (and is
        // replayed as DEL).
        let kind = ks.get(db, &key).map(|entry| match entry.value {
            Value::List(_) => Kind::List,
            Value::ZSet(_) => Kind::SortedSet,
            Value::Stream(_) => Kind::Stream,
            _ => Kind::Other,
        });
        match kind {
            Some(Kind::Stream) => served |= super::stream::serve_readers(ks, engines, db, &key),
            Some(kind @ (Kind::List | Kind::SortedSet)) => served |= serve_pops(ks, engines, db, &key, kind),
            _ => {}
        }
        if kind != Some(Kind::Stream) {
            served |= super::stream::stream_gone(ks, db, &key);
        }
    }
    served
}

/// The type of a ready key, as serving reads it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    SortedSet,
    Stream,
    Other,
}

/// Serves the clients popping from the list or sorted set at `key`, in arrival order, while it
/// has elements; clients blocked on it for another type wait on.
fn serve_pops(ks: &mut Keyspace, engines: &mut Engines, db: usize, key: &[u8], kind: Kind) -> bool {
    let mut served = false;
    for client in ks.waiters(db, key) {
        let Some(op) = ks.blocked_request(client).map(|r| &r.op) else {
            continue;
        };
        if op.on_stream() || op.on_sorted_set() != (kind == Kind::SortedSet) {
            continue;
        }
        let mut ctx = Ctx::new(ks, engines, &Caller::internal(client, db));
        let has_elements = match kind {
            Kind::SortedSet => matches!(ctx.read::<ZSet>(key), Ok(Some(_))),
            _ => matches!(ctx.read::<List>(key), Ok(Some(list)) if !list.is_empty()),
        };
        if !has_elements {
            break;
        }
        let Some(request) = ctx.ks.unblock(client) else {
            continue;
        };
        let reply = super::list::pop_for(&mut ctx, key, &request.op).into();
        ctx.ks.deliver(client, reply, WaitEnd::Served);
        served = true;
    }
    served
}
