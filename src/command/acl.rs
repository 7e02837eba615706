//! ACL's subcommands over the store's users (`acl.rs`): SETUSER, GETUSER, DELUSER, USERS,
//! LIST, CAT, WHOAMI, GENPASS, DRYRUN and HELP, with Redis 7.0's replies.

use super::Ctx;
use super::args;
use super::table::{self, CommandSpec};
use crate::acl::{Access, Denied};
use crate::argv::Argv;
use crate::error::CommandError;
use crate::reply::Reply;

fn other(text: String) -> CommandError {
    CommandError::Other(text.into())
}

/// ACL SETUSER username [rule ...].
pub(crate) fn setuser(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let rules: Vec<&[u8]> = argv.iter().skip(3).collect();
    ctx.ks
        .acl
        .update(|acl| acl.set_user(argv.arg(2), &rules))
        .map_err(other)?;
    Ok(Reply::ok())
}

/// ACL GETUSER username: its flags, passwords (their SHA-256), its root selector's commands,
/// keys and channels, and its other selectors'.
pub(crate) fn getuser(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let acl = ctx.ks.acl.read();
    let Some(user) = acl.user(argv.arg(2)) else {
        return Ok(Reply::Nil);
    };
    let selector = |fields: [(&'static str, Vec<u8>); 3]| {
        fields
            .into_iter()
            .map(|(name, value)| (Reply::bulk(name), Reply::Bulk(value)))
            .collect::<Vec<_>>()
    };
    let mut fields = vec![
        (
            Reply::bulk("flags"),
            Reply::Set(user.flags().into_iter().map(Reply::bulk).collect()),
        ),
        (
            Reply::bulk("passwords"),
            Reply::bulks(user.passwords().iter().map(String::as_bytes)),
        ),
    ];
    fields.extend(selector(user.root_fields()));
    let others = user
        .selector_fields()
        .into_iter()
        .map(|f| Reply::Map(selector(f)))
        .collect();
    fields.push((Reply::bulk("selectors"), Reply::Array(others)));
    Ok(Reply::Map(fields))
}

/// ACL DELUSER username [username ...]: how many were deleted (`default` never is).
pub(crate) fn deluser(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if argv.iter().skip(2).any(|name| name == b"default") {
        return Err(CommandError::other("ERR The 'default' user cannot be removed"));
    }
    let deleted = ctx
        .ks
        .acl
        .update(|acl| argv.iter().skip(2).filter(|name| acl.delete_user(name)).count());
    Ok(Reply::Integer(deleted as i64))
}

/// ACL USERS: every user's name, in order.
pub(crate) fn users(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::bulks(ctx.ks.acl.read().users().map(|u| u.name.clone())))
}

/// ACL LIST: every user in the ACL file's format (`user <name> <rules>`).
pub(crate) fn list(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::bulks(ctx.ks.acl.read().users().map(|u| {
        let mut line = b"user ".to_vec();
        line.extend_from_slice(&u.name);
        line.push(b' ');
        line.extend_from_slice(&u.describe());
        line
    })))
}

/// ACL LOG [count | RESET]: the latest refusals (10 unless `count` says), or RESET empties the
/// log.
pub(crate) fn log(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if argv.len() > 3 {
        return Err(args::subcommand_syntax_error(argv, "ACL"));
    }
    let count = match argv.get(2) {
        Some(arg) if args::is_option(arg, "reset") => {
            ctx.ks.acl.log.lock().clear();
            return Ok(Reply::ok());
        }
        Some(arg) => args::int(arg)?.max(0) as usize,
        None => 10,
    };
    let now = crate::acl::now_ms();
    let log = ctx.ks.acl.log.lock();
    let entries = log
        .latest(count)
        .map(|entry| {
            Reply::map([
                ("count", Reply::Integer(entry.count as i64)),
                ("reason", Reply::bulk(entry.reason_name())),
                ("context", Reply::bulk(entry.context_name())),
                ("object", Reply::Bulk(entry.object.clone())),
                ("username", Reply::Bulk(entry.username.clone())),
                ("age-seconds", Reply::Double((now - entry.at_ms) as f64 / 1000.0)),
                ("client-info", Reply::bulk(entry.client_info.clone())),
            ])
        })
        .collect();
    Ok(Reply::Array(entries))
}

/// ACL LOAD: the users of the `aclfile` in place of all (or, with errors, none changed); ACL
/// SAVE: the users written to it (a temporary file renamed over it). Without an `aclfile`,
/// Redis's error.
pub(crate) fn load_or_save(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let Some(path) = ctx.ks.acl.file.lock().clone() else {
        return Err(CommandError::other(
            "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.",
        ));
    };
    if args::is_option(argv.arg(1), "save") {
        let text = ctx.ks.acl.read().file_text();
        return match crate::persistence::write(&path, &text) {
            Ok(()) => Ok(Reply::ok()),
            Err(_) => Err(CommandError::other(
                "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
            )),
        };
    }
    load_file(&ctx.ks.acl, &path)
        .map(|()| Reply::ok())
        .map_err(|e| other(format!("ERR {e}")))
}

/// Loads the `aclfile` at `path` into `users` (see [`crate::acl::Acl::load_file`]); the error
/// is Redis's text.
pub(crate) fn load_file(users: &crate::acl::Users, path: &std::path::Path) -> Result<(), String> {
    let text = std::fs::read(path).map_err(|e| {
        // C's `strerror`: the message without Rust's " (os error N)".
        let why = e.to_string();
        let why = why.split(" (os error").next().unwrap_or_default().to_string();
        format!("Error loading ACLs, opening file '{}': {why}", path.display())
    })?;
    users.update(|acl| acl.load_file(&text, &path.display().to_string()))
}

/// ACL CAT [category]: the categories, or a category's commands.
pub(crate) fn cat(_ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if argv.len() > 3 {
        return Err(args::subcommand_syntax_error(argv, "ACL"));
    }
    let Some(name) = argv.get(2) else {
        return Ok(Reply::bulks(crate::acl::CATEGORIES));
    };
    let commands = std::str::from_utf8(name).ok().and_then(crate::acl::category_commands);
    match commands {
        Some(commands) => Ok(Reply::bulks(commands)),
        None => Err(other(format!(
            "ERR Unknown category '{}'",
            String::from_utf8_lossy(&name[..name.len().min(128)])
        ))),
    }
}

/// ACL WHOAMI: the user the connection is authenticated as.
pub(crate) fn whoami(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    let Some(id) = ctx.user.filter(|&id| id != crate::acl::APPLICATION) else {
        return Ok(Reply::bulk("default"));
    };
    Ok(match ctx.ks.acl.read().user_by_id(id) {
        Some(user) => Reply::Bulk(user.name.clone()),
        None => Reply::Nil,
    })
}

/// The most bits ACL GENPASS makes.
const GENPASS_MAX_BITS: i64 = 4096;

/// ACL GENPASS [bits]: a random password of `bits` bits (256 by default), in hexadecimal.
pub(crate) fn genpass(_ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if argv.len() > 3 {
        return Err(args::subcommand_syntax_error(argv, "ACL"));
    }
    let bits = match argv.get(2) {
        Some(arg) => args::int(arg)?,
        None => 256,
    };
    if bits <= 0 || bits > GENPASS_MAX_BITS {
        return Err(other(format!(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to {GENPASS_MAX_BITS}"
        )));
    }
    let chars = ((bits + 3) / 4) as usize;
    Ok(Reply::Bulk(random_hex(chars).into_bytes()))
}

/// `chars` random hexadecimal characters, from the system's random source.
fn random_hex(chars: usize) -> String {
    use std::io::Read;
    let mut bytes = vec![0u8; chars.div_ceil(2)];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        // No system source: the process's own randomness, as the run ids draw it.
        let mut hex = String::new();
        while hex.len() < chars {
            hex.push_str(&crate::ids::random_id());
        }
        hex.truncate(chars);
        return hex;
    }
    let mut hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.truncate(chars);
    hex
}

/// ACL DRYRUN username command [arg ...]: whether the user could run the command, as a
/// status, or why not, as a bulk string.
pub(crate) fn dryrun(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let acl = ctx.ks.acl.read();
    let Some(user) = acl.user(argv.arg(2)) else {
        return Err(other(format!(
            "ERR User '{}' not found",
            String::from_utf8_lossy(argv.arg(2))
        )));
    };
    let target = Argv::from_args(argv.iter().skip(3).collect::<Vec<_>>());
    let spec = match table::resolve_for(&target, None, true) {
        Ok(spec) => spec,
        Err(CommandError::WrongArity(name)) => {
            return Err(other(format!("ERR wrong number of arguments for '{name}' command")));
        }
        Err(_) => {
            return Err(other(format!(
                "ERR Command '{}' not found",
                String::from_utf8_lossy(argv.arg(3))
            )));
        }
    };
    let words: Vec<&[u8]> = target.iter().collect();
    match permits(user, spec, &target) {
        Ok(()) => Ok(Reply::ok()),
        Err(denied) => {
            let text = match denied {
                Denied::Command => format!("This user has no permissions to run the '{}' command", spec.name),
                Denied::Key(at) => format!(
                    "This user has no permissions to access the '{}' key",
                    String::from_utf8_lossy(words[at])
                ),
                Denied::Channel(at) => format!(
                    "This user has no permissions to access the '{}' channel",
                    String::from_utf8_lossy(words[at])
                ),
            };
            Ok(Reply::Bulk(text.into_bytes()))
        }
    }
}

/// Whether the user `user` (`None`: `default`) of `users` may run `argv` (its command `spec`),
/// and if not why. The `default` user with every permission checks nothing; a deleted user may
/// run nothing (Redis closes its connections).
pub(crate) fn user_permits(
    users: &crate::acl::Users,
    user: Option<crate::acl::UserId>,
    spec: &CommandSpec,
    argv: &Argv,
) -> Result<(), Denied> {
    if users.unrestricted(user) {
        return Ok(());
    }
    match users.read().user_of(user) {
        Some(user) => permits(user, spec, argv),
        None => Err(Denied::Command),
    }
}

/// Whether `user` may run `target` (its command `spec`): the command, each key it reads or
/// writes, each channel it publishes or subscribes to.
pub(crate) fn permits(user: &crate::acl::User, spec: &CommandSpec, target: &Argv) -> Result<(), Denied> {
    with_access(spec, target, |access| user.check(access)).unwrap_or(Err(Denied::Command))
}

/// Whether the user `user` of `users` may run `target` and read any key (Redis's
/// `ACLUserCheckCmdWithUnrestrictedKeyAccess` for reads): what SORT's BY and GET need.
pub(crate) fn may_read_any_key(users: &crate::acl::Users, user: Option<crate::acl::UserId>, target: &Argv) -> bool {
    if users.unrestricted(user) {
        return true;
    }
    let Some(spec) = table::lookup_full(target) else {
        return false;
    };
    users
        .read()
        .user_of(user)
        .is_some_and(|user| with_access(spec, target, |access| user.may_read_any_key(access)).unwrap_or(false))
}

/// `check` of what `target` (its command `spec`) touches; `None` for a command Redis's table
/// lacks.
fn with_access<R>(spec: &CommandSpec, target: &Argv, check: impl FnOnce(&Access<'_>) -> R) -> Option<R> {
    let words: Vec<&[u8]> = target.iter().collect();
    let command = crate::acl::command_table().find(spec.name)?;
    let keys: Vec<(usize, bool, bool)> = match table::key_positions(spec, target) {
        Ok(positions) => super::server::key_flags(spec, target, &positions)
            .into_iter()
            .map(|(at, flags)| {
                let has = |name: &str| matches!(&flags, Reply::Set(f) if f.iter().any(|f| matches!(f, Reply::Status(s) if s == name)));
                (at, has("access"), has("insert") || has("delete") || has("update"))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let channels = channels(spec.name, words.len());
    Some(check(&Access {
        command,
        argv: &words,
        keys: &keys,
        channels: &channels,
    }))
}

/// The channels a command publishes or subscribes to (Redis's `commands_with_channels`: the
/// unsubscribing ones are not checked): each argument's position, and whether it is a
/// pattern.
fn channels(name: &str, argc: usize) -> Vec<(usize, bool)> {
    match name {
        "subscribe" | "ssubscribe" => (1..argc).map(|at| (at, false)).collect(),
        "psubscribe" => (1..argc).map(|at| (at, true)).collect(),
        "publish" | "spublish" if argc > 1 => vec![(1, false)],
        _ => Vec::new(),
    }
}

/// ACL HELP.
pub(crate) fn help(_ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    const HELP: &[&str] = &[
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::help(HELP))
}
