//! doctor on real-shaped repositories wired by hand (tests/fixtures/doctor/cases.json): each case
//! is the week-2 repository of tests/fixtures/repos/handwired with overlays from
//! tests/fixtures/doctor/<overlay>/, files from what `init` writes, and patches applied. doctor
//! runs offline with only the case's variables; what it says is checked, and for a case with
//! `fix`, `doctor --fix --yes` repairs it: the finding is gone afterwards, the Python still
//! compiles, and the last case's app serves.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::backend::start_backend;
use crate::instrument::{copy_tree, materialize};
use crate::support::{cruddur, repo, stderr_of, stdout_of, TEST_ENV};

#[derive(Deserialize, Debug)]
struct Case {
    id: String,
    #[serde(default)]
    overlays: Vec<String>,
    #[serde(default)]
    patches: Vec<Patch>,
    #[serde(default)]
    write: BTreeMap<String, String>,
    /// Files taken from what `cruddur-obs init` writes: the templates as a user gets them.
    #[serde(default)]
    from_init: Option<FromInit>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    git: bool,
    expect: Vec<Expect>,
    #[serde(default)]
    fix: bool,
    #[serde(default)]
    after: Vec<Expect>,
    #[serde(default)]
    serves: bool,
    #[allow(dead_code)]
    about: String,
}

#[derive(Deserialize, Debug)]
struct FromInit {
    /// `init`'s flags (`--yes` is added).
    args: Vec<String>,
    /// The files to copy into the case, by path.
    files: Vec<String>,
}

#[derive(Deserialize, Debug)]
struct Patch {
    file: String,
    find: String,
    replace: String,
}

#[derive(Deserialize, Debug)]
struct Expect {
    /// A check's name, or `*` for every report.
    check: String,
    /// A status, or `any`.
    status: String,
    /// Some report of the check with the status holds all of these.
    #[serde(default)]
    contains: Vec<String>,
    /// No report of the check holds any of these.
    #[serde(default)]
    lacks: Vec<String>,
    /// Exactly this many reports of the check have the status.
    #[serde(default)]
    count: Option<usize>,
    /// The check's report is the first error of all.
    #[serde(default)]
    first_error: bool,
}

fn prepare(case: &Case) -> tempfile::TempDir {
    let dir = materialize("handwired");
    let fixtures = repo().join("tests/fixtures/doctor");
    for o in &case.overlays {
        copy_tree(&fixtures.join(o), dir.path(), &[]);
    }
    if let Some(init) = &case.from_init {
        let scratch = tempfile::tempdir().unwrap();
        let out = cruddur()
            .arg("init")
            .arg(scratch.path())
            .arg("--yes")
            .args(&init.args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: init failed: {}{}",
            case.id,
            stdout_of(&out),
            stderr_of(&out)
        );
        for f in &init.files {
            let text = std::fs::read_to_string(scratch.path().join(f))
                .unwrap_or_else(|e| panic!("{}: init wrote no {f}: {e}", case.id));
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }
    for p in &case.patches {
        let path = dir.path().join(&p.file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {}: {e}", case.id, p.file));
        assert_eq!(
            text.matches(&p.find).count(),
            1,
            "{}: the patch's text occurs once in {}",
            case.id,
            p.file
        );
        std::fs::write(&path, text.replacen(&p.find, &p.replace, 1)).unwrap();
    }
    for (path, contents) in &case.write {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    if case.git {
        for args in [
            &["init", "-q"][..],
            &["add", "-A"],
            &[
                "-c",
                "user.email=dev@example.com",
                "-c",
                "user.name=dev",
                "commit",
                "-qm",
                "week 2",
            ],
        ] {
            let ok = std::process::Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .status()
                .unwrap()
                .success();
            assert!(ok, "git {args:?}");
        }
    }
    dir
}

/// doctor --offline --json with only the case's variables; the reports as JSON.
fn doctor(case: &Case, dir: &Path, extra: &[&str]) -> (Vec<Value>, std::process::Output) {
    let mut cmd = cruddur();
    for (name, _) in TEST_ENV {
        cmd.env_remove(name);
    }
    let out = cmd
        .arg("doctor")
        .arg(dir)
        .args(["--offline", "--json"])
        .args(extra)
        .envs(&case.env)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}: doctor {extra:?} failed to run: {}{}",
        case.id,
        stdout_of(&out),
        stderr_of(&out)
    );
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {}", case.id, stdout_of(&out)));
    (v["checks"].as_array().unwrap().clone(), out)
}

fn field<'a>(r: &'a Value, name: &str) -> &'a str {
    r[name].as_str().unwrap_or("")
}

/// What does not hold of `expect` in `reports`, in words.
fn unmet(case: &str, when: &str, reports: &[Value], e: &Expect) -> Vec<String> {
    let mut out = Vec::new();
    let of_check: Vec<&Value> = reports
        .iter()
        .filter(|r| e.check == "*" || field(r, "name") == e.check)
        .collect();
    let shown = || {
        of_check
            .iter()
            .map(|r| format!("    [{}] {}", field(r, "status"), field(r, "finding")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let with_status: Vec<&&Value> = of_check
        .iter()
        .filter(|r| e.status == "any" || field(r, "status") == e.status)
        .collect();
    if with_status.is_empty() {
        out.push(format!(
            "{case} ({when}): {} is not {}:\n{}",
            e.check,
            e.status,
            shown()
        ));
        return out;
    }
    if (e.status == "ok" || e.status == "skipped") && with_status.len() != of_check.len() {
        out.push(format!(
            "{case} ({when}): {} has other findings:\n{}",
            e.check,
            shown()
        ));
    }
    if !e.contains.is_empty()
        && !with_status.iter().any(|r| {
            let text = format!("{} {}", field(r, "finding"), field(r, "fix"));
            e.contains.iter().all(|c| text.contains(c.as_str()))
        })
    {
        out.push(format!(
            "{case} ({when}): no {} finding holds {:?}:\n{}",
            e.check,
            e.contains,
            shown()
        ));
    }
    for r in &of_check {
        let text = format!("{} {}", field(r, "finding"), field(r, "fix"));
        for l in &e.lacks {
            if text.contains(l.as_str()) {
                out.push(format!(
                    "{case} ({when}): {} says {l:?}: {text}",
                    field(r, "name")
                ));
            }
        }
    }
    if let Some(n) = e.count {
        if with_status.len() != n {
            out.push(format!(
                "{case} ({when}): {} has {} {} findings, not {n}:\n{}",
                e.check,
                with_status.len(),
                e.status,
                shown()
            ));
        }
        let place = regex_lite::Regex::new(r"^(.*?:[0-9]+)").unwrap();
        let mut places: Vec<&str> = with_status
            .iter()
            .filter_map(|r| place.find(field(r, "finding")).map(|m| m.as_str()))
            .collect();
        places.sort();
        places.dedup();
        if places.len() != n {
            out.push(format!(
                "{case} ({when}): {} findings do not each have their own place: {places:?}",
                e.check
            ));
        }
    }
    if e.first_error {
        let first = reports.iter().find(|r| field(r, "status") == "error");
        if first.map(|r| field(r, "name")) != Some(e.check.as_str()) {
            out.push(format!(
                "{case} ({when}): the first error is {:?}, not {}",
                first.map(|r| field(r, "name")),
                e.check
            ));
        }
    }
    out
}

/// Every Python file of the backend compiles (with the system's python3: syntax only).
fn compiles(case: &str, dir: &Path) -> Vec<String> {
    let out = std::process::Command::new("python3")
        .args(["-m", "compileall", "-q", "-x", "/(venv|node_modules)/"])
        .arg(dir.join("backend-flask"))
        .output()
        .unwrap();
    if out.status.success() {
        vec![]
    } else {
        vec![format!(
            "{case}: the backend no longer compiles after --fix:\n{}{}",
            stdout_of(&out),
            stderr_of(&out)
        )]
    }
}

#[test]
fn doctor_reads_real_repositories_right_and_fix_repairs_them() {
    let cases: Vec<Case> = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/doctor/cases.json")).unwrap(),
    )
    .unwrap();
    let mut failures = Vec::new();
    let mut table = vec![
        "| case | check | before | after --fix |".to_string(),
        "|---|---|---|---|".to_string(),
    ];
    let statuses = |reports: &[Value], check: &str| {
        let mut s: Vec<&str> = reports
            .iter()
            .filter(|r| check == "*" || field(r, "name") == check)
            .map(|r| field(r, "status"))
            .collect();
        s.sort();
        s.dedup();
        s.join("+")
    };
    for case in &cases {
        let dir = prepare(case);
        let (before, _) = doctor(case, dir.path(), &[]);
        let mut rows: Vec<(String, String)> = case
            .expect
            .iter()
            .filter(|e| e.check != "*")
            .map(|e| (e.check.clone(), statuses(&before, &e.check)))
            .collect();
        rows.dedup();
        for e in &case.expect {
            failures.extend(unmet(&case.id, "before", &before, e));
        }
        if !case.fix {
            for (check, was) in rows {
                table.push(format!("| {} | {check} | {was} | |", case.id));
            }
            continue;
        }
        let untouched = crate::instrument::snapshot(dir.path());
        // --dry-run shows the repairs and writes nothing.
        let (_, dry) = doctor(case, dir.path(), &["--fix", "--dry-run"]);
        let shown: Value = serde_json::from_slice(&dry.stdout).unwrap();
        if crate::instrument::snapshot(dir.path()) != untouched {
            failures.push(format!("{}: --fix --dry-run changed files", case.id));
        }
        if shown["repaired"].as_array().is_none_or(|a| !a.is_empty()) {
            failures.push(format!("{}: --dry-run reports repairs as made", case.id));
        }
        let (after, fixed) = doctor(case, dir.path(), &["--fix", "--yes"]);
        let made: Value = serde_json::from_slice(&fixed.stdout).unwrap();
        if made["repaired"].as_array().is_none_or(|a| a.is_empty()) {
            failures.push(format!("{}: --fix repaired nothing", case.id));
        }
        for e in &case.after {
            failures.extend(unmet(&case.id, "after --fix", &after, e));
        }
        for (check, was) in rows {
            table.push(format!(
                "| {} | {check} | {was} | {} |",
                case.id,
                statuses(&after, &check)
            ));
        }
        failures.extend(compiles(&case.id, dir.path()));
        // A second run has nothing left to repair and changes nothing.
        let settled = crate::instrument::snapshot(dir.path());
        let (_, again) = doctor(case, dir.path(), &["--fix", "--yes"]);
        let again: Value = serde_json::from_slice(&again.stdout).unwrap();
        if crate::instrument::snapshot(dir.path()) != settled
            || again["repaired"].as_array().is_none_or(|a| !a.is_empty())
        {
            failures.push(format!("{}: a second --fix changed files", case.id));
        }
        if case.serves {
            let backend = start_backend(dir.path(), &[("AWS_DEFAULT_REGION", "us-east-1".into())]);
            for route in ["/api/activities/home", "/api/activities/@andrewbrown"] {
                let (status, body) = backend.get(route, None);
                if status != 200 {
                    failures.push(format!("{}: {route} answered {status}: {body}", case.id));
                }
            }
            let log = backend.stop();
            // The X-Ray and OTLP exporters may complain of no daemon or receiver; a request must not.
            if log.contains("Exception on /") {
                failures.push(format!("{}: a request failed:\n{log}", case.id));
            }
        }
    }
    println!("{}", table.join("\n"));
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `doctor --fix` on a terminal: the diff, then the question; "n" writes nothing and exits 9, "y"
/// writes and shows what is left. Without a terminal and without --yes: exit 2, nothing written.
#[test]
fn doctor_fix_asks_on_a_terminal_and_refuses_without_one() {
    use std::io::Write;
    let dir = materialize("handwired");
    let app = dir.path().join("backend-flask/app.py");
    let original = std::fs::read_to_string(&app).unwrap();

    let out = cruddur()
        .arg("doctor")
        .arg(dir.path())
        .args(["--offline", "--fix"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("--yes"), "{}", stderr_of(&out));
    assert!(stdout_of(&out)
        .contains("+cw_handler = watchtower.CloudWatchLogHandler(log_group_name='cruddur'"));
    assert_eq!(std::fs::read_to_string(&app).unwrap(), original);

    let binary = assert_cmd::cargo::cargo_bin("cruddur-obs");
    let run = |typed: &str| {
        let mut child = std::process::Command::new("script")
            .args([
                "-qec",
                &format!("{} doctor --offline --fix .", binary.display()),
                "/dev/null",
            ])
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("TERM", "xterm")
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut keys = child.stdin.take().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(700));
        keys.write_all(typed.as_bytes()).unwrap();
        keys.flush().unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, screen) = run("n");
    assert!(screen.contains("Make these repairs?"), "{screen}");
    assert!(screen.contains("nothing was written"), "{screen}");
    assert_eq!(code, Some(9), "not confirmed: {screen}");
    assert_eq!(std::fs::read_to_string(&app).unwrap(), original);

    let (_, screen) = run("y");
    assert!(screen.contains("What is left:"), "{screen}");
    let fixed = std::fs::read_to_string(&app).unwrap();
    assert!(fixed.contains("log_group_name='cruddur'"), "{fixed}");
    assert!(
        fixed.contains("  LOGGER.info('%s %s %s %s %s %s'"),
        "{fixed}"
    );
    // Only the repaired lines changed.
    let changed = original
        .lines()
        .zip(fixed.lines())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(changed, 2);
    assert_eq!(original.lines().count(), fixed.lines().count());
}
