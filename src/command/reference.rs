//! Redis's own description of the commands embedis implements: the COMMAND INFO entry (flags,
//! ACL categories, tips, key specs) and the COMMAND DOCS document (summary, since, group,
//! complexity, history, arguments) of each, as Redis 7.0.15 answers them.
//!
//! The data (`redis_commands.resp`, from Redis's BSD-licensed command JSON files by way of its
//! COMMAND replies) is RESP3: for each top-level command, an array of its name, its INFO entry
//! and its DOCS document. `tests/command_docs.rs` regenerates it from redis-server and checks
//! COMMAND INFO and DOCS against redis-server command by command; the unit tests below check the
//! command table's arities, key positions and flags against it. A container's entry and document
//! list only the subcommands embedis has.

use std::sync::OnceLock;

use super::table::{CommandSpec, subcommands};
use crate::keyspace::Map;
use crate::reply::Reply;

const DATA: &[u8] = include_bytes!("redis_commands.resp");

/// A command's INFO entry and DOCS document.
struct Description {
    info: Reply,
    docs: Reply,
}

/// Every description, by top-level name; empty if the data does not parse (a unit test says so).
fn descriptions() -> &'static Map<String, Description> {
    static PARSED: OnceLock<Map<String, Description>> = OnceLock::new();
    PARSED.get_or_init(|| parse_all(DATA).unwrap_or_default())
}

fn parse_all(mut data: &[u8]) -> Option<Map<String, Description>> {
    let mut all = Map::default();
    while !data.is_empty() {
        let Reply::Array(fields) = parse(&mut data, 0)? else {
            return None;
        };
        let [Reply::Bulk(name), info, docs] = <[Reply; 3]>::try_from(fields).ok()? else {
            return None;
        };
        all.insert(String::from_utf8(name).ok()?, Description { info, docs });
    }
    Some(all)
}

/// One RESP3 value of the kinds COMMAND's replies hold, from the front of `data`.
fn parse(data: &mut &[u8], depth: usize) -> Option<Reply> {
    if depth > 32 {
        return None;
    }
    let end = data.windows(2).position(|w| w == b"\r\n")?;
    let (kind, text) = (*data.first()?, std::str::from_utf8(&data[1..end]).ok()?);
    *data = &data[end + 2..];
    let items = |data: &mut &[u8], n: usize| -> Option<Vec<Reply>> { (0..n).map(|_| parse(data, depth + 1)).collect() };
    Some(match kind {
        b'+' => Reply::Status(text.to_string().into()),
        b':' => Reply::Integer(text.parse().ok()?),
        b'_' => Reply::Nil,
        b'$' => {
            let len: usize = text.parse().ok()?;
            let body = data.get(..len)?.to_vec();
            *data = data.get(len + 2..)?;
            Reply::Bulk(body)
        }
        b'*' => Reply::Array(items(data, text.parse().ok()?)?),
        b'~' => Reply::Set(items(data, text.parse().ok()?)?),
        b'%' => {
            let mut flat = items(data, text.parse::<usize>().ok()? * 2)?.into_iter();
            let mut pairs = Vec::with_capacity(flat.len() / 2);
            while let (Some(key), Some(value)) = (flat.next(), flat.next()) {
                pairs.push((key, value));
            }
            Reply::Map(pairs)
        }
        _ => return None,
    })
}

/// Whether `reply` is the bulk string `text`.
fn is_bulk(reply: &Reply, text: &str) -> bool {
    matches!(reply, Reply::Bulk(bytes) if bytes == text.as_bytes())
}

/// Whether `entry` is the COMMAND INFO entry of `name` (its first field).
fn names(entry: &Reply, name: &str) -> bool {
    matches!(entry, Reply::Array(fields) if fields.first().is_some_and(|first| is_bulk(first, name)))
}

/// The COMMAND INFO entry's fields of the command `name` (a subcommand as `container|sub`).
fn entry_fields(name: &str) -> Option<&'static [Reply]> {
    let top = name.split('|').next().unwrap_or(name);
    let Some(Reply::Array(fields)) = descriptions().get(top).map(|d| &d.info) else {
        return None;
    };
    if top == name {
        return Some(fields);
    }
    match fields.last() {
        Some(Reply::Array(subs)) => match subs.iter().find(|sub| names(sub, name)) {
            Some(Reply::Array(sub)) => Some(sub),
            _ => None,
        },
        _ => None,
    }
}

/// Whether Redis flags the command `name` (a subcommand as `container|sub`) `fast`: LATENCY
/// files its slow runs as `fast-command` rather than `command`.
pub(crate) fn is_fast(name: &str) -> bool {
    flagged(name, "fast")
}

/// Whether Redis refuses the command `name` (a subcommand as `container|sub`) once `maxmemory`
/// is reached and nothing more can be evicted (its `denyoom` flag).
pub(crate) fn denied_out_of_memory(name: &str) -> bool {
    flagged(name, "denyoom")
}

/// Whether Redis gives the command `name` (a subcommand as `container|sub`) the flag `flag`
/// (`fast`, `admin`, `skip_monitor`, …) in COMMAND INFO.
pub(crate) fn flagged(name: &str, flag: &str) -> bool {
    matches!(entry_fields(name).and_then(|fields| fields.get(2)), Some(Reply::Set(flags) | Reply::Array(flags))
        if flags.iter().any(|f| matches!(f, Reply::Status(s) if s == flag)))
}

/// The value of `name` in a map reply's pairs.
fn field<'a>(reply: &'a Reply, name: &str) -> Option<&'a Reply> {
    match reply {
        Reply::Map(pairs) => pairs.iter().find(|(key, _)| is_bulk(key, name)).map(|(_, value)| value),
        _ => None,
    }
}

/// An integer field of a map reply.
fn number(reply: &Reply, name: &str) -> Option<i64> {
    match field(reply, name)? {
        Reply::Integer(n) => Some(*n),
        _ => None,
    }
}

/// The keys Redis's key specs (COMMAND INFO's tenth field) find in `argv` for the command
/// `name`, each with its spec's flags (a set of statuses: `RW`, `access`, …), spec by spec as
/// Redis's `getKeysUsingKeySpecs` reads them. Stops at the first spec it cannot follow (an
/// `unknown` search, a count that is not one, keys beyond the arguments), where Redis turns to
/// the command's own key finder: what was found before stays.
pub(crate) fn keys_by_spec(name: &str, argv: &crate::argv::Argv) -> Vec<(usize, &'static Reply)> {
    let mut found = Vec::new();
    let Some(Reply::Array(specs) | Reply::Set(specs)) = entry_fields(name).and_then(|fields| fields.get(8)) else {
        return found;
    };
    let argc = argv.len() as i64;
    for spec in specs {
        let Some(flags) = field(spec, "flags") else { break };
        if matches!(flags, Reply::Set(f) if f.iter().any(|f| matches!(f, Reply::Status(s) if s == "not_key"))) {
            continue;
        }
        let (Some(begin), Some(find)) = (field(spec, "begin_search"), field(spec, "find_keys")) else {
            break;
        };
        let (Some(begin_spec), Some(find_spec)) = (field(begin, "spec"), field(find, "spec")) else {
            break;
        };
        let first = if is_type(begin, "index") {
            let Some(index) = number(begin_spec, "index") else {
                break;
            };
            index
        } else if is_type(begin, "keyword") {
            let (Some(Reply::Bulk(keyword)), Some(from)) =
                (field(begin_spec, "keyword"), number(begin_spec, "startfrom"))
            else {
                break;
            };
            // Forwards from `startfrom` (a keyword last has no key after it), or backwards from
            // the end for a negative one (down to the second argument, as Redis stops there).
            let positions: Box<dyn Iterator<Item = i64>> = if from > 0 {
                Box::new(from..argc - 1)
            } else {
                Box::new((2..=argc + from).rev())
            };
            match positions
                .take_while(|i| (1..argc).contains(i))
                .find(|i| argv.arg(*i as usize).eq_ignore_ascii_case(keyword))
            {
                Some(at) => at + 1,
                None => continue,
            }
        } else {
            break;
        };
        let (first, last, step) = if is_type(find, "range") {
            let (Some(last_key), Some(step), Some(limit)) = (
                number(find_spec, "lastkey"),
                number(find_spec, "keystep"),
                number(find_spec, "limit"),
            ) else {
                break;
            };
            let last = match (last_key, limit) {
                (n, _) if n >= 0 => first + n,
                (n, 0) => argc + n,
                (n, limit) => first + ((argc - first) / limit + n),
            };
            (first, last, step)
        } else if is_type(find, "keynum") {
            let (Some(count_at), Some(first_key), Some(step)) = (
                number(find_spec, "keynumidx"),
                number(find_spec, "firstkey"),
                number(find_spec, "keystep"),
            ) else {
                break;
            };
            let Some(count) = argv
                .get((first + count_at) as usize)
                .and_then(crate::number::parse_i64)
                .filter(|n| *n >= 0)
            else {
                break;
            };
            (first + first_key, first + first_key + count - 1, step)
        } else {
            break;
        };
        if last >= argc || last < first || first >= argc || step < 1 {
            break;
        }
        found.extend((first..=last).step_by(step as usize).map(|i| (i as usize, flags)));
        if matches!(flags, Reply::Set(f) if f.iter().any(|f| matches!(f, Reply::Status(s) if s == "incomplete"))) {
            break;
        }
    }
    found
}

/// Whether a key spec's search is of `kind` (`index`, `keyword`, `range`, `keynum`).
fn is_type(search: &Reply, kind: &str) -> bool {
    field(search, "type").is_some_and(|t| is_bulk(t, kind))
}

/// The flags of the last key spec of the command `name` (SORT's is its STORE destination's).
pub(crate) fn last_key_spec_flags(name: &str) -> Option<&'static Reply> {
    match entry_fields(name)?.get(8)? {
        Reply::Array(specs) | Reply::Set(specs) => field(specs.last()?, "flags"),
        _ => None,
    }
}

/// Whether `spec` (a subcommand of `container`, if given) is in the ACL category `category`
/// (without its `@`, case-insensitive), as its COMMAND INFO entry lists its categories.
pub(crate) fn in_category(spec: &CommandSpec, container: Option<&CommandSpec>, category: &[u8]) -> bool {
    let Some(Reply::Array(fields)) = info(spec, container) else {
        return false;
    };
    let (Some(Reply::Array(categories)) | Some(Reply::Set(categories))) = fields.get(6) else {
        return false;
    };
    categories.iter().any(|c| match c {
        Reply::Status(name) => name
            .strip_prefix('@')
            .is_some_and(|name| name.as_bytes().eq_ignore_ascii_case(category)),
        Reply::Bulk(name) => name
            .strip_prefix(b"@")
            .is_some_and(|name| name.eq_ignore_ascii_case(category)),
        _ => false,
    })
}

/// `spec`'s COMMAND INFO entry as Redis gives it (a container's listing only the subcommands
/// in `container`), or `None` if Redis's description has no such command.
pub(crate) fn info(spec: &CommandSpec, container: Option<&CommandSpec>) -> Option<Reply> {
    let top = container.unwrap_or(spec);
    let entry = &descriptions().get(top.name)?.info;
    let Reply::Array(fields) = entry else { return None };
    if container.is_some() {
        // A subcommand: the entry in its container's list of subcommands (the last field).
        let Some(Reply::Array(subs)) = fields.last() else {
            return None;
        };
        return subs.iter().find(|sub| names(sub, spec.name)).cloned();
    }
    let mut fields = fields.clone();
    if let Some(Reply::Array(subs)) = fields.last_mut() {
        subs.retain(|sub| subcommands(spec).any(|s| names(sub, s.name)));
    }
    Some(Reply::Array(fields))
}

/// `spec`'s COMMAND DOCS document as Redis gives it (a container's listing only the subcommands
/// in `container`), or `None` if Redis's description has no such command.
pub(crate) fn docs(spec: &CommandSpec, container: Option<&CommandSpec>) -> Option<Reply> {
    let top = container.unwrap_or(spec);
    let Reply::Map(fields) = &descriptions().get(top.name)?.docs else {
        return None;
    };
    let subcommands_field = |fields: &[(Reply, Reply)]| fields.iter().position(|(key, _)| is_bulk(key, "subcommands"));
    if container.is_some() {
        let (_, Reply::Map(subs)) = &fields[subcommands_field(fields)?] else {
            return None;
        };
        return subs
            .iter()
            .find(|(name, _)| is_bulk(name, spec.name))
            .map(|(_, docs)| docs.clone());
    }
    let mut fields = fields.clone();
    if let Some(at) = subcommands_field(&fields)
        && let (_, Reply::Map(subs)) = &mut fields[at]
    {
        subs.retain(|(name, _)| subcommands(spec).any(|s| is_bulk(name, s.name)));
    }
    Some(Reply::Map(fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::table::{self, flags};

    #[test]
    fn the_data_parses_and_describes_every_command_of_the_table() {
        let parsed = parse_all(DATA).expect("redis_commands.resp parses");
        for spec in table::all(true) {
            assert!(parsed.contains_key(spec.name), "{} has no description", spec.name);
            for sub in subcommands(spec) {
                assert!(info(sub, Some(spec)).is_some(), "{} has no INFO entry", sub.name);
                assert!(docs(sub, Some(spec)).is_some(), "{} has no DOCS", sub.name);
            }
        }
    }

    /// The table's arity, key positions and the flags embedis acts on agree with Redis's.
    #[test]
    fn the_table_agrees_with_redis() {
        let mut specs: Vec<(&CommandSpec, Option<&CommandSpec>)> = Vec::new();
        for spec in table::all(true) {
            specs.push((spec, None));
            specs.extend(subcommands(spec).map(|sub| (sub, Some(spec))));
        }
        let mut disagreements = Vec::new();
        for (spec, container) in specs {
            let Some(Reply::Array(fields)) = info(spec, container) else {
                panic!("{}: no entry", spec.name)
            };
            let number = |i: usize| match fields[i] {
                Reply::Integer(n) => n as i32,
                _ => panic!("{}: field {i} is not an integer", spec.name),
            };
            if number(1) != spec.arity {
                disagreements.push(format!("{}: arity {} in Redis", spec.name, number(1)));
            }
            let keys = (number(3), number(4), number(5));
            if keys != spec.keys.legacy_range() {
                disagreements.push(format!("{}: keys {keys:?} in Redis", spec.name));
            }
            let Reply::Set(redis_flags) = &fields[2] else { panic!() };
            let has = |flag: &str| redis_flags.contains(&Reply::Status(flag.to_string().into()));
            for (flag, name) in [
                (flags::WRITE, "write"),
                (flags::NO_SCRIPT, "noscript"),
                (flags::BLOCKING, "blocking"),
                (flags::NO_MULTI, "no_multi"),
            ] {
                if spec.has(flag) != has(name) {
                    disagreements.push(format!("{}: flag {name} is {} in Redis", spec.name, has(name)));
                }
            }
        }
        assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    }

    /// Every word and number of a reply, depth first.
    fn flatten(reply: &Reply, out: &mut Vec<String>) {
        match reply {
            Reply::Bulk(b) => out.push(String::from_utf8_lossy(b).into_owned()),
            Reply::Status(s) => out.push(s.to_string()),
            Reply::Integer(n) => out.push(n.to_string()),
            Reply::Array(items) | Reply::Set(items) => items.iter().for_each(|i| flatten(i, out)),
            Reply::Map(pairs) => pairs.iter().for_each(|(k, v)| {
                flatten(k, out);
                flatten(v, out);
            }),
            _ => {}
        }
    }

    /// A row that reads a count of keys declares it where Redis's key specs have a `keynum`
    /// search, and only such rows do; EVAL and FCALL's keys are optional exactly where Redis
    /// flags `no_mandatory_keys`.
    #[test]
    fn counted_keys_agree_with_redis_key_specs() {
        for spec in table::all(true) {
            let Some(entry) = info(spec, None) else { continue };
            let mut words = Vec::new();
            flatten(&entry, &mut words);
            let keynum_at: Vec<usize> = words
                .windows(9)
                .filter(|w| w[0] == "begin_search" && w[2] == "index" && w[6] == "find_keys" && w[8] == "keynum")
                .filter_map(|w| w[5].parse().ok())
                .collect();
            let optional = words.iter().any(|w| w == "no_mandatory_keys");
            match spec.keys {
                table::Keys::Counted { at, optional: ours } => {
                    assert_eq!(keynum_at, [at], "{}: the count's position", spec.name);
                    assert_eq!(ours, optional, "{}: optional keys", spec.name);
                }
                table::Keys::DestinationAndCounted => assert_eq!(keynum_at, [2], "{}", spec.name),
                _ => assert!(keynum_at.is_empty(), "{} reads a count of keys in Redis", spec.name),
            }
        }
    }
}
