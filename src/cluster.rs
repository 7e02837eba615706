//! Cluster mode: a store or server that answers as one node of a Redis Cluster (Redis's
//! `cluster.c`, the part a client of one node meets).
//!
//! A key lives in one of 16384 hash slots: the CRC16 of the key, or of its `{hash tag}` when it
//! has one ([`key_slot`]). A node serves the requests whose keys all hash to one slot it owns;
//! a request whose keys span slots is refused with `CROSSSLOT` before it runs, a transaction at
//! EXEC, a script's command when it strays from the slot of the script's keys. Where the keys
//! are comes from the command table's key specs ([`table::key_positions`]), the same that
//! answer COMMAND GETKEYS.
//!
//! A node in cluster mode starts owning every slot, as a one-node cluster whose slots were
//! assigned (`CLUSTER ADDSLOTSRANGE 0 16383`); CLUSTER DELSLOTS and ADDSLOTS change that, with
//! the `CLUSTERDOWN` errors Redis gives for slots nobody serves.

use parking_lot::RwLock;

use crate::argv::Argv;
use crate::command::table::{self, CommandSpec, Keys};
use crate::error::CommandError;

/// How many hash slots a cluster has.
pub const SLOT_COUNT: u16 = 16384;

/// The hash slot of `key`, as Redis Cluster computes it: the CRC16 (XMODEM) of the key modulo
/// 16384, or of its hash tag — what is between the first `{` and the first `}` after it, when
/// that is not empty — so that keys sharing a tag share a slot.
///
/// ```
/// use embedis::key_slot;
/// assert_eq!(key_slot("foo"), 12182);
/// assert_eq!(key_slot("{user:1001}:balance"), key_slot("{user:1001}:history"));
/// assert_eq!(key_slot("{}foo"), key_slot("{}foo")); // an empty tag: the whole key
/// ```
pub fn key_slot(key: impl AsRef<[u8]>) -> u16 {
    let key = key.as_ref();
    let tagged = key.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &key[open + 1..];
        rest.iter()
            .position(|&b| b == b'}')
            .filter(|&len| len > 0)
            .map(|len| &rest[..len])
    });
    crc16(tagged.unwrap_or(key)) % SLOT_COUNT
}

/// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), Redis's `crc16`.
fn crc16(bytes: &[u8]) -> u16 {
    const TABLE: [u16; 256] = {
        let mut table = [0u16; 256];
        let mut i = 0;
        while i < 256 {
            let mut crc = (i as u16) << 8;
            let mut bit = 0;
            while bit < 8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ 0x1021
                } else {
                    crc << 1
                };
                bit += 1;
            }
            table[i] = crc;
            i += 1;
        }
        table
    };
    bytes
        .iter()
        .fold(0u16, |crc, &b| (crc << 8) ^ TABLE[usize::from((crc >> 8) as u8 ^ b)])
}

/// A node's view of its cluster: its id, the slots it serves, its epochs and the settings that
/// decide what it serves while slots are missing. Shared by the store (behind a lock of its own,
/// so that routing a request never waits for the keyspace) and the commands that change it.
pub(crate) struct Cluster {
    state: RwLock<Node>,
}

/// What [`Cluster`] guards.
struct Node {
    /// 40 hexadecimal characters, new for each store (Redis keeps it in `nodes.conf`).
    id: String,
    /// One bit a slot: whether this node serves it.
    owned: Box<[u64; SLOT_COUNT as usize / 64]>,
    current_epoch: u64,
    config_epoch: u64,
    /// The port clients reach this node on (0 in process): CLUSTER NODES, SLOTS, SHARDS.
    port: u16,
    /// `cluster-require-full-coverage`: with a slot unserved, the cluster is down.
    require_full_coverage: bool,
    /// `cluster-allow-reads-when-down`: while down, reads are still served.
    allow_reads_when_down: bool,
    /// `cluster-allow-pubsubshard-when-down`: while down, shard channels still work.
    allow_pubsubshard_when_down: bool,
    /// The cluster state as last decided (`cluster_state:ok`): decided again when the slots
    /// change and, while down, whenever it is read (Redis's cron decides it again ten times a
    /// second while the cluster is down, and otherwise only on events, so a CONFIG SET that
    /// would take an up cluster down waits for the next change of slots).
    ok: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let node = self.state.read();
        f.debug_struct("Cluster")
            .field("id", &node.id)
            .field("slots", &node.owned_count())
            .finish_non_exhaustive()
    }
}

/// The settings of [`Cluster`] that `CONFIG SET` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) enum Setting {
    RequireFullCoverage,
    AllowReadsWhenDown,
    AllowPubsubshardWhenDown,
}

impl Cluster {
    /// A node that serves every slot.
    pub(crate) fn new() -> Cluster {
        Cluster {
            state: RwLock::new(Node {
                id: crate::ids::random_id(),
                owned: Box::new([u64::MAX; SLOT_COUNT as usize / 64]),
                current_epoch: 0,
                config_epoch: 0,
                port: 0,
                require_full_coverage: true,
                allow_reads_when_down: false,
                allow_pubsubshard_when_down: true,
                ok: std::sync::atomic::AtomicBool::new(true),
            }),
        }
    }

    /// Records the port the server listens on.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn set_port(&self, port: u16) {
        self.state.write().port = port;
    }

    /// Applies a `CONFIG SET` of one of the cluster's settings.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn set(&self, setting: Setting, on: bool) {
        let mut node = self.state.write();
        match setting {
            Setting::RequireFullCoverage => node.require_full_coverage = on,
            Setting::AllowReadsWhenDown => node.allow_reads_when_down = on,
            Setting::AllowPubsubshardWhenDown => node.allow_pubsubshard_when_down = on,
        }
    }

    /// Where `commands` (one request, or the queue of a transaction at EXEC) may run, as Redis's
    /// `getNodeByQuery` decides for the node itself: `Ok(None)` when they name no key, the
    /// slot of their keys when this node serves it, else the error the client gets.
    pub(crate) fn route<'a>(
        &self,
        commands: impl IntoIterator<Item = (&'static CommandSpec, &'a Argv)>,
    ) -> Result<Option<u16>, CommandError> {
        let node = self.state.read();
        let mut first: Option<(&[u8], u16)> = None;
        let (mut writes, mut shard_channels) = (false, false);
        for (spec, argv) in commands {
            writes |= spec.has(table::flags::WRITE);
            shard_channels |= matches!(spec.keys, Keys::Channels(..));
            for key in routed_keys(spec, argv) {
                match first {
                    None => {
                        let slot = key_slot(key);
                        if !node.owns(slot) {
                            return Err(CommandError::ClusterDown("Hash slot not served"));
                        }
                        first = Some((key, slot));
                    }
                    Some((first_key, slot)) => {
                        if key != first_key && key_slot(key) != slot {
                            return Err(CommandError::CrossSlot);
                        }
                    }
                }
            }
        }
        let Some((_, slot)) = first else {
            return Ok(None);
        };
        if !node.is_ok() {
            if shard_channels {
                if !node.allow_pubsubshard_when_down {
                    return Err(CommandError::ClusterDown("The cluster is down"));
                }
            } else if !node.allow_reads_when_down {
                return Err(CommandError::ClusterDown("The cluster is down"));
            } else if writes {
                return Err(CommandError::ClusterDown(
                    "The cluster is down and only accepts read commands",
                ));
            }
        }
        Ok(Some(slot))
    }
}

/// What CLUSTER reads and changes: the node's own description (CLUSTER INFO, NODES, SLOTS,
/// SHARDS) and its slots and epochs (ADDSLOTS, DELSLOTS, BUMPEPOCH, RESET, …). The checks of
/// arguments and their errors are the command's (`command/cluster.rs`).
impl Cluster {
    /// The node id (CLUSTER MYID).
    pub(crate) fn id(&self) -> String {
        self.state.read().id.clone()
    }

    /// Whether `name` is a node this node knows (only itself: it is alone), as Redis's
    /// `clusterLookupNode` compares ids, byte for byte.
    pub(crate) fn knows(&self, name: &[u8]) -> bool {
        self.state.read().id.as_bytes() == name
    }

    /// Whether this node serves `slot`.
    pub(crate) fn owns(&self, slot: u16) -> bool {
        self.state.read().owns(slot)
    }

    /// The runs of slots this node serves, as (first, last).
    pub(crate) fn slot_ranges(&self) -> Vec<(u16, u16)> {
        let node = self.state.read();
        let mut ranges: Vec<(u16, u16)> = Vec::new();
        for slot in (0..SLOT_COUNT).filter(|&slot| node.owns(slot)) {
            match ranges.last_mut() {
                Some((_, last)) if *last + 1 == slot => *last = slot,
                _ => ranges.push((slot, slot)),
            }
        }
        ranges
    }

    /// The port clients reach this node on (0 in process).
    pub(crate) fn port(&self) -> u16 {
        self.state.read().port
    }

    /// CLUSTER INFO's text.
    pub(crate) fn info(&self) -> String {
        let node = self.state.read();
        let owned = node.owned_count();
        format!(
            "cluster_state:{}\r\ncluster_slots_assigned:{owned}\r\ncluster_slots_ok:{owned}\r\n\
             cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:1\r\ncluster_size:{}\r\n\
             cluster_current_epoch:{}\r\ncluster_my_epoch:{}\r\ncluster_stats_messages_sent:0\r\n\
             cluster_stats_messages_received:0\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n",
            if node.is_ok() { "ok" } else { "fail" },
            usize::from(owned > 0),
            node.current_epoch,
            node.config_epoch,
        )
    }

    /// CLUSTER NODES's line of this node (Redis's `clusterGenNodeDescription`): id, address
    /// (no IP until another node has told it its own, as Redis's), flags, no master, no pings
    /// or pongs, config epoch, link state, slots.
    pub(crate) fn nodes(&self) -> String {
        let (id, port, epoch) = {
            let node = self.state.read();
            (node.id.clone(), node.port, node.config_epoch)
        };
        let mut line = format!("{id} :{port}@{} myself,master - 0 0 {epoch} connected", bus_port(port));
        for (first, last) in self.slot_ranges() {
            if first == last {
                line.push_str(&format!(" {first}"));
            } else {
                line.push_str(&format!(" {first}-{last}"));
            }
        }
        line.push('\n');
        line
    }

    /// CLUSTER ADDSLOTS / DELSLOTS (and their RANGE forms): every slot of `ranges` must be free
    /// (to add) or assigned (to delete) and named once, checked in order before any changes.
    pub(crate) fn update_slots(&self, ranges: &[(u16, u16)], delete: bool) -> Result<(), CommandError> {
        let mut node = self.state.write();
        let mut named = vec![false; usize::from(SLOT_COUNT)];
        for &(first, last) in ranges {
            for slot in first..=last {
                if delete && !node.owns(slot) {
                    return Err(other(format!("ERR Slot {slot} is already unassigned")));
                }
                if !delete && node.owns(slot) {
                    return Err(other(format!("ERR Slot {slot} is already busy")));
                }
                if std::mem::replace(&mut named[usize::from(slot)], true) {
                    return Err(other(format!("ERR Slot {slot} specified multiple times")));
                }
            }
        }
        for (slot, _) in named.iter().enumerate().filter(|(_, named)| **named) {
            node.set_owned(slot as u16, !delete);
        }
        node.decide_ok();
        Ok(())
    }

    /// Assigns `slot` to this node (CLUSTER SETSLOT … NODE with its own id).
    pub(crate) fn take_slot(&self, slot: u16) {
        let mut node = self.state.write();
        node.set_owned(slot, true);
        node.decide_ok();
    }

    /// Gives up every slot (CLUSTER FLUSHSLOTS; RESET).
    pub(crate) fn flush_slots(&self) {
        let mut node = self.state.write();
        node.owned.fill(0);
        node.decide_ok();
    }

    /// CLUSTER BUMPEPOCH (Redis's `clusterBumpConfigEpochWithoutConsensus`): a new config epoch
    /// unless this node's is already the greatest and not 0; whether it bumped, and the epoch.
    pub(crate) fn bump_epoch(&self) -> (bool, u64) {
        let mut node = self.state.write();
        let max = node.config_epoch.max(node.current_epoch);
        if node.config_epoch == 0 || node.config_epoch != max {
            node.current_epoch += 1;
            node.config_epoch = node.current_epoch;
            (true, node.config_epoch)
        } else {
            (false, node.config_epoch)
        }
    }

    /// CLUSTER SET-CONFIG-EPOCH, on a node that knows no other.
    pub(crate) fn set_config_epoch(&self, epoch: u64) -> Result<(), CommandError> {
        let mut node = self.state.write();
        if node.config_epoch != 0 {
            return Err(CommandError::other("ERR Node config epoch is already non-zero"));
        }
        node.config_epoch = epoch;
        node.current_epoch = node.current_epoch.max(epoch);
        Ok(())
    }

    /// CLUSTER RESET: every slot unassigned; a hard reset also zeroes the epochs and draws a new
    /// node id.
    pub(crate) fn reset(&self, hard: bool) {
        let mut node = self.state.write();
        node.owned.fill(0);
        node.decide_ok();
        if hard {
            node.current_epoch = 0;
            node.config_epoch = 0;
            node.id = crate::ids::random_id();
        }
    }
}

/// The cluster bus port Redis derives from a client port (`cluster-port 0`: the port plus
/// 10000); none in process.
fn bus_port(port: u16) -> u32 {
    if port == 0 { 0 } else { u32::from(port) + 10000 }
}

fn other(line: String) -> CommandError {
    CommandError::Other(line.into())
}

/// The arguments of a request that route it: its keys, and the shard channels of SSUBSCRIBE,
/// SUNSUBSCRIBE and SPUBLISH (not keys to COMMAND GETKEYS, but hashed to slots all the same).
fn routed_keys<'a>(spec: &CommandSpec, argv: &'a Argv) -> impl Iterator<Item = &'a [u8]> {
    let positions = match spec.keys {
        Keys::Channels(first, last, step) => table::key_positions(
            &CommandSpec {
                keys: Keys::Range(first, last, step),
                ..*spec
            },
            argv,
        ),
        _ => table::key_positions(spec, argv),
    };
    // Arguments that do not say where the keys are route nowhere: the command answers its own
    // error.
    positions.unwrap_or_default().into_iter().map(|i| argv.arg(i))
}

impl Node {
    fn owns(&self, slot: u16) -> bool {
        self.owned[usize::from(slot / 64)] & (1 << (slot % 64)) != 0
    }

    fn set_owned(&mut self, slot: u16, owned: bool) {
        let bit = 1 << (slot % 64);
        let word = &mut self.owned[usize::from(slot / 64)];
        if owned {
            *word |= bit;
        } else {
            *word &= !bit;
        }
    }

    fn owned_count(&self) -> usize {
        self.owned.iter().map(|word| word.count_ones() as usize).sum()
    }

    /// Redis's `clusterUpdateState` for a cluster of one master: down when a slot is unserved
    /// and full coverage is required, or when the node serves no slot at all (no majority of
    /// masters serving slots is reachable then).
    fn decide_ok(&self) -> bool {
        let owned = self.owned_count();
        let ok = owned > 0 && (owned == usize::from(SLOT_COUNT) || !self.require_full_coverage);
        self.ok.store(ok, std::sync::atomic::Ordering::Relaxed);
        ok
    }

    /// The cluster state: as decided, or decided again while down (see [`Node::ok`]).
    fn is_ok(&self) -> bool {
        self.ok.load(std::sync::atomic::Ordering::Relaxed) || self.decide_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_redis_slots() {
        // Redis's CLUSTER KEYSLOT of these keys.
        for (key, slot) in [
            ("foo", 12182),
            ("bar", 5061),
            ("", 0),
            ("{user1000}.following", 3443),
            ("{user1000}.followers", 3443),
            ("foo{}{bar}", 8363),
            ("foo{{bar}}zap", 4015),
            ("foo{bar}{zap}", 5061),
            ("123456789", 12739),
        ] {
            assert_eq!(key_slot(key), slot, "{key}");
        }
    }
}
