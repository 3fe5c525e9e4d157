//! The official boundaries `type: map` charts draw: Italy's regions, provinces and municipalities,
//! keyed by ISTAT code, simplified and compiled in (`assets/boundaries/italia.bin`, built by
//! `assets/boundaries/build.py` from openpolis' geojson-italy, limits of June 2023; ISTAT, CC BY 4.0).
//!
//! A territory is drawn by its own boundary when it has an ISTAT code (the `istat` column of
//! territories.csv, or an official code: `VEN`, `PD`, `028060`), else as the municipalities below
//! it (an ambito of a Piano di Zona is its municipalities).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::Territories;

const DATA: &[u8] = include_bytes!("../../assets/boundaries/italia.bin");
/// The grid the coordinates are stored on, in degrees.
const QUANTUM: f64 = 1e-4;
/// Who the boundaries come from, as a map must credit them.
pub const ATTRIBUTION: &str = "ISTAT 2023, openpolis (CC BY 4.0)";

/// The three sets of boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// Regions (ISTAT code of two digits).
    Region,
    /// Provinces and metropolitan cities (three digits).
    Province,
    /// Municipalities (six digits).
    Municipality,
}

impl Layer {
    fn of_code(istat: &str) -> Option<Layer> {
        if !istat.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match istat.len() {
            2 => Some(Layer::Region),
            3 => Some(Layer::Province),
            6 => Some(Layer::Municipality),
            _ => None,
        }
    }
}

/// A point in degrees: longitude, latitude.
pub type Point = (f64, f64);

/// One area's boundary.
#[derive(Debug)]
pub struct Area {
    /// Its polygons, each an outer ring and then its holes.
    pub polygons: Vec<Vec<Vec<Point>>>,
    /// A point well inside its largest polygon, for its label.
    pub label: Point,
    /// West, south, east, north.
    pub bbox: [f64; 4],
}

struct Boundaries {
    areas: Vec<(Layer, String, Area)>,
    by_code: HashMap<(Layer, String), usize>,
}

/// Reads the compiled-in file. It is written by our own script and checked by a test: a broken
/// file is a build error, so every read here may stop at the first inconsistency.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    fn count(&mut self) -> Option<usize> {
        usize::try_from(self.varint()?).ok()
    }

    fn signed(&mut self) -> Option<i64> {
        let n = self.varint()?;
        Some(((n >> 1) as i64) ^ -((n & 1) as i64))
    }

    fn point(&mut self) -> Option<Point> {
        Some((
            self.signed()? as f64 * QUANTUM,
            self.signed()? as f64 * QUANTUM,
        ))
    }
}

fn decode(bytes: &[u8]) -> Option<Boundaries> {
    let mut r = Reader {
        bytes: bytes.strip_prefix(b"OSSB\x01")?,
        at: 0,
    };
    let mut areas = Vec::new();
    for _ in 0..r.count()? {
        let layer = match r.varint()? {
            0 => Layer::Region,
            1 => Layer::Province,
            2 => Layer::Municipality,
            _ => return None,
        };
        let mut arcs: Vec<Vec<Point>> = Vec::new();
        for _ in 0..r.count()? {
            let n = r.count()?;
            let (mut x, mut y) = (0i64, 0i64);
            let mut arc = Vec::with_capacity(n);
            for _ in 0..n {
                x += r.signed()?;
                y += r.signed()?;
                arc.push((x as f64 * QUANTUM, y as f64 * QUANTUM));
            }
            arcs.push(arc);
        }
        for _ in 0..r.count()? {
            let len = r.count()?;
            let code = std::str::from_utf8(r.bytes.get(r.at..r.at + len)?).ok()?;
            r.at += len;
            let label = r.point()?;
            let mut polygons = Vec::new();
            for _ in 0..r.count()? {
                let mut rings = Vec::new();
                for _ in 0..r.count()? {
                    let mut ring: Vec<Point> = Vec::new();
                    for _ in 0..r.count()? {
                        let i = r.signed()?;
                        let arc = arcs.get(if i < 0 { !i } else { i } as usize)?;
                        let skip = usize::from(!ring.is_empty());
                        if i < 0 {
                            ring.extend(arc.iter().rev().skip(skip));
                        } else {
                            ring.extend(arc.iter().skip(skip));
                        }
                    }
                    rings.push(ring);
                }
                polygons.push(rings);
            }
            let bbox = polygons.iter().flatten().flatten().fold(
                [
                    f64::INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NEG_INFINITY,
                ],
                |[w, s, e, n], &(x, y)| [w.min(x), s.min(y), e.max(x), n.max(y)],
            );
            areas.push((
                layer,
                code.to_string(),
                Area {
                    polygons,
                    label,
                    bbox,
                },
            ));
        }
    }
    let by_code = areas
        .iter()
        .enumerate()
        .map(|(i, (l, c, _))| ((*l, c.clone()), i))
        .collect();
    Some(Boundaries { areas, by_code })
}

fn boundaries() -> &'static Boundaries {
    static B: OnceLock<Boundaries> = OnceLock::new();
    B.get_or_init(|| {
        decode(DATA).unwrap_or(Boundaries {
            areas: Vec::new(),
            by_code: HashMap::new(),
        })
    })
}

/// The boundary of the area with this ISTAT code, if the bundled limits have one.
pub fn area(layer: Layer, istat: &str) -> Option<&'static Area> {
    let b = boundaries();
    b.by_code
        .get(&(layer, istat.to_string()))
        .map(|&i| &b.areas[i].2)
}

/// Every area of a layer, with its ISTAT code.
pub fn layer(layer: Layer) -> impl Iterator<Item = (&'static str, &'static Area)> {
    boundaries()
        .areas
        .iter()
        .filter(move |(l, _, _)| *l == layer)
        .map(|(_, c, a)| (c.as_str(), a))
}

/// The ISTAT code a territory is known by: its `istat` column, else its official code's.
pub fn istat_code(territories: &Territories, code: &str) -> Option<(Layer, String)> {
    let given = territories
        .istat
        .get(code)
        .map(|c| c.trim().to_string())
        .or_else(|| super::istat::get(code).map(|o| o.istat.clone()))
        .or_else(|| Layer::of_code(code).map(|_| code.to_string()))?;
    // A region written as one digit (`5`) is region 05.
    let given = if given.len() == 1 {
        format!("0{given}")
    } else {
        given
    };
    Some((Layer::of_code(&given)?, given))
}

/// What a territory is drawn as: one or more boundaries, with their layer and ISTAT code.
#[derive(Debug, Clone)]
pub struct Shape {
    /// The boundaries, all filled alike.
    pub parts: Vec<(Layer, String)>,
}

/// Why a territory cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoShape {
    /// It has an ISTAT code, but the bundled limits have no boundary with it.
    NotInLimits(String),
    /// It has no ISTAT code and no municipality below it has one.
    NoCode,
}

impl NoShape {
    /// The reason, for a configuration error about `code`.
    pub fn explain(&self, code: &str) -> String {
        match self {
            NoShape::NotInLimits(istat) => format!(
                "territory '{code}' has ISTAT code {istat}, which has no boundary in the bundled limits (ISTAT, June 2023){}",
                super::istat::ceased_hint(istat)
            ),
            NoShape::NoCode => format!(
                "territory '{code}' has no boundary to draw: give it an istat column in territories.csv (a region's 2-digit, a province's 3-digit or a municipality's 6-digit ISTAT code), or municipalities with one below it"
            ),
        }
    }
}

/// The boundaries a territory is drawn with: its own, else those of the municipalities below it.
pub fn shape(territories: &Territories, code: &str) -> Result<Shape, NoShape> {
    if let Some((layer, istat)) = istat_code(territories, code) {
        return match area(layer, &istat) {
            Some(_) => Ok(Shape {
                parts: vec![(layer, istat)],
            }),
            None => Err(NoShape::NotInLimits(istat)),
        };
    }
    let parts: Vec<(Layer, String)> = territories
        .by_code
        .keys()
        .filter(|c| territories.ancestors(c).iter().any(|a| a == code))
        .filter_map(|c| istat_code(territories, c))
        .filter(|(l, i)| *l == Layer::Municipality && area(*l, i).is_some())
        .collect();
    if parts.is_empty() {
        Err(NoShape::NoCode)
    } else {
        Ok(Shape { parts })
    }
}

/// Checks a map's territories: each has a boundary, and none lies within another (areas are drawn
/// side by side). Territories unknown to territories.csv were reported already.
pub(super) fn check(
    areas: &super::TerritorySelector,
    key: &str,
    territories: &Territories,
    ctx: &super::FileCtx,
    errs: &mut super::ConfigErrors,
) {
    use super::TerritorySelector;
    let codes = areas.resolve(territories);
    let known: Vec<&String> = codes
        .iter()
        .filter(|c| territories.get(c).is_some())
        .collect();
    let key_of = |code: &str| match areas {
        TerritorySelector::List(v) => v
            .iter()
            .position(|c| c == code)
            .map(|i| format!("{key}[{i}]"))
            .unwrap_or_else(|| key.to_string()),
        TerritorySelector::ChildrenOf(_) => format!("{key}.children_of"),
        TerritorySelector::Level(_) => format!("{key}.level"),
    };
    for code in &known {
        if let Err(why) = shape(territories, code) {
            ctx.err(errs, &key_of(code), why.explain(code));
        }
    }
    for code in &known {
        let ancestors = territories.ancestors(code);
        if let Some(outer) = known.iter().find(|o| ancestors.contains(o)) {
            ctx.err(
                errs,
                &key_of(code),
                format!(
                    "territory '{code}' lies within '{outer}': a map shows areas side by side, so list territories of one level"
                ),
            );
        }
    }
    if codes.is_empty() {
        ctx.err(errs, key, "a map needs at least one territory to draw");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_limits_decode_with_every_level() {
        let b = boundaries();
        let count = |l| b.areas.iter().filter(|(x, _, _)| *x == l).count();
        assert_eq!(count(Layer::Region), 20);
        assert_eq!(count(Layer::Province), 107);
        assert!(count(Layer::Municipality) > 7800);
        // Treviso's province lies around 12.2 E, 45.8 N; its label inside its box.
        let tv = area(Layer::Province, "026").expect("Treviso");
        let [w, s, e, n] = tv.bbox;
        assert!(
            w > 11.5 && e < 13.0 && s > 45.4 && n < 46.2,
            "{:?}",
            tv.bbox
        );
        let (x, y) = tv.label;
        assert!(x > w && x < e && y > s && y < n);
        // Rings close: the last point is the first.
        for ring in tv.polygons.iter().flatten() {
            assert_eq!(ring.first(), ring.last());
        }
    }

    #[test]
    fn codes_name_their_layer() {
        assert_eq!(Layer::of_code("05"), Some(Layer::Region));
        assert_eq!(Layer::of_code("028"), Some(Layer::Province));
        assert_eq!(Layer::of_code("028060"), Some(Layer::Municipality));
        assert_eq!(Layer::of_code("VEN"), None);
        assert_eq!(Layer::of_code("2806"), None);
    }
}
