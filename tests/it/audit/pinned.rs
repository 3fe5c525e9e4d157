//! What a reader can work out about the hidden figures: each hidden count is a variable of a
//! linear programme whose constraints are what the reader knows; a small count whose feasible
//! interval is narrower than the protection is pinned down.

use super::*;
use good_lp::{
    Constraint, Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable,
};

/// The figures as a linear programme's terms: a hidden count is a variable (at least 0), a shown
/// one its value.
struct Terms<'a> {
    exact: &'a BTreeMap<Key, Counts>,
    vars: ProblemVariables,
    unknown: BTreeMap<(Key, usize), Variable>,
}

impl<'a> Terms<'a> {
    fn new(exact: &'a BTreeMap<Key, Counts>, shown: &BTreeMap<Key, Counts>) -> Terms<'a> {
        let mut vars = ProblemVariables::new();
        let mut unknown = BTreeMap::new();
        for (k, (n, d)) in exact {
            if shown.contains_key(k) {
                continue;
            }
            for (part, v) in [(0, n), (1, d)] {
                if v.is_some() {
                    unknown.insert((k.clone(), part), vars.add(good_lp::variable().min(0.0)));
                }
            }
        }
        Terms {
            exact,
            vars,
            unknown,
        }
    }

    /// Figure `k`'s numerator (`part` 0) or denominator (1), if it has one.
    fn part(&self, k: &Key, part: usize) -> Option<Expression> {
        let (n, d) = self.exact.get(k)?;
        let v = if part == 0 { *n } else { *d };
        v?;
        Some(match self.unknown.get(&(k.clone(), part)) {
            Some(x) => Expression::from(*x),
            None => Expression::from(v.unwrap_or(0.0)),
        })
    }

    /// The narrowest and widest values `objective` can take under `constraints`.
    fn interval(&self, constraints: &[Constraint], objective: &Expression) -> (f64, f64) {
        let solve = |maximise: bool| -> f64 {
            let unsolved = if maximise {
                self.vars.clone().maximise(objective.clone())
            } else {
                self.vars.clone().minimise(objective.clone())
            };
            let mut model = unsolved.using(good_lp::microlp);
            for c in constraints {
                model = model.with(c.clone());
            }
            match model.solve() {
                Ok(s) => s.eval(objective),
                Err(ResolutionError::Unbounded) => f64::INFINITY,
                Err(e) => panic!("the true figures are a solution: {e}"),
            }
        };
        (solve(false), solve(true))
    }
}

/// What the reader knows, as equations: sums (a territory of its children, a year of its
/// quarters, for numerators and denominators), shared counts, parts no larger than their whole.
fn constraints(terms: &Terms, know: &Knowledge) -> Vec<Constraint> {
    let exact = terms.exact;
    let mut sums: BTreeMap<Key, Vec<Key>> = BTreeMap::new();
    for k in exact.keys() {
        let (i, t, p) = k;
        if let Some(pt) = know.parent_of.get(t) {
            sums.entry(key(i, pt, p)).or_default().push(k.clone());
        }
        if let Some(y) = year_of(p) {
            sums.entry(key(i, t, &y)).or_default().push(k.clone());
        }
    }
    let mut constraints = Vec::new();
    for (parent, children) in &sums {
        // A year's children are its quarters, a territory's its sub-territories: keep them apart.
        let groups: [Vec<&Key>; 2] = [
            children.iter().filter(|c| c.2 == parent.2).collect(),
            children.iter().filter(|c| c.2 != parent.2).collect(),
        ];
        for group in groups.iter().filter(|g| !g.is_empty()) {
            for p in 0..2 {
                let Some(lhs) = terms.part(parent, p) else {
                    continue;
                };
                let mut rhs = Expression::from(0.0);
                for c in group {
                    if let Some(e) = terms.part(c, p) {
                        rhs += e;
                    }
                }
                constraints.push((lhs - rhs).eq(0.0));
            }
        }
    }
    for &(a, pa, b, pb) in &know.shared {
        for (_, t, p) in exact.keys().filter(|k| k.0 == a) {
            if let (Some(x), Some(y)) =
                (terms.part(&key(a, t, p), pa), terms.part(&key(b, t, p), pb))
            {
                constraints.push((x - y).eq(0.0));
            }
        }
    }
    for k in exact.keys().filter(|k| know.shares.contains(&k.0.as_str())) {
        if let (Some(n), Some(d)) = (terms.part(k, 0), terms.part(k, 1)) {
            constraints.push((d - n).geq(0.0));
        }
    }
    constraints
}

/// The small counts (1 to 4) of figure `k` a reader must not pin down.
fn small_counts(
    terms: &Terms,
    k: &Key,
    (n, d): &Counts,
    know: &Knowledge,
) -> Vec<(&'static str, Expression)> {
    let small = |v: f64| v > 0.0 && v < 5.0;
    let mut quantities: Vec<(&'static str, Expression)> = Vec::new();
    if n.is_some_and(small) {
        quantities.push(("numerator", terms.part(k, 0).expect("a numerator")));
    }
    if d.is_some_and(small) {
        quantities.push(("denominator", terms.part(k, 1).expect("a denominator")));
    }
    if let (Some(n), Some(d)) = (n, d)
        && know.shares.contains(&k.0.as_str())
        && small(d - n)
    {
        quantities.push((
            "denominator − numerator",
            terms.part(k, 1).expect("d") - terms.part(k, 0).expect("n"),
        ));
    }
    quantities
}

/// Every hidden small count (from 1 to 4) of a protected indicator whose feasible interval,
/// given the figures `shown`, is narrower than `protection`: (figure, which count, min, max).
pub(super) fn pinned_down(
    exact: &BTreeMap<Key, Counts>,
    shown: &BTreeMap<Key, Counts>,
    know: &Knowledge,
    protection: f64,
) -> Vec<(Key, &'static str, f64, f64)> {
    for (k, counts) in shown {
        assert_eq!(
            exact.get(k),
            Some(counts),
            "the page shows {k:?} as computed"
        );
    }
    let terms = Terms::new(exact, shown);
    let constraints = constraints(&terms, know);
    let mut out = Vec::new();
    for (k, counts) in exact {
        if shown.contains_key(k) || !know.protected.contains(&k.0.as_str()) {
            continue;
        }
        for (what, objective) in small_counts(&terms, k, counts, know) {
            let (lo, hi) = terms.interval(&constraints, &objective);
            if hi - lo < protection - 1e-6 {
                out.push((k.clone(), what, lo, hi));
            }
        }
    }
    out
}
