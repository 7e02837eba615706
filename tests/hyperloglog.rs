//! HyperLogLog against redis-server: every command's replies and errors, and the bytes of the
//! value itself (GET) after each change, so that the representation — sparse opcodes, the
//! promotion to dense, the cached cardinality — is Redis's byte for byte.
#![cfg(all(feature = "lua", feature = "server"))]

mod common;

use common::{Order, RawClient, RedisServer, assert_same_bytes, words};
use embedis::Store;
use embedis::server::Server;
use proptest::prelude::*;

#[test]
fn hyperloglogs_count_and_encode_as_redis() {
    let mut d = differential!(1);
    d.script(
        r#"
        PFADD h a b c
        GET h
        PFADD h a
        PFADD h
        PFADD new
        GET new
        PFCOUNT h
        GET h
        PFCOUNT h
        OBJECT ENCODING h
        PFDEBUG ENCODING h
        PFDEBUG DECODE h
        PFMERGE m h new
        GET m
        PFCOUNT m
        PFCOUNT h nokey
        PFCOUNT nokey
        SET notahll foo
        PFADD notahll x
        PFCOUNT notahll
        PFCOUNT notahll h
        PFMERGE dst notahll
        SET n 123
        PFADD n x
        OBJECT ENCODING n
        LPUSH l a
        PFADD l x
        PFCOUNT l
        PFDEBUG GETREG nokey
        PFDEBUG foo h
        PFDEBUG TODENSE h
        PFDEBUG TODENSE h
        PFDEBUG ENCODING h
        PFDEBUG DECODE h
        GET h
        PFADD h zz
        GET h
        SET bad "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"
        PFCOUNT bad
        PFADD bad x
        PFCOUNT bad h
        SET bad2 "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
        PFCOUNT bad2
        SET bad3 "HYLL\x02\x00\x00\x00"
        PFCOUNT bad3
        "#,
    );
}

#[test]
fn hyperloglog_commands_touch_as_redis() {
    let mut d = differential!(2);
    d.check_touch_rules(&[
        ("", "PFADD k a"),
        ("PFADD k a", "PFADD k a"),
        ("PFADD k a", "PFCOUNT k"),
        ("PFADD k a\nPFCOUNT k", "PFCOUNT k"),
        ("PFADD k a\nPFADD j b", "PFCOUNT k j"),
        ("PFADD j a", "PFMERGE k j"),
        ("PFADD k a", "PFDEBUG TODENSE k"),
    ]);
}

/// Growing past `hll-sparse-max-bytes` (set low) turns an HLL dense exactly when Redis's does.
#[test]
fn the_sparse_limit_promotes_where_redis_does() {
    let Some(redis) = RedisServer::start() else { return };
    let server = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server");
    let mut theirs = redis.client();
    let mut ours = RawClient::connect(server.addr().port());
    let mut lines = vec!["CONFIG SET hll-sparse-max-bytes 60".to_string()];
    for i in 0..40 {
        lines.push(format!("PFADD s e{i}"));
        lines.push("PFDEBUG ENCODING s".into());
        lines.push("GET s".into());
    }
    lines.push("CONFIG SET hll-sparse-max-bytes 3000".into());
    for line in &lines {
        let argv = words(line);
        assert_same_bytes(&ours.call(&argv), &theirs.call(&argv), line);
    }
}

/// Random elements added in random batches to a few HLLs, merged and counted: the same
/// replies, and the same bytes of every HLL after each command.
#[test]
fn random_elements_give_redis_bytes_and_counts() {
    let Some(diff) = common::Differential::new(1) else {
        return;
    };
    let diff = std::cell::RefCell::new(diff);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 24,
        source_file: Some(file!()),
        ..ProptestConfig::default()
    });
    let batch = (0usize..3, proptest::collection::vec("[a-z0-9]{0,12}", 0..80));
    runner
        .run(&proptest::collection::vec(batch, 1..12), |batches| {
            let mut d = diff.borrow_mut();
            d.reset(1);
            for (key, elements) in batches {
                let mut argv = vec![b"PFADD".to_vec(), format!("h{key}").into_bytes()];
                argv.extend(elements.into_iter().map(String::into_bytes));
                for argv in [argv, words(&format!("GET h{key}")), words(&format!("PFCOUNT h{key}"))] {
                    d.compare(0, &argv, Order::Exact)
                        .map_err(proptest::test_runner::TestCaseError::fail)?;
                }
            }
            for line in ["PFCOUNT h0 h1 h2", "PFMERGE h3 h0 h1 h2", "GET h3", "PFCOUNT h3"] {
                d.compare(0, &words(line), Order::Exact)
                    .map_err(proptest::test_runner::TestCaseError::fail)?;
            }
            Ok(())
        })
        .unwrap();
}
