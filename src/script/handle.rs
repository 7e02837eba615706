//! [`Script`]: a Lua script run by its SHA1, loading itself when the cache lacks it.

use crate::argv::{Argv, ToArgs};
use crate::error::CommandError;
use crate::reply::FromReply;
use crate::typed::Commands;

/// A Lua script that runs with EVALSHA and falls back to EVAL when the script cache does not have it
/// (after SCRIPT FLUSH, or the first time), as redis-rs's `Script` does.
///
/// ```
/// use embedis::{Commands, Script, Store};
///
/// let store = Store::new();
/// store.set("stock", 10)?;
/// let take = Script::new(r#"
///     local stock = tonumber(redis.call('GET', KEYS[1]) or '0')
///     local wanted = tonumber(ARGV[1])
///     if stock < wanted then return 0 end
///     redis.call('DECRBY', KEYS[1], wanted)
///     return 1
/// "#);
/// assert_eq!(take.invoke::<i64>(&store, "stock", 3)?, 1);
/// assert_eq!(take.invoke::<i64>(&store, "stock", 30)?, 0);
/// assert_eq!(store.get_as::<i64>("stock")?, 7);
/// # Ok::<(), embedis::CommandError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    body: Vec<u8>,
    sha: String,
}

impl Script {
    /// A script from its Lua source.
    ///
    /// ```
    /// let script = embedis::Script::new("return 1");
    /// assert_eq!(script.sha(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    /// ```
    pub fn new(body: impl AsRef<[u8]>) -> Script {
        let body = body.as_ref().to_vec();
        let sha = super::sha1_hex(&body);
        Script { body, sha }
    }

    /// The script's SHA1, in lowercase hex, as EVALSHA and SCRIPT EXISTS take it.
    ///
    /// ```
    /// let script = embedis::Script::new("return redis.call('get',KEYS[1])");
    /// assert_eq!(script.sha(), "fd758d1589d044dd850a6f05d52f2eefd27f033f");
    /// ```
    pub fn sha(&self) -> &str {
        &self.sha
    }

    /// Runs the script with `keys` (KEYS) and `args` (ARGV) on `target` (a `Store` or a `Watch`;
    /// `Store::atomic` refuses scripts, as a script refuses EVAL). Uses EVALSHA, and EVAL if the
    /// cache lacks the script.
    ///
    /// ```
    /// use embedis::{Commands, Script, Store};
    /// let store = Store::new();
    /// let script = Script::new("return {KEYS[1], ARGV[1]}");
    /// let (key, arg): (String, String) = script.invoke(&store, "k", "a")?;
    /// assert_eq!((key.as_str(), arg.as_str()), ("k", "a"));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn invoke<T: FromReply>(
        &self,
        target: &impl Commands,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Result<T, CommandError> {
        let line = |command: &str, script: &[u8]| {
            let mut key_argv = Argv::new();
            keys.write_args(&mut key_argv);
            let mut argv = Argv::from_args((command, script, key_argv.len()));
            key_argv.write_args(&mut argv);
            args.write_args(&mut argv);
            argv
        };
        match target.run_request(&line("EVALSHA", self.sha.as_bytes()).into()) {
            crate::Reply::Error(e) if e.code() == "NOSCRIPT" => {
                T::from_reply(target.run_request(&line("EVAL", &self.body).into()))
            }
            reply => T::from_reply(reply),
        }
    }
}
