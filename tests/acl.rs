//! ACL users and rules against redis-server: ACL SETUSER, GETUSER, LIST, USERS, DELUSER, CAT,
//! GENPASS, WHOAMI and DRYRUN answer byte for byte as Redis 7.0 does (RESP2 and RESP3), for
//! written scripts and for random rule sets; and the command table ACL counts categories over is
//! redis-server's.
#![cfg(feature = "server")]

mod common;

use common::{RawClient, RedisServer, Resp, parse, words};
use embedis::Store;
use embedis::server::Server;

/// Each command and subcommand of a redis-server's COMMAND reply, as `src/acl_commands.txt`
/// lists them: `name no_auth|- categories|-`, sorted.
fn command_lines(redis: &mut RawClient) -> String {
    let text = |resp: &Resp| match resp {
        Resp::Bulk(Some(b)) | Resp::Simple(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("not a string: {other:?}"),
    };
    fn each(command: &Resp, out: &mut Vec<String>, text: &dyn Fn(&Resp) -> String) {
        let Resp::Array(Some(fields)) = command else {
            panic!("not a command entry: {command:?}");
        };
        let list = |at: usize| match &fields[at] {
            Resp::Array(Some(items)) | Resp::Set(items) => items.iter().map(text).collect::<Vec<_>>(),
            other => panic!("not a list: {other:?}"),
        };
        let no_auth = list(2).iter().any(|f| f == "no_auth");
        let categories: Vec<String> = list(6).iter().map(|c| c.trim_start_matches('@').to_string()).collect();
        out.push(format!(
            "{} {} {}",
            text(&fields[0]),
            if no_auth { "no_auth" } else { "-" },
            if categories.is_empty() {
                "-".to_string()
            } else {
                categories.join(",")
            }
        ));
        if let Resp::Array(Some(subs)) = &fields[9] {
            for sub in subs {
                each(sub, out, text);
            }
        }
    }
    let Resp::Array(Some(commands)) = parse(&redis.call(&words("COMMAND"))) else {
        panic!("COMMAND answered no array");
    };
    let mut lines = Vec::new();
    for command in &commands {
        each(command, &mut lines, &text);
    }
    lines.sort();
    lines.iter().map(|line| format!("{line}\n")).collect()
}

const TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/acl_commands.txt");

/// Writes `src/acl_commands.txt` from the redis-server on PATH.
#[test]
#[ignore = "regenerates src/acl_commands.txt from redis-server"]
fn regenerate() {
    let redis = RedisServer::start().expect("regenerating needs redis-server on PATH");
    std::fs::write(TABLE, command_lines(&mut redis.client())).unwrap();
}

/// The table ACL counts categories over is redis-server's command table.
#[test]
fn the_command_table_is_redis_servers() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    assert_eq!(
        std::fs::read_to_string(TABLE).unwrap(),
        command_lines(&mut redis.client()),
        "src/acl_commands.txt is not redis-server's table: run `cargo test --test acl regenerate -- --ignored`"
    );
}

/// Both servers, fresh.
fn pair() -> Option<(RedisServer, Server, RawClient, RawClient)> {
    let redis = RedisServer::start()?;
    let server = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let (theirs, ours) = (redis.client(), RawClient::connect(server.addr().port()));
    Some((redis, server, theirs, ours))
}

/// How two replies are compared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Compare {
    /// Byte for byte.
    Exact,
    /// The same elements, an array whose order is Redis's hash table's (ACL CAT <category>).
    Unordered,
    /// The same words in each line (ACL LIST: single commands come in the order of Redis's
    /// hash table).
    Words,
}

/// The same reply from both, as `compare` says.
fn same(theirs: &mut RawClient, ours: &mut RawClient, line: &str, compare: Compare) {
    let argv = words(line);
    let (a, b) = (theirs.call(&argv), ours.call(&argv));
    let canonical = |raw: &[u8]| match (compare, parse(raw)) {
        (Compare::Unordered, Resp::Array(Some(mut items))) => {
            items.sort();
            items
        }
        (Compare::Words, Resp::Array(Some(lines))) => lines
            .into_iter()
            .map(|line| match line {
                Resp::Bulk(Some(text)) => {
                    let mut words: Vec<&[u8]> = text.split(|&b| b == b' ').collect();
                    words.sort();
                    Resp::Bulk(Some(words.join(&b' ')))
                }
                other => other,
            })
            .collect(),
        (_, other) => panic!("{line}: not an array: {other:?}"),
    };
    if compare == Compare::Exact {
        common::assert_same_bytes(&b, &a, line);
    } else {
        assert_eq!(canonical(&b), canonical(&a), "{line}");
    }
}

const SCRIPT: &[&str] = &[
    "ACL SETUSER alice",
    "ACL LIST",
    "ACL GETUSER alice",
    "ACL SETUSER bob on >pw ~k* %R~r* &ch +config|get (+set ~s*)",
    "ACL GETUSER bob",
    "ACL SETUSER c1 on +@read",
    "ACL SETUSER c2 on +@all -@dangerous",
    "ACL SETUSER c3 on -@all +@string +@hash -hset",
    "ACL SETUSER c4 on +@all -@write +set",
    "ACL SETUSER c5 on allcommands nocommands +@geo +@stream +client|list",
    "ACL SETUSER c6 on +@pubsub +@scripting +@connection -ping",
    "ACL SETUSER c7 on +@all -@keyspace -@admin -@slow",
    "ACL SETUSER c8 on -@all +@fast +@blocking -@list",
    "ACL LIST",
    "ACL SETUSER bad +nosuch",
    "ACL SETUSER bad +@nosuch",
    "ACL SETUSER bad ~* ~x",
    "ACL SETUSER bad &* &x",
    "ACL SETUSER bad <nope",
    "ACL SETUSER bad #abc",
    "ACL SETUSER bad +config|get|x",
    "ACL SETUSER bad +config|",
    "ACL SETUSER bad -select|0",
    "ACL SETUSER bad %X~k",
    "ACL SETUSER bad %~k",
    "ACL SETUSER bad (~x",
    "ACL SETUSER bad (~x +get) (",
    "ACL SETUSER bad (~x +nosuch)",
    "ACL SETUSER bad garbage",
    "ACL SETUSER \"a b\"",
    "ACL USERS",
    "ACL DELUSER default",
    "ACL DELUSER bad c6 nosuch",
    "ACL USERS",
    "ACL CAT",
    "ACL CAT nosuch",
    "ACL CAT read write",
    "ACL GENPASS 1 2",
    "ACL GENPASS 0",
    "ACL GENPASS 5000",
    "ACL GENPASS abc",
    "ACL WHOAMI",
    "ACL DRYRUN bob get k1",
    "ACL DRYRUN bob get x",
    "ACL DRYRUN bob set s1 v",
    "ACL DRYRUN bob set k1 v",
    "ACL DRYRUN bob get r1",
    "ACL DRYRUN bob set r1 v",
    "ACL DRYRUN bob publish ch m",
    "ACL DRYRUN bob publish other m",
    "ACL DRYRUN bob config get maxmemory",
    "ACL DRYRUN bob config set maxmemory 1",
    "ACL DRYRUN bob nosuch",
    "ACL DRYRUN bob get",
    "ACL DRYRUN nobody get k",
    "ACL SETUSER d on ~a %W~w* %R~r* %RW~both +@all &c*",
    "ACL DRYRUN d lmove r1 w1 left right",
    "ACL DRYRUN d lmove w1 r1 left right",
    "ACL DRYRUN d copy r1 w2",
    "ACL DRYRUN d set w1 v",
    "ACL DRYRUN d set w1 v get",
    "ACL DRYRUN d subscribe c1 x",
    "ACL DRYRUN d psubscribe c*",
    "ACL DRYRUN d psubscribe c1",
    "ACL DRYRUN d mset a 1 w1 2 r1 3",
    "ACL DRYRUN d sort r1 store w1",
    "ACL GETUSER d",
    "ACL SETUSER e on +select|0 +@read ~*",
    "ACL DRYRUN e select 0",
    "ACL DRYRUN e select 1",
    "ACL GETUSER e",
    "ACL SETUSER e reset",
    "ACL GETUSER e",
    "ACL SETUSER f on nopass skip-sanitize-payload #0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "ACL GETUSER f",
    "ACL SETUSER f !0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "ACL SETUSER f >a >b <a",
    "ACL GETUSER f",
    "ACL SETUSER f clearselectors (+get ~x) (+set ~y &z)",
    "ACL GETUSER f",
    "ACL DRYRUN f get x",
    "ACL DRYRUN f get y",
    "ACL DRYRUN f set y 1",
    "ACL DRYRUN f set x 1",
    "ACL DRYRUN f publish z 1",
    "ACL LIST",
    "ACL HELP",
];

/// Every subcommand, its errors and its replies, as redis-server answers them.
#[test]
fn acl_answers_as_redis_does() {
    let Some((_redis, _server, mut theirs, mut ours)) = pair() else {
        return;
    };
    for protocol in ["2", "3"] {
        // (Their client ids differ.)
        theirs.call(&words(&format!("HELLO {protocol}")));
        ours.call(&words(&format!("HELLO {protocol}")));
        same(
            &mut theirs,
            &mut ours,
            "ACL DELUSER alice bob c1 c2 c3 c4 c5 c7 c8 d e f",
            Compare::Exact,
        );
        for line in SCRIPT {
            let compare = if *line == "ACL LIST" {
                Compare::Words
            } else {
                Compare::Exact
            };
            same(&mut theirs, &mut ours, line, compare);
        }
        for category in categories(&mut theirs) {
            same(
                &mut theirs,
                &mut ours,
                &format!("ACL CAT {category}"),
                Compare::Unordered,
            );
        }
        // A password of the bits asked for.
        let password = parse(&ours.call(&words("ACL GENPASS 10")));
        assert!(matches!(&password, Resp::Bulk(Some(p)) if p.len() == 3 && p.iter().all(u8::is_ascii_hexdigit)));
    }
}

/// The categories, as redis-server's ACL CAT lists them.
fn categories(redis: &mut RawClient) -> Vec<String> {
    match parse(&redis.call(&words("ACL CAT"))) {
        Resp::Array(Some(names)) => names
            .into_iter()
            .map(|name| match name {
                Resp::Bulk(Some(name)) => String::from_utf8(name).unwrap(),
                other => panic!("not a category: {other:?}"),
            })
            .collect(),
        other => panic!("ACL CAT answered {other:?}"),
    }
}

/// What random rule sets grant, against redis-server: the same SETUSER reply (an error's text
/// too); then the same DRYRUN answers for a set of commands touching keys and channels, the
/// same GETUSER keys, channels and flags, and the same rules in ACL LIST (compared as a set of
/// words: single commands come in the order of Redis's hash table).
#[test]
fn random_rules_grant_what_redis_grants() {
    let Some((_redis, _server, mut theirs, mut ours)) = pair() else {
        return;
    };
    const RULES: &[&str] = &[
        "on",
        "off",
        "nopass",
        "resetpass",
        ">secret",
        "<secret",
        "reset",
        "allkeys",
        "resetkeys",
        "~a*",
        "~b",
        "%R~r*",
        "%W~w*",
        "%RW~x",
        "allchannels",
        "resetchannels",
        "&c*",
        "&news",
        "allcommands",
        "nocommands",
        "+@read",
        "-@read",
        "+@write",
        "-@write",
        "+@string",
        "-@string",
        "+@list",
        "-@dangerous",
        "+@admin",
        "+@pubsub",
        "-@pubsub",
        "+@fast",
        "-@slow",
        "+@keyspace",
        "+get",
        "-get",
        "+set",
        "-set",
        "+config|get",
        "-config|get",
        "+config",
        "+select|0",
        "+lmove",
        "-lmove",
        "+publish",
        "+subscribe",
        "+psubscribe",
        "(+get ~s*)",
        "(+@write %W~w*)",
        "clearselectors",
        "+nosuch",
        "~*",
        "&*",
        "%Z~k",
        "(+get",
        "sanitize-payload",
        "skip-sanitize-payload",
    ];
    const COMMANDS: &[&str] = &[
        "get a1",
        "get b",
        "get r1",
        "get w1",
        "get x",
        "get s1",
        "set a1 v",
        "set w1 v",
        "set r1 v",
        "set x v",
        "set x v get",
        "lmove r1 w1 left right",
        "lmove a1 b left right",
        "mget a1 b r1",
        "config get port",
        "config set port 1",
        "select 0",
        "select 1",
        "publish news m",
        "publish c1 m",
        "publish other m",
        "subscribe news c2",
        "psubscribe c*",
        "psubscribe news",
        "ping",
        "flushall",
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = |below: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % below as u64) as usize
    };
    for round in 0..150 {
        let name = format!("u{}", round % 7);
        let rules: Vec<&str> = (0..1 + next(6)).map(|_| RULES[next(RULES.len())]).collect();
        let mut argv = vec![b"ACL".to_vec(), b"SETUSER".to_vec(), name.clone().into_bytes()];
        argv.extend(rules.iter().map(|r| r.as_bytes().to_vec()));
        let context = format!("round {round}: ACL SETUSER {name} {}", rules.join(" "));
        common::assert_same_bytes(&ours.call(&argv), &theirs.call(&argv), &context);
        for command in COMMANDS {
            same(
                &mut theirs,
                &mut ours,
                &format!("ACL DRYRUN {name} {command}"),
                Compare::Exact,
            );
        }
        let getuser = |client: &mut RawClient| match parse(&client.call(&words(&format!("ACL GETUSER {name}")))) {
            Resp::Array(Some(fields)) => fields
                .chunks(2)
                .filter(|pair| matches!(&pair[0], Resp::Bulk(Some(f)) if f != b"commands" && f != b"selectors"))
                .map(|pair| pair.to_vec())
                .collect::<Vec<_>>(),
            Resp::Bulk(None) => Vec::new(),
            other => panic!("{context}: GETUSER answered {other:?}"),
        };
        assert_eq!(getuser(&mut ours), getuser(&mut theirs), "{context}");
        let list = |client: &mut RawClient| {
            let mut users: Vec<Vec<String>> = match parse(&client.call(&words("ACL LIST"))) {
                Resp::Array(Some(lines)) => lines
                    .iter()
                    .map(|line| match line {
                        Resp::Bulk(Some(l)) => {
                            let mut words: Vec<String> =
                                String::from_utf8_lossy(l).split(' ').map(str::to_owned).collect();
                            words.sort();
                            words
                        }
                        other => panic!("{other:?}"),
                    })
                    .collect(),
                other => panic!("{context}: ACL LIST answered {other:?}"),
            };
            users.sort();
            users
        };
        assert_eq!(list(&mut ours), list(&mut theirs), "{context}");
    }
}

/// Runs `script` (lines `who command`: each `who` a connection of its own) on both servers, and
/// compares the replies (a HELLO's with the client id left out: the servers number clients
/// differently). Answers a client of each server, to look further.
fn run_clients(script: &[&str]) -> Option<(RedisServer, Server, RawClient, RawClient)> {
    let (redis, server, theirs_admin, ours_admin) = pair()?;
    let mut theirs: std::collections::BTreeMap<&str, RawClient> = Default::default();
    let mut ours: std::collections::BTreeMap<&str, RawClient> = Default::default();
    for line in script {
        let (who, command) = line.split_once(' ').unwrap();
        let theirs = theirs.entry(who).or_insert_with(|| redis.client());
        let ours = ours
            .entry(who)
            .or_insert_with(|| RawClient::connect(server.addr().port()));
        let argv = words(command);
        let (a, b) = (theirs.call(&argv), ours.call(&argv));
        if command.starts_with("HELLO") {
            let without_id = |raw: &[u8]| match parse(raw) {
                Resp::Map(fields) => Resp::Map(
                    fields
                        .into_iter()
                        .filter(|(k, _)| !matches!(k, Resp::Bulk(Some(k)) if k == b"id"))
                        .collect(),
                ),
                Resp::Array(Some(items)) => Resp::Array(Some(
                    items
                        .chunks(2)
                        .filter(|p| !matches!(&p[0], Resp::Bulk(Some(k)) if k == b"id"))
                        .flatten()
                        .cloned()
                        .collect(),
                )),
                other => other,
            };
            assert_eq!(without_id(&b), without_id(&a), "{line}");
        } else {
            common::assert_same_bytes(&b, &a, line);
        }
    }
    Some((redis, server, theirs_admin, ours_admin))
}

/// ACL LOG's entries without what differs between two servers: each entry's age and its
/// client's CLIENT LIST line (checked to name the user).
fn log_entries(client: &mut RawClient) -> Vec<Vec<Resp>> {
    let Resp::Array(Some(entries)) = parse(&client.call(&words("ACL LOG"))) else {
        panic!("ACL LOG answered no array");
    };
    entries
        .into_iter()
        .map(|entry| {
            let Resp::Array(Some(fields)) = entry else {
                panic!("not an entry: {entry:?}");
            };
            let mut kept = Vec::new();
            for pair in fields.chunks(2) {
                match &pair[0] {
                    Resp::Bulk(Some(name)) if name == b"age-seconds" => {}
                    Resp::Bulk(Some(name)) if name == b"client-info" => {
                        assert!(matches!(&pair[1], Resp::Bulk(Some(info)) if info.windows(5).any(|w| w == b"user=")));
                    }
                    _ => kept.extend(pair.iter().cloned()),
                }
            }
            kept
        })
        .collect()
}

/// ACL LOG records refusals as Redis does: failed AUTH and HELLO AUTH, commands, keys and
/// channels refused at the top level, in MULTI and in scripts; the same event again within a
/// minute counts up; COUNT, RESET and bad arguments answered as Redis answers them.
#[cfg(feature = "lua")]
#[test]
fn the_acl_log_records_refusals_as_redis_does() {
    let Some((_redis, _server, mut theirs, mut ours)) = run_clients(&[
        "a ACL LOG RESET",
        "a ACL SETUSER alice on >pw ~k* &ch +get +set +publish +multi +exec +eval",
        "b AUTH alice wrong",
        "b auth alice wrong",
        "b AUTH alice pw",
        "b GET x",
        "b GET x",
        "b DEL k1",
        "b PUBLISH other m",
        "b MULTI",
        "b GET y",
        "b EXEC",
        "b EVAL \"return redis.call('GET','z')\" 0",
        "c HELLO 3 AUTH bob pw",
        "a ACL LOG -1",
        "a ACL LOG x",
        "a ACL LOG 1 2",
    ]) else {
        return;
    };
    let entries = log_entries(&mut ours);
    assert_eq!(entries.len(), 8);
    assert_eq!(entries, log_entries(&mut theirs));
    same(&mut theirs, &mut ours, "ACL LOG RESET", Compare::Exact);
    same(&mut theirs, &mut ours, "ACL LOG", Compare::Exact);
}

/// A connection authenticated as a user (AUTH, HELLO AUTH) runs only what the user's rules
/// allow, with Redis's NOPERM errors: commands, keys read and written, channels; inside MULTI
/// at queue time and again at EXEC when the rules changed meanwhile; in scripts (`redis.call`,
/// `redis.pcall`, `redis.acl_check_cmd`). A disabled user authenticates no more, its
/// connections go on; `requirepass` is the `default` user's password; RESET goes back to
/// `default`.
#[cfg(feature = "lua")]
#[test]
fn users_are_held_to_their_rules_as_redis_holds_them() {
    let _ = run_clients(&[
        "a ACL SETUSER alice on >pw ~k* %R~r* &ch +get +set +publish +subscribe +multi +exec +@connection +eval",
        "b AUTH alice wrong",
        "b AUTH nobody pw",
        "b AUTH alice pw",
        "b ACL WHOAMI",
        "b GET k1",
        "b GET x",
        "b SET k1 v",
        "b SET r1 v",
        "b GET r1",
        "b DEL k1",
        "b PUBLISH ch m",
        "b PUBLISH other m",
        "b MULTI",
        "b GET k1",
        "b DEL k1",
        "b SET x 1",
        "b EXEC",
        "b MULTI",
        "b GET k1",
        "b SET k2 v",
        "a ACL SETUSER alice -get",
        "b EXEC",
        "b EVAL \"return redis.call('GET','x')\" 0",
        "b EVAL \"return redis.call('SET','k1','v')\" 0",
        "b EVAL \"return redis.call('SET','x','v')\" 0",
        "b EVAL \"return redis.call('DEL','k1')\" 0",
        "b EVAL \"return redis.call('PUBLISH','other','m')\" 0",
        "b EVAL \"return redis.pcall('DEL','k1')\" 0",
        "b EVAL \"return redis.acl_check_cmd('set','k1','v')\" 0",
        "b EVAL \"return redis.acl_check_cmd('del','k1')\" 0",
        "b EVAL \"return redis.acl_check_cmd('set','x','v')\" 0",
        "b PING",
        "a ACL SETUSER alice off",
        "b SET k1 v2",
        "c AUTH alice pw",
        "c HELLO 3 AUTH alice pw",
        "a ACL SETUSER alice on",
        "c HELLO 2 AUTH alice pw",
        "c ACL WHOAMI",
        "c RESET",
        "c ACL WHOAMI",
        "c AUTH pw",
        "a CONFIG SET requirepass secret",
        "d GET k1",
        "d AUTH secret",
        "d GET k1",
        "d AUTH default secret",
        "d ACL WHOAMI",
        "e HELLO 3",
        "e HELLO 3 AUTH default secret",
        "a AUTH secret",
        "a CONFIG SET requirepass \"\"",
        "f GET k1",
        "f AUTH x",
        "f ACL SETUSER default -@all +get +acl|setuser ~*",
        "f GET k1",
        "f SET k1 v",
        "f ACL WHOAMI",
        "f ACL SETUSER default +@all",
        "f SET k1 v",
    ]);
}

/// CLIENT LIST and CLIENT INFO name the user each client authenticated as.
#[test]
fn client_list_names_each_clients_user() {
    let server = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut admin = RawClient::connect(server.addr().port());
    admin.call(&words("ACL SETUSER alice on >pw +@all ~*"));
    let mut alice = RawClient::connect(server.addr().port());
    assert_eq!(alice.call(&words("AUTH alice pw")), b"+OK\r\n");
    let info = String::from_utf8(alice.call(&words("CLIENT INFO"))).unwrap();
    assert!(info.contains(" user=alice "), "{info}");
    let list = String::from_utf8(admin.call(&words("CLIENT LIST"))).unwrap();
    assert!(
        list.contains(" user=alice ") && list.contains(" user=default "),
        "{list}"
    );
}

/// CLIENT KILL USER closes the connections authenticated as that user (and refuses a user that
/// does not exist), against redis-server.
#[test]
fn client_kill_user_closes_that_users_connections() {
    let Some(redis) = RedisServer::start() else { return };
    let server = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let run = |port: u16| {
        let mut admin = RawClient::connect(port);
        let mut replies = vec![admin.call(&words("ACL SETUSER alice on >pw +@all ~*"))];
        let mut alices: Vec<RawClient> = (0..2).map(|_| RawClient::connect(port)).collect();
        for alice in &mut alices {
            replies.push(alice.call(&words("AUTH alice pw")));
        }
        let _bystander = RawClient::connect(port);
        for line in [
            "CLIENT KILL USER nosuch",
            "CLIENT KILL USER alice",
            "CLIENT KILL USER alice",
        ] {
            replies.push(admin.call(&words(line)));
        }
        replies.push(admin.call(&words("CLIENT KILL USER default SKIPME no")));
        replies
    };
    assert_eq!(run(server.addr().port()), run(redis.port));
}

/// In process: a `Connection` authenticated with HELLO AUTH is held to its user's rules; the
/// store's own handles (typed calls, `atomic`, transactions) are the application, which ACL
/// does not govern, even with a restricted `default` user.
#[test]
fn in_process_connections_are_held_to_their_users_rules() {
    use embedis::{CommandError, Commands, Reply};
    let store = Store::new();
    store
        .cmd::<()>([
            "ACL",
            "SETUSER",
            "tenant",
            "on",
            ">pw",
            "~tenant:*",
            "+@read",
            "+@write",
            "-@dangerous",
            "+acl|whoami",
        ])
        .unwrap();
    let mut conn = store.connect();
    assert!(matches!(
        conn.call(["HELLO", "2", "AUTH", "tenant", "pw"]),
        Reply::Array(_)
    ));
    assert_eq!(conn.call(["SET", "tenant:1", "v"]), Reply::Status("OK".into()));
    assert_eq!(
        conn.call(["SET", "other", "v"]),
        Reply::Error(CommandError::Other(
            "NOPERM this user has no permissions to access one of the keys used as arguments".into()
        ))
    );
    assert_eq!(
        conn.call(["FLUSHALL"]),
        Reply::Error(CommandError::Other(
            "NOPERM this user has no permissions to run the 'flushall' command".into()
        ))
    );
    assert_eq!(conn.call(["ACL", "WHOAMI"]), Reply::Bulk(b"tenant".to_vec()));
    // Its scripts run with its rights.
    #[cfg(feature = "lua")]
    {
        store.cmd::<()>(["ACL", "SETUSER", "tenant", "+eval"]).unwrap();
        let script = "return redis.call('GET', KEYS[1])";
        assert_eq!(conn.call(["EVAL", script, "1", "tenant:1"]), Reply::Bulk(b"v".to_vec()));
        // A key declared is checked with EVAL itself; one the script names alone, by the call.
        assert!(matches!(conn.call(["EVAL", script, "1", "other"]), Reply::Error(_)));
        assert!(matches!(
            conn.call(["EVAL", "return redis.call('GET', 'other')", "0"]),
            Reply::Error(e) if e.to_string().contains("The user executing the script can't access at least one of the keys")
        ));
    }
    // The application itself is not a client: a restricted `default` user leaves it alone.
    store.cmd::<()>(["ACL", "SETUSER", "default", "-@all"]).unwrap();
    store.set("other", "v").unwrap();
    let moved = store.multi().incr("n").exec().unwrap();
    assert!(moved.is_some());
    store.atomic(|db| db.incr("n")).unwrap();
    // A new connection is the `default` user's, restricted.
    assert!(matches!(store.connect().call(["GET", "other"]), Reply::Error(_)));
}

/// Whether the server closed the connection: a PING on it is answered by the end of the stream.
fn closed(stream: &mut std::net::TcpStream) -> bool {
    use std::io::{Read, Write};
    let _ = stream.write_all(b"PING\r\n");
    let mut reply = [0u8; 16];
    matches!(stream.read(&mut reply), Ok(0) | Err(_))
}

/// A deleted user's connections are closed (the one that deleted it after its reply), and so
/// are a user's subscribers to channels its new rules no longer allow, as Redis closes them;
/// ACL LOAD and SAVE answer as Redis without an `aclfile`; SORT's BY and GET need the right to
/// read any key; BITFIELD's key is read-only when it only GETs.
#[test]
fn deleted_users_and_revoked_subscribers_are_disconnected_as_redis_does() {
    let Some((redis, server, mut theirs, mut ours)) = pair() else {
        return;
    };
    for (port, admin) in [(redis.port, &mut theirs), (server.addr().port(), &mut ours)] {
        let connect = || {
            let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            stream
        };
        let send = |stream: &mut std::net::TcpStream, line: &str| {
            use std::io::{Read, Write};
            let mut request = Vec::new();
            let argv = words(line);
            request.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
            for arg in argv {
                request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
                request.extend_from_slice(&arg);
                request.extend_from_slice(b"\r\n");
            }
            stream.write_all(&request).unwrap();
            let mut reply = [0u8; 256];
            let n = stream.read(&mut reply).unwrap();
            reply[..n].to_vec()
        };
        admin.call(&words("ACL SETUSER gone on >pw +@all ~* &*"));
        admin.call(&words(
            "ACL SETUSER listener on >pw +@all ~* resetchannels &news &alerts",
        ));
        let mut user = connect();
        assert_eq!(send(&mut user, "AUTH gone pw"), b"+OK\r\n");
        let mut itself = connect();
        assert_eq!(send(&mut itself, "AUTH gone pw"), b"+OK\r\n");
        assert_eq!(
            send(&mut itself, "ACL DELUSER gone"),
            b":1\r\n",
            "the deleting client gets its reply"
        );
        assert!(closed(&mut user), "port {port}: a deleted user's connection is closed");
        assert!(closed(&mut itself), "port {port}: and the one that deleted it, after");
        let mut keeps = connect();
        let mut loses = connect();
        for stream in [&mut keeps, &mut loses] {
            assert_eq!(send(stream, "AUTH listener pw"), b"+OK\r\n");
        }
        send(&mut keeps, "SUBSCRIBE news");
        send(&mut loses, "SUBSCRIBE alerts");
        admin.call(&words("ACL SETUSER listener resetchannels &news"));
        assert!(
            closed(&mut loses),
            "port {port}: a subscriber of a revoked channel is closed"
        );
        assert!(
            !closed(&mut keeps),
            "port {port}: one of a channel still allowed is not"
        );
    }
    for line in [
        "ACL LOAD",
        "ACL SAVE",
        "SET v1 1",
        "LPUSH mylist 1",
        "ACL SETUSER sorter on nopass (+sort ~mylist)",
        "ACL DRYRUN sorter sort mylist",
        "COMMAND GETKEYSANDFLAGS bitfield k get u4 0",
        "COMMAND GETKEYSANDFLAGS bitfield k get u4 0 incrby u4 0 1",
        "COMMAND GETKEYSANDFLAGS bitfield k overflow wrap get u4 0",
        "ACL SETUSER reader on nopass %R~read* +@all",
        "ACL DRYRUN reader bitfield readstr get u4 0",
        "ACL DRYRUN reader bitfield readstr set u4 0 1",
    ] {
        same(&mut theirs, &mut ours, line, Compare::Exact);
    }
    let _ = run_clients(&[
        "a ACL SETUSER sorter on nopass (+sort ~mylist)",
        "a LPUSH mylist 1",
        "b AUTH sorter x",
        "b SORT mylist",
        "b SORT mylist BY v*",
        "b SORT mylist GET v*",
        "a ACL SETUSER sorter (+sort ~mylist %R~*)",
        "b SORT mylist BY v*",
        "b SORT mylist BY nosort",
    ]);
}

/// An address of this host other than the loopback one, to connect from "another host".
fn non_loopback_address() -> Option<std::net::IpAddr> {
    ["192.0.2.1:9", "10.0.0.1:9", "8.8.8.8:53"].iter().find_map(|target| {
        let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
        socket.connect(target).ok()?;
        let ip = socket.local_addr().ok()?.ip();
        (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
    })
}

/// The first reply a client connecting from `ip` gets to a PING.
fn first_reply(ip: std::net::IpAddr, port: u16) -> Vec<u8> {
    use std::io::{BufRead, Write};
    let mut stream = std::net::TcpStream::connect((ip, port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let _ = stream.write_all(b"PING\r\n");
    let mut reply = Vec::new();
    let _ = std::io::BufReader::new(stream).read_until(b'\n', &mut reply);
    reply
}

/// Protected mode as Redis 7.0 applies it: while the `default` user has no password, a client
/// from another address than the loopback one gets Redis's DENIED error and is closed; CONFIG
/// SET protected-mode no, or a password, lets it in.
#[test]
fn protected_mode_refuses_other_hosts_as_redis_does() {
    let Some(ip) = non_loopback_address() else {
        common::skip("this host has no address but the loopback one");
        return;
    };
    let Some(redis) = RedisServer::start_with(&["--bind", "0.0.0.0"]) else {
        return;
    };
    let server = Server::start(Store::new(), "0.0.0.0:0").unwrap();
    let ports = [redis.port, server.addr().port()];
    let replies = |ports: &[u16]| ports.iter().map(|&port| first_reply(ip, port)).collect::<Vec<_>>();
    let denied = replies(&ports);
    assert!(
        denied[0].starts_with(b"-DENIED Redis is running in protected mode"),
        "{:?}",
        String::from_utf8_lossy(&denied[0])
    );
    assert_eq!(denied[1], denied[0]);
    let admin = |port: u16, line: &str| RawClient::connect(port).call(&words(line));
    for port in ports {
        assert_eq!(admin(port, "PING"), b"+PONG\r\n", "the loopback interface is let in");
        assert_eq!(admin(port, "CONFIG SET protected-mode no"), b"+OK\r\n");
    }
    assert_eq!(replies(&ports), vec![b"+PONG\r\n".to_vec(); 2]);
    for port in ports {
        assert_eq!(admin(port, "CONFIG SET protected-mode yes"), b"+OK\r\n");
        assert_eq!(admin(port, "CONFIG SET requirepass secret"), b"+OK\r\n");
    }
    let with_password = replies(&ports);
    assert!(
        with_password[0].starts_with(b"-NOAUTH"),
        "{:?}",
        String::from_utf8_lossy(&with_password[0])
    );
    assert_eq!(with_password[1], with_password[0]);
}

/// What each category grants, against redis-server: a user with only `+@<category>` (and every
/// key and channel), then every category but that one (`+@all -@<category>`), asked with DRYRUN
/// about commands of every kind.
#[test]
fn each_category_grants_what_redis_grants() {
    let Some((_redis, _server, mut theirs, mut ours)) = pair() else {
        return;
    };
    const COMMANDS: &[&str] = &[
        "get k",
        "set k v",
        "del k",
        "expire k 1",
        "keys *",
        "scan 0",
        "lpush k v",
        "lrange k 0 -1",
        "blpop k 1",
        "sadd k m",
        "smembers k",
        "zadd k 1 m",
        "zrange k 0 -1",
        "bzpopmin k 1",
        "hset k f v",
        "hgetall k",
        "setbit k 0 1",
        "bitcount k",
        "pfadd k a",
        "pfcount k",
        "geoadd k 1 1 m",
        "geopos k m",
        "xadd k * f v",
        "xrange k - +",
        "xreadgroup group g c streams k >",
        "publish c m",
        "subscribe c",
        "pubsub channels",
        "config get port",
        "config set port 1",
        "client list",
        "debug object k",
        "flushall",
        "info",
        "ping",
        "echo x",
        "hello 3",
        "auth p",
        "select 1",
        "multi",
        "exec",
        "watch k",
        "eval \"return 1\" 0",
        "function list",
        "script flush",
        "save",
        "shutdown",
        "monitor",
        "acl whoami",
        "acl setuser x",
        "command info get",
        "slowlog get",
        "migrate h 1 k 0 1",
        "sort k",
        "object encoding k",
        "wait 0 0",
    ];
    for category in categories(&mut theirs) {
        for rules in [format!("+@{category}"), format!("+@all -@{category}")] {
            same(
                &mut theirs,
                &mut ours,
                &format!("ACL SETUSER cat reset on nopass ~* &* {rules}"),
                Compare::Exact,
            );
            for command in COMMANDS {
                same(
                    &mut theirs,
                    &mut ours,
                    &format!("ACL DRYRUN cat {command}"),
                    Compare::Exact,
                );
            }
            same(&mut theirs, &mut ours, "ACL LIST", Compare::Words);
        }
    }
}

/// An `aclfile` as Redis keeps it: loaded at the start, ACL SAVE writes the users (as ACL LIST
/// shows them), ACL LOAD puts the file's users in place of all — or, with errors (reported
/// line by line, as Redis words them), changes nothing — and closes the connections of the users
/// it replaced.
#[test]
fn an_aclfile_is_loaded_and_saved_as_redis_does() {
    let dir = common::fresh_dir(0);
    let (theirs_file, ours_file) = (dir.join("theirs.acl"), dir.join("ours.acl"));
    let first = "user alice on >pw ~* +@all\nuser default on nopass ~* &* +@all\n";
    for file in [&theirs_file, &ours_file] {
        std::fs::write(file, first).unwrap();
    }
    let theirs_path = theirs_file.display().to_string();
    let Some(redis) = RedisServer::start_with(&["--aclfile", &theirs_path]) else {
        return;
    };
    let mut config = embedis::server::Config::default();
    config.aclfile = Some(ours_file.clone());
    let server = Server::start_with(Store::new(), "127.0.0.1:0", config).unwrap();
    let (mut theirs, mut ours) = (redis.client(), RawClient::connect(server.addr().port()));
    let masked = |raw: Vec<u8>| {
        String::from_utf8_lossy(&raw)
            .replace(&theirs_path, "<file>")
            .replace(&ours_file.display().to_string(), "<file>")
    };
    let both = |theirs: &mut RawClient, ours: &mut RawClient, line: &str| {
        let argv = words(line);
        assert_eq!(masked(ours.call(&argv)), masked(theirs.call(&argv)), "{line}");
    };
    same(&mut theirs, &mut ours, "ACL LIST", Compare::Words);
    both(&mut theirs, &mut ours, "ACL SETUSER bob on nopass +get ~k*");
    both(&mut theirs, &mut ours, "ACL SAVE");
    let lines = |file: &std::path::Path| {
        let mut lines: Vec<Vec<String>> = std::fs::read_to_string(file)
            .unwrap()
            .lines()
            .map(|line| {
                let mut words: Vec<String> = line.split(' ').map(str::to_owned).collect();
                words.sort();
                words
            })
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(lines(&ours_file), lines(&theirs_file));
    // A client of a user the next load replaces is closed; the file's users are the users.
    let alice = |port: u16| {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        stream.write_all(b"AUTH alice pw\r\n").unwrap();
        let mut ok = [0u8; 5];
        stream.read_exact(&mut ok).unwrap();
        assert_eq!(&ok, b"+OK\r\n");
        stream
    };
    let mut alices = [alice(redis.port), alice(server.addr().port())];
    let second = "user carol on nopass +ping\n\n  user default on nopass ~* &* +@all  \n";
    for file in [&theirs_file, &ours_file] {
        std::fs::write(file, second).unwrap();
    }
    both(&mut theirs, &mut ours, "ACL LOAD");
    same(&mut theirs, &mut ours, "ACL USERS", Compare::Exact);
    for stream in &mut alices {
        assert!(closed(stream), "a replaced user's connection is closed");
    }
    // Bad files change nothing, and say why.
    let bad =
        "user dave on +nosuch ~*\nuser dave on\nuser \"x y\"\nnope line\nuser eve (+get\nuser frank on %X~k <none\n";
    for file in [&theirs_file, &ours_file] {
        std::fs::write(file, bad).unwrap();
    }
    both(&mut theirs, &mut ours, "ACL LOAD");
    same(&mut theirs, &mut ours, "ACL USERS", Compare::Exact);
    for file in [&theirs_file, &ours_file] {
        std::fs::remove_file(file).unwrap();
    }
    both(&mut theirs, &mut ours, "ACL LOAD");
    server.stop();
    // A server does not start on an aclfile that does not load.
    let mut config = embedis::server::Config::default();
    config.aclfile = Some(ours_file.clone());
    assert!(Server::start_with(Store::new(), "127.0.0.1:0", config).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `acl-pubsub-default allchannels`: new users, selectors and `reset` start with every channel,
/// as in Redis.
#[test]
fn acl_pubsub_default_sets_what_new_users_start_with() {
    let Some((_redis, _server, mut theirs, mut ours)) = pair() else {
        return;
    };
    for line in [
        "CONFIG SET acl-pubsub-default allchannels",
        "ACL SETUSER new on nopass +@all ~* (+get ~x)",
        "ACL GETUSER new",
        "ACL DRYRUN new publish anything m",
        "ACL SETUSER old resetchannels",
        "CONFIG SET acl-pubsub-default resetchannels",
        "ACL SETUSER new reset",
        "ACL GETUSER new",
        "CONFIG SET acl-pubsub-default allchannels",
        "ACL SETUSER new reset",
        "ACL GETUSER new",
        "CONFIG GET acl-pubsub-default",
    ] {
        same(&mut theirs, &mut ours, line, Compare::Exact);
    }
}
