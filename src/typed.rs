//! The typed API: [`Commands`], one method per command answering its natural Rust type, and beside
//! each a generic `_as` form answering any [`FromReply`] type; and the same methods on
//! [`Transaction`](crate::Transaction), where they queue instead of running.
//!
//! Both are generated from one list, and every method builds the [`Argv`] the raw API would get and
//! hands it to the same handler: there is one implementation of each command.

use std::collections::{HashMap, HashSet};

use crate::argv::{Argv, ToArgs};
use crate::command::table::CommandSpec;
use crate::direct::Direct;
use crate::error::CommandError;
use crate::reply::{FromReply, Reply};

/// The escape hatches both flavours share: any command by its arguments, and the scripting
/// commands, whose reply is whatever the script returns. `$doc_prefix` names the trait in the
/// examples.
macro_rules! commands_trait {
    ($(
        $(#[$doc:meta])*
        fn $name:ident, $name_as:ident($($arg:ident),*) -> $natural:ty => [$($part:tt)+] $(direct $direct:ident($($direct_arg:ident),*))?;
    )*) => {
        /// Redis's commands as typed methods. Each answers its command's natural Rust type, so a
        /// call needs no annotation; beside each, a generic `_as` form answers whatever
        /// [`FromReply`] type you ask for, as redis-rs's `Commands` does.
        ///
        /// ```
        /// use embedis::{Commands, Store};
        ///
        /// let store = Store::new();
        /// store.set("greeting", "hello")?;                     // ()
        /// let len = store.append("greeting", " world")?;       // i64
        /// let text = store.get("greeting")?;                   // Option<String>
        /// assert_eq!((len, text.as_deref()), (11, Some("hello world")));
        ///
        /// store.set("n", 41)?;
        /// let n: i64 = store.get_as("n")?;                     // the generic form
        /// let raw = store.get_as::<Vec<u8>>("n")?;
        /// assert_eq!((n, raw), (41, b"41".to_vec()));
        /// # Ok::<(), embedis::CommandError>(())
        /// ```
        ///
        /// Method names are the command names in lowercase; a variant with a fixed option carries
        /// it as a suffix (`set_ex`, `set_nx`, `lpop_count`). Arguments take anything that is
        /// [`ToArgs`]: strings, bytes, numbers, and for repeated arguments arrays, slices, vectors or
        /// tuples of them.
        ///
        /// The natural types: `()` for an `OK`; `i64` for counts, lengths and counters; `bool` for
        /// a 1/0 answer (EXPIRE, SISMEMBER, HSETNX, …) or for a SET NX/XX that may not happen;
        /// `f64` for scores and INCRBYFLOAT; `String` for values, in an `Option` where Redis may
        /// answer nil; `Vec`, `HashMap` and `HashSet` for arrays, hashes and (unordered) sets;
        /// `(String, f64)` pairs for members with their scores. Values are read as UTF-8 text: one
        /// that is not answers [`CommandError::Conversion`], so read binary values with the `_as`
        /// form as `Vec<u8>`. The few commands whose reply's shape depends on their options (LCS,
        /// LPOS, HRANDFIELD, ZRANDMEMBER, ZADD with options) answer the [`Reply`] itself.
        pub trait Commands {
            /// Runs one command line and answers its reply; the typed methods all go through it.
            #[doc(hidden)]
            fn run_request(&self, request: &Request) -> Reply;

            /// Runs one typed call of a command that can run without a command line (see
            /// `direct.rs`); by default as the command line it stands for.
            #[doc(hidden)]
            fn run_direct(&self, call: Direct<'_>) -> Reply {
                self.run_request(&call.request())
            }

            /// [`Commands::run_direct`], the reply converted to `T`: where the call runs
            /// directly, converted as it is made (see [`FromReply::from_integer_bulk`]).
            #[doc(hidden)]
            fn run_direct_as<T: FromReply>(&self, call: Direct<'_>) -> Result<T, CommandError> {
                T::from_reply(self.run_direct(call))
            }

            /// Runs any command, given as arguments: the escape hatch for commands without a
            /// method. The reply converts into the `T` you ask for.
            ///
            /// ```
            /// use embedis::{Commands, Store};
            /// let store = Store::new();
            /// let n: i64 = store.cmd(("INCRBY", "n", 5))?;
            /// assert_eq!(n, 5);
            /// # Ok::<(), embedis::CommandError>(())
            /// ```
            fn cmd<T: FromReply>(&self, args: impl ToArgs) -> Result<T, CommandError> {
                T::from_reply(self.run_request(&Argv::from_args(args).into()))
            }

            /// EVAL script numkeys key… arg…: runs a Lua script (feature `lua`); the key count is
            /// worked out from `keys`, and the script's reply converts into the `T` you ask for.
            /// See also [`Script`](crate::Script), which runs by SHA1.
            ///
            /// ```
            /// use embedis::{Commands, Store};
            /// let store = Store::new();
            /// let n: i64 = store.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", "n", 5)?;
            /// assert_eq!(n, 5);
            /// # Ok::<(), embedis::CommandError>(())
            /// ```
            #[cfg(feature = "lua")]
            fn eval<T: FromReply>(&self, script: impl ToArgs, keys: impl ToArgs, args: impl ToArgs) -> Result<T, CommandError> {
                T::from_reply(self.run_request(&with_numkeys("EVAL", script, keys, args).into()))
            }

            /// FCALL function numkeys key… arg…: calls a function of a library loaded with
            /// [`function_load`](Commands::function_load) (feature `lua`); the key count is worked
            /// out from `keys`, and the function's reply converts into the `T` you ask for.
            ///
            /// ```
            /// use embedis::{Commands, Store};
            /// let store = Store::new();
            /// store.function_load("#!lua name=counters
            ///     redis.register_function('bump', function(keys, args)
            ///         return redis.call('INCRBY', keys[1], args[1])
            ///     end)")?;
            /// let n: i64 = store.fcall("bump", "n", 5)?;
            /// assert_eq!(n, 5);
            /// # Ok::<(), embedis::CommandError>(())
            /// ```
            #[cfg(feature = "lua")]
            fn fcall<T: FromReply>(&self, function: impl ToArgs, keys: impl ToArgs, args: impl ToArgs) -> Result<T, CommandError> {
                T::from_reply(self.run_request(&with_numkeys("FCALL", function, keys, args).into()))
            }

            /// FCALL_RO function numkeys key… arg…: calls a function registered with the
            /// `no-writes` flag (feature `lua`).
            ///
            /// ```
            /// use embedis::{Commands, Store};
            /// let store = Store::new();
            /// store.function_load("#!lua name=reads
            ///     redis.register_function{function_name='peek', flags={'no-writes'},
            ///         callback=function(keys) return redis.call('GET', keys[1]) end}")?;
            /// store.set("k", "v")?;
            /// assert_eq!(store.fcall_ro::<String>("peek", "k", ())?, "v");
            /// # Ok::<(), embedis::CommandError>(())
            /// ```
            #[cfg(feature = "lua")]
            fn fcall_ro<T: FromReply>(&self, function: impl ToArgs, keys: impl ToArgs, args: impl ToArgs) -> Result<T, CommandError> {
                T::from_reply(self.run_request(&with_numkeys("FCALL_RO", function, keys, args).into()))
            }

            $(
                $(#[$doc])*
                fn $name(&self, $($arg: impl ToArgs),*) -> Result<$natural, CommandError> {
                    $(
                        if let Some(call) = $crate::direct::$direct($(&$direct_arg),*) {
                            return self.run_direct_as::<$natural>(call);
                        }
                    )?
                    request!(let request = $($part)+);
                    <$natural>::from_reply(self.run_request(&request))
                }

                #[doc = concat!("[`", stringify!($name), "`](Commands::", stringify!($name), "), answering the [`FromReply`] type you ask for.")]
                fn $name_as<T: FromReply>(&self, $($arg: impl ToArgs),*) -> Result<T, CommandError> {
                    $(
                        if let Some(call) = $crate::direct::$direct($(&$direct_arg),*) {
                            return self.run_direct_as::<T>(call);
                        }
                    )?
                    request!(let request = $($part)+);
                    T::from_reply(self.run_request(&request))
                }
            )*
        }

    };
}

/// The [`Request`] of one typed method: its command line, and its command's table row (found once
/// per method and remembered). `request!(let name = <command line>)` binds it to `name`.
///
/// The command line is written in place, never built elsewhere and moved: moving a freshly
/// written command line costs more than writing it (its bytes were stored piecewise, and
/// reading them back whole stalls the processor). So [`Transaction`](crate::Transaction) uses
/// the two inner forms to write into its queue: `@spec` answers the row, `@fill line` pushes the
/// command line into `line` (an `&mut Argv`).
macro_rules! request {
    (let $name:ident = $command:literal $($part:tt)*) => {
        let mut $name = $crate::typed::Request {
            argv: $crate::argv::Argv::new(),
            known: Some($crate::typed::request!(@spec $command)),
        };
        let line = &mut $name.argv;
        $crate::typed::request!(@fill line $command $($part)*);
    };
    (@spec $command:literal $($part:tt)*) => {{
        static SPEC: std::sync::OnceLock<&'static $crate::command::table::CommandSpec> = std::sync::OnceLock::new();
        $crate::command::table::known($command, &SPEC)
    }};
    (@fill $argv:ident $command:literal $($part:tt)*) => {{
        $argv.push($command);
        $crate::typed::request!(@push $argv $($part)*);
    }};
    (@push $argv:ident) => {};
    (@push $argv:ident $lit:literal $($rest:tt)*) => {
        $argv.push($lit);
        $crate::typed::request!(@push $argv $($rest)*);
    };
    (@push $argv:ident $arg:ident $($rest:tt)*) => {
        $crate::argv::ToArgs::write_args(&$arg, $argv);
        $crate::typed::request!(@push $argv $($rest)*);
    };
}
pub(crate) use request;

/// A command line on its way from a typed method to the store, with its command's table row when
/// the method knows it. Built by the [`Commands`] methods; not constructed by users.
#[doc(hidden)]
#[derive(Clone)]
pub struct Request {
    pub(crate) argv: Argv,
    pub(crate) known: Option<&'static CommandSpec>,
}

impl From<Argv> for Request {
    fn from(argv: Argv) -> Request {
        Request { argv, known: None }
    }
}

/// `<command> <head> <numkeys> <keys…> <args…>`, the shape of EVAL and FCALL.
#[cfg(feature = "lua")]
fn with_numkeys(command: &str, head: impl ToArgs, keys: impl ToArgs, args: impl ToArgs) -> Argv {
    let mut key_argv = Argv::new();
    keys.write_args(&mut key_argv);
    let mut argv = Argv::from_args((command, head, key_argv.len()));
    key_argv.write_args(&mut argv);
    args.write_args(&mut argv);
    argv
}

/// The typed commands, one entry each (`fn natural_name, generic_name(args) -> NaturalType =>
/// [command line]`), handed to `$then!`: [`Commands`] here and
/// [`Transaction`](crate::Transaction)'s queuing methods in `transaction` are generated from this
/// one list.
macro_rules! typed_commands {
    ($then:ident) => {
        $then! {
    // ---- connection and server ----

    /// PING: `PONG`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().ping()?, "PONG");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn ping, ping_as() -> String => ["PING"];

    /// ECHO message.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().echo("hi")?, "hi");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn echo, echo_as(message) -> String => ["ECHO" message];

    /// DBSIZE: the number of keys in the database.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.mset([("a", 1), ("b", 2)])?;
    /// assert_eq!(store.dbsize()?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn dbsize, dbsize_as() -> i64 => ["DBSIZE"];

    /// FLUSHDB: deletes every key of the database.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("a", 1)?;
    /// store.flushdb()?;
    /// assert_eq!(store.dbsize()?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn flushdb, flushdb_as() -> () => ["FLUSHDB"];

    /// FLUSHALL: deletes every key of every database.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("a", 1)?;
    /// store.flushall()?;
    /// assert_eq!(store.exists("a")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn flushall, flushall_as() -> () => ["FLUSHALL"];

    /// TIME: the store clock's `(seconds, microseconds)`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let (secs, micros) = Store::new().time()?;
    /// assert!(secs > 1_600_000_000 && micros < 1_000_000);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn time, time_as() -> (i64, i64) => ["TIME"];

    /// SWAPDB index1 index2: swaps two databases' contents.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", "in db 0")?;
    /// store.swapdb(0, 1)?;
    /// assert_eq!(store.exists("k")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn swapdb, swapdb_as(first, second) -> () => ["SWAPDB" first second];

    // ---- pub/sub ----

    /// PUBLISH channel message: how many subscribers received it (of the channel, and of each
    /// pattern that matches it). See [`Store::subscribe`](crate::Store::subscribe).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.publish("news", "nobody listens")?, 0);
    /// let _listener = store.subscribe(["news"]);
    /// assert_eq!(store.publish("news", "hello")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn publish, publish_as(channel, message) -> i64 => ["PUBLISH" channel message];

    /// SPUBLISH shardchannel message: as PUBLISH, to a shard channel's subscribers.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// let mut orders = store.ssubscribe(["orders"]);
    /// assert_eq!(store.spublish("orders", "#1")?, 1);
    /// assert!(orders.try_recv()?.is_some_and(|m| m.sharded));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn spublish, spublish_as(channel, message) -> i64 => ["SPUBLISH" channel message];

    // ---- keys ----

    /// DEL key \[key ...\]: how many keys were removed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("a", 1)?;
    /// assert_eq!(store.del(["a", "missing"])?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn del, del_as(keys) -> i64 => ["DEL" keys];

    /// UNLINK key \[key ...\]: as DEL.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("a", 1)?;
    /// assert_eq!(store.unlink("a")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn unlink, unlink_as(keys) -> i64 => ["UNLINK" keys];

    /// EXISTS key \[key ...\]: how many of the keys exist (a key named twice counts twice).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("a", 1)?;
    /// assert_eq!(store.exists(["a", "a", "b"])?, 2);
    /// assert_eq!(store.exists("a")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn exists, exists_as(keys) -> i64 => ["EXISTS" keys];

    /// TOUCH key \[key ...\]: how many of the keys exist.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.touch("a")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn touch, touch_as(keys) -> i64 => ["TOUCH" keys];

    /// TYPE key: `string`, `list`, `hash`, … or `none`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", "x")?;
    /// assert_eq!(store.key_type("l")?, "list");
    /// assert_eq!(store.key_type("nothing")?, "none");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn key_type, key_type_as(key) -> String => ["TYPE" key];

    /// EXPIRE key seconds: 1 if the TTL was set, 0 if the key does not exist.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", 1)?;
    /// assert!(store.expire("k", 60)?);
    /// assert_eq!(store.ttl("k")?, 60);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn expire, expire_as(key, seconds) -> bool => ["EXPIRE" key seconds];

    /// PEXPIRE key milliseconds.
    ///
    /// ```
    /// use embedis::{Clock, Commands, Store};
    /// let store = Store::with_clock(Clock::manual());
    /// store.set("k", 1)?;
    /// store.pexpire("k", 1500)?;
    /// assert_eq!(store.pttl("k")?, 1500);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn pexpire, pexpire_as(key, milliseconds) -> bool => ["PEXPIRE" key milliseconds];

    /// EXPIREAT key unix-time-seconds.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", 1)?;
    /// store.expireat("k", 4_000_000_000u64)?;
    /// assert_eq!(store.expiretime("k")?, 4_000_000_000);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn expireat, expireat_as(key, unix_seconds) -> bool => ["EXPIREAT" key unix_seconds];

    /// PEXPIREAT key unix-time-milliseconds.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", 1)?;
    /// store.pexpireat("k", 4_000_000_000_123u64)?;
    /// assert_eq!(store.pexpiretime("k")?, 4_000_000_000_123);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn pexpireat, pexpireat_as(key, unix_millis) -> bool => ["PEXPIREAT" key unix_millis];

    /// EXPIRE key seconds with a condition: `"NX"`, `"XX"`, `"GT"` or `"LT"`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", 1)?;
    /// assert!(!store.expire_if("k", 60, "XX")?, "XX: no TTL yet");
    /// assert!(store.expire_if("k", 60, "NX")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn expire_if, expire_if_as(key, seconds, condition) -> bool => ["EXPIRE" key seconds condition];

    /// TTL key: seconds left, -1 without TTL, -2 if the key does not exist.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", 1)?;
    /// assert_eq!(store.ttl("k")?, -1);
    /// assert_eq!(store.ttl("missing")?, -2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn ttl, ttl_as(key) -> i64 => ["TTL" key];

    /// PTTL key: milliseconds left, -1 without TTL, -2 if missing.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().pttl("missing")?, -2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn pttl, pttl_as(key) -> i64 => ["PTTL" key];

    /// EXPIRETIME key: the Unix time in seconds when the key expires; -1, -2 as TTL.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().expiretime("missing")?, -2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn expiretime, expiretime_as(key) -> i64 => ["EXPIRETIME" key];

    /// PEXPIRETIME key: as EXPIRETIME, in milliseconds.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", 1)?;
    /// assert_eq!(store.pexpiretime("k")?, -1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn pexpiretime, pexpiretime_as(key) -> i64 => ["PEXPIRETIME" key];

    /// PERSIST key: removes the TTL; 1 if there was one.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set_ex("k", 1, 60)?;
    /// assert!(store.persist("k")?);
    /// assert_eq!(store.ttl("k")?, -1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn persist, persist_as(key) -> bool => ["PERSIST" key];

    /// RENAME key newkey (`ERR no such key` if key is missing).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("old", 1)?;
    /// store.rename("old", "new")?;
    /// assert_eq!(store.get("new")?.as_deref(), Some("1"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn rename, rename_as(key, newkey) -> () => ["RENAME" key newkey];

    /// RENAMENX key newkey: 0 if newkey exists.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.mset([("a", 1), ("b", 2)])?;
    /// assert!(!store.renamenx("a", "b")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn renamenx, renamenx_as(key, newkey) -> bool => ["RENAMENX" key newkey];

    /// MOVE key db: moves the key to another database; 0 if it is missing here or exists there.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", 1)?;
    /// assert!(store.move_key("k", 1)?);
    /// assert_eq!(store.exists("k")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn move_key, move_key_as(key, db) -> bool => ["MOVE" key db];

    /// COPY source destination: 0 if destination exists.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("a", "v")?;
    /// assert!(store.copy("a", "b")?);
    /// assert_eq!(store.get("b")?.as_deref(), Some("v"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn copy, copy_as(source, destination) -> bool => ["COPY" source destination];

    /// KEYS pattern: the keys matching a glob pattern, in no particular order.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.mset([("user:1", "a"), ("user:2", "b"), ("order:1", "c")])?;
    /// let mut users: Vec<String> = store.keys("user:*")?;
    /// users.sort();
    /// assert_eq!(users, ["user:1", "user:2"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn keys, keys_as(pattern) -> Vec<String> => ["KEYS" pattern];

    /// SCAN cursor: one page of keys and the next cursor (0 when the iteration is done).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.mset([("a", 1), ("b", 2)])?;
    /// let (mut cursor, mut seen) = (0u64, Vec::<String>::new());
    /// loop {
    ///     let (next, keys): (u64, Vec<String>) = store.scan(cursor)?;
    ///     seen.extend(keys);
    ///     if next == 0 { break; }
    ///     cursor = next;
    /// }
    /// seen.sort();
    /// assert_eq!(seen, ["a", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn scan, scan_as(cursor) -> (u64, Vec<String>) => ["SCAN" cursor];

    /// RANDOMKEY: a random key, or nil in an empty database.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.randomkey()?, None);
    /// store.set("only", 1)?;
    /// assert_eq!(store.randomkey()?, Some("only".into()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn randomkey, randomkey_as() -> Option<String> => ["RANDOMKEY"];

    // ---- strings ----

    /// GET key: the value, or nil (`None` as `Option<T>`).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", 42)?;
    /// assert_eq!(store.get("k")?, Some("42".to_string()));
    /// assert_eq!(store.get("missing")?, None);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn get, get_as(key) -> Option<String> => ["GET" key] direct get(key);

    /// SET key value.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", "v")?;
    /// assert_eq!(store.get("k")?.as_deref(), Some("v"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn set, set_as(key, value) -> () => ["SET" key value];

    /// SET key value EX seconds.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set_ex("k", "v", 10)?;
    /// assert_eq!(store.ttl("k")?, 10);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn set_ex, set_ex_as(key, value, seconds) -> () => ["SET" key value "EX" seconds];

    /// SET key value PX milliseconds.
    ///
    /// ```
    /// use embedis::{Clock, Commands, Store};
    /// let store = Store::with_clock(Clock::manual());
    /// store.set_px("k", "v", 250)?;
    /// assert_eq!(store.pttl("k")?, 250);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn set_px, set_px_as(key, value, milliseconds) -> () => ["SET" key value "PX" milliseconds];

    /// SET key value NX: sets only if the key does not exist; `OK` or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert!(store.set_nx("lock", "me")?);
    /// assert!(!store.set_nx("lock", "you")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn set_nx, set_nx_as(key, value) -> bool => ["SET" key value "NX"];

    /// SET key value XX: sets only if the key exists; `OK` or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert!(!store.set_xx("k", 1)?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn set_xx, set_xx_as(key, value) -> bool => ["SET" key value "XX"];

    /// SET key value with any options, e.g. `["NX", "EX", "10"]` or `("GET", "KEEPTTL")`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", "old")?;
    /// let old: Option<String> = store.set_options("k", "new", ("GET", "KEEPTTL"))?;
    /// assert_eq!(old.as_deref(), Some("old"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn set_options, set_options_as(key, value, options) -> Option<String> => ["SET" key value options];

    /// SETNX key value: 1 if set, 0 if the key existed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert!(store.setnx("k", 1)?);
    /// assert!(!store.setnx("k", 2)?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn setnx, setnx_as(key, value) -> bool => ["SETNX" key value];

    /// SETEX key seconds value.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.setex("k", 5, "v")?;
    /// assert_eq!(store.ttl("k")?, 5);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn setex, setex_as(key, seconds, value) -> () => ["SETEX" key seconds value];

    /// PSETEX key milliseconds value.
    ///
    /// ```
    /// use embedis::{Clock, Commands, Store};
    /// let store = Store::with_clock(Clock::manual());
    /// store.psetex("k", 5000, "v")?;
    /// assert_eq!(store.pttl("k")?, 5000);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn psetex, psetex_as(key, milliseconds, value) -> () => ["PSETEX" key milliseconds value];

    /// GETSET key value: sets and answers the old value.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", 1)?;
    /// assert_eq!(store.getset("k", 2)?.as_deref(), Some("1"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn getset, getset_as(key, value) -> Option<String> => ["GETSET" key value];

    /// GETDEL key: answers the value and deletes the key.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", "v")?;
    /// assert_eq!(store.getdel("k")?, Some("v".into()));
    /// assert_eq!(store.exists("k")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn getdel, getdel_as(key) -> Option<String> => ["GETDEL" key];

    /// GETEX key \[options\]: answers the value and changes its TTL, e.g. `("EX", 10)` or `"PERSIST"`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", "v")?;
    /// assert_eq!(store.getex("k", ("EX", 10))?.as_deref(), Some("v"));
    /// assert_eq!(store.ttl("k")?, 10);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn getex, getex_as(key, options) -> Option<String> => ["GETEX" key options];

    /// MGET key \[key ...\]: the values, nil for missing keys and keys of other types.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("a", 1)?;
    /// assert_eq!(store.mget(["a", "b"])?, [Some("1".to_string()), None]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn mget, mget_as(keys) -> Vec<Option<String>> => ["MGET" keys];

    /// MSET key value \[key value ...\], given as pairs.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.mset([("a", "1"), ("b", "2")])?;
    /// assert_eq!(store.get("b")?.as_deref(), Some("2"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn mset, mset_as(pairs) -> () => ["MSET" pairs];

    /// MSETNX key value \[key value ...\]: sets all, or none if any key exists.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert!(store.msetnx([("a", 1), ("b", 2)])?);
    /// assert!(!store.msetnx([("b", 3), ("c", 4)])?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn msetnx, msetnx_as(pairs) -> bool => ["MSETNX" pairs];

    /// INCR key: adds 1 to the integer at key (0 if missing) and answers the result.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.incr("n")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn incr, incr_as(key) -> i64 => ["INCR" key] direct incr(key);

    /// DECR key.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().decr("n")?, -1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn decr, decr_as(key) -> i64 => ["DECR" key] direct decr(key);

    /// INCRBY key increment.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().incrby("n", 5)?, 5);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn incrby, incrby_as(key, increment) -> i64 => ["INCRBY" key increment] direct incrby(key, increment);

    /// DECRBY key decrement.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().decrby("n", 5)?, -5);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn decrby, decrby_as(key, decrement) -> i64 => ["DECRBY" key decrement] direct decrby(key, decrement);

    /// INCRBYFLOAT key increment: computed and printed as Redis does (`long double`).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("f", "10.5")?;
    /// assert_eq!(store.incrbyfloat("f", "0.1")?, 10.6);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn incrbyfloat, incrbyfloat_as(key, increment) -> f64 => ["INCRBYFLOAT" key increment];

    /// APPEND key value: the new length.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.append("k", "ab")?, 2);
    /// assert_eq!(store.append("k", "c")?, 3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn append, append_as(key, value) -> i64 => ["APPEND" key value];

    /// STRLEN key.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", 12345)?;
    /// assert_eq!(store.strlen("k")?, 5);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn strlen, strlen_as(key) -> i64 => ["STRLEN" key];

    /// GETRANGE key start end (inclusive; negative indexes count from the end).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", "Hello World")?;
    /// assert_eq!(store.getrange("k", -5, -1)?, "World");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn getrange, getrange_as(key, start, end) -> String => ["GETRANGE" key start end];

    /// SETRANGE key offset value: overwrites from offset, padding with zero bytes; the new length.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", "Hello World")?;
    /// store.setrange("k", 6, "Redis")?;
    /// assert_eq!(store.get("k")?.as_deref(), Some("Hello Redis"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn setrange, setrange_as(key, offset, value) -> i64 => ["SETRANGE" key offset value];

    /// LCS key1 key2 \[options\]: the longest common subsequence (options: `"LEN"`, `"IDX"`, …; pass
    /// `()` for none).
    ///
    /// ```
    /// use embedis::{Commands, Reply, Store};
    /// let store = Store::new();
    /// store.mset([("a", "ohmytext"), ("b", "mynewtext")])?;
    /// assert_eq!(store.lcs("a", "b", ())?, Reply::Bulk(b"mytext".to_vec()));
    /// assert_eq!(store.lcs("a", "b", "LEN")?, Reply::Integer(6));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lcs, lcs_as(key1, key2, options) -> Reply => ["LCS" key1 key2 options];

    // ---- lists ----

    /// LPUSH key element \[element ...\]: pushes at the head; the new length.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.lpush("l", ["a", "b"])?, 2);
    /// assert_eq!(store.lrange("l", 0, -1)?, ["b", "a"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lpush, lpush_as(key, elements) -> i64 => ["LPUSH" key elements];

    /// RPUSH key element \[element ...\]: pushes at the tail; the new length.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.rpush("l", ["a", "b"])?, 2);
    /// assert_eq!(store.lrange("l", 0, -1)?, ["a", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn rpush, rpush_as(key, elements) -> i64 => ["RPUSH" key elements];

    /// LPOP key: the head element, or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["a", "b"])?;
    /// assert_eq!(store.lpop("l")?, Some("a".into()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lpop, lpop_as(key) -> Option<String> => ["LPOP" key];

    /// RPOP key: the tail element, or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["a", "b"])?;
    /// assert_eq!(store.rpop("l")?, Some("b".into()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn rpop, rpop_as(key) -> Option<String> => ["RPOP" key];

    /// LPOP key count: up to count elements from the head.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["a", "b", "c"])?;
    /// assert_eq!(store.lpop_count("l", 2)?.unwrap(), ["a", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lpop_count, lpop_count_as(key, count) -> Option<Vec<String>> => ["LPOP" key count];

    /// RPOP key count: up to count elements from the tail.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["a", "b", "c"])?;
    /// assert_eq!(store.rpop_count("l", 2)?.unwrap(), ["c", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn rpop_count, rpop_count_as(key, count) -> Option<Vec<String>> => ["RPOP" key count];

    /// LRANGE key start stop (inclusive; negative indexes count from the end).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["a", "b", "c"])?;
    /// assert_eq!(store.lrange("l", 1, -1)?, ["b", "c"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lrange, lrange_as(key, start, stop) -> Vec<String> => ["LRANGE" key start stop];

    /// LLEN key.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["a", "b"])?;
    /// assert_eq!(store.llen("l")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn llen, llen_as(key) -> i64 => ["LLEN" key];

    // ---- hashes ----

    /// HSET key field value: 1 if the field is new.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.hset("h", "f", "v")?, 1);
    /// assert_eq!(store.hset("h", "f", "w")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hset, hset_as(key, field, value) -> i64 => ["HSET" key field value];

    /// HSET key field value \[field value ...\], given as pairs: how many fields are new.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.hset_multiple("user:1", [("name", "ada"), ("lang", "en")])?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hset_multiple, hset_multiple_as(key, pairs) -> i64 => ["HSET" key pairs];

    /// HGET key field.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset("h", "f", 7)?;
    /// assert_eq!(store.hget("h", "f")?.as_deref(), Some("7"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hget, hget_as(key, field) -> Option<String> => ["HGET" key field];

    /// HGETALL key: fields and values (as a map, or a flat list).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset_multiple("h", [("a", "1"), ("b", "2")])?;
    /// let all: HashMap<String, String> = store.hgetall("h")?;
    /// assert_eq!(all["b"], "2");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hgetall, hgetall_as(key) -> HashMap<String, String> => ["HGETALL" key];

    /// HINCRBY key field increment.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.hincrby("h", "visits", 3)?, 3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hincrby, hincrby_as(key, field, increment) -> i64 => ["HINCRBY" key field increment];

    /// HDEL key field \[field ...\]: how many fields were removed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset("h", "f", 1)?;
    /// assert_eq!(store.hdel("h", ["f", "g"])?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hdel, hdel_as(key, fields) -> i64 => ["HDEL" key fields];

    /// LPUSHX key element \[element ...\]: pushes only onto an existing list; its length (0 if none).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.lpushx("l", "a")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lpushx, lpushx_as(key, elements) -> i64 => ["LPUSHX" key elements];

    /// RPUSHX key element \[element ...\]: pushes only onto an existing list.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", "a")?;
    /// assert_eq!(store.rpushx("l", "b")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn rpushx, rpushx_as(key, elements) -> i64 => ["RPUSHX" key elements];

    /// LINDEX key index: the element at index (negative counts from the end), or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["a", "b"])?;
    /// assert_eq!(store.lindex("l", -1)?, Some("b".into()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lindex, lindex_as(key, index) -> Option<String> => ["LINDEX" key index];

    /// LSET key index element.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["a", "b"])?;
    /// store.lset("l", 0, "z")?;
    /// assert_eq!(store.lrange("l", 0, -1)?, ["z", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lset, lset_as(key, index, element) -> () => ["LSET" key index element];

    /// LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["a", "c"])?;
    /// assert_eq!(store.linsert("l", "BEFORE", "c", "b")?, 3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn linsert, linsert_as(key, position, pivot, element) -> i64 => ["LINSERT" key position pivot element];

    /// LREM key count element: how many were removed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["a", "b", "a"])?;
    /// assert_eq!(store.lrem("l", 0, "a")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lrem, lrem_as(key, count, element) -> i64 => ["LREM" key count element];

    /// LTRIM key start stop: keeps only that range.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["a", "b", "c"])?;
    /// store.ltrim("l", 1, -1)?;
    /// assert_eq!(store.lrange("l", 0, -1)?, ["b", "c"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn ltrim, ltrim_as(key, start, stop) -> () => ["LTRIM" key start stop];

    /// LPOS key element \[options\]: the index of a match (options such as `("RANK", -1)`, or `()`).
    ///
    /// ```
    /// use embedis::{Commands, Reply, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["a", "b", "a"])?;
    /// assert_eq!(store.lpos("l", "a", ("RANK", -1))?, Reply::Integer(2));
    /// let all = store.lpos("l", "a", ("COUNT", 0))?;
    /// assert_eq!(all, Reply::Array(vec![Reply::Integer(0), Reply::Integer(2)]));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lpos, lpos_as(key, element, options) -> Reply => ["LPOS" key element options];

    /// LMOVE source destination LEFT|RIGHT LEFT|RIGHT: the element moved, or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("todo", ["a", "b"])?;
    /// assert_eq!(store.lmove("todo", "doing", "LEFT", "RIGHT")?.as_deref(), Some("a"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lmove, lmove_as(source, destination, from, to) -> Option<String> => ["LMOVE" source destination from to];

    /// RPOPLPUSH source destination.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("a", ["x", "y"])?;
    /// assert_eq!(store.rpoplpush("a", "b")?.as_deref(), Some("y"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn rpoplpush, rpoplpush_as(source, destination) -> Option<String> => ["RPOPLPUSH" source destination];

    /// LMPOP numkeys key \[key ...\] LEFT|RIGHT \[COUNT n\]: `(key, elements)` from the first non-empty
    /// list, or nil. Give the keys and the rest as arguments, e.g. `(2, ["a", "b"], "LEFT")`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("b", ["1", "2"])?;
    /// let popped: Option<(String, Vec<String>)> = store.lmpop((2, ["a", "b"], "LEFT", "COUNT", 5))?;
    /// assert_eq!(popped, Some(("b".into(), vec!["1".into(), "2".into()])));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lmpop, lmpop_as(args) -> Option<(String, Vec<String>)> => ["LMPOP" args];

    /// BLPOP key \[key ...\] timeout: `(key, element)`, waiting up to `timeout` seconds (0: for ever)
    /// for another client to push; nil on timeout. Inside a transaction it never waits.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// let worker = store.clone();
    /// let job = std::thread::spawn(move || worker.blpop("jobs", 5));
    /// std::thread::sleep(std::time::Duration::from_millis(20));
    /// store.rpush("jobs", "resize")?;
    /// assert_eq!(job.join().unwrap()?, Some(("jobs".into(), "resize".into())));
    /// assert_eq!(store.blpop("jobs", 0.01)?, None);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn blpop, blpop_as(keys, timeout) -> Option<(String, String)> => ["BLPOP" keys timeout];

    /// BRPOP key \[key ...\] timeout: as BLPOP, from the tail.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["a", "b"])?;
    /// assert_eq!(store.brpop("l", 1)?, Some(("l".into(), "b".into())));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn brpop, brpop_as(keys, timeout) -> Option<(String, String)> => ["BRPOP" keys timeout];

    /// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("a", "x")?;
    /// assert_eq!(store.blmove("a", "b", "LEFT", "LEFT", 1)?, Some("x".into()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn blmove, blmove_as(source, destination, from, to, timeout) -> Option<String> => ["BLMOVE" source destination from to timeout];

    /// BRPOPLPUSH source destination timeout.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.brpoplpush("empty", "b", 0.01)?, None);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn brpoplpush, brpoplpush_as(source, destination, timeout) -> Option<String> => ["BRPOPLPUSH" source destination timeout];

    /// BLMPOP timeout numkeys key \[key ...\] LEFT|RIGHT \[COUNT n\], the arguments after the timeout
    /// given together.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("a", ["1", "2"])?;
    /// let popped = store.blmpop(1, (1, "a", "RIGHT"))?;
    /// assert_eq!(popped, Some(("a".into(), vec!["2".into()])));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn blmpop, blmpop_as(timeout, args) -> Option<(String, Vec<String>)> => ["BLMPOP" timeout args];

    /// HSETNX key field value: 1 if set, 0 if the field existed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert!(store.hsetnx("h", "f", 1)?);
    /// assert!(!store.hsetnx("h", "f", 2)?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hsetnx, hsetnx_as(key, field, value) -> bool => ["HSETNX" key field value];

    /// HMGET key field \[field ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset("h", "a", 1)?;
    /// assert_eq!(store.hmget("h", ["a", "b"])?, [Some("1".to_string()), None]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hmget, hmget_as(key, fields) -> Vec<Option<String>> => ["HMGET" key fields];

    /// HLEN key
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset_multiple("h", [("a", 1), ("b", 2)])?;
    /// assert_eq!(store.hlen("h")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hlen, hlen_as(key) -> i64 => ["HLEN" key];

    /// HSTRLEN key field
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset("h", "f", "hello")?;
    /// assert_eq!(store.hstrlen("h", "f")?, 5);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hstrlen, hstrlen_as(key, field) -> i64 => ["HSTRLEN" key field];

    /// HEXISTS key field
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset("h", "f", 1)?;
    /// assert!(store.hexists("h", "f")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hexists, hexists_as(key, field) -> bool => ["HEXISTS" key field];

    /// HKEYS key: the fields (a small hash answers in insertion order, as Redis).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset_multiple("h", [("b", 1), ("a", 2)])?;
    /// assert_eq!(store.hkeys("h")?, ["b", "a"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hkeys, hkeys_as(key) -> Vec<String> => ["HKEYS" key];

    /// HVALS key
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset_multiple("h", [("b", 1), ("a", 2)])?;
    /// assert_eq!(store.hvals("h")?, ["1", "2"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hvals, hvals_as(key) -> Vec<String> => ["HVALS" key];

    /// HINCRBYFLOAT key field increment (Redis's `long double` digits).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.hincrbyfloat("h", "f", "0.1")?, 0.1);
    /// assert_eq!(store.hincrbyfloat("h", "f", "0.2")?, 0.3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hincrbyfloat, hincrbyfloat_as(key, field, increment) -> f64 => ["HINCRBYFLOAT" key field increment];

    /// HRANDFIELD key [count \[WITHVALUES\]]: random fields (`()` for one field, or e.g. `(2, "WITHVALUES")`).
    ///
    /// ```
    /// use embedis::{Commands, FromReply, Reply, Store};
    /// let store = Store::new();
    /// store.hset("h", "only", 1)?;
    /// assert_eq!(store.hrandfield("h", ())?, Reply::Bulk(b"only".to_vec()));
    /// let fields: Vec<String> = FromReply::from_reply(store.hrandfield("h", -3)?)?;
    /// assert_eq!(fields, ["only", "only", "only"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hrandfield, hrandfield_as(key, options) -> Reply => ["HRANDFIELD" key options];

    /// HSCAN key cursor: one page of fields and values and the next cursor.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset("h", "f", "v")?;
    /// let (cursor, items): (u64, Vec<String>) = store.hscan("h", 0)?;
    /// assert_eq!((cursor, items), (0, vec!["f".into(), "v".into()]));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hscan, hscan_as(key, cursor) -> (u64, Vec<String>) => ["HSCAN" key cursor];

    // ---- sets ----

    /// SADD key member \[member ...\]: how many were new.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.sadd("s", ["a", "b", "a"])?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sadd, sadd_as(key, members) -> i64 => ["SADD" key members];

    /// SREM key member \[member ...\]: how many were removed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("s", ["a", "b"])?;
    /// assert_eq!(store.srem("s", ["a", "z"])?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn srem, srem_as(key, members) -> i64 => ["SREM" key members];

    /// SMEMBERS key (a set of integers answers in numeric order, as Redis's intset).
    ///
    /// ```
    /// use std::collections::HashSet;
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("s", [3, 1, 2])?;
    /// let set: HashSet<String> = store.smembers("s")?;
    /// assert!(set.contains("2"));
    /// assert_eq!(set.len(), 3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn smembers, smembers_as(key) -> HashSet<String> => ["SMEMBERS" key];

    /// SISMEMBER key member
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("s", "a")?;
    /// assert!(store.sismember("s", "a")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sismember, sismember_as(key, member) -> bool => ["SISMEMBER" key member];

    /// SMISMEMBER key member \[member ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("s", "a")?;
    /// assert_eq!(store.smismember("s", ["a", "b"])?, [true, false]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn smismember, smismember_as(key, members) -> Vec<bool> => ["SMISMEMBER" key members];

    /// SCARD key
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("s", ["a", "b"])?;
    /// assert_eq!(store.scard("s")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn scard, scard_as(key) -> i64 => ["SCARD" key];

    /// SPOP key \[count\]: random members, removed (`()` for one, or a count).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("s", "only")?;
    /// assert_eq!(store.spop("s", 3)?, ["only"]);
    /// assert_eq!(store.spop("s", 3)?, Vec::<String>::new());
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn spop, spop_as(key, count) -> Vec<String> => ["SPOP" key count];

    /// SRANDMEMBER key \[count\]: random members, kept (a negative count may repeat).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("s", "a")?;
    /// assert_eq!(store.srandmember("s", -3)?, ["a", "a", "a"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn srandmember, srandmember_as(key, count) -> Vec<String> => ["SRANDMEMBER" key count];

    /// SMOVE source destination member
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("a", "x")?;
    /// assert!(store.smove("a", "b", "x")?);
    /// assert!(store.sismember("b", "x")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn smove, smove_as(source, destination, member) -> bool => ["SMOVE" source destination member];

    /// SINTER key \[key ...\]
    ///
    /// ```
    /// use std::collections::HashSet;
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("a", [1, 2, 3])?;
    /// store.sadd("b", [2, 3, 4])?;
    /// assert_eq!(store.sinter(["a", "b"])?, HashSet::from(["2".into(), "3".into()]));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sinter, sinter_as(keys) -> HashSet<String> => ["SINTER" keys];

    /// SINTERCARD numkeys key \[key ...\] \[LIMIT limit\], the keys and options given together.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("a", [1, 2, 3])?;
    /// store.sadd("b", [2, 3, 4])?;
    /// assert_eq!(store.sintercard((2, ["a", "b"]))?, 2);
    /// assert_eq!(store.sintercard((2, ["a", "b"], "LIMIT", 1))?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sintercard, sintercard_as(args) -> i64 => ["SINTERCARD" args];

    /// SINTERSTORE destination key \[key ...\]: the size of the stored result.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("a", [1, 2])?;
    /// store.sadd("b", [2])?;
    /// assert_eq!(store.sinterstore("c", ["a", "b"])?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sinterstore, sinterstore_as(destination, keys) -> i64 => ["SINTERSTORE" destination keys];

    /// SUNION key \[key ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("a", [1, 2])?;
    /// store.sadd("b", [2, 3])?;
    /// assert_eq!(store.sunion(["a", "b"])?.len(), 3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sunion, sunion_as(keys) -> HashSet<String> => ["SUNION" keys];

    /// SUNIONSTORE destination key \[key ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("a", [1, 2])?;
    /// assert_eq!(store.sunionstore("c", ["a", "missing"])?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sunionstore, sunionstore_as(destination, keys) -> i64 => ["SUNIONSTORE" destination keys];

    /// SDIFF key \[key ...\]: the first set minus the others.
    ///
    /// ```
    /// use std::collections::HashSet;
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("a", [1, 2, 3])?;
    /// store.sadd("b", [2])?;
    /// assert_eq!(store.sdiff(["a", "b"])?, HashSet::from(["1".into(), "3".into()]));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sdiff, sdiff_as(keys) -> HashSet<String> => ["SDIFF" keys];

    /// SDIFFSTORE destination key \[key ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("a", [1, 2])?;
    /// assert_eq!(store.sdiffstore("c", ["a", "a"])?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sdiffstore, sdiffstore_as(destination, keys) -> i64 => ["SDIFFSTORE" destination keys];

    /// SSCAN key cursor: one page of members and the next cursor.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd("s", [2, 1])?;
    /// assert_eq!(store.sscan("s", 0)?, (0, vec!["1".into(), "2".into()]));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sscan, sscan_as(key, cursor) -> (u64, Vec<String>) => ["SSCAN" key cursor];

    // ---- sorted sets ----

    /// ZADD key score member \[score member ...\]: how many members are new. Give pairs as `[(score, member), …]`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.zadd("board", [(10, "ada"), (7, "bob")])?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zadd, zadd_as(key, pairs) -> i64 => ["ZADD" key pairs];

    /// ZADD key \[NX|XX\] \[GT|LT\] \[CH\] \[INCR\] score member …, the options first: e.g. `("GT", "CH")`.
    ///
    /// ```
    /// use embedis::{Commands, Reply, Store};
    /// let store = Store::new();
    /// store.zadd("z", (1, "a"))?;
    /// assert_eq!(store.zadd_options("z", ("GT", "CH"), [(5, "a"), (0, "b")])?, Reply::Integer(2));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zadd_options, zadd_options_as(key, options, pairs) -> Reply => ["ZADD" key options pairs];

    /// ZINCRBY key increment member: the new score.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.zincrby("z", 2.5, "a")?, 2.5);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zincrby, zincrby_as(key, increment, member) -> f64 => ["ZINCRBY" key increment member];

    /// ZSCORE key member: the score, or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", (3, "a"))?;
    /// assert_eq!(store.zscore("z", "a")?, Some(3.0));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zscore, zscore_as(key, member) -> Option<f64> => ["ZSCORE" key member];

    /// ZMSCORE key member \[member ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", (3, "a"))?;
    /// assert_eq!(store.zmscore("z", ["a", "b"])?, [Some(3.0), None]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zmscore, zmscore_as(key, members) -> Vec<Option<f64>> => ["ZMSCORE" key members];

    /// ZCARD key
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zcard("z")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zcard, zcard_as(key) -> i64 => ["ZCARD" key];

    /// ZRANK key member: the 0-based rank by ascending score, or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zrank("z", "b")?, Some(1));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrank, zrank_as(key, member) -> Option<i64> => ["ZRANK" key member];

    /// ZREVRANK key member: the rank by descending score.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zrevrank("z", "b")?, Some(0));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrevrank, zrevrank_as(key, member) -> Option<i64> => ["ZREVRANK" key member];

    /// ZRANGE key start stop: members by rank.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(2, "b"), (1, "a")])?;
    /// assert_eq!(store.zrange("z", 0, -1)?, ["a", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrange, zrange_as(key, start, stop) -> Vec<String> => ["ZRANGE" key start stop];

    /// ZRANGE key start stop WITHSCORES: members and scores, flat, as Redis answers them.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(2, "b"), (1, "a")])?;
    /// let pairs = store.zrange_withscores("z", 0, -1)?;
    /// assert_eq!(pairs, [("a".to_string(), 1.0), ("b".to_string(), 2.0)]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrange_withscores, zrange_withscores_as(key, start, stop) -> Vec<(String, f64)> => ["ZRANGE" key start stop "WITHSCORES"];

    /// ZRANGE key min max with options: `BYSCORE`, `BYLEX`, `REV`, `LIMIT offset count`, `WITHSCORES`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b"), (3, "c")])?;
    /// assert_eq!(store.zrange_options("z", "(1", "+inf", "BYSCORE")?, ["b", "c"]);
    /// assert_eq!(store.zrange_options("z", "+inf", "-inf", ("BYSCORE", "REV", "LIMIT", 0, 1))?, ["c"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrange_options, zrange_options_as(key, min, max, options) -> Vec<String> => ["ZRANGE" key min max options];

    /// ZREVRANGE key start stop: members by rank, highest score first.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zrevrange("z", 0, 0)?, ["b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrevrange, zrevrange_as(key, start, stop) -> Vec<String> => ["ZREVRANGE" key start stop];

    /// ZREVRANGE key start stop WITHSCORES: members by rank, highest score first, with their
    /// scores.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("board", [(10, "ann"), (7, "bob")])?;
    /// let top = store.zrevrange_withscores("board", 0, -1)?;
    /// assert_eq!(top, [("ann".to_string(), 10.0), ("bob".to_string(), 7.0)]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrevrange_withscores, zrevrange_withscores_as(key, start, stop) -> Vec<(String, f64)> => ["ZREVRANGE" key start stop "WITHSCORES"];

    /// ZRANGEBYSCORE key min max (bounds such as `"(1"`, `"-inf"`).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zrangebyscore("z", "(1", "+inf")?, ["b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrangebyscore, zrangebyscore_as(key, min, max) -> Vec<String> => ["ZRANGEBYSCORE" key min max];

    /// ZREVRANGEBYSCORE key max min
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zrevrangebyscore("z", "+inf", "-inf")?, ["b", "a"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrevrangebyscore, zrevrangebyscore_as(key, max, min) -> Vec<String> => ["ZREVRANGEBYSCORE" key max min];

    /// ZRANGEBYLEX key min max (bounds `[x`, `(x`, `-`, `+`).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(0, "a"), (0, "b"), (0, "c")])?;
    /// assert_eq!(store.zrangebylex("z", "(a", "+")?, ["b", "c"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrangebylex, zrangebylex_as(key, min, max) -> Vec<String> => ["ZRANGEBYLEX" key min max];

    /// ZREVRANGEBYLEX key max min
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(0, "a"), (0, "b")])?;
    /// assert_eq!(store.zrevrangebylex("z", "+", "-")?, ["b", "a"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrevrangebylex, zrevrangebylex_as(key, max, min) -> Vec<String> => ["ZREVRANGEBYLEX" key max min];

    /// ZRANGESTORE dst src min max \[options\]: the size of the stored range.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zrangestore("top", "z", 0, 0, ())?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrangestore, zrangestore_as(destination, source, min, max, options) -> i64 => ["ZRANGESTORE" destination source min max options];

    /// ZCOUNT key min max
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zcount("z", 2, "+inf")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zcount, zcount_as(key, min, max) -> i64 => ["ZCOUNT" key min max];

    /// ZLEXCOUNT key min max
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(0, "a"), (0, "b")])?;
    /// assert_eq!(store.zlexcount("z", "-", "+")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zlexcount, zlexcount_as(key, min, max) -> i64 => ["ZLEXCOUNT" key min max];

    /// ZREM key member \[member ...\]: how many were removed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", (1, "a"))?;
    /// assert_eq!(store.zrem("z", ["a", "b"])?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrem, zrem_as(key, members) -> i64 => ["ZREM" key members];

    /// ZREMRANGEBYRANK key start stop
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zremrangebyrank("z", 0, 0)?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zremrangebyrank, zremrangebyrank_as(key, start, stop) -> i64 => ["ZREMRANGEBYRANK" key start stop];

    /// ZREMRANGEBYSCORE key min max
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zremrangebyscore("z", "-inf", "(2")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zremrangebyscore, zremrangebyscore_as(key, min, max) -> i64 => ["ZREMRANGEBYSCORE" key min max];

    /// ZREMRANGEBYLEX key min max
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(0, "a"), (0, "b")])?;
    /// assert_eq!(store.zremrangebylex("z", "[a", "[a")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zremrangebylex, zremrangebylex_as(key, min, max) -> i64 => ["ZREMRANGEBYLEX" key min max];

    /// ZPOPMIN key \[count\]: lowest-scored members with their scores (`()` for one).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zpopmin("z", 1)?, [("a".to_string(), 1.0)]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zpopmin, zpopmin_as(key, count) -> Vec<(String, f64)> => ["ZPOPMIN" key count];

    /// ZPOPMAX key \[count\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zpopmax("z", 2)?, [("b".to_string(), 2.0), ("a".to_string(), 1.0)]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zpopmax, zpopmax_as(key, count) -> Vec<(String, f64)> => ["ZPOPMAX" key count];

    /// ZMPOP numkeys key \[key ...\] MIN|MAX \[COUNT n\], given together.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", [(1, "a"), (2, "b")])?;
    /// let popped: Option<(String, Vec<(String, f64)>)> = store.zmpop((1, "z", "MAX"))?;
    /// assert_eq!(popped, Some(("z".into(), vec![("b".into(), 2.0)])));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zmpop, zmpop_as(args) -> Option<(String, Vec<(String, f64)>)> => ["ZMPOP" args];

    /// BZPOPMIN key \[key ...\] timeout: `(key, member, score)`, waiting for a ZADD; nil on timeout.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", (1, "a"))?;
    /// assert_eq!(store.bzpopmin("z", 1)?, Some(("z".into(), "a".into(), 1.0)));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn bzpopmin, bzpopmin_as(keys, timeout) -> Option<(String, String, f64)> => ["BZPOPMIN" keys timeout];

    /// BZPOPMAX key \[key ...\] timeout
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.bzpopmax("empty", 0.01)?, None);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn bzpopmax, bzpopmax_as(keys, timeout) -> Option<(String, String, f64)> => ["BZPOPMAX" keys timeout];

    /// BZMPOP timeout numkeys key \[key ...\] MIN|MAX \[COUNT n\], the arguments after the timeout together.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", (1, "a"))?;
    /// let popped: Option<(String, Vec<(String, f64)>)> = store.bzmpop(1, (1, "z", "MIN"))?;
    /// assert_eq!(popped.map(|p| p.1.len()), Some(1));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn bzmpop, bzmpop_as(timeout, args) -> Option<(String, Vec<(String, f64)>)> => ["BZMPOP" timeout args];

    /// ZRANDMEMBER key [count \[WITHSCORES\]]: random members (`()` for one).
    ///
    /// ```
    /// use embedis::{Commands, Reply, Store};
    /// let store = Store::new();
    /// store.zadd("z", (1, "only"))?;
    /// assert_eq!(store.zrandmember("z", ())?, Reply::Bulk(b"only".to_vec()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrandmember, zrandmember_as(key, options) -> Reply => ["ZRANDMEMBER" key options];

    /// ZSCAN key cursor: one page of members and scores, and the next cursor.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("z", (1, "a"))?;
    /// assert_eq!(store.zscan("z", 0)?, (0, vec!["a".into(), "1".into()]));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zscan, zscan_as(key, cursor) -> (u64, Vec<String>) => ["ZSCAN" key cursor];

    /// ZUNION numkeys key \[key ...\] \[WEIGHTS …\] \[AGGREGATE …\] \[WITHSCORES\], given together.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("a", [(1, "x")])?;
    /// store.zadd("b", [(2, "x"), (1, "y")])?;
    /// assert_eq!(store.zunion((2, ["a", "b"], "WITHSCORES"))?, ["y", "1", "x", "3"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zunion, zunion_as(args) -> Vec<String> => ["ZUNION" args];

    /// ZINTER numkeys key \[key ...\] \[WEIGHTS …\] \[AGGREGATE …\] \[WITHSCORES\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("a", [(1, "x")])?;
    /// store.zadd("b", [(2, "x"), (1, "y")])?;
    /// assert_eq!(store.zinter((2, ["a", "b"]))?, ["x"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zinter, zinter_as(args) -> Vec<String> => ["ZINTER" args];

    /// ZDIFF numkeys key \[key ...\] \[WITHSCORES\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("a", [(1, "x"), (2, "y")])?;
    /// store.zadd("b", [(1, "x")])?;
    /// assert_eq!(store.zdiff((2, ["a", "b"]))?, ["y"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zdiff, zdiff_as(args) -> Vec<String> => ["ZDIFF" args];

    /// ZUNIONSTORE destination numkeys key \[key ...\] \[WEIGHTS …\] \[AGGREGATE …\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("a", [(1, "x")])?;
    /// assert_eq!(store.zunionstore("out", (1, "a"))?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zunionstore, zunionstore_as(destination, args) -> i64 => ["ZUNIONSTORE" destination args];

    /// ZINTERSTORE destination numkeys key \[key ...\] \[WEIGHTS …\] \[AGGREGATE …\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("a", [(1, "x")])?;
    /// assert_eq!(store.zinterstore("out", (2, ["a", "missing"]))?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zinterstore, zinterstore_as(destination, args) -> i64 => ["ZINTERSTORE" destination args];

    /// ZDIFFSTORE destination numkeys key \[key ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("a", [(1, "x")])?;
    /// assert_eq!(store.zdiffstore("out", (1, "a"))?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zdiffstore, zdiffstore_as(destination, args) -> i64 => ["ZDIFFSTORE" destination args];

    /// ZINTERCARD numkeys key \[key ...\] \[LIMIT limit\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd("a", [(1, "x")])?;
    /// store.zadd("b", [(1, "x")])?;
    /// assert_eq!(store.zintercard((2, ["a", "b"]))?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zintercard, zintercard_as(args) -> i64 => ["ZINTERCARD" args];

    // ---- sorting, introspection, serialization ----

    /// SETBIT key offset value: sets or clears one bit (growing the string with zero bytes);
    /// answers the bit's old value.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert!(!store.setbit("flags", 9, true)?);
    /// assert!(store.setbit("flags", 9, false)?);
    /// assert_eq!(store.strlen("flags")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn setbit, setbit_as(key, offset, value) -> bool => ["SETBIT" key offset value];

    /// GETBIT key offset: the bit (0 past the end of the string).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("c", "A")?; // 0b0100_0001
    /// assert_eq!((store.getbit("c", 1)?, store.getbit("c", 2)?, store.getbit("c", 99)?), (true, false, false));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn getbit, getbit_as(key, offset) -> bool => ["GETBIT" key offset];

    /// BITCOUNT key: the bits set in the whole string.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("s", "foobar")?;
    /// assert_eq!(store.bitcount("s")?, 26);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn bitcount, bitcount_as(key) -> i64 => ["BITCOUNT" key];

    /// BITCOUNT key start end \[BYTE|BIT\]: the bits set in a range, the unit after the range
    /// (`()` or `"BYTE"` for bytes, `"BIT"` for bits; negative indexes count from the end).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("s", "foobar")?;
    /// assert_eq!(store.bitcount_range("s", 1, 1, ())?, 6);
    /// assert_eq!(store.bitcount_range("s", 5, 30, "BIT")?, 17);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn bitcount_range, bitcount_range_as(key, start, end, unit) -> i64 => ["BITCOUNT" key start end unit];

    /// BITPOS key bit \[start \[end \[BYTE|BIT\]\]\]: the first bit equal to `bit`, the range after it
    /// (e.g. `()`, `2`, `(0, -1, "BIT")`); -1 when there is none.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("s", [0u8, 0xff])?;
    /// assert_eq!(store.bitpos("s", 1, ())?, 8);
    /// assert_eq!(store.bitpos("s", 0, (1, -1))?, -1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn bitpos, bitpos_as(key, bit, range) -> i64 => ["BITPOS" key bit range];

    /// BITOP AND|OR|XOR|NOT destkey key \[key ...\]: stores the bitwise result; answers its length.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("a", "abc")?;
    /// store.set("b", "a")?;
    /// assert_eq!(store.bitop("AND", "dst", ["a", "b"])?, 3);
    /// assert_eq!(store.get("dst")?.as_deref(), Some("a\u{0}\u{0}"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn bitop, bitop_as(operation, destination, keys) -> i64 => ["BITOP" operation destination keys];

    /// BITFIELD key subcommand …: the operations together (e.g. `("INCRBY", "u8", 0, 10, "GET",
    /// "u4", 4)`); each GET, SET and INCRBY answers a value, nil where OVERFLOW FAIL refused it.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// let ops = (("OVERFLOW", "FAIL"), ("INCRBY", "u2", 0, 3), ("INCRBY", "u2", 0, 1));
    /// let replies = store.bitfield("counters", ops)?;
    /// assert_eq!(replies, [Some(3), None]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn bitfield, bitfield_as(key, operations) -> Vec<Option<i64>> => ["BITFIELD" key operations];

    /// BITFIELD_RO key GET type offset …: reads fields only.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", "A")?;
    /// assert_eq!(store.bitfield_ro("k", ("GET", "u4", 0, "GET", "i4", 4))?, [4, 1]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn bitfield_ro, bitfield_ro_as(key, operations) -> Vec<i64> => ["BITFIELD_RO" key operations];

    /// PFADD key element \[element ...\]: adds elements to a HyperLogLog; answers whether its
    /// estimate may have changed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert!(store.pfadd("visitors", ["alice", "bob"])?);
    /// assert!(!store.pfadd("visitors", "alice")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn pfadd, pfadd_as(key, elements) -> bool => ["PFADD" key elements];

    /// PFCOUNT key \[key ...\]: the estimated number of distinct elements (of the union, for
    /// several keys).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.pfadd("monday", ["alice", "bob"])?;
    /// store.pfadd("tuesday", ["bob", "carol"])?;
    /// assert_eq!(store.pfcount("monday")?, 2);
    /// assert_eq!(store.pfcount(["monday", "tuesday"])?, 3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn pfcount, pfcount_as(keys) -> i64 => ["PFCOUNT" keys];

    /// PFMERGE destkey \[sourcekey ...\]: stores the union of HyperLogLogs.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.pfadd("a", ["x", "y"])?;
    /// store.pfadd("b", ["y", "z"])?;
    /// store.pfmerge("week", ["a", "b"])?;
    /// assert_eq!(store.pfcount("week")?, 3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn pfmerge, pfmerge_as(destination, sources) -> () => ["PFMERGE" destination sources];

    /// GEOADD key longitude latitude member \[longitude latitude member ...\]: answers how many
    /// members were added.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// let added = store.geoadd("Sicily", [(13.361389, 38.115556, "Palermo"), (15.087269, 37.502669, "Catania")])?;
    /// assert_eq!(added, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn geoadd, geoadd_as(key, positions) -> i64 => ["GEOADD" key positions];

    /// GEODIST key member1 member2 unit: the distance between two members in `unit` (m, km,
    /// mi, ft), `None` if one is missing.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.geoadd("Sicily", [(13.361389, 38.115556, "Palermo"), (15.087269, 37.502669, "Catania")])?;
    /// assert_eq!(store.geodist("Sicily", "Palermo", "Catania", "km")?, Some(166.2742));
    /// assert_eq!(store.geodist("Sicily", "Palermo", "Rome", "km")?, None);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn geodist, geodist_as(key, member1, member2, unit) -> Option<f64> => ["GEODIST" key member1 member2 unit];

    /// GEOPOS key member \[member ...\]: each member's `(longitude, latitude)`, `None` if missing.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.geoadd("Sicily", (13.361389, 38.115556, "Palermo"))?;
    /// let positions = store.geopos("Sicily", ["Palermo", "Rome"])?;
    /// let (longitude, latitude) = positions[0].unwrap();
    /// assert!((longitude - 13.361389).abs() < 1e-5 && (latitude - 38.115556).abs() < 1e-5);
    /// assert_eq!(positions[1], None);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn geopos, geopos_as(key, members) -> Vec<Option<(f64, f64)>> => ["GEOPOS" key members];

    /// GEOHASH key member \[member ...\]: each member's 11-character geohash.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.geoadd("Sicily", (13.361389, 38.115556, "Palermo"))?;
    /// assert_eq!(store.geohash("Sicily", "Palermo")?, [Some("sqc8b49rny0".to_string())]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn geohash, geohash_as(key, members) -> Vec<Option<String>> => ["GEOHASH" key members];

    /// GEOSEARCH key FROMMEMBER member|FROMLONLAT longitude latitude BYRADIUS radius unit|BYBOX
    /// width height unit \[ASC|DESC\] \[COUNT count \[ANY\]\], the arguments after the key together:
    /// the members found (with WITHDIST, WITHCOORD or WITHHASH use the `_as` form or [`Reply`]).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.geoadd("Sicily", [(13.361389, 38.115556, "Palermo"), (15.087269, 37.502669, "Catania")])?;
    /// let near = store.geosearch("Sicily", (("FROMLONLAT", 15, 37), ("BYRADIUS", 200, "km"), "ASC"))?;
    /// assert_eq!(near, ["Catania", "Palermo"]);
    /// let query = (("FROMMEMBER", "Palermo"), ("BYRADIUS", 100, "km"), "WITHDIST");
    /// let with_distance: Vec<(String, f64)> = store.geosearch_as("Sicily", query)?;
    /// assert_eq!(with_distance, [("Palermo".to_string(), 0.0)]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn geosearch, geosearch_as(key, query) -> Vec<String> => ["GEOSEARCH" key query];

    /// GEOSEARCHSTORE destination source … \[STOREDIST\]: stores what GEOSEARCH finds as a sorted
    /// set (scored by distance with STOREDIST); answers its size.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.geoadd("Sicily", [(13.361389, 38.115556, "Palermo"), (15.087269, 37.502669, "Catania")])?;
    /// assert_eq!(store.geosearchstore("near", "Sicily", ("FROMLONLAT", 15, 37, "BYRADIUS", 100, "km"))?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn geosearchstore, geosearchstore_as(destination, source, query) -> i64 => ["GEOSEARCHSTORE" destination source query];

    /// XADD key id field value \[field value ...\]: adds an entry (`"*"` for an ID from the
    /// store's clock, `"<ms>-*"` for the next sequence of a millisecond, or an explicit
    /// `"<ms>-<seq>"`); answers its ID.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.xadd("s", "5-1", [("a", "1"), ("b", "2")])?, "5-1");
    /// assert_eq!(store.xadd("s", "5-*", ("a", "3"))?, "5-2");
    /// assert!(store.xadd("s", "4-1", ("a", "4")).is_err());
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xadd, xadd_as(key, id, fields) -> String => ["XADD" key id fields];

    /// XADD key \[NOMKSTREAM\] \[MAXLEN|MINID \[=|~\] threshold \[LIMIT count\]\] id field value …:
    /// with options (e.g. `("MAXLEN", "~", 1000)`); `None` when NOMKSTREAM finds no stream.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.xadd_options("s", "NOMKSTREAM", "*", ("a", "1"))?, None);
    /// for i in 1..=5 {
    ///     store.xadd_options("s", ("MAXLEN", 3), format!("{i}-1"), ("n", i))?;
    /// }
    /// assert_eq!(store.xlen("s")?, 3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xadd_options, xadd_options_as(key, options, id, fields) -> Option<String> => ["XADD" key options id fields];

    /// XLEN key
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xadd("s", "*", ("a", "1"))?;
    /// assert_eq!(store.xlen("s")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xlen, xlen_as(key) -> i64 => ["XLEN" key];

    /// XRANGE key start end: the entries from `start` to `end` (`-` and `+` for the ends, `(` for
    /// an exclusive bound).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// store.xadd("s", "2-1", ("a", "2"))?;
    /// let ids: Vec<String> = store.xrange("s", "(1-1", "+")?.into_iter().map(|e| e.id).collect();
    /// assert_eq!(ids, ["2-1"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xrange, xrange_as(key, start, end) -> Vec<crate::StreamEntry> => ["XRANGE" key start end];

    /// XRANGE key start end COUNT count
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// store.xadd("s", "2-1", ("a", "2"))?;
    /// assert_eq!(store.xrange_count("s", "-", "+", 1)?[0].id, "1-1");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xrange_count, xrange_count_as(key, start, end, count) -> Vec<crate::StreamEntry> => ["XRANGE" key start end "COUNT" count];

    /// XREVRANGE key end start: the entries from `end` down to `start`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// store.xadd("s", "2-1", ("a", "2"))?;
    /// assert_eq!(store.xrevrange("s", "+", "-")?[0].id, "2-1");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xrevrange, xrevrange_as(key, end, start) -> Vec<crate::StreamEntry> => ["XREVRANGE" key end start];

    /// XREVRANGE key end start COUNT count
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// store.xadd("s", "2-1", ("a", "2"))?;
    /// assert_eq!(store.xrevrange_count("s", "+", "-", 5)?.len(), 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xrevrange_count, xrevrange_count_as(key, end, start, count) -> Vec<crate::StreamEntry> => ["XREVRANGE" key end start "COUNT" count];

    /// XDEL key id \[id ...\]: answers how many entries were deleted.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// assert_eq!(store.xdel("s", ["1-1", "9-9"])?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xdel, xdel_as(key, ids) -> i64 => ["XDEL" key ids];

    /// XTRIM key MAXLEN|MINID \[=|~\] threshold \[LIMIT count\], the strategy together (e.g.
    /// `("MAXLEN", 100)`, `("MINID", "~", "1700000000000-0")`); answers how many entries went.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// for i in 1..=5 {
    ///     store.xadd("s", format!("{i}-1"), ("n", i))?;
    /// }
    /// assert_eq!(store.xtrim("s", ("MAXLEN", 2))?, 3);
    /// assert_eq!(store.xtrim("s", ("MINID", "5"))?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xtrim, xtrim_as(key, strategy) -> i64 => ["XTRIM" key strategy];

    /// XREAD STREAMS key \[key ...\] id \[id ...\]: per stream with newer entries, its key and those
    /// entries (`$` for "after the last one now"); empty when no stream has any.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xadd("a", "1-1", ("x", "1"))?;
    /// let read = store.xread(["a", "b"], ["0", "0"])?;
    /// assert_eq!((read[0].0.as_str(), read[0].1.len()), ("a", 1));
    /// assert!(store.xread("a", "$")?.is_empty());
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xread, xread_as(keys, ids) -> Vec<(String, Vec<crate::StreamEntry>)> => ["XREAD" "STREAMS" keys ids];

    /// XREAD \[COUNT count\] \[BLOCK milliseconds\] STREAMS key … id …, the options together (e.g.
    /// `("COUNT", 10, "BLOCK", 500)`): with BLOCK the call waits (up to the timeout; 0 for ever)
    /// for an XADD from another thread or client.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// let writer = store.clone();
    /// let producer = std::thread::spawn(move || {
    ///     std::thread::sleep(std::time::Duration::from_millis(20));
    ///     writer.xadd("events", "*", ("kind", "ping"))
    /// });
    /// let read = store.xread_options(("BLOCK", 5000), "events", "$")?;
    /// assert_eq!(read[0].1[0].get("kind"), Some("ping"));
    /// producer.join().unwrap()?;
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xread_options, xread_options_as(options, keys, ids) -> Vec<(String, Vec<crate::StreamEntry>)> => ["XREAD" options "STREAMS" keys ids];

    /// XREADGROUP GROUP group consumer STREAMS key … id …: `">"` for entries never delivered to
    /// the group (they become pending for `consumer`), an ID for the consumer's own pending
    /// entries after it.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("jobs", "workers", "$")?;
    /// store.xadd("jobs", "1-1", ("task", "a"))?;
    /// let read = store.xreadgroup("workers", "alice", "jobs", ">")?;
    /// assert_eq!(read[0].1[0].id, "1-1");
    /// assert_eq!(store.xreadgroup("workers", "alice", "jobs", "0")?[0].1.len(), 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xreadgroup, xreadgroup_as(group, consumer, keys, ids) -> Vec<(String, Vec<crate::StreamEntry>)> => ["XREADGROUP" "GROUP" group consumer "STREAMS" keys ids];

    /// XREADGROUP GROUP group consumer \[COUNT count\] \[BLOCK milliseconds\] \[NOACK\] STREAMS key … id …,
    /// the options together.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("jobs", "workers", "$")?;
    /// store.xadd("jobs", "1-1", ("task", "a"))?;
    /// store.xadd("jobs", "2-1", ("task", "b"))?;
    /// let read = store.xreadgroup_options("workers", "bob", ("COUNT", 1, "NOACK"), "jobs", ">")?;
    /// assert_eq!(read[0].1.len(), 1);
    /// assert_eq!(store.xpending("jobs", "workers")?.count, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xreadgroup_options, xreadgroup_options_as(group, consumer, options, keys, ids) -> Vec<(String, Vec<crate::StreamEntry>)> => ["XREADGROUP" "GROUP" group consumer options "STREAMS" keys ids];

    /// XGROUP CREATE key group id: a consumer group reading after `id` (`$`: only new entries).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// store.xgroup_create("s", "g", "0")?;
    /// assert_eq!(store.xgroup_create("s", "g", "0").unwrap_err().to_string(), "BUSYGROUP Consumer Group name already exists");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xgroup_create, xgroup_create_as(key, group, id) -> () => ["XGROUP" "CREATE" key group id];

    /// XGROUP CREATE key group id MKSTREAM: creates the stream too when it does not exist.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// assert_eq!(store.xlen("s")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xgroup_create_mkstream, xgroup_create_mkstream_as(key, group, id) -> () => ["XGROUP" "CREATE" key group id "MKSTREAM"];

    /// XGROUP SETID key group id: moves the group's last delivered ID.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// store.xgroup_setid("s", "g", "$")?;
    /// assert!(store.xreadgroup("g", "c", "s", ">")?.is_empty());
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xgroup_setid, xgroup_setid_as(key, group, id) -> () => ["XGROUP" "SETID" key group id];

    /// XGROUP DESTROY key group: whether there was such a group.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// assert_eq!((store.xgroup_destroy("s", "g")?, store.xgroup_destroy("s", "g")?), (true, false));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xgroup_destroy, xgroup_destroy_as(key, group) -> bool => ["XGROUP" "DESTROY" key group];

    /// XGROUP CREATECONSUMER key group consumer: whether it was created.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// assert!(store.xgroup_createconsumer("s", "g", "alice")?);
    /// assert!(!store.xgroup_createconsumer("s", "g", "alice")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xgroup_createconsumer, xgroup_createconsumer_as(key, group, consumer) -> bool => ["XGROUP" "CREATECONSUMER" key group consumer];

    /// XGROUP DELCONSUMER key group consumer: removes it; answers how many entries it had
    /// pending (they are no longer pending for anyone).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// store.xreadgroup("g", "alice", "s", ">")?;
    /// assert_eq!(store.xgroup_delconsumer("s", "g", "alice")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xgroup_delconsumer, xgroup_delconsumer_as(key, group, consumer) -> i64 => ["XGROUP" "DELCONSUMER" key group consumer];

    /// XSETID key last-id: sets the stream's last ID (new `*` IDs go above it).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// store.xsetid("s", "100-0")?;
    /// assert_eq!(store.xadd("s", "100-*", ("a", "2"))?, "100-1");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xsetid, xsetid_as(key, id) -> () => ["XSETID" key id];

    /// XACK key group id \[id ...\]: acknowledges pending entries; answers how many were pending.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// store.xreadgroup("g", "alice", "s", ">")?;
    /// assert_eq!(store.xack("s", "g", ["1-1", "1-1"])?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xack, xack_as(key, group, ids) -> i64 => ["XACK" key group ids];

    /// XPENDING key group: the group's pending entries in summary (see [`crate::PendingSummary`]).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// assert_eq!(store.xpending("s", "g")?.count, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xpending, xpending_as(key, group) -> crate::PendingSummary => ["XPENDING" key group];

    /// XPENDING key group start end count: the pending entries from `start` to `end`, at most
    /// `count`, each with its consumer, idle time and delivery count.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// store.xreadgroup("g", "alice", "s", ">")?;
    /// assert_eq!(store.xpending_range("s", "g", "-", "+", 10)?[0].consumer, "alice");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xpending_range, xpending_range_as(key, group, start, end, count) -> Vec<crate::PendingEntry> => ["XPENDING" key group start end count];

    /// XPENDING key group \[IDLE min-idle-time\] start end count \[consumer\], the arguments after the
    /// group together (e.g. `("IDLE", 60000, "-", "+", 10, "alice")`).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// store.xreadgroup("g", "alice", "s", ">")?;
    /// assert!(store.xpending_options("s", "g", ("-", "+", 10, "bob"))?.is_empty());
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xpending_options, xpending_options_as(key, group, options) -> Vec<crate::PendingEntry> => ["XPENDING" key group options];

    /// XCLAIM key group consumer min-idle-time id \[id ...\]: takes over pending entries idle for
    /// at least `min_idle` milliseconds; answers the entries claimed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// store.xreadgroup("g", "alice", "s", ">")?;
    /// assert_eq!(store.xclaim("s", "g", "bob", 0, "1-1")?[0].id, "1-1");
    /// assert_eq!(store.xpending("s", "g")?.consumers, [("bob".to_string(), 1)]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xclaim, xclaim_as(key, group, consumer, min_idle, ids) -> Vec<crate::StreamEntry> => ["XCLAIM" key group consumer min_idle ids];

    /// XCLAIM key group consumer min-idle-time id … \[IDLE ms\] \[TIME ms\] \[RETRYCOUNT n\] \[FORCE\]
    /// \[JUSTID\] \[LASTID id\], with options after the IDs; with JUSTID the reply holds IDs only.
    ///
    /// ```
    /// use embedis::{Commands, Reply, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// let claimed = store.xclaim_options("s", "g", "bob", 0, "1-1", ("FORCE", "JUSTID"))?;
    /// assert_eq!(claimed, Reply::Array(vec![Reply::Bulk(b"1-1".to_vec())]));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xclaim_options, xclaim_options_as(key, group, consumer, min_idle, ids, options) -> Reply => ["XCLAIM" key group consumer min_idle ids options];

    /// XAUTOCLAIM key group consumer min-idle-time start COUNT count: claims up to `count` pending
    /// entries idle for `min_idle` ms, scanning from `start` (see [`crate::AutoClaim`]).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// store.xreadgroup("g", "alice", "s", ">")?;
    /// let claim = store.xautoclaim("s", "g", "bob", 0, "0-0", 10)?;
    /// assert_eq!((claim.claimed[0].id.as_str(), claim.deleted.len()), ("1-1", 0));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xautoclaim, xautoclaim_as(key, group, consumer, min_idle, start, count) -> crate::AutoClaim => ["XAUTOCLAIM" key group consumer min_idle start "COUNT" count];

    /// XINFO STREAM key: the stream's figures by name (`length`, `last-generated-id`, `groups`,
    /// `first-entry`, …).
    ///
    /// ```
    /// use embedis::{Commands, Reply, Store};
    /// let store = Store::new();
    /// store.xadd("s", "1-1", ("a", "1"))?;
    /// let info = store.xinfo_stream("s")?;
    /// assert_eq!(info["length"], Reply::Integer(1));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xinfo_stream, xinfo_stream_as(key) -> HashMap<String, Reply> => ["XINFO" "STREAM" key];

    /// XINFO GROUPS key: each group's figures by name (`name`, `consumers`, `pending`,
    /// `last-delivered-id`, `entries-read`, `lag`).
    ///
    /// ```
    /// use embedis::{Commands, Reply, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// assert_eq!(store.xinfo_groups("s")?[0]["lag"], Reply::Integer(0));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xinfo_groups, xinfo_groups_as(key) -> Vec<HashMap<String, Reply>> => ["XINFO" "GROUPS" key];

    /// XINFO CONSUMERS key group: each consumer's `name`, `pending` and `idle` (milliseconds).
    ///
    /// ```
    /// use embedis::{Commands, Reply, Store};
    /// let store = Store::new();
    /// store.xgroup_create_mkstream("s", "g", "$")?;
    /// store.xgroup_createconsumer("s", "g", "alice")?;
    /// assert_eq!(store.xinfo_consumers("s", "g")?[0]["pending"], Reply::Integer(0));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn xinfo_consumers, xinfo_consumers_as(key, group) -> Vec<HashMap<String, Reply>> => ["XINFO" "CONSUMERS" key group];

    /// SORT key \[options\]: e.g. `()`, `"DESC"`, `("BY", "weight_*", "GET", "#", "ALPHA")`,
    /// `("STORE", "dst")`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", [3, 1, 2])?;
    /// assert_eq!(store.sort("l", ())?, [Some("1".into()), Some("2".into()), Some("3".into())]);
    /// assert_eq!(store.sort("l", ("DESC", "LIMIT", 0, 2))?, [Some("3".into()), Some("2".into())]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sort, sort_as(key, options) -> Vec<Option<String>> => ["SORT" key options];

    /// SORT_RO key \[options\]: SORT without STORE.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush("l", ["b", "a"])?;
    /// assert_eq!(store.sort_ro("l", "ALPHA")?, [Some("a".into()), Some("b".into())]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sort_ro, sort_ro_as(key, options) -> Vec<Option<String>> => ["SORT_RO" key options];

    /// OBJECT ENCODING key: how Redis 7.0 would hold the value (`int`, `embstr`, `listpack`, …).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("n", 10)?;
    /// assert_eq!(store.object_encoding("n")?, Some("int".into()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn object_encoding, object_encoding_as(key) -> Option<String> => ["OBJECT" "ENCODING" key];

    /// OBJECT IDLETIME key: whole seconds since the key was last read or written.
    ///
    /// ```
    /// use std::time::Duration;
    /// use embedis::{Clock, Commands, Store};
    /// let clock = Clock::manual();
    /// let store = Store::with_clock(clock.clone());
    /// store.set("k", 1)?;
    /// clock.advance(Duration::from_secs(3));
    /// assert_eq!(store.object_idletime("k")?, Some(3));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn object_idletime, object_idletime_as(key) -> Option<i64> => ["OBJECT" "IDLETIME" key];

    /// OBJECT REFCOUNT key (Redis shares the integers 0 to 9999).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("k", "v")?;
    /// assert_eq!(store.object_refcount("k")?, Some(1));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn object_refcount, object_refcount_as(key) -> Option<i64> => ["OBJECT" "REFCOUNT" key];

    /// DUMP key: the value serialized as Redis 7.0 serializes it (RDB version 10, with its CRC-64),
    /// or nil: a Redis server restores the payload, and RESTORE takes Redis's.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set("s", "hello")?;
    /// // Type 0 (string), length 5, the bytes, RDB version 10, then the checksum.
    /// assert_eq!(store.dump("s")?.expect("s exists")[..9], *b"\x00\x05hello\x0a\x00");
    /// store.rpush("l", ["a", "b"])?;
    /// let payload = store.dump("l")?.expect("l exists");
    /// store.restore("copy", 0, payload, ())?;
    /// assert_eq!(store.lrange("copy", 0, -1)?, ["a", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn dump, dump_as(key) -> Option<Vec<u8>> => ["DUMP" key];

    /// RESTORE key ttl payload \[options\]: options such as `"REPLACE"` or `("ABSTTL", "IDLETIME", 10)`.
    ///
    /// ```
    /// use embedis::{CommandError, Commands, Store};
    /// let store = Store::new();
    /// let refused = store.restore("k", 0, b"not a payload".to_vec(), ());
    /// assert_eq!(refused.unwrap_err().to_string(), "ERR DUMP payload version or checksum are wrong");
    /// # Ok::<(), CommandError>(())
    /// ```
    fn restore, restore_as(key, ttl, payload, options) -> () => ["RESTORE" key ttl payload options];

    // ---- functions (feature `lua`) ----

    /// FUNCTION LOAD code: loads a library (its first line `#!lua name=<library>`); answers its name.
    /// A library of that name must not exist yet: see [`function_load_replace`](Commands::function_load_replace).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// let code = "#!lua name=greet\nredis.register_function('hello', function() return 'hi' end)";
    /// assert_eq!(store.function_load(code)?, "greet");
    /// let again = store.function_load(code);
    /// assert_eq!(again.unwrap_err().to_string(), "ERR Library 'greet' already exists");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    #[cfg(feature = "lua")]
    fn function_load, function_load_as(code) -> String => ["FUNCTION" "LOAD" code];

    /// FUNCTION LOAD REPLACE code: loads a library, replacing one of the same name (which stays
    /// if the new code fails to load).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.function_load_replace("#!lua name=v\nredis.register_function('version', function() return 1 end)")?;
    /// store.function_load_replace("#!lua name=v\nredis.register_function('version', function() return 2 end)")?;
    /// assert_eq!(store.fcall::<i64>("version", (), ())?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    #[cfg(feature = "lua")]
    fn function_load_replace, function_load_replace_as(code) -> String => ["FUNCTION" "LOAD" "REPLACE" code];

    /// FUNCTION DELETE library: removes a library and its functions.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.function_load("#!lua name=tmp\nredis.register_function('f', function() return 1 end)")?;
    /// store.function_delete("tmp")?;
    /// assert_eq!(store.fcall::<i64>("f", (), ()).unwrap_err().to_string(), "ERR Function not found");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    #[cfg(feature = "lua")]
    fn function_delete, function_delete_as(library) -> () => ["FUNCTION" "DELETE" library];

    /// FUNCTION FLUSH: removes every library.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.function_load("#!lua name=tmp\nredis.register_function('f', function() return 1 end)")?;
    /// store.function_flush()?;
    /// assert_eq!(store.cmd::<Vec<()>>(("FUNCTION", "LIST"))?.len(), 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    #[cfg(feature = "lua")]
    fn function_flush, function_flush_as() -> () => ["FUNCTION" "FLUSH"];
        }
    };
}
pub(crate) use typed_commands;

typed_commands!(commands_trait);
