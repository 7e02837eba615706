//! The argument cursor: reads typed arguments off an [`Argv`] with Redis's errors.

use crate::argv::Argv;
use crate::error::CommandError;
use crate::number::parse_i64;

/// Reads a command's arguments in order.
pub(crate) struct Args<'a> {
    argv: &'a Argv,
    pos: usize,
}

impl<'a> Args<'a> {
    /// A cursor at argument `pos` (1 is the first argument after the command name).
    pub(crate) fn new(argv: &'a Argv, pos: usize) -> Args<'a> {
        Args { argv, pos }
    }

    /// The next argument, if any.
    pub(crate) fn next(&mut self) -> Option<&'a [u8]> {
        let arg = self.argv.get(self.pos)?;
        self.pos += 1;
        Some(arg)
    }

    /// The next argument, or a syntax error if there is none.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], CommandError> {
        self.next().ok_or(CommandError::Syntax)
    }

    /// The next argument as an integer (`ERR value is not an integer or out of range`).
    pub(crate) fn i64(&mut self) -> Result<i64, CommandError> {
        int(self.bytes()?)
    }

    /// How many arguments are left.
    pub(crate) fn remaining(&self) -> usize {
        self.argv.len().saturating_sub(self.pos)
    }

    /// The arguments left, in order.
    pub(crate) fn rest(&mut self) -> impl Iterator<Item = &'a [u8]> + '_ {
        std::iter::from_fn(|| self.next())
    }
}

/// An argument as a 64-bit integer, by Redis's strict rules.
pub(crate) fn int(arg: &[u8]) -> Result<i64, CommandError> {
    parse_i64(arg).ok_or(CommandError::NotInteger)
}

/// An argument as a C `int` (Redis's `getIntFromObjectOrReply`): integers beyond 32 bits are
/// `ERR value is out of range, value must between …`.
pub(crate) fn int32(arg: &[u8]) -> Result<i32, CommandError> {
    i32::try_from(int(arg)?)
        .map_err(|_| CommandError::other("ERR value is out of range, value must between -2147483648 and 2147483647"))
}

/// Redis's `getRangeLongFromObjectOrReply`: an integer within `min..=max`. Out of range (or not an
/// integer, when `message` is given) answers `message`, else Redis's generic texts.
pub(crate) fn ranged(arg: &[u8], min: i64, max: i64, message: Option<&'static str>) -> Result<i64, CommandError> {
    let out_of_range = || match message {
        Some(line) => CommandError::other(line),
        None => CommandError::Other(format!("ERR value is out of range, must be between {min} and {max}").into()),
    };
    let n = match int(arg) {
        Ok(n) => n,
        Err(e) => return Err(message.map_or(e, CommandError::other)),
    };
    if n < min || n > max {
        return Err(out_of_range());
    }
    Ok(n)
}

/// Whether `arg` is the option `name`, compared as Redis's `strcasecmp` does (up to a NUL byte).
pub(crate) fn is_option(arg: &[u8], name: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(name.as_bytes())
}

/// The argument as C reads it: up to the first NUL byte.
pub(crate) fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(nul) => &arg[..nul],
        None => arg,
    }
}

/// An argument quoted inside an error line, as Redis's `addReplyErrorFormat` prints it: as a C string,
/// with CR and LF turned into spaces.
pub(crate) fn error_text(arg: &[u8]) -> String {
    String::from_utf8_lossy(c_str(arg)).replace(['\r', '\n'], " ")
}
