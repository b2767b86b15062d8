//! Nested groups: how a user reaches each group they are (transitively) a
//! member of, and the cycle rule for new nesting.

use super::fields::{plain_text, FieldProblem};
use serde::{Deserialize, Serialize};
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

/// Would making `member` a member of `group` create a cycle? Then the
/// groups that would close it: `[group, ..., member]`, each a member of the
/// next (the shortest such chain), so that `member` would contain `group`
/// and `group` would contain `member`. `parents` maps a group to the groups
/// it is a member of.
pub fn cycle_path(group: &str, member: &str, parents: &HashMap<String, Vec<String>>) -> Option<Vec<String>> {
    if group == member {
        return Some(vec![group.to_string()]);
    }
    // Breadth first up from `group`: a cycle exists if `member` is already
    // among its ancestors.
    let mut came_from: HashMap<String, String> = HashMap::new();
    let mut queue = VecDeque::from([group.to_string()]);
    let mut seen = HashSet::from([group.to_string()]);
    while let Some(g) = queue.pop_front() {
        let mut ps = parents.get(&g).cloned().unwrap_or_default();
        ps.sort();
        for p in ps {
            if !seen.insert(p.clone()) {
                continue;
            }
            came_from.insert(p.clone(), g.clone());
            if p == member {
                let mut path = vec![p];
                while let Some(previous) = came_from.get(path.last().expect("not empty")) {
                    path.push(previous.clone());
                }
                path.reverse();
                return Some(path);
            }
            queue.push_back(p);
        }
    }
    None
}

/// The sentence that refuses a nesting, from the names of the chain
/// [`cycle_path`] found (`[group, ..., member]`).
pub fn cycle_message(chain: &[String]) -> String {
    match chain {
        [] => "That nesting would make a loop.".into(),
        [only] => format!("“{only}” can't be a member of itself."),
        [group, .., member] => format!(
            "“{member}” can't become a member of “{group}”: “{group}” is already inside “{member}” ({}), so that would make a loop.",
            chain.join(" → ")
        ),
    }
}

/// The most characters in a group's name and description.
pub const MAX_GROUP_NAME: usize = 120;
pub const MAX_GROUP_DESCRIPTION: usize = 1000;

/// A group as an admin typed it (creating, or editing: the API's PATCH
/// leaves out what it keeps).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInput {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// A group's fields, every one valid.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupFields {
    pub name: String,
    pub description: String,
}

impl GroupFields {
    /// The name as compared for uniqueness (case-insensitive).
    pub fn name_normalized(&self) -> String {
        self.name.to_lowercase()
    }
}

/// Checks a new group (`current` None) or an edit of `current`; reports
/// every problem at once.
pub fn validate_group(current: Option<&GroupFields>, input: &GroupInput) -> Result<GroupFields, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let name = match (&input.name, current) {
        (Some(name), _) => plain_text("name", name, MAX_GROUP_NAME, true, &mut problems),
        (None, Some(c)) => c.name.clone(),
        (None, None) => plain_text("name", "", MAX_GROUP_NAME, true, &mut problems),
    };
    let description = match (&input.description, current) {
        (Some(d), _) => description_text(d, &mut problems),
        (None, Some(c)) => c.description.clone(),
        (None, None) => String::new(),
    };
    if problems.is_empty() {
        Ok(GroupFields { name, description })
    } else {
        Err(problems)
    }
}

/// A description may span lines (but carries no other control characters).
fn description_text(value: &str, problems: &mut Vec<FieldProblem>) -> String {
    let value = value.trim().replace("\r\n", "\n");
    if value.chars().count() > MAX_GROUP_DESCRIPTION {
        problems.push(("description", "too_long"));
    } else if value.chars().any(|c| c.is_control() && c != '\n') {
        problems.push(("description", "control_characters"));
    }
    value
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
    fn a_cycle_is_refused_with_the_chain_that_would_close_it() {
        let p = parents(&[("platform", "engineering"), ("engineering", "staff"), ("platform", "staff-2"), ("staff-2", "staff")]);
        // Making staff a member of platform: platform is already inside
        // engineering, which is inside staff (the shortest of two chains,
        // ties by name).
        assert_eq!(cycle_path("platform", "staff", &p).unwrap(), ["platform", "engineering", "staff"]);
        assert_eq!(cycle_path("platform", "engineering", &p).unwrap(), ["platform", "engineering"]);
        assert_eq!(cycle_path("x", "x", &p).unwrap(), ["x"]);
        assert_eq!(cycle_path("staff", "platform", &p), None, "already nested that way");
        assert_eq!(cycle_path("sales", "platform", &p), None);
        // Existing bad data (a cycle already there) does not loop forever.
        let looped = parents(&[("a", "b"), ("b", "a")]);
        assert_eq!(cycle_path("a", "c", &looped), None);
        assert_eq!(cycle_path("a", "b", &looped).unwrap(), ["a", "b"]);
    }

    #[test]
    fn the_refusal_names_the_chain() {
        let chain = ["Platform".to_string(), "Engineering".into(), "Staff".into()];
        assert_eq!(
            cycle_message(&chain),
            "“Staff” can't become a member of “Platform”: “Platform” is already inside “Staff” (Platform → Engineering → Staff), so that would make a loop."
        );
        assert_eq!(cycle_message(&["Ops".to_string()]), "“Ops” can't be a member of itself.");
    }

    #[test]
    fn a_group_needs_a_name_and_keeps_what_an_edit_leaves_out() {
        let created = validate_group(None, &GroupInput { name: Some("  Finance ".into()), description: None }).unwrap();
        assert_eq!(created, GroupFields { name: "Finance".into(), description: String::new() });
        assert_eq!(created.name_normalized(), "finance");
        assert_eq!(validate_group(None, &GroupInput::default()).unwrap_err(), [("name", "missing")]);
        let edited = validate_group(Some(&created), &GroupInput { name: None, description: Some("Line one\r\nline two".into()) }).unwrap();
        assert_eq!(edited, GroupFields { name: "Finance".into(), description: "Line one\nline two".into() });
        let bad = GroupInput { name: Some("n".repeat(121)), description: Some("bell\u{7}".into()) };
        let problems = validate_group(Some(&created), &bad).unwrap_err();
        assert_eq!(problems, [("name", "too_long"), ("description", "control_characters")]);
        for (field, code) in problems {
            assert!(crate::domain::fields::field_message(field, code).is_some(), "{field}:{code} has a sentence");
        }
    }
}
