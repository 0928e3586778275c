//! The backend's Python: a file that does not parse stops the backend before anything else runs,
//! so it is the first thing doctor says.

use crate::doctor::probes::Probes;
use crate::doctor::workspace::Workspace;
use crate::doctor::{Check, Needs, Outcome, Section};

pub const CHECKS: &[Check] = &[Check {
    name: "backend.parses",
    section: Section::Backend,
    needs: Needs::Nothing,
    run: parses,
}];

fn parses(w: &Workspace, _: &Probes) -> Outcome {
    if w.python.is_empty() {
        return Outcome::skipped("no backend-flask/ code here");
    }
    // app.py first: it is what the backend imports.
    let mut broken: Vec<_> = w
        .python
        .iter()
        .filter_map(|f| f.syntax.as_ref().map(|e| (f, e)))
        .collect();
    broken.sort_by_key(|(f, _)| !f.path.ends_with("app.py"));
    let found = broken
        .into_iter()
        .map(|(f, e)| {
            Outcome::error(
                format!(
                    "{}:{}:{}: {}: the backend cannot start",
                    f.path, e.line, e.column, e.message
                ),
                format!(
                    "correct line {} (often a line left indented after a commented-out block); python3 -m py_compile {} shows Python's own message",
                    e.line, f.path
                ),
            )
        })
        .collect();
    Outcome::each(
        found,
        Outcome::ok(format!("all {} Python files parse", w.python.len())),
    )
}
