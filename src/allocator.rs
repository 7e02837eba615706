//! [`CountingAllocator`]: the system allocator, counting what the process holds, so that
//! `maxmemory` and a server's INFO `used_memory` measure the process as Redis's `zmalloc` does.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes allocated through [`CountingAllocator`] and not yet freed.
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
/// The most [`ALLOCATED`] has been.
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting the bytes the process holds, so that `maxmemory` and INFO's
/// `used_memory` measure the process, as Redis's do. A program installs it as its global
/// allocator; embedis-server does. Without it, embedis measures its keyspace by its own
/// estimate (the `MEMORY USAGE` of every key), which costs time in proportion to the keys.
///
/// ```
/// // In the program's main module:
/// #[global_allocator]
/// static ALLOCATOR: embedis::CountingAllocator = embedis::CountingAllocator;
///
/// let held = vec![0u8; 1 << 20];
/// assert!(embedis::CountingAllocator::allocated().is_some_and(|n| n >= held.len()));
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
