//! Selling stock with a Lua script: the check and the decrement run as one atomic step, so no WATCH
//! and no retries are needed — the answer Redis gives when WATCH loops get hot.
//!
//! Shows EVAL (send the script), SCRIPT LOAD (cache it, get its SHA1) and EVALSHA (run it by SHA1),
//! the raw way and through the typed `Script`.
//!
//! Run it: `cargo run --example lua_stock`

use embedis::{CommandError, Commands, Reply, Script, Store};

const TAKE_STOCK: &str = r#"
local stock = tonumber(redis.call('GET', KEYS[1]) or '0')
local wanted = tonumber(ARGV[1])
if stock < wanted then
  return redis.error_reply('NOSTOCK only ' .. stock .. ' left')
end
return redis.call('DECRBY', KEYS[1], wanted)
"#;

fn main() -> Result<(), CommandError> {
    let store = Store::new();
    store.set("stock:widget", 10)?;
    let mut conn = store.connect();

    println!("EVAL sends the whole script:");
    let reply = conn.call(["EVAL", TAKE_STOCK, "1", "stock:widget", "3"]);
    println!("   EVAL … 1 stock:widget 3   -> {}", show(&reply));

    println!("SCRIPT LOAD caches it and answers its SHA1; EVALSHA runs it by that name:");
    let sha = match conn.call(["SCRIPT", "LOAD", TAKE_STOCK]) {
        Reply::Bulk(sha) => String::from_utf8_lossy(&sha).into_owned(),
        other => panic!("SCRIPT LOAD answered {other:?}"),
    };
    println!("   SCRIPT LOAD …             -> {sha}");
    for wanted in ["4", "5"] {
        let reply = conn.call(["EVALSHA", &sha, "1", "stock:widget", wanted]);
        println!("   EVALSHA {} 1 stock:widget {wanted} -> {}", &sha[..8], show(&reply));
    }

    println!("The typed Script does the same, falling back to EVAL after SCRIPT FLUSH:");
    let take = Script::new(TAKE_STOCK);
    store.set("stock:gadget", 2)?;
    conn.call(["SCRIPT", "FLUSH"]);
    let left: i64 = take.invoke(&store, "stock:gadget", 1)?;
    println!("   take 1 gadget -> {left} left");
    let refused: Result<i64, _> = take.invoke(&store, "stock:gadget", 5);
    println!("   take 5 gadgets -> {}", refused.unwrap_err());

    let (widgets, gadgets): (i64, i64) = (store.get_as("stock:widget")?, store.get_as("stock:gadget")?);
    assert_eq!((widgets, gadgets), (3, 1));
    println!("Widgets left: 3, gadgets left: 1. Never below zero, with no retry anywhere.");
    Ok(())
}

fn show(reply: &Reply) -> String {
    match reply {
        Reply::Integer(n) => format!("(integer) {n}"),
        Reply::Error(e) => format!("(error) {e}"),
        other => format!("{other:?}"),
    }
}
