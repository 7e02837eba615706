//! Eviction under `maxmemory`, as Redis's `performEvictions` does it: before each command, while
//! the memory in use is above the limit, keys chosen by the `maxmemory-policy` are deleted (each
//! raising the `evicted` event, touching its watchers and invalidating its trackers); when the
//! policy allows nothing more to go (`noeviction`, or no key it may choose), the store is out of
//! memory and the commands that may grow it (Redis's `denyoom` ones) are refused with `OOM`.
//!
//! Memory in use is what [`CountingAllocator`](crate::CountingAllocator) counts when it is the
//! program's allocator (embedis-server installs it: the process's memory, as Redis's `zmalloc`
//! counts), else the keyspace's own estimate (the `MEMORY USAGE` of every key, which costs time in
//! proportion to the keys: a program that sets `maxmemory` should install the allocator).
//!
//! Choosing, as Redis chooses: the random policies take a random key (of all keys, or of the
//! volatile ones) from each database in turn; the LRU, LFU and TTL policies sample
//! `maxmemory-samples` keys of every database into a pool of the 16 best candidates seen (the
//! longest idle, the least often used, the soonest to expire) and evict the best of the pool.

use std::time::{Duration, Instant};

use super::Keyspace;
use super::effects::EventClass;
use super::memory;
use crate::argv::Argv;

/// How Redis chooses the keys to evict once `maxmemory` is reached (`maxmemory-policy`).
///
/// ```
/// use embedis::EvictionPolicy;
///
/// let policy: EvictionPolicy = "allkeys-lru".parse()?;
/// assert_eq!(policy, EvictionPolicy::AllKeysLru);
/// assert_eq!(policy.to_string(), "allkeys-lru");
/// assert!("sometimes".parse::<EvictionPolicy>().is_err());
/// # Ok::<(), embedis::UnknownPolicy>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EvictionPolicy {
    /// Nothing is evicted: commands that may grow the store are refused with `OOM` (Redis's
    /// default).
    #[default]
    NoEviction,
    /// The least recently used keys, approximately (sampled).
    AllKeysLru,
    /// The least frequently used keys, approximately (sampled; Redis's logarithmic counters).
    AllKeysLfu,
    /// Random keys.
    AllKeysRandom,
    /// The least recently used of the keys with a TTL.
    VolatileLru,
    /// The least frequently used of the keys with a TTL.
    VolatileLfu,
    /// Random keys with a TTL.
    VolatileRandom,
    /// The keys with a TTL that expire soonest.
    VolatileTtl,
}

/// The error of parsing an [`EvictionPolicy`] that Redis does not have.
///
/// ```
/// let err = "lru".parse::<embedis::EvictionPolicy>().unwrap_err();
/// assert_eq!(err.to_string(), "unknown maxmemory-policy 'lru'");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown maxmemory-policy '{0}'")]
pub struct UnknownPolicy(pub String);

const POLICIES: [(EvictionPolicy, &str); 8] = [
    (EvictionPolicy::VolatileLru, "volatile-lru"),
    (EvictionPolicy::VolatileLfu, "volatile-lfu"),
    (EvictionPolicy::VolatileRandom, "volatile-random"),
    (EvictionPolicy::VolatileTtl, "volatile-ttl"),
    (EvictionPolicy::AllKeysLru, "allkeys-lru"),
    (EvictionPolicy::AllKeysLfu, "allkeys-lfu"),
    (EvictionPolicy::AllKeysRandom, "allkeys-random"),
    (EvictionPolicy::NoEviction, "noeviction"),
];

impl std::str::FromStr for EvictionPolicy {
    type Err = UnknownPolicy;

    fn from_str(name: &str) -> Result<EvictionPolicy, UnknownPolicy> {
        POLICIES
            .iter()
            .find(|(_, known)| known.eq_ignore_ascii_case(name))
            .map(|(policy, _)| *policy)
            .ok_or_else(|| UnknownPolicy(name.to_string()))
    }
}

impl std::fmt::Display for EvictionPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = POLICIES
            .iter()
            .find(|(policy, _)| policy == self)
            .map_or("noeviction", |(_, name)| name);
        f.write_str(name)
    }
}

impl EvictionPolicy {
    /// Chooses among every key, not only those with a TTL.
    fn all_keys(self) -> bool {
        matches!(self, Self::AllKeysLru | Self::AllKeysLfu | Self::AllKeysRandom)
    }

    /// Counts accesses (LFU) rather than idle time: OBJECT FREQ answers under it.
    pub(crate) fn is_lfu(self) -> bool {
        matches!(self, Self::AllKeysLfu | Self::VolatileLfu)
    }
}

/// Redis's `EVPOOL_SIZE`.
const POOL_SIZE: usize = 16;

/// `maxmemory`, its policy, and what eviction keeps between commands.
#[derive(Debug, Default)]
pub(crate) struct Eviction {
    /// The limit in bytes; 0: none.
    pub(crate) maxmemory: u64,
    pub(crate) policy: EvictionPolicy,
    /// `maxmemory-samples`.
    pub(crate) samples: usize,
    /// `maxmemory-eviction-tenacity` (0..=100): how long one command may spend evicting.
    pub(crate) tenacity: u32,
    /// The best candidates seen, worst first: (score, database, key); higher scores go first.
    pool: Vec<(u64, usize, Vec<u8>)>,
    /// The database the random policies visit next.
    next_db: usize,
    /// Whether the last check found the store out of memory with nothing left to evict
    /// (Redis's `pre_command_oom_state`).
    out_of_memory: bool,
    /// Keys evicted (INFO's `evicted_keys`).
    pub(crate) evicted_keys: u64,
    /// Since when memory has been above the limit, and how long it was before
    /// (`current_eviction_exceeded_time`, `total_eviction_exceeded_time`).
    exceeded_since: Option<Instant>,
    exceeded_total: Duration,
}

impl Eviction {
    /// The defaults of Redis's configuration: no limit, `noeviction`, 5 samples, tenacity 10.
    pub(crate) fn new() -> Eviction {
        Eviction {
            samples: 5,
            tenacity: 10,
            ..Eviction::default()
        }
    }

    /// Redis's `evictionTimeLimitUs`: how long one round may evict before the next command
    /// takes over.
    fn time_limit(&self) -> Duration {
        match self.tenacity {
            t if t <= 10 => Duration::from_micros(50 * u64::from(t)),
            t if t < 100 => Duration::from_micros((500.0 * 1.15f64.powi(t as i32 - 10)) as u64),
            _ => Duration::MAX,
        }
    }

    /// INFO's `total_eviction_exceeded_time` and `current_eviction_exceeded_time`, in ms.
    pub(crate) fn exceeded_millis(&self) -> (u128, u128) {
        let current = self.exceeded_since.map_or(Duration::ZERO, |since| since.elapsed());
        ((self.exceeded_total + current).as_millis(), current.as_millis())
    }
}

impl Keyspace {
    /// The memory in use, as eviction and INFO measure it (see the module documentation), and
    /// whether the allocator counted it (`false`: the keyspace's estimate).
    pub(crate) fn used_memory(&self) -> (u64, bool) {
        match crate::CountingAllocator::allocated() {
            Some(bytes) => (bytes as u64, true),
            None => (self.estimated_bytes() as u64, false),
        }
    }

    /// Whether the last check found the store out of memory: a script may not start writing.
    pub(crate) fn out_of_memory(&self) -> bool {
        self.eviction.maxmemory != 0 && self.eviction.out_of_memory
    }

    /// Redis's `performEvictions`, before a command: evicts keys while memory is above
    /// `maxmemory`, for at most the tenacity's time; answers (and remembers) whether the store
    /// is out of memory — above the limit with nothing the policy may evict.
    pub(crate) fn perform_evictions(&mut self) -> bool {
        let oom = self.evict_to_limit();
        let eviction = &mut self.eviction;
        match (oom || eviction.out_of_memory, eviction.exceeded_since) {
            (true, None) => eviction.exceeded_since = Some(Instant::now()),
            (false, Some(since)) => {
                eviction.exceeded_total += since.elapsed();
                eviction.exceeded_since = None;
            }
            _ => {}
        }
        eviction.out_of_memory = oom;
        oom
    }

    fn evict_to_limit(&mut self) -> bool {
        let limit = self.eviction.maxmemory;
        if limit == 0 {
            return false;
        }
        let (used, counted) = self.used_memory();
        if used <= limit {
            return false;
        }
        if self.eviction.policy == EvictionPolicy::NoEviction {
            return true;
        }
        let to_free = used - limit;
        let started = Instant::now();
        let time_limit = self.eviction.time_limit();
        let mut freed = 0u64;
        let mut evicted = 0u64;
        while freed < to_free {
            let Some((db, key)) = self.choose_victim() else {
                return true;
            };
            // What the deletion frees: the allocator's count before and after, as Redis
            // measures it, or the key's own estimate.
            let before = if counted {
                self.used_memory().0
            } else {
                self.dbs[db].data.get(&key).map_or(0, |entry| {
                    memory::key_usage(&key, entry, memory::DEFAULT_SAMPLES) as u64
                })
            };
            self.evict(db, &key);
            freed += if counted {
                before.saturating_sub(self.used_memory().0)
            } else {
                before
            };
            evicted += 1;
            // Past its time, a round stops; the next command goes on (Redis's timer proc).
            if evicted.is_multiple_of(16) && started.elapsed() > time_limit {
                break;
            }
        }
        false
    }

    /// Deletes an evicted key: freed at once (Redis's `lazyfree-lazy-eviction no`), its
    /// watchers touched, its trackers invalidated, the `evicted` event raised, replayed as DEL.
    fn evict(&mut self, db: usize, key: &[u8]) {
        drop(self.remove_entry(db, key));
        self.modified(db, key);
        self.eviction.evicted_keys += 1;
        self.effects.notify(db, EventClass::Evicted, "evicted", key);
        self.effects.replay(db, || Argv::from_args(("DEL", key)));
    }

    /// The next key to evict under the policy, if any key qualifies.
    fn choose_victim(&mut self) -> Option<(usize, Vec<u8>)> {
        let policy = self.eviction.policy;
        let all = policy.all_keys();
        if matches!(policy, EvictionPolicy::AllKeysRandom | EvictionPolicy::VolatileRandom) {
            let dbs = self.dbs.len();
            for _ in 0..dbs {
                self.eviction.next_db = (self.eviction.next_db + 1) % dbs;
                let db = self.eviction.next_db;
                let r = self.random();
                if let Some(key) = self.dbs[db].data.sample_keys(r, 1, !all).first() {
                    return Some((db, key.to_vec()));
                }
            }
            return None;
        }
        loop {
            let mut total = 0;
            for db in 0..self.dbs.len() {
                let data = &self.dbs[db].data;
                let keys = if all { data.len() } else { data.volatile_len() };
                if keys != 0 {
                    self.populate_pool(db);
                    total += keys;
                }
            }
            if total == 0 {
                return None;
            }
            // Best first; a candidate deleted (or no longer volatile) since it was pooled is a
            // ghost, and the next one is tried.
            while let Some((_, db, key)) = self.eviction.pool.pop() {
                let qualifies = self.dbs[db].data.get(&key).is_some_and(|entry| all || entry.has_ttl());
                if qualifies {
                    return Some((db, key));
                }
            }
        }
    }

    /// Redis's `evictionPoolPopulate`: samples `maxmemory-samples` keys of `db` and keeps the
    /// best candidates seen in the pool.
    fn populate_pool(&mut self, db: usize) {
        let policy = self.eviction.policy;
        let lru = self.lru();
        let lfu = self.lfu.unwrap_or_default();
        let r = self.random();
        let data = &self.dbs[db].data;
        for key in data.sample_keys(r, self.eviction.samples.max(1), !policy.all_keys()) {
            let Some(entry) = data.get(key) else { continue };
            let score = match policy {
                EvictionPolicy::VolatileTtl => u64::MAX - data.expire_at(key).map_or(u64::MAX, |at| at.max(0) as u64),
                EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu => 255 - u64::from(entry.frequency(lru, lfu)),
                _ => entry.idle_seconds(lru).max(0) as u64 * 1000,
            };
            let pool = &mut self.eviction.pool;
            if pool.iter().any(|(_, d, k)| *d == db && k.as_slice() == key) {
                continue;
            }
            if pool.len() == POOL_SIZE {
                if score <= pool[0].0 {
                    continue;
                }
                pool.remove(0);
            }
            let at = pool.partition_point(|(s, _, _)| *s < score);
            pool.insert(at, (score, db, key.to_vec()));
        }
    }
}
