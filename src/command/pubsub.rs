//! PUBLISH, SPUBLISH and PUBSUB (Redis's `pubsub.c`); the subscription commands themselves are
//! run by the connection, whose mailbox they subscribe (`connection.rs`), over the store's
//! [`Hub`](crate::pubsub::Hub).

use super::Ctx;
use crate::argv::Argv;
use crate::error::CommandError;
use crate::reply::Reply;

/// PUBLISH channel message: how many subscribers (of the channel, and of each matching pattern)
/// received it.
pub(crate) fn publish(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    ctx.replicate_only(argv);
    Ok(Reply::Integer(ctx.ks.pubsub.publish(argv.arg(1), argv.arg(2), false)))
}

/// SPUBLISH shardchannel message: as PUBLISH, to the shard channel's subscribers (patterns do
/// not see shard messages).
pub(crate) fn spublish(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    ctx.replicate_only(argv);
    Ok(Reply::Integer(ctx.ks.pubsub.publish(argv.arg(1), argv.arg(2), true)))
}

/// PUBSUB CHANNELS / SHARDCHANNELS [pattern]: the channels someone subscribes to.
fn active_channels(ctx: &mut Ctx<'_>, argv: &Argv, shard: bool) -> Result<Reply, CommandError> {
    if argv.len() > 3 {
        return Err(super::args::subcommand_syntax_error(argv, "PUBSUB"));
    }
    Ok(Reply::bulks(ctx.ks.pubsub.active(shard, argv.get(2))))
}

/// PUBSUB NUMSUB / SHARDNUMSUB [channel ...]: each channel and how many subscribe to it.
fn subscriber_counts(ctx: &mut Ctx<'_>, argv: &Argv, shard: bool) -> Reply {
    Reply::Array(
        argv.iter()
            .skip(2)
            .flat_map(|channel| {
                let count = ctx.ks.pubsub.numsub(shard, channel) as i64;
                [Reply::bulk(channel), Reply::Integer(count)]
            })
            .collect(),
    )
}

/// PUBSUB CHANNELS [pattern]
pub(crate) fn pubsub_channels(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    active_channels(ctx, argv, false)
}

/// PUBSUB SHARDCHANNELS [pattern]
pub(crate) fn pubsub_shardchannels(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    active_channels(ctx, argv, true)
}

/// PUBSUB NUMSUB [channel ...]
pub(crate) fn pubsub_numsub(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    Ok(subscriber_counts(ctx, argv, false))
}

/// PUBSUB SHARDNUMSUB [shardchannel ...]
pub(crate) fn pubsub_shardnumsub(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    Ok(subscriber_counts(ctx, argv, true))
}

/// PUBSUB NUMPAT: how many patterns someone subscribes to.
pub(crate) fn pubsub_numpat(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::Integer(ctx.ks.pubsub.numpat() as i64))
}

/// PUBSUB HELP
pub(crate) fn pubsub_help(_ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    const HELP: &[&str] = &[
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::help(HELP))
}
