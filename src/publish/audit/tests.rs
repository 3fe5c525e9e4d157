use super::*;
use crate::publish::disclosure::{CellCounts, Relation};

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
    let close =
        |(lo, hi): (f64, f64), (a, b): (f64, f64)| (lo - a).abs() < 1e-6 && (hi - b).abs() < 1e-6;
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
