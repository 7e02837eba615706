//! [`Clock`]: where the store reads the time, the system's or a manual one that tests move.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The time source of a [`Store`](crate::Store), chosen at construction.
///
/// - [`Clock::system`]: wall-clock time; keys expire by themselves as time passes.
/// - [`Clock::manual`]: time stands still until a test moves it with [`Clock::advance`] or
///   [`Clock::set`], like miniredis's `FastForward`: TTL tests run instantly and never flake.
///
/// The store reads the clock once per command (once per EXEC or `atomic` call, as Redis freezes time
/// for a transaction). Clones of a manual clock share one time.
///
/// ```
/// use std::time::Duration;
/// use embedis::{Clock, Commands, Store};
///
/// let clock = Clock::manual();
/// let store = Store::with_clock(clock.clone());
/// store.set_ex("session", "abc", 10)?;
/// clock.advance(Duration::from_secs(9));
/// assert_eq!(store.get("session")?, Some("abc".into()));
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(store.get("session")?, None);
/// # Ok::<(), embedis::CommandError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    ///
    /// ```
    /// let clock = embedis::Clock::system();
    /// assert!(clock.now_micros() > 1_600_000_000_000_000);
    /// ```
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A manual clock starting at the current system time; it moves only when told to.
    ///
    /// ```
    /// use std::time::Duration;
    /// let clock = embedis::Clock::manual();
    /// let t0 = clock.now_micros();
    /// clock.advance(Duration::from_millis(1500));
    /// assert_eq!(clock.now_micros() - t0, 1_500_000);
    /// ```
    pub fn manual() -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(system_micros()))),
        }
    }

    /// Whether this clock only moves when told to.
    ///
    /// ```
    /// assert!(embedis::Clock::manual().is_manual());
    /// assert!(!embedis::Clock::system().is_manual());
    /// ```
    pub fn is_manual(&self) -> bool {
        self.manual.is_some()
    }

    /// Moves a manual clock forward by `by`. Keys whose TTL has passed are expired from then on.
    ///
    /// # Panics
    /// On the system clock, which nobody can move: a test that means to control time must build its
    /// store with [`Clock::manual`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let clock = embedis::Clock::manual();
    /// clock.advance(Duration::from_secs(60));
    /// ```
    pub fn advance(&self, by: Duration) {
        let cell = self.manual_cell("advance");
        cell.fetch_add(by.as_micros().min(i64::MAX as u128) as i64, Ordering::SeqCst);
    }

    /// Sets a manual clock to `time` (which may be earlier than now).
    ///
    /// # Panics
    /// On the system clock, as [`Clock::advance`].
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let clock = embedis::Clock::manual();
    /// clock.set(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    /// assert_eq!(clock.now_micros(), 1_700_000_000_000_000);
    /// ```
    pub fn set(&self, time: SystemTime) {
        self.manual_cell("set")
            .store(micros_since_epoch(time), Ordering::SeqCst);
    }

    /// Microseconds since the Unix epoch.
    ///
    /// ```
    /// let clock = embedis::Clock::manual();
    /// assert_eq!(clock.now_micros(), clock.now_micros());
    /// ```
    pub fn now_micros(&self) -> i64 {
        match &self.manual {
            Some(cell) => cell.load(Ordering::SeqCst),
            None => system_micros(),
        }
    }

    /// Milliseconds for idle-time stamps: the manual time, or the coarse system clock (a few
    /// milliseconds of resolution, far cheaper to read than the precise one).
    pub(crate) fn lru_millis(&self) -> i64 {
        match &self.manual {
            Some(cell) => cell.load(Ordering::SeqCst).div_euclid(1000),
            // SAFETY: a plain C function with no arguments.
            None => unsafe { embedis_coarse_millis() },
        }
    }

    fn manual_cell(&self, what: &str) -> &AtomicI64 {
        match &self.manual {
            Some(cell) => cell,
            None => panic!("Clock::{what} needs a manual clock (Clock::manual()); the system clock cannot be moved"),
        }
    }
}

unsafe extern "C" {
    fn embedis_coarse_millis() -> i64;
}

fn micros_since_epoch(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_micros().min(i64::MAX as u128) as i64,
        Err(e) => -(e.duration().as_micros().min(i64::MAX as u128) as i64),
    }
}

/// The wall clock's time, in Unix microseconds, whatever a store's clock says: for what Redis
/// stamps with `gettimeofday` (MONITOR lines, SLOWLOG and LATENCY entries).
pub(crate) fn system_micros() -> i64 {
    micros_since_epoch(SystemTime::now())
}
