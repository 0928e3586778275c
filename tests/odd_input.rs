//! Every command, every flag that takes a value, and every positional argument, given odd values:
//! non-ASCII letters, emoji, nothing, 10,000 characters, control characters. The commands and flags
//! are read from `--help`, so a new one is covered without editing this file. No run may panic or
//! die from a signal; each exits 0..=9, and an exit of 2 (invalid input) comes with an `error:`
//! line naming the flag or field. Every service endpoint is a closed loopback port.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::support::{cruddur, repo, stderr_of, stdout_of};

/// A loopback port nothing listens on: every call is refused at once.
const CLOSED: &str = "http://127.0.0.1:9";

/// A fake Rollbar token of the right shape, so the odd value is what a command trips on.
const FAKE_TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// A fake Honeycomb ingest key of the right shape, built here so no key-shaped literal sits in
/// the source.
fn fake_key() -> String {
    format!("hcaik_{}0tvc8t7q", "01oddinput".repeat(5))
}

/// The odd values, each with a short name for the report.
fn odd_values() -> Vec<(&'static str, String)> {
    vec![
        ("e-acute", "\u{e9}".into()),
        ("n-tilde", "\u{f1}and\u{fa}".into()),
        ("emoji", "\u{1f680}\u{1f980}".into()),
        ("empty", String::new()),
        ("10k chars", format!("{}\u{e9}", "x".repeat(9_999))),
        ("bell", "\u{7}".into()),
        ("ansi escape", "\u{1b}[31mred\u{1b}[0m".into()),
        ("tab", "\t".into()),
    ]
}

/// What `--help` says about one command.
#[derive(Debug, Default)]
struct Help {
    subcommands: Vec<String>,
    /// Flags that take a value (`--name <V>` or `--name [<V>]`), without the dashes.
    value_flags: Vec<String>,
    /// Flags the usage line marks as required.
    required: Vec<String>,
    /// Positional arguments, by their placeholder (`DIR`, `TARGET`).
    positionals: Vec<String>,
}

fn help(path: &[String]) -> Help {
    let out = cruddur().args(path).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{path:?} --help");
    let text = stdout_of(&out);
    let mut h = Help::default();
    let mut section = "";
    for line in text.lines() {
        if let Some(usage) = line.strip_prefix("Usage: ") {
            let words: Vec<&str> = usage.split_whitespace().collect();
            for pair in words.windows(2) {
                if let Some(flag) = pair[0].strip_prefix("--") {
                    if pair[1].starts_with('<') {
                        h.required.push(flag.to_string());
                    }
                }
            }
            continue;
        }
        if !line.starts_with(' ') && line.ends_with(':') {
            section = line;
            continue;
        }
        let Some(body) = line.strip_prefix("  ") else {
            continue;
        };
        match section {
            "Commands:" if !body.starts_with(' ') => {
                let name = body.split_whitespace().next().unwrap_or("");
                if name != "help" {
                    h.subcommands.push(name.to_string());
                }
            }
            "Options:" => {
                let body = body.trim_start();
                let body = body.strip_prefix("-y, ").unwrap_or(body);
                let mut words = body.split_whitespace();
                let (Some(flag), Some(value)) = (words.next(), words.next()) else {
                    continue;
                };
                if let Some(flag) = flag.strip_prefix("--") {
                    if value.starts_with('<') || value.starts_with("[<") {
                        h.value_flags.push(flag.to_string());
                    }
                }
            }
            "Arguments:" if !body.starts_with(' ') => {
                let word = body.split_whitespace().next().unwrap_or("");
                let name = word.trim_matches(|c| "<>[].".contains(c));
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                    h.positionals.push(name.to_string());
                }
            }
            _ => {}
        }
    }
    h
}

/// Every leaf command under `path`, with its help.
fn leaves(path: Vec<String>, out: &mut Vec<(Vec<String>, Help)>) {
    let h = help(&path);
    if h.subcommands.is_empty() {
        out.push((path, h));
        return;
    }
    for sub in &h.subcommands {
        let mut p = path.clone();
        p.push(sub.clone());
        leaves(p, out);
    }
}

/// Good values for the flags a command needs to get past its first checks.
fn good_value(flag: &str) -> Option<String> {
    let v = match flag {
        "endpoint-url" | "api-endpoint" | "endpoint" => CLOSED.to_string(),
        "timeout" => "1".into(),
        "group-name" | "rule-name" => "Cruddur".into(),
        "log-group-name" => "cruddur".into(),
        "retention-in-days" => "7".into(),
        "api-key" => fake_key(),
        "token" => FAKE_TOKEN.into(),
        "cli-input-json" => format!("file://{}", repo().join("aws/json/xray.json").display()),
        _ => return None,
    };
    Some(v)
}

/// Flags given with good values besides the one under test: where requests go, the resource a
/// command acts on, and what makes a command run through without asking.
fn companions(command: &[String], h: &Help, testing: &str) -> Vec<String> {
    let alternatives: &[&[&str]] = &[
        &["group-name", "group-arn", "cli-input-json"],
        &["rule-name", "rule-arn", "cli-input-json"],
    ];
    let mut wanted: Vec<&str> = vec!["endpoint-url", "api-endpoint", "endpoint", "timeout"];
    wanted.extend(h.required.iter().map(String::as_str));
    let leaf = command.last().map(String::as_str).unwrap_or("");
    match leaf {
        "get-group" | "update-group" | "delete-group" | "create-group" => wanted.push("group-name"),
        "update-sampling-rule" | "delete-sampling-rule" => wanted.push("rule-name"),
        "create-sampling-rule" => wanted.push("cli-input-json"),
        "whoami" => wanted.push("api-key"),
        "test" => wanted.push("token"),
        _ => {}
    }
    let clashes = |flag: &str| {
        flag == testing
            || alternatives
                .iter()
                .any(|set| set.contains(&flag) && set.contains(&testing))
    };
    let mut args = Vec::new();
    for flag in wanted {
        if clashes(flag) || !h.value_flags.iter().any(|f| f == flag) {
            continue;
        }
        if args
            .iter()
            .any(|a: &String| a.starts_with(&format!("--{flag}=")))
        {
            continue;
        }
        if let Some(v) = good_value(flag) {
            args.push(format!("--{flag}={v}"));
        }
    }
    if leaf == "update-sampling-rule" && !["fixed-rate", "cli-input-json"].contains(&testing) {
        args.push("--fixed-rate=0.2".into());
    }
    if leaf == "update-group" && testing != "filter-expression" {
        args.push("--filter-expression=service(\"backend-flask\")".into());
    }
    if ["init", "up", "down"].contains(&leaf) {
        args.push("--yes".into());
    }
    args
}

/// One run: the command, its arguments, and whether it runs in a copy of a workspace.
struct Case {
    what: String,
    args: Vec<String>,
    /// The flag or argument under test, as an error must name it.
    names: Vec<String>,
    in_workspace: bool,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// What an error about `flag` may call it: the flag, or the field it fills.
fn names_for(flag: &str) -> Vec<String> {
    let mut names = vec![
        format!("--{flag}"),
        format!("field:{}", flag.replace('-', "")),
    ];
    let fields: &[(&str, &[&str])] = &[
        ("api-key", &["HONEYCOMB_API_KEY", "Honeycomb key"]),
        ("token", &["ROLLBAR_ACCESS_TOKEN", "Rollbar token"]),
        ("cli-input-json", &["JSON", "cannot read"]),
        ("tags", &["Tags"]),
    ];
    for (f, aliases) in fields {
        if *f == flag {
            names.extend(aliases.iter().map(|a| a.to_string()));
        }
    }
    names
}

fn cases(commands: &[(Vec<String>, Help)]) -> Vec<Case> {
    let mut cases = Vec::new();
    for (command, h) in commands {
        let leaf = command.last().map(String::as_str).unwrap_or("");
        let in_workspace =
            ["env", "up", "down", "doctor", "verify", "tail", "queries"].contains(&leaf);
        for (kind, value) in odd_values() {
            for flag in &h.value_flags {
                let mut args = command.clone();
                args.extend(companions(command, h, flag));
                args.push(format!("--{flag}={value}"));
                if leaf == "env" {
                    args.push("dotenv".into());
                }
                cases.push(Case {
                    what: format!("{} --{flag}=<{kind}>", command.join(" ")),
                    args,
                    names: names_for(flag),
                    in_workspace,
                });
            }
            for (i, positional) in h.positionals.iter().enumerate() {
                let mut args = command.clone();
                args.extend(companions(command, h, ""));
                // The positionals before this one get good values.
                for earlier in &h.positionals[..i] {
                    args.push(if earlier == "TARGET" { "dotenv" } else { "." }.into());
                }
                args.push("--".into());
                args.push(value.clone());
                cases.push(Case {
                    what: format!("{} {positional}=<{kind}>", command.join(" ")),
                    args,
                    names: vec![positional.clone(), value.clone()],
                    in_workspace,
                });
            }
        }
    }
    cases
}

struct Ran {
    what: String,
    code: Option<i32>,
    stderr: String,
    took: Duration,
    problem: Option<String>,
}

fn run(case: &Case, workspace: &Path, scratch: &Path, n: usize) -> Ran {
    let cwd: PathBuf = scratch.join(n.to_string());
    if case.in_workspace {
        copy_dir(workspace, &cwd);
    } else {
        std::fs::create_dir_all(&cwd).unwrap();
    }
    let start = Instant::now();
    let out = cruddur()
        .args(&case.args)
        .current_dir(&cwd)
        .env("AWS_ENDPOINT_URL", CLOSED)
        .env("HONEYCOMB_API_ENDPOINT", CLOSED)
        .env("ROLLBAR_ENDPOINT", CLOSED)
        .env("AWS_MAX_ATTEMPTS", "1")
        .timeout(Duration::from_secs(30))
        .write_stdin("")
        .output();
    let took = start.elapsed();
    let _ = std::fs::remove_dir_all(&cwd);
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            return Ran {
                what: case.what.clone(),
                code: None,
                stderr: String::new(),
                took,
                problem: Some(format!("did not finish: {e}")),
            }
        }
    };
    let stderr = stderr_of(&out);
    let all = format!("{}{stderr}", stdout_of(&out));
    let code = out.status.code();
    let problem = if code.is_none() {
        Some(format!("ended by a signal ({:?})", out.status))
    } else if !code.is_some_and(|c| (0..=9).contains(&c)) {
        Some(format!("exit code {code:?}"))
    } else if all.contains("panicked") || all.contains("RUST_BACKTRACE") {
        Some("panicked".into())
    } else if code == Some(2) {
        let error_line = stderr.lines().any(|l| l.starts_with("error:"));
        let named = case.names.iter().any(|n| match n.strip_prefix("field:") {
            Some(field) => fields(&stderr).iter().any(|f| f == field),
            None => !n.is_empty() && stderr.contains(n.as_str()),
        });
        match (error_line, named) {
            (false, _) => Some("exit 2 without an error: line".into()),
            (true, false) => Some(format!("exit 2 without naming any of {:?}", case.names)),
            _ => None,
        }
    } else {
        None
    };
    Ran {
        what: case.what.clone(),
        code,
        stderr,
        took,
        problem,
    }
}

/// The field names in a message, lowercased and without separators: `SamplingRule.URLPath`
/// gives `urlpath`, `cloudwatch.log_group` gives `loggroup`.
fn fields(message: &str) -> Vec<String> {
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter_map(|word| word.trim_end_matches('.').rsplit('.').next())
        .map(|last| last.replace('_', "").to_ascii_lowercase())
        .filter(|f| !f.is_empty())
        .collect()
}

/// Shortens text for the report: control characters shown escaped, long text cut.
fn short(text: &str) -> String {
    let escaped: String = text.chars().flat_map(char::escape_debug).collect();
    if escaped.chars().count() > 300 {
        format!("{}…", escaped.chars().take(300).collect::<String>())
    } else {
        escaped
    }
}

#[test]
fn no_command_panics_on_odd_values() {
    let start = Instant::now();
    let mut commands = Vec::new();
    leaves(Vec::new(), &mut commands);
    let names: Vec<String> = commands.iter().map(|(c, _)| c.join(" ")).collect();
    for expected in [
        "init",
        "env",
        "up",
        "down",
        "doctor",
        "xray create-group",
        "xray create-sampling-rule",
        "logs create-log-group",
        "honeycomb whoami",
        "rollbar test",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not found in --help: {names:?}"
        );
    }

    let scratch = tempfile::tempdir().unwrap();
    let workspace = scratch.path().join("workspace");
    let out = cruddur()
        .args(["init", "--yes"])
        .arg(&workspace)
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "init: {}", stderr_of(&out));

    let mut cases = cases(&commands);
    cases.push(Case {
        what: "honeycomb whoami --api-key hc\u{e9}1_…".into(),
        args: [
            "honeycomb",
            "whoami",
            "--api-key",
            "hc\u{e9}1_abcdefghijklmnopqrstuv",
        ]
        .map(String::from)
        .to_vec(),
        names: vec!["--api-key".into()],
        in_workspace: false,
    });
    assert!(cases.len() > 500, "only {} cases", cases.len());

    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(n) else { break };
                let ran = run(case, &workspace, scratch.path(), n);
                results.lock().unwrap().push(ran);
            });
        }
    });
    let results = results.into_inner().unwrap();

    if let Ok(report) = std::env::var("CRUDDUR_OBS_ODD_INPUT_REPORT") {
        let mut text = String::new();
        for r in &results {
            text.push_str(&format!(
                "{:?}\t{:.2}s\t{}\t{}\n",
                r.code,
                r.took.as_secs_f64(),
                short(&r.what),
                short(
                    r.stderr
                        .lines()
                        .find(|l| l.starts_with("error:"))
                        .unwrap_or("")
                )
            ));
        }
        std::fs::write(report, text).unwrap();
    }

    let whoami = results
        .iter()
        .find(|r| r.what.starts_with("honeycomb whoami --api-key hc\u{e9}1_"))
        .unwrap();
    assert_eq!(whoami.code, Some(2), "{}", whoami.stderr);
    assert!(
        whoami.stderr.starts_with(
            "error: --api-key (hc\u{e9}1…stuv) is not a Honeycomb key: it is 27 characters long"
        ),
        "{}",
        whoami.stderr
    );

    let failures: Vec<String> = results
        .iter()
        .filter_map(|r| {
            r.problem
                .as_ref()
                .map(|p| format!("{}: {p}\n    stderr: {}", short(&r.what), short(&r.stderr)))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} runs went wrong:\n{}",
        failures.len(),
        results.len(),
        failures.join("\n")
    );
    assert!(
        start.elapsed() < Duration::from_secs(120),
        "{} runs took {:?}",
        results.len(),
        start.elapsed()
    );
}
