//! Bitmaps against redis-server: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO compared byte for byte, by hand-picked cases and by random offsets and ranges.
#![cfg(feature = "lua")]

mod common;

use proptest::prelude::*;

#[test]
fn bits_of_strings_and_their_errors() {
    let mut d = differential!(1);
    d.script(
        r#"
        SETBIT b 7 1
        GET b
        SETBIT b 7 1
        SETBIT b 7 0
        SETBIT b 100 1
        GET b
        STRLEN b
        OBJECT ENCODING b
        SETBIT b -1 1
        SETBIT b 4294967296 1
        SETBIT b x 1
        SETBIT b 1 2
        SETBIT b 1 -1
        SETBIT b 1 x
        GETBIT b 100
        GETBIT b 1000000
        GETBIT nokey 5
        GETBIT b -1
        SET n 12345
        GETBIT n 2
        SETBIT n 0 1
        GET n
        OBJECT ENCODING n
        LPUSH l a
        SETBIT l 0 1
        GETBIT l 0
        BITCOUNT l
        BITPOS l 1
        SET s foobar
        BITCOUNT s
        BITCOUNT s 0 0
        BITCOUNT s 1 1 BYTE
        BITCOUNT s 5 30 BIT
        BITCOUNT s -2 -1 BIT
        BITCOUNT s -1 -5
        BITCOUNT s 1
        BITCOUNT s 0 1 foo
        BITCOUNT s x 1
        BITCOUNT nokey x
        BITCOUNT n
        BITPOS s 0
        BITPOS s 1 2
        BITPOS s 1 2 -1 BYTE
        BITPOS s 1 7 15 BIT
        BITPOS s 0 7 15 BIT
        BITPOS s 0 1 1 BIT
        SET ff "\xff\xff\xff"
        BITPOS ff 0
        BITPOS ff 0 0
        BITPOS ff 0 0 -1
        BITPOS ff 0 0 -1 BIT
        BITPOS ff 0 8 23 BIT
        BITPOS ff 1 3
        SET zz "\x00\x00\x00"
        BITPOS zz 1
        BITPOS zz 0
        BITPOS zz 1 0 -1 BIT
        BITPOS nokey 0
        BITPOS nokey 1
        BITPOS nokey 2
        BITPOS s 2
        BITPOS s x
        BITPOS s 1 0 1 foo
        BITPOS s 1 0 1 BIT extra
        BITPOS s 0 -100 -90
        BITPOS s 0 100 200
        SET a "\xf0\x0f"
        SET bb "\xff"
        BITOP AND dest a bb
        GET dest
        BITOP OR dest a bb nokey
        GET dest
        BITOP XOR dest a bb
        GET dest
        BITOP NOT dest a
        GET dest
        OBJECT ENCODING dest
        BITOP NOT dest a bb
        BITOP foo dest a
        BITOP AND dest nokey nokey2
        EXISTS dest
        SET dest x EX 100
        BITOP OR dest a
        TTL dest
        BITOP AND dest nokey
        EXISTS dest
        BITOP AND dest a l
        "#,
    );
}

#[test]
fn bitfields_wrap_saturate_and_fail_as_redis() {
    let mut d = differential!(1);
    d.script(
        r#"
        BITFIELD bf SET u8 0 255
        BITFIELD bf GET u8 0
        BITFIELD bf INCRBY u8 0 10
        BITFIELD bf OVERFLOW SAT INCRBY u8 0 300
        BITFIELD bf OVERFLOW FAIL INCRBY u8 0 10
        BITFIELD bf OVERFLOW WRAP INCRBY i8 0 200
        BITFIELD bf SET i8 #1 -100 GET i8 #1 GET u4 8 GET i4 8
        BITFIELD bf SET i64 64 -1 GET i64 64 GET u63 64
        BITFIELD bf INCRBY i64 64 -9223372036854775807 OVERFLOW SAT INCRBY i64 64 -10
        BITFIELD bf OVERFLOW WRAP INCRBY i64 64 -9223372036854775807
        BITFIELD bf OVERFLOW FAIL SET i5 0 100
        BITFIELD bf OVERFLOW SAT SET i5 0 100 SET u3 10 -1
        BITFIELD bf GET u64 0
        BITFIELD bf GET i65 0
        BITFIELD bf GET u0 0
        BITFIELD bf GET x8 0
        BITFIELD bf GET u8 -1
        BITFIELD bf GET u8 #-1
        BITFIELD bf GET u8 4294967296
        BITFIELD bf SET u8 0
        BITFIELD bf foo
        BITFIELD bf OVERFLOW bar GET u8 0
        BITFIELD bf INCRBY u8 0 x
        BITFIELD bf
        GET bf
        BITFIELD_RO bf GET u8 0 GET i16 3
        BITFIELD_RO bf SET u8 0 1
        BITFIELD_RO nokey GET u8 0
        BITFIELD newbf OVERFLOW FAIL INCRBY u2 0 10
        EXISTS newbf
        GET newbf
        LPUSH l a
        BITFIELD l GET u8 0
        BITFIELD_RO l GET u8 0
        "#,
    );
}

#[test]
fn bit_commands_touch_and_notify_as_redis() {
    let mut d = differential!(2);
    d.check_touch_rules(&[
        ("", "SETBIT k 0 0"),
        ("SETBIT k 0 1", "SETBIT k 0 1"),
        ("SETBIT k 0 1", "SETBIT k 0 0"),
        ("", "BITFIELD k OVERFLOW FAIL INCRBY u2 0 10"),
        ("SET k a", "BITFIELD k SET u8 0 97"),
        ("SET k a", "BITFIELD k SET u8 0 98"),
        ("SET a x", "BITOP NOT k a"),
        ("SET k x", "BITOP AND k nokey"),
        ("SET k x", "BITCOUNT k"),
    ]);
}

#[derive(Debug, Clone)]
enum BitOp {
    Set(u32, bool),
    Count(i64, i64, bool),
    Pos(bool, Option<(i64, Option<i64>, bool)>),
    Field(bool, u32, u32, i64, usize),
}

fn bit_op() -> impl Strategy<Value = BitOp> {
    prop_oneof![
        (0u32..200, any::<bool>()).prop_map(|(o, v)| BitOp::Set(o, v)),
        (-40i64..40, -40i64..40, any::<bool>()).prop_map(|(s, e, b)| BitOp::Count(s, e, b)),
        (
            any::<bool>(),
            proptest::option::of((-40i64..40, proptest::option::of(-40i64..40), any::<bool>()))
        )
            .prop_map(|(bit, range)| BitOp::Pos(bit, range)),
        (any::<bool>(), 1u32..64, 0u32..150, any::<i64>(), 0usize..3).prop_map(
            |(signed, bits, offset, value, overflow)| { BitOp::Field(signed, bits, offset, value, overflow) }
        ),
    ]
}

/// Random bit writes, counts, searches and fields: the same replies, and the same bytes of the
/// string after each write.
#[test]
fn random_bit_operations_match_redis() {
    let Some(diff) = common::Differential::new(1) else {
        return;
    };
    let diff = std::cell::RefCell::new(diff);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 64,
        source_file: Some(file!()),
        ..ProptestConfig::default()
    });
    runner
        .run(&proptest::collection::vec(bit_op(), 1..40), |ops| {
            let mut d = diff.borrow_mut();
            d.reset(1);
            d.script("SET k \"\"");
            for op in ops {
                let line = match op {
                    BitOp::Set(offset, value) => format!("SETBIT k {offset} {}", value as u8),
                    BitOp::Count(start, end, bits) => {
                        format!("BITCOUNT k {start} {end} {}", if bits { "BIT" } else { "BYTE" })
                    }
                    BitOp::Pos(bit, None) => format!("BITPOS k {}", bit as u8),
                    BitOp::Pos(bit, Some((start, None, _))) => format!("BITPOS k {} {start}", bit as u8),
                    BitOp::Pos(bit, Some((start, Some(end), bits))) => {
                        format!(
                            "BITPOS k {} {start} {end} {}",
                            bit as u8,
                            if bits { "BIT" } else { "BYTE" }
                        )
                    }
                    BitOp::Field(signed, bits, offset, value, overflow) => {
                        let ty = if signed {
                            format!("i{}", bits + 1)
                        } else {
                            format!("u{bits}")
                        };
                        let overflow = ["WRAP", "SAT", "FAIL"][overflow];
                        format!("BITFIELD k OVERFLOW {overflow} INCRBY {ty} {offset} {value} GET {ty} {offset}")
                    }
                };
                for line in [line.as_str(), "GET k"] {
                    d.compare(0, &common::words(line), common::Order::Exact)
                        .map_err(proptest::test_runner::TestCaseError::fail)?;
                }
            }
            Ok(())
        })
        .unwrap();
}
