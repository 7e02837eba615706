//! CLIENT's subcommands that concern the calling connection alone — ID, GETNAME, SETNAME, and
//! client-side caching's TRACKING, CACHING, GETREDIR and TRACKINGINFO (their table rows are
//! flagged [`IN_PROCESS`](super::table::flags::IN_PROCESS)) — answered alike by embedis-server
//! and by an in-process [`Connection`](crate::Connection). The rest of CLIENT (LIST, KILL,
//! PAUSE, REPLY, …) concerns a server's clients and is the server's.

use std::sync::Arc;

use crate::argv::Argv;
use crate::command::args::is_option;
use crate::connection::Session;
use crate::error::CommandError;
use crate::keyspace::{ClientId, Keyspace};
use crate::pubsub::Mailbox;
use crate::reply::Reply;
use crate::tracking::{TrackingInfo, TrackingOptions};

/// The client a CLIENT subcommand runs for: its command line, its id, its protocol and name, and
/// the locked keyspace.
pub(crate) struct ClientCall<'a> {
    pub(crate) argv: &'a Argv,
    pub(crate) me: ClientId,
    pub(crate) session: &'a mut Session,
    pub(crate) ks: &'a mut Keyspace,
}

/// Runs the CLIENT subcommand `name` (a `client|…` row flagged `IN_PROCESS`) for `call`'s
/// client. `own` answers the client's mailbox (asked by TRACKING only); `mailbox_of` finds
/// another client's by its id (the target of a REDIRECT), `None` for a client the caller does
/// not know.
pub(crate) fn run(
    name: &str,
    call: ClientCall<'_>,
    own: impl FnOnce() -> Option<Arc<Mailbox>>,
    mailbox_of: impl Fn(&Keyspace, ClientId) -> Option<Arc<Mailbox>>,
) -> Reply {
    let ClientCall { argv, me, session, ks } = call;
    match name {
        "client|id" => Reply::Integer(me as i64),
        "client|getname" => session.name.as_deref().map_or(Reply::Nil, Reply::bulk),
        "client|setname" => match session.set_name(argv.arg(2)) {
            Ok(()) => Reply::ok(),
            Err(e) => Reply::Error(e),
        },
        "client|tracking" => tracking(ClientCall { argv, me, session, ks }, own, mailbox_of),
        "client|caching" => caching(argv, me, ks),
        "client|getredir" => Reply::Integer(ks.tracking.info(me).map_or(-1, |info| info.redirect as i64)),
        "client|trackinginfo" => tracking_info(ks.tracking.info(me)),
        _ => Reply::Error(crate::command::table::unknown_command(argv)),
    }
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p]… [OPTIN] [OPTOUT] [NOLOOP], with
/// Redis's checks in Redis's order.
fn tracking(
    call: ClientCall<'_>,
    own: impl FnOnce() -> Option<Arc<Mailbox>>,
    mailbox_of: impl Fn(&Keyspace, ClientId) -> Option<Arc<Mailbox>>,
) -> Reply {
    let ClientCall { argv, me, session, ks } = call;
    let mut redirect: i64 = 0;
    let mut options = TrackingOptions::default();
    let mut prefixes: Vec<&[u8]> = Vec::new();
    let mut i = 3;
    while i < argv.len() {
        let arg = argv.arg(i);
        let more = i + 1 < argv.len();
        if is_option(arg, "redirect") && more {
            i += 1;
            if redirect != 0 {
                return Reply::Error(CommandError::other(
                    "ERR A client can only redirect to a single other client",
                ));
            }
            let Some(id) = crate::number::parse_i64(argv.arg(i)) else {
                return Reply::Error(CommandError::NotInteger);
            };
            if id <= 0 || mailbox_of(ks, id as ClientId).is_none() {
                return Reply::Error(CommandError::other(
                    "ERR The client ID you want redirect to does not exist",
                ));
            }
            redirect = id;
        } else if is_option(arg, "bcast") {
            options.bcast = true;
        } else if is_option(arg, "optin") {
            options.optin = true;
        } else if is_option(arg, "optout") {
            options.optout = true;
        } else if is_option(arg, "noloop") {
            options.noloop = true;
        } else if is_option(arg, "prefix") && more {
            i += 1;
            prefixes.push(argv.arg(i));
        } else {
            return Reply::Error(CommandError::Syntax);
        }
        i += 1;
    }
    if is_option(argv.arg(2), "off") {
        ks.tracking.disable(me);
        session.tracking = false;
        return Reply::ok();
    }
    if !is_option(argv.arg(2), "on") {
        return Reply::Error(CommandError::Syntax);
    }
    if let Err(e) = check_tracking_options(options, &prefixes, ks.tracking.info(me).as_ref(), |new| {
        ks.tracking.overlapping(me, new)
    }) {
        return Reply::Error(e);
    }
    let Some(own) = own() else {
        return Reply::Error(CommandError::other("ERR command out of place"));
    };
    let target = (redirect > 0)
        .then(|| mailbox_of(ks, redirect as ClientId).map(|mailbox| (redirect as ClientId, mailbox)))
        .flatten();
    ks.tracking.enable(me, &own, target, options, &prefixes);
    session.tracking = true;
    Reply::ok()
}

/// CLIENT TRACKING ON's checks of its options against each other and against the client's
/// tracking now (`current`), in Redis's order; `overlapping` finds a new prefix overlapping one
/// the client has.
fn check_tracking_options<'p>(
    options: TrackingOptions,
    prefixes: &[&'p [u8]],
    current: Option<&TrackingInfo>,
    overlapping: impl Fn(&[&'p [u8]]) -> Option<(&'p [u8], Vec<u8>)>,
) -> Result<(), CommandError> {
    let fail = |text: &str| Err(CommandError::Other(text.to_string().into()));
    if !options.bcast && !prefixes.is_empty() {
        return fail("ERR PREFIX option requires BCAST mode to be enabled");
    }
    if current.is_some_and(|info| info.options.bcast != options.bcast) {
        return fail(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
        );
    }
    if options.bcast && (options.optin || options.optout) {
        return fail("ERR OPTIN and OPTOUT are not compatible with BCAST");
    }
    if options.optin && options.optout {
        return fail("ERR You can't specify both OPTIN mode and OPTOUT mode");
    }
    if current.is_some_and(|info| (options.optin && info.options.optout) || (options.optout && info.options.optin)) {
        return fail(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
        );
    }
    if options.bcast {
        let shown = |p: &[u8]| String::from_utf8_lossy(crate::command::args::c_str(p)).into_owned();
        for (i, new) in prefixes.iter().enumerate() {
            if let Some((_, old)) = overlapping(&[*new]) {
                return fail(&format!(
                    "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                    shown(new),
                    shown(&old)
                ));
            }
            if let Some(other) = prefixes[i + 1..]
                .iter()
                .find(|other| crate::tracking::overlap(new, other))
            {
                return fail(&format!(
                    "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    shown(new),
                    shown(other)
                ));
            }
        }
    }
    Ok(())
}

/// CLIENT CACHING YES|NO.
fn caching(argv: &Argv, me: ClientId, ks: &mut Keyspace) -> Reply {
    let Some(info) = ks.tracking.info(me) else {
        return Reply::Error(CommandError::other(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ));
    };
    let allowed = if is_option(argv.arg(2), "yes") {
        info.options
            .optin
            .then_some(())
            .ok_or("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    } else if is_option(argv.arg(2), "no") {
        info.options
            .optout
            .then_some(())
            .ok_or("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    } else {
        return Reply::Error(CommandError::Syntax);
    };
    match allowed {
        Ok(()) => {
            ks.tracking.set_caching(me);
            Reply::ok()
        }
        Err(text) => Reply::Error(CommandError::other(text)),
    }
}

/// CLIENT TRACKINGINFO: flags (a set), redirect, prefixes.
fn tracking_info(info: Option<TrackingInfo>) -> Reply {
    let Some(info) = info else {
        return Reply::Map(vec![
            (Reply::bulk("flags"), Reply::Set(vec![Reply::bulk("off")])),
            (Reply::bulk("redirect"), Reply::Integer(-1)),
            (Reply::bulk("prefixes"), Reply::Array(Vec::new())),
        ]);
    };
    let o = info.options;
    let flags = [
        (true, "on"),
        (o.bcast, "bcast"),
        (o.optin, "optin"),
        (o.optin && info.caching, "caching-yes"),
        (o.optout, "optout"),
        (o.optout && info.caching, "caching-no"),
        (o.noloop, "noloop"),
        (info.broken, "broken_redirect"),
    ];
    Reply::Map(vec![
        (
            Reply::bulk("flags"),
            Reply::Set(
                flags
                    .iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, name)| Reply::bulk(*name))
                    .collect(),
            ),
        ),
        (Reply::bulk("redirect"), Reply::Integer(info.redirect as i64)),
        (
            Reply::bulk("prefixes"),
            Reply::Array(info.prefixes.into_iter().map(Reply::Bulk).collect()),
        ),
    ])
}
