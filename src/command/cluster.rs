//! CLUSTER and its subcommands, READONLY, READWRITE, ASKING (Redis's `cluster.c`), as one node
//! of a cluster answers them; the routing of requests by slot is `crate::cluster`.
//!
//! Outside cluster mode every one answers Redis's `ERR This instance has cluster support
//! disabled`. A node of embedis is alone in its cluster: it knows no other node, so the
//! subcommands that name one (FORGET, REPLICATE, SETSLOT …) find only itself, with Redis's errors.

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

/// `ERR Unknown node <id>`, unless `name` is this node.
fn known(cluster: &Cluster, name: &[u8]) -> Result<(), CommandError> {
    if cluster.knows(name) {
        Ok(())
    } else {
        Err(CommandError::Other(
            format!("ERR Unknown node {}", String::from_utf8_lossy(name)).into(),
        ))
    }
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
    Ok(Reply::Verbatim(*b"txt", cluster(ctx)?.nodes().into_bytes()))
}

/// This node as CLUSTER SLOTS lists a slot range's master: IP (none known), port, id, and its
/// other endpoints (none).
fn slots_node(cluster: &Cluster) -> Reply {
    Reply::Array(vec![
        Reply::bulk(""),
        Reply::Integer(i64::from(cluster.port())),
        Reply::bulk(cluster.id()),
        Reply::Map(Vec::new()),
    ])
}

/// CLUSTER SLOTS
pub(crate) fn slots(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    let cluster = cluster(ctx)?;
    let ranges = cluster.slot_ranges().into_iter().map(|(first, last)| {
        Reply::Array(vec![
            Reply::Integer(i64::from(first)),
            Reply::Integer(i64::from(last)),
            slots_node(&cluster),
        ])
    });
    Ok(Reply::Array(ranges.collect()))
}

/// CLUSTER SHARDS: one shard, this node's, with its slot ranges and itself as master.
pub(crate) fn shards(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    let cluster = cluster(ctx)?;
    let slots = cluster
        .slot_ranges()
        .into_iter()
        .flat_map(|(first, last)| [Reply::Integer(i64::from(first)), Reply::Integer(i64::from(last))]);
    let field = |name: &str, value: Reply| (Reply::bulk(name), value);
    let node = Reply::Map(vec![
        field("id", Reply::bulk(cluster.id())),
        field("port", Reply::Integer(i64::from(cluster.port()))),
        field("ip", Reply::bulk("")),
        field("endpoint", Reply::bulk("")),
        field("role", Reply::bulk("master")),
        field("replication-offset", Reply::Integer(0)),
        field("health", Reply::bulk("online")),
    ]);
    Ok(Reply::Array(vec![Reply::Map(vec![
        field("slots", Reply::Array(slots.collect())),
        field("nodes", Reply::Array(vec![node])),
    ])]))
}

/// CLUSTER LINKS: none, with no other node.
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

/// CLUSTER COUNT-FAILURE-REPORTS node-id: none about itself.
pub(crate) fn count_failure_reports(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    known(&*cluster(ctx)?, argv.arg(2))?;
    Ok(Reply::Integer(0))
}

/// CLUSTER REPLICAS (SLAVES) node-id: it has none.
pub(crate) fn replicas(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    known(&*cluster(ctx)?, argv.arg(2))?;
    Ok(Reply::Array(Vec::new()))
}

/// CLUSTER FORGET node-id: it cannot forget itself.
pub(crate) fn forget(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    known(&*cluster(ctx)?, argv.arg(2))?;
    Err(CommandError::other("ERR I tried hard but I can't forget myself..."))
}

/// CLUSTER REPLICATE node-id: it cannot replicate itself.
pub(crate) fn replicate(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    known(&*cluster(ctx)?, argv.arg(2))?;
    Err(CommandError::other("ERR Can't replicate myself"))
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

/// CLUSTER SETSLOT slot IMPORTING node-id | MIGRATING node-id | STABLE | NODE node-id.
pub(crate) fn setslot(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let cluster = cluster(ctx)?;
    let slot = slot_arg(argv.arg(2))?;
    let action = argv.arg(3);
    let unknown_node = |name: &[u8]| {
        CommandError::Other(format!("ERR I don't know about node {}", String::from_utf8_lossy(name)).into())
    };
    if is_option(action, "migrating") && argv.len() == 5 {
        if !cluster.owns(slot) {
            return Err(CommandError::Other(
                format!("ERR I'm not the owner of hash slot {slot}").into(),
            ));
        }
        // Alone, it knows no node to migrate to (Redis would also take itself as the target,
        // a migration to nowhere: embedis refuses that too, see the README's deviations).
        return Err(unknown_node(argv.arg(4)));
    }
    if is_option(action, "importing") && argv.len() == 5 {
        if cluster.owns(slot) {
            return Err(CommandError::Other(
                format!("ERR I'm already the owner of hash slot {slot}").into(),
            ));
        }
        // Alone, it knows no node to import from (itself included, as for MIGRATING).
        return Err(unknown_node(argv.arg(4)));
    }
    if is_option(action, "stable") && argv.len() == 4 {
        return Ok(Reply::ok());
    }
    if is_option(action, "node") && argv.len() == 5 {
        known(&cluster, argv.arg(4))?;
        cluster.take_slot(slot);
        return Ok(Reply::ok());
    }
    Err(CommandError::other(
        "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
    ))
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
    cluster.reset(hard);
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
