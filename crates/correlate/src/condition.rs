//! A correlation's `condition`: thresholds an aggregate must meet.

/// One comparison of the condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

/// The comparisons of a condition, all of which must hold (`gt: 100` and
/// `lte: 200` make the range 101–200).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    terms: Vec<(Op, f64)>,
}

impl Condition {
    /// `value >= threshold`: the default of temporal correlations.
    pub fn at_least(threshold: f64) -> Condition {
        Condition {
            terms: vec![(Op::Gte, threshold)],
        }
    }

    /// Reads the operators and thresholds as written. An empty list gives
    /// `None`: whether that is allowed depends on the correlation type.
    pub fn parse(pairs: &[(String, String)]) -> Result<Option<Condition>, String> {
        let mut terms = Vec::with_capacity(pairs.len());
        for (name, threshold) in pairs {
            let op = match name.as_str() {
                "gt" => Op::Gt,
                "gte" => Op::Gte,
                "lt" => Op::Lt,
                "lte" => Op::Lte,
                "eq" => Op::Eq,
                "neq" => Op::Neq,
                other => {
                    return Err(format!(
                        "unknown condition operator '{other}': expected gt, gte, lt, lte, eq or neq"
                    ))
                }
            };
            let value: f64 = threshold
                .trim()
                .parse()
                .map_err(|_| format!("condition '{name}' needs a number, not '{threshold}'"))?;
            if !value.is_finite() {
                return Err(format!(
                    "condition threshold '{threshold}' is not a finite number"
                ));
            }
            terms.push((op, value));
        }
        if terms.is_empty() {
            return Ok(None);
        }
        Ok(Some(Condition { terms }))
    }

    pub fn holds(&self, value: f64) -> bool {
        self.terms.iter().all(|&(op, t)| match op {
            Op::Gt => value > t,
            Op::Gte => value >= t,
            Op::Lt => value < t,
            Op::Lte => value <= t,
            Op::Eq => value == t,
            Op::Neq => value != t,
        })
    }

    /// Only `gt`/`gte`: a count that meets it goes on meeting it as events
    /// arrive, so the condition can be decided the moment it is crossed.
    pub fn is_lower_bound(&self) -> bool {
        self.terms
            .iter()
            .all(|(op, _)| matches!(op, Op::Gt | Op::Gte))
    }

    /// The smallest whole count that meets a lower-bound condition: how many
    /// recent events an `event_count` group needs to keep to decide it.
    pub fn min_count(&self) -> usize {
        let mut n = 0.0f64;
        for &(op, t) in &self.terms {
            let least = match op {
                Op::Gt => t.floor() + 1.0,
                Op::Gte => t.ceil(),
                _ => 0.0,
            };
            n = n.max(least);
        }
        n.max(1.0) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(pairs: &[(&str, &str)]) -> Result<Option<Condition>, String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        Condition::parse(&pairs)
    }

    #[test]
    fn ranges_combine_their_bounds() {
        let c = cond(&[("gt", "100"), ("lte", "200")]).unwrap().unwrap();
        assert!(!c.holds(100.0));
        assert!(c.holds(101.0));
        assert!(c.holds(200.0));
        assert!(!c.holds(201.0));
        assert!(!c.is_lower_bound());
    }

    #[test]
    fn lower_bounds_know_their_smallest_count() {
        assert_eq!(cond(&[("gte", "10")]).unwrap().unwrap().min_count(), 10);
        assert_eq!(cond(&[("gt", "10")]).unwrap().unwrap().min_count(), 11);
        assert_eq!(cond(&[("gt", "2.5")]).unwrap().unwrap().min_count(), 3);
        assert!(cond(&[("neq", "3")]).unwrap().unwrap().holds(4.0));
    }

    #[test]
    fn bad_conditions_say_why() {
        assert!(cond(&[("above", "1")])
            .unwrap_err()
            .contains("unknown condition operator"));
        assert!(cond(&[("gt", "many")])
            .unwrap_err()
            .contains("needs a number"));
        assert_eq!(cond(&[]).unwrap(), None);
    }
}
