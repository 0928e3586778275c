//! Local validation: every limit AWS enforces, checked before any call, reported all at once.

use crate::error::Failure;

/// One thing wrong with the input: where, what, and what would be accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub field: String,
    pub message: String,
    pub allowed: String,
}

/// Collects every problem in an input so the user can fix them in one go.
#[derive(Debug, Default)]
pub struct Problems {
    list: Vec<Problem>,
}

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(
        &mut self,
        field: impl Into<String>,
        message: impl Into<String>,
        allowed: impl Into<String>,
    ) {
        self.list.push(Problem {
            field: field.into(),
            message: message.into(),
            allowed: allowed.into(),
        });
    }

    /// A string whose length in characters must lie in `min..=max`.
    pub fn length(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min || n > max {
            let what = if n == 0 {
                "is empty".to_string()
            } else {
                format!("{} is {n} characters long", quoted(value))
            };
            let allowed = if min == max {
                format!("exactly {min} characters")
            } else if min == 0 {
                format!("at most {max} characters")
            } else {
                format!("{min} to {max} characters")
            };
            self.push(field, what, allowed);
        }
    }

    pub fn int_range(&mut self, field: &str, value: i64, min: i64, max: Option<i64>) {
        let ok = value >= min && max.is_none_or(|m| value <= m);
        if !ok {
            let allowed = match max {
                Some(m) => format!("a whole number from {min} to {m}"),
                None => format!("a whole number of at least {min}"),
            };
            self.push(field, format!("{value} is out of range"), allowed);
        }
    }

    pub fn float_range(&mut self, field: &str, value: f64, min: f64, max: f64) {
        if !(min..=max).contains(&value) {
            self.push(
                field,
                format!("{value} is out of range"),
                format!("a number from {min} to {max}"),
            );
        }
    }

    pub fn one_of<T: PartialEq + std::fmt::Display>(
        &mut self,
        field: &str,
        value: &T,
        allowed: &[T],
    ) {
        if !allowed.contains(value) {
            let list: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
            self.push(
                field,
                format!("{value} is not an allowed value"),
                format!("one of {}", list.join(", ")),
            );
        }
    }

    /// Names fields as the user gave them: `(field, name)` pairs, e.g. a manifest key and its flag.
    pub fn rename(mut self, names: &[(&str, &str)]) -> Self {
        for p in &mut self.list {
            if let Some((_, to)) = names.iter().find(|(from, _)| *from == p.field) {
                p.field = to.to_string();
            }
        }
        self
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    #[cfg(test)]
    pub fn list(&self) -> &[Problem] {
        &self.list
    }

    /// Turns the problems into one bad-input failure that names where the input came from.
    pub fn into_result(self, origin: &str) -> Result<(), Failure> {
        if self.list.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = self
            .list
            .iter()
            .map(|p| {
                format!(
                    "{origin}: {}: {}; allowed: {}",
                    p.field, p.message, p.allowed
                )
            })
            .collect();
        let head = if lines.len() == 1 {
            "invalid input".to_string()
        } else {
            format!("{} problems in the input", lines.len())
        };
        Err(
            Failure::bad_input(format!("{head}\n  {}", lines.join("\n  ")))
                .hint("nothing was sent to AWS; fix the fields above and run the command again"),
        )
    }
}

/// A value shown in a message: quoted, and shortened when it is long.
pub fn quoted(value: &str) -> String {
    const MAX: usize = 60;
    if value.chars().count() > MAX {
        let short: String = value.chars().take(MAX).collect();
        format!("\"{short}…\"")
    } else {
        format!("\"{value}\"")
    }
}

/// The closest of `candidates` to `wrong`, if it is close enough to be a likely typo
/// (any difference in case alone counts as close).
pub fn did_you_mean<'a>(wrong: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = wrong.to_lowercase();
    if let Some(c) = candidates.iter().find(|c| c.to_lowercase() == lower) {
        return Some(c);
    }
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_lowercase()), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_case_and_typo_fixes() {
        let fields = ["FixedRate", "ReservoirSize", "Priority"];
        assert_eq!(did_you_mean("fixedRate", &fields), Some("FixedRate"));
        assert_eq!(did_you_mean("Fixedrate", &fields), Some("FixedRate"));
        assert_eq!(did_you_mean("FixedRat", &fields), Some("FixedRate"));
        assert_eq!(did_you_mean("Colour", &fields), None);
    }

    #[test]
    fn reports_every_problem() {
        let mut p = Problems::new();
        p.length("RuleName", "", 1, 32);
        p.float_range("FixedRate", 1.5, 0.0, 1.0);
        p.int_range("Priority", 5, 1, Some(9999));
        let err = p.into_result("x.json").unwrap_err();
        assert!(err.message.starts_with("2 problems"), "{}", err.message);
        assert!(err
            .message
            .contains("x.json: RuleName: is empty; allowed: 1 to 32 characters"));
        assert!(err
            .message
            .contains("x.json: FixedRate: 1.5 is out of range; allowed: a number from 0 to 1"));
    }
}
