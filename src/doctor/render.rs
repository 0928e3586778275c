//! Doctor's text output: sections with a mark per check, the worst status per section, and a
//! numbered list of the problems with their fixes. Colour only on a terminal without NO_COLOR.

use anstyle::{AnsiColor, Style};

use crate::doctor::{Report, Section, Status};

fn mark(status: Status) -> &'static str {
    match status {
        Status::Ok => "✓",
        Status::Warn => "!",
        Status::Error => "✗",
        Status::Skipped => "-",
    }
}

fn style(status: Status, colour: bool) -> Style {
    if !colour {
        return Style::new();
    }
    match status {
        Status::Ok => AnsiColor::Green.on_default(),
        Status::Warn => AnsiColor::Yellow.on_default(),
        Status::Error => AnsiColor::Red.on_default().bold(),
        Status::Skipped => Style::new().dimmed(),
    }
}

fn word(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Warn => "warn",
        Status::Error => "error",
        Status::Skipped => "skipped",
    }
}

pub fn text(reports: &[Report], heading: &str, colour: bool) -> String {
    let mut out = format!("{heading}\n");
    let width = reports.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut section: Option<Section> = None;
    for r in reports {
        if section != Some(r.section) {
            section = Some(r.section);
            let worst = reports
                .iter()
                .filter(|x| x.section == r.section)
                .map(|x| x.status)
                .max()
                .unwrap_or(Status::Skipped);
            let s = style(worst, colour);
            out.push_str(&format!(
                "\n{} {s}{}{s:#}\n",
                r.section.title(),
                word(worst)
            ));
        }
        let s = style(r.status, colour);
        out.push_str(&format!(
            "  {s}{}{s:#} {:width$}  {}\n",
            mark(r.status),
            r.name,
            r.finding
        ));
    }
    let problems: Vec<&Report> = reports
        .iter()
        .filter(|r| matches!(r.status, Status::Error | Status::Warn))
        .collect();
    let count = |st| reports.iter().filter(|r| r.status == st).count();
    out.push_str(&format!(
        "\n{} checks: {} ok, {} warnings, {} errors, {} skipped\n",
        reports.len(),
        count(Status::Ok),
        count(Status::Warn),
        count(Status::Error),
        count(Status::Skipped)
    ));
    if !problems.is_empty() {
        out.push_str("\nTo fix:\n");
        for (i, r) in problems.iter().enumerate() {
            let s = style(r.status, colour);
            out.push_str(&format!(
                "  {}. {s}[{}]{s:#} {}: {}\n",
                i + 1,
                word(r.status),
                r.name,
                r.finding
            ));
            if let Some(fix) = &r.fix {
                out.push_str(&format!("     fix: {fix}\n"));
            }
        }
    }
    out
}
