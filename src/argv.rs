//! Command lines: [`Argv`], the owned argument vector every command runs from, and [`ToArgs`], what can
//! become arguments.

use std::fmt;

use crate::number::Decimal;

/// One command line: the command name followed by its arguments, each a binary-safe byte string.
///
/// Every path into the store (the raw [`Connection::call`](crate::Connection::call), the typed methods of
/// [`Commands`](crate::Commands), transactions, the server) builds an `Argv` and hands it to the same
/// command handler — save the typed calls of GET and the counters, which hand the handler's core
/// their key where nothing observes commands as command lines. The arguments live in one buffer:
/// building one costs no allocation for short command lines (up to eight arguments of 48 bytes
/// in all).
///
/// ```
/// use embedis::Argv;
///
/// let argv = Argv::from_args(("SET", "counter", 10));
/// assert_eq!(argv.len(), 3);
/// assert_eq!(argv.get(2), Some(&b"10"[..]));
/// assert_eq!(format!("{argv:?}"), r#"["SET", "counter", "10"]"#);
/// ```
#[derive(Clone)]
pub struct Argv {
    buf: Bytes,
    ends: Ends,
}

impl Default for Argv {
    fn default() -> Argv {
        Argv::new()
    }
}

impl PartialEq for Argv {
    fn eq(&self, other: &Argv) -> bool {
        self.buf == other.buf && self.ends == other.ends
    }
}

impl Eq for Argv {}

/// How many bytes of arguments an [`Argv`] keeps without allocating.
const INLINE_BYTES: usize = 48;

/// How many argument boundaries an [`Argv`] keeps without allocating.
const INLINE_ARGS: usize = 8;

/// The bytes of all arguments.
type Bytes = InlineVec<u8, INLINE_BYTES>;

/// Where each argument ends in the bytes.
type Ends = InlineVec<u32, INLINE_ARGS>;

/// A vector that keeps its first `N` items inline and moves to the heap past them, so a typical
/// command line costs no allocation at all.
#[derive(Clone)]
enum InlineVec<T: Copy + Default, const N: usize> {
    Inline { len: u8, items: [T; N] },
    Heap(Vec<T>),
}

/// The items an [`InlineVec`] holds: plain numbers with a zero to fill the unused room.
trait Item: Copy + Default {
    const ZERO: Self;

    /// `dst.copy_from_slice(src)`, as fast as the type allows.
    fn copy(dst: &mut [Self], src: &[Self]) {
        dst.copy_from_slice(src);
    }
}

impl Item for u8 {
    const ZERO: u8 = 0;

    fn copy(dst: &mut [u8], src: &[u8]) {
        crate::keyspace::copy_bytes(dst, src);
    }
}

impl Item for u32 {
    const ZERO: u32 = 0;
}

impl<T: Item, const N: usize> InlineVec<T, N> {
    /// Empty, as a constant: an empty command line is copied whole from it rather than written
    /// piece by piece (see [`Argv::new`]).
    const EMPTY: Self = InlineVec::Inline {
        len: 0,
        items: [T::ZERO; N],
    };
}

impl<T: Item, const N: usize> InlineVec<T, N> {
    fn as_slice(&self) -> &[T] {
        match self {
            InlineVec::Inline { len, items } => &items[..*len as usize],
            InlineVec::Heap(v) => v,
        }
    }

    fn extend(&mut self, more: &[T]) {
        match self {
            InlineVec::Inline { len, items } if *len as usize + more.len() <= N => {
                let start = *len as usize;
                T::copy(&mut items[start..start + more.len()], more);
                *len += more.len() as u8;
            }
            InlineVec::Inline { .. } => {
                let mut v = Vec::with_capacity((self.as_slice().len() + more.len()).max(2 * N));
                v.extend_from_slice(self.as_slice());
                v.extend_from_slice(more);
                *self = InlineVec::Heap(v);
            }
            InlineVec::Heap(v) => v.extend_from_slice(more),
        }
    }
}

impl<T: Item + PartialEq, const N: usize> PartialEq for InlineVec<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Item + Eq, const N: usize> Eq for InlineVec<T, N> {}

impl Argv {
    /// An empty command line.
    ///
    /// ```
    /// let mut argv = embedis::Argv::new();
    /// argv.push("PING");
    /// assert_eq!(argv.len(), 1);
    /// ```
    pub fn new() -> Argv {
        // A constant, so that the empty line is written in one piece wherever it is built:
        // assembled field by field, its first move stalls on the partial writes.
        const EMPTY: Argv = Argv {
            buf: Bytes::EMPTY,
            ends: Ends::EMPTY,
        };
        EMPTY
    }

    /// A command line from anything that turns into arguments: a string, an array or vector of them, a
    /// tuple mixing strings, bytes and numbers.
    ///
    /// ```
    /// use embedis::Argv;
    /// let argv = Argv::from_args(["MSET", "a", "1", "b", "2"]);
    /// assert_eq!(argv.len(), 5);
    /// let argv = Argv::from_args(("INCRBY", b"key".to_vec(), -5));
    /// assert_eq!(argv.get(2), Some(&b"-5"[..]));
    /// ```
    pub fn from_args(args: impl ToArgs) -> Argv {
        let mut argv = Argv::new();
        args.write_args(&mut argv);
        argv
    }

    /// Appends one argument.
    ///
    /// ```
    /// let mut argv = embedis::Argv::new();
    /// argv.push("GET");
    /// argv.push(b"key\x00with nul".as_slice());
    /// assert_eq!(argv.get(1), Some(&b"key\x00with nul"[..]));
    /// ```
    pub fn push(&mut self, arg: impl AsRef<[u8]>) {
        self.buf.extend(arg.as_ref());
        self.ends.extend(&[self.buf.as_slice().len() as u32]);
    }

    /// The number of arguments, the command name included.
    ///
    /// ```
    /// assert_eq!(embedis::Argv::from_args(["GET", "k"]).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.ends.as_slice().len()
    }

    /// How many bytes the arguments hold in all, the command name included (what Redis counts
    /// as a command's arguments' size: CLIENT LIST's `argv-mem`, a transaction's `multi-mem`).
    pub(crate) fn bytes_len(&self) -> usize {
        self.buf.as_slice().len()
    }

    /// Whether there are no arguments at all (not even a command name).
    ///
    /// ```
    /// assert!(embedis::Argv::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.ends.as_slice().is_empty()
    }

    /// Argument `index` (0 is the command name), or `None` past the end.
    ///
    /// ```
    /// let argv = embedis::Argv::from_args(["GET", "k"]);
    /// assert_eq!(argv.get(0), Some(&b"GET"[..]));
    /// assert_eq!(argv.get(2), None);
    /// ```
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        let ends = self.ends.as_slice();
        let end = *ends.get(index)? as usize;
        let start = match index {
            0 => 0,
            _ => ends[index - 1] as usize,
        };
        Some(&self.buf.as_slice()[start..end])
    }

    /// Argument `index`; the caller has checked the arity.
    pub(crate) fn arg(&self, index: usize) -> &[u8] {
        self.get(index).unwrap_or_default()
    }

    /// The arguments in order.
    ///
    /// ```
    /// let argv = embedis::Argv::from_args(["DEL", "a", "b"]);
    /// let keys: Vec<&[u8]> = argv.iter().skip(1).collect();
    /// assert_eq!(keys, [&b"a"[..], &b"b"[..]]);
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + DoubleEndedIterator + '_ {
        (0..self.len()).map(|i| self.arg(i))
    }
}

impl fmt::Debug for Argv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|a| String::from_utf8_lossy(a).into_owned()))
            .finish()
    }
}

impl ToArgs for Argv {
    fn write_args(&self, argv: &mut Argv) {
        for arg in self.iter() {
            argv.push(arg);
        }
    }
}

/// What can be written as command arguments: one (a string, bytes, a number) or several (arrays,
/// slices, vectors and tuples of those), as redis-rs's `ToRedisArgs`.
///
/// ```
/// use embedis::{Argv, ToArgs};
///
/// let mut argv = Argv::new();
/// "HSET".write_args(&mut argv);
/// ("user:1", [("name", "ada"), ("age", "36")]).write_args(&mut argv);
/// assert_eq!(argv.len(), 6);
/// assert_eq!(argv.get(5), Some(&b"36"[..]));
/// ```
pub trait ToArgs {
    /// Appends this value's arguments to `argv`.
    fn write_args(&self, argv: &mut Argv);

    /// This value's bytes, if it is exactly one argument of text or bytes (how a typed call
    /// hands over a key without writing a command line). `None` by default.
    #[doc(hidden)]
    fn as_single_bytes(&self) -> Option<&[u8]> {
        None
    }

    /// This value, if it is exactly one integer argument that fits an `i64` (a typed call's
    /// count). `None` by default.
    #[doc(hidden)]
    fn as_single_integer(&self) -> Option<i64> {
        None
    }
}

impl<T: ToArgs + ?Sized> ToArgs for &T {
    fn write_args(&self, argv: &mut Argv) {
        (**self).write_args(argv)
    }

    fn as_single_bytes(&self) -> Option<&[u8]> {
        (**self).as_single_bytes()
    }

    fn as_single_integer(&self) -> Option<i64> {
        (**self).as_single_integer()
    }
}

macro_rules! bytes_arg {
    ($($ty:ty),*) => {$(
        impl ToArgs for $ty {
            fn write_args(&self, argv: &mut Argv) {
                argv.push(AsRef::<[u8]>::as_ref(self));
            }

            fn as_single_bytes(&self) -> Option<&[u8]> {
                Some(AsRef::<[u8]>::as_ref(self))
            }
        }
    )*};
}
bytes_arg!(str, String, [u8], Vec<u8>, std::borrow::Cow<'_, [u8]>);

impl ToArgs for std::borrow::Cow<'_, str> {
    fn write_args(&self, argv: &mut Argv) {
        argv.push(self.as_bytes());
    }

    fn as_single_bytes(&self) -> Option<&[u8]> {
        Some(self.as_bytes())
    }
}

impl<const N: usize> ToArgs for [u8; N] {
    fn write_args(&self, argv: &mut Argv) {
        argv.push(self);
    }

    fn as_single_bytes(&self) -> Option<&[u8]> {
        Some(self)
    }
}

macro_rules! integer_arg {
    ($($ty:ty),*) => {$(
        impl ToArgs for $ty {
            fn write_args(&self, argv: &mut Argv) {
                let n = *self as i128;
                argv.push(Decimal::new(n < 0, n.unsigned_abs() as u64).as_bytes());
            }

            fn as_single_integer(&self) -> Option<i64> {
                i64::try_from(*self).ok()
            }
        }
    )*};
}
integer_arg!(i8, i16, i32, i64, isize, u16, u32, u64, usize);

/// A flag argument: `1` or `0` (SETBIT's value).
///
/// ```
/// use embedis::{Commands, Store};
/// let store = Store::new();
/// store.setbit("bits", 3, true)?;
/// assert_eq!(store.get("bits")?.as_deref(), Some("\u{10}"));
/// # Ok::<(), embedis::CommandError>(())
/// ```
impl ToArgs for bool {
    fn write_args(&self, argv: &mut Argv) {
        argv.push(if *self { b"1" } else { b"0" });
    }
}

macro_rules! display_arg {
    ($($ty:ty),*) => {$(
        impl ToArgs for $ty {
            fn write_args(&self, argv: &mut Argv) {
                argv.push(self.to_string());
            }
        }
    )*};
}
display_arg!(i128, u128, f32, f64);

macro_rules! many_args {
    ($($ty:ty),*) => {$(
        impl<T: ToArgs> ToArgs for $ty {
            fn write_args(&self, argv: &mut Argv) {
                for item in self.iter() {
                    item.write_args(argv);
                }
            }
        }
    )*};
}
many_args!([T], Vec<T>, std::collections::VecDeque<T>);

impl<T: ToArgs, const N: usize> ToArgs for [T; N] {
    fn write_args(&self, argv: &mut Argv) {
        for item in self {
            item.write_args(argv);
        }
    }
}

/// No arguments at all (for an empty option list).
impl ToArgs for () {
    fn write_args(&self, _argv: &mut Argv) {}
}

macro_rules! tuple_args {
    ($($name:ident),+) => {
        impl<$($name: ToArgs),+> ToArgs for ($($name,)+) {
            #[allow(non_snake_case)]
            fn write_args(&self, argv: &mut Argv) {
                let ($($name,)+) = self;
                $($name.write_args(argv);)+
            }
        }
    };
}
tuple_args!(A);
tuple_args!(A, B);
tuple_args!(A, B, C);
tuple_args!(A, B, C, D);
tuple_args!(A, B, C, D, E);
tuple_args!(A, B, C, D, E, F);
