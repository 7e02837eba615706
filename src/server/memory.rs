//! What INFO's memory section reports beside the allocated bytes ([`crate::CountingAllocator`]):
//! the resident set size the operating system reports.

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
