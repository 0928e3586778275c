//! `doctor --fix`: the repairs of the findings that have one, gathered per file and made one
//! after the other on the file's current text, each checked before it is kept.

use std::path::Path;

use serde::Serialize;

use crate::doctor::repair::{self, Fix, Repair};
use crate::doctor::{Report, Status};
use crate::edit::python::PythonFile;
use crate::edit::Change;

/// A repair that was made (or would be), for people and for --json.
#[derive(Debug, Clone, Serialize)]
pub struct Made {
    pub check: &'static str,
    pub finding: String,
    #[serde(flatten)]
    pub repair: Repair,
}

/// The repairs of one doctor run.
#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub made: Vec<Made>,
    /// Repairs that could not be made, and why.
    pub refused: Vec<String>,
}

/// Gathers the repairs of the warnings and errors (hints are for later) and makes them on the
/// files' current text, in order. A repair that fails, or that would leave a Python file that
/// no longer parses, is refused and the others still go ahead.
pub fn plan(dir: &Path, reports: &[Report]) -> Plan {
    let mut plan = Plan::default();
    let mut todo: Vec<(&Report, &Repair)> = Vec::new();
    for r in reports {
        if let (Status::Warn | Status::Error, Some(repair)) = (r.status, &r.repair) {
            if !todo.iter().any(|(_, done)| *done == repair) {
                todo.push((r, repair));
            }
        }
    }
    let mut paths: Vec<&str> = todo.iter().map(|(_, r)| r.path.as_str()).collect();
    paths.dedup();
    let mut seen = Vec::new();
    for path in paths {
        if seen.contains(&path) {
            continue;
        }
        seen.push(path);
        let before = match std::fs::read_to_string(dir.join(path)) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                plan.refused.push(format!("{path}: cannot be read: {e}"));
                continue;
            }
        };
        let mut text = before.clone().unwrap_or_default();
        let python = path.ends_with(".py");
        // Repairs at a line go first, from the bottom up, so that no edit moves the line of one
        // still to come; the others find their place by parsing.
        let mut mine: Vec<&(&Report, &Repair)> =
            todo.iter().filter(|(_, r)| r.path == path).collect();
        mine.sort_by_key(|(_, r)| match r.fix {
            Fix::SecondEnd { line } | Fix::SegmentInService { line } => (0, usize::MAX - line),
            _ => (1, 0),
        });
        for (report, r) in mine {
            match repair::apply(&r.fix, &text) {
                Ok(after) if after == text => {}
                Ok(after) if python && PythonFile::parse(&after).is_err() => {
                    plan.refused.push(format!(
                        "{path}: {}: the repair would leave code that does not parse, so it is not made",
                        report.name
                    ));
                }
                Ok(after) => {
                    text = after;
                    plan.made.push(Made {
                        check: report.name,
                        finding: report.finding.clone(),
                        repair: (*r).clone(),
                    });
                }
                Err(why) => plan.refused.push(format!("{path}: {}: {why}", report.name)),
            }
        }
        let change = Change {
            path: path.to_string(),
            before,
            after: text,
            private: false,
        };
        let nothing = change.before.is_none() && change.after.is_empty();
        if !change.is_noop() && !nothing {
            plan.changes.push(change);
        }
    }
    plan
}

/// The repairs as one unified diff, with what each does and what could not be done.
pub fn show(plan: &Plan) {
    if plan.changes.is_empty() && plan.refused.is_empty() {
        println!("doctor --fix: nothing here that it can repair\n");
        return;
    }
    if !plan.made.is_empty() {
        println!(
            "doctor --fix: {} repair{} in {} file{}",
            plan.made.len(),
            if plan.made.len() == 1 { "" } else { "s" },
            plan.changes.len(),
            if plan.changes.len() == 1 { "" } else { "s" }
        );
        for m in &plan.made {
            println!("  {} ({}): {}", m.repair.path, m.check, m.finding);
        }
        println!();
        for c in &plan.changes {
            print!("{}", c.diff());
        }
    }
    if !plan.refused.is_empty() {
        println!("\nnot repaired (do these by hand):");
        for r in &plan.refused {
            println!("  ! {r}");
        }
    }
}
