//! What a reader of the published figures knows: the equations the roll-ups and the shared
//! counts give, and the small counts to audit.

use super::{AuditCell, Combine, Part, Quantity, Rollup, SharedCount};

/// `coefficient × cell.part` terms, minus a non-negative slack when the equation is `≥` (own
/// rows), equal to `rhs`: what the true figures give, within rounding of zero, so the true
/// figures always solve it.
#[derive(Debug, Clone)]
pub(super) struct Equation {
    pub(super) terms: Vec<(usize, Part, f64)>,
    pub(super) slack: bool,
    pub(super) rhs: f64,
}

/// Whether `residual` is zero for figures of the size of `scale`.
fn exact(residual: f64, scale: f64) -> bool {
    residual.abs() <= 1e-6 * scale.abs().max(1.0)
}

/// The equations a reader knows, kept only where the exact figures satisfy them: a relation that
/// does not hold (a mean over children of different lengths, say) is no knowledge, and a wrong
/// constraint could only make the audit wrong.
pub(super) fn equations(
    cells: &[AuditCell],
    rollups: &[Rollup],
    shared: &[SharedCount],
) -> Vec<Equation> {
    let mut out = Vec::new();
    for r in rollups {
        for part in Part::BOTH {
            let Some(parent) = part.of(&cells[r.relation.parent].counts) else {
                continue;
            };
            let children: Vec<(usize, f64)> = r
                .relation
                .children
                .iter()
                .filter_map(|&c| part.of(&cells[c].counts).map(|v| (c, v)))
                .collect();
            if children.is_empty() {
                continue;
            }
            let weight = match r.combine {
                Combine::Mean => children.len() as f64,
                Combine::Sum | Combine::Last => 1.0,
            };
            let sum: f64 = children.iter().map(|(_, v)| v).sum();
            let residual = weight * parent - sum;
            let slack = match r.combine {
                _ if exact(residual, parent) => false,
                Combine::Sum if residual > 0.0 => true,
                _ => continue,
            };
            let mut terms = vec![(r.relation.parent, part, weight)];
            terms.extend(children.iter().map(|&(c, _)| (c, part, -1.0)));
            let rhs = if slack { 0.0 } else { residual };
            out.push(Equation { terms, slack, rhs });
        }
    }
    for s in shared {
        let (Some(a), Some(b)) = (
            s.a.1.of(&cells[s.a.0].counts),
            s.b.1.of(&cells[s.b.0].counts),
        ) else {
            continue;
        };
        if exact(a - b, a) {
            out.push(Equation {
                terms: vec![(s.a.0, s.a.1, 1.0), (s.b.0, s.b.1, -1.0)],
                slack: false,
                rhs: a - b,
            });
        }
    }
    out
}

/// The small counts of a hidden protected figure, each with its true value.
pub(super) fn small_counts(c: &AuditCell, k: u32) -> Vec<(Quantity, f64)> {
    let small = |v: f64| v > 0.0 && v < f64::from(k);
    let n = c.counts.numerator;
    let d = c.counts.denominator;
    let mut out = Vec::new();
    if let Some(v) = n.filter(|&v| small(v)) {
        out.push((Quantity::Numerator, v));
    }
    if let Some(v) = d.filter(|&v| small(v)) {
        out.push((Quantity::Denominator, v));
    }
    if c.counts.complement_counts
        && let (Some(n), Some(d)) = (n, d)
        && small(d - n)
    {
        out.push((Quantity::Complement, d - n));
    }
    out
}
