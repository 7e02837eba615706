//! Bitmaps, HyperLogLog and geo (issue 15): BITCOUNT over a 1 MB string, PFADD of a new element
//! to an HLL of 10^5 elements then PFCOUNT of its union with another of 10^4 (a union is never
//! cached, so every PFCOUNT merges and estimates), and GEOSEARCH of the ten nearest among 10^5 members — on redis-server
//! over loopback (the baseline; skipped when none is installed), on embedis-server over
//! loopback, and in process.
//!
//! Run: `cargo bench --bench bits_hll_geo`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use embedis::{Commands, Store};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{RawClient, words};

const MEMBERS: usize = 100_000;

fn argv(parts: Vec<String>) -> Vec<Vec<u8>> {
    parts.into_iter().map(String::into_bytes).collect()
}

/// The commands that load the data: a 1 MB bitmap, an HLL of 10^5 elements, 10^5 positions
/// spread over a degree around (13, 38).
fn load_commands() -> Vec<Vec<Vec<u8>>> {
    let mut commands = vec![words("FLUSHALL")];
    for byte in (0..1024 * 1024).step_by(37) {
        commands.push(argv(vec![
            "SETBIT".into(),
            "bitmap".into(),
            (byte * 8 + byte % 8).to_string(),
            "1".into(),
        ]));
    }
    for chunk in (0..MEMBERS).collect::<Vec<_>>().chunks(1000) {
        let mut pfadd = vec!["PFADD".to_string(), "visitors".into()];
        let mut returning = vec!["PFADD".to_string(), "returning".into()];
        let mut geoadd = vec!["GEOADD".to_string(), "places".into()];
        for &i in chunk {
            pfadd.push(format!("user:{i}"));
            if i % 10 == 0 {
                returning.push(format!("user:{}", i + 5));
            }
            let x = 13.0 + (i * 7919 % 10_000) as f64 / 10_000.0;
            let y = 38.0 + (i * 104_729 % 10_000) as f64 / 10_000.0;
            geoadd.extend([format!("{x}"), format!("{y}"), format!("place:{i}")]);
        }
        commands.push(argv(pfadd));
        commands.push(argv(returning));
        commands.push(argv(geoadd));
    }
    commands
}

fn bench(c: &mut Criterion) {
    let redis = common::RedisServer::start();
    let server = embedis::server::Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut clients: Vec<(&str, RawClient)> = Vec::new();
    if let Some(redis) = &redis {
        clients.push(("baseline: redis-server over loopback", redis.client()));
    }
    clients.push(("embedis-server over loopback", RawClient::connect(server.addr().port())));
    let load = load_commands();
    for (_, client) in &mut clients {
        for batch in load.chunks(500) {
            client.pipeline(batch);
        }
    }
    let store = Store::new();
    let mut conn = store.connect();
    for command in &load {
        conn.call(command.clone());
    }

    let bitcount = words("BITCOUNT bitmap");
    let mut group = c.benchmark_group("BITCOUNT over 1 MB");
    for (name, client) in &mut clients {
        group.bench_function(*name, |b| b.iter(|| black_box(client.call(&bitcount))));
    }
    group.bench_function("in process: Commands::bitcount", |b| {
        b.iter(|| black_box(store.bitcount("bitmap").unwrap()))
    });
    group.finish();

    let mut group = c.benchmark_group("PFADD to 10^5 elements, then PFCOUNT of its union with 10^4");
    let mut n = 0u64;
    for (name, client) in &mut clients {
        group.bench_function(*name, |b| {
            b.iter(|| {
                n += 1;
                client.call(&argv(vec!["PFADD".into(), "visitors".into(), format!("new:{n}")]));
                black_box(client.call(&words("PFCOUNT visitors returning")))
            })
        });
    }
    group.bench_function("in process: pfadd, pfcount", |b| {
        b.iter(|| {
            n += 1;
            store.pfadd("visitors", format!("new:{n}")).unwrap();
            black_box(store.pfcount(["visitors", "returning"]).unwrap())
        })
    });
    group.finish();

    let search = words("GEOSEARCH places FROMLONLAT 13.5 38.5 BYRADIUS 5 km ASC COUNT 10 WITHDIST");
    let mut group = c.benchmark_group("GEOSEARCH the 10 nearest of 10^5 members, 5 km radius");
    for (name, client) in &mut clients {
        group.bench_function(*name, |b| b.iter(|| black_box(client.call(&search))));
    }
    group.bench_function("in process: Connection::call", |b| {
        b.iter(|| black_box(conn.call(search.clone())))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
