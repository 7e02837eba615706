//! A store opened in a directory (`Store::open`): its data survives the process's handles — saved
//! on `save`, `close` and the last drop, loaded on `open` — in an RDB file redis-server loads.

mod common;

use common::{RedisServer, words};
use embedis::{Commands, Store};

#[test]
fn a_store_opened_in_a_directory_keeps_its_data() {
    let dir = common::fresh_dir(0);
    let store = Store::open(&dir).unwrap();
    store.set("s", "hello").unwrap();
    store.rpush("l", ["a", "b", "c"]).unwrap();
    store.hset("h", "f", "v").unwrap();
    store.set_ex("ttl", "v", 1000).unwrap();
    store.zadd("z", [(1.5, "a"), (2.0, "b")]).unwrap();
    let clone = store.clone();
    drop(store);
    // A clone still holds it: nothing saved yet, and it goes on.
    assert!(!dir.join("dump.rdb").exists());
    clone.incr("counter").unwrap();
    drop(clone);
    assert!(dir.join("dump.rdb").exists(), "the last handle saved it");

    let store = Store::open(&dir).unwrap();
    assert_eq!(store.get("s").unwrap(), Some("hello".to_string()));
    assert_eq!(store.lrange("l", 0, -1).unwrap(), ["a", "b", "c"]);
    assert_eq!(store.get("counter").unwrap(), Some("1".to_string()));
    assert!(store.ttl("ttl").unwrap() > 990);
    store.del(["s"]).unwrap();
    store.save().unwrap();
    store.close().unwrap();

    // redis-server loads the file as its own.
    let dir_arg = dir.display().to_string();
    if let Some(redis) = RedisServer::start_loading(&["--dir", &dir_arg, "--dbfilename", "dump.rdb"]) {
        let mut client = redis.client();
        assert_eq!(client.call(&words("EXISTS s")), b":0\r\n");
        assert_eq!(
            client.call(&words("LRANGE l 0 -1")),
            b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        assert_eq!(client.call(&words("ZSCORE z a")), b"$3\r\n1.5\r\n");
        assert_eq!(client.call(&words("HGET h f")), b"$1\r\nv\r\n");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn opening_a_damaged_file_fails_and_keeps_it() {
    let dir = common::fresh_dir(0);
    std::fs::write(dir.join("dump.rdb"), b"REDIS0010\xfe").unwrap();
    let refused = Store::open(&dir).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidData);
    // The refused file is left as it was.
    assert_eq!(std::fs::read(dir.join("dump.rdb")).unwrap(), b"REDIS0010\xfe");
    assert!(Store::open(dir.join("nosuch")).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// With an append-only file, every way of writing in process is kept — typed calls, a
/// transaction, `atomic`, a script, a connection — and comes back when the store is opened again,
/// without any save: as if the process had been killed.
#[cfg(feature = "lua")]
#[test]
fn an_append_only_store_keeps_every_write_without_saving() {
    use embedis::{CommandError, Fsync};
    let dir = common::fresh_dir(0);
    let open = || Store::builder().append_only(Fsync::Always).open(&dir).unwrap();
    let store = open();
    store.set("typed", 1).unwrap();
    store.multi().incr("tx").incr("tx").exec().unwrap();
    store
        .atomic(|db| {
            db.incr("atomic")?;
            db.rpush("atomic-list", ["x"])?;
            Ok::<_, CommandError>(())
        })
        .unwrap();
    // An `atomic` call that fails leaves nothing, in the data or the file.
    let failed = store.atomic(|db| {
        db.incr("undone")?;
        db.cmd::<()>(["LPUSH", "typed", "not a list"])
    });
    assert!(failed.is_err());
    let _: i64 = store
        .eval("return redis.call('INCRBY', KEYS[1], 5)", "scripted", ())
        .unwrap();
    store.connect().call(["SETEX", "volatile", "1000", "v"]);
    // No save: the process "dies" (the store is forgotten, its drop saving only dump.rdb).
    std::mem::forget(store);

    // Opened again from the append-only file alone.
    let _ = std::fs::remove_file(dir.join("dump.rdb"));
    let store = open();
    assert_eq!(store.get("typed").unwrap(), Some("1".to_string()));
    assert_eq!(store.get("tx").unwrap(), Some("2".to_string()));
    assert_eq!(store.get("atomic").unwrap(), Some("1".to_string()));
    assert_eq!(store.lrange("atomic-list", 0, -1).unwrap(), ["x"]);
    assert_eq!(store.exists("undone").unwrap(), 0);
    assert_eq!(store.get("scripted").unwrap(), Some("5".to_string()));
    assert!(store.ttl("volatile").unwrap() > 990);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `Store::bgsave` saves the data as it was when it began, while other threads write through
/// the typed API, `atomic` and transactions; the file opened elsewhere holds exactly that.
#[test]
fn a_background_save_in_process_is_the_data_as_it_began() {
    let dir = common::fresh_dir(0);
    let store = Store::open(&dir).unwrap();
    for n in 0..50_000 {
        store.set(format!("key:{n}"), n).unwrap();
    }
    store.rpush("list", ["a", "b"]).unwrap();
    store.bgsave().unwrap();
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            for n in 0..5_000 {
                let key = format!("key:{}", n * 11 % 50_000);
                match n % 4 {
                    0 => drop(store.incrby(&key, 1_000_000)),
                    1 => drop(store.del([&key])),
                    2 => drop(store.atomic(|db| db.set(format!("new:{n}"), 1))),
                    _ => drop(store.multi().cmd(["RPUSH", "list", "c"]).cmd(["DEL", "key:0"]).exec()),
                }
            }
        })
    };
    writer.join().unwrap();
    while store.saving_in_background() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let copy = common::fresh_dir(1);
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(dir.join("dump.rdb"), copy.join("dump.rdb")).unwrap();
    let saved = Store::open(&copy).unwrap();
    assert_eq!(saved.dbsize().unwrap(), 50_001);
    for n in (0..50_000).step_by(97) {
        assert_eq!(saved.get_as::<i64>(format!("key:{n}")).unwrap(), n, "key:{n}");
    }
    assert_eq!(saved.lrange("list", 0, -1).unwrap(), ["a", "b"]);
    drop(saved);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&copy);
}

/// A connection counts as a handle of the store: a store whose `Store` handles all went while a
/// connection still writes is saved when the connection goes, with what it wrote.
#[test]
fn a_connection_outliving_the_store_handles_is_saved_with_what_it_wrote() {
    let dir = common::fresh_dir(0);
    let mut conn = Store::open(&dir).unwrap().connect();
    assert_eq!(
        conn.call(["SET", "k", "written later"]),
        embedis::Reply::Status("OK".into())
    );
    assert!(!dir.join("dump.rdb").exists(), "not saved while the connection is held");
    drop(conn);
    let store = Store::open(&dir).unwrap();
    assert_eq!(store.get("k").unwrap(), Some("written later".to_string()));
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
