//! What INFO's memory section reports: the process's allocated bytes, counted by
//! [`CountingAllocator`] when the program installs it (embedis-server does, as Redis counts every
//! allocation in `zmalloc`), else the keyspace's own estimate (the `MEMORY USAGE` estimate of every
//! key); the resident set size the operating system reports; and the peak.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes allocated through [`CountingAllocator`] and not yet freed.
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
/// The most [`ALLOCATED`] has been.
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting the bytes the process holds, so that INFO's `used_memory`
/// is the process's own count, as Redis's is. A program installs it as its global allocator;
/// embedis-server does.
///
/// ```
/// // In the program's main module:
/// #[global_allocator]
/// static ALLOCATOR: embedis::server::CountingAllocator = embedis::server::CountingAllocator;
///
/// let held = vec![0u8; 1 << 20];
/// assert!(embedis::server::CountingAllocator::allocated().is_some_and(|n| n >= held.len()));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

impl CountingAllocator {
    /// The bytes allocated and not yet freed, if this allocator is the program's (`None` when it
    /// has counted nothing: it is not installed).
    pub fn allocated() -> Option<usize> {
        Some(ALLOCATED.load(Ordering::Relaxed)).filter(|&n| n > 0)
    }

    /// The most bytes held at once so far, if this allocator is the program's.
    pub fn peak() -> Option<usize> {
        Some(PEAK.load(Ordering::Relaxed)).filter(|&n| n > 0)
    }

    fn grew(by: usize) {
        let now = ALLOCATED.fetch_add(by, Ordering::Relaxed) + by;
        if now > PEAK.load(Ordering::Relaxed) {
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
    }

    fn shrank(by: usize) {
        ALLOCATED.fetch_sub(by, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counters only observe.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged, under the caller's guarantees.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            CountingAllocator::grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged, under the caller's guarantees.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            CountingAllocator::grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CountingAllocator::shrank(layout.size());
        // SAFETY: forwarded unchanged, under the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged, under the caller's guarantees.
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            CountingAllocator::shrank(layout.size());
            CountingAllocator::grew(new_size);
        }
        moved
    }
}

/// The process's resident set size in bytes, as the operating system reports it (Linux's
/// `/proc/self/status`), or 0 where it cannot be read.
pub(crate) fn resident_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}
