//! The map as SVG, written by hand: one `<path>` per area, its class saying how it is filled, its
//! name as a tooltip.

use std::fmt::Write as _;

use plotters::prelude::RGBColor;

use super::charts;
use super::{
    CONTEXT, CONTEXT_LINE, Fill, HATCH, HIDDEN, LEGEND_W, MARGIN, MISSING, MUTED, MapView, TITLE_H,
    bands, label_dy,
};

fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

fn esc(s: &str) -> String {
    crate::text::xml_escape(s)
}

fn path_data(rings: &[Vec<(f64, f64)>]) -> String {
    let mut d = String::new();
    for r in rings {
        for (k, (x, y)) in r.iter().enumerate() {
            let _ = write!(d, "{}{x:.1} {y:.1}", if k == 0 { "M" } else { "L" });
        }
        d.push('Z');
    }
    d
}
/// The map as SVG: one `<path class="area …">` per territory, then the labels and the legend.
pub fn svg(m: &MapView) -> String {
    let mut s = String::new();
    let (w, h) = (m.width, m.height);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="map-title"><title id="map-title">{}</title>"##,
        esc(&m.title)
    );
    defs(&mut s);
    let _ = write!(s, r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##);
    context(&mut s, m);
    let _ = write!(
        s,
        r##"<text x="{}" y="26" font-family="sans-serif" font-size="19" text-anchor="middle">{}</text>"##,
        w / 2,
        esc(&m.title)
    );
    areas(&mut s, m);
    labels(&mut s, m);
    legend(&mut s, m);
    let _ = write!(
        s,
        r##"<text x="{}" y="{}" font-family="sans-serif" font-size="10" fill="{}" text-anchor="end">{}</text></svg>"##,
        f64::from(w) - MARGIN,
        f64::from(h) - 8.0,
        hex(MUTED),
        esc(&m.attribution)
    );
    s
}

/// The hatch of suppressed areas and the colour scale.
fn defs(s: &mut String) {
    let _ = write!(
        s,
        r##"<defs><pattern id="hatch" patternUnits="userSpaceOnUse" width="7" height="7"><rect width="7" height="7" fill="{}"/><path d="M-1 1L1 -1M0 7L7 0M6 8L8 6" stroke="{}" stroke-width="1.5"/></pattern><linearGradient id="scale" x1="0" y1="1" x2="0" y2="0">"##,
        hex(HIDDEN),
        hex(HATCH)
    );
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            r#"<stop offset="{t}" stop-color="{}"/>"#,
            hex(charts::ramp(t))
        );
    }
    s.push_str("</linearGradient></defs>");
}

/// The neighbours, then the white bands that cut them off at the frame.
fn context(s: &mut String, m: &MapView) {
    s.push_str(r#"<g class="context">"#);
    for c in &m.context {
        let _ = write!(
            s,
            r#"<path d="{}" fill="{}" stroke="{}" stroke-width="0.6" fill-rule="evenodd"/>"#,
            path_data(c),
            hex(CONTEXT),
            hex(CONTEXT_LINE)
        );
    }
    s.push_str("</g>");
    for [x, y, bw, bh] in bands(m) {
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="#ffffff"/>"##
        );
    }
}

fn areas(s: &mut String, m: &MapView) {
    s.push_str(r#"<g class="areas">"#);
    for a in &m.areas {
        let fill = match a.fill {
            Fill::Value(c) => hex(c),
            Fill::Suppressed => "url(#hatch)".to_string(),
            Fill::Missing => hex(MISSING),
        };
        let _ = write!(
            s,
            r##"<path class="area {}" data-territory="{}" d="{}" fill="{fill}" stroke="#ffffff" stroke-width="1" fill-rule="evenodd"><title>{}</title></path>"##,
            a.fill.class(),
            esc(&a.code),
            path_data(&a.rings),
            esc(&a.tooltip)
        );
    }
    s.push_str("</g>");
}

fn labels(s: &mut String, m: &MapView) {
    s.push_str(
        r#"<g class="labels" font-family="sans-serif" font-size="11" text-anchor="middle">"#,
    );
    for a in &m.areas {
        for (k, line) in a.label.iter().enumerate() {
            let y = a.at.1 + label_dy(a.label.len(), k) + 4.0;
            let (color, halo) = if a.light_text {
                ("#ffffff", "")
            } else {
                (
                    "#000000",
                    r##" stroke="#ffffff" stroke-width="3" paint-order="stroke""##,
                )
            };
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{y:.1}" fill="{color}"{halo}>{}</text>"#,
                a.at.0,
                esc(line)
            );
        }
    }
    s.push_str("</g>");
}

fn legend(s: &mut String, m: &MapView) {
    let w = m.width;
    let lx = f64::from(w) - LEGEND_W + 20.0;
    let top = TITLE_H + 8.0;
    let _ = write!(
        s,
        r##"<g class="legend" font-family="sans-serif" font-size="11"><text x="{lx}" y="{}" fill="{}">{}</text><rect x="{lx}" y="{}" width="14" height="150" fill="url(#scale)"/><text x="{}" y="{}">{}</text><text x="{}" y="{}">{}</text><rect x="{lx}" y="{}" width="18" height="12" fill="url(#hatch)"/><text x="{}" y="{}">{}</text><rect x="{lx}" y="{}" width="18" height="12" fill="{}"/><text x="{}" y="{}">{}</text></g>"##,
        top,
        hex(MUTED),
        esc(&m.legend.unit),
        top + 10.0,
        lx + 20.0,
        top + 14.0,
        esc(&m.legend.high),
        lx + 20.0,
        top + 164.0,
        esc(&m.legend.low),
        top + 182.0,
        lx + 26.0,
        top + 192.0,
        esc(&m.legend.suppressed),
        top + 204.0,
        hex(MISSING),
        lx + 26.0,
        top + 214.0,
        esc(&m.legend.missing),
    );
}
