//! CLUSTER and its subcommands, READONLY, READWRITE, ASKING (Redis's `cluster.c`), as one node
//! of a cluster answers them; the routing of requests by slot is `crate::cluster`.
//!
//! Outside cluster mode every one answers Redis's `ERR This instance has cluster support
//! disabled`. The nodes of an embedis cluster (a store alone, or the nodes of one
//! `LocalCluster`) share one view of it, so what one node changes — a slot's owner — every node
//! sees at once, as if their bus were instantaneous; they are masters without replicas.

use std::sync::Arc;

use super::Ctx;
use super::args::{int, is_option};
use crate::argv::Argv;
use crate::cluster::{Cluster, SLOT_COUNT, key_slot};
use crate::error::CommandError;
use crate::reply::Reply;

/// The node's cluster, or Redis's error outside cluster mode.
fn cluster(ctx: &Ctx<'_>) -> Result<Arc<Cluster>, CommandError> {
    ctx.ks
        .cluster
        .clone()
        .ok_or(CommandError::other("ERR This instance has cluster support disabled"))
}

/// Redis's `getSlotOrReply`.
fn slot_arg(arg: &[u8]) -> Result<u16, CommandError> {
    crate::number::parse_i64(arg)
        .filter(|slot| (0..i64::from(SLOT_COUNT)).contains(slot))
        .map(|slot| slot as u16)
        .ok_or(CommandError::other("ERR Invalid or out of range slot"))
}

/// The error of a subcommand whose arguments match none of its forms.
fn syntax(argv: &Argv) -> CommandError {
    super::args::subcommand_syntax_error(argv, "CLUSTER")
}

/// The node of this id, or `ERR <text> <id>` (`Unknown node`, `I don't know about node`).
fn known(cluster: &Cluster, name: &[u8], text: &str) -> Result<usize, CommandError> {
    cluster
        .find(name)
        .ok_or_else(|| CommandError::Other(format!("ERR {text} {}", String::from_utf8_lossy(name)).into()))
}

/// CLUSTER INFO
pub(crate) fn info(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::Verbatim(*b"txt", cluster(ctx)?.info().into_bytes()))
}

/// CLUSTER MYID
pub(crate) fn myid(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::bulk(cluster(ctx)?.id()))
}

/// CLUSTER NODES
pub(crate) fn nodes(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    let now = ctx.ks.now();
    Ok(Reply::Verbatim(*b"txt", cluster(ctx)?.nodes(now).into_bytes()))
}

/// CLUSTER SLOTS: each run of slots with its master — IP, port, id and its other endpoints
/// (none).
pub(crate) fn slots(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    let runs = cluster(ctx)?.slot_table().into_iter().map(|(first, last, node)| {
        Reply::Array(vec![
            Reply::Integer(i64::from(first)),
            Reply::Integer(i64::from(last)),
            Reply::Array(vec![
                Reply::bulk(node.ip),
                Reply::Integer(i64::from(node.port)),
                Reply::bulk(node.id),
                Reply::Map(Vec::new()),
            ]),
        ])
    });
    Ok(Reply::Array(runs.collect()))
}

/// CLUSTER SHARDS: a shard a node, each with its slot runs and its node as master.
pub(crate) fn shards(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    let field = |name: &str, value: Reply| (Reply::bulk(name), value);
    let shards = cluster(ctx)?.shards().into_iter().map(|(ranges, node)| {
        let slots = ranges
            .into_iter()
            .flat_map(|(first, last)| [Reply::Integer(i64::from(first)), Reply::Integer(i64::from(last))]);
        let node = Reply::Map(vec![
            field("id", Reply::bulk(node.id)),
            field("port", Reply::Integer(i64::from(node.port))),
            field("ip", Reply::bulk(node.ip.clone())),
            field("endpoint", Reply::bulk(node.ip)),
            field("role", Reply::bulk("master")),
            field("replication-offset", Reply::Integer(0)),
            field("health", Reply::bulk("online")),
        ]);
        Reply::Map(vec![
            field("slots", Reply::Array(slots.collect())),
            field("nodes", Reply::Array(vec![node])),
        ])
    });
    Ok(Reply::Array(shards.collect()))
}

/// CLUSTER LINKS: none (the nodes of one process need no bus).
pub(crate) fn links(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    cluster(ctx)?;
    Ok(Reply::Array(Vec::new()))
}

/// CLUSTER KEYSLOT key
pub(crate) fn keyslot(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    cluster(ctx)?;
    Ok(Reply::Integer(i64::from(key_slot(argv.arg(2)))))
}

/// CLUSTER COUNTKEYSINSLOT slot
pub(crate) fn countkeysinslot(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    cluster(ctx)?;
    let slot = int(argv.arg(2))?;
    if !(0..i64::from(SLOT_COUNT)).contains(&slot) {
        return Err(CommandError::other("ERR Invalid slot"));
    }
    Ok(Reply::Integer(ctx.ks.keys_in_slot(slot as u16).count() as i64))
}

/// CLUSTER GETKEYSINSLOT slot count
pub(crate) fn getkeysinslot(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    cluster(ctx)?;
    let (slot, count) = (int(argv.arg(2))?, int(argv.arg(3))?);
    if !(0..i64::from(SLOT_COUNT)).contains(&slot) || count < 0 {
        return Err(CommandError::other("ERR Invalid slot or number of keys"));
    }
    let keys = ctx.ks.keys_in_slot(slot as u16).take(count as usize);
    Ok(Reply::bulks(keys))
}

/// CLUSTER ADDSLOTS slot [slot ...] and DELSLOTS: every argument a slot, then each free (or
/// assigned) and named once.
pub(crate) fn addslots(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let cluster = cluster(ctx)?;
    let delete = is_option(argv.arg(1), "delslots");
    let slots = argv
        .iter()
        .skip(2)
        .map(|arg| slot_arg(arg).map(|slot| (slot, slot)))
        .collect::<Result<Vec<_>, _>>()?;
    cluster.update_slots(&slots, delete)?;
    Ok(Reply::ok())
}

/// CLUSTER ADDSLOTSRANGE first last [first last ...] and DELSLOTSRANGE.
pub(crate) fn addslotsrange(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let cluster = cluster(ctx)?;
    let delete = is_option(argv.arg(1), "delslotsrange");
    if argv.len() % 2 == 1 {
        let name = if delete { "delslotsrange" } else { "addslotsrange" };
        return Err(CommandError::WrongArity(format!("cluster|{name}")));
    }
    let mut ranges = Vec::new();
    for pair in argv.iter().skip(2).collect::<Vec<_>>().chunks(2) {
        let (first, last) = (slot_arg(pair[0])?, slot_arg(pair[1])?);
        if first > last {
            return Err(CommandError::Other(
                format!("ERR start slot number {first} is greater than end slot number {last}").into(),
            ));
        }
        ranges.push((first, last));
    }
    cluster.update_slots(&ranges, delete)?;
    Ok(Reply::ok())
}

/// CLUSTER FLUSHSLOTS: on an empty database 0 only.
pub(crate) fn flushslots(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    let cluster = cluster(ctx)?;
    if ctx.ks.len(0) != 0 {
        return Err(CommandError::other(
            "ERR DB must be empty to perform CLUSTER FLUSHSLOTS.",
        ));
    }
    cluster.flush_slots();
    Ok(Reply::ok())
}

/// CLUSTER BUMPEPOCH: `BUMPED <epoch>`, or `STILL <epoch>` when it already is the greatest.
pub(crate) fn bumpepoch(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    let (bumped, epoch) = cluster(ctx)?.bump_epoch();
    let word = if bumped { "BUMPED" } else { "STILL" };
    Ok(Reply::Status(format!("{word} {epoch}").into()))
}

/// CLUSTER SET-CONFIG-EPOCH epoch
pub(crate) fn set_config_epoch(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let cluster = cluster(ctx)?;
    let epoch = int(argv.arg(2))?;
    if epoch < 0 {
        return Err(CommandError::Other(
            format!("ERR Invalid config epoch specified: {epoch}").into(),
        ));
    }
    cluster.set_config_epoch(epoch as u64)?;
    Ok(Reply::ok())
}

/// CLUSTER COUNT-FAILURE-REPORTS node-id: none (every node of one process is up).
pub(crate) fn count_failure_reports(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    known(&*cluster(ctx)?, argv.arg(2), "Unknown node")?;
    Ok(Reply::Integer(0))
}

/// CLUSTER REPLICAS (SLAVES) node-id: the nodes of embedis are masters without replicas.
pub(crate) fn replicas(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    known(&*cluster(ctx)?, argv.arg(2), "Unknown node")?;
    Ok(Reply::Array(Vec::new()))
}

/// CLUSTER FORGET node-id: a node cannot forget itself, and the nodes of an embedis cluster
/// share one view of it, which no node leaves.
pub(crate) fn forget(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let cluster = cluster(ctx)?;
    let node = known(&cluster, argv.arg(2), "Unknown node")?;
    if cluster.is_me(node) {
        return Err(CommandError::other("ERR I tried hard but I can't forget myself..."));
    }
    Err(CommandError::other(
        "ERR the nodes of an embedis cluster share one view of it: a node cannot be forgotten",
    ))
}

/// CLUSTER REPLICATE node-id: not itself; and a node of embedis is a master, with slots or keys
/// or not (no replication yet).
pub(crate) fn replicate(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let cluster = cluster(ctx)?;
    let node = known(&cluster, argv.arg(2), "Unknown node")?;
    if cluster.is_me(node) {
        return Err(CommandError::other("ERR Can't replicate myself"));
    }
    if cluster.owns_any() || ctx.ks.len(0) != 0 {
        return Err(CommandError::other(
            "ERR To set a master the node must be empty and without assigned slots.",
        ));
    }
    Err(CommandError::other(
        "ERR the nodes of an embedis cluster are masters: no replication yet",
    ))
}

/// CLUSTER FAILOVER [FORCE|TAKEOVER]: for replicas, which it is not.
pub(crate) fn failover(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    cluster(ctx)?;
    match argv.len() {
        2 => {}
        3 if is_option(argv.arg(2), "force") || is_option(argv.arg(2), "takeover") => {}
        3 => return Err(CommandError::Syntax),
        _ => return Err(syntax(argv)),
    }
    Err(CommandError::other("ERR You should send CLUSTER FAILOVER to a replica"))
}

/// CLUSTER SETSLOT slot IMPORTING node-id | MIGRATING node-id | STABLE | NODE node-id, with
/// Redis's checks in Redis's order (`clusterCommandSetSlot`).
pub(crate) fn setslot(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let cluster = cluster(ctx)?;
    let slot = slot_arg(argv.arg(2))?;
    let action = argv.arg(3);
    if is_option(action, "migrating") && argv.len() == 5 {
        if !cluster.owns(slot) {
            return Err(CommandError::Other(
                format!("ERR I'm not the owner of hash slot {slot}").into(),
            ));
        }
        let target = known(&cluster, argv.arg(4), "I don't know about node")?;
        cluster.set_migrating(slot, target);
    } else if is_option(action, "importing") && argv.len() == 5 {
        if cluster.owns(slot) {
            return Err(CommandError::Other(
                format!("ERR I'm already the owner of hash slot {slot}").into(),
            ));
        }
        let source = known(&cluster, argv.arg(4), "I don't know about node")?;
        cluster.set_importing(slot, source);
    } else if is_option(action, "stable") && argv.len() == 4 {
        cluster.set_stable(slot);
    } else if is_option(action, "node") && argv.len() == 5 {
        let node = known(&cluster, argv.arg(4), "Unknown node")?;
        let keys_left = ctx.ks.keys_in_slot(slot).next().is_some();
        if cluster.owns(slot) && !cluster.is_me(node) && keys_left {
            return Err(CommandError::Other(
                format!(
                    "ERR Can't assign hashslot {slot} to a different node while I still hold keys for this hash slot."
                )
                .into(),
            ));
        }
        cluster.set_node(slot, node, keys_left);
    } else {
        return Err(CommandError::other(
            "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
        ));
    }
    Ok(Reply::ok())
}

/// CLUSTER RESET [HARD|SOFT]: on a master holding no keys.
pub(crate) fn reset(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let cluster = cluster(ctx)?;
    let hard = match argv.len() {
        2 => false,
        3 if is_option(argv.arg(2), "hard") => true,
        3 if is_option(argv.arg(2), "soft") => false,
        3 => return Err(CommandError::Syntax),
        _ => return Err(syntax(argv)),
    };
    if ctx.ks.len(ctx.db) != 0 {
        return Err(CommandError::other(
            "ERR CLUSTER RESET can't be called with master nodes containing keys",
        ));
    }
    cluster.reset(hard)?;
    Ok(Reply::ok())
}

/// CLUSTER HELP: Redis 7.0.15's lines, without those of MEET and SAVECONFIG, which embedis does
/// not have.
pub(crate) fn help(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    cluster(ctx)?;
    Ok(Reply::help(CLUSTER_HELP))
}

const CLUSTER_HELP: &[&str] = &[
    "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes of a link",
    "HELP",
    "    Prints this help.",
];

/// READONLY, READWRITE and ASKING: OK in cluster mode. They matter to a replica's clients
/// (READONLY) and during a slot's migration (ASKING); a lone master has neither.
pub(crate) fn connection_flag(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    cluster(ctx)?;
    Ok(Reply::ok())
}
