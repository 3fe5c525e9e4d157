//! Random territory hierarchies for the property tests of suppression and roll-ups: a root `T0`
//! and nodes `T1`, `T2`, … each under one created before it.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

#[derive(Debug, Clone)]
pub struct Tree {
    /// (code, parent index) in creation order; the root has none.
    pub nodes: Vec<(String, Option<usize>)>,
}

/// Hierarchies of 3 to `nodes` territories.
pub fn tree(nodes: usize) -> impl Strategy<Value = Tree> {
    prop::collection::vec(0usize..1000, 2..nodes).prop_map(|picks| {
        let mut nodes = vec![("T0".to_string(), None)];
        for (i, pick) in picks.into_iter().enumerate() {
            nodes.push((format!("T{}", i + 1), Some(pick % nodes.len())));
        }
        Tree { nodes }
    })
}

impl Tree {
    /// The territories file (code,name,level,parent) of the hierarchy.
    pub fn territories_csv(&self) -> String {
        let mut out = String::from("code,name,level,parent\n");
        for (code, parent) in &self.nodes {
            let parent = parent.map(|i| self.nodes[i].0.as_str()).unwrap_or_default();
            out.push_str(&format!("{code},{code},x,{parent}\n"));
        }
        out
    }

    /// Each territory's parent, the root excluded.
    pub fn parent_of(&self) -> BTreeMap<String, String> {
        self.nodes
            .iter()
            .filter_map(|(code, parent)| Some((code.clone(), self.nodes[(*parent)?].0.clone())))
            .collect()
    }

    /// The territories with no territory under them, in creation order: those that report.
    pub fn leaves(&self) -> Vec<&str> {
        let has_children: BTreeSet<usize> = self.nodes.iter().filter_map(|(_, p)| *p).collect();
        self.nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| !has_children.contains(i))
            .map(|(_, (code, _))| code.as_str())
            .collect()
    }

    /// Every code, comma-separated, as a YAML list's items.
    pub fn codes(&self) -> String {
        let codes: Vec<&str> = self.nodes.iter().map(|(c, _)| c.as_str()).collect();
        codes.join(", ")
    }
}
