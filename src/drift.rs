//! What differs between a resource as it is and as the user asked for it.

use serde::Serialize;

use crate::error::{Exit, Failure};

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub field: String,
    pub current: String,
    pub desired: String,
}

impl Change {
    /// A tag's change (`Tags.<key>`), made with a tagging call; any other is a setting's.
    pub fn is_tag(&self) -> bool {
        self.field.starts_with("Tags.")
    }
}

/// What a create command will do, or did, to one resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Create,
    Unchanged,
    Update(Vec<Change>),
}

/// The calls an update needs: one for the settings, one for the tags, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Calls {
    pub settings: bool,
    pub tags: bool,
}

impl Plan {
    /// The calls that make the update; none for a create or an unchanged resource.
    pub fn calls(&self) -> Calls {
        match self {
            Plan::Update(changes) => Calls {
                settings: changes.iter().any(|c| !c.is_tag()),
                tags: changes.iter().any(Change::is_tag),
            },
            _ => Calls::default(),
        }
    }
}

/// The failure for a resource that exists with other settings when `--update` was not given.
/// `fix` is a second way out, such as editing the input file.
pub fn refusal(what: &str, changes: &[Change], fix: Option<&str>) -> Failure {
    let hint = match fix {
        Some(fix) => format!("re-run with --update to apply these changes, or {fix}"),
        None => "re-run with --update to apply these changes".to_string(),
    };
    Failure::new(
        Exit::Drift,
        format!(
            "{what} already exists with other settings (as it is -> as asked):\n{}",
            render(changes)
        ),
    )
    .hint(hint)
}

/// Lists changes as aligned lines: `  FixedRate      0.05 -> 0.1`.
pub fn render(changes: &[Change]) -> String {
    let width = changes.iter().map(|c| c.field.len()).max().unwrap_or(0);
    changes
        .iter()
        .map(|c| format!("  {:width$}  {} -> {}", c.field, c.current, c.desired))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Adds a change when the two values differ, showing both with `show`.
pub fn compare<T: PartialEq>(
    out: &mut Vec<Change>,
    field: &str,
    current: &T,
    desired: &T,
    show: impl Fn(&T) -> String,
) {
    if current != desired {
        out.push(Change {
            field: field.to_string(),
            current: show(current),
            desired: show(desired),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_fields() {
        let mut c = Vec::new();
        compare(&mut c, "FixedRate", &0.05, &0.1, |v| v.to_string());
        compare(&mut c, "Priority", &9000, &9000, |v| v.to_string());
        compare(&mut c, "Host", &"*", &"api", |v| format!("\"{v}\""));
        assert_eq!(
            render(&c),
            "  FixedRate  0.05 -> 0.1\n  Host       \"*\" -> \"api\""
        );
    }
}
