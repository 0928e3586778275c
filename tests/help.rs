//! `--help` of every command under insta snapshots. The command tree is walked from the real
//! `cruddur-obs --help` (each "Commands:" section, recursively), so a new command gets a snapshot
//! of its own, and the walk is checked against the list below so the walk itself cannot go blind.
//! The width is fixed at 100 columns: the tests' standard streams are pipes, so clap finds no
//! terminal and wraps at `COLUMNS`.

use crate::support::{stdout_of, Run};

/// Every command, as the walk must find it.
const COMMANDS: &[&str] = &[
    "",
    "init",
    "env",
    "xray",
    "xray create-group",
    "xray get-groups",
    "xray get-group",
    "xray update-group",
    "xray delete-group",
    "xray create-sampling-rule",
    "xray get-sampling-rules",
    "xray update-sampling-rule",
    "xray delete-sampling-rule",
    "xray traces",
    "logs",
    "logs create-log-group",
    "logs describe-log-groups",
    "logs put-retention-policy",
    "logs delete-log-group",
    "logs tail",
    "up",
    "down",
    "doctor",
    "verify",
    "export",
    "export cloudformation",
    "export terraform",
    "honeycomb",
    "honeycomb whoami",
    "honeycomb queries",
    "rollbar",
    "rollbar test",
    "completions",
];

/// The subcommands a help text lists under "Commands:", without clap's own `help`. An entry is a
/// line indented by two spaces; its wrapped description continues on lines indented further.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .filter(|name| name != "help")
        .collect()
}

#[test]
fn help_of_every_command() {
    let mut found = Vec::new();
    let mut queue = vec![Vec::<String>::new()];
    while let Some(path) = queue.pop() {
        let name = if path.is_empty() {
            "cruddur-obs".to_string()
        } else {
            path.join("__")
        };
        let out = Run::new(&path)
            .arg("--help")
            .env("COLUMNS", "100")
            .stdout_snapshot(name)
            .run();
        let help = stdout_of(&out);
        for sub in subcommands(&help).into_iter().rev() {
            let mut child = path.clone();
            child.push(sub);
            queue.push(child);
        }
        found.push(path.join(" "));
    }
    assert_eq!(
        found, COMMANDS,
        "the commands --help shows, depth first, are not the ones this test lists"
    );
}

#[test]
fn width_comes_from_columns() {
    // What makes the snapshots stable: without a terminal clap wraps at COLUMNS.
    let wide = Run::new(["--help"]).env("COLUMNS", "200").run();
    let narrow = Run::new(["--help"]).env("COLUMNS", "60").run();
    let longest = |out: &std::process::Output| {
        stdout_of(out)
            .lines()
            .map(|l| l.chars().count())
            .max()
            .unwrap()
    };
    assert!(longest(&narrow) <= 60, "{}", stdout_of(&narrow));
    assert!(longest(&wide) > 100, "{}", stdout_of(&wide));
}
