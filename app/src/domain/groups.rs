//! Nested groups: how a user reaches each group they are (transitively) a
//! member of, and the cycle rule for new nesting.

use std::collections::{HashMap, HashSet, VecDeque};

/// For every group reachable from the user's direct groups, the chain of
/// groups that leads there: `[direct group, ..., the group itself]`, the
/// shortest one. `parents` maps a group to the groups it is a member of.
pub fn membership_chains(direct: &[String], parents: &HashMap<String, Vec<String>>) -> HashMap<String, Vec<String>> {
    let mut chains: HashMap<String, Vec<String>> = HashMap::new();
    let mut queue = VecDeque::new();
    let mut sorted_direct = direct.to_vec();
    sorted_direct.sort();
    for g in sorted_direct {
        if !chains.contains_key(&g) {
            chains.insert(g.clone(), vec![g.clone()]);
            queue.push_back(g);
        }
    }
    while let Some(g) = queue.pop_front() {
        let chain = chains[&g].clone();
        let mut ps = parents.get(&g).cloned().unwrap_or_default();
        ps.sort();
        for p in ps {
            if !chains.contains_key(&p) {
                let mut next = chain.clone();
                next.push(p.clone());
                chains.insert(p.clone(), next);
                queue.push_back(p);
            }
        }
    }
    chains
}

/// Would making `member` a member of `group` create a cycle? `parents` maps
/// a group to the groups it is a member of.
pub fn would_create_cycle(group: &str, member: &str, parents: &HashMap<String, Vec<String>>) -> bool {
    if group == member {
        return true;
    }
    // A cycle exists if `member` is already an ancestor of `group`.
    let mut seen = HashSet::new();
    let mut stack = vec![group.to_string()];
    while let Some(g) = stack.pop() {
        if g == member {
            return true;
        }
        if seen.insert(g.clone()) {
            stack.extend(parents.get(&g).cloned().unwrap_or_default());
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parents(edges: &[(&str, &str)]) -> HashMap<String, Vec<String>> {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for (child, parent) in edges {
            m.entry(child.to_string()).or_default().push(parent.to_string());
        }
        m
    }

    #[test]
    fn chains_follow_nesting_and_prefer_the_shortest() {
        let p = parents(&[("platform", "engineering"), ("engineering", "staff"), ("platform", "staff")]);
        let chains = membership_chains(&["platform".into()], &p);
        assert_eq!(chains["platform"], ["platform"]);
        assert_eq!(chains["engineering"], ["platform", "engineering"]);
        assert_eq!(chains["staff"], ["platform", "staff"]);
        assert_eq!(chains.len(), 3);
    }

    #[test]
    fn chains_survive_a_cycle_in_the_data() {
        let p = parents(&[("a", "b"), ("b", "a")]);
        let chains = membership_chains(&["a".into()], &p);
        assert_eq!(chains.len(), 2);
    }

    #[test]
    fn cycles_are_detected() {
        let p = parents(&[("platform", "engineering"), ("engineering", "staff")]);
        assert!(would_create_cycle("platform", "staff", &p), "staff ⊇ engineering ⊇ platform");
        assert!(would_create_cycle("x", "x", &p));
        assert!(!would_create_cycle("staff", "platform", &p), "already nested that way");
        assert!(!would_create_cycle("sales", "platform", &p));
    }
}
