//! The audit of a suppression pattern by linear programming, as statistical offices audit a
//! table before release (tau-Argus): whoever reads every published figure knows each hidden count
//! only up to what the published figures, the sums between them and non-negativity allow. For
//! every hidden small count this finds that range, its *feasible interval*, by minimising and
//! maximising it; a count whose interval is narrower than the protection asked for is exposed.
//!
//! The unknowns are the numerator and denominator of every hidden figure (and, through them, the
//! complement of a percentage). The constraints are the published figures, the roll-ups (a parent
//! is the sum, the mean or the last of its children, for numerators and denominators alike), the
//! counts that two indicators share (one quantity, equal in both), and non-negativity (a share's
//! numerator never exceeds its denominator). The problem splits into independent components, the
//! hidden figures tied to each other by some constraint, and each is solved alone.

use std::collections::BTreeMap;

use good_lp::{Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable};

use super::disclosure::{CellCounts, Relation, is_small};

/// The numerator or the denominator of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    Numerator,
    Denominator,
}

impl Part {
    pub const BOTH: [Part; 2] = [Part::Numerator, Part::Denominator];

    fn of(self, c: &CellCounts) -> Option<f64> {
        match self {
            Part::Numerator => c.numerator,
            Part::Denominator => c.denominator,
        }
    }
}

/// How a parent's numerator and denominator follow from its children's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// Their sum; where the parent is more than that sum it also counts rows of its own, none of
    /// its children's (a territory the SQL returns as well as its sub-territories), and is known
    /// only to be at least the sum.
    Sum,
    /// The mean of the children that have it (`time_rollup: mean`).
    Mean,
    /// The last child's (`time_rollup: last`: the relation names that child alone).
    Last,
}

/// A relation of one indicator's figures and how it combines.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    pub relation: Relation,
    pub combine: Combine,
}

/// One count published by two figures (of two indicators): it is one quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharedCount {
    pub a: (usize, Part),
    pub b: (usize, Part),
}

/// A figure as the audit sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AuditCell {
    pub counts: CellCounts,
    /// Its indicator protects small counts: its hidden small counts are audited.
    pub protected: bool,
    /// Its numerator is a part of its denominator (a share of people), so never above it.
    pub share: bool,
}

/// Which count of a figure is exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    Numerator,
    Denominator,
    /// Denominator − numerator: those a percentage does not count.
    Complement,
}

impl Quantity {
    pub fn name(self) -> &'static str {
        match self {
            Quantity::Numerator => "numerator",
            Quantity::Denominator => "denominator",
            Quantity::Complement => "denominator − numerator",
        }
    }
}

/// A hidden small count that the published figures pin down too closely.
#[derive(Debug, Clone, PartialEq)]
pub struct Exposure {
    pub cell: usize,
    pub quantity: Quantity,
    /// Its true value.
    pub value: f64,
    /// The feasible interval: the least and the most it can be given what is published.
    pub min: f64,
    pub max: f64,
    /// The published figures whose numbers bound it: hiding one of them widens the interval.
    pub neighbours: Vec<usize>,
}

/// `coefficient × cell.part` terms, minus a non-negative slack when the equation is `≥` (own
/// rows), equal to `rhs`: what the true figures give, within rounding of zero, so the true
/// figures always solve it.
#[derive(Debug, Clone)]
struct Equation {
    terms: Vec<(usize, Part, f64)>,
    slack: bool,
    rhs: f64,
}

/// Whether `residual` is zero for figures of the size of `scale`.
fn exact(residual: f64, scale: f64) -> bool {
    residual.abs() <= 1e-6 * scale.abs().max(1.0)
}

/// The equations a reader knows, kept only where the exact figures satisfy them: a relation that
/// does not hold (a mean over children of different lengths, say) is no knowledge, and a wrong
/// constraint could only make the audit wrong.
fn equations(cells: &[AuditCell], rollups: &[Rollup], shared: &[SharedCount]) -> Vec<Equation> {
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
fn small_counts(c: &AuditCell, k: u32) -> Vec<(Quantity, f64)> {
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

/// Union–find over the hidden parts.
struct Components {
    parent: Vec<usize>,
}

impl Components {
    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.parent[a] = b;
        }
    }
}

/// Every hidden small count of a protected figure whose feasible interval, given the figures
/// `shown`, is narrower than `protection`. `k` is `privacy.min_cell`: counts from 1 to k−1 are
/// small.
pub fn audit(
    cells: &[AuditCell],
    rollups: &[Rollup],
    shared: &[SharedCount],
    shown: &[bool],
    k: u32,
    protection: f64,
) -> Vec<Exposure> {
    if k == 0 {
        return Vec::new();
    }
    let targets: Vec<(usize, Quantity, f64)> = (0..cells.len())
        .filter(|&i| !shown[i] && cells[i].protected && is_small(&cells[i].counts, k))
        .flat_map(|i| {
            small_counts(&cells[i], k)
                .into_iter()
                .map(move |(q, v)| (i, q, v))
        })
        .collect();
    if targets.is_empty() {
        return Vec::new();
    }
    // The unknowns: each part of each hidden figure, then one slack per `≥` equation.
    let mut unknown: BTreeMap<(usize, Part), usize> = BTreeMap::new();
    for (i, c) in cells.iter().enumerate() {
        for part in Part::BOTH {
            if !shown[i] && part.of(&c.counts).is_some() {
                let n = unknown.len();
                unknown.insert((i, part), n);
            }
        }
    }
    let eqs: Vec<Equation> = equations(cells, rollups, shared)
        .into_iter()
        .filter(|e| e.terms.iter().any(|(c, _, _)| !shown[*c]))
        .collect();
    let slack_base = unknown.len();
    let mut comps = Components {
        parent: (0..slack_base + eqs.len()).collect(),
    };
    for (e_index, e) in eqs.iter().enumerate() {
        let vars: Vec<usize> = e
            .terms
            .iter()
            .filter_map(|(c, p, _)| unknown.get(&(*c, *p)).copied())
            .chain(e.slack.then_some(slack_base + e_index))
            .collect();
        for w in vars.windows(2) {
            comps.join(w[0], w[1]);
        }
    }
    // A figure's numerator and denominator go together: a share binds them (numerator ≤
    // denominator), and a complement is made of both.
    for (&(i, part), &u) in &unknown {
        if part == Part::Numerator
            && let Some(&d) = unknown.get(&(i, Part::Denominator))
        {
            comps.join(u, d);
        }
    }
    let mut by_component: BTreeMap<usize, Vec<(usize, Quantity, f64)>> = BTreeMap::new();
    for t in targets {
        let part = match t.1 {
            Quantity::Denominator => Part::Denominator,
            Quantity::Numerator | Quantity::Complement => Part::Numerator,
        };
        let root = comps.find(unknown[&(t.0, part)]);
        by_component.entry(root).or_default().push(t);
    }
    let mut members: BTreeMap<usize, Vec<(usize, Part)>> = BTreeMap::new();
    for (&m, &u) in &unknown {
        members.entry(comps.find(u)).or_default().push(m);
    }
    let mut equations_of: BTreeMap<usize, Vec<&Equation>> = BTreeMap::new();
    for e in &eqs {
        if let Some(u) = e.terms.iter().find_map(|(c, p, _)| unknown.get(&(*c, *p))) {
            equations_of.entry(comps.find(*u)).or_default().push(e);
        }
    }
    let mut out = Vec::new();
    for (root, targets) in by_component {
        let lp = Component {
            cells,
            shown,
            members: members.get(&root).map(Vec::as_slice).unwrap_or(&[]),
            equations: equations_of.remove(&root).unwrap_or_default(),
        };
        let mut neighbours: Vec<usize> = lp
            .equations
            .iter()
            .flat_map(|e| e.terms.iter().map(|t| t.0))
            .filter(|&c| shown[c])
            .collect();
        neighbours.sort_unstable();
        neighbours.dedup();
        // Every solution is a point the reader cannot rule out, as is the truth: a count that
        // is `protection` away from its value in any solution is safe, whatever its interval.
        let mut safe = vec![false; targets.len()];
        for (t, &(cell, quantity, value)) in targets.iter().enumerate() {
            if safe[t] {
                continue;
            }
            let mut bounds = [value, value];
            for (side, maximise) in [(1, true), (0, false)] {
                let Some((optimum, point)) = lp.optimum(cell, quantity, maximise, &targets) else {
                    break;
                };
                bounds[side] = optimum;
                for (u, x) in point.iter().enumerate() {
                    if (x - targets[u].2).abs() >= protection - 1e-9 {
                        safe[u] = true;
                    }
                }
                if safe[t] || bounds[1] - bounds[0] >= protection - 1e-9 {
                    break;
                }
            }
            if safe[t] || bounds[1] - bounds[0] >= protection - 1e-9 {
                continue;
            }
            out.push(Exposure {
                cell,
                quantity,
                value,
                min: bounds[0],
                max: bounds[1],
                neighbours: neighbours.clone(),
            });
        }
    }
    out
}

/// One component's linear programme.
struct Component<'a> {
    cells: &'a [AuditCell],
    shown: &'a [bool],
    members: &'a [(usize, Part)],
    equations: Vec<&'a Equation>,
}

impl Component<'_> {
    /// The optimum of the count (`f64::INFINITY` when unbounded above) and the value every target
    /// takes in the solution found (the true values when unbounded, which only certifies the
    /// count itself); None when the solver fails, which leaves the count at its value, so that
    /// doubt hides more rather than less. (The programme is never infeasible: the true figures
    /// solve it.)
    fn optimum(
        &self,
        cell: usize,
        quantity: Quantity,
        maximise: bool,
        targets: &[(usize, Quantity, f64)],
    ) -> Option<(f64, Vec<f64>)> {
        let mut vars = ProblemVariables::new();
        let var: BTreeMap<(usize, Part), Variable> = self
            .members
            .iter()
            .map(|m| (*m, vars.add(good_lp::variable().min(0.0))))
            .collect();
        let term = |c: usize, p: Part| -> Expression {
            match var.get(&(c, p)) {
                Some(v) => Expression::from(*v),
                None => Expression::from(p.of(&self.cells[c].counts).unwrap_or(0.0)),
            }
        };
        let count = |c: usize, q: Quantity| match q {
            Quantity::Numerator => term(c, Part::Numerator),
            Quantity::Denominator => term(c, Part::Denominator),
            Quantity::Complement => term(c, Part::Denominator) - term(c, Part::Numerator),
        };
        let objective = count(cell, quantity);
        let mut constraints = Vec::new();
        for e in &self.equations {
            let mut lhs = Expression::from(0.0);
            for &(c, p, coef) in &e.terms {
                lhs += coef * term(c, p);
            }
            if e.slack {
                lhs -= vars.add(good_lp::variable().min(0.0));
            }
            constraints.push(lhs.eq(e.rhs));
        }
        for &(c, p) in self.members {
            if p == Part::Numerator && self.cells[c].share && !self.shown[c] {
                constraints.push((term(c, Part::Denominator) - term(c, Part::Numerator)).geq(0.0));
            }
        }
        let unsolved = if maximise {
            vars.maximise(objective.clone())
        } else {
            vars.minimise(objective.clone())
        };
        let mut model = unsolved.using(good_lp::microlp);
        for c in constraints {
            model = model.with(c);
        }
        match model.solve() {
            Ok(solution) => {
                let point = targets
                    .iter()
                    .map(|&(c, q, _)| solution.eval(count(c, q)))
                    .collect();
                Some((solution.eval(&objective), point))
            }
            Err(ResolutionError::Unbounded) if maximise => {
                let mut point: Vec<f64> = targets.iter().map(|t| t.2).collect();
                if let Some(i) = targets.iter().position(|t| (t.0, t.1) == (cell, quantity)) {
                    point[i] = f64::INFINITY;
                }
                Some((f64::INFINITY, point))
            }
            Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(n: f64) -> AuditCell {
        AuditCell {
            counts: CellCounts {
                numerator: Some(n),
                denominator: None,
                complement_counts: false,
            },
            protected: true,
            share: false,
        }
    }

    fn share(n: f64, d: f64) -> AuditCell {
        AuditCell {
            counts: CellCounts {
                numerator: Some(n),
                denominator: Some(d),
                complement_counts: true,
            },
            protected: true,
            share: true,
        }
    }

    fn sum(parent: usize, children: &[usize]) -> Rollup {
        Rollup {
            relation: Relation {
                parent,
                children: children.to_vec(),
            },
            combine: Combine::Sum,
        }
    }

    fn shown_but(n: usize, hidden: &[usize]) -> Vec<bool> {
        (0..n).map(|i| !hidden.contains(&i)).collect()
    }

    #[test]
    fn a_pair_hidden_under_a_published_total_spans_the_rest() {
        // Region 35 = 20 + 3 + 12 with the 3 and the 12 hidden: the 3 is anything from 0 to 15.
        let cells = [count(35.0), count(20.0), count(3.0), count(12.0)];
        let rollups = [sum(0, &[1, 2, 3])];
        let shown = shown_but(4, &[2, 3]);
        assert!(audit(&cells, &rollups, &[], &shown, 5, 1.0).is_empty());
        // Asking for an interval of 16 exposes it, naming [0, 15].
        let found = audit(&cells, &rollups, &[], &shown, 5, 16.0);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].cell, found[0].quantity), (2, Quantity::Numerator));
        assert!((found[0].min - 0.0).abs() < 1e-6 && (found[0].max - 15.0).abs() < 1e-6);
        assert_eq!(found[0].neighbours, vec![0, 1]);
    }

    #[test]
    fn a_lone_hidden_child_is_determined() {
        let cells = [count(35.0), count(20.0), count(3.0), count(12.0)];
        let found = audit(
            &cells,
            &[sum(0, &[1, 2, 3])],
            &[],
            &shown_but(4, &[2]),
            5,
            1.0,
        );
        assert_eq!(found.len(), 1);
        assert!((found[0].min - 3.0).abs() < 1e-6 && (found[0].max - 3.0).abs() < 1e-6);
    }

    #[test]
    fn a_count_shared_with_another_indicator_gives_the_pair_away() {
        // Indicator A: region 35 = 20 + 3 + 12, the 3 and the 12 hidden. Indicator B publishes
        // a percentage whose denominator is A's 12 (cell 4: 6 of 12): then the 3 is 35 − 20 − 12.
        let cells = [
            count(35.0),
            count(20.0),
            count(3.0),
            count(12.0),
            share(6.0, 12.0),
        ];
        let rollups = [sum(0, &[1, 2, 3])];
        let shown = shown_but(5, &[2, 3]);
        assert!(audit(&cells, &rollups, &[], &shown, 5, 1.0).is_empty());
        let link = [SharedCount {
            a: (3, Part::Numerator),
            b: (4, Part::Denominator),
        }];
        let found = audit(&cells, &rollups, &link, &shown, 5, 1.0);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].cell, 2);
        assert!((found[0].min - 3.0).abs() < 1e-6 && (found[0].max - 3.0).abs() < 1e-6);
        assert_eq!(found[0].neighbours, vec![0, 1, 4]);
        // Hidden in B too, the pair is safe again.
        assert!(audit(&cells, &rollups, &link, &shown_but(5, &[2, 3, 4]), 5, 1.0).is_empty());
    }

    #[test]
    fn non_negativity_bounds_a_cycle_of_four_hidden_cells() {
        // A 2 × 2 table with its margins published and the four inner cells hidden:
        //      a=3  b=7 | 10
        //      c=8  d=2 | 10
        //      11   9   | 20
        // a + b = 10, c + d = 10, a + c = 11, b + d = 9 leave one degree of freedom; b = 10 − a,
        // c = 11 − a and d = a − 1 must not be negative, so a lies in [1, 10] and d in [0, 9].
        let cells = [
            count(3.0),  // 0 a
            count(7.0),  // 1 b
            count(8.0),  // 2 c
            count(2.0),  // 3 d
            count(10.0), // 4 row 1
            count(10.0), // 5 row 2
            count(11.0), // 6 column 1
            count(9.0),  // 7 column 2
            count(20.0), // 8 total
        ];
        let rollups = [
            sum(4, &[0, 1]),
            sum(5, &[2, 3]),
            sum(6, &[0, 2]),
            sum(7, &[1, 3]),
            sum(8, &[4, 5]),
            sum(8, &[6, 7]),
        ];
        let shown = shown_but(9, &[0, 1, 2, 3]);
        let found = audit(&cells, &rollups, &[], &shown, 5, 10.0);
        let interval = |cell: usize| {
            let e = found.iter().find(|e| e.cell == cell).expect("exposed");
            (e.min, e.max)
        };
        let close = |(lo, hi): (f64, f64), (a, b): (f64, f64)| {
            (lo - a).abs() < 1e-6 && (hi - b).abs() < 1e-6
        };
        assert!(close(interval(0), (1.0, 10.0)), "{found:?}");
        assert!(close(interval(3), (0.0, 9.0)), "{found:?}");
        assert!(audit(&cells, &rollups, &[], &shown, 5, 1.0).is_empty());
    }

    #[test]
    fn a_percentages_complement_is_audited_with_its_share_bound() {
        // Two facilities, 6 of 7 and 10 of 10, and their municipality 16 of 17. With the
        // municipality and the second facility shown, the first is 16 − 10 of 17 − 10 = 6 of 7:
        // its one person who did not is determined.
        let cells = [share(16.0, 17.0), share(6.0, 7.0), share(10.0, 10.0)];
        let found = audit(&cells, &[sum(0, &[1, 2])], &[], &shown_but(3, &[1]), 5, 1.0);
        assert!(
            found
                .iter()
                .any(|e| e.quantity == Quantity::Complement && (e.value - 1.0).abs() < 1e-9),
            "{found:?}"
        );
        // With the second hidden as well: n1 + n2 = 16, d1 + d2 = 17, n ≤ d, so d1 − n1 is
        // 1 − (d2 − n2), anything from 0 to 1: narrower than 1 is not the case (width exactly 1).
        let found = audit(
            &cells,
            &[sum(0, &[1, 2])],
            &[],
            &shown_but(3, &[1, 2]),
            5,
            1.0,
        );
        assert!(found.is_empty(), "{found:?}");
        let found = audit(
            &cells,
            &[sum(0, &[1, 2])],
            &[],
            &shown_but(3, &[1, 2]),
            5,
            2.0,
        );
        let e = found
            .iter()
            .find(|e| e.cell == 1 && e.quantity == Quantity::Complement)
            .expect("the complement is within [0, 1]");
        assert!(e.min.abs() < 1e-6 && (e.max - 1.0).abs() < 1e-6, "{e:?}");
    }

    #[test]
    fn a_mean_over_time_is_a_sum_times_its_length() {
        // A year's mean of 4 over quarters 2, 6, 4, 4 with the 2 and one 4 hidden: the two add up to 6.
        let cells = [count(4.0), count(2.0), count(6.0), count(4.0), count(4.0)];
        let rollups = [Rollup {
            relation: Relation {
                parent: 0,
                children: vec![1, 2, 3, 4],
            },
            combine: Combine::Mean,
        }];
        let found = audit(&cells, &rollups, &[], &shown_but(5, &[1, 3]), 5, 7.0);
        let e = found.iter().find(|e| e.cell == 1).expect("exposed at 7");
        assert!(e.min.abs() < 1e-6 && (e.max - 6.0).abs() < 1e-6, "{e:?}");
    }
}
