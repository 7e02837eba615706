//! LOLWUT: the version line, or one of Redis's two pieces of computer art (Redis 5's homage to
//! Georg Nees's *Schotter*, Redis 6's city skyline), drawn as Redis draws them so that where the
//! drawing has no randomness in it (a single row of squares, a one-line skyline) the bytes are
//! Redis's own.

use super::Ctx;
use super::args::int;
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::Keyspace;
use crate::reply::Reply;

/// LOLWUT [VERSION version [arg ...]]: version 5 takes `[columns [squares-per-row
/// [squares-per-column]]]`, version 6 `[columns [rows]]`; any other version (and LOLWUT without
/// VERSION) answers `Redis ver. <version>` and a newline. The version is read as Redis reads it,
/// a C `unsigned int`, so `-4294967291` is version 5 there too.
pub(crate) fn lolwut(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let mut version = None;
    let mut params = Vec::new();
    if argv.len() >= 3 && super::args::is_option(argv.arg(1), "version") {
        version = Some(int(argv.arg(2))? as u32);
        params = (3..argv.len()).map(|i| argv.arg(i)).collect();
    }
    let text = match version {
        Some(5) => schotter(ctx.ks, &params)?,
        Some(6) => skyline(ctx.ks, &params)?,
        _ => format!("Redis ver. {}\n", crate::REDIS_VERSION).into_bytes(),
    };
    Ok(Reply::Verbatim(*b"txt", text))
}

/// The `index`th numeric parameter, `default` when absent, clamped to `min..=max` as Redis
/// keeps LOLWUT cheap.
fn param(params: &[&[u8]], index: usize, default: i64, min: i64, max: i64) -> Result<i32, CommandError> {
    let value = match params.get(index) {
        Some(arg) => int(arg)?,
        None => default,
    };
    Ok(value.clamp(min, max) as i32)
}

/// Largest value of [`rand`], as C's `RAND_MAX`.
const RAND_MAX: i32 = i32::MAX;

/// A draw in `0..=RAND_MAX`, as C's `rand()`, from the keyspace's generator.
fn rand(ks: &mut Keyspace) -> i32 {
    (ks.random() >> 33) as i32
}

/// A grid of pixels, each a colour number; outside the grid reads as 0 and drawing there does
/// nothing.
struct Canvas {
    width: i32,
    height: i32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: i32, height: i32, background: u8) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![background; (width.max(0) as usize) * (height.max(0) as usize)],
        }
    }

    fn inside(&self, x: i32, y: i32) -> bool {
        (0..self.width).contains(&x) && (0..self.height).contains(&y)
    }

    fn draw(&mut self, x: i32, y: i32, color: u8) {
        if self.inside(x, y) {
            self.pixels[(x + y * self.width) as usize] = color;
        }
    }

    fn get(&self, x: i32, y: i32) -> u8 {
        if self.inside(x, y) {
            self.pixels[(x + y * self.width) as usize]
        } else {
            0
        }
    }

    /// Bresenham's line from (x1, y1) to (x2, y2), both ends included.
    fn line(&mut self, mut x1: i32, mut y1: i32, x2: i32, y2: i32, color: u8) {
        let (dx, dy) = ((x2 - x1).abs(), (y2 - y1).abs());
        let (sx, sy) = (if x1 < x2 { 1 } else { -1 }, if y1 < y2 { 1 } else { -1 });
        let mut err = dx - dy;
        loop {
            self.draw(x1, y1, color);
            if x1 == x2 && y1 == y2 {
                break;
            }
            let e2 = err * 2;
            if e2 > -dy {
                err -= dy;
                x1 += sx;
            }
            if e2 < dx {
                err += dx;
                y1 += sy;
            }
        }
    }

    /// A square centred on (x, y), `size` wide, turned by `angle` radians. The arithmetic keeps
    /// C's mix of `float` and `double` (Redis's `lwDrawSquare`), so corners land on the same
    /// pixels.
    fn square(&mut self, x: i32, y: i32, size: f32, angle: f32, color: u8) {
        use std::f64::consts::PI;
        // A square inscribed in a circle of radius 1 has sides of √2, which Redis writes with
        // ten decimals: the same digits round the same sizes.
        #[allow(clippy::approx_constant)]
        const SQRT_2: f64 = 1.4142135623;
        let size = ((size as f64 / SQRT_2) as f32 as f64).round();
        let mut corner = [(0, 0); 4];
        let mut k = (PI / 4.0 + angle as f64) as f32;
        for point in &mut corner {
            *point = (
                ((k as f64).sin() * size + x as f64).round() as i32,
                ((k as f64).cos() * size + y as f64).round() as i32,
            );
            k = (k as f64 + PI / 2.0) as f32;
        }
        for j in 0..4 {
            let ((x1, y1), (x2, y2)) = (corner[j], corner[(j + 1) % 4]);
            self.line(x1, y1, x2, y2, color);
        }
    }
}

/// Version 5: rows of squares, more disordered the lower they are, drawn in Braille characters
/// (each a 2×4 block of pixels).
fn schotter(ks: &mut Keyspace, params: &[&[u8]]) -> Result<Vec<u8>, CommandError> {
    let columns = param(params, 0, 66, 1, 1000)?;
    let per_row = param(params, 1, 8, 1, 200)?;
    let per_column = param(params, 2, 12, 1, 200)?;
    let width = columns * 2;
    let padding = if width > 4 { 2 } else { 0 };
    let side = (width - padding * 2) as f32 / per_row as f32;
    let height = (side * per_column as f32 + (padding * 2) as f32) as i32;
    let mut canvas = Canvas::new(width, height, 0);
    for y in 0..per_column {
        for x in 0..per_row {
            let mut sx = (x as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut sy = (y as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut angle = 0.0;
            // The first two rows stand straight; below, each square is turned and moved a
            // little more.
            if y > 1 {
                let mut jitter = || rand(ks) as f32 / RAND_MAX as f32 / per_column as f32 * y as f32;
                let mut r = [jitter(), jitter(), jitter()];
                for r in &mut r {
                    if rand(ks) % 2 != 0 {
                        *r = -*r;
                    }
                }
                angle = r[0];
                sx = (sx as f32 + r[1] * side / 3.0) as i32;
                sy = (sy as f32 + r[2] * side / 3.0) as i32;
            }
            canvas.square(sx, sy, side, angle, 1);
        }
    }
    let mut text = Vec::new();
    for y in (0..canvas.height).step_by(4) {
        for x in (0..canvas.width).step_by(2) {
            // The dots of a Braille cell, in Unicode's bit order.
            let dots = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)];
            let bits = dots
                .iter()
                .enumerate()
                .filter(|(_, (dx, dy))| canvas.get(x + dx, y + dy) != 0)
                .fold(0u32, |bits, (bit, _)| bits | 1 << bit);
            let cell = char::from_u32(0x2800 + bits).unwrap_or(' ');
            text.extend_from_slice(cell.encode_utf8(&mut [0; 4]).as_bytes());
        }
        if y != canvas.height - 1 {
            text.push(b'\n');
        }
    }
    Ok(with_caption(text, "Georg Nees - schotter, plotter on paper, 1968."))
}

/// A drawing followed by its caption and the version, on a line of their own.
fn with_caption(mut text: Vec<u8>, caption: &str) -> Vec<u8> {
    text.extend_from_slice(format!("\n{caption} Redis ver. {}\n", crate::REDIS_VERSION).as_bytes());
    text
}

/// One building of the skyline.
struct Skyscraper {
    offset: i32,
    width: i32,
    height: i32,
    windows: bool,
    color: u8,
}

/// Draws `building` standing on the canvas's bottom row: its roof two pixels narrower on each
/// side, its windows (two pixels wide, one tall, away from the walls) lit in a random grey.
fn skyscraper(ks: &mut Keyspace, canvas: &mut Canvas, building: &Skyscraper) {
    let bottom = canvas.height - 1;
    let top = bottom - building.height + 1;
    let (left, right) = (building.offset, building.offset + building.width);
    for y in (top..=bottom).rev() {
        for x in left..right {
            if y == top && (x <= left + 1 || x >= right - 2) {
                continue;
            }
            let mut color = building.color;
            if building.windows && x > left + 1 && x < right - 2 && y > top + 1 && y < bottom - 1 {
                let (column, row) = (x - (left + 1), y - (top + 1));
                if (column / 2) % 2 != 0 && row % 2 != 0 {
                    loop {
                        color = 1 + (rand(ks) % 2) as u8;
                        if color != building.color {
                            break;
                        }
                    }
                    // Both pixels of a window share its colour.
                    if column % 2 != 0 {
                        color = canvas.get(x - 1, y);
                    }
                }
            }
            canvas.draw(x, y, color);
        }
    }
}

/// Version 6: a skyline of grey buildings behind black ones with lit windows, on white, in
/// terminal colours (each pixel a space with its colour set).
fn skyline(ks: &mut Keyspace, params: &[&[u8]]) -> Result<Vec<u8>, CommandError> {
    let columns = param(params, 0, 80, 1, 1000)?;
    let rows = param(params, 1, 20, 1, 1000)?;
    let mut canvas = Canvas::new(columns, rows, 3);
    let height = canvas.height;
    // The background: the lighter grey behind the darker, neither with windows.
    for color in [2u8, 1] {
        let mut offset = -10;
        while offset < canvas.width {
            offset += rand(ks) % 8;
            let width = 10 + rand(ks) % 9;
            let tall = if color == 2 {
                height / 2 + (rand(ks) % height) / 2
            } else {
                height / 2 + (rand(ks) % height) / 3
            };
            let building = Skyscraper {
                offset,
                width,
                height: tall,
                windows: false,
                color,
            };
            skyscraper(ks, &mut canvas, &building);
            offset += if color == 2 { width / 2 } else { width + 1 };
        }
    }
    // The foreground, black with windows.
    let mut offset = -10;
    while offset < canvas.width {
        offset += rand(ks) % 8;
        let mut width = 5 + rand(ks) % 14;
        if width % 4 != 0 {
            width += width % 3;
        }
        let tall = height / 3 + (rand(ks) % height) / 2;
        let building = Skyscraper {
            offset,
            width,
            height: tall,
            windows: true,
            color: 0,
        };
        skyscraper(ks, &mut canvas, &building);
        offset += width + 5;
    }
    let mut text = Vec::new();
    for y in 0..canvas.height {
        for x in 0..canvas.width {
            // Foreground and background both set, for the same look on every terminal.
            let escape = match canvas.get(x, y) {
                1 => "0;90;100m",
                2 => "0;37;47m",
                3 => "0;97;107m",
                _ => "0;30;40m",
            };
            text.extend_from_slice(format!("\x1b[{escape} \x1b[0m").as_bytes());
        }
        if y != canvas.height - 1 {
            text.push(b'\n');
        }
    }
    Ok(with_caption(
        text,
        "Dedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn lolwut_text(line: &str) -> String {
        match Store::new().connect().call(line.split(' ').collect::<Vec<_>>()) {
            Reply::Verbatim(_, text) | Reply::Bulk(text) => String::from_utf8(text).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn schotter_has_its_shape() {
        let text = lolwut_text("LOLWUT VERSION 5");
        let lines: Vec<&str> = text.lines().collect();
        // 132 pixels wide (66 cells), 16-pixel squares 12 high plus padding: 196 pixels, 49
        // rows of cells, each ended by a newline (the last pixel row is not a cell's first);
        // then the caption after a newline of its own.
        assert_eq!(lines.len(), 51);
        assert!(lines[..49].iter().all(|l| l.chars().count() == 66));
        assert!(
            lines[..49]
                .iter()
                .all(|l| l.chars().all(|c| ('\u{2800}'..='\u{28ff}').contains(&c)))
        );
        assert_eq!(lines[49], "");
        assert_eq!(
            lines[50],
            "Georg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15"
        );
    }

    #[test]
    fn skyline_has_its_shape() {
        let text = lolwut_text("LOLWUT VERSION 6 30 8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 10);
        for line in &lines[..8] {
            assert_eq!(line.matches(" \x1b[0m").count(), 30);
        }
        // No building is as tall as the canvas: the top row is all sky.
        assert_eq!(lines[0].matches("0;97;107m").count(), 30);
    }
}
