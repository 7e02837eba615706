//! The typed calls that run without a command line (GET, INCR, DECR, INCRBY, DECRBY with a
//! text or bytes key): they answer what the command line answers, in `Store::atomic`, in a
//! `Transaction` (alone, mixed with other commands, after a refused one, under WATCH) and on
//! their own, and their effects — keyspace events, the append-only file — are the command's.

mod common;

use std::time::Duration;

use embedis::{CommandError, Commands, EvictionPolicy, Fsync, Reply, Store};

/// A store holding one value of each kind a counter command meets.
fn store_with_values() -> Store {
    let store = Store::new();
    store.set("int", 41).unwrap();
    store.set("text", "abc").unwrap();
    store.set("max", i64::MAX).unwrap();
    store.set("min", i64::MIN).unwrap();
    store.rpush("list", ["a"]).unwrap();
    store
}

/// Each direct command on each kind of key, with the counts that overflow.
const CASES: &[(&str, &str, i64)] = &[
    ("GET", "int", 0),
    ("GET", "text", 0),
    ("GET", "missing", 0),
    ("GET", "list", 0),
    ("INCR", "int", 0),
    ("INCR", "missing", 0),
    ("INCR", "text", 0),
    ("INCR", "list", 0),
    ("INCR", "max", 0),
    ("DECR", "int", 0),
    ("DECR", "min", 0),
    ("DECR", "list", 0),
    ("INCRBY", "int", 5),
    ("INCRBY", "missing", -7),
    ("INCRBY", "max", 1),
    ("INCRBY", "text", 1),
    ("DECRBY", "int", 5),
    ("DECRBY", "int", i64::MIN),
    ("DECRBY", "min", 1),
    ("DECRBY", "list", 1),
];

/// The command line's reply, from a fresh store.
fn by_command_line(command: &str, key: &str, count: i64) -> Reply {
    let mut conn = store_with_values().connect();
    match command {
        "INCRBY" | "DECRBY" => conn.call((command, key, count)),
        _ => conn.call((command, key)),
    }
}

/// The typed call's reply as a `Reply`, through `commands` (a store, an `AtomicDb`).
fn by_typed_call(commands: &impl Commands, command: &str, key: &str, count: i64) -> Reply {
    let reply = match command {
        "GET" => commands.get_as::<Reply>(key),
        "INCR" => commands.incr_as::<Reply>(key),
        "DECR" => commands.decr_as::<Reply>(key),
        "INCRBY" => commands.incrby_as::<Reply>(key, count),
        "DECRBY" => commands.decrby_as::<Reply>(key, count),
        other => panic!("not a direct command: {other}"),
    };
    reply.unwrap_or_else(Reply::Error)
}

#[test]
fn typed_calls_answer_as_their_command_lines() {
    for &(command, key, count) in CASES {
        let expected = by_command_line(command, key, count);
        let store = store_with_values();
        assert_eq!(
            by_typed_call(&store, command, key, count),
            expected,
            "{command} {key} {count} on its own"
        );
        let store = store_with_values();
        let in_atomic = store.atomic(|db| Ok::<_, CommandError>(by_typed_call(db, command, key, count)));
        assert_eq!(in_atomic.unwrap(), expected, "{command} {key} {count} in atomic");
        let store = store_with_values();
        let watch = store.watch(key).unwrap();
        assert_eq!(
            by_typed_call(&watch, command, key, count),
            expected,
            "{command} {key} {count} under WATCH"
        );
        // Bytes keys take the same way as text keys.
        let store = store_with_values();
        let bytes_key = key.as_bytes().to_vec();
        let in_atomic = store.atomic(|db| {
            Ok::<_, CommandError>(match command {
                "GET" => db.get_as::<Reply>(&bytes_key[..]),
                "INCR" => db.incr_as::<Reply>(bytes_key.clone()),
                _ => Ok(expected.clone()),
            })
        });
        assert_eq!(
            in_atomic.unwrap().unwrap_or_else(Reply::Error),
            expected,
            "{command} {key} as bytes"
        );
    }
}

#[test]
fn a_transaction_of_typed_calls_answers_as_multi_exec() {
    let store = store_with_values();
    let tx = store.multi();
    let mut conn = store_with_values().connect();
    assert_eq!(conn.call("MULTI"), Reply::ok());
    for &(command, key, count) in CASES {
        match command {
            "GET" => tx.get(key),
            "INCR" => tx.incr(key),
            "DECR" => tx.decr(key),
            "INCRBY" => tx.incrby(key, count),
            _ => tx.decrby(key, count),
        };
        match command {
            "INCRBY" | "DECRBY" => conn.call((command, key, count)),
            _ => conn.call((command, key)),
        };
    }
    let Reply::Array(expected) = conn.call("EXEC") else {
        panic!("EXEC answered no array");
    };
    let slots = tx.exec().unwrap().unwrap();
    let slots: Vec<Reply> = slots
        .into_iter()
        .map(|slot| slot.unwrap_or_else(Reply::Error))
        .collect();
    assert_eq!(slots, expected);
    // The values it left are the command lines' too.
    for key in ["int", "missing", "max", "min", "text"] {
        assert_eq!(
            store.get_as::<Reply>(key).unwrap(),
            conn.call(("GET", key)),
            "{key} after the transaction"
        );
    }
}

#[test]
fn typed_calls_keep_their_place_among_other_commands() {
    let store = Store::new();
    let tx = store.multi();
    tx.incr("n")
        .cmd(("APPEND", "n", "0"))
        .incrby("n", 5)
        .get("n")
        .set("m", "x")
        .decr("m");
    let slots = tx.exec().unwrap().unwrap();
    assert_eq!(
        slots,
        [
            Ok(Reply::Integer(1)),
            Ok(Reply::Integer(2)),
            Ok(Reply::Integer(15)),
            Ok(Reply::Bulk(b"15".to_vec())),
            Ok(Reply::ok()),
            Err(CommandError::NotInteger),
        ]
    );
}

#[test]
fn typed_calls_after_a_refused_command_abort_the_transaction() {
    let store = Store::new();
    let tx = store.multi();
    tx.cmd(["NOSUCHCOMMAND"]).incr("n").get("n");
    assert!(matches!(tx.exec(), Err(CommandError::ExecAbort)));
    assert_eq!(store.get("n").unwrap(), None, "nothing ran");
    // A refused command after typed calls aborts it too.
    let tx = store.multi();
    tx.incr("n").cmd(["GET"]);
    assert!(matches!(tx.exec(), Err(CommandError::ExecAbort)));
    assert_eq!(store.get("n").unwrap(), None, "nothing ran");
}

#[test]
fn watch_without_keys_is_refused_as_the_command_line() {
    let store = Store::new();
    let refused = store.watch(Vec::<String>::new()).unwrap_err();
    let Reply::Error(expected) = store.connect().call("WATCH") else {
        panic!("WATCH without keys was not refused");
    };
    assert_eq!(refused, expected);
}

#[test]
fn a_watched_key_changed_stops_a_transaction_of_typed_calls() {
    let store = Store::new();
    store.set("balance", 10).unwrap();
    let watch = store.watch("balance").unwrap();
    let balance: i64 = watch.get_as("balance").unwrap();
    store.decrby("balance", 3).unwrap();
    assert_eq!(watch.multi().decrby("balance", balance).exec().unwrap(), None);
    assert_eq!(store.get("balance").unwrap().as_deref(), Some("7"));

    let watch = store.watch("balance").unwrap();
    let slots = watch.multi().decrby("balance", 7).incrby("other", 7).exec().unwrap();
    assert_eq!(slots, Some(vec![Ok(Reply::Integer(0)), Ok(Reply::Integer(7))]));
}

#[test]
fn typed_calls_raise_their_keyspace_events() {
    let store = Store::new();
    store.set_notify_keyspace_events("KEAm").unwrap();
    let mut events = store.psubscribe(["__keyevent@0__:*"]);
    store.multi().incr("a").decrby("a", 2).get("missing").exec().unwrap();
    store.atomic(|db| db.incrby("b", 3)).unwrap();
    let mut seen = Vec::new();
    while let Some(message) = events.recv_timeout(Duration::from_millis(200)).unwrap() {
        seen.push((
            String::from_utf8(message.channel).unwrap(),
            String::from_utf8(message.payload).unwrap(),
        ));
    }
    let expected = [
        ("__keyevent@0__:incrby", "a"),
        ("__keyevent@0__:incrby", "a"),
        ("__keyevent@0__:keymiss", "missing"),
        ("__keyevent@0__:incrby", "b"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(c, k)| (c.to_string(), k.to_string())).collect();
    assert_eq!(seen, expected);
}

#[test]
fn typed_calls_in_a_cluster_node_are_routed_as_command_lines() {
    let store = Store::builder().cluster_enabled(true).build();
    // "a" and "b" live in different slots.
    assert_eq!(store.multi().incr("a").incr("b").exec(), Err(CommandError::CrossSlot));
    assert_eq!(store.get("a").unwrap(), None, "nothing ran");
    let outcome = store.atomic(|db| {
        db.incr("{u}x")?;
        db.incrby("elsewhere", 2)
    });
    assert_eq!(outcome, Err(CommandError::CrossSlot));
    assert_eq!(store.get("{u}x").unwrap(), None, "rolled back");
    assert_eq!(store.incr("{u}x").unwrap(), 1);
}

#[test]
fn typed_calls_of_a_store_out_of_memory_are_refused_as_command_lines() {
    let store = Store::new();
    store.set("keep", "x".repeat(200)).unwrap();
    store.set_maxmemory(1, EvictionPolicy::NoEviction);
    let mut conn = store.connect();
    assert_eq!(conn.call(["INCR", "n"]), Reply::Error(CommandError::OutOfMemory));
    assert_eq!(store.incr("n"), Err(CommandError::OutOfMemory));
    let slots = store.multi().incr("n").exec();
    assert_eq!(
        slots,
        Err(CommandError::ExecAbortBecause(CommandError::OutOfMemory.to_string()))
    );
    // Reads still run.
    assert_eq!(store.get("keep").unwrap().map(|v| v.len()), Some(200));
    assert_eq!(store.multi().get("n").exec().unwrap(), Some(vec![Ok(Reply::Nil)]));
}

#[test]
fn an_append_only_store_logs_typed_calls_as_command_lines() {
    let dir = common::fresh_dir(0);
    let store = Store::builder().append_only(Fsync::Always).open(&dir).unwrap();
    store.multi().incr("a").incrby("a", 4).exec().unwrap();
    store.atomic(|db| db.decr("a")).unwrap();
    let log = std::fs::read(dir.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap();
    let log = String::from_utf8(log).unwrap();
    let lines: Vec<&str> = log.split("\r\n").filter(|l| !l.starts_with(['*', '$'])).collect();
    let commands = lines.join(" ");
    assert!(
        commands.contains("MULTI INCR a INCRBY a 4 EXEC") && commands.contains("DECR a"),
        "the log holds: {commands}"
    );
    store.close().unwrap();
    let store = Store::builder().append_only(Fsync::Always).open(&dir).unwrap();
    assert_eq!(store.get("a").unwrap().as_deref(), Some("4"));
    store.close().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A typed GET converts a string the store keeps as an integer straight from the integer
/// where the type takes one: every type answers what converting the command line's bulk
/// string answers — the value, or the same conversion error (out of range, not a number) —
/// on the store, under WATCH, in `atomic`, and on an in-process connection's typed calls.
#[test]
fn a_typed_get_of_an_integer_converts_as_the_command_lines_reply() {
    let store = store_with_values();
    store.set("negative", -5).unwrap();
    store.set("big", 70_000).unwrap();
    fn same<T: embedis::FromReply + PartialEq + std::fmt::Debug>(store: &Store, key: &str) {
        let by_line = T::from_reply(store.connect().call(["GET", key]));
        assert_eq!(
            store.get_as::<T>(key),
            by_line,
            "{key} as {}",
            std::any::type_name::<T>()
        );
        let watch = store.watch(key).unwrap();
        assert_eq!(watch.get_as::<T>(key), by_line, "{key} under WATCH");
        let in_atomic = store.atomic(|db| Ok::<_, CommandError>(db.get_as::<T>(key))).unwrap();
        assert_eq!(in_atomic, by_line, "{key} in atomic");
    }
    for key in ["int", "negative", "big", "max", "min", "text", "missing", "list"] {
        same::<i64>(&store, key);
        same::<i32>(&store, key);
        same::<u16>(&store, key);
        same::<u64>(&store, key);
        same::<u8>(&store, key);
        same::<i128>(&store, key);
        same::<f64>(&store, key);
        same::<String>(&store, key);
        same::<Option<i64>>(&store, key);
        same::<Option<String>>(&store, key);
        same::<Vec<u8>>(&store, key);
        same::<Reply>(&store, key);
    }
    assert_eq!(store.get("int").unwrap().as_deref(), Some("41"));
    assert_eq!(
        store.get_as::<u16>("big"),
        Err(CommandError::Conversion {
            reply: "bulk \"70000\"".into(),
            target: "u16"
        })
    );
}
