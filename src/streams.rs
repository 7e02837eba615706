//! Typed results of the stream commands: what [`Commands::xrange`](crate::Commands::xrange),
//! [`xreadgroup`](crate::Commands::xreadgroup), [`xpending`](crate::Commands::xpending) and
//! [`xautoclaim`](crate::Commands::xautoclaim) answer, each converted from Redis's reply as any
//! [`FromReply`] type is.

use crate::error::CommandError;
use crate::reply::{FromReply, Reply, check, mismatch};

/// The elements of an array reply of exactly `n`, or the conversion error for `T`.
fn exactly<T>(reply: Reply, n: usize) -> Result<Vec<Reply>, CommandError> {
    match check(reply)? {
        Reply::Array(items) if items.len() == n => Ok(items),
        other => mismatch::<T>(&other).map(|_: T| Vec::new()),
    }
}

/// Takes the next element of a reply already checked to have it.
fn next(items: &mut std::vec::IntoIter<Reply>) -> Reply {
    items.next().unwrap_or(Reply::Nil)
}

/// A stream entry: its ID (`ms-seq`) and its fields with their values, in the order they were
/// added. An entry read from a consumer's history after it was deleted has no fields.
///
/// ```
/// use embedis::{Commands, StreamEntry, Store};
///
/// let store = Store::new();
/// let id = store.xadd("orders", "*", [("item", "book"), ("qty", "2")])?;
/// let entries: Vec<StreamEntry> = store.xrange("orders", "-", "+")?;
/// assert_eq!(entries[0].id, id);
/// assert_eq!(entries[0].get("qty"), Some("2"));
/// # Ok::<(), embedis::CommandError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamEntry {
    /// The entry's ID, as Redis writes it.
    pub id: String,
    /// Field and value pairs.
    pub fields: Vec<(String, String)>,
}

impl StreamEntry {
    /// The value of `field`, if the entry has it.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// let entry = store.xrange("s", "-", "+")?.remove(0);
    /// assert_eq!((entry.get("a"), entry.get("b")), (Some("1"), None));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, v)| v.as_str())
    }
}

impl FromReply for StreamEntry {
    fn from_reply(reply: Reply) -> Result<StreamEntry, CommandError> {
        let mut items = exactly::<StreamEntry>(reply, 2)?.into_iter();
        let id = String::from_reply(next(&mut items))?;
        let fields = Vec::<(String, String)>::from_reply(next(&mut items))?;
        Ok(StreamEntry { id, fields })
    }
}

/// XPENDING's summary of a group: how many entries are pending, the smallest and largest of
/// their IDs, and how many each consumer holds.
///
/// ```
/// use embedis::{Commands, Store};
///
/// let store = Store::new();
/// store.xgroup_create_mkstream("jobs", "workers", "$")?;
/// store.xadd("jobs", "1-1", ("task", "resize"))?;
/// store.xreadgroup("workers", "alice", "jobs", ">")?;
/// let summary = store.xpending("jobs", "workers")?;
/// assert_eq!((summary.count, summary.first.as_deref()), (1, Some("1-1")));
/// assert_eq!(summary.consumers, [("alice".to_string(), 1)]);
/// # Ok::<(), embedis::CommandError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PendingSummary {
    /// Entries delivered and not acknowledged.
    pub count: i64,
    /// The smallest pending ID, if any.
    pub first: Option<String>,
    /// The largest pending ID, if any.
    pub last: Option<String>,
    /// Each consumer holding pending entries, with how many.
    pub consumers: Vec<(String, i64)>,
}

impl FromReply for PendingSummary {
    fn from_reply(reply: Reply) -> Result<PendingSummary, CommandError> {
        let mut items = exactly::<PendingSummary>(reply, 4)?.into_iter();
        let count = i64::from_reply(next(&mut items))?;
        let first = Option::<String>::from_reply(next(&mut items))?;
        let last = Option::<String>::from_reply(next(&mut items))?;
        let consumers = Vec::<(String, String)>::from_reply(next(&mut items))?
            .into_iter()
            .map(|(name, n)| {
                let count = crate::number::parse_i64(n.as_bytes());
                count.map_or_else(|| mismatch(&Reply::Bulk(n.into_bytes())), |count| Ok((name, count)))
            })
            .collect::<Result<_, CommandError>>()?;
        Ok(PendingSummary {
            count,
            first,
            last,
            consumers,
        })
    }
}

/// One pending entry, as XPENDING's extended form lists it.
///
/// ```
/// use embedis::{Commands, Store};
///
/// let store = Store::new();
/// store.xgroup_create_mkstream("jobs", "workers", "$")?;
/// store.xadd("jobs", "1-1", ("task", "resize"))?;
/// store.xreadgroup("workers", "alice", "jobs", ">")?;
/// let pending = store.xpending_range("jobs", "workers", "-", "+", 10)?;
/// assert_eq!((pending[0].id.as_str(), pending[0].consumer.as_str()), ("1-1", "alice"));
/// assert_eq!(pending[0].deliveries, 1);
/// # Ok::<(), embedis::CommandError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PendingEntry {
    /// The entry's ID.
    pub id: String,
    /// The consumer it was last delivered to.
    pub consumer: String,
    /// Milliseconds since it was last delivered.
    pub idle_ms: i64,
    /// How many times it was delivered.
    pub deliveries: i64,
}

impl FromReply for PendingEntry {
    fn from_reply(reply: Reply) -> Result<PendingEntry, CommandError> {
        let mut items = exactly::<PendingEntry>(reply, 4)?.into_iter();
        Ok(PendingEntry {
            id: String::from_reply(next(&mut items))?,
            consumer: String::from_reply(next(&mut items))?,
            idle_ms: i64::from_reply(next(&mut items))?,
            deliveries: i64::from_reply(next(&mut items))?,
        })
    }
}

/// What XAUTOCLAIM answers: where the next call should start (`0-0` once the whole pending list
/// was scanned), the entries claimed, and the IDs that were pending but whose entries no longer
/// exist (dropped from the pending list).
///
/// ```
/// use embedis::{Commands, Store};
///
/// let store = Store::new();
/// store.xgroup_create_mkstream("jobs", "workers", "$")?;
/// store.xadd("jobs", "1-1", ("task", "resize"))?;
/// store.xreadgroup("workers", "crashed", "jobs", ">")?;
/// let claim = store.xautoclaim("jobs", "workers", "rescuer", 0, "0", 10)?;
/// assert_eq!((claim.next.as_str(), claim.claimed.len()), ("0-0", 1));
/// # Ok::<(), embedis::CommandError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AutoClaim {
    /// The ID to start the next call from; `0-0` when the scan is complete.
    pub next: String,
    /// The entries now pending for the claiming consumer.
    pub claimed: Vec<StreamEntry>,
    /// Pending IDs whose entries were deleted.
    pub deleted: Vec<String>,
}

impl FromReply for AutoClaim {
    fn from_reply(reply: Reply) -> Result<AutoClaim, CommandError> {
        let mut items = exactly::<AutoClaim>(reply, 3)?.into_iter();
        Ok(AutoClaim {
            next: String::from_reply(next(&mut items))?,
            claimed: Vec::from_reply(next(&mut items))?,
            deleted: Vec::from_reply(next(&mut items))?,
        })
    }
}
