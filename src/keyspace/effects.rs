//! The effects record: what a command did besides its reply and its touches, for whoever reads it
//! after the command — keyspace events (Redis's `notifyKeyspaceEvent`) for pub/sub and the
//! subscription API, and the form in which the command must be replayed (Redis's
//! `alsoPropagate` and argv rewriting) for an append-only file or replicas.
//!
//! Handlers report through [`Ctx::notify`](crate::command::Ctx::notify) and
//! [`Ctx::replay_as`](crate::command::Ctx::replay_as), and the keyspace itself reports expiry;
//! the runner takes the record after every command, EXEC and `atomic` call
//! (`Shared::after_command`). Nothing is recorded that nobody reads: a store without readers pays
//! one branch per report. See ARCHITECTURE.md, "Write effects".

use crate::argv::Argv;

/// The class of a keyspace event: the `notify-keyspace-events` flag that enables it. Every class
/// Redis has is here; eviction and streams raise none yet (embedis neither evicts nor has
/// streams), hence the allowance for classes not yet constructed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub(crate) enum EventClass {
    /// `g`: DEL, EXPIRE, RENAME, … — commands that work on any type.
    Generic,
    /// `$`: string commands.
    String,
    /// `l`: list commands.
    List,
    /// `s`: set commands.
    Set,
    /// `h`: hash commands.
    Hash,
    /// `z`: sorted set commands.
    SortedSet,
    /// `x`: a key removed because its TTL passed.
    Expired,
    /// `e`: a key evicted for `maxmemory`.
    Evicted,
    /// `t`: stream commands.
    Stream,
    /// `m`: a read of a missing key.
    KeyMiss,
    /// `n`: a key created.
    New,
}

impl EventClass {
    /// This class's bit in an [`Effects::want_events`] mask.
    pub(crate) const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// `notify-keyspace-events`: which events are published, and on which channels, as Redis keeps
/// it — its flag bits, read from and shown as its letters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NotifyFlags(u32);

impl NotifyFlags {
    const KEYSPACE: u32 = 1;
    const KEYEVENT: u32 = 1 << 1;
    const GENERIC: u32 = 1 << 2;
    const STRING: u32 = 1 << 3;
    const LIST: u32 = 1 << 4;
    const SET: u32 = 1 << 5;
    const HASH: u32 = 1 << 6;
    const ZSET: u32 = 1 << 7;
    const EXPIRED: u32 = 1 << 8;
    const EVICTED: u32 = 1 << 9;
    const STREAM: u32 = 1 << 10;
    const KEY_MISS: u32 = 1 << 11;
    const MODULE: u32 = 1 << 13;
    const NEW: u32 = 1 << 14;
    /// `A`: every class but key misses and new keys.
    const ALL: u32 = Self::GENERIC
        | Self::STRING
        | Self::LIST
        | Self::SET
        | Self::HASH
        | Self::ZSET
        | Self::EXPIRED
        | Self::EVICTED
        | Self::STREAM
        | Self::MODULE;
    /// The letters and their bits, in the order Redis shows them (`A` aside).
    const CLASSES: [(char, u32); 11] = [
        ('g', Self::GENERIC),
        ('$', Self::STRING),
        ('l', Self::LIST),
        ('s', Self::SET),
        ('h', Self::HASH),
        ('z', Self::ZSET),
        ('x', Self::EXPIRED),
        ('e', Self::EVICTED),
        ('t', Self::STREAM),
        ('d', Self::MODULE),
        ('n', Self::NEW),
    ];

    /// The flags of a `notify-keyspace-events` value; `None` for a letter Redis does not know.
    pub(crate) fn parse(letters: &str) -> Option<NotifyFlags> {
        let mut flags = 0;
        for letter in letters.chars() {
            flags |= match letter {
                'A' => Self::ALL,
                'K' => Self::KEYSPACE,
                'E' => Self::KEYEVENT,
                'm' => Self::KEY_MISS,
                _ => Self::CLASSES.iter().find(|(l, _)| *l == letter)?.1,
            };
        }
        Some(NotifyFlags(flags))
    }

    /// The letters CONFIG GET shows (Redis's `keyspaceEventsFlagsToString`: `A` for all the
    /// classes it stands for, then `K`, `E`, `m`).
    pub(crate) fn letters(self) -> String {
        let mut letters = String::new();
        if self.0 & Self::ALL == Self::ALL {
            letters.push('A');
        } else {
            letters.extend(
                Self::CLASSES
                    .iter()
                    .filter(|(_, bit)| self.0 & bit != 0)
                    .map(|(l, _)| *l),
            );
        }
        for (letter, bit) in [('K', Self::KEYSPACE), ('E', Self::KEYEVENT), ('m', Self::KEY_MISS)] {
            if self.0 & bit != 0 {
                letters.push(letter);
            }
        }
        letters
    }

    /// Whether events go to `__keyspace@<db>__:<key>` channels.
    pub(crate) fn keyspace(self) -> bool {
        self.0 & Self::KEYSPACE != 0
    }

    /// Whether events go to `__keyevent@<db>__:<event>` channels.
    pub(crate) fn keyevent(self) -> bool {
        self.0 & Self::KEYEVENT != 0
    }

    /// The [`EventClass`] bits to record: those enabled, if any channel is.
    pub(crate) fn classes(self) -> u16 {
        if !self.keyspace() && !self.keyevent() {
            return 0;
        }
        let all = [
            (EventClass::Generic, Self::GENERIC),
            (EventClass::String, Self::STRING),
            (EventClass::List, Self::LIST),
            (EventClass::Set, Self::SET),
            (EventClass::Hash, Self::HASH),
            (EventClass::SortedSet, Self::ZSET),
            (EventClass::Expired, Self::EXPIRED),
            (EventClass::Evicted, Self::EVICTED),
            (EventClass::Stream, Self::STREAM),
            (EventClass::KeyMiss, Self::KEY_MISS),
            (EventClass::New, Self::NEW),
        ];
        all.iter()
            .filter(|(_, bit)| self.0 & bit != 0)
            .fold(0, |mask, (class, _)| mask | class.bit())
    }
}

/// One keyspace event: `name` happened to `key` in database `db`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyEvent {
    pub(crate) class: EventClass,
    pub(crate) name: &'static str,
    pub(crate) key: Vec<u8>,
    pub(crate) db: usize,
}

/// What one command (or EXEC, or `atomic` call) recorded, as the runner hands it out.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Recorded {
    /// Keyspace events, in the order they happened.
    pub(crate) events: Vec<KeyEvent>,
    /// The command lines that replay what was written, in order (Redis's `also_propagate`):
    /// each write command as it came, or in the form that replays it exactly where sending it
    /// again would not (EXPIRE as PEXPIREAT, SPOP as SREM, a served BLPOP as LPOP), and the DEL
    /// of each key that expired or was evicted. Scripts are replayed by their writes.
    pub(crate) replay: Vec<Replayed>,
}

/// One command line to replay, in the database it ran in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Replayed {
    pub(crate) db: usize,
    pub(crate) argv: Argv,
    /// Whether the append-only file replays it too (false: replicas only, as PUBLISH).
    pub(crate) aof: bool,
}

/// The command lines one unit of replay form becomes in a stream (the AOF's, a replica's): a
/// SELECT wherever the database is not the stream's (`selected`, updated), and with `wrap`, a
/// unit of several commands inside MULTI … EXEC — the MULTI in the first one's database, the
/// EXEC in the last one's (Redis's `propagatePendingCommands`).
pub(crate) fn stream_lines(unit: &[Replayed], wrap: bool, selected: &mut Option<usize>) -> Vec<Argv> {
    let mut lines = Vec::with_capacity(unit.len() + 3);
    let mut line_in = |db: usize, argv: Argv, lines: &mut Vec<Argv>| {
        if *selected != Some(db) {
            lines.push(Argv::from_args(("SELECT", db.to_string())));
            *selected = Some(db);
        }
        lines.push(argv);
    };
    let (Some(first), Some(last)) = (unit.first(), unit.last()) else {
        return lines;
    };
    let wrapped = wrap && unit.len() > 1;
    if wrapped {
        line_in(first.db, Argv::from_args("MULTI"), &mut lines);
    }
    for replayed in unit {
        line_in(replayed.db, replayed.argv.clone(), &mut lines);
    }
    if wrapped {
        line_in(last.db, Argv::from_args("EXEC"), &mut lines);
    }
    lines
}

/// The record of the running command, kept in the keyspace, and which effects anyone reads.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    /// The [`EventClass`] bits someone reads (`notify-keyspace-events`, subscribers).
    events_wanted: u16,
    /// Whether someone reads the replay form (an append-only file, replicas).
    replay_wanted: bool,
    /// The unit's commands are replayed each alone, not inside MULTI … EXEC (SCAN and RANDOMKEY
    /// run on their own: the keys they found expired).
    replay_unwrapped: bool,
    recorded: Recorded,
}

#[cfg_attr(not(test), allow(dead_code))]
impl Effects {
    /// Records keyspace events of the classes in `mask` (a union of [`EventClass::bit`]s), and
    /// no others.
    pub(crate) fn want_events(&mut self, mask: u16) {
        self.events_wanted = mask;
    }

    /// Records the replay form, or stops recording it.
    pub(crate) fn want_replay(&mut self, wanted: bool) {
        self.replay_wanted = wanted;
    }

    /// Whether events of `class` are recorded.
    pub(crate) fn wants(&self, class: EventClass) -> bool {
        self.events_wanted & class.bit() != 0
    }

    /// Reports keyspace event `name` of `class` on `key` in database `db`.
    #[inline]
    pub(crate) fn notify(&mut self, db: usize, class: EventClass, name: &'static str, key: &[u8]) {
        if self.wants(class) {
            self.record_event(db, class, name, key);
        }
    }

    /// [`Effects::notify`] of an event someone wants.
    #[cold]
    fn record_event(&mut self, db: usize, class: EventClass, name: &'static str, key: &[u8]) {
        self.recorded.events.push(KeyEvent {
            class,
            name,
            key: key.to_vec(),
            db,
        });
    }

    /// The running unit is replayed unwrapped (see [`stream_lines`]).
    pub(crate) fn replay_unwrapped(&mut self) {
        self.replay_unwrapped = true;
    }

    /// Whether the unit taken last may be wrapped, resetting the mark.
    pub(crate) fn take_wrap(&mut self, wrap: bool) -> bool {
        wrap && !std::mem::take(&mut self.replay_unwrapped)
    }

    /// Whether the replay form is recorded.
    pub(crate) fn replay_wanted(&self) -> bool {
        self.replay_wanted
    }

    /// Reports that `argv` must be replayed in database `db` (see [`Recorded::replay`]).
    pub(crate) fn replay(&mut self, db: usize, argv: impl FnOnce() -> Argv) {
        self.record_replay(db, argv, true);
    }

    /// Reports that `argv` goes to replicas, not to the append-only file (Redis's
    /// `forceCommandPropagation(c, PROPAGATE_REPL)`: PUBLISH, SPUBLISH).
    pub(crate) fn replicate_only(&mut self, db: usize, argv: impl FnOnce() -> Argv) {
        self.record_replay(db, argv, false);
    }

    /// Records `argv` for replay in `db` (and in the append-only file if `aof`), if anyone
    /// reads the replay form.
    fn record_replay(&mut self, db: usize, argv: impl FnOnce() -> Argv, aof: bool) {
        if self.replay_wanted {
            self.recorded.replay.push(Replayed { db, argv: argv(), aof });
        }
    }

    /// Takes what was recorded since the last call, leaving the record empty.
    pub(crate) fn take(&mut self) -> Recorded {
        std::mem::take(&mut self.recorded)
    }

    /// Takes the keyspace events recorded since the last call.
    pub(crate) fn take_events(&mut self) -> Vec<KeyEvent> {
        std::mem::take(&mut self.recorded.events)
    }

    /// Takes the command lines to replay recorded since the last call.
    pub(crate) fn take_replay(&mut self) -> Vec<Replayed> {
        std::mem::take(&mut self.recorded.replay)
    }

    /// Whether any keyspace event was recorded (so the runner publishes nothing in the common
    /// case).
    pub(crate) fn has_events(&self) -> bool {
        !self.recorded.events.is_empty()
    }

    /// Whether anything is to be replayed.
    pub(crate) fn has_replay(&self) -> bool {
        !self.recorded.replay.is_empty()
    }

    /// Whether anything was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.recorded.events.is_empty() && self.recorded.replay.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_flags_read_and_show_as_redis_does() {
        for (given, shown) in [
            ("", ""),
            ("KEA", "AKE"),
            ("gx$E", "g$xE"),
            ("Agmn", "Am"),
            ("nK", "nK"),
            ("g$lshzxetd", "A"),
            ("lshzxetd", "lshzxetd"),
        ] {
            assert_eq!(
                NotifyFlags::parse(given).map(NotifyFlags::letters).as_deref(),
                Some(shown),
                "{given}"
            );
        }
        assert_eq!(NotifyFlags::parse("Q"), None);
        assert_eq!(
            NotifyFlags::parse("g").unwrap().classes(),
            0,
            "no channel: nothing recorded"
        );
        assert_eq!(NotifyFlags::parse("gK").unwrap().classes(), EventClass::Generic.bit());
    }

    #[test]
    fn only_wanted_classes_are_recorded_in_order() {
        let mut effects = Effects::default();
        effects.notify(0, EventClass::String, "set", b"k");
        assert!(effects.is_empty(), "nothing is recorded while nobody reads events");
        effects.want_events(EventClass::String.bit() | EventClass::Expired.bit());
        effects.notify(0, EventClass::Generic, "del", b"a");
        effects.notify(3, EventClass::String, "set", b"b");
        effects.notify(0, EventClass::Expired, "expired", b"c");
        let names: Vec<_> = effects
            .take()
            .events
            .into_iter()
            .map(|e| (e.db, e.name, e.key))
            .collect();
        assert_eq!(names, [(3, "set", b"b".to_vec()), (0, "expired", b"c".to_vec())]);
        assert!(effects.is_empty(), "taking empties the record");
    }

    #[test]
    fn the_replay_form_is_built_only_when_read() {
        let mut effects = Effects::default();
        effects.replay(0, || unreachable!("no replay is built while nobody reads it"));
        effects.want_replay(true);
        effects.replay(3, || Argv::from_args(("DEL", "k")));
        assert_eq!(
            effects.take().replay,
            [Replayed {
                db: 3,
                argv: Argv::from_args(("DEL", "k")),
                aof: true,
            }]
        );
    }

    #[test]
    fn expiry_raises_expired_and_is_replayed_as_a_del() {
        use crate::clock::Clock;
        use crate::keyspace::{Keyspace, Ttl, Value};
        let clock = Clock::manual();
        let mut ks = Keyspace::new(clock.clone());
        ks.effects.want_events(EventClass::Expired.bit());
        ks.effects.want_replay(true);
        ks.begin();
        let at = ks.now() + 10;
        ks.insert(2, b"lazy", Value::string(b"v".to_vec()), Ttl::At(at));
        ks.insert(0, b"active", Value::string(b"v".to_vec()), Ttl::At(at));
        ks.insert(0, b"lasting", Value::string(b"v".to_vec()), Ttl::Clear);
        clock.advance(std::time::Duration::from_millis(11));
        // A read finds `lazy` expired (time read afresh, as at a command's start)…
        ks.now.set(None);
        assert!(ks.expire_if_due(2, b"lazy"));
        // …and the next command's slice of active expiry removes `active`.
        ks.begin();
        let recorded = ks.effects.take();
        let events: Vec<_> = recorded
            .events
            .iter()
            .map(|e| (e.db, e.class, e.name, &e.key[..]))
            .collect();
        assert_eq!(
            events,
            [
                (2, EventClass::Expired, "expired", &b"lazy"[..]),
                (0, EventClass::Expired, "expired", &b"active"[..])
            ]
        );
        let replayed: Vec<_> = recorded.replay.iter().map(|r| (r.db, r.argv.clone())).collect();
        assert_eq!(
            replayed,
            [
                (2, Argv::from_args(("DEL", "lazy"))),
                (0, Argv::from_args(("DEL", "active")))
            ]
        );
    }

    #[test]
    fn a_handler_reports_in_its_clients_database() {
        use crate::command::{Caller, Ctx, Engines};
        use crate::keyspace::Keyspace;
        let mut ks = Keyspace::new(crate::clock::Clock::manual());
        ks.effects.want_events(EventClass::String.bit());
        ks.effects.want_replay(true);
        let mut engines = Engines::new(&Default::default());
        let mut ctx = Ctx::new(&mut ks, &mut engines, &Caller::internal(1, 5));
        ctx.notify(EventClass::String, "set", b"k");
        ctx.replay_as(|| Argv::from_args(("SET", "k", "v", "PXAT", "1")));
        let recorded = ks.effects.take();
        assert_eq!(recorded.events[0].db, 5);
        assert_eq!(recorded.replay.len(), 1);
    }

    #[test]
    fn writes_undone_by_atomic_leave_no_effects() {
        use crate::keyspace::{Keyspace, Ttl, Value};
        let mut ks = Keyspace::new(crate::clock::Clock::manual());
        ks.effects.want_events(EventClass::String.bit());
        ks.start_undo();
        ks.insert(0, b"k", Value::string(b"v".to_vec()), Ttl::Clear);
        ks.effects.notify(0, EventClass::String, "set", b"k");
        ks.rollback_undo();
        assert!(ks.effects.is_empty());
    }
}
