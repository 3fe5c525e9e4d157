//! Disclosure control on its own: which cells of a table of counts must be hidden so that no person
//! in a group smaller than `k` can be singled out, directly or by subtraction.
//!
//! The table is a list of cells (numerator, denominator) and a list of additive relations between
//! them (a parent equals the sum of its children, over territory or time). Primary suppression hides
//! the small cells; secondary suppression then makes sure no relation has exactly one hidden member,
//! since that member would be its parent minus its published siblings (or the sum of its children).

/// What the rule needs to know of one figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellCounts {
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    /// A percentage: `denominator − numerator` counts people too (those who did not).
    pub complement_counts: bool,
}

/// A parent that equals the sum (or, for `last`, the value) of its children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub parent: usize,
    pub children: Vec<usize>,
}

/// Why a cell is hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Suppression {
    /// Its own numerator, denominator or their difference is between 1 and k−1.
    Primary,
    /// Hidden so that a primary cell cannot be recovered by subtraction.
    Secondary,
}

/// Whether a figure counts fewer than `k` people (but some) in any of its parts.
pub fn is_small(c: &CellCounts, k: u32) -> bool {
    if k == 0 {
        return false;
    }
    let small = |x: Option<f64>| x.is_some_and(|v| v > 0.0 && v < f64::from(k));
    let difference = match (c.numerator, c.denominator) {
        (Some(n), Some(d)) if c.complement_counts => Some(d - n),
        _ => None,
    };
    small(c.numerator) || small(c.denominator) || small(difference)
}

/// The suppression of every cell: primary for the small ones, then secondary until no relation has
/// exactly one hidden member. The complement chosen is the member that hides the least: the
/// smallest non-zero sibling (by numerator, then denominator), the smallest child when the hidden
/// member is the parent, and the parent only when there is no sibling to hide. (Publication runs
/// the two steps itself, over all indicators together and with the ties between them.)
#[cfg(test)]
pub fn protect(cells: &[CellCounts], relations: &[Relation], k: u32) -> Vec<Option<Suppression>> {
    let mut state = primary(cells, &vec![true; cells.len()], k);
    if k > 0 {
        close(cells, relations, &[], &mut state);
    }
    state
}

/// Primary suppression of the cells whose indicator protects small counts (`protected`).
pub fn primary(cells: &[CellCounts], protected: &[bool], k: u32) -> Vec<Option<Suppression>> {
    cells
        .iter()
        .zip(protected)
        .map(|(c, &p)| (p && is_small(c, k)).then_some(Suppression::Primary))
        .collect()
}

/// Secondary suppression from `state` on, until no relation has exactly one hidden member and no
/// tie has one hidden end. A tie joins two cells that publish the same count (one indicator's
/// numerator is another's denominator): hiding it in one and showing it in the other would hide
/// nothing.
pub fn close(
    cells: &[CellCounts],
    relations: &[Relation],
    ties: &[(usize, usize)],
    state: &mut [Option<Suppression>],
) {
    let relations: Vec<&Relation> = relations
        .iter()
        .filter(|r| !r.children.is_empty())
        .collect();
    loop {
        let mut changed = false;
        for r in &relations {
            let hidden: Vec<usize> = std::iter::once(r.parent)
                .chain(r.children.iter().copied())
                .filter(|&i| state[i].is_some())
                .collect();
            let [only] = hidden.as_slice() else {
                continue;
            };
            let candidates: Vec<usize> = r
                .children
                .iter()
                .copied()
                .filter(|&i| state[i].is_none())
                .collect();
            let complement = smallest(cells, &candidates).or_else(|| {
                // The hidden member is the only child: its parent equals it and must go too.
                (*only != r.parent && state[r.parent].is_none()).then_some(r.parent)
            });
            if let Some(c) = complement {
                state[c] = Some(Suppression::Secondary);
                changed = true;
            }
        }
        for &(a, b) in ties {
            for (from, to) in [(a, b), (b, a)] {
                if state[from].is_some() && state[to].is_none() {
                    state[to] = Some(Suppression::Secondary);
                    changed = true;
                }
            }
        }
        if !changed {
            return;
        }
    }
}

/// The candidate that hides the least: a non-zero numerator first, then the smallest figures.
pub fn smallest(cells: &[CellCounts], candidates: &[usize]) -> Option<usize> {
    by_size(cells, candidates).first().copied()
}

/// The candidates from the one that hides the least to the one that hides the most.
pub fn by_size(cells: &[CellCounts], candidates: &[usize]) -> Vec<usize> {
    let key = |i: &usize| {
        let c = &cells[*i];
        let n = c.numerator.unwrap_or(0.0);
        let d = c.denominator.unwrap_or(0.0);
        (n <= 0.0, OrderedF64(n), OrderedF64(d), *i)
    };
    let mut out = candidates.to_vec();
    out.sort_by_key(key);
    out
}

/// A float ordered by `total_cmp`, so figures can be ranked without a panic on NaN.
#[derive(Debug, Clone, Copy)]
struct OrderedF64(f64);

impl PartialEq for OrderedF64 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for OrderedF64 {}

impl PartialOrd for OrderedF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(n: f64) -> CellCounts {
        CellCounts {
            numerator: Some(n),
            denominator: None,
            complement_counts: false,
        }
    }

    fn hidden(state: &[Option<Suppression>]) -> Vec<usize> {
        (0..state.len()).filter(|&i| state[i].is_some()).collect()
    }

    #[test]
    fn small_counts_rates_and_complements() {
        assert!(is_small(&count(3.0), 5));
        assert!(!is_small(&count(0.0), 5));
        assert!(!is_small(&count(5.0), 5));
        assert!(!is_small(&count(3.0), 0));
        let rate = |n, d| CellCounts {
            numerator: Some(n),
            denominator: Some(d),
            complement_counts: true,
        };
        assert!(is_small(&rate(6.0, 7.0), 5), "all but one");
        assert!(!is_small(&rate(7.0, 7.0), 5), "all of them");
        assert!(is_small(&rate(40.0, 3.0), 5), "a small denominator");
        let days = CellCounts {
            numerator: Some(120.0),
            denominator: Some(3.0),
            complement_counts: false,
        };
        assert!(is_small(&days, 5), "an average over three people");
    }

    #[test]
    fn a_lone_small_child_takes_its_smallest_sibling_with_it() {
        // Region 35 = 20 + 3 + 12: the 3 alone would be 35 − 20 − 12.
        let cells = [count(35.0), count(20.0), count(3.0), count(12.0)];
        let rel = [Relation {
            parent: 0,
            children: vec![1, 2, 3],
        }];
        let state = protect(&cells, &rel, 5);
        assert_eq!(hidden(&state), vec![2, 3]);
        assert_eq!(state[2], Some(Suppression::Primary));
        assert_eq!(state[3], Some(Suppression::Secondary));
    }

    #[test]
    fn an_only_child_hides_its_parent() {
        let cells = [count(3.0), count(3.0)];
        let rel = [Relation {
            parent: 0,
            children: vec![1],
        }];
        assert_eq!(hidden(&protect(&cells, &rel, 5)), vec![0, 1]);
    }

    #[test]
    fn suppression_cascades_across_relations() {
        // Province 20 = 18 + 2; region 32 = province 20 + 12. The 2 hides the 18; nothing else
        // needs hiding, since the province itself stays published.
        let cells = [
            count(32.0),
            count(20.0),
            count(12.0),
            count(18.0),
            count(2.0),
        ];
        let rel = [
            Relation {
                parent: 0,
                children: vec![1, 2],
            },
            Relation {
                parent: 1,
                children: vec![3, 4],
            },
        ];
        assert_eq!(hidden(&protect(&cells, &rel, 5)), vec![3, 4]);
        // A hidden parent with all its children shown is their sum: a child goes too.
        let cells = [count(32.0), count(3.0), count(29.0), count(1.0), count(2.0)];
        let state = protect(&cells, &rel, 5);
        assert!(state[1].is_some() && state[3].is_some() && state[4].is_some());
        assert_eq!(state[2], Some(Suppression::Secondary), "{state:?}");
    }
}
