//! The linear programmes: the hidden parts split into components tied by some equation, and
//! each component's programme solved for the least and the most a count can be.

use std::collections::BTreeMap;

use good_lp::{Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable};

use super::equations::Equation;
use super::{AuditCell, Exposure, Part, Quantity, Target};

/// Union–find over the hidden parts.
pub(super) struct Components {
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

/// One component's linear programme.
pub(super) struct Component<'a> {
    pub(super) cells: &'a [AuditCell],
    pub(super) shown: &'a [bool],
    pub(super) members: &'a [(usize, Part)],
    pub(super) equations: Vec<&'a Equation>,
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

/// One component to solve: the counts to audit in it, its unknowns and its equations.
pub(super) struct Group<'a> {
    pub(super) targets: Vec<Target>,
    pub(super) members: Vec<(usize, Part)>,
    pub(super) equations: Vec<&'a Equation>,
}

/// The components that hold a count to audit. `unknown` numbers the hidden parts; after them
/// come one slack per `≥` equation.
pub(super) fn groups<'a>(
    unknown: &BTreeMap<(usize, Part), usize>,
    eqs: &'a [Equation],
    targets: Vec<Target>,
) -> Vec<Group<'a>> {
    let mut comps = Components::joined(unknown, eqs);
    let mut by_component: BTreeMap<usize, Vec<Target>> = BTreeMap::new();
    for t in targets {
        let part = match t.1 {
            Quantity::Denominator => Part::Denominator,
            Quantity::Numerator | Quantity::Complement => Part::Numerator,
        };
        let root = comps.find(unknown[&(t.0, part)]);
        by_component.entry(root).or_default().push(t);
    }
    let mut members: BTreeMap<usize, Vec<(usize, Part)>> = BTreeMap::new();
    for (&m, &u) in unknown {
        members.entry(comps.find(u)).or_default().push(m);
    }
    let mut equations_of: BTreeMap<usize, Vec<&Equation>> = BTreeMap::new();
    for e in eqs {
        if let Some(u) = e.terms.iter().find_map(|(c, p, _)| unknown.get(&(*c, *p))) {
            equations_of.entry(comps.find(*u)).or_default().push(e);
        }
    }
    by_component
        .into_iter()
        .map(|(root, targets)| Group {
            targets,
            members: members.remove(&root).unwrap_or_default(),
            equations: equations_of.remove(&root).unwrap_or_default(),
        })
        .collect()
}

impl Components {
    /// The hidden parts joined by every equation that holds several of them, and each figure's
    /// numerator with its denominator.
    fn joined(unknown: &BTreeMap<(usize, Part), usize>, eqs: &[Equation]) -> Components {
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
        for (&(i, part), &u) in unknown {
            if part == Part::Numerator
                && let Some(&d) = unknown.get(&(i, Part::Denominator))
            {
                comps.join(u, d);
            }
        }
        comps
    }
}

impl Component<'_> {
    /// The counts of `targets` (all of this component) whose feasible interval is narrower than
    /// `protection`.
    pub(super) fn exposures(&self, targets: &[Target], protection: f64) -> Vec<Exposure> {
        let mut neighbours: Vec<usize> = self
            .equations
            .iter()
            .flat_map(|e| e.terms.iter().map(|t| t.0))
            .filter(|&c| self.shown[c])
            .collect();
        neighbours.sort_unstable();
        neighbours.dedup();
        // Every solution is a point the reader cannot rule out, as is the truth: a count that
        // is `protection` away from its value in any solution is safe, whatever its interval.
        let mut safe = vec![false; targets.len()];
        let mut out = Vec::new();
        for (t, &(cell, quantity, value)) in targets.iter().enumerate() {
            if safe[t] {
                continue;
            }
            let mut bounds = [value, value];
            for (side, maximise) in [(1, true), (0, false)] {
                let Some((optimum, point)) = self.optimum(cell, quantity, maximise, targets) else {
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
        out
    }
}
