//! The script watchdog: what the rest of the store knows about the script (or function) running
//! under the lock — how long it has run against `busy-reply-threshold`, whether it wrote, whether
//! someone asked to kill it — without taking the lock the script holds.
//!
//! Redis's rules (`script.c`), which the watchdog keeps:
//! - Until a script has run for `busy-reply-threshold` milliseconds (`lua-time-limit`, 5000 by
//!   default) other clients simply wait. Past it the script is *timed out*: every other command
//!   is refused with `BUSY …` at once, except the few Redis lets through (SCRIPT KILL, FUNCTION
//!   KILL, FUNCTION STATS, SHUTDOWN NOSAVE, and the connection's own MULTI, DISCARD, WATCH,
//!   UNWATCH, RESET, HELLO, AUTH, QUIT). A refused command inside MULTI dooms the transaction,
//!   and a refused EXEC discards it (`EXECABORT … BUSY …`).
//! - SCRIPT KILL stops a running EVAL script and FUNCTION KILL a running function, each refusing
//!   the other kind with that kind's BUSY error; a script that already ran a write command
//!   cannot be killed (`UNKILLABLE`), since its writes cannot be undone; with nothing running
//!   both answer `NOTBUSY`.
//! - A killed script fails with `ERR Script killed by user with SCRIPT KILL...` (functions too),
//!   raised again at every line so that a `pcall` cannot swallow it.
//!
//! The script's own thread reports to the watchdog from the Lua hook that runs every
//! [`HOOK_INSTRUCTIONS`] instructions; other threads read it with atomic loads. While a script
//! is timed out, the hook also lets the embedding server answer its other clients
//! ([`set_serve_while_busy`]), as Redis's `processEventsWhileBlocked` does.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use crate::error::CommandError;
use crate::reply::Reply;

/// How many Lua instructions run between two looks at the clock (Redis's count hook uses the
/// same number).
#[cfg_attr(not(feature = "lua"), allow(dead_code))]
pub(crate) const HOOK_INSTRUCTIONS: u32 = 100_000;

/// Redis's default `busy-reply-threshold`.
pub(crate) const DEFAULT_BUSY_REPLY_THRESHOLD: Duration = Duration::from_millis(5000);

/// What runs: an EVAL script or a function (FCALL). Each is killed by its own command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScriptKind {
    Eval,
    Function,
}

impl ScriptKind {
    /// The BUSY error others get while a script of this kind is timed out.
    pub(crate) fn busy_error(self) -> CommandError {
        match self {
            ScriptKind::Eval => CommandError::BusyScript,
            ScriptKind::Function => CommandError::BusyFunction,
        }
    }

    fn code(self) -> u8 {
        match self {
            ScriptKind::Eval => EVAL,
            ScriptKind::Function => FUNCTION,
        }
    }
}

/// [`Watchdog::running`]: nothing runs, an EVAL script runs, a function runs.
const IDLE: u8 = 0;
const EVAL: u8 = 1;
const FUNCTION: u8 = 2;

/// What FUNCTION STATS shows of a running function while it holds the lock: its name, the
/// command that called it, and the function engine's counts.
#[derive(Debug, Clone)]
pub(crate) struct RunningFunction {
    pub(crate) name: String,
    pub(crate) command: Vec<Vec<u8>>,
    pub(crate) libraries: usize,
    pub(crate) functions: usize,
}

/// See the module's documentation. One per store, shared by every clone.
#[derive(Debug)]
pub(crate) struct Watchdog {
    /// `busy-reply-threshold` in milliseconds.
    threshold_ms: AtomicU64,
    /// [`IDLE`], [`EVAL`] or [`FUNCTION`].
    running: AtomicU8,
    /// When the running script started, in nanoseconds of [`now_nanos`]'s clock.
    started: AtomicU64,
    /// The running script passed the threshold: others are refused with BUSY.
    timed_out: AtomicBool,
    /// The running script ran a write command: it cannot be killed.
    wrote: AtomicBool,
    /// A kill was accepted (SCRIPT KILL, FUNCTION KILL); the hook ends the script.
    killed: AtomicBool,
    /// The server is stopping (SHUTDOWN NOSAVE, a signal): the script ends even if it wrote.
    aborted: AtomicBool,
    /// FUNCTION STATS's view of a timed-out function.
    function: Mutex<Option<RunningFunction>>,
}

impl Default for Watchdog {
    fn default() -> Watchdog {
        Watchdog {
            threshold_ms: AtomicU64::new(DEFAULT_BUSY_REPLY_THRESHOLD.as_millis() as u64),
            running: AtomicU8::new(IDLE),
            started: AtomicU64::new(0),
            timed_out: AtomicBool::new(false),
            wrote: AtomicBool::new(false),
            killed: AtomicBool::new(false),
            aborted: AtomicBool::new(false),
            function: Mutex::new(None),
        }
    }
}

/// The coarse monotonic clock, in nanoseconds: its ticks are a few milliseconds apart, against
/// a busy threshold of milliseconds (5 seconds by default), and it reads in a few nanoseconds —
/// every script's start reads it.
fn now_nanos() -> u64 {
    // SAFETY: a plain C function with no arguments.
    u64::try_from(unsafe { embedis_coarse_monotonic_nanos() }).unwrap_or(0)
}

unsafe extern "C" {
    fn embedis_coarse_monotonic_nanos() -> i64;
}

/// What the hook tells the running script to do.
#[cfg_attr(not(feature = "lua"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Continue,
    /// Stop with the kill error.
    Kill,
}

impl Watchdog {
    /// `busy-reply-threshold`: how long a script runs before others are refused with BUSY.
    pub(crate) fn threshold(&self) -> Duration {
        Duration::from_millis(self.threshold_ms.load(Ordering::Relaxed))
    }

    /// CONFIG SET busy-reply-threshold (or lua-time-limit).
    pub(crate) fn set_threshold(&self, threshold: Duration) {
        let ms = u64::try_from(threshold.as_millis()).unwrap_or(u64::MAX);
        self.threshold_ms.store(ms, Ordering::Relaxed);
    }

    /// A script of `kind` starts (on the thread holding the lock).
    #[cfg_attr(not(feature = "lua"), allow(dead_code))]
    pub(crate) fn start(&self, kind: ScriptKind) {
        self.wrote.store(false, Ordering::Relaxed);
        self.killed.store(false, Ordering::Relaxed);
        self.aborted.store(false, Ordering::Relaxed);
        self.timed_out.store(false, Ordering::Relaxed);
        self.started.store(now_nanos(), Ordering::Relaxed);
        self.running.store(kind.code(), Ordering::Release);
    }

    /// The running script ends, however it ends.
    #[cfg_attr(not(feature = "lua"), allow(dead_code))]
    pub(crate) fn finish(&self) {
        self.running.store(IDLE, Ordering::Release);
        if self.timed_out.swap(false, Ordering::AcqRel) {
            *self.function.lock() = None;
        }
        self.killed.store(false, Ordering::Relaxed);
        self.aborted.store(false, Ordering::Relaxed);
    }

    /// The running script ran a write command (Redis's `SCRIPT_WRITE_DIRTY`).
    #[cfg_attr(not(feature = "lua"), allow(dead_code))]
    /// Whether the running script has run a write command.
    pub(crate) fn has_written(&self) -> bool {
        self.wrote.load(Ordering::Relaxed)
    }

    pub(crate) fn wrote(&self) {
        self.wrote.store(true, Ordering::Relaxed);
    }

    /// How long the running script has run.
    fn running_for(&self) -> Duration {
        Duration::from_nanos(now_nanos().saturating_sub(self.started.load(Ordering::Relaxed)))
    }

    fn running(&self) -> Option<ScriptKind> {
        match self.running.load(Ordering::Acquire) {
            EVAL => Some(ScriptKind::Eval),
            FUNCTION => Some(ScriptKind::Function),
            _ => None,
        }
    }

    /// The error every other command gets now, if a script is timed out.
    pub(crate) fn busy(&self) -> Option<CommandError> {
        if !self.timed_out.load(Ordering::Acquire) {
            return None;
        }
        self.running().map(ScriptKind::busy_error)
    }

    /// The hook's look, every [`HOOK_INSTRUCTIONS`] instructions of the running script:
    /// whether it must stop, and whether it just timed out (`function` then says what FUNCTION
    /// STATS shows of it, if it is a function).
    #[cfg_attr(not(feature = "lua"), allow(dead_code))]
    pub(crate) fn check(&self, function: impl FnOnce() -> Option<RunningFunction>) -> Verdict {
        if self.aborted.load(Ordering::Relaxed) || self.killed.load(Ordering::Relaxed) {
            return Verdict::Kill;
        }
        if !self.timed_out.load(Ordering::Relaxed) {
            let threshold = self.threshold();
            // A threshold of 0 turns the timeout off, as in Redis.
            if threshold.is_zero() || self.running_for() < threshold {
                return Verdict::Continue;
            }
            *self.function.lock() = function();
            self.timed_out.store(true, Ordering::Release);
        }
        serve_while_busy();
        if self.aborted.load(Ordering::Relaxed) || self.killed.load(Ordering::Relaxed) {
            Verdict::Kill
        } else {
            Verdict::Continue
        }
    }

    /// SCRIPT KILL (`kind` Eval) or FUNCTION KILL (`kind` Function), from any thread, without
    /// the lock (Redis's `scriptKill`).
    pub(crate) fn kill(&self, kind: ScriptKind) -> Result<(), CommandError> {
        let Some(running) = self.running() else {
            return Err(CommandError::NotBusy);
        };
        if self.wrote.load(Ordering::Relaxed) {
            return Err(CommandError::Unkillable);
        }
        if running != kind {
            return Err(running.busy_error());
        }
        self.killed.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Ends the running script, if any, whatever it did (SHUTDOWN NOSAVE, a stopping server).
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::Relaxed);
    }

    /// FUNCTION STATS while a script is timed out: the running function and the engine's
    /// counts, or the BUSY error of a running EVAL script (as Redis answers). `None` if no
    /// script is timed out: the command runs as usual then.
    pub(crate) fn function_stats(&self) -> Option<Result<Reply, CommandError>> {
        let busy = self.busy()?;
        if self.running() == Some(ScriptKind::Eval) {
            return Some(Err(busy));
        }
        let function = self.function.lock().clone()?;
        let command = function.command.iter().map(|arg| Reply::Bulk(arg.clone())).collect();
        let counts = Reply::map([
            ("libraries_count", Reply::Integer(function.libraries as i64)),
            ("functions_count", Reply::Integer(function.functions as i64)),
        ]);
        Some(Ok(Reply::map([
            (
                "running_script",
                Reply::map([
                    ("name", Reply::bulk(function.name)),
                    ("command", Reply::Array(command)),
                    ("duration_ms", Reply::Integer(self.running_for().as_millis() as i64)),
                ]),
            ),
            ("engines", Reply::map([("LUA", counts)])),
        ])))
    }
}

thread_local! {
    /// What the hook calls while a script on this thread is timed out (see
    /// [`set_serve_while_busy`]).
    static SERVE_WHILE_BUSY: RefCell<Option<Box<dyn FnMut()>>> = const { RefCell::new(None) };
}

/// Installs (or with `None` removes) what this thread does while a script it runs is timed out:
/// the server answers its other clients there. It must not take the store's lock, which the
/// script holds (commands are refused with BUSY before they would).
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) fn set_serve_while_busy(serve: Option<Box<dyn FnMut()>>) {
    SERVE_WHILE_BUSY.with(|cell| *cell.borrow_mut() = serve);
}

/// Runs this thread's [`set_serve_while_busy`] callback, unless it is already running.
fn serve_while_busy() {
    SERVE_WHILE_BUSY.with(|cell| {
        if let Ok(mut serve) = cell.try_borrow_mut()
            && let Some(serve) = serve.as_mut()
        {
            serve();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_follows_redis_rules() {
        let dog = Watchdog::default();
        assert_eq!(dog.kill(ScriptKind::Eval), Err(CommandError::NotBusy));
        dog.start(ScriptKind::Function);
        assert_eq!(dog.kill(ScriptKind::Eval), Err(CommandError::BusyFunction));
        dog.wrote();
        assert_eq!(dog.kill(ScriptKind::Function), Err(CommandError::Unkillable));
        dog.finish();
        dog.start(ScriptKind::Eval);
        assert_eq!(dog.kill(ScriptKind::Function), Err(CommandError::BusyScript));
        assert_eq!(dog.kill(ScriptKind::Eval), Ok(()));
        assert_eq!(dog.check(|| None), Verdict::Kill);
        dog.finish();
        dog.start(ScriptKind::Eval);
        assert_eq!(dog.check(|| None), Verdict::Continue, "a kill ends with its script");
    }

    #[test]
    fn busy_only_past_the_threshold() {
        let dog = Watchdog::default();
        dog.set_threshold(Duration::from_millis(20));
        dog.start(ScriptKind::Eval);
        assert_eq!(dog.check(|| None), Verdict::Continue);
        assert_eq!(dog.busy(), None);
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(dog.check(|| None), Verdict::Continue);
        assert_eq!(dog.busy(), Some(CommandError::BusyScript));
        assert_eq!(dog.function_stats(), Some(Err(CommandError::BusyScript)));
        dog.finish();
        assert_eq!(dog.busy(), None);
        assert_eq!(dog.function_stats(), None);
    }

    #[test]
    fn abort_ends_even_a_script_that_wrote() {
        let dog = Watchdog::default();
        dog.start(ScriptKind::Eval);
        dog.wrote();
        dog.abort();
        assert_eq!(dog.check(|| None), Verdict::Kill);
    }
}
