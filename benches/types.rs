//! Sorted-set and list costs as the collection grows (10^3 and 10^6 members), each beside a
//! baseline doing the same job with the standard library behind a mutex: a `BTreeSet<(score,
//! member)>` plus a `HashMap` for the sorted set (it has no O(log n) rank: counting is O(n)), and
//! a `VecDeque` for the list.
//!
//! Run: `cargo bench --bench types`

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use embedis::{Commands, Store};
use parking_lot::Mutex;

const SIZES: [usize; 2] = [1_000, 1_000_000];

fn member(i: usize) -> String {
    format!("member:{i:07}")
}

fn score(i: usize) -> i64 {
    ((i as u64).wrapping_mul(2_654_435_761) % 1_000_003) as i64
}

/// The baseline sorted set: ordered pairs plus a member → score map.
#[derive(Default)]
struct BaselineZSet {
    order: BTreeSet<(i64, String)>,
    scores: HashMap<String, i64>,
}

impl BaselineZSet {
    fn add(&mut self, score: i64, member: String) {
        if let Some(old) = self.scores.insert(member.clone(), score) {
            self.order.remove(&(old, member.clone()));
        }
        self.order.insert((score, member));
    }

    fn rank(&self, member: &str) -> Option<usize> {
        let score = *self.scores.get(member)?;
        Some(self.order.range(..(score, member.to_string())).count())
    }
}

fn filled(n: usize) -> (Store, Mutex<BaselineZSet>) {
    let store = Store::new();
    let mut baseline = BaselineZSet::default();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let pairs: Vec<(i64, String)> = chunk.iter().map(|&i| (score(i), member(i))).collect();
        store.zadd("z", &pairs).unwrap();
        for (s, m) in pairs {
            baseline.add(s, m);
        }
    }
    (store, Mutex::new(baseline))
}

fn sorted_sets(c: &mut Criterion) {
    for n in SIZES {
        let (store, baseline) = filled(n);
        let mut i = 0usize;
        let mut next = move || {
            i = (i + 7919) % n;
            i
        };

        let mut group = c.benchmark_group(format!("ZADD update, {n} members"));
        group.bench_function(BenchmarkId::new("baseline", n), |b| {
            b.iter(|| {
                let k = next();
                baseline.lock().add(score(k) + 1, member(k))
            })
        });
        group.bench_function(BenchmarkId::new("embedis", n), |b| {
            b.iter(|| {
                let k = next();
                store.zadd("z", (score(k) + 1, member(k))).unwrap()
            })
        });
        group.finish();

        let mut group = c.benchmark_group(format!("ZRANK, {n} members"));
        if n <= 1_000 {
            // At 10^6 the baseline's O(n) rank would take the whole run; at 10^3 it is shown.
            group.bench_function(BenchmarkId::new("baseline (O(n) count)", n), |b| {
                b.iter(|| black_box(baseline.lock().rank(&member(next()))))
            });
        }
        group.bench_function(BenchmarkId::new("embedis", n), |b| {
            b.iter(|| black_box(store.zrank("z", member(next())).unwrap()))
        });
        group.finish();

        let mut group = c.benchmark_group(format!("ZRANGE 10 from the middle, {n} members"));
        let mid = n / 2;
        if n <= 1_000 {
            group.bench_function(BenchmarkId::new("baseline (O(n) skip)", n), |b| {
                b.iter(|| {
                    let set = baseline.lock();
                    black_box(
                        set.order
                            .iter()
                            .skip(mid)
                            .take(10)
                            .map(|(_, m)| m.clone())
                            .collect::<Vec<_>>(),
                    )
                })
            });
        }
        group.bench_function(BenchmarkId::new("embedis", n), |b| {
            b.iter(|| black_box(store.zrange_as::<Vec<Vec<u8>>>("z", mid, mid + 9).unwrap()))
        });
        group.finish();
    }
}

fn lists(c: &mut Criterion) {
    for n in SIZES {
        let store = Store::new();
        let baseline = Mutex::new(VecDeque::new());
        for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
            let values: Vec<String> = chunk.iter().map(|&i| member(i)).collect();
            store.rpush("l", &values).unwrap();
            baseline.lock().extend(values);
        }
        let mut group = c.benchmark_group(format!("LPUSH then LPOP, {n} elements"));
        group.bench_function(BenchmarkId::new("baseline", n), |b| {
            b.iter(|| {
                let mut list = baseline.lock();
                list.push_front(b"job".to_vec().into_iter().map(char::from).collect::<String>());
                black_box(list.pop_front())
            })
        });
        group.bench_function(BenchmarkId::new("embedis", n), |b| {
            b.iter(|| {
                store.lpush("l", "job").unwrap();
                black_box(store.lpop_as::<Option<Vec<u8>>>("l").unwrap())
            })
        });
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
}

criterion_group! {
    name = benches;
    config = config();
    targets = sorted_sets, lists
}
criterion_main!(benches);
