//! ACL users and their rules, as Redis 7.0 keeps them (`acl.c`): each user is on or off, has
//! passwords (kept as their SHA-256) or `nopass`, and one or more selectors — the root one,
//! written directly in its rules, and any added in parentheses — each saying which commands it
//! may run (a bit per command of Redis's table, categories setting many at once, first
//! arguments allowed one by one), which keys it may read or write (`~pattern`, `%R~`, `%W~`) and
//! which channels it may publish or subscribe to (`&pattern`). A command is allowed when one
//! selector allows all of it.
//!
//! The command table here is Redis 7.0.15's whole one (`acl_commands.txt`: every command and
//! subcommand with its categories, regenerated from redis-server by `tests/acl.rs`), commands
//! embedis lacks included: categories count them, so a user's rules read back (ACL LIST,
//! GETUSER) as Redis's do.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::keyspace::Map;

/// The categories, in Redis's order (`ACLCommandCategories`): ACL CAT lists them so, and the
/// description of a user's commands tries them so.
pub(crate) const CATEGORIES: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// One command of Redis's table.
#[derive(Debug)]
pub(crate) struct AclCommand {
    /// Its full name (`config|get` for a subcommand).
    pub(crate) name: String,
    /// Allowed to anyone (AUTH, HELLO, QUIT, RESET: Redis's `no-auth`).
    no_auth: bool,
    /// A bit per category of [`CATEGORIES`].
    categories: u32,
    /// A subcommand's container.
    parent: Option<usize>,
    /// A container's subcommands.
    subcommands: Vec<usize>,
}

/// Redis's command table: each command by its index (its bit in a selector).
#[derive(Debug)]
pub(crate) struct CommandTable {
    pub(crate) commands: Vec<AclCommand>,
    by_name: Map<String, usize>,
}

impl CommandTable {
    /// The command `name` (`container|sub` for a subcommand), in any case.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.by_name.get(&name.to_ascii_lowercase()).copied()
    }

    /// The commands of category `category` (its index in [`CATEGORIES`]), subcommands
    /// included.
    fn in_category(&self, category: usize) -> impl Iterator<Item = usize> + '_ {
        self.commands
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.categories & (1 << category) != 0)
            .map(|(id, _)| id)
    }
}

/// Redis's command table, read once.
pub(crate) fn command_table() -> &'static CommandTable {
    static TABLE: OnceLock<CommandTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut commands = Vec::new();
        let mut by_name = Map::default();
        for line in include_str!("acl_commands.txt").lines() {
            let mut words = line.split(' ');
            let (Some(name), Some(flags), Some(categories)) = (words.next(), words.next(), words.next()) else {
                continue;
            };
            let categories = categories
                .split(',')
                .filter_map(|c| CATEGORIES.iter().position(|known| *known == c))
                .fold(0u32, |bits, at| bits | 1 << at);
            by_name.insert(name.to_string(), commands.len());
            commands.push(AclCommand {
                name: name.to_string(),
                no_auth: flags == "no_auth",
                categories,
                parent: None,
                subcommands: Vec::new(),
            });
        }
        for id in 0..commands.len() {
            if let Some((container, _)) = commands[id].name.split_once('|')
                && let Some(&parent) = by_name.get(container)
            {
                commands[id].parent = Some(parent);
                commands[parent].subcommands.push(id);
            }
        }
        CommandTable { commands, by_name }
    })
}

/// The index of a category by name, in any case.
fn category(name: &str) -> Option<usize> {
    CATEGORIES.iter().position(|c| c.eq_ignore_ascii_case(name))
}

/// A key pattern and the access it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyPattern {
    pattern: Vec<u8>,
    read: bool,
    write: bool,
}

impl KeyPattern {
    /// As ACL LIST shows it: `~p` (read and write), `%R~p` or `%W~p`.
    fn describe(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match (self.read, self.write) {
            (true, false) => b"%R~",
            (false, true) => b"%W~",
            _ => b"~",
        });
        out.extend_from_slice(&self.pattern);
    }
}

/// Why a rule was refused: Redis's `ACLSetUserStringError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleError {
    /// `ENOENT`.
    UnknownName,
    /// `EINVAL`.
    Syntax,
    /// `EEXIST`.
    KeyAfterAll,
    /// `EISDIR`.
    ChannelAfterAll,
    /// `ENODEV`.
    NoSuchPassword,
    /// `EBADMSG`.
    BadHash,
    /// `ECHILD`.
    SubcommandFirstArg,
}

impl RuleError {
    fn text(self) -> &'static str {
        match self {
            RuleError::UnknownName => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
            }
            RuleError::SubcommandFirstArg => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// A selector: what commands, keys and channels it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Selector {
    /// A bit per command of [`command_table`], and past them one more, set by `+@all` alone:
    /// the commands to come (Redis's reserved bit).
    allowed: Vec<u64>,
    /// Redis's `SELECTOR_FLAG_ALLCOMMANDS`: set by `+@all`, cleared by any command removed.
    all_commands: bool,
    /// The first arguments allowed of a command otherwise not (`+select|0`), by command.
    first_args: BTreeMap<usize, Vec<String>>,
    all_keys: bool,
    patterns: Vec<KeyPattern>,
    all_channels: bool,
    channels: Vec<Vec<u8>>,
}

/// What a check found a command may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Denied {
    /// The command itself (Redis's `ACL_DENIED_CMD`).
    Command,
    /// The key at this argument (`ACL_DENIED_KEY`).
    Key(usize),
    /// The channel at this argument (`ACL_DENIED_CHANNEL`).
    Channel(usize),
}

impl Denied {
    /// Redis's order of relevance, for the error of a user whose every selector refused: a
    /// channel over a key over the command, then the later argument.
    fn rank(self) -> (u8, usize) {
        match self {
            Denied::Command => (0, 0),
            Denied::Key(at) => (1, at),
            Denied::Channel(at) => (2, at),
        }
    }
}

/// The error of a command refused for `denied` (Redis's `processCommand`): `command` is its
/// full name.
pub(crate) fn no_permission(denied: Denied, command: &str) -> String {
    match denied {
        Denied::Command => format!("NOPERM this user has no permissions to run the '{command}' command"),
        Denied::Key(_) => "NOPERM this user has no permissions to access one of the keys used as arguments".into(),
        Denied::Channel(_) => {
            "NOPERM this user has no permissions to access one of the channels used as arguments".into()
        }
    }
}

/// Why a command was refused, as a script's error says it (Redis's `getAclErrorMessage`).
pub(crate) fn denial_reason(denied: Denied) -> &'static str {
    match denied {
        Denied::Command => "run this command or subcommand",
        Denied::Key(_) => "access at least one of the keys mentioned in the command arguments",
        Denied::Channel(_) => "publish to the channel mentioned in the command",
    }
}

/// The error of a command EXEC refuses for `denied`, its user's permissions changed since it
/// was queued (Redis's `execCommand`).
pub(crate) fn no_longer_permitted(denied: Denied) -> String {
    let reason = match denied {
        Denied::Command => "no permission to execute the command or subcommand",
        Denied::Key(_) => "no permission to touch the specified keys",
        Denied::Channel(_) => "no permission to access one of the channels used as arguments",
    };
    format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {reason}"
    )
}

/// How a command's arguments are checked: its bit, and what it touches.
pub(crate) struct Access<'a> {
    /// The command's index in [`command_table`].
    pub(crate) command: usize,
    /// Its arguments, the name first.
    pub(crate) argv: &'a [&'a [u8]],
    /// Each key: its argument, whether the command reads it, whether it writes it.
    pub(crate) keys: &'a [(usize, bool, bool)],
    /// Each channel: its argument, whether it is a pattern (PSUBSCRIBE).
    pub(crate) channels: &'a [(usize, bool)],
}

impl Selector {
    /// A selector that allows nothing.
    fn new() -> Selector {
        Selector {
            allowed: vec![0; command_table().commands.len() / 64 + 1],
            all_commands: false,
            first_args: BTreeMap::new(),
            all_keys: false,
            patterns: Vec::new(),
            all_channels: false,
            channels: Vec::new(),
        }
    }

    fn bit(&self, id: usize) -> bool {
        self.allowed[id / 64] & (1 << (id % 64)) != 0
    }

    /// Sets or clears command `id`'s bit (a cleared bit clears `all_commands`).
    fn set_bit(&mut self, id: usize, on: bool) {
        if on {
            self.allowed[id / 64] |= 1 << (id % 64);
        } else {
            self.allowed[id / 64] &= !(1 << (id % 64));
            self.all_commands = false;
        }
    }

    /// Whether `+@all` set the bit of the commands to come.
    fn allows_future_commands(&self) -> bool {
        self.bit(command_table().commands.len())
    }

    /// Allows or denies command `id` and its subcommands (Redis's `ACLChangeSelectorPerm`).
    fn change(&mut self, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.first_args.remove(&id);
        for &sub in &command_table().commands[id].subcommands {
            self.set_bit(sub, allow);
        }
    }

    /// Allows or denies every command of `category`.
    fn change_category(&mut self, category: usize, allow: bool) {
        let table = command_table();
        for id in table.in_category(category) {
            self.change(id, allow);
        }
    }

    fn set_all(&mut self, allow: bool) {
        self.allowed
            .iter_mut()
            .for_each(|word| *word = if allow { u64::MAX } else { 0 });
        self.all_commands = allow;
        self.first_args.clear();
    }

    /// One rule of a selector (Redis's `ACLSetSelector`).
    fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if op.is_empty() {
            return Err(RuleError::Syntax);
        }
        let is = |name: &str| op.eq_ignore_ascii_case(name.as_bytes());
        if is("allkeys") || op == b"~*" {
            self.all_keys = true;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.all_keys = false;
            self.patterns.clear();
        } else if is("allchannels") || op == b"&*" {
            self.all_channels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.all_channels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.set_all(true);
        } else if is("nocommands") || is("-@all") {
            self.set_all(false);
        } else if op[0] == b'~' || op[0] == b'%' {
            self.add_key_pattern(op)?;
        } else if op[0] == b'&' {
            if self.all_channels {
                return Err(RuleError::ChannelAfterAll);
            }
            if has_spaces(&op[1..]) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c[..] == op[1..]) {
                self.channels.push(op[1..].to_vec());
            }
            self.all_channels = false;
        } else if op.len() > 1 && (op[0] == b'+' || op[0] == b'-') && op[1] == b'@' {
            let name = std::str::from_utf8(&op[2..]).map_err(|_| RuleError::UnknownName)?;
            let category = category(name).ok_or(RuleError::UnknownName)?;
            self.change_category(category, op[0] == b'+');
        } else if op[0] == b'+' {
            self.allow_command(&op[1..])?;
        } else if op[0] == b'-' {
            let name = std::str::from_utf8(&op[1..]).map_err(|_| RuleError::UnknownName)?;
            let id = command_table().find(name).ok_or(RuleError::UnknownName)?;
            self.change(id, false);
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    /// `~pattern`, `%R~pattern`, `%W~pattern`, `%RW~pattern`.
    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.all_keys {
            return Err(RuleError::KeyAfterAll);
        }
        let (mut read, mut write, mut at) = (true, true, 1);
        if op[0] == b'%' {
            (read, write) = (false, false);
            let mut ok = true;
            while at < op.len() {
                match op[at].to_ascii_uppercase() {
                    b'R' if !read => read = true,
                    b'W' if !write => write = true,
                    b'~' => {
                        at += 1;
                        break;
                    }
                    _ => {
                        ok = false;
                        break;
                    }
                }
                at += 1;
            }
            if !(read || write) || !ok {
                return Err(RuleError::Syntax);
            }
        }
        let pattern = &op[at..];
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match self.patterns.iter_mut().find(|p| p.pattern == pattern) {
            Some(existing) => {
                existing.read |= read;
                existing.write |= write;
            }
            None => self.patterns.push(KeyPattern {
                pattern: pattern.to_vec(),
                read,
                write,
            }),
        }
        self.all_keys = false;
        Ok(())
    }

    /// `+command`, `+container|sub`, `+command|first-arg`.
    fn allow_command(&mut self, name: &[u8]) -> Result<(), RuleError> {
        let name = std::str::from_utf8(name).map_err(|_| RuleError::UnknownName)?;
        let table = command_table();
        let Some((container, sub)) = name.rsplit_once('|') else {
            let id = table.find(name).ok_or(RuleError::UnknownName)?;
            self.change(id, true);
            return Ok(());
        };
        let id = table.find(container).ok_or(RuleError::UnknownName)?;
        if table.commands[id].parent.is_some() {
            return Err(RuleError::SubcommandFirstArg);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !table.commands[id].subcommands.is_empty() {
            let sub_id = table.find(name).ok_or(RuleError::UnknownName)?;
            self.change(sub_id, true);
            return Ok(());
        }
        let allowed = self.first_args.entry(id).or_default();
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
            allowed.push(sub.to_string());
        }
        Ok(())
    }

    /// Whether this selector allows `access`, and if not what it refused first.
    fn check(&self, access: &Access<'_>) -> Result<(), Denied> {
        let table = command_table();
        let command = &table.commands[access.command];
        if !self.all_commands && !command.no_auth && !self.bit(access.command) {
            let at = if command.parent.is_some() { 2 } else { 1 };
            let first = access.argv.get(at).copied();
            let allowed = self.first_args.get(&access.command);
            let matched = first
                .zip(allowed)
                .is_some_and(|(first, allowed)| allowed.iter().any(|a| a.as_bytes().eq_ignore_ascii_case(first)));
            if !matched {
                return Err(Denied::Command);
            }
        }
        if !self.all_keys {
            for &(at, read, write) in access.keys {
                let key = access.argv[at];
                let allowed = self.patterns.iter().any(|p| {
                    (p.read || !read) && (p.write || !write) && crate::command::glob::matches(&p.pattern, key)
                });
                if !allowed {
                    return Err(Denied::Key(at));
                }
            }
        }
        if !self.all_channels {
            for &(at, pattern) in access.channels {
                let channel = access.argv[at];
                let allowed = self.channels.iter().any(|c| {
                    if pattern {
                        c[..] == *channel
                    } else {
                        crate::command::glob::matches(c, channel)
                    }
                });
                if !allowed {
                    return Err(Denied::Channel(at));
                }
            }
        }
        Ok(())
    }

    /// The rules that make this selector's command bits, as Redis describes them
    /// (`ACLDescribeSelectorCommandRules`): `+@all` or `-@all`, then the categories that fit
    /// best, then single commands and first arguments.
    fn describe_commands(&self) -> String {
        let table = command_table();
        let additive = !self.allows_future_commands();
        let mut rules = String::from(if additive { "-@all " } else { "+@all " });
        let mut fake = Selector::new();
        fake.set_all(!additive);
        let mut temp = self.clone();
        let mut applied = [false; CATEGORIES.len()];
        loop {
            let mut best = None;
            let (mut min_diff, mut max_same) = (usize::MAX, 0);
            for (j, done) in applied.iter().enumerate() {
                if *done {
                    continue;
                }
                let (mut on, mut off) = (0, 0);
                for id in table.in_category(j) {
                    if temp.bit(id) {
                        on += 1;
                    } else {
                        off += 1;
                    }
                }
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
                    best = Some(j);
                    min_diff = diff;
                    max_same = same;
                }
            }
            let Some(best) = best else {
                break;
            };
            rules.push_str(if additive { "+@" } else { "-@" });
            rules.push_str(CATEGORIES[best]);
            rules.push(' ');
            fake.change_category(best, additive);
            temp.change_category(best, !additive);
            applied[best] = true;
        }
        for (id, command) in table.commands.iter().enumerate() {
            let (mine, fakes) = (self.bit(id), fake.bit(id));
            if mine != fakes {
                rules.push(if mine { '+' } else { '-' });
                rules.push_str(&command.name);
                rules.push(' ');
                fake.change(id, mine);
            }
            if !mine && let Some(args) = self.first_args.get(&id) {
                for arg in args {
                    rules.push('+');
                    rules.push_str(&command.name);
                    rules.push('|');
                    rules.push_str(arg);
                    rules.push(' ');
                }
            }
        }
        rules.pop();
        rules
    }

    /// Its keys as GETUSER shows them: `~*`, or the patterns.
    fn describe_keys(&self) -> Vec<u8> {
        if self.all_keys {
            return b"~*".to_vec();
        }
        spaced(&self.patterns, KeyPattern::describe)
    }

    /// Its channels as GETUSER shows them: `&*`, or the patterns.
    fn describe_channels(&self) -> Vec<u8> {
        if self.all_channels {
            return b"&*".to_vec();
        }
        spaced(&self.channels, |channel, out| {
            out.push(b'&');
            out.extend_from_slice(channel);
        })
    }

    /// The whole selector as ACL LIST shows it (`ACLDescribeSelector`).
    fn describe(&self, out: &mut Vec<u8>) {
        if self.all_keys {
            out.extend_from_slice(b"~* ");
        } else {
            for pattern in &self.patterns {
                pattern.describe(out);
                out.push(b' ');
            }
        }
        if self.all_channels {
            out.extend_from_slice(b"&* ");
        } else {
            out.extend_from_slice(b"resetchannels ");
            for channel in &self.channels {
                out.push(b'&');
                out.extend_from_slice(channel);
                out.push(b' ');
            }
        }
        out.extend_from_slice(self.describe_commands().as_bytes());
    }

    /// Its three fields as ACL GETUSER answers them.
    fn fields(&self) -> [(&'static str, Vec<u8>); 3] {
        [
            ("commands", self.describe_commands().into_bytes()),
            ("keys", self.describe_keys()),
            ("channels", self.describe_channels()),
        ]
    }
}

/// Each of `items` as `describe` writes it, separated by spaces.
fn spaced<T>(items: &[T], describe: impl Fn(&T, &mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(b' ');
        }
        describe(item, &mut out);
    }
    out
}

/// Whether `bytes` has a space or a NUL (Redis's `ACLStringHasSpaces`).
fn has_spaces(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| b == b' ' || b == 0)
}

/// A password's SHA-256, in lowercase hexadecimal (Redis's `ACLHashPassword`).
pub(crate) fn hash_password(password: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(password)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `hash` is one: 64 lowercase hexadecimal characters.
fn is_hash(hash: &[u8]) -> bool {
    hash.len() == 64 && hash.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// Which user a connection is: a number of its own, never given to another (a user deleted and
/// made again is another).
pub(crate) type UserId = u64;

/// The application itself, calling through a [`Store`](crate::Store) handle (typed calls,
/// `atomic`, transactions of the store, scripts they run): ACL governs connections (server
/// clients and [`Connection`](crate::Connection)s), not the code that owns the store.
pub(crate) const APPLICATION: UserId = UserId::MAX;

/// A user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub(crate) id: UserId,
    pub(crate) name: Vec<u8>,
    /// `on` (else `off`: no one may authenticate as it).
    pub(crate) enabled: bool,
    /// `nopass`: any password authenticates.
    pub(crate) nopass: bool,
    /// `sanitize-payload` (`Some(true)`) or `skip-sanitize-payload`, if either was set.
    sanitize_payload: Option<bool>,
    /// The SHA-256 of each password, in the order added.
    passwords: Vec<String>,
    /// The root selector first, then those added in parentheses.
    selectors: Vec<Selector>,
    /// `acl-pubsub-default allchannels` (as it is when rules are applied): what `reset` and a
    /// new selector start from.
    pubsub_default_all: bool,
}

impl User {
    /// A new user as ACL SETUSER makes one: off, no password, no permission.
    fn new(name: &[u8]) -> User {
        User {
            id: 0,
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize_payload: None,
            passwords: Vec::new(),
            selectors: vec![Selector::new()],
            pubsub_default_all: false,
        }
    }

    /// The `default` user as Redis starts with it: on, `nopass`, all keys, channels and
    /// commands.
    fn default_user() -> User {
        let mut user = User::new(b"default");
        for rule in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = user.apply(rule.as_bytes());
        }
        user
    }

    /// One rule (Redis's `ACLSetUser`).
    fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let is = |name: &str| op.eq_ignore_ascii_case(name.as_bytes());
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.sanitize_payload = Some(false);
        } else if is("sanitize-payload") {
            self.sanitize_payload = Some(true);
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = match op[0] {
                b'>' => hash_password(&op[1..]),
                _ if is_hash(&op[1..]) => String::from_utf8_lossy(&op[1..]).into_owned(),
                _ => return Err(RuleError::BadHash),
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = match op[0] {
                b'<' => hash_password(&op[1..]),
                _ if is_hash(&op[1..]) => String::from_utf8_lossy(&op[1..]).into_owned(),
                _ => return Err(RuleError::BadHash),
            };
            let at = self
                .passwords
                .iter()
                .position(|p| *p == hash)
                .ok_or(RuleError::NoSuchPassword)?;
            self.passwords.remove(at);
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let mut selector = Selector::new();
            selector.all_channels = self.pubsub_default_all;
            let inner = String::from_utf8_lossy(&op[1..op.len() - 1]).into_owned();
            let words = crate::command::args::split_args(inner.as_bytes()).ok_or(RuleError::Syntax)?;
            for word in words {
                selector.apply(&word)?;
            }
            self.selectors.push(selector);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            for rule in [
                "resetpass",
                "resetkeys",
                "resetchannels",
                "off",
                "sanitize-payload",
                "clearselectors",
                "-@all",
            ] {
                self.apply(rule.as_bytes())?;
            }
            // `acl-pubsub-default allchannels`, as a new user starts.
            self.selectors[0].all_channels = self.pubsub_default_all;
        } else {
            self.selectors[0].apply(op)?;
        }
        Ok(())
    }

    /// Whether the user may subscribe to `channel` (a pattern, compared literally, when
    /// `pattern`): Redis's `ACLUserCheckChannelPerm`.
    pub(crate) fn may_subscribe(&self, channel: &[u8], pattern: bool) -> bool {
        self.selectors.iter().any(|s| {
            s.all_channels
                || s.channels.iter().any(|c| {
                    if pattern {
                        c[..] == *channel
                    } else {
                        crate::command::glob::matches(c, channel)
                    }
                })
        })
    }

    /// Whether one of the user's selectors allows `access` and reading any key.
    pub(crate) fn may_read_any_key(&self, access: &Access<'_>) -> bool {
        self.selectors
            .iter()
            .any(|s| s.check(access).is_ok() && (s.all_keys || s.patterns.iter().any(|p| p.read && p.pattern == b"*")))
    }

    /// Whether the user's channel rules differ from `other`'s.
    fn channels_differ(&self, other: &User) -> bool {
        self.selectors.len() != other.selectors.len()
            || self
                .selectors
                .iter()
                .zip(&other.selectors)
                .any(|(a, b)| a.all_channels != b.all_channels || a.channels != b.channels)
    }

    /// Whether the user may do `access`: `Ok`, or what Redis reports of the refusal (the
    /// command, unless every selector refused on a key or channel: then the most relevant).
    pub(crate) fn check(&self, access: &Access<'_>) -> Result<(), Denied> {
        let mut relevant = Denied::Command;
        for selector in &self.selectors {
            match selector.check(access) {
                Ok(()) => return Ok(()),
                Err(denied) if denied.rank() > relevant.rank() => relevant = denied,
                Err(_) => {}
            }
        }
        Err(relevant)
    }

    /// The user as ACL LIST shows it, after `user <name> ` (`ACLDescribeUser`).
    pub(crate) fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for flag in self.flags() {
            out.extend_from_slice(flag.as_bytes());
            out.push(b' ');
        }
        for password in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(password.as_bytes());
            out.push(b' ');
        }
        for (n, selector) in self.selectors.iter().enumerate() {
            if n == 0 {
                selector.describe(&mut out);
            } else {
                out.extend_from_slice(b" (");
                selector.describe(&mut out);
                out.push(b')');
            }
        }
        out
    }

    /// Its flags, in Redis's order: `on` or `off`, `nopass`, the payload sanitizing one.
    pub(crate) fn flags(&self) -> Vec<&'static str> {
        let mut flags = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            flags.push("nopass");
        }
        match self.sanitize_payload {
            Some(false) => flags.push("skip-sanitize-payload"),
            Some(true) => flags.push("sanitize-payload"),
            None => {}
        }
        flags
    }

    /// Whether the user may run anything on any key and channel (its root selector allows
    /// all).
    fn is_unrestricted(&self) -> bool {
        let root = &self.selectors[0];
        root.all_commands && root.all_keys && root.all_channels
    }

    /// Whether `password` authenticates as this user: it is on, and takes no password or
    /// this one.
    pub(crate) fn accepts(&self, password: &[u8]) -> bool {
        self.enabled && (self.nopass || self.passwords.contains(&hash_password(password)))
    }

    /// Whether a new connection is this user's without AUTH (the `default` user, on and
    /// `nopass`: Redis's `authRequired`).
    pub(crate) fn needs_no_auth(&self) -> bool {
        self.enabled && self.nopass
    }

    /// The SHA-256 of each password.
    pub(crate) fn passwords(&self) -> &[String] {
        &self.passwords
    }

    /// The root selector's fields, as ACL GETUSER answers them (commands, keys, channels).
    pub(crate) fn root_fields(&self) -> [(&'static str, Vec<u8>); 3] {
        self.selectors[0].fields()
    }

    /// The other selectors' fields.
    pub(crate) fn selector_fields(&self) -> Vec<[(&'static str, Vec<u8>); 3]> {
        self.selectors[1..].iter().map(Selector::fields).collect()
    }
}

/// The users of a store, by name, `default` always among them.
#[derive(Debug, Clone)]
pub(crate) struct Acl {
    users: BTreeMap<Vec<u8>, User>,
    /// `acl-pubsub-default allchannels`: a new (or reset) user may use every channel.
    pub(crate) pubsub_default_all: bool,
    /// The id the next user made gets.
    next_id: UserId,
    /// What a server is to close (Redis's `ACLFreeUserAndKillClients`,
    /// `ACLKillPubsubClientsIfNeeded`).
    kills: Vec<Kill>,
}

/// Connections a change of the users closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kill {
    /// Every connection of a deleted user.
    Connections(UserId),
    /// The connections of a user whose channel rules changed that subscribe to a channel or
    /// pattern the user may no longer.
    Subscribers(UserId),
}

impl Default for Acl {
    fn default() -> Acl {
        let mut users = BTreeMap::new();
        users.insert(b"default".to_vec(), User::default_user());
        Acl {
            users,
            pubsub_default_all: false,
            next_id: 1,
            kills: Vec::new(),
        }
    }
}

impl Acl {
    /// The user `name`.
    pub(crate) fn user(&self, name: &[u8]) -> Option<&User> {
        self.users.get(name)
    }

    /// The user `id` is, if it is still there.
    pub(crate) fn user_by_id(&self, id: UserId) -> Option<&User> {
        self.users.values().find(|u| u.id == id)
    }

    /// A connection's user: `id`'s, or `default` for `None`.
    pub(crate) fn user_of(&self, id: Option<UserId>) -> Option<&User> {
        match id {
            Some(id) => self.user_by_id(id),
            None => self.user(b"default"),
        }
    }

    /// Every user, by name.
    pub(crate) fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// ACL SETUSER: applies `rules` to the user `name` (made if new), all of them or none;
    /// the error is Redis's reply text.
    pub(crate) fn set_user(&mut self, name: &[u8], rules: &[&[u8]]) -> Result<(), String> {
        if has_spaces(name) {
            return Err("ERR Usernames can't contain spaces or null characters".into());
        }
        let rules = merge_selectors(rules).map_err(|at| {
            format!(
                "ERR Unmatched parenthesis in acl selector starting at '{}'.",
                String::from_utf8_lossy(rules[at])
            )
        })?;
        let mut user = match self.users.get(name) {
            Some(user) => user.clone(),
            None => {
                let mut user = User::new(name);
                user.selectors[0].all_channels = self.pubsub_default_all;
                user.id = self.next_id;
                self.next_id += 1;
                user
            }
        };
        // What `reset` and a new selector start from: the setting now.
        user.pubsub_default_all = self.pubsub_default_all;
        for rule in &rules {
            user.apply(rule).map_err(|e| {
                format!(
                    "ERR Error in ACL SETUSER modifier '{}': {}",
                    String::from_utf8_lossy(rule),
                    e.text()
                )
            })?;
        }
        if let Some(old) = self.users.get(name)
            && old.channels_differ(&user)
        {
            self.kills.push(Kill::Subscribers(user.id));
        }
        self.users.insert(name.to_vec(), user);
        Ok(())
    }

    /// `requirepass`: the `default` user's only password (`None`: `nopass`), as Redis's
    /// `ACLUpdateDefaultUserPassword`.
    pub(crate) fn set_default_password(&mut self, password: Option<&[u8]>) {
        if let Some(user) = self.users.get_mut(&b"default"[..]) {
            let _ = user.apply(b"resetpass");
            match password {
                Some(password) => {
                    let mut rule = b">".to_vec();
                    rule.extend_from_slice(password);
                    let _ = user.apply(&rule);
                }
                None => {
                    let _ = user.apply(b"nopass");
                }
            }
        }
    }

    /// ACL DELUSER of one user: whether it was there. (`default` is refused by the caller.)
    pub(crate) fn delete_user(&mut self, name: &[u8]) -> bool {
        match self.users.remove(name) {
            Some(user) => {
                self.kills.push(Kill::Connections(user.id));
                true
            }
            None => false,
        }
    }

    /// The connections to close since last asked (see [`Kill`]).
    pub(crate) fn take_kills(&mut self) -> Vec<Kill> {
        std::mem::take(&mut self.kills)
    }
}

/// Joins the rules of a selector split by spaces (`(~a`, `+get)`) into one (Redis's
/// `ACLMergeSelectorArguments`); the error is the index of a selector left open.
fn merge_selectors(rules: &[&[u8]]) -> Result<Vec<Vec<u8>>, usize> {
    let mut merged = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, rule) in rules.iter().enumerate() {
        if let Some((_, selector)) = &mut open {
            selector.push(b' ');
            selector.extend_from_slice(rule);
            if rule.last() == Some(&b')') {
                merged.push(open.take().map(|(_, s)| s).unwrap_or_default());
            }
            continue;
        }
        if rule.first() == Some(&b'(') && rule.last() != Some(&b')') {
            open = Some((j, rule.to_vec()));
            continue;
        }
        merged.push(rule.to_vec());
    }
    match open {
        Some((at, _)) => Err(at),
        None => Ok(merged),
    }
}

/// The commands of a category, by name (ACL CAT `category`).
pub(crate) fn category_commands(name: &str) -> Option<Vec<&'static str>> {
    let table = command_table();
    let category = category(name)?;
    Some(
        table
            .in_category(category)
            .map(|id| table.commands[id].name.as_str())
            .collect(),
    )
}

/// The users of a store, shared by its keyspace (ACL's commands change them under the store's
/// lock) and its connections (which check their commands against them without it).
#[derive(Debug)]
pub(crate) struct Users {
    acl: parking_lot::RwLock<Acl>,
    /// ACL LOG.
    pub(crate) log: parking_lot::Mutex<Log>,
    /// Whether a change left connections to close ([`Acl::take_kills`]).
    kills_pending: std::sync::atomic::AtomicBool,
    /// Whether a server serves the store (and closes connections for a change).
    pub(crate) served: std::sync::atomic::AtomicBool,
    /// The `aclfile` ACL LOAD and SAVE read and write, if one is configured.
    pub(crate) file: parking_lot::Mutex<Option<std::path::PathBuf>>,
    /// Whether the `default` user may run anything on any key and channel: a connection of
    /// the default user then checks nothing.
    default_unrestricted: std::sync::atomic::AtomicBool,
}

impl Default for Users {
    fn default() -> Users {
        Users {
            acl: parking_lot::RwLock::new(Acl::default()),
            log: parking_lot::Mutex::default(),
            kills_pending: std::sync::atomic::AtomicBool::new(false),
            served: std::sync::atomic::AtomicBool::new(false),
            file: parking_lot::Mutex::new(None),
            default_unrestricted: std::sync::atomic::AtomicBool::new(true),
        }
    }
}

impl Users {
    /// The users, to read.
    pub(crate) fn read(&self) -> parking_lot::RwLockReadGuard<'_, Acl> {
        self.acl.read()
    }

    /// Changes the users with `change`.
    pub(crate) fn update<T>(&self, change: impl FnOnce(&mut Acl) -> T) -> T {
        let mut acl = self.acl.write();
        let answer = change(&mut acl);
        if !acl.kills.is_empty() {
            // Only a server closes connections; without one there is nothing to close.
            if self.served.load(std::sync::atomic::Ordering::Acquire) {
                self.kills_pending.store(true, std::sync::atomic::Ordering::Release);
            } else {
                acl.kills.clear();
            }
        }
        let unrestricted = acl.users.get(&b"default"[..]).is_some_and(User::is_unrestricted);
        self.default_unrestricted
            .store(unrestricted, std::sync::atomic::Ordering::Release);
        answer
    }

    /// The name of the user `id` (`None`: `default`), as a log entry names it.
    pub(crate) fn name_of(&self, id: Option<UserId>) -> Vec<u8> {
        self.read().user_of(id).map(|u| u.name.clone()).unwrap_or_default()
    }

    /// AUTH's check: whether `password` authenticates as `user` (it is on, and takes no
    /// password or this one). Answers the connection's user from then on (`None`: `default`),
    /// or Redis's WRONGPASS.
    pub(crate) fn authenticate(&self, user: &[u8], password: &[u8]) -> Result<Option<UserId>, crate::CommandError> {
        let acl = self.read();
        match acl.user(user).filter(|u| u.accepts(password)) {
            Some(found) => Ok((user != b"default").then_some(found.id)),
            None => Err(crate::CommandError::other(
                "WRONGPASS invalid username-password pair or user is disabled.",
            )),
        }
    }

    /// Whether the connection user `user` checks nothing: the application, or the `default`
    /// user while it may run anything.
    pub(crate) fn unrestricted(&self, user: Option<UserId>) -> bool {
        match user {
            None => self.default_unrestricted(),
            Some(id) => id == APPLICATION,
        }
    }

    /// Logs a refusal of `argv` (its command's full name `command`) to the user `user`, as
    /// ACL LOG shows it.
    pub(crate) fn log_denied(
        &self,
        (denied, context): (Denied, LogContext),
        user: Option<UserId>,
        (command, argv): (&str, &crate::argv::Argv),
        client_info: String,
    ) {
        let object = match denied {
            Denied::Command => command.as_bytes().to_vec(),
            Denied::Key(at) | Denied::Channel(at) => argv.arg(at).to_vec(),
        };
        self.log.lock().add(LogEntry {
            count: 1,
            reason: LogReason::Denied(denied),
            context,
            object,
            username: self.name_of(user),
            at_ms: now_ms(),
            client_info,
        });
    }

    /// Logs a failed AUTH or HELLO AUTH (`command` as the client spelled it) as `username`.
    pub(crate) fn log_auth_failure(&self, command: &[u8], username: &[u8], context: LogContext, client_info: String) {
        self.log.lock().add(LogEntry {
            count: 1,
            reason: LogReason::Auth,
            context,
            object: command.to_vec(),
            username: username.to_vec(),
            at_ms: now_ms(),
            client_info,
        });
    }

    /// The connections a change of the users closes, if any changed since last asked.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn take_kills(&self) -> Vec<Kill> {
        // Asked after every command: a load, the swap only when something is pending.
        if !self.kills_pending.load(std::sync::atomic::Ordering::Acquire)
            || !self.kills_pending.swap(false, std::sync::atomic::Ordering::AcqRel)
        {
            return Vec::new();
        }
        self.acl.write().take_kills()
    }

    /// Whether a connection of the `default` user may skip its checks.
    pub(crate) fn default_unrestricted(&self) -> bool {
        self.default_unrestricted.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// Why an ACL LOG entry was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogReason {
    /// A command refused (its command, a key or a channel).
    Denied(Denied),
    /// A failed AUTH or HELLO AUTH.
    Auth,
}

/// Where a refusal happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogContext {
    TopLevel,
    Multi,
    Lua,
}

/// One entry of ACL LOG (Redis's `ACLLogEntry`).
#[derive(Debug, Clone)]
pub(crate) struct LogEntry {
    pub(crate) count: u64,
    pub(crate) reason: LogReason,
    pub(crate) context: LogContext,
    /// The command, key, channel or AUTH refused.
    pub(crate) object: Vec<u8>,
    pub(crate) username: Vec<u8>,
    /// When it last happened, Unix milliseconds.
    pub(crate) at_ms: i64,
    /// The client's CLIENT LIST line.
    pub(crate) client_info: String,
}

impl LogEntry {
    /// The entry's reason as ACL LOG names it.
    pub(crate) fn reason_name(&self) -> &'static str {
        match self.reason {
            LogReason::Denied(Denied::Command) => "command",
            LogReason::Denied(Denied::Key(_)) => "key",
            LogReason::Denied(Denied::Channel(_)) => "channel",
            LogReason::Auth => "auth",
        }
    }

    /// The entry's context as ACL LOG names it.
    pub(crate) fn context_name(&self) -> &'static str {
        match self.context {
            LogContext::TopLevel => "toplevel",
            LogContext::Multi => "multi",
            LogContext::Lua => "lua",
        }
    }

    /// Whether `other` is the same event again (Redis's `ACLLogMatchEntry`): the same reason,
    /// context, object and user within a minute.
    fn matches(&self, other: &LogEntry) -> bool {
        self.reason_name() == other.reason_name()
            && self.context == other.context
            && (self.at_ms - other.at_ms).abs() <= 60_000
            && self.object == other.object
            && self.username == other.username
    }
}

/// The ACL log: the latest first, at most `acllog-max-len` entries.
#[derive(Debug)]
pub(crate) struct Log {
    entries: std::collections::VecDeque<LogEntry>,
    pub(crate) max_len: usize,
}

impl Default for Log {
    fn default() -> Log {
        Log {
            entries: std::collections::VecDeque::new(),
            max_len: 128,
        }
    }
}

impl Log {
    /// Adds `entry` (Redis's `addACLLogEntry`): one of the ten latest that is the same event
    /// counts it again and comes first; else it is a new first entry, the oldest past the
    /// limit dropped.
    pub(crate) fn add(&mut self, entry: LogEntry) {
        let scanned = self.entries.len().min(10);
        if let Some(at) = (0..scanned).find(|&at| self.entries[at].matches(&entry))
            && let Some(mut matched) = self.entries.remove(at)
        {
            matched.count += 1;
            matched.at_ms = entry.at_ms;
            matched.client_info = entry.client_info;
            self.entries.push_front(matched);
            return;
        }
        self.entries.push_front(entry);
        self.entries.truncate(self.max_len);
    }

    /// The latest `count` entries.
    pub(crate) fn latest(&self, count: usize) -> impl Iterator<Item = &LogEntry> {
        self.entries.iter().take(count)
    }

    /// ACL LOG RESET.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Now, Unix milliseconds (an ACL LOG entry's time).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Acl {
    /// The users as an `aclfile` holds them (ACL SAVE): a `user <name> <rules>` line each.
    pub(crate) fn file_text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for user in self.users.values() {
            out.extend_from_slice(b"user ");
            out.extend_from_slice(&user.name);
            out.push(b' ');
            out.extend_from_slice(&user.describe());
            out.push(b'\n');
        }
        out
    }

    /// ACL LOAD (and a server's start): the users of the `aclfile` `text` (named `filename` in
    /// errors) in place of all, Redis's `ACLLoadFromFile` — all of them or, at the first
    /// errors, none (the error is Redis's text). The `default` user is the file's, or as at the
    /// start if the file has none; the connections of the users replaced are closed.
    pub(crate) fn load_file(&mut self, text: &[u8], filename: &str) -> Result<(), String> {
        let mut loaded: BTreeMap<Vec<u8>, User> = BTreeMap::new();
        let mut errors = String::new();
        let mut next_id = self.next_id;
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            let number = i + 1;
            let line = trim(line, b" \t\r\n");
            if line.is_empty() {
                continue;
            }
            let words: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
            if words[0] != b"user" || words.len() < 2 {
                errors.push_str(&format!(
                    "{filename}:{number} should start with user keyword followed by the username. "
                ));
                continue;
            }
            let name = words[1];
            if has_spaces(name) {
                errors.push_str(&format!(
                    "'{filename}:{number}: username '{}' contains invalid characters. ",
                    String::from_utf8_lossy(name)
                ));
                continue;
            }
            if loaded.contains_key(name) {
                errors.push_str(&format!(
                    "WARNING: Duplicate user '{}' found on line {number}. ",
                    String::from_utf8_lossy(name)
                ));
                continue;
            }
            let mut user = User::new(name);
            user.selectors[0].all_channels = self.pubsub_default_all;
            user.pubsub_default_all = self.pubsub_default_all;
            user.id = next_id;
            next_id += 1;
            let Ok(rules) = merge_selectors(&words[2..]) else {
                errors.push_str(&format!(
                    "{filename}:{number}: Unmatched parenthesis in selector definition."
                ));
                continue;
            };
            let mut syntax_error = false;
            for rule in &rules {
                let rule = trim(rule, b"\t\r\n");
                match user.apply(rule) {
                    Ok(()) => {}
                    Err(e @ RuleError::UnknownName) => errors.push_str(&format!(
                        "{filename}:{number}: Error in applying operation '{}': {}. ",
                        String::from_utf8_lossy(rule),
                        e.text()
                    )),
                    Err(e) if !syntax_error => {
                        errors.push_str(&format!("{filename}:{number}: {}. ", e.text()));
                        syntax_error = true;
                    }
                    Err(_) => {}
                }
            }
            loaded.insert(name.to_vec(), user);
        }
        if !errors.is_empty() {
            errors.push_str("WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
            return Err(errors);
        }
        let mut default = loaded.remove(&b"default"[..]).unwrap_or_else(User::default_user);
        default.id = 0;
        loaded.insert(b"default".to_vec(), default);
        for user in self.users.values().filter(|u| u.name != b"default") {
            self.kills.push(Kill::Connections(user.id));
        }
        self.users = loaded;
        self.next_id = next_id;
        Ok(())
    }
}

/// `bytes` without the bytes of `set` at either end (Redis's `sdstrim`).
fn trim<'a>(bytes: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = bytes.iter().position(|b| !set.contains(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !set.contains(b)).map_or(start, |at| at + 1);
    &bytes[start..end.max(start)]
}
