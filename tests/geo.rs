//! Geospatial commands against redis-server: replies, errors, distances and coordinates byte
//! for byte, in RESP2 and RESP3, and searches around random points with random radii and boxes.
#![cfg(feature = "lua")]

mod common;

use common::{Order, words};
use proptest::prelude::*;

const SCRIPT: &str = r#"
    GEOADD Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"
    GEOADD Sicily 13.361389 38.115556 "Palermo"
    GEOADD Sicily CH 13.5 38.1 "Palermo"
    GEOADD Sicily NX 1 1 "Palermo"
    GEOADD Sicily XX NX 1 1 "Palermo"
    GEOADD Sicily 200 100 x
    GEOADD Sicily 1 85.06 x
    GEOADD Sicily a b c
    GEOADD Sicily 1 2
    GEODIST Sicily Palermo Catania
    GEODIST Sicily Palermo Catania km
    GEODIST Sicily Palermo Catania MI
    GEODIST Sicily Palermo Catania ft
    GEODIST Sicily Palermo Catania foo
    GEODIST Sicily Palermo nope
    GEODIST nokey a b
    GEODIST Sicily a b c d
    GEOHASH Sicily Palermo Catania nope
    GEOHASH nokey a
    GEOPOS Sicily Palermo Catania NonExisting
    GEOPOS nokey a
    GEOADD Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"
    GEORADIUS Sicily 15 37 200 km WITHDIST
    GEORADIUS Sicily 15 37 200 km WITHCOORD
    GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH
    GEORADIUS Sicily 15 37 200 km WITHDIST DESC
    GEORADIUS Sicily 15 37 200 km COUNT 1
    GEORADIUS Sicily 15 37 200 km COUNT 1 ANY
    GEORADIUS Sicily 15 37 200 km ANY
    GEORADIUS Sicily 15 37 200 km COUNT 0
    GEORADIUS Sicily 15 37 -1 km
    GEORADIUS Sicily 15 37 200 foo
    GEORADIUS Sicily 15 37 x km
    GEORADIUS Sicily 15 37 200 km STORE dst
    ZRANGE dst 0 -1 WITHSCORES
    GEORADIUS Sicily 15 37 200 km STOREDIST dst2
    ZRANGE dst2 0 -1 WITHSCORES
    GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST
    GEORADIUS Sicily 15 37 1 km STORE dst
    EXISTS dst
    GEORADIUS_RO Sicily 15 37 200 km STORE dst
    GEORADIUS_RO Sicily 15 37 200 km
    GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST
    GEORADIUSBYMEMBER Sicily nope 200 km
    GEORADIUSBYMEMBER nokey nope 200 km
    GEORADIUSBYMEMBER nokey nope 200 km STORE d3
    GEORADIUSBYMEMBER_RO Sicily Palermo 500 km
    GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC
    GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST
    GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km
    GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 1 1 BYBOX 400 400 km
    GEOSEARCH Sicily BYBOX 400 400 km
    GEOSEARCH Sicily FROMMEMBER Palermo
    GEOSEARCH Sicily FROMMEMBER Palermo BYBOX -1 1 km
    GEOSEARCH Sicily FROMMEMBER Palermo BYBOX a 1 km
    GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1 a km
    GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 km
    GEOSEARCH nokey FROMMEMBER nope BYRADIUS 1 km
    GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x
    GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY
    GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km
    ZRANGE dst 0 -1 WITHSCORES
    GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
    ZRANGE dst 0 -1 WITHSCORES
    GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
    GEOSEARCHSTORE dst nokey FROMLONLAT 15 37 BYRADIUS 200 km
    EXISTS dst
    SET str x
    GEORADIUS str 15 37 200 km
    GEOADD str 1 1 a
    GEOPOS str a
    GEOADD poles 0 85.05112878 north 0 -85.05112878 south 180 0 east -180 0 west 0 0 zero
    GEOPOS poles north south east west zero
    GEOHASH poles north south east west zero
    GEOSEARCH poles FROMLONLAT 179.9 0.1 BYRADIUS 100 km WITHDIST WITHCOORD
    GEOSEARCH poles FROMLONLAT 0 0 BYBOX 40000 40000 km ASC WITHDIST
    GEORADIUS poles 0 0 20000 km ASC WITHDIST
    EVAL "return redis.call('geopos', 'Sicily', 'Palermo')" 0
    COMMAND GETKEYS GEORADIUS k 0 0 1 km STORE a STOREDIST b
    COMMAND GETKEYS GEORADIUSBYMEMBER k m 1 km
    COMMAND GETKEYS GEORADIUSBYMEMBER k m 1 km STORE a STOREDIST b STORE c
    COMMAND GETKEYS GEORADIUS k 0 0 1 km STORE
"#;

#[test]
fn geo_commands_answer_as_redis() {
    let mut d = differential!(1);
    d.script(SCRIPT);
    d.reset(1);
    d.use_resp3();
    d.script(SCRIPT);
}

#[test]
fn geo_commands_notify_and_touch_as_redis() {
    let mut d = differential!(2);
    d.check_touch_rules(&[
        ("", "GEOADD k 1 1 a"),
        ("GEOADD k 1 1 a", "GEOADD k 1 1 a"),
        ("GEOADD s 1 1 a", "GEOSEARCHSTORE k s FROMLONLAT 1 1 BYRADIUS 10 km"),
        ("GEOADD k 1 1 a", "GEOSEARCHSTORE k s FROMLONLAT 1 1 BYRADIUS 10 km"),
        ("GEOADD s 1 1 a", "GEORADIUS s 1 1 10 km STORE k"),
    ]);
}

/// Random members around random centres, searched by random radii and boxes: the same members
/// in the same order with the same distances, hashes and coordinates.
#[test]
fn random_searches_match_redis() {
    let Some(diff) = common::Differential::new(1) else {
        return;
    };
    let diff = std::cell::RefCell::new(diff);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 48,
        source_file: Some(file!()),
        ..ProptestConfig::default()
    });
    let point = (-180.0f64..180.0, -85.0f64..85.0);
    let case = (
        point.clone(),
        proptest::collection::vec((-3.0f64..3.0, -3.0f64..3.0), 1..60),
        (1.0f64..600.0, 1.0f64..800.0, 1.0f64..800.0),
    );
    runner
        .run(&case, |((cx, cy), offsets, (radius, width, height))| {
            let mut d = diff.borrow_mut();
            d.reset(1);
            let mut add = vec![b"GEOADD".to_vec(), b"g".to_vec()];
            for (i, (dx, dy)) in offsets.iter().enumerate() {
                let x = (cx + dx).clamp(-180.0, 180.0);
                let y = (cy + dy).clamp(-85.0, 85.0);
                add.extend([
                    format!("{x}").into_bytes(),
                    format!("{y}").into_bytes(),
                    format!("m{i}").into_bytes(),
                ]);
            }
            let lines = [
                format!("GEOSEARCH g FROMLONLAT {cx} {cy} BYRADIUS {radius} km ASC WITHDIST WITHHASH WITHCOORD"),
                format!("GEOSEARCH g FROMLONLAT {cx} {cy} BYBOX {width} {height} km DESC WITHDIST WITHCOORD"),
                format!("GEOSEARCH g FROMMEMBER m0 BYRADIUS {radius} mi ASC COUNT 5 WITHDIST"),
                format!("GEORADIUS g {cx} {cy} {radius} km WITHDIST ASC"),
                "GEODIST g m0 m1 km".to_string(),
                "GEOPOS g m0 m1".to_string(),
                "GEOHASH g m0 m1".to_string(),
            ];
            d.compare(0, &add, Order::Exact)
                .map_err(proptest::test_runner::TestCaseError::fail)?;
            for line in &lines {
                d.compare(0, &words(line), Order::Exact)
                    .map_err(proptest::test_runner::TestCaseError::fail)?;
            }
            Ok(())
        })
        .unwrap();
}
