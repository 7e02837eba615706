//! COMMAND INFO and COMMAND DOCS against redis-server, and the tool that regenerates the data they
//! come from (`src/command/redis_commands.resp`: Redis 7.0's own description of each command
//! embedis implements).
//!
//! Regenerate (with the Redis the tests compare against on PATH):
//! `cargo test --all-features --test command_docs -- --ignored regenerate`
#![cfg(feature = "server")]

mod common;

use common::{RawClient, RedisServer};
use embedis::Store;
use embedis::server::Server;

fn words(line: &str) -> Vec<Vec<u8>> {
    common::words(line)
}

/// The commands embedis-server knows: top-level names and `container|sub` names.
fn embedis_commands(client: &mut RawClient) -> Vec<String> {
    let common::Resp::Array(Some(names)) = common::parse(&client.call(&words("COMMAND LIST"))) else {
        panic!("COMMAND LIST answers an array");
    };
    names
        .into_iter()
        .map(|name| match name {
            common::Resp::Bulk(Some(name)) => String::from_utf8(name).unwrap(),
            other => panic!("a command name: {other:?}"),
        })
        .collect()
}

/// Connections speaking RESP3 (COMMAND's flags are sets, DOCS are maps) to both servers.
fn clients(redis: &RedisServer, server: &Server) -> (RawClient, RawClient) {
    let mut from_redis = redis.client();
    let mut from_embedis = RawClient::connect(server.addr().port());
    from_redis.call(&words("HELLO 3"));
    from_embedis.call(&words("HELLO 3"));
    (from_redis, from_embedis)
}

#[test]
fn command_info_and_docs_match_redis_for_every_command() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let server = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let (mut redis_client, mut embedis_client) = clients(&redis, &server);
    let names = embedis_commands(&mut embedis_client);
    assert!(names.len() > 190, "{}", names.len());
    let mut compared = 0;
    for name in &names {
        // A container's own entry lists its subcommands, and embedis implements fewer of some
        // (CLIENT, CONFIG, OBJECT, …) than Redis: each subcommand is compared on its own.
        let is_container = names.iter().any(|n| n.starts_with(&format!("{name}|")));
        if is_container {
            continue;
        }
        for sub in ["INFO", "DOCS"] {
            let argv = vec![b"COMMAND".to_vec(), sub.as_bytes().to_vec(), name.as_bytes().to_vec()];
            let expected = redis_client.call(&argv);
            let got = embedis_client.call(&argv);
            common::assert_same_bytes(&got, &expected, format!("COMMAND {sub} {name}"));
            compared += 1;
        }
    }
    assert!(compared > 300, "{compared}");
    // RESP2 shapes, and several names at once (an unknown one included).
    let mut redis2 = redis.client();
    let mut embedis2 = RawClient::connect(server.addr().port());
    for line in [
        "COMMAND DOCS get nosuch set",
        "COMMAND INFO get nosuch zadd",
        "COMMAND DOCS nosuch",
    ] {
        common::assert_same_bytes(&embedis2.call(&words(line)), &redis2.call(&words(line)), line);
    }
}

/// The README's "Not implemented yet" section names exactly the commands and subcommands that
/// redis-server lists and embedis-server does not.
#[test]
fn the_readme_lists_exactly_the_commands_embedis_lacks() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let server = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let theirs = embedis_commands(&mut redis.client());
    let ours = embedis_commands(&mut RawClient::connect(server.addr().port()));
    let mut missing: Vec<String> = theirs.into_iter().filter(|name| !ours.contains(name)).collect();
    missing.sort();

    let readme = include_str!("../README.md");
    let section = readme
        .split("\n## Not implemented yet\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README has a \"Not implemented yet\" section");
    // Every `NAME` or `CONTAINER SUB` quoted in a list item, as COMMAND LIST spells it.
    let mut listed: Vec<String> = section
        .split("\n- ")
        .skip(1)
        .flat_map(|item| item.split('`').skip(1).step_by(2))
        .filter(|quoted| {
            quoted
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == ' ' || c == '_' || c == '-')
        })
        .map(|quoted| quoted.to_lowercase().replace(' ', "|"))
        .collect();
    listed.sort();
    // A container that is missing as a whole is listed by its name alone.
    missing.retain(|name| match name.split_once('|') {
        Some((container, _)) => !listed.iter().any(|l| l == container),
        None => true,
    });
    assert_eq!(
        listed, missing,
        "README's \"Not implemented yet\" against redis-server's COMMAND LIST"
    );
}

#[test]
fn a_container_lists_only_the_subcommands_embedis_has() {
    let server = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut client = RawClient::connect(server.addr().port());
    let info = String::from_utf8_lossy(&client.call(&words("COMMAND INFO cluster"))).into_owned();
    assert!(
        info.contains("cluster|info") && !info.contains("cluster|meet"),
        "{info}"
    );
    let docs = String::from_utf8_lossy(&client.call(&words("COMMAND DOCS cluster"))).into_owned();
    assert!(
        docs.contains("cluster|info") && !docs.contains("cluster|meet"),
        "{docs}"
    );
}

/// Writes `src/command/redis_commands.resp` from the redis-server on PATH: for each top-level
/// command embedis-server knows, its name, Redis's COMMAND INFO entry and its COMMAND DOCS
/// document, in RESP3.
#[test]
#[ignore = "regenerates src/command/redis_commands.resp from redis-server"]
fn regenerate() {
    let redis = RedisServer::start().expect("regenerating needs redis-server on PATH");
    let server = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let (mut redis_client, mut embedis_client) = clients(&redis, &server);
    let version = redis_client.call(&words("INFO server"));
    let version = String::from_utf8_lossy(&version);
    assert!(
        version.contains("redis_version:7.0."),
        "the data is Redis 7.0's: {version}"
    );
    let mut out = Vec::new();
    for name in embedis_commands(&mut embedis_client) {
        if name.contains('|') {
            continue;
        }
        let argv = |sub: &str| vec![b"COMMAND".to_vec(), sub.as_bytes().to_vec(), name.as_bytes().to_vec()];
        let info = redis_client.call(&argv("INFO"));
        let docs = redis_client.call(&argv("DOCS"));
        let info_header = b"*1\r\n";
        let docs_header = format!("%1\r\n${}\r\n{name}\r\n", name.len());
        assert!(info.starts_with(info_header), "COMMAND INFO {name}: {info:?}");
        assert!(
            docs.starts_with(docs_header.as_bytes()),
            "COMMAND DOCS {name}: {docs:?}"
        );
        out.extend_from_slice(format!("*3\r\n${}\r\n{name}\r\n", name.len()).as_bytes());
        out.extend_from_slice(&info[info_header.len()..]);
        out.extend_from_slice(&docs[docs_header.len()..]);
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/command/redis_commands.resp");
    std::fs::write(path, out).unwrap();
}
