//! MULTI/EXEC/DISCARD as Redis 7.0 runs them (`docs/behaviour.md` §1), on the raw `Connection`.

mod common;

use embedis::{CommandError, Connection, Reply, Store};

fn call(conn: &mut Connection, line: &str) -> Reply {
    conn.call(common::words(line))
}

fn queued() -> Reply {
    Reply::Status("QUEUED".into())
}

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

#[test]
fn multi_queues_commands_and_exec_runs_them_in_order() {
    let store = Store::new();
    let mut c = store.connect();
    call(&mut c, "RPUSH mylist a b c");
    assert_eq!(call(&mut c, "MULTI"), Reply::ok());
    assert_eq!(call(&mut c, "LRANGE mylist 0 -1"), queued());
    assert_eq!(call(&mut c, "PING"), queued());
    assert_eq!(
        call(&mut c, "EXEC"),
        Reply::Array(vec![
            Reply::Array(vec![bulk("a"), bulk("b"), bulk("c")]),
            Reply::Status("PONG".into())
        ])
    );
    assert!(!c.in_multi());
}

#[test]
fn queued_commands_do_not_run_before_exec() {
    let store = Store::new();
    let mut c = store.connect();
    let mut other = store.connect();
    call(&mut c, "MULTI");
    call(&mut c, "SET k v");
    assert_eq!(call(&mut other, "GET k"), Reply::Nil);
    call(&mut c, "EXEC");
    assert_eq!(call(&mut other, "GET k"), bulk("v"));
}

#[test]
fn empty_transaction_answers_empty_array() {
    let mut c = Store::new().connect();
    call(&mut c, "MULTI");
    assert_eq!(call(&mut c, "EXEC"), Reply::Array(vec![]));
}

#[test]
fn discard_drops_the_queue() {
    let store = Store::new();
    let mut c = store.connect();
    call(&mut c, "RPUSH mylist a");
    call(&mut c, "MULTI");
    assert_eq!(call(&mut c, "DEL mylist"), queued());
    assert_eq!(call(&mut c, "DISCARD"), Reply::ok());
    assert_eq!(call(&mut c, "LLEN mylist"), Reply::Integer(1));
}

#[test]
fn exec_and_discard_without_multi_are_errors() {
    let mut c = Store::new().connect();
    assert_eq!(call(&mut c, "EXEC"), Reply::Error(CommandError::ExecWithoutMulti));
    assert_eq!(call(&mut c, "DISCARD"), Reply::Error(CommandError::DiscardWithoutMulti));
}

#[test]
fn nested_multi_is_an_error_that_does_not_abort() {
    let mut c = Store::new().connect();
    call(&mut c, "MULTI");
    assert_eq!(call(&mut c, "MULTI"), Reply::Error(CommandError::NestedMulti));
    call(&mut c, "SET a 1");
    assert_eq!(call(&mut c, "EXEC"), Reply::Array(vec![Reply::ok()]));
}

#[test]
fn watch_inside_multi_is_an_error_that_does_not_abort() {
    let mut c = Store::new().connect();
    call(&mut c, "MULTI");
    assert_eq!(call(&mut c, "WATCH x"), Reply::Error(CommandError::WatchInMulti));
    assert_eq!(call(&mut c, "EXEC"), Reply::Array(vec![]));
}

#[test]
fn command_refused_inside_multi_aborts_exec() {
    let store = Store::new();
    let mut c = store.connect();
    call(&mut c, "MULTI");
    call(&mut c, "SET foo bar");
    assert_eq!(call(&mut c, "SAVE"), Reply::Error(CommandError::NotAllowedInMulti));
    assert_eq!(call(&mut c, "EXEC"), Reply::Error(CommandError::ExecAbort));
    assert_eq!(call(&mut c, "GET foo"), Reply::Nil);
}

#[test]
fn unknown_command_while_queuing_makes_exec_abort() {
    let mut c = Store::new().connect();
    call(&mut c, "MULTI");
    call(&mut c, "SET foo1 bar");
    assert!(call(&mut c, "NOSUCHCOMMAND").is_error());
    call(&mut c, "SET foo2 bar");
    assert_eq!(
        call(&mut c, "EXEC").to_resp(),
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    assert_eq!(call(&mut c, "EXISTS foo1 foo2"), Reply::Integer(0));
}

#[test]
fn wrong_arity_while_queuing_makes_exec_abort() {
    let mut c = Store::new().connect();
    call(&mut c, "MULTI");
    assert_eq!(
        call(&mut c, "GET"),
        Reply::Error(CommandError::WrongArity("get".into()))
    );
    call(&mut c, "SET a 1");
    assert_eq!(call(&mut c, "EXEC"), Reply::Error(CommandError::ExecAbort));
    assert_eq!(call(&mut c, "EXISTS a"), Reply::Integer(0));
}

#[test]
fn after_execabort_the_client_is_out_of_multi() {
    let mut c = Store::new().connect();
    call(&mut c, "MULTI");
    call(&mut c, "NOPE");
    call(&mut c, "EXEC");
    assert_eq!(call(&mut c, "PING"), Reply::Status("PONG".into()));
}

#[test]
fn exec_with_arguments_discards_the_transaction() {
    let mut c = Store::new().connect();
    call(&mut c, "MULTI");
    call(&mut c, "SET x 1");
    assert_eq!(
        call(&mut c, "EXEC extra").to_resp(),
        b"-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"
    );
    assert!(!c.in_multi());
    assert_eq!(call(&mut c, "EXISTS x"), Reply::Integer(0));
}

#[test]
fn runtime_errors_take_their_slot_and_nothing_rolls_back() {
    let mut c = Store::new().connect();
    call(&mut c, "SET s text");
    call(&mut c, "MULTI");
    call(&mut c, "SET a 1");
    call(&mut c, "INCR s");
    call(&mut c, "LPUSH s x");
    call(&mut c, "INCRBY a 5");
    assert_eq!(
        call(&mut c, "EXEC"),
        Reply::Array(vec![
            Reply::ok(),
            Reply::Error(CommandError::NotInteger),
            Reply::Error(CommandError::WrongType),
            Reply::Integer(6),
        ])
    );
    assert_eq!(call(&mut c, "GET a"), bulk("6"));
}

#[test]
fn syntax_errors_are_not_detected_at_queue_time() {
    let mut c = Store::new().connect();
    call(&mut c, "MULTI");
    assert_eq!(call(&mut c, "SET k v EX abc"), queued());
    assert_eq!(call(&mut c, "SET k2 v"), queued());
    assert_eq!(
        call(&mut c, "EXEC"),
        Reply::Array(vec![Reply::Error(CommandError::NotInteger), Reply::ok()])
    );
}

#[test]
fn select_inside_exec_changes_the_clients_database() {
    let mut c = Store::new().connect();
    call(&mut c, "MULTI");
    call(&mut c, "SELECT 3");
    call(&mut c, "SET k in3");
    call(&mut c, "EXEC");
    assert_eq!(c.database(), 3);
    assert_eq!(call(&mut c, "GET k"), bulk("in3"));
}

#[test]
fn exec_runs_the_queue_with_nothing_interleaved() {
    let store = Store::new();
    let writer = store.clone();
    let handle = std::thread::spawn(move || {
        let mut c = writer.connect();
        for _ in 0..200 {
            call(&mut c, "MULTI");
            for _ in 0..50 {
                call(&mut c, "INCR n");
            }
            call(&mut c, "EXEC");
        }
    });
    let mut reader = store.connect();
    for _ in 0..2000 {
        if let Reply::Bulk(v) = call(&mut reader, "GET n") {
            let n: i64 = String::from_utf8(v).unwrap().parse().unwrap();
            assert_eq!(n % 50, 0, "a reader saw the middle of a transaction: {n}");
        }
    }
    handle.join().unwrap();
    assert_eq!(call(&mut reader, "GET n"), bulk("10000"));
}

#[test]
fn dropping_a_connection_mid_multi_leaves_nothing_behind() {
    let store = Store::new();
    {
        let mut c = store.connect();
        call(&mut c, "WATCH k");
        call(&mut c, "MULTI");
        call(&mut c, "SET k v");
    }
    let mut other = store.connect();
    assert_eq!(call(&mut other, "EXISTS k"), Reply::Integer(0));
}

#[test]
fn typed_multi_returns_each_slot_typed() {
    let store = Store::new();
    store.connect().call(["SET", "text", "abc"]);
    let slots = store
        .multi()
        .incr("text")
        .append("text", "d")
        .get("text")
        .exec()
        .unwrap()
        .unwrap();
    assert_eq!(
        slots,
        vec![Err(CommandError::NotInteger), Ok(Reply::Integer(4)), Ok(bulk("abcd"))]
    );
}

#[test]
fn typed_exec_reports_execabort_as_an_error() {
    let store = Store::new();
    let result = store.multi().cmd(["SET", "a"]).set("b", 1).exec();
    assert_eq!(result, Err(CommandError::ExecAbort));
}
