//! The criterion benchmarks of embedis: `transaction`, `types`, `redis_rs`, `contention`, `growth`,
//! `pubsub`, `streams`, `bits_hll_geo`, `persistence` and `replication` (and the `memory` report), each comparing embedis with a baseline
//! measured in the same run. Run one from the repository's top
//! with `cargo bench --bench NAME`; BENCHMARKS.md records the figures and how each was measured.
