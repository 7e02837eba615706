//! Fuzzes the server's request parser: any bytes, cut anywhere, must parse to commands, a wait for
//! more, or a protocol error — never a panic, never a position outside the input, and the same
//! commands whether the bytes come whole or in two pieces.
//!
//! Run with `cargo +nightly fuzz run request_parser` from the repository root.
#![no_main]

use embedis::server::protocol::{RequestParser, Step};
use libfuzzer_sys::fuzz_target;

/// Every command `parser` reads from `input` fed in the pieces `cuts` make, or where it erred.
fn parse(input: &[u8], cut: usize) -> (Vec<Vec<Vec<u8>>>, bool) {
    let mut parser = RequestParser::new();
    let (mut buf, mut pos, mut commands) = (Vec::new(), 0, Vec::new());
    for piece in [&input[..cut], &input[cut..]] {
        buf.extend_from_slice(piece);
        loop {
            match parser.next(&buf, &mut pos) {
                Ok(Step::Command(argv)) => commands.push(argv.iter().map(<[u8]>::to_vec).collect()),
                Ok(Step::Empty) => {}
                Ok(Step::NeedMore) => break,
                Err(_) => return (commands, true),
            }
            assert!(pos <= buf.len());
        }
    }
    (commands, false)
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let cut = data[0] as usize % data.len();
    let whole = parse(&data[1..], 0);
    let split = parse(&data[1..], cut.min(data.len() - 1));
    assert_eq!(whole, split);
});
