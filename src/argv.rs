//! Command lines: [`Argv`], the owned argument vector every command runs from, and [`ToArgs`], what can
//! become arguments.

use std::fmt;

use crate::command::table::CommandSpec;

/// One command line: the command name followed by its arguments, each a binary-safe byte string.
///
/// Every path into the store (the raw [`Connection::call`](crate::Connection::call), the typed methods of
/// [`Commands`](crate::Commands), transactions, the server) builds an `Argv` and hands it to the same
/// command handler. The arguments live in one buffer: building one costs a single allocation for up
/// to eight arguments.
///
/// ```
/// use embedis::Argv;
///
/// let argv = Argv::from_args(("SET", "counter", 10));
/// assert_eq!(argv.len(), 3);
/// assert_eq!(argv.get(2), Some(&b"10"[..]));
/// assert_eq!(format!("{argv:?}"), r#"["SET", "counter", "10"]"#);
/// ```
#[derive(Clone, Default)]
pub struct Argv {
    buf: Bytes,
    ends: Ends,
    /// The command's table row, when the typed API already knows it (saves the name lookup).
    pub(crate) spec: Option<&'static CommandSpec>,
}

impl PartialEq for Argv {
    fn eq(&self, other: &Argv) -> bool {
        self.buf == other.buf && self.ends == other.ends
    }
}

impl Eq for Argv {}

/// How many bytes of arguments an [`Argv`] keeps without allocating.
const INLINE_BYTES: usize = 48;

/// The bytes of all arguments: inline for short command lines, on the heap past that.
#[derive(Clone)]
enum Bytes {
    Inline { len: u8, data: [u8; INLINE_BYTES] },
    Heap(Vec<u8>),
}

impl Default for Bytes {
    fn default() -> Bytes {
        Bytes::Inline {
            len: 0,
            data: [0; INLINE_BYTES],
        }
    }
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Inline { len, data } => &data[..*len as usize],
            Bytes::Heap(v) => v,
        }
    }

    fn extend(&mut self, more: &[u8]) {
        match self {
            Bytes::Inline { len, data } if *len as usize + more.len() <= INLINE_BYTES => {
                let start = *len as usize;
                data[start..start + more.len()].copy_from_slice(more);
                *len += more.len() as u8;
            }
            Bytes::Inline { .. } => {
                let mut v = Vec::with_capacity((self.as_slice().len() + more.len()).max(2 * INLINE_BYTES));
                v.extend_from_slice(self.as_slice());
                v.extend_from_slice(more);
                *self = Bytes::Heap(v);
            }
            Bytes::Heap(v) => v.extend_from_slice(more),
        }
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Bytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// How many argument boundaries an [`Argv`] keeps without allocating.
const INLINE_ARGS: usize = 8;

/// Where each argument ends in the buffer: inline for short commands, so a typical command line
/// costs one allocation (its bytes).
#[derive(Clone)]
enum Ends {
    Inline { len: u8, ends: [u32; INLINE_ARGS] },
    Heap(Vec<u32>),
}

impl Default for Ends {
    fn default() -> Ends {
        Ends::Inline {
            len: 0,
            ends: [0; INLINE_ARGS],
        }
    }
}

impl Ends {
    fn as_slice(&self) -> &[u32] {
        match self {
            Ends::Inline { len, ends } => &ends[..*len as usize],
            Ends::Heap(v) => v,
        }
    }

    fn push(&mut self, end: u32) {
        match self {
            Ends::Inline { len, ends } if (*len as usize) < INLINE_ARGS => {
                ends[*len as usize] = end;
                *len += 1;
            }
            Ends::Inline { .. } => {
                let mut v = self.as_slice().to_vec();
                v.push(end);
                *self = Ends::Heap(v);
            }
            Ends::Heap(v) => v.push(end),
        }
    }
}

impl PartialEq for Ends {
    fn eq(&self, other: &Ends) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Ends {}

impl Argv {
    /// An empty command line.
    ///
    /// ```
    /// let mut argv = embedis::Argv::new();
    /// argv.push("PING");
    /// assert_eq!(argv.len(), 1);
    /// ```
    pub fn new() -> Argv {
        Argv::default()
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
        self.ends.push(self.buf.as_slice().len() as u32);
    }

    /// The number of arguments, the command name included.
    ///
    /// ```
    /// assert_eq!(embedis::Argv::from_args(["GET", "k"]).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.ends.as_slice().len()
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
}

impl<T: ToArgs + ?Sized> ToArgs for &T {
    fn write_args(&self, argv: &mut Argv) {
        (**self).write_args(argv)
    }
}

macro_rules! bytes_arg {
    ($($ty:ty),*) => {$(
        impl ToArgs for $ty {
            fn write_args(&self, argv: &mut Argv) {
                argv.push(AsRef::<[u8]>::as_ref(self));
            }
        }
    )*};
}
bytes_arg!(str, String, [u8], Vec<u8>, std::borrow::Cow<'_, [u8]>);

impl ToArgs for std::borrow::Cow<'_, str> {
    fn write_args(&self, argv: &mut Argv) {
        argv.push(self.as_bytes());
    }
}

impl<const N: usize> ToArgs for [u8; N] {
    fn write_args(&self, argv: &mut Argv) {
        argv.push(self);
    }
}

macro_rules! integer_arg {
    ($($ty:ty),*) => {$(
        impl ToArgs for $ty {
            fn write_args(&self, argv: &mut Argv) {
                let mut digits = [0u8; 20];
                let mut at = digits.len();
                let mut n = (*self as i128).unsigned_abs();
                loop {
                    at -= 1;
                    digits[at] = b'0' + (n % 10) as u8;
                    n /= 10;
                    if n == 0 {
                        break;
                    }
                }
                if *self < (0 as $ty) {
                    at -= 1;
                    digits[at] = b'-';
                }
                argv.push(&digits[at..]);
            }
        }
    )*};
}
integer_arg!(i8, i16, i32, i64, isize, u16, u32, u64, usize);

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
