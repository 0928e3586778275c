//! Doctor's text output: sections with a mark per check, the worst status per section, and a
//! numbered list of the problems with their fixes. Colour only on a terminal without NO_COLOR.

use anstyle::{AnsiColor, Style};

use crate::doctor::{Report, Section, Status};

fn mark(status: Status) -> &'static str {
    match status {
        Status::Ok => "✓",
        Status::Warn => "!",
        Status::Hint => "i",
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
        Status::Hint => AnsiColor::Cyan.on_default(),
        Status::Error => AnsiColor::Red.on_default().bold(),
        Status::Skipped => Style::new().dimmed(),
    }
}

fn word(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Warn => "warn",
        Status::Hint => "hint",
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
    let hints: Vec<&Report> = reports
        .iter()
        .filter(|r| r.status == Status::Hint)
        .collect();
    out.push_str(&format!(
        "\n{} results: {} ok, {} warnings, {} errors, {} hints, {} skipped\n",
        reports.len(),
        count(Status::Ok),
        count(Status::Warn),
        count(Status::Error),
        hints.len(),
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
                let by = if r.repair.is_some() {
                    " (doctor --fix does this)"
                } else {
                    ""
                };
                out.push_str(&format!("     fix: {fix}{by}\n"));
            }
        }
        let repairable = problems.iter().filter(|r| r.repair.is_some()).count();
        if repairable > 0 {
            out.push_str(&format!(
                "\n{repairable} of these {} repaired in the files by: cruddur-obs doctor --fix\n",
                if repairable == 1 { "is" } else { "are" }
            ));
        }
    }
    if !hints.is_empty() {
        out.push_str("\nFor later:\n");
        for r in &hints {
            out.push_str(&format!("  - {}: {}\n", r.name, r.finding));
            if let Some(later) = &r.fix {
                out.push_str(&format!("     then: {later}\n"));
            }
        }
    }
    out
}
