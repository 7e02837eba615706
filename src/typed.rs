//! The typed API: [`Commands`], one method per command, implemented by [`Store`](crate::Store),
//! [`Watch`](crate::Watch) and [`AtomicDb`](crate::AtomicDb); and the same methods on
//! [`Transaction`](crate::Transaction), where they queue instead of running.
//!
//! Both are generated from one list, and every method builds the [`Argv`] the raw API would get and
//! hands it to the same handler: there is one implementation of each command.

use std::sync::OnceLock;

use crate::argv::{Argv, ToArgs};
use crate::command::table::{self, CommandSpec};
use crate::error::CommandError;
use crate::reply::{FromReply, Reply};
use crate::store::Transaction;

macro_rules! commands {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident),*) => [$($part:tt)+];
    )*) => {
        /// Redis's commands as typed methods, each answering `Result<T, CommandError>` for the `T`
        /// you ask for (any [`FromReply`] type), as redis-rs's `Commands`.
        ///
        /// Method names are the command names in lowercase; a variant with a fixed option carries
        /// it as a suffix (`set_ex`, `set_nx`, `lpop_count`). Arguments take anything that is
        /// [`ToArgs`]: strings, bytes, numbers, and for repeated arguments arrays, slices, vectors or
        /// tuples of them.
        ///
        /// ```
        /// use embedis::{Commands, Store};
        ///
        /// let store = Store::new();
        /// store.set::<()>("greeting", "hello")?;
        /// let len: i64 = store.append("greeting", " world")?;
        /// let text: String = store.get("greeting")?;
        /// assert_eq!((len, text.as_str()), (11, "hello world"));
        /// # Ok::<(), embedis::CommandError>(())
        /// ```
        pub trait Commands {
            /// Runs one command line and answers its reply; the typed methods all go through it.
            #[doc(hidden)]
            fn run_argv(&self, argv: Argv) -> Reply;

            /// Runs any command, given as arguments: the escape hatch for commands without a method.
            ///
            /// ```
            /// use embedis::{Commands, Store};
            /// let store = Store::new();
            /// let n: i64 = store.cmd(("INCRBY", "n", 5))?;
            /// assert_eq!(n, 5);
            /// # Ok::<(), embedis::CommandError>(())
            /// ```
            fn cmd<T: FromReply>(&self, args: impl ToArgs) -> Result<T, CommandError> {
                T::from_reply(self.run_argv(Argv::from_args(args)))
            }

            /// EVAL script numkeys key… arg…: runs a Lua script (feature `lua`); the key count is
            /// worked out from `keys`. See also [`Script`](crate::Script), which runs by SHA1.
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
                T::from_reply(self.run_argv(with_numkeys("EVAL", script, keys, args)))
            }

            /// FCALL function numkeys key… arg…: calls a function of a library loaded with
            /// [`function_load`](Commands::function_load) (feature `lua`); the key count is worked
            /// out from `keys`.
            ///
            /// ```
            /// use embedis::{Commands, Store};
            /// let store = Store::new();
            /// store.function_load::<String>("#!lua name=counters
            ///     redis.register_function('bump', function(keys, args)
            ///         return redis.call('INCRBY', keys[1], args[1])
            ///     end)")?;
            /// let n: i64 = store.fcall("bump", "n", 5)?;
            /// assert_eq!(n, 5);
            /// # Ok::<(), embedis::CommandError>(())
            /// ```
            #[cfg(feature = "lua")]
            fn fcall<T: FromReply>(&self, function: impl ToArgs, keys: impl ToArgs, args: impl ToArgs) -> Result<T, CommandError> {
                T::from_reply(self.run_argv(with_numkeys("FCALL", function, keys, args)))
            }

            /// FCALL_RO function numkeys key… arg…: calls a function registered with the
            /// `no-writes` flag (feature `lua`).
            ///
            /// ```
            /// use embedis::{Commands, Store};
            /// let store = Store::new();
            /// store.function_load::<String>("#!lua name=reads
            ///     redis.register_function{function_name='peek', flags={'no-writes'},
            ///         callback=function(keys) return redis.call('GET', keys[1]) end}")?;
            /// store.set::<()>("k", "v")?;
            /// assert_eq!(store.fcall_ro::<String>("peek", "k", ())?, "v");
            /// # Ok::<(), embedis::CommandError>(())
            /// ```
            #[cfg(feature = "lua")]
            fn fcall_ro<T: FromReply>(&self, function: impl ToArgs, keys: impl ToArgs, args: impl ToArgs) -> Result<T, CommandError> {
                T::from_reply(self.run_argv(with_numkeys("FCALL_RO", function, keys, args)))
            }

            $(
                $(#[$doc])*
                fn $name<T: FromReply>(&self, $($arg: impl ToArgs),*) -> Result<T, CommandError> {
                    T::from_reply(self.run_argv(commands!(@argv $($part)+)))
                }
            )*
        }

        /// The [`Commands`] methods, queuing instead of running.
        impl Transaction<'_> {
            $(
                $(#[$doc])*
                pub fn $name(&self, $($arg: impl ToArgs),*) -> &Self {
                    self.queue(commands!(@argv $($part)+))
                }
            )*
        }
    };
    // The command line of one method: its name (resolved once per method) and its arguments.
    (@argv $command:literal $($part:tt)*) => {{
        static SPEC: OnceLock<&'static CommandSpec> = OnceLock::new();
        let mut argv = Argv::new();
        argv.push($command);
        argv.spec = Some(table::known($command, &SPEC));
        commands!(@push argv $($part)*);
        argv
    }};
    (@push $argv:ident) => {};
    (@push $argv:ident $lit:literal $($rest:tt)*) => {
        $argv.push($lit);
        commands!(@push $argv $($rest)*);
    };
    (@push $argv:ident $arg:ident $($rest:tt)*) => {
        ToArgs::write_args(&$arg, &mut $argv);
        commands!(@push $argv $($rest)*);
    };
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

commands! {
    // ---- connection and server ----

    /// PING: `PONG`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().ping::<String>()?, "PONG");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn ping() => ["PING"];

    /// ECHO message.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().echo::<String>("hi")?, "hi");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn echo(message) => ["ECHO" message];

    /// DBSIZE: the number of keys in the database.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.mset::<()>([("a", 1), ("b", 2)])?;
    /// assert_eq!(store.dbsize::<i64>()?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn dbsize() => ["DBSIZE"];

    /// FLUSHDB: deletes every key of the database.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("a", 1)?;
    /// store.flushdb::<()>()?;
    /// assert_eq!(store.dbsize::<i64>()?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn flushdb() => ["FLUSHDB"];

    /// FLUSHALL: deletes every key of every database.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("a", 1)?;
    /// store.flushall::<()>()?;
    /// assert_eq!(store.exists::<i64>("a")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn flushall() => ["FLUSHALL"];

    /// TIME: the store clock's `(seconds, microseconds)`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let (secs, micros): (u64, u64) = Store::new().time()?;
    /// assert!(secs > 1_600_000_000 && micros < 1_000_000);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn time() => ["TIME"];

    /// SWAPDB index1 index2: swaps two databases' contents.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", "in db 0")?;
    /// store.swapdb::<()>(0, 1)?;
    /// assert_eq!(store.exists::<i64>("k")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn swapdb(first, second) => ["SWAPDB" first second];

    // ---- keys ----

    /// DEL key \[key ...\]: how many keys were removed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("a", 1)?;
    /// assert_eq!(store.del::<i64>(["a", "missing"])?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn del(keys) => ["DEL" keys];

    /// UNLINK key \[key ...\]: as DEL.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("a", 1)?;
    /// assert_eq!(store.unlink::<i64>("a")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn unlink(keys) => ["UNLINK" keys];

    /// EXISTS key \[key ...\]: how many of the keys exist (a key named twice counts twice).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("a", 1)?;
    /// assert_eq!(store.exists::<i64>(["a", "a", "b"])?, 2);
    /// assert!(store.exists::<bool>("a")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn exists(keys) => ["EXISTS" keys];

    /// TOUCH key \[key ...\]: how many of the keys exist.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.touch::<i64>("a")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn touch(keys) => ["TOUCH" keys];

    /// TYPE key: `string`, `list`, `hash`, … or `none`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", "x")?;
    /// assert_eq!(store.key_type::<String>("l")?, "list");
    /// assert_eq!(store.key_type::<String>("nothing")?, "none");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn key_type(key) => ["TYPE" key];

    /// EXPIRE key seconds: 1 if the TTL was set, 0 if the key does not exist.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", 1)?;
    /// assert!(store.expire::<bool>("k", 60)?);
    /// assert_eq!(store.ttl::<i64>("k")?, 60);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn expire(key, seconds) => ["EXPIRE" key seconds];

    /// PEXPIRE key milliseconds.
    ///
    /// ```
    /// use embedis::{Clock, Commands, Store};
    /// let store = Store::with_clock(Clock::manual());
    /// store.set::<()>("k", 1)?;
    /// store.pexpire::<()>("k", 1500)?;
    /// assert_eq!(store.pttl::<i64>("k")?, 1500);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn pexpire(key, milliseconds) => ["PEXPIRE" key milliseconds];

    /// EXPIREAT key unix-time-seconds.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", 1)?;
    /// store.expireat::<()>("k", 4_000_000_000u64)?;
    /// assert_eq!(store.expiretime::<i64>("k")?, 4_000_000_000);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn expireat(key, unix_seconds) => ["EXPIREAT" key unix_seconds];

    /// PEXPIREAT key unix-time-milliseconds.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", 1)?;
    /// store.pexpireat::<()>("k", 4_000_000_000_123u64)?;
    /// assert_eq!(store.pexpiretime::<i64>("k")?, 4_000_000_000_123);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn pexpireat(key, unix_millis) => ["PEXPIREAT" key unix_millis];

    /// EXPIRE key seconds with a condition: `"NX"`, `"XX"`, `"GT"` or `"LT"`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", 1)?;
    /// assert!(!store.expire_if::<bool>("k", 60, "XX")?, "XX: no TTL yet");
    /// assert!(store.expire_if::<bool>("k", 60, "NX")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn expire_if(key, seconds, condition) => ["EXPIRE" key seconds condition];

    /// TTL key: seconds left, -1 without TTL, -2 if the key does not exist.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", 1)?;
    /// assert_eq!(store.ttl::<i64>("k")?, -1);
    /// assert_eq!(store.ttl::<i64>("missing")?, -2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn ttl(key) => ["TTL" key];

    /// PTTL key: milliseconds left, -1 without TTL, -2 if missing.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().pttl::<i64>("missing")?, -2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn pttl(key) => ["PTTL" key];

    /// EXPIRETIME key: the Unix time in seconds when the key expires; -1, -2 as TTL.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().expiretime::<i64>("missing")?, -2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn expiretime(key) => ["EXPIRETIME" key];

    /// PEXPIRETIME key: as EXPIRETIME, in milliseconds.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", 1)?;
    /// assert_eq!(store.pexpiretime::<i64>("k")?, -1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn pexpiretime(key) => ["PEXPIRETIME" key];

    /// PERSIST key: removes the TTL; 1 if there was one.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set_ex::<()>("k", 1, 60)?;
    /// assert!(store.persist::<bool>("k")?);
    /// assert_eq!(store.ttl::<i64>("k")?, -1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn persist(key) => ["PERSIST" key];

    /// RENAME key newkey (`ERR no such key` if key is missing).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("old", 1)?;
    /// store.rename::<()>("old", "new")?;
    /// assert_eq!(store.get::<i64>("new")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn rename(key, newkey) => ["RENAME" key newkey];

    /// RENAMENX key newkey: 0 if newkey exists.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.mset::<()>([("a", 1), ("b", 2)])?;
    /// assert!(!store.renamenx::<bool>("a", "b")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn renamenx(key, newkey) => ["RENAMENX" key newkey];

    /// MOVE key db: moves the key to another database; 0 if it is missing here or exists there.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", 1)?;
    /// assert!(store.move_key::<bool>("k", 1)?);
    /// assert_eq!(store.exists::<i64>("k")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn move_key(key, db) => ["MOVE" key db];

    /// COPY source destination: 0 if destination exists.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("a", "v")?;
    /// assert!(store.copy::<bool>("a", "b")?);
    /// assert_eq!(store.get::<String>("b")?, "v");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn copy(source, destination) => ["COPY" source destination];

    /// KEYS pattern: the keys matching a glob pattern, in no particular order.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.mset::<()>([("user:1", "a"), ("user:2", "b"), ("order:1", "c")])?;
    /// let mut users: Vec<String> = store.keys("user:*")?;
    /// users.sort();
    /// assert_eq!(users, ["user:1", "user:2"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn keys(pattern) => ["KEYS" pattern];

    /// SCAN cursor: one page of keys and the next cursor (0 when the iteration is done).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.mset::<()>([("a", 1), ("b", 2)])?;
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
    fn scan(cursor) => ["SCAN" cursor];

    /// RANDOMKEY: a random key, or nil in an empty database.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.randomkey::<Option<String>>()?, None);
    /// store.set::<()>("only", 1)?;
    /// assert_eq!(store.randomkey::<Option<String>>()?, Some("only".into()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn randomkey() => ["RANDOMKEY"];

    // ---- strings ----

    /// GET key: the value, or nil (`None` as `Option<T>`).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", 42)?;
    /// assert_eq!(store.get::<i64>("k")?, 42);
    /// assert_eq!(store.get::<Option<String>>("missing")?, None);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn get(key) => ["GET" key];

    /// SET key value.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", "v")?;
    /// assert_eq!(store.get::<String>("k")?, "v");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn set(key, value) => ["SET" key value];

    /// SET key value EX seconds.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set_ex::<()>("k", "v", 10)?;
    /// assert_eq!(store.ttl::<i64>("k")?, 10);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn set_ex(key, value, seconds) => ["SET" key value "EX" seconds];

    /// SET key value PX milliseconds.
    ///
    /// ```
    /// use embedis::{Clock, Commands, Store};
    /// let store = Store::with_clock(Clock::manual());
    /// store.set_px::<()>("k", "v", 250)?;
    /// assert_eq!(store.pttl::<i64>("k")?, 250);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn set_px(key, value, milliseconds) => ["SET" key value "PX" milliseconds];

    /// SET key value NX: sets only if the key does not exist; `OK` or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert!(store.set_nx::<bool>("lock", "me")?);
    /// assert!(!store.set_nx::<bool>("lock", "you")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn set_nx(key, value) => ["SET" key value "NX"];

    /// SET key value XX: sets only if the key exists; `OK` or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert!(!store.set_xx::<bool>("k", 1)?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn set_xx(key, value) => ["SET" key value "XX"];

    /// SET key value with any options, e.g. `["NX", "EX", "10"]` or `("GET", "KEEPTTL")`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", "old")?;
    /// let old: Option<String> = store.set_options("k", "new", ("GET", "KEEPTTL"))?;
    /// assert_eq!(old.as_deref(), Some("old"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn set_options(key, value, options) => ["SET" key value options];

    /// SETNX key value: 1 if set, 0 if the key existed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.setnx::<i64>("k", 1)?, 1);
    /// assert_eq!(store.setnx::<i64>("k", 2)?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn setnx(key, value) => ["SETNX" key value];

    /// SETEX key seconds value.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.setex::<()>("k", 5, "v")?;
    /// assert_eq!(store.ttl::<i64>("k")?, 5);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn setex(key, seconds, value) => ["SETEX" key seconds value];

    /// PSETEX key milliseconds value.
    ///
    /// ```
    /// use embedis::{Clock, Commands, Store};
    /// let store = Store::with_clock(Clock::manual());
    /// store.psetex::<()>("k", 5000, "v")?;
    /// assert_eq!(store.pttl::<i64>("k")?, 5000);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn psetex(key, milliseconds, value) => ["PSETEX" key milliseconds value];

    /// GETSET key value: sets and answers the old value.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", 1)?;
    /// assert_eq!(store.getset::<i64>("k", 2)?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn getset(key, value) => ["GETSET" key value];

    /// GETDEL key: answers the value and deletes the key.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", "v")?;
    /// assert_eq!(store.getdel::<Option<String>>("k")?, Some("v".into()));
    /// assert_eq!(store.exists::<i64>("k")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn getdel(key) => ["GETDEL" key];

    /// GETEX key \[options\]: answers the value and changes its TTL, e.g. `("EX", 10)` or `"PERSIST"`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", "v")?;
    /// assert_eq!(store.getex::<String>("k", ("EX", 10))?, "v");
    /// assert_eq!(store.ttl::<i64>("k")?, 10);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn getex(key, options) => ["GETEX" key options];

    /// MGET key \[key ...\]: the values, nil for missing keys and keys of other types.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("a", 1)?;
    /// assert_eq!(store.mget::<Vec<Option<i64>>>(["a", "b"])?, [Some(1), None]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn mget(keys) => ["MGET" keys];

    /// MSET key value \[key value ...\], given as pairs.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.mset::<()>([("a", "1"), ("b", "2")])?;
    /// assert_eq!(store.get::<i64>("b")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn mset(pairs) => ["MSET" pairs];

    /// MSETNX key value \[key value ...\]: sets all, or none if any key exists.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert!(store.msetnx::<bool>([("a", 1), ("b", 2)])?);
    /// assert!(!store.msetnx::<bool>([("b", 3), ("c", 4)])?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn msetnx(pairs) => ["MSETNX" pairs];

    /// INCR key: adds 1 to the integer at key (0 if missing) and answers the result.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.incr::<i64>("n")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn incr(key) => ["INCR" key];

    /// DECR key.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().decr::<i64>("n")?, -1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn decr(key) => ["DECR" key];

    /// INCRBY key increment.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().incrby::<i64>("n", 5)?, 5);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn incrby(key, increment) => ["INCRBY" key increment];

    /// DECRBY key decrement.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// assert_eq!(Store::new().decrby::<i64>("n", 5)?, -5);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn decrby(key, decrement) => ["DECRBY" key decrement];

    /// INCRBYFLOAT key increment: computed and printed as Redis does (`long double`).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("f", "10.5")?;
    /// assert_eq!(store.incrbyfloat::<String>("f", "0.1")?, "10.6");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn incrbyfloat(key, increment) => ["INCRBYFLOAT" key increment];

    /// APPEND key value: the new length.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.append::<i64>("k", "ab")?, 2);
    /// assert_eq!(store.append::<i64>("k", "c")?, 3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn append(key, value) => ["APPEND" key value];

    /// STRLEN key.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", 12345)?;
    /// assert_eq!(store.strlen::<i64>("k")?, 5);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn strlen(key) => ["STRLEN" key];

    /// GETRANGE key start end (inclusive; negative indexes count from the end).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", "Hello World")?;
    /// assert_eq!(store.getrange::<String>("k", -5, -1)?, "World");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn getrange(key, start, end) => ["GETRANGE" key start end];

    /// SETRANGE key offset value: overwrites from offset, padding with zero bytes; the new length.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", "Hello World")?;
    /// store.setrange::<()>("k", 6, "Redis")?;
    /// assert_eq!(store.get::<String>("k")?, "Hello Redis");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn setrange(key, offset, value) => ["SETRANGE" key offset value];

    /// LCS key1 key2 \[options\]: the longest common subsequence (options: `"LEN"`, `"IDX"`, …; pass
    /// `()` for none).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.mset::<()>([("a", "ohmytext"), ("b", "mynewtext")])?;
    /// assert_eq!(store.lcs::<String>("a", "b", ())?, "mytext");
    /// assert_eq!(store.lcs::<i64>("a", "b", "LEN")?, 6);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lcs(key1, key2, options) => ["LCS" key1 key2 options];

    // ---- lists ----

    /// LPUSH key element \[element ...\]: pushes at the head; the new length.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.lpush::<i64>("l", ["a", "b"])?, 2);
    /// assert_eq!(store.lrange::<Vec<String>>("l", 0, -1)?, ["b", "a"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lpush(key, elements) => ["LPUSH" key elements];

    /// RPUSH key element \[element ...\]: pushes at the tail; the new length.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.rpush::<i64>("l", ["a", "b"])?, 2);
    /// assert_eq!(store.lrange::<Vec<String>>("l", 0, -1)?, ["a", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn rpush(key, elements) => ["RPUSH" key elements];

    /// LPOP key: the head element, or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "b"])?;
    /// assert_eq!(store.lpop::<Option<String>>("l")?, Some("a".into()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lpop(key) => ["LPOP" key];

    /// RPOP key: the tail element, or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "b"])?;
    /// assert_eq!(store.rpop::<Option<String>>("l")?, Some("b".into()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn rpop(key) => ["RPOP" key];

    /// LPOP key count: up to count elements from the head.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "b", "c"])?;
    /// assert_eq!(store.lpop_count::<Vec<String>>("l", 2)?, ["a", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lpop_count(key, count) => ["LPOP" key count];

    /// RPOP key count: up to count elements from the tail.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "b", "c"])?;
    /// assert_eq!(store.rpop_count::<Vec<String>>("l", 2)?, ["c", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn rpop_count(key, count) => ["RPOP" key count];

    /// LRANGE key start stop (inclusive; negative indexes count from the end).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "b", "c"])?;
    /// assert_eq!(store.lrange::<Vec<String>>("l", 1, -1)?, ["b", "c"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lrange(key, start, stop) => ["LRANGE" key start stop];

    /// LLEN key.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "b"])?;
    /// assert_eq!(store.llen::<i64>("l")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn llen(key) => ["LLEN" key];

    // ---- hashes ----

    /// HSET key field value: 1 if the field is new.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.hset::<i64>("h", "f", "v")?, 1);
    /// assert_eq!(store.hset::<i64>("h", "f", "w")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hset(key, field, value) => ["HSET" key field value];

    /// HSET key field value \[field value ...\], given as pairs: how many fields are new.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.hset_multiple::<i64>("user:1", [("name", "ada"), ("lang", "en")])?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hset_multiple(key, pairs) => ["HSET" key pairs];

    /// HGET key field.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset::<()>("h", "f", 7)?;
    /// assert_eq!(store.hget::<Option<i64>>("h", "f")?, Some(7));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hget(key, field) => ["HGET" key field];

    /// HGETALL key: fields and values (as a map, or a flat list).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset_multiple::<()>("h", [("a", "1"), ("b", "2")])?;
    /// let all: HashMap<String, i64> = store.hgetall("h")?;
    /// assert_eq!(all["b"], 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hgetall(key) => ["HGETALL" key];

    /// HINCRBY key field increment.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.hincrby::<i64>("h", "visits", 3)?, 3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hincrby(key, field, increment) => ["HINCRBY" key field increment];

    /// HDEL key field \[field ...\]: how many fields were removed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset::<()>("h", "f", 1)?;
    /// assert_eq!(store.hdel::<i64>("h", ["f", "g"])?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hdel(key, fields) => ["HDEL" key fields];

    /// LPUSHX key element \[element ...\]: pushes only onto an existing list; its length (0 if none).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.lpushx::<i64>("l", "a")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lpushx(key, elements) => ["LPUSHX" key elements];

    /// RPUSHX key element \[element ...\]: pushes only onto an existing list.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", "a")?;
    /// assert_eq!(store.rpushx::<i64>("l", "b")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn rpushx(key, elements) => ["RPUSHX" key elements];

    /// LINDEX key index: the element at index (negative counts from the end), or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "b"])?;
    /// assert_eq!(store.lindex::<Option<String>>("l", -1)?, Some("b".into()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lindex(key, index) => ["LINDEX" key index];

    /// LSET key index element.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "b"])?;
    /// store.lset::<()>("l", 0, "z")?;
    /// assert_eq!(store.lrange::<Vec<String>>("l", 0, -1)?, ["z", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lset(key, index, element) => ["LSET" key index element];

    /// LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "c"])?;
    /// assert_eq!(store.linsert::<i64>("l", "BEFORE", "c", "b")?, 3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn linsert(key, position, pivot, element) => ["LINSERT" key position pivot element];

    /// LREM key count element: how many were removed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "b", "a"])?;
    /// assert_eq!(store.lrem::<i64>("l", 0, "a")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lrem(key, count, element) => ["LREM" key count element];

    /// LTRIM key start stop: keeps only that range.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "b", "c"])?;
    /// store.ltrim::<()>("l", 1, -1)?;
    /// assert_eq!(store.lrange::<Vec<String>>("l", 0, -1)?, ["b", "c"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn ltrim(key, start, stop) => ["LTRIM" key start stop];

    /// LPOS key element \[options\]: the index of a match (options such as `("RANK", -1)`, or `()`).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "b", "a"])?;
    /// assert_eq!(store.lpos::<Option<i64>>("l", "a", ("RANK", -1))?, Some(2));
    /// assert_eq!(store.lpos::<Vec<i64>>("l", "a", ("COUNT", 0))?, [0, 2]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lpos(key, element, options) => ["LPOS" key element options];

    /// LMOVE source destination LEFT|RIGHT LEFT|RIGHT: the element moved, or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("todo", ["a", "b"])?;
    /// assert_eq!(store.lmove::<String>("todo", "doing", "LEFT", "RIGHT")?, "a");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lmove(source, destination, from, to) => ["LMOVE" source destination from to];

    /// RPOPLPUSH source destination.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("a", ["x", "y"])?;
    /// assert_eq!(store.rpoplpush::<String>("a", "b")?, "y");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn rpoplpush(source, destination) => ["RPOPLPUSH" source destination];

    /// LMPOP numkeys key \[key ...\] LEFT|RIGHT \[COUNT n\]: `(key, elements)` from the first non-empty
    /// list, or nil. Give the keys and the rest as arguments, e.g. `(2, ["a", "b"], "LEFT")`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("b", ["1", "2"])?;
    /// let popped: Option<(String, Vec<String>)> = store.lmpop((2, ["a", "b"], "LEFT", "COUNT", 5))?;
    /// assert_eq!(popped, Some(("b".into(), vec!["1".into(), "2".into()])));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn lmpop(args) => ["LMPOP" args];

    /// BLPOP key \[key ...\] timeout: `(key, element)`, waiting up to `timeout` seconds (0: for ever)
    /// for another client to push; nil on timeout. Inside a transaction it never waits.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// let worker = store.clone();
    /// let job = std::thread::spawn(move || worker.blpop::<Option<(String, String)>>("jobs", 5));
    /// std::thread::sleep(std::time::Duration::from_millis(20));
    /// store.rpush::<()>("jobs", "resize")?;
    /// assert_eq!(job.join().unwrap()?, Some(("jobs".into(), "resize".into())));
    /// assert_eq!(store.blpop::<Option<(String, String)>>("jobs", 0.01)?, None);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn blpop(keys, timeout) => ["BLPOP" keys timeout];

    /// BRPOP key \[key ...\] timeout: as BLPOP, from the tail.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "b"])?;
    /// assert_eq!(store.brpop::<(String, String)>("l", 1)?, ("l".into(), "b".into()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn brpop(keys, timeout) => ["BRPOP" keys timeout];

    /// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("a", "x")?;
    /// assert_eq!(store.blmove::<Option<String>>("a", "b", "LEFT", "LEFT", 1)?, Some("x".into()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn blmove(source, destination, from, to, timeout) => ["BLMOVE" source destination from to timeout];

    /// BRPOPLPUSH source destination timeout.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.brpoplpush::<Option<String>>("empty", "b", 0.01)?, None);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn brpoplpush(source, destination, timeout) => ["BRPOPLPUSH" source destination timeout];

    /// BLMPOP timeout numkeys key \[key ...\] LEFT|RIGHT \[COUNT n\], the arguments after the timeout
    /// given together.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("a", ["1", "2"])?;
    /// let popped: Option<(String, Vec<i64>)> = store.blmpop(1, (1, "a", "RIGHT"))?;
    /// assert_eq!(popped, Some(("a".into(), vec![2])));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn blmpop(timeout, args) => ["BLMPOP" timeout args];

    /// HSETNX key field value: 1 if set, 0 if the field existed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert!(store.hsetnx::<bool>("h", "f", 1)?);
    /// assert!(!store.hsetnx::<bool>("h", "f", 2)?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hsetnx(key, field, value) => ["HSETNX" key field value];

    /// HMGET key field \[field ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset::<()>("h", "a", 1)?;
    /// assert_eq!(store.hmget::<Vec<Option<i64>>>("h", ["a", "b"])?, [Some(1), None]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hmget(key, fields) => ["HMGET" key fields];

    /// HLEN key
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset_multiple::<()>("h", [("a", 1), ("b", 2)])?;
    /// assert_eq!(store.hlen::<i64>("h")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hlen(key) => ["HLEN" key];

    /// HSTRLEN key field
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset::<()>("h", "f", "hello")?;
    /// assert_eq!(store.hstrlen::<i64>("h", "f")?, 5);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hstrlen(key, field) => ["HSTRLEN" key field];

    /// HEXISTS key field
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset::<()>("h", "f", 1)?;
    /// assert!(store.hexists::<bool>("h", "f")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hexists(key, field) => ["HEXISTS" key field];

    /// HKEYS key: the fields (a small hash answers in insertion order, as Redis).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset_multiple::<()>("h", [("b", 1), ("a", 2)])?;
    /// assert_eq!(store.hkeys::<Vec<String>>("h")?, ["b", "a"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hkeys(key) => ["HKEYS" key];

    /// HVALS key
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset_multiple::<()>("h", [("b", 1), ("a", 2)])?;
    /// assert_eq!(store.hvals::<Vec<i64>>("h")?, [1, 2]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hvals(key) => ["HVALS" key];

    /// HINCRBYFLOAT key field increment (Redis's `long double` digits).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.hincrbyfloat::<String>("h", "f", "0.1")?, "0.1");
    /// assert_eq!(store.hincrbyfloat::<String>("h", "f", "0.2")?, "0.3");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hincrbyfloat(key, field, increment) => ["HINCRBYFLOAT" key field increment];

    /// HRANDFIELD key [count \[WITHVALUES\]]: random fields (`()` for one field, or e.g. `(2, "WITHVALUES")`).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset::<()>("h", "only", 1)?;
    /// assert_eq!(store.hrandfield::<String>("h", ())?, "only");
    /// assert_eq!(store.hrandfield::<Vec<String>>("h", -3)?.len(), 3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hrandfield(key, options) => ["HRANDFIELD" key options];

    /// HSCAN key cursor: one page of fields and values and the next cursor.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.hset::<()>("h", "f", "v")?;
    /// let (cursor, items): (u64, Vec<String>) = store.hscan("h", 0)?;
    /// assert_eq!((cursor, items), (0, vec!["f".into(), "v".into()]));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn hscan(key, cursor) => ["HSCAN" key cursor];

    // ---- sets ----

    /// SADD key member \[member ...\]: how many were new.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.sadd::<i64>("s", ["a", "b", "a"])?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sadd(key, members) => ["SADD" key members];

    /// SREM key member \[member ...\]: how many were removed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("s", ["a", "b"])?;
    /// assert_eq!(store.srem::<i64>("s", ["a", "z"])?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn srem(key, members) => ["SREM" key members];

    /// SMEMBERS key (a set of integers answers in numeric order, as Redis's intset).
    ///
    /// ```
    /// use std::collections::HashSet;
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("s", [3, 1, 2])?;
    /// assert_eq!(store.smembers::<Vec<i64>>("s")?, [1, 2, 3]);
    /// let set: HashSet<String> = store.smembers("s")?;
    /// assert!(set.contains("2"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn smembers(key) => ["SMEMBERS" key];

    /// SISMEMBER key member
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("s", "a")?;
    /// assert!(store.sismember::<bool>("s", "a")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sismember(key, member) => ["SISMEMBER" key member];

    /// SMISMEMBER key member \[member ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("s", "a")?;
    /// assert_eq!(store.smismember::<Vec<bool>>("s", ["a", "b"])?, [true, false]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn smismember(key, members) => ["SMISMEMBER" key members];

    /// SCARD key
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("s", ["a", "b"])?;
    /// assert_eq!(store.scard::<i64>("s")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn scard(key) => ["SCARD" key];

    /// SPOP key \[count\]: random members, removed (`()` for one, or a count).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("s", "only")?;
    /// assert_eq!(store.spop::<Option<String>>("s", ())?, Some("only".into()));
    /// assert_eq!(store.spop::<Vec<String>>("s", 3)?, Vec::<String>::new());
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn spop(key, count) => ["SPOP" key count];

    /// SRANDMEMBER key \[count\]: random members, kept (a negative count may repeat).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("s", "a")?;
    /// assert_eq!(store.srandmember::<Vec<String>>("s", -3)?, ["a", "a", "a"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn srandmember(key, count) => ["SRANDMEMBER" key count];

    /// SMOVE source destination member
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("a", "x")?;
    /// assert!(store.smove::<bool>("a", "b", "x")?);
    /// assert!(store.sismember::<bool>("b", "x")?);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn smove(source, destination, member) => ["SMOVE" source destination member];

    /// SINTER key \[key ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("a", [1, 2, 3])?;
    /// store.sadd::<()>("b", [2, 3, 4])?;
    /// assert_eq!(store.sinter::<Vec<i64>>(["a", "b"])?, [2, 3]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sinter(keys) => ["SINTER" keys];

    /// SINTERCARD numkeys key \[key ...\] \[LIMIT limit\], the keys and options given together.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("a", [1, 2, 3])?;
    /// store.sadd::<()>("b", [2, 3, 4])?;
    /// assert_eq!(store.sintercard::<i64>((2, ["a", "b"]))?, 2);
    /// assert_eq!(store.sintercard::<i64>((2, ["a", "b"], "LIMIT", 1))?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sintercard(args) => ["SINTERCARD" args];

    /// SINTERSTORE destination key \[key ...\]: the size of the stored result.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("a", [1, 2])?;
    /// store.sadd::<()>("b", [2])?;
    /// assert_eq!(store.sinterstore::<i64>("c", ["a", "b"])?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sinterstore(destination, keys) => ["SINTERSTORE" destination keys];

    /// SUNION key \[key ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("a", [1, 2])?;
    /// store.sadd::<()>("b", [2, 3])?;
    /// assert_eq!(store.sunion::<Vec<i64>>(["a", "b"])?, [1, 2, 3]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sunion(keys) => ["SUNION" keys];

    /// SUNIONSTORE destination key \[key ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("a", [1, 2])?;
    /// assert_eq!(store.sunionstore::<i64>("c", ["a", "missing"])?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sunionstore(destination, keys) => ["SUNIONSTORE" destination keys];

    /// SDIFF key \[key ...\]: the first set minus the others.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("a", [1, 2, 3])?;
    /// store.sadd::<()>("b", [2])?;
    /// assert_eq!(store.sdiff::<Vec<i64>>(["a", "b"])?, [1, 3]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sdiff(keys) => ["SDIFF" keys];

    /// SDIFFSTORE destination key \[key ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("a", [1, 2])?;
    /// assert_eq!(store.sdiffstore::<i64>("c", ["a", "a"])?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sdiffstore(destination, keys) => ["SDIFFSTORE" destination keys];

    /// SSCAN key cursor: one page of members and the next cursor.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.sadd::<()>("s", [2, 1])?;
    /// assert_eq!(store.sscan::<(u64, Vec<i64>)>("s", 0)?, (0, vec![1, 2]));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sscan(key, cursor) => ["SSCAN" key cursor];

    // ---- sorted sets ----

    /// ZADD key score member \[score member ...\]: how many members are new. Give pairs as `[(score, member), …]`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.zadd::<i64>("board", [(10, "ada"), (7, "bob")])?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zadd(key, pairs) => ["ZADD" key pairs];

    /// ZADD key \[NX|XX\] \[GT|LT\] \[CH\] \[INCR\] score member …, the options first: e.g. `("GT", "CH")`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", (1, "a"))?;
    /// assert_eq!(store.zadd_options::<i64>("z", ("GT", "CH"), [(5, "a"), (0, "b")])?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zadd_options(key, options, pairs) => ["ZADD" key options pairs];

    /// ZINCRBY key increment member: the new score.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.zincrby::<f64>("z", 2.5, "a")?, 2.5);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zincrby(key, increment, member) => ["ZINCRBY" key increment member];

    /// ZSCORE key member: the score, or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", (3, "a"))?;
    /// assert_eq!(store.zscore::<Option<f64>>("z", "a")?, Some(3.0));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zscore(key, member) => ["ZSCORE" key member];

    /// ZMSCORE key member \[member ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", (3, "a"))?;
    /// assert_eq!(store.zmscore::<Vec<Option<f64>>>("z", ["a", "b"])?, [Some(3.0), None]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zmscore(key, members) => ["ZMSCORE" key members];

    /// ZCARD key
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zcard::<i64>("z")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zcard(key) => ["ZCARD" key];

    /// ZRANK key member: the 0-based rank by ascending score, or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zrank::<Option<i64>>("z", "b")?, Some(1));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrank(key, member) => ["ZRANK" key member];

    /// ZREVRANK key member: the rank by descending score.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zrevrank::<Option<i64>>("z", "b")?, Some(0));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrevrank(key, member) => ["ZREVRANK" key member];

    /// ZRANGE key start stop: members by rank.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(2, "b"), (1, "a")])?;
    /// assert_eq!(store.zrange::<Vec<String>>("z", 0, -1)?, ["a", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrange(key, start, stop) => ["ZRANGE" key start stop];

    /// ZRANGE key start stop WITHSCORES: members and scores, flat, as Redis answers them.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(2, "b"), (1, "a")])?;
    /// let flat: Vec<String> = store.zrange_withscores("z", 0, -1)?;
    /// assert_eq!(flat, ["a", "1", "b", "2"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrange_withscores(key, start, stop) => ["ZRANGE" key start stop "WITHSCORES"];

    /// ZRANGE key min max with options: `BYSCORE`, `BYLEX`, `REV`, `LIMIT offset count`, `WITHSCORES`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b"), (3, "c")])?;
    /// assert_eq!(store.zrange_options::<Vec<String>>("z", "(1", "+inf", "BYSCORE")?, ["b", "c"]);
    /// assert_eq!(store.zrange_options::<Vec<String>>("z", "+inf", "-inf", ("BYSCORE", "REV", "LIMIT", 0, 1))?, ["c"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrange_options(key, min, max, options) => ["ZRANGE" key min max options];

    /// ZREVRANGE key start stop: members by rank, highest score first.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zrevrange::<Vec<String>>("z", 0, 0)?, ["b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrevrange(key, start, stop) => ["ZREVRANGE" key start stop];

    /// ZRANGEBYSCORE key min max (bounds such as `"(1"`, `"-inf"`).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zrangebyscore::<Vec<String>>("z", "(1", "+inf")?, ["b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrangebyscore(key, min, max) => ["ZRANGEBYSCORE" key min max];

    /// ZREVRANGEBYSCORE key max min
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zrevrangebyscore::<Vec<String>>("z", "+inf", "-inf")?, ["b", "a"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrevrangebyscore(key, max, min) => ["ZREVRANGEBYSCORE" key max min];

    /// ZRANGEBYLEX key min max (bounds `[x`, `(x`, `-`, `+`).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(0, "a"), (0, "b"), (0, "c")])?;
    /// assert_eq!(store.zrangebylex::<Vec<String>>("z", "(a", "+")?, ["b", "c"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrangebylex(key, min, max) => ["ZRANGEBYLEX" key min max];

    /// ZREVRANGEBYLEX key max min
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(0, "a"), (0, "b")])?;
    /// assert_eq!(store.zrevrangebylex::<Vec<String>>("z", "+", "-")?, ["b", "a"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrevrangebylex(key, max, min) => ["ZREVRANGEBYLEX" key max min];

    /// ZRANGESTORE dst src min max \[options\]: the size of the stored range.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zrangestore::<i64>("top", "z", 0, 0, ())?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrangestore(destination, source, min, max, options) => ["ZRANGESTORE" destination source min max options];

    /// ZCOUNT key min max
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zcount::<i64>("z", 2, "+inf")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zcount(key, min, max) => ["ZCOUNT" key min max];

    /// ZLEXCOUNT key min max
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(0, "a"), (0, "b")])?;
    /// assert_eq!(store.zlexcount::<i64>("z", "-", "+")?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zlexcount(key, min, max) => ["ZLEXCOUNT" key min max];

    /// ZREM key member \[member ...\]: how many were removed.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", (1, "a"))?;
    /// assert_eq!(store.zrem::<i64>("z", ["a", "b"])?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrem(key, members) => ["ZREM" key members];

    /// ZREMRANGEBYRANK key start stop
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zremrangebyrank::<i64>("z", 0, 0)?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zremrangebyrank(key, start, stop) => ["ZREMRANGEBYRANK" key start stop];

    /// ZREMRANGEBYSCORE key min max
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zremrangebyscore::<i64>("z", "-inf", "(2")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zremrangebyscore(key, min, max) => ["ZREMRANGEBYSCORE" key min max];

    /// ZREMRANGEBYLEX key min max
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(0, "a"), (0, "b")])?;
    /// assert_eq!(store.zremrangebylex::<i64>("z", "[a", "[a")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zremrangebylex(key, min, max) => ["ZREMRANGEBYLEX" key min max];

    /// ZPOPMIN key \[count\]: lowest-scored members with their scores (`()` for one).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zpopmin::<(String, f64)>("z", ())?, ("a".into(), 1.0));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zpopmin(key, count) => ["ZPOPMIN" key count];

    /// ZPOPMAX key \[count\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b")])?;
    /// assert_eq!(store.zpopmax::<Vec<String>>("z", 2)?, ["b", "2", "a", "1"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zpopmax(key, count) => ["ZPOPMAX" key count];

    /// ZMPOP numkeys key \[key ...\] MIN|MAX \[COUNT n\], given together.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", [(1, "a"), (2, "b")])?;
    /// let popped: Option<(String, Vec<(String, f64)>)> = store.zmpop((1, "z", "MAX"))?;
    /// assert_eq!(popped, Some(("z".into(), vec![("b".into(), 2.0)])));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zmpop(args) => ["ZMPOP" args];

    /// BZPOPMIN key \[key ...\] timeout: `(key, member, score)`, waiting for a ZADD; nil on timeout.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", (1, "a"))?;
    /// assert_eq!(store.bzpopmin::<Option<(String, String, f64)>>("z", 1)?, Some(("z".into(), "a".into(), 1.0)));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn bzpopmin(keys, timeout) => ["BZPOPMIN" keys timeout];

    /// BZPOPMAX key \[key ...\] timeout
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.bzpopmax::<Option<(String, String, f64)>>("empty", 0.01)?, None);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn bzpopmax(keys, timeout) => ["BZPOPMAX" keys timeout];

    /// BZMPOP timeout numkeys key \[key ...\] MIN|MAX \[COUNT n\], the arguments after the timeout together.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", (1, "a"))?;
    /// let popped: Option<(String, Vec<(String, f64)>)> = store.bzmpop(1, (1, "z", "MIN"))?;
    /// assert_eq!(popped.map(|p| p.1.len()), Some(1));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn bzmpop(timeout, args) => ["BZMPOP" timeout args];

    /// ZRANDMEMBER key [count \[WITHSCORES\]]: random members (`()` for one).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", (1, "only"))?;
    /// assert_eq!(store.zrandmember::<String>("z", ())?, "only");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zrandmember(key, options) => ["ZRANDMEMBER" key options];

    /// ZSCAN key cursor: one page of members and scores, and the next cursor.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("z", (1, "a"))?;
    /// assert_eq!(store.zscan::<(u64, Vec<String>)>("z", 0)?, (0, vec!["a".into(), "1".into()]));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zscan(key, cursor) => ["ZSCAN" key cursor];

    /// ZUNION numkeys key \[key ...\] \[WEIGHTS …\] \[AGGREGATE …\] \[WITHSCORES\], given together.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("a", [(1, "x")])?;
    /// store.zadd::<()>("b", [(2, "x"), (1, "y")])?;
    /// assert_eq!(store.zunion::<Vec<String>>((2, ["a", "b"], "WITHSCORES"))?, ["y", "1", "x", "3"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zunion(args) => ["ZUNION" args];

    /// ZINTER numkeys key \[key ...\] \[WEIGHTS …\] \[AGGREGATE …\] \[WITHSCORES\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("a", [(1, "x")])?;
    /// store.zadd::<()>("b", [(2, "x"), (1, "y")])?;
    /// assert_eq!(store.zinter::<Vec<String>>((2, ["a", "b"]))?, ["x"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zinter(args) => ["ZINTER" args];

    /// ZDIFF numkeys key \[key ...\] \[WITHSCORES\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("a", [(1, "x"), (2, "y")])?;
    /// store.zadd::<()>("b", [(1, "x")])?;
    /// assert_eq!(store.zdiff::<Vec<String>>((2, ["a", "b"]))?, ["y"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zdiff(args) => ["ZDIFF" args];

    /// ZUNIONSTORE destination numkeys key \[key ...\] \[WEIGHTS …\] \[AGGREGATE …\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("a", [(1, "x")])?;
    /// assert_eq!(store.zunionstore::<i64>("out", (1, "a"))?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zunionstore(destination, args) => ["ZUNIONSTORE" destination args];

    /// ZINTERSTORE destination numkeys key \[key ...\] \[WEIGHTS …\] \[AGGREGATE …\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("a", [(1, "x")])?;
    /// assert_eq!(store.zinterstore::<i64>("out", (2, ["a", "missing"]))?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zinterstore(destination, args) => ["ZINTERSTORE" destination args];

    /// ZDIFFSTORE destination numkeys key \[key ...\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("a", [(1, "x")])?;
    /// assert_eq!(store.zdiffstore::<i64>("out", (1, "a"))?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zdiffstore(destination, args) => ["ZDIFFSTORE" destination args];

    /// ZINTERCARD numkeys key \[key ...\] \[LIMIT limit\]
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.zadd::<()>("a", [(1, "x")])?;
    /// store.zadd::<()>("b", [(1, "x")])?;
    /// assert_eq!(store.zintercard::<i64>((2, ["a", "b"]))?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn zintercard(args) => ["ZINTERCARD" args];

    // ---- sorting, introspection, serialization ----

    /// SORT key \[options\]: e.g. `()`, `"DESC"`, `("BY", "weight_*", "GET", "#", "ALPHA")`,
    /// `("STORE", "dst")`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", [3, 1, 2])?;
    /// assert_eq!(store.sort::<Vec<i64>>("l", ())?, [1, 2, 3]);
    /// assert_eq!(store.sort::<Vec<i64>>("l", ("DESC", "LIMIT", 0, 2))?, [3, 2]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sort(key, options) => ["SORT" key options];

    /// SORT_RO key \[options\]: SORT without STORE.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["b", "a"])?;
    /// assert_eq!(store.sort_ro::<Vec<String>>("l", "ALPHA")?, ["a", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn sort_ro(key, options) => ["SORT_RO" key options];

    /// OBJECT ENCODING key: how Redis 7.0 would hold the value (`int`, `embstr`, `listpack`, …).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("n", 10)?;
    /// assert_eq!(store.object_encoding::<Option<String>>("n")?, Some("int".into()));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn object_encoding(key) => ["OBJECT" "ENCODING" key];

    /// OBJECT IDLETIME key: whole seconds since the key was last read or written.
    ///
    /// ```
    /// use std::time::Duration;
    /// use embedis::{Clock, Commands, Store};
    /// let clock = Clock::manual();
    /// let store = Store::with_clock(clock.clone());
    /// store.set::<()>("k", 1)?;
    /// clock.advance(Duration::from_secs(3));
    /// assert_eq!(store.object_idletime::<i64>("k")?, 3);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn object_idletime(key) => ["OBJECT" "IDLETIME" key];

    /// OBJECT REFCOUNT key (Redis shares the integers 0 to 9999).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.set::<()>("k", "v")?;
    /// assert_eq!(store.object_refcount::<i64>("k")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn object_refcount(key) => ["OBJECT" "REFCOUNT" key];

    /// DUMP key: the value serialized (embedis's own format), or nil.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.rpush::<()>("l", ["a", "b"])?;
    /// let payload: Vec<u8> = store.dump("l")?;
    /// store.restore::<()>("copy", 0, payload, ())?;
    /// assert_eq!(store.lrange::<Vec<String>>("copy", 0, -1)?, ["a", "b"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    fn dump(key) => ["DUMP" key];

    /// RESTORE key ttl payload \[options\]: options such as `"REPLACE"` or `("ABSTTL", "IDLETIME", 10)`.
    ///
    /// ```
    /// use embedis::{CommandError, Commands, Store};
    /// let store = Store::new();
    /// let refused = store.restore::<()>("k", 0, b"not a payload".to_vec(), ());
    /// assert_eq!(refused.unwrap_err().to_string(), "ERR DUMP payload version or checksum are wrong");
    /// # Ok::<(), CommandError>(())
    /// ```
    fn restore(key, ttl, payload, options) => ["RESTORE" key ttl payload options];

    // ---- functions (feature `lua`) ----

    /// FUNCTION LOAD code: loads a library (its first line `#!lua name=<library>`); answers its name.
    /// A library of that name must not exist yet: see [`function_load_replace`](Commands::function_load_replace).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// let code = "#!lua name=greet\nredis.register_function('hello', function() return 'hi' end)";
    /// assert_eq!(store.function_load::<String>(code)?, "greet");
    /// let again = store.function_load::<String>(code);
    /// assert_eq!(again.unwrap_err().to_string(), "ERR Library 'greet' already exists");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    #[cfg(feature = "lua")]
    fn function_load(code) => ["FUNCTION" "LOAD" code];

    /// FUNCTION LOAD REPLACE code: loads a library, replacing one of the same name (which stays
    /// if the new code fails to load).
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.function_load_replace::<()>("#!lua name=v\nredis.register_function('version', function() return 1 end)")?;
    /// store.function_load_replace::<()>("#!lua name=v\nredis.register_function('version', function() return 2 end)")?;
    /// assert_eq!(store.fcall::<i64>("version", (), ())?, 2);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    #[cfg(feature = "lua")]
    fn function_load_replace(code) => ["FUNCTION" "LOAD" "REPLACE" code];

    /// FUNCTION DELETE library: removes a library and its functions.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.function_load::<()>("#!lua name=tmp\nredis.register_function('f', function() return 1 end)")?;
    /// store.function_delete::<()>("tmp")?;
    /// assert_eq!(store.fcall::<i64>("f", (), ()).unwrap_err().to_string(), "ERR Function not found");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    #[cfg(feature = "lua")]
    fn function_delete(library) => ["FUNCTION" "DELETE" library];

    /// FUNCTION FLUSH: removes every library.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.function_load::<()>("#!lua name=tmp\nredis.register_function('f', function() return 1 end)")?;
    /// store.function_flush::<()>()?;
    /// assert_eq!(store.cmd::<Vec<()>>(("FUNCTION", "LIST"))?.len(), 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    #[cfg(feature = "lua")]
    fn function_flush() => ["FUNCTION" "FLUSH"];
}
