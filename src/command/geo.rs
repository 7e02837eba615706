//! Geospatial indexes (Redis's `geo.c`, `geohash.c` and `geohash_helper.c`): members of a
//! sorted set scored by the 52-bit interleaved geohash of their coordinates. GEOADD, GEODIST,
//! GEOHASH, GEOPOS, GEORADIUS, GEORADIUSBYMEMBER and their `_RO` forms, GEOSEARCH and
//! GEOSEARCHSTORE compute as Redis does — the same geohash cells searched, the same haversine
//! distance with the same floating-point steps — so results, distances and coordinates print
//! identically.

use std::cmp::Ordering;

use super::args::is_option;
use super::{Ctx, zset};
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::ZSet;
use crate::number::parse_f64;
use crate::reply::Reply;

const STEP_MAX: u8 = 26;
const LAT_MIN: f64 = -85.051_128_78;
const LAT_MAX: f64 = 85.051_128_78;
const LONG_MIN: f64 = -180.0;
const LONG_MAX: f64 = 180.0;
/// Redis's degrees-to-radians factor (`M_PI / 180.0`).
const D_R: f64 = std::f64::consts::PI / 180.0;
/// The Earth's quadratic mean radius for WGS-84, in meters.
const EARTH_RADIUS_IN_METERS: f64 = 6_372_797.560_856;
const MERCATOR_MAX: f64 = 20_037_726.37;

/// A geohash: `step` bits of latitude and of longitude, interleaved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct GeoHash {
    bits: u64,
    step: u8,
}

impl GeoHash {
    fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

/// A range of a coordinate.
#[derive(Debug, Clone, Copy, Default)]
struct Range {
    min: f64,
    max: f64,
}

/// The area a geohash covers.
#[derive(Debug, Clone, Copy, Default)]
struct Area {
    longitude: Range,
    latitude: Range,
}

const LONG_RANGE: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

fn interleave64(xlo: u32, ylo: u32) -> u64 {
    const B: [u64; 5] = [
        0x5555_5555_5555_5555,
        0x3333_3333_3333_3333,
        0x0F0F_0F0F_0F0F_0F0F,
        0x00FF_00FF_00FF_00FF,
        0x0000_FFFF_0000_FFFF,
    ];
    const S: [u32; 5] = [1, 2, 4, 8, 16];
    let (mut x, mut y) = (xlo as u64, ylo as u64);
    for i in (0..5).rev() {
        x = (x | (x << S[i])) & B[i];
        y = (y | (y << S[i])) & B[i];
    }
    x | (y << 1)
}

fn deinterleave64(interleaved: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555_5555_5555_5555,
        0x3333_3333_3333_3333,
        0x0F0F_0F0F_0F0F_0F0F,
        0x00FF_00FF_00FF_00FF,
        0x0000_FFFF_0000_FFFF,
        0x0000_0000_FFFF_FFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let (mut x, mut y) = (interleaved, interleaved >> 1);
    for i in 0..6 {
        x = (x | (x >> S[i])) & B[i];
        y = (y | (y >> S[i])) & B[i];
    }
    x | (y << 32)
}

/// Redis's `geohashEncode`: `None` outside the ranges.
fn encode(long_range: Range, lat_range: Range, longitude: f64, latitude: f64, step: u8) -> Option<GeoHash> {
    if step == 0 || step > 32 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return None;
    }
    if latitude < lat_range.min || latitude > lat_range.max || longitude < long_range.min || longitude > long_range.max
    {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let long_offset = (longitude - long_range.min) / (long_range.max - long_range.min) * scale;
    Some(GeoHash {
        bits: interleave64(lat_offset as u32, long_offset as u32),
        step,
    })
}

/// Redis's `geohashDecode`: the area a hash covers (`None` for the zero hash).
fn decode(long_range: Range, lat_range: Range, hash: GeoHash) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let separated = deinterleave64(hash.bits);
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    let ilato = separated as u32;
    let ilono = (separated >> 32) as u32;
    let cells = (1u64 << hash.step) as f64;
    Some(Area {
        latitude: Range {
            min: lat_range.min + (ilato as f64 * 1.0 / cells) * lat_scale,
            max: lat_range.min + ((ilato as f64 + 1.0) * 1.0 / cells) * lat_scale,
        },
        longitude: Range {
            min: long_range.min + (ilono as f64 * 1.0 / cells) * long_scale,
            max: long_range.min + ((ilono as f64 + 1.0) * 1.0 / cells) * long_scale,
        },
    })
}

/// The centre of an area, clamped to the valid coordinates.
fn area_center(area: &Area) -> (f64, f64) {
    let x = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let y = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (x, y)
}

/// The coordinates a sorted-set score stands for (Redis's `decodeGeohash`).
fn decode_score(score: f64) -> Option<(f64, f64)> {
    let hash = GeoHash {
        bits: score as u64,
        step: STEP_MAX,
    };
    decode(LONG_RANGE, LAT_RANGE, hash).map(|area| area_center(&area))
}

/// The sorted-set score of coordinates: the 52-bit geohash.
fn score_of(longitude: f64, latitude: f64) -> Option<u64> {
    encode(LONG_RANGE, LAT_RANGE, longitude, latitude, STEP_MAX).map(align52)
}

fn align52(hash: GeoHash) -> u64 {
    hash.bits << (52 - hash.step as u32 * 2)
}

/// Bits of the longitude (odd positions) and of the latitude (even positions) of a hash.
const LONGITUDE_BITS: u64 = 0xaaaa_aaaa_aaaa_aaaa;
const LATITUDE_BITS: u64 = 0x5555_5555_5555_5555;

/// Moves a hash one cell along the axis whose bits are `axis` (`other` being the other axis's),
/// forward for `d > 0`, back for `d < 0` (Redis's `geohash_move_x` and `geohash_move_y`).
fn move_along(hash: &mut GeoHash, d: i8, axis: u64, other: u64) {
    if d == 0 || hash.step == 0 {
        return;
    }
    let shift = 64 - hash.step as u32 * 2;
    let mut moved = hash.bits & axis;
    let kept = hash.bits & other;
    let zz = other >> shift;
    if d > 0 {
        moved = moved.wrapping_add(zz + 1);
    } else {
        moved |= zz;
        moved = moved.wrapping_sub(zz + 1);
    }
    moved &= axis >> shift;
    hash.bits = moved | kept;
}

/// A hash moved `dx` cells east and `dy` north.
fn neighbor(hash: GeoHash, dx: i8, dy: i8) -> GeoHash {
    let mut n = hash;
    move_along(&mut n, dx, LONGITUDE_BITS, LATITUDE_BITS);
    move_along(&mut n, dy, LATITUDE_BITS, LONGITUDE_BITS);
    n
}

fn deg_rad(angle: f64) -> f64 {
    angle * D_R
}

fn rad_deg(angle: f64) -> f64 {
    angle / D_R
}

fn lat_distance(lat1d: f64, lat2d: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2d) - deg_rad(lat1d)).abs()
}

/// The haversine distance in meters (Redis's `geohashGetDistance`).
fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lon1r = deg_rad(lon1d);
    let lon2r = deg_rad(lon2d);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1d, lat2d);
    }
    let lat1r = deg_rad(lat1d);
    let lat2r = deg_rad(lat2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// What a search covers.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Circle { radius: f64 },
    Box { width: f64, height: f64 },
}

/// A search: its centre, its shape (in its unit) and the unit's meters.
#[derive(Debug, Clone, Copy)]
struct Search {
    x: f64,
    y: f64,
    shape: Shape,
    conversion: f64,
}

impl Search {
    /// Whether the point is inside, and its distance from the centre (Redis's
    /// `geoWithinShape`).
    fn within(&self, x: f64, y: f64) -> Option<f64> {
        match self.shape {
            Shape::Circle { radius } => {
                let d = distance(self.x, self.y, x, y);
                (d <= radius * self.conversion).then_some(d)
            }
            Shape::Box { width, height } => {
                let (width, height) = (width * self.conversion, height * self.conversion);
                if lat_distance(y, self.y) > height / 2.0 {
                    return None;
                }
                if distance(x, y, self.x, y) > width / 2.0 {
                    return None;
                }
                Some(distance(self.x, self.y, x, y))
            }
        }
    }

    /// The bounding box (min longitude, min latitude, max longitude, max latitude).
    fn bounds(&self) -> [f64; 4] {
        let (half_height, half_width) = match self.shape {
            Shape::Circle { radius } => (radius, radius),
            Shape::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * half_height;
        let width = self.conversion * half_width;
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let long_delta_top = rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(self.y + lat_delta).cos());
        let long_delta_bottom = rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(self.y - lat_delta).cos());
        let southern = self.y < 0.0;
        [
            if southern {
                self.x - long_delta_bottom
            } else {
                self.x - long_delta_top
            },
            self.y - lat_delta,
            if southern {
                self.x + long_delta_bottom
            } else {
                self.x + long_delta_top
            },
            self.y + lat_delta,
        ]
    }

    /// The cells to scan: the centre's cell and its eight neighbours at a step fitting the
    /// search, those that cannot hold a match left out as zero (Redis's
    /// `geohashCalculateAreasByShapeWGS84`).
    fn cells(&self) -> [GeoHash; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounds();
        let radius_meters = match self.shape {
            Shape::Circle { radius } => radius,
            Shape::Box { width, height } => ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt(),
        } * self.conversion;
        let mut steps = estimate_steps(radius_meters, self.y);
        let cells_at = |steps: u8| {
            let hash = encode(LONG_RANGE, LAT_RANGE, self.x, self.y, steps).unwrap_or_default();
            let neighbors = [
                neighbor(hash, 0, 1),
                neighbor(hash, 0, -1),
                neighbor(hash, 1, 0),
                neighbor(hash, -1, 0),
                neighbor(hash, 1, 1),
                neighbor(hash, -1, 1),
                neighbor(hash, 1, -1),
                neighbor(hash, -1, -1),
            ];
            let area = decode(LONG_RANGE, LAT_RANGE, hash).unwrap_or_default();
            (hash, neighbors, area)
        };
        let (mut hash, mut n, mut area) = cells_at(steps);
        let decoded = |h: GeoHash| decode(LONG_RANGE, LAT_RANGE, h).unwrap_or_default();
        let decrease = decoded(n[0]).latitude.max < max_lat
            || decoded(n[1]).latitude.min > min_lat
            || decoded(n[2]).longitude.max < max_lon
            || decoded(n[3]).longitude.min > min_lon;
        if steps > 1 && decrease {
            steps -= 1;
            (hash, n, area) = cells_at(steps);
        }
        // n: north, south, east, west, north-east, north-west, south-east, south-west.
        let zero = GeoHash::default();
        if steps >= 2 {
            if area.latitude.min < min_lat {
                n[1] = zero;
                n[7] = zero;
                n[6] = zero;
            }
            if area.latitude.max > max_lat {
                n[0] = zero;
                n[4] = zero;
                n[5] = zero;
            }
            if area.longitude.min < min_lon {
                n[3] = zero;
                n[7] = zero;
                n[5] = zero;
            }
            if area.longitude.max > max_lon {
                n[2] = zero;
                n[6] = zero;
                n[4] = zero;
            }
        }
        [hash, n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]]
    }
}

/// Redis's `geohashEstimateStepsByRadius`.
fn estimate_steps(mut range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_meters < MERCATOR_MAX {
        range_meters *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// A member found by a search.
struct Found {
    member: Vec<u8>,
    score: f64,
    x: f64,
    y: f64,
    distance: f64,
}

/// The members of `zset` in the cells of `search` and inside its shape, in cell order and
/// score order within a cell; with `limit` (ANY), stops once that many are found (Redis's
/// `membersOfAllNeighbors`).
fn search_members(zset: &ZSet, search: &Search, limit: usize) -> Vec<Found> {
    let cells = search.cells();
    let mut found = Vec::new();
    let mut last_processed = 0;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        if last_processed != 0 && *cell == cells[last_processed] {
            continue;
        }
        if !found.is_empty() && limit != 0 && found.len() >= limit {
            break;
        }
        let min = align52(*cell) as f64;
        let max = align52(GeoHash {
            bits: cell.bits + 1,
            step: cell.step,
        }) as f64;
        let start = zset.count_before(|e| {
            if e.score >= min {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        });
        for entry in zset.iter_from(start) {
            if entry.score >= max {
                break;
            }
            if let Some((x, y)) = decode_score(entry.score)
                && let Some(distance) = search.within(x, y)
            {
                found.push(Found {
                    member: entry.member.to_vec(),
                    score: entry.score,
                    x,
                    y,
                    distance,
                });
            }
            if !found.is_empty() && limit != 0 && found.len() >= limit {
                break;
            }
        }
        last_processed = i;
    }
    found
}

/// Longitude and latitude arguments, checked against the valid range.
fn long_lat(argv: &Argv, at: usize) -> Result<(f64, f64), CommandError> {
    let mut xy = [0.0; 2];
    for (i, v) in xy.iter_mut().enumerate() {
        *v = parse_f64(argv.arg(at + i)).ok_or(CommandError::NotFloat)?;
    }
    let [x, y] = xy;
    if !(LONG_MIN..=LONG_MAX).contains(&x) || !(LAT_MIN..=LAT_MAX).contains(&y) {
        return Err(CommandError::Other(
            format!("ERR invalid longitude,latitude pair {x:.6},{y:.6}").into(),
        ));
    }
    Ok((x, y))
}

/// A unit's meters: m, km, ft, mi.
fn unit(arg: &[u8]) -> Result<f64, CommandError> {
    super::args::keyword(arg, &[("m", 1.0), ("km", 1000.0), ("ft", 0.3048), ("mi", 1609.34)]).ok_or(
        CommandError::other("ERR unsupported unit provided. please use M, KM, FT, MI"),
    )
}

/// A radius and its unit.
fn radius(argv: &Argv, at: usize) -> Result<(f64, f64), CommandError> {
    let r = parse_f64(argv.arg(at)).ok_or(CommandError::other("ERR need numeric radius"))?;
    if r < 0.0 {
        return Err(CommandError::other("ERR radius cannot be negative"));
    }
    Ok((r, unit(argv.arg(at + 1))?))
}

/// A distance as Redis prints one: four decimals (`fixedpoint_d2string`).
fn distance_reply(d: f64) -> Reply {
    if d == 0.0 {
        return Reply::bulk("0.0000");
    }
    let scaled = (d * 10_000.0).round_ties_even() as i64;
    let (sign, value) = (if scaled < 0 { "-" } else { "" }, scaled.unsigned_abs());
    Reply::bulk(format!("{sign}{}.{:04}", value / 10_000, value % 10_000))
}

/// GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]
pub(crate) fn geoadd(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let mut at = 2;
    let (mut nx, mut xx) = (false, false);
    while at < argv.len() {
        let opt = argv.arg(at);
        if is_option(opt, "nx") {
            nx = true;
        } else if is_option(opt, "xx") {
            xx = true;
        } else if !is_option(opt, "ch") {
            break;
        }
        at += 1;
    }
    if !(argv.len() - at).is_multiple_of(3) || (xx && nx) {
        return Err(CommandError::Syntax);
    }
    // ZADD key [options] score member … with each position's geohash as its score.
    let mut zadd: Vec<Vec<u8>> = vec![b"zadd".to_vec()];
    zadd.extend(argv.iter().take(at).skip(1).map(<[u8]>::to_vec));
    for i in (at..argv.len()).step_by(3) {
        let (x, y) = long_lat(argv, i)?;
        let score = score_of(x, y).unwrap_or(0);
        zadd.push(score.to_string().into_bytes());
        zadd.push(argv.arg(i + 2).to_vec());
    }
    // Replayed as that ZADD if it changed anything, as Redis does.
    let zadd = Argv::from_args(zadd);
    let changes_before = ctx.ks.saving.changes_made();
    let reply = zset::zadd(ctx, &zadd)?;
    if ctx.ks.saving.changes_made() != changes_before {
        ctx.replay_as(|| zadd);
    }
    Ok(reply)
}

/// GEODIST key member1 member2 [M|KM|FT|MI]
pub(crate) fn geodist(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let to_meter = match argv.len() {
        5 => unit(argv.arg(4))?,
        n if n > 5 => return Err(CommandError::Syntax),
        _ => 1.0,
    };
    let Some(zset) = ctx.read::<ZSet>(argv.arg(1))? else {
        return Ok(Reply::Nil);
    };
    let (Some(a), Some(b)) = (zset.score(argv.arg(2)), zset.score(argv.arg(3))) else {
        return Ok(Reply::Nil);
    };
    match (decode_score(a), decode_score(b)) {
        (Some((x1, y1)), Some((x2, y2))) => Ok(distance_reply(distance(x1, y1, x2, y2) / to_meter)),
        _ => Ok(Reply::Nil),
    }
}

/// GEOHASH key [member ...]: each position as an 11-character standard geohash.
pub(crate) fn geohash(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let zset = ctx.read::<ZSet>(argv.arg(1))?;
    let hashes = argv
        .iter()
        .skip(2)
        .map(|member| {
            let Some((x, y)) = zset.and_then(|z| z.score(member)).and_then(decode_score) else {
                return Reply::Nil;
            };
            let standard = Range { min: -90.0, max: 90.0 };
            let bits = encode(LONG_RANGE, standard, x, y, 26).map_or(0, |h| h.bits);
            let text: Vec<u8> = (0..11)
                .map(|i| {
                    let index = if i == 10 {
                        0
                    } else {
                        (bits >> (52 - (i + 1) * 5)) & 0x1f
                    };
                    ALPHABET[index as usize]
                })
                .collect();
            Reply::Bulk(text)
        })
        .collect();
    Ok(Reply::Array(hashes))
}

/// GEOPOS key [member ...]
pub(crate) fn geopos(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let zset = ctx.read::<ZSet>(argv.arg(1))?;
    let positions = argv
        .iter()
        .skip(2)
        .map(
            |member| match zset.and_then(|z| z.score(member)).and_then(decode_score) {
                Some((x, y)) => Reply::Array(vec![Reply::LongDouble(x), Reply::LongDouble(y)]),
                None => Reply::NilArray,
            },
        )
        .collect();
    Ok(Reply::Array(positions))
}

/// Which command of the GEORADIUS family runs (Redis's `georadiusGeneric` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// GEORADIUS: around coordinates.
    Coords { store: bool },
    /// GEORADIUSBYMEMBER: around a member.
    Member { store: bool },
    /// GEOSEARCH, or GEOSEARCHSTORE (`store`).
    Search { store: bool },
}

/// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH]
/// [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]
pub(crate) fn georadius(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    radius_generic(ctx, argv, 1, Variant::Coords { store: true })
}

/// GEORADIUS_RO
pub(crate) fn georadius_ro(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    radius_generic(ctx, argv, 1, Variant::Coords { store: false })
}

/// GEORADIUSBYMEMBER key member radius M|KM|FT|MI [...]
pub(crate) fn georadiusbymember(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    radius_generic(ctx, argv, 1, Variant::Member { store: true })
}

/// GEORADIUSBYMEMBER_RO
pub(crate) fn georadiusbymember_ro(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    radius_generic(ctx, argv, 1, Variant::Member { store: false })
}

/// GEOSEARCH key FROMMEMBER member|FROMLONLAT longitude latitude BYRADIUS radius unit|BYBOX
/// width height unit [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
pub(crate) fn geosearch(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    radius_generic(ctx, argv, 1, Variant::Search { store: false })
}

/// GEOSEARCHSTORE destination source … [STOREDIST]
pub(crate) fn geosearchstore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    radius_generic(ctx, argv, 2, Variant::Search { store: true })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// The options of a search, as parsed.
#[derive(Default)]
struct Options {
    with_dist: bool,
    with_hash: bool,
    with_coords: bool,
    any: bool,
    count: i64,
    store: Option<Vec<u8>>,
    store_dist: bool,
}

fn radius_generic(ctx: &mut Ctx<'_>, argv: &Argv, source_at: usize, variant: Variant) -> Result<Reply, CommandError> {
    let source = argv.arg(source_at);
    if matches!(variant, Variant::Search { store: true }) {
        ctx.read_lookup(source);
    }
    let exists = ctx.read::<ZSet>(source)?.is_some();
    let member_position = |ctx: &mut Ctx<'_>, member: &[u8]| -> Result<(f64, f64), CommandError> {
        ctx.read::<ZSet>(source)?
            .and_then(|z| z.score(member))
            .and_then(decode_score)
            .ok_or(CommandError::other("ERR could not decode requested zset member"))
    };
    let mut center = None;
    let mut shape = None;
    let mut conversion = 1.0;
    let base = match variant {
        Variant::Coords { .. } => {
            center = Some(long_lat(argv, 2)?);
            let (r, c) = radius(argv, 4)?;
            shape = Some(Shape::Circle { radius: r });
            conversion = c;
            6
        }
        Variant::Member { .. } if !exists => 5,
        Variant::Member { .. } => {
            center = Some(member_position(ctx, argv.arg(2))?);
            let (r, c) = radius(argv, 3)?;
            shape = Some(Shape::Circle { radius: r });
            conversion = c;
            5
        }
        Variant::Search { .. } => source_at + 1,
    };
    let is_search = matches!(variant, Variant::Search { .. });
    let may_store = matches!(
        variant,
        Variant::Coords { store: true } | Variant::Member { store: true }
    );
    let mut opts = Options::default();
    if let Variant::Search { store: true } = variant {
        opts.store = Some(argv.arg(1).to_vec());
    }
    let mut sort = Sort::None;
    let (mut from_member, mut from_loc, mut by_radius, mut by_box) = (false, false, false, false);
    let remaining = argv.len().saturating_sub(base);
    let mut i = 0;
    while i < remaining {
        let at = base + i;
        let arg = argv.arg(at);
        let more = remaining - i - 1;
        if is_option(arg, "withdist") {
            opts.with_dist = true;
        } else if is_option(arg, "withhash") {
            opts.with_hash = true;
        } else if is_option(arg, "withcoord") {
            opts.with_coords = true;
        } else if is_option(arg, "any") {
            opts.any = true;
        } else if is_option(arg, "asc") {
            sort = Sort::Asc;
        } else if is_option(arg, "desc") {
            sort = Sort::Desc;
        } else if is_option(arg, "count") && more >= 1 {
            opts.count = super::args::int(argv.arg(at + 1))?;
            if opts.count <= 0 {
                return Err(CommandError::other("ERR COUNT must be > 0"));
            }
            i += 1;
        } else if (is_option(arg, "store") || is_option(arg, "storedist")) && more >= 1 && may_store {
            opts.store = Some(argv.arg(at + 1).to_vec());
            opts.store_dist = is_option(arg, "storedist");
            i += 1;
        } else if is_option(arg, "storedist") && matches!(variant, Variant::Search { store: true }) {
            opts.store_dist = true;
        } else if is_option(arg, "frommember") && more >= 1 && is_search && !from_loc {
            if exists {
                center = Some(member_position(ctx, argv.arg(at + 1))?);
            }
            from_member = true;
            i += 1;
        } else if is_option(arg, "fromlonlat") && more >= 2 && is_search && !from_member {
            center = Some(long_lat(argv, at + 1)?);
            from_loc = true;
            i += 2;
        } else if is_option(arg, "byradius") && more >= 2 && is_search && !by_box {
            let (r, c) = radius(argv, at + 1)?;
            shape = Some(Shape::Circle { radius: r });
            conversion = c;
            by_radius = true;
            i += 2;
        } else if is_option(arg, "bybox") && more >= 3 && is_search && !by_radius {
            let w = parse_f64(argv.arg(at + 1)).ok_or(CommandError::other("ERR need numeric width"))?;
            let h = parse_f64(argv.arg(at + 2)).ok_or(CommandError::other("ERR need numeric height"))?;
            if h < 0.0 || w < 0.0 {
                return Err(CommandError::other("ERR height or width cannot be negative"));
            }
            conversion = unit(argv.arg(at + 3))?;
            shape = Some(Shape::Box { width: w, height: h });
            by_box = true;
            i += 3;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    if opts.store.is_some() && (opts.with_dist || opts.with_hash || opts.with_coords) {
        let which = if matches!(variant, Variant::Search { store: true }) {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(CommandError::Other(
            format!("ERR {which} is not compatible with WITHDIST, WITHHASH and WITHCOORD options").into(),
        ));
    }
    let name = super::args::error_text(argv.arg(0));
    if is_search && !(from_member || from_loc) {
        return Err(CommandError::Other(
            format!("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}").into(),
        ));
    }
    if is_search && !(by_radius || by_box) {
        return Err(CommandError::Other(
            format!("ERR exactly one of BYRADIUS and BYBOX can be specified for {name}").into(),
        ));
    }
    if opts.any && opts.count == 0 {
        return Err(CommandError::other("ERR the ANY argument requires COUNT argument"));
    }
    if !exists {
        return Ok(match &opts.store {
            Some(dst) => zset::store_result(ctx, dst, ZSet::default(), "georadiusstore", 0),
            None => Reply::Array(Vec::new()),
        });
    }
    // With the key there, the arguments above set both (or answered an error).
    let (Some((x, y)), Some(shape)) = (center, shape) else {
        return Err(CommandError::Syntax);
    };
    if opts.count != 0 && sort == Sort::None && !opts.any {
        sort = Sort::Asc;
    }
    let search = Search {
        x,
        y,
        shape,
        conversion,
    };
    let limit = if opts.any { opts.count as usize } else { 0 };
    let mut found = match ctx.read::<ZSet>(source)? {
        Some(zset) => search_members(zset, &search, limit),
        None => Vec::new(),
    };
    let returned = if opts.count == 0 {
        found.len()
    } else {
        found.len().min(opts.count as usize)
    };
    match sort {
        Sort::Asc => found.sort_by(|a, b| a.distance.partial_cmp(&b.distance).unwrap_or(Ordering::Equal)),
        Sort::Desc => found.sort_by(|a, b| b.distance.partial_cmp(&a.distance).unwrap_or(Ordering::Equal)),
        Sort::None => {}
    }
    found.truncate(returned);
    if let Some(dst) = &opts.store {
        let limits = ctx.ks.encodings();
        let mut stored = ZSet::default();
        stored.mark_large();
        for f in &found {
            let score = if opts.store_dist {
                f.distance / conversion
            } else {
                f.score
            };
            stored.insert(&f.member, score, &limits);
        }
        stored.shrink_if_small(&limits);
        let event = if is_search { "geosearchstore" } else { "georadiusstore" };
        let members = stored.len();
        return Ok(zset::store_result(ctx, dst, stored, event, members));
    }
    let options = opts.with_dist as usize + opts.with_coords as usize + opts.with_hash as usize;
    let replies = found
        .into_iter()
        .map(|f| {
            let member = Reply::Bulk(f.member);
            if options == 0 {
                return member;
            }
            let mut item = vec![member];
            if opts.with_dist {
                item.push(distance_reply(f.distance / conversion));
            }
            if opts.with_hash {
                item.push(Reply::Integer(f.score as i64));
            }
            if opts.with_coords {
                item.push(Reply::Array(vec![Reply::LongDouble(f.x), Reply::LongDouble(f.y)]));
            }
            Reply::Array(item)
        })
        .collect();
    Ok(Reply::Array(replies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geohash_scores_decode_near_their_coordinates() {
        let score = score_of(13.361389, 38.115556).unwrap();
        assert_eq!(score, 3_479_099_956_230_698);
        let (x, y) = decode_score(score as f64).unwrap();
        assert!((x - 13.361389).abs() < 1e-5 && (y - 38.115556).abs() < 1e-5);
    }

    #[test]
    fn distances_print_with_four_decimals() {
        assert_eq!(distance_reply(166274.15156960033), Reply::bulk("166274.1516"));
        assert_eq!(distance_reply(0.0), Reply::bulk("0.0000"));
        assert_eq!(distance_reply(0.77505), Reply::bulk("0.7750"));
    }
}
