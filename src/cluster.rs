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

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::RwLock;

use crate::argv::Argv;
use crate::command::table::{self, CommandSpec, Keys};
use crate::error::CommandError;

/// How many hash slots a cluster has: every [`key_slot`] is below it.
///
/// ```
/// assert!(embedis::key_slot("any key") < embedis::SLOT_COUNT);
/// ```
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

/// One node of a cluster: which node it is, and its view of the cluster — the nodes, who serves
/// which slot, slots being migrated — which the nodes of one emulated cluster share (their bus
/// is instantaneous: a change one node makes, every node sees). Routing a request reads it
/// without the keyspace's lock.
pub(crate) struct Cluster {
    /// This node's index in the topology's nodes.
    me: usize,
    topology: Arc<RwLock<Topology>>,
    /// This node's own settings (CONFIG SET).
    settings: RwLock<Settings>,
    /// The cluster state as this node last decided it (`cluster_state:ok`): decided again when
    /// the slots change and, while down, whenever it is read (Redis's cron decides it again ten
    /// times a second while the cluster is down, and otherwise only on events, so a CONFIG SET
    /// that would take an up cluster down waits for the next change of slots).
    ok: AtomicBool,
}

/// What the nodes of a cluster know of it.
pub(crate) struct Topology {
    nodes: Vec<NodeInfo>,
    /// The node serving each slot (an index into `nodes`), [`NO_NODE`] for none.
    owner: Box<[u16]>,
    current_epoch: u64,
}

/// [`Topology::owner`] of a slot nobody serves.
const NO_NODE: u16 = u16::MAX;

/// A node as the cluster knows it.
struct NodeInfo {
    /// 40 hexadecimal characters.
    id: String,
    /// Its IP as other nodes see it: empty for a node alone, which has never been told its own.
    ip: String,
    /// The port clients reach it on (0 in process).
    port: u16,
    config_epoch: u64,
    /// Slots it serves and is moving to another node (CLUSTER SETSLOT … MIGRATING).
    migrating: BTreeMap<u16, usize>,
    /// Slots another node serves that it is taking over (CLUSTER SETSLOT … IMPORTING).
    importing: BTreeMap<u16, usize>,
}

/// Who a node is and where clients reach it, as CLUSTER SLOTS and SHARDS show it.
pub(crate) struct NodeAddress {
    pub(crate) id: String,
    pub(crate) ip: String,
    pub(crate) port: u16,
}

impl NodeInfo {
    fn address(&self) -> NodeAddress {
        NodeAddress {
            id: self.id.clone(),
            ip: self.ip.clone(),
            port: self.port,
        }
    }
}

/// A node's settings that decide what it serves while the cluster is down.
struct Settings {
    /// `cluster-require-full-coverage`: with a slot unserved, the cluster is down.
    require_full_coverage: bool,
    /// `cluster-allow-reads-when-down`: while down, reads are still served.
    allow_reads_when_down: bool,
    /// `cluster-allow-pubsubshard-when-down`: while down, shard channels still work.
    allow_pubsubshard_when_down: bool,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let topology = self.topology.read();
        f.debug_struct("Cluster")
            .field("id", &topology.nodes[self.me].id)
            .field("nodes", &topology.nodes.len())
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

impl Topology {
    /// The view of `nodes` nodes whose slots are split as `redis-cli --cluster create` splits
    /// them (equal runs in order, the last node taking the rest), their config epochs 1, 2, …;
    /// one node alone serves every slot, at epoch 0, and knows no IP of its own.
    pub(crate) fn new(nodes: usize) -> Topology {
        let count = nodes.clamp(1, usize::from(NO_NODE));
        let mut owner = vec![NO_NODE; usize::from(SLOT_COUNT)].into_boxed_slice();
        let per_node = f64::from(SLOT_COUNT) / count as f64;
        let (mut first, mut cursor) = (0usize, 0.0f64);
        for node in 0..count {
            let mut last = (cursor + per_node - 1.0).round() as usize;
            if node == count - 1 {
                last = usize::from(SLOT_COUNT) - 1;
            }
            let last = last.max(first).min(usize::from(SLOT_COUNT) - 1);
            for slot in owner.iter_mut().take(last + 1).skip(first) {
                *slot = node as u16;
            }
            first = last + 1;
            cursor += per_node;
        }
        let alone = count == 1;
        Topology {
            nodes: (0..count)
                .map(|i| NodeInfo {
                    id: crate::ids::random_id(),
                    ip: if alone { String::new() } else { "127.0.0.1".into() },
                    port: 0,
                    config_epoch: if alone { 0 } else { i as u64 + 1 },
                    migrating: BTreeMap::new(),
                    importing: BTreeMap::new(),
                })
                .collect(),
            owner,
            current_epoch: if alone { 0 } else { count as u64 },
        }
    }

    /// The node serving `slot`, if any.
    fn owner(&self, slot: u16) -> Option<usize> {
        let owner = self.owner[usize::from(slot)];
        (owner != NO_NODE).then_some(usize::from(owner))
    }

    /// The node of this id (Redis's `clusterLookupNode`: byte for byte).
    fn find(&self, name: &[u8]) -> Option<usize> {
        self.nodes.iter().position(|node| node.id.as_bytes() == name)
    }

    /// How many slots `node` serves.
    fn slots_of(&self, node: usize) -> usize {
        self.owner.iter().filter(|&&owner| usize::from(owner) == node).count()
    }

    /// The runs of slots `node` serves, as (first, last).
    fn ranges_of(&self, node: usize) -> Vec<(u16, u16)> {
        let mut ranges: Vec<(u16, u16)> = Vec::new();
        for slot in (0..SLOT_COUNT).filter(|&slot| self.owner(slot) == Some(node)) {
            match ranges.last_mut() {
                Some((_, last)) if *last + 1 == slot => *last = slot,
                _ => ranges.push((slot, slot)),
            }
        }
        ranges
    }

    /// `ip:port` of `node`, as MOVED and ASK name it.
    fn address(&self, node: usize) -> String {
        format!("{}:{}", self.nodes[node].ip, self.nodes[node].port)
    }

    /// The greatest config epoch of the nodes, or the current epoch if greater (Redis's
    /// `clusterGetMaxEpoch`).
    fn max_epoch(&self) -> u64 {
        self.nodes
            .iter()
            .map(|node| node.config_epoch)
            .max()
            .unwrap_or(0)
            .max(self.current_epoch)
    }
}

/// What [`Cluster::route`] needs of the keyspace: whether a key exists, asked only for the keys
/// of a slot being migrated or imported.
pub(crate) type KeyExists<'k> = &'k mut dyn FnMut(&[u8]) -> bool;

impl Cluster {
    /// A node alone in its cluster, serving every slot.
    pub(crate) fn new() -> Cluster {
        Cluster::node_of(Arc::new(RwLock::new(Topology::new(1))), 0)
    }

    /// Node `me` of a cluster whose view its nodes share.
    pub(crate) fn node_of(topology: Arc<RwLock<Topology>>, me: usize) -> Cluster {
        Cluster {
            me,
            topology,
            settings: RwLock::new(Settings {
                require_full_coverage: true,
                allow_reads_when_down: false,
                allow_pubsubshard_when_down: true,
            }),
            ok: AtomicBool::new(true),
        }
    }

    /// Records the port the server listens on.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn set_port(&self, port: u16) {
        self.topology.write().nodes[self.me].port = port;
    }

    /// Records the IP clients reach this node at (for a node among others: MOVED, ASK, CLUSTER
    /// NODES, SLOTS and SHARDS name it).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn set_ip(&self, ip: String) {
        self.topology.write().nodes[self.me].ip = ip;
    }

    /// Applies a `CONFIG SET` of one of the cluster's settings.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn set(&self, setting: Setting, on: bool) {
        let mut settings = self.settings.write();
        match setting {
            Setting::RequireFullCoverage => settings.require_full_coverage = on,
            Setting::AllowReadsWhenDown => settings.allow_reads_when_down = on,
            Setting::AllowPubsubshardWhenDown => settings.allow_pubsubshard_when_down = on,
        }
    }

    /// Where `commands` (one request, or the queue of a transaction at EXEC) may run, as Redis's
    /// `getNodeByQuery` decides: `Ok(None)` when they name no key, the slot of their keys when
    /// this node serves them, else the error the client gets — CROSSSLOT, CLUSTERDOWN, MOVED to
    /// the slot's node, ASK to the node a slot is migrating to for keys already gone, TRYAGAIN
    /// for several keys of a slot in the middle of a move. `asking`: the client sent ASKING.
    pub(crate) fn route<'a>(
        &self,
        commands: impl IntoIterator<Item = (&'static CommandSpec, &'a Argv)>,
        asking: bool,
        exists: KeyExists<'_>,
    ) -> Result<Option<u16>, CommandError> {
        let topology = self.topology.read();
        let me = &topology.nodes[self.me];
        let mut first: Option<(&[u8], u16, usize)> = None;
        let (mut migrating, mut importing, mut multiple_keys): (Option<usize>, bool, bool) = (None, false, false);
        let (mut missing, mut existing) = (0, 0);
        let (mut writes, mut shard_channels, mut flagged_asking, mut migrate) = (false, false, false, false);
        for (spec, argv) in commands {
            writes |= spec.has(table::flags::WRITE);
            shard_channels |= matches!(spec.keys, Keys::Channels(..));
            flagged_asking |= spec.has(table::flags::ASKING);
            migrate |= spec.name == "migrate";
            for key in routed_keys(spec, argv) {
                match first {
                    None => {
                        let slot = key_slot(key);
                        let Some(owner) = topology.owner(slot) else {
                            return Err(CommandError::ClusterDown("Hash slot not served"));
                        };
                        // A slot this node serves may be migrating out; else it may be importing it.
                        migrating = me.migrating.get(&slot).copied().filter(|_| owner == self.me);
                        importing = migrating.is_none() && me.importing.contains_key(&slot);
                        first = Some((key, slot, owner));
                    }
                    Some((first_key, slot, _)) => {
                        if key != first_key {
                            if key_slot(key) != slot {
                                return Err(CommandError::CrossSlot);
                            }
                            multiple_keys = true;
                        }
                    }
                }
                if (migrating.is_some() || importing) && !shard_channels {
                    if exists(key) {
                        existing += 1;
                    } else {
                        missing += 1;
                    }
                }
            }
        }
        let Some((_, slot, owner)) = first else {
            return Ok(None);
        };
        if !self.is_ok(&topology) {
            let settings = self.settings.read();
            if shard_channels {
                if !settings.allow_pubsubshard_when_down {
                    return Err(CommandError::ClusterDown("The cluster is down"));
                }
            } else if !settings.allow_reads_when_down {
                return Err(CommandError::ClusterDown("The cluster is down"));
            } else if writes {
                return Err(CommandError::ClusterDown(
                    "The cluster is down and only accepts read commands",
                ));
            }
        }
        // MIGRATE works on the node's own keys while a slot moves.
        if (migrating.is_some() || importing) && migrate {
            return Ok(Some(slot));
        }
        if let Some(target) = migrating
            && missing > 0
        {
            return Err(if existing > 0 {
                CommandError::TryAgain
            } else {
                CommandError::Ask {
                    slot,
                    address: topology.address(target),
                }
            });
        }
        if importing && (asking || flagged_asking) {
            if multiple_keys && missing > 0 {
                return Err(CommandError::TryAgain);
            }
            return Ok(Some(slot));
        }
        if owner != self.me {
            return Err(CommandError::Moved {
                slot,
                address: topology.address(owner),
            });
        }
        Ok(Some(slot))
    }

    /// Redis's `clusterUpdateState`, as decided and remembered (see [`Cluster::ok`]).
    fn is_ok(&self, topology: &Topology) -> bool {
        self.ok.load(Ordering::Relaxed) || self.decide_ok(topology)
    }

    /// Decides the state again: down when a slot is unserved and full coverage is required, or
    /// when fewer than a majority of the masters serving slots are reachable — none, when no
    /// node serves a slot (every node of one process is reachable).
    fn decide_ok(&self, topology: &Topology) -> bool {
        let unserved = topology.owner.contains(&NO_NODE);
        let serving = topology.owner.iter().any(|&owner| owner != NO_NODE);
        let ok = serving && !(unserved && self.settings.read().require_full_coverage);
        self.ok.store(ok, Ordering::Relaxed);
        ok
    }
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

/// What CLUSTER reads and changes: the cluster's description (CLUSTER INFO, NODES, SLOTS,
/// SHARDS) and its slots and epochs (ADDSLOTS, DELSLOTS, SETSLOT, BUMPEPOCH, RESET, …). The
/// checks of arguments and their errors are the command's (`command/cluster.rs`).
impl Cluster {
    /// This node's id (CLUSTER MYID).
    pub(crate) fn id(&self) -> String {
        self.topology.read().nodes[self.me].id.clone()
    }

    /// The node of this id, if this node knows it.
    pub(crate) fn find(&self, name: &[u8]) -> Option<usize> {
        self.topology.read().find(name)
    }

    /// Whether `node` is this node.
    pub(crate) fn is_me(&self, node: usize) -> bool {
        node == self.me
    }

    /// Whether this node serves any slot.
    pub(crate) fn owns_any(&self) -> bool {
        self.topology.read().slots_of(self.me) > 0
    }

    /// Whether this node serves `slot`.
    pub(crate) fn owns(&self, slot: u16) -> bool {
        self.topology.read().owner(slot) == Some(self.me)
    }

    /// Each run of slots, in slot order, with its node: (first, last, node).
    pub(crate) fn slot_table(&self) -> Vec<(u16, u16, NodeAddress)> {
        let topology = self.topology.read();
        let mut runs: Vec<(u16, u16, usize)> = Vec::new();
        for slot in 0..SLOT_COUNT {
            let Some(owner) = topology.owner(slot) else {
                continue;
            };
            match runs.last_mut() {
                Some((_, last, node)) if *last + 1 == slot && *node == owner => *last = slot,
                _ => runs.push((slot, slot, owner)),
            }
        }
        runs.into_iter()
            .map(|(first, last, node)| (first, last, topology.nodes[node].address()))
            .collect()
    }

    /// Each node, as CLUSTER SHARDS lists them: its slot runs, and itself.
    pub(crate) fn shards(&self) -> Vec<(Vec<(u16, u16)>, NodeAddress)> {
        let topology = self.topology.read();
        (0..topology.nodes.len())
            .map(|node| (topology.ranges_of(node), topology.nodes[node].address()))
            .collect()
    }

    /// CLUSTER INFO's text.
    pub(crate) fn info(&self) -> String {
        let topology = self.topology.read();
        let assigned = topology.owner.iter().filter(|&&owner| owner != NO_NODE).count();
        let size = (0..topology.nodes.len())
            .filter(|&node| topology.slots_of(node) > 0)
            .count();
        format!(
            "cluster_state:{}\r\ncluster_slots_assigned:{assigned}\r\ncluster_slots_ok:{assigned}\r\n\
             cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:{}\r\ncluster_size:{size}\r\n\
             cluster_current_epoch:{}\r\ncluster_my_epoch:{}\r\ncluster_stats_messages_sent:0\r\n\
             cluster_stats_messages_received:0\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n",
            if self.is_ok(&topology) { "ok" } else { "fail" },
            topology.nodes.len(),
            topology.current_epoch,
            topology.nodes[self.me].config_epoch,
        )
    }

    /// CLUSTER NODES (Redis's `clusterGenNodesDescription`): a line a node — id, address,
    /// flags, no master, pings sent and pongs received (the last now: every node of one process
    /// answers at once), config epoch, link state, slots, and on this node's line the slots it
    /// is migrating (`[slot->-id]`) and importing (`[slot-<-id]`).
    pub(crate) fn nodes(&self, now_ms: i64) -> String {
        let topology = self.topology.read();
        let mut text = String::new();
        for (node, info) in topology.nodes.iter().enumerate() {
            let flags = if node == self.me { "myself,master" } else { "master" };
            let pong = match (node == self.me, topology.nodes.len()) {
                (_, 1) => 0,
                (true, _) => now_ms - now_ms % 1000,
                (false, _) => now_ms,
            };
            text.push_str(&format!(
                "{} {}:{}@{} {flags} - 0 {pong} {} connected",
                info.id,
                info.ip,
                info.port,
                bus_port(info.port),
                info.config_epoch
            ));
            for (first, last) in topology.ranges_of(node) {
                if first == last {
                    text.push_str(&format!(" {first}"));
                } else {
                    text.push_str(&format!(" {first}-{last}"));
                }
            }
            if node == self.me {
                for (slot, target) in &info.migrating {
                    text.push_str(&format!(" [{slot}->-{}]", topology.nodes[*target].id));
                }
                for (slot, source) in &info.importing {
                    text.push_str(&format!(" [{slot}-<-{}]", topology.nodes[*source].id));
                }
            }
            text.push('\n');
        }
        text
    }

    /// CLUSTER ADDSLOTS / DELSLOTS (and their RANGE forms): every slot of `ranges` must be free
    /// (to add) or assigned (to delete) and named once, checked in order before any changes.
    pub(crate) fn update_slots(&self, ranges: &[(u16, u16)], delete: bool) -> Result<(), CommandError> {
        let mut topology = self.topology.write();
        let mut named = vec![false; usize::from(SLOT_COUNT)];
        for &(first, last) in ranges {
            for slot in first..=last {
                let assigned = topology.owner(slot).is_some();
                if delete && !assigned {
                    return Err(other(format!("ERR Slot {slot} is already unassigned")));
                }
                if !delete && assigned {
                    return Err(other(format!("ERR Slot {slot} is already busy")));
                }
                if std::mem::replace(&mut named[usize::from(slot)], true) {
                    return Err(other(format!("ERR Slot {slot} specified multiple times")));
                }
            }
        }
        for (slot, _) in named.iter().enumerate().filter(|(_, named)| **named) {
            topology.owner[slot] = if delete { NO_NODE } else { self.me as u16 };
            // A slot it imported and now serves is imported no more.
            if !delete {
                topology.nodes[self.me].importing.remove(&(slot as u16));
            }
        }
        self.decide_ok(&topology);
        Ok(())
    }

    /// CLUSTER SETSLOT slot MIGRATING node: this node serves the slot (else Redis's error) and
    /// moves it to `target`.
    pub(crate) fn set_migrating(&self, slot: u16, target: usize) {
        self.topology.write().nodes[self.me].migrating.insert(slot, target);
    }

    /// CLUSTER SETSLOT slot IMPORTING node.
    pub(crate) fn set_importing(&self, slot: u16, source: usize) {
        self.topology.write().nodes[self.me].importing.insert(slot, source);
    }

    /// CLUSTER SETSLOT slot STABLE: neither migrating nor importing here.
    pub(crate) fn set_stable(&self, slot: u16) {
        let mut topology = self.topology.write();
        let me = &mut topology.nodes[self.me];
        me.migrating.remove(&slot);
        me.importing.remove(&slot);
    }

    /// CLUSTER SETSLOT slot NODE node, once its checks passed (Redis's `clusterCommandSetSlot`):
    /// the slot is `node`'s; a migration out of it ends when no key is left (`keys_left`), and
    /// an import into this node ends with a new config epoch.
    pub(crate) fn set_node(&self, slot: u16, node: usize, keys_left: bool) {
        let mut topology = self.topology.write();
        if !keys_left {
            topology.nodes[self.me].migrating.remove(&slot);
        }
        topology.owner[usize::from(slot)] = node as u16;
        if node == self.me && topology.nodes[self.me].importing.remove(&slot).is_some() {
            bump_epoch(&mut topology, self.me);
        }
        self.decide_ok(&topology);
    }

    /// Gives up every slot (CLUSTER FLUSHSLOTS).
    pub(crate) fn flush_slots(&self) {
        let mut topology = self.topology.write();
        let me = self.me as u16;
        topology
            .owner
            .iter_mut()
            .filter(|owner| **owner == me)
            .for_each(|owner| *owner = NO_NODE);
        self.decide_ok(&topology);
    }

    /// CLUSTER BUMPEPOCH (Redis's `clusterBumpConfigEpochWithoutConsensus`): a new config epoch
    /// unless this node's is already the greatest and not 0; whether it bumped, and the epoch.
    pub(crate) fn bump_epoch(&self) -> (bool, u64) {
        let mut topology = self.topology.write();
        let bumped = bump_epoch(&mut topology, self.me);
        (bumped, topology.nodes[self.me].config_epoch)
    }

    /// CLUSTER SET-CONFIG-EPOCH, on a node that knows no other.
    pub(crate) fn set_config_epoch(&self, epoch: u64) -> Result<(), CommandError> {
        let mut topology = self.topology.write();
        if topology.nodes.len() > 1 {
            return Err(CommandError::other(
                "ERR The user can assign a config epoch only when the node does not know any other node.",
            ));
        }
        if topology.nodes[self.me].config_epoch != 0 {
            return Err(CommandError::other("ERR Node config epoch is already non-zero"));
        }
        topology.nodes[self.me].config_epoch = epoch;
        topology.current_epoch = topology.current_epoch.max(epoch);
        Ok(())
    }

    /// CLUSTER RESET of a node alone: every slot unassigned, migrations closed; a hard reset
    /// also zeroes the epochs and draws a new node id.
    pub(crate) fn reset(&self, hard: bool) -> Result<(), CommandError> {
        let mut topology = self.topology.write();
        if topology.nodes.len() > 1 {
            return Err(CommandError::other(
                "ERR the nodes of an embedis cluster share one view of it: a node cannot leave it",
            ));
        }
        topology.owner.fill(NO_NODE);
        let me = &mut topology.nodes[self.me];
        me.migrating.clear();
        me.importing.clear();
        if hard {
            me.config_epoch = 0;
            me.id = crate::ids::random_id();
            topology.current_epoch = 0;
        }
        self.decide_ok(&topology);
        Ok(())
    }
}

/// Redis's `clusterBumpConfigEpochWithoutConsensus` for `node`.
fn bump_epoch(topology: &mut Topology, node: usize) -> bool {
    let max = topology.max_epoch();
    let epoch = topology.nodes[node].config_epoch;
    if epoch == 0 || epoch != max {
        topology.current_epoch += 1;
        topology.nodes[node].config_epoch = topology.current_epoch;
        true
    } else {
        false
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
