//! HRANDFIELD, SRANDMEMBER and ZRANDMEMBER answer at random, so no byte comparison with Redis can
//! pin them: these tests check what Redis promises instead. A positive count gives distinct
//! elements, as many as asked or the whole collection; a negative count gives exactly |count|
//! elements that may repeat; every element is one of the collection's, and WITHVALUES and
//! WITHSCORES pair each with its own value or score. Small (listpack) and large (hashtable,
//! skiplist) collections both.

use std::collections::{HashMap, HashSet};

use embedis::{Commands, Store};

/// A hash, a set and a sorted set of `n` elements each: field/member `m<i>`, value `v<i>`, score i.
fn store_with(n: usize) -> Store {
    let store = Store::new();
    for i in 0..n {
        store.hset("h", format!("m{i}"), format!("v{i}")).unwrap();
        store.sadd("s", format!("m{i}")).unwrap();
        store.zadd("z", (i, format!("m{i}"))).unwrap();
    }
    store
}

fn assert_distinct(elements: &[String], what: &str) {
    let unique: HashSet<&String> = elements.iter().collect();
    assert_eq!(
        unique.len(),
        elements.len(),
        "{what}: repeated elements in {elements:?}"
    );
}

fn assert_members(elements: &[String], n: usize, what: &str) {
    let members: HashSet<String> = (0..n).map(|i| format!("m{i}")).collect();
    for e in elements {
        assert!(members.contains(e), "{what}: {e:?} is not in the collection");
    }
}

#[test]
fn random_elements_keep_redis_promises() {
    for n in [5, 300] {
        let store = store_with(n);
        for count in [1i64, 3, 5, 7, 250, 400, -1, -3, -20, -600] {
            for (command, key) in [("HRANDFIELD", "h"), ("SRANDMEMBER", "s"), ("ZRANDMEMBER", "z")] {
                let what = format!("{command} {key} {count} (of {n})");
                let elements: Vec<String> = store.cmd((command, key, count)).unwrap();
                assert_members(&elements, n, &what);
                if count > 0 {
                    assert_eq!(elements.len(), (count as usize).min(n), "{what}");
                    assert_distinct(&elements, &what);
                } else {
                    assert_eq!(elements.len(), count.unsigned_abs() as usize, "{what}");
                }
            }
        }
    }
}

#[test]
fn values_and_scores_belong_to_their_fields_and_members() {
    for n in [5, 300] {
        let store = store_with(n);
        let hash: HashMap<String, String> = store.hgetall("h").unwrap();
        for count in [3i64, 400, -10] {
            let pairs: Vec<(String, String)> = store.cmd(("HRANDFIELD", "h", count, "WITHVALUES")).unwrap();
            assert_eq!(pairs.len(), if count > 0 { (count as usize).min(n) } else { 10 });
            for (field, value) in &pairs {
                assert_eq!(hash.get(field), Some(value), "HRANDFIELD h {count} WITHVALUES");
            }
            if count > 0 {
                let fields: Vec<String> = pairs.into_iter().map(|(f, _)| f).collect();
                assert_distinct(&fields, "HRANDFIELD WITHVALUES");
            }
            let scored: Vec<(String, f64)> = store.cmd(("ZRANDMEMBER", "z", count, "WITHSCORES")).unwrap();
            for (member, score) in &scored {
                assert_eq!(
                    store.zscore("z", member).unwrap(),
                    Some(*score),
                    "ZRANDMEMBER z {count} WITHSCORES"
                );
            }
        }
    }
}

#[test]
fn a_count_of_zero_or_a_missing_key_gives_nothing() {
    let store = store_with(5);
    for command in ["HRANDFIELD", "SRANDMEMBER", "ZRANDMEMBER"] {
        let none: Vec<String> = store.cmd((command, "missing", 3)).unwrap();
        assert!(none.is_empty(), "{command} of a missing key");
    }
    let zero: Vec<String> = store.cmd(("HRANDFIELD", "h", 0)).unwrap();
    assert!(zero.is_empty());
}
