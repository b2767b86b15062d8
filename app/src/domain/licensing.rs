//! Seat accounting (DOMAIN.md, "Users, groups, licenses"): seats go to users
//! in the order their license took effect (earliest first, ties by user id);
//! users beyond the seat count hold no license.

use super::model::Millis;

/// A user who would hold a license (directly or through a group).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimant {
    pub user_id: String,
    pub effective_at: Millis,
}

/// Who gets a seat: `(user_id, has_seat)` in seat order.
pub fn allocate_seats(seats: i64, mut claimants: Vec<Claimant>) -> Vec<(String, bool)> {
    claimants.sort_by(|a, b| a.effective_at.cmp(&b.effective_at).then_with(|| a.user_id.cmp(&b.user_id)));
    // A user reached more than once counts once, at their earliest.
    let mut seen = std::collections::HashSet::new();
    claimants.retain(|c| seen.insert(c.user_id.clone()));
    let seats = usize::try_from(seats.max(0)).unwrap_or(usize::MAX);
    claimants.into_iter().enumerate().map(|(i, c)| (c.user_id, i < seats)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, at: Millis) -> Claimant {
        Claimant { user_id: id.into(), effective_at: at }
    }

    #[test]
    fn earliest_first_ties_by_user_id() {
        let got = allocate_seats(2, vec![c("u3", 5), c("u2", 1), c("u1", 5), c("u0", 9)]);
        assert_eq!(got, [("u2".to_string(), true), ("u1".to_string(), true), ("u3".to_string(), false), ("u0".to_string(), false)]);
    }

    #[test]
    fn a_freed_seat_goes_to_the_next_in_order() {
        let before = allocate_seats(1, vec![c("a", 1), c("b", 2)]);
        assert_eq!(before[1], ("b".to_string(), false));
        let after = allocate_seats(1, vec![c("b", 2)]);
        assert_eq!(after, [("b".to_string(), true)]);
    }

    #[test]
    fn zero_seats_and_duplicates() {
        assert!(allocate_seats(0, vec![c("a", 1)]).iter().all(|(_, seat)| !seat));
        // a user reached twice (directly and through a group) counts once, at the earliest
        let got = allocate_seats(1, vec![c("a", 5), c("a", 1), c("b", 2)]);
        assert_eq!(got, [("a".to_string(), true), ("b".to_string(), false)]);
    }
}
