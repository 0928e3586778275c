//! `up` and `down` against moto and the X-Ray fake: a fresh up, a second up that changes nothing,
//! a one-field update, a partial failure that the next up converges, a hand-made resource down
//! leaves alone, and bad inputs refused before any call.

use std::path::Path;

use crate::doctor::Services;
use crate::init::init_ok;
use crate::support::{aws_cli, cruddur, json_of, stderr_of, stdout_of, Listener};

fn run(dir: &Path, s: &Services, args: &[&str]) -> std::process::Output {
    cruddur()
        .args(args)
        .arg(dir)
        .envs(s.env())
        .output()
        .unwrap()
}

#[test]
fn up_creates_then_changes_nothing_then_updates_one_field() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(dir.path(), &["--yes", "--region", "us-east-1"]);
    let s = Services::start();
    let name = crate::support::workspace_name(dir.path());

    let out = run(dir.path(), &s, &["up", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout_of(&out),
        stderr_of(&out)
    );
    assert!(
        stdout_of(&out).ends_with("8 created, 0 updated, 0 unchanged, 0 failed\n"),
        "{}",
        stdout_of(&out)
    );
    let rule = s.xray.rule("Cruddur");
    assert_eq!(rule["FixedRate"], 0.1);
    let tags = &s.xray.state()["tags"]["arn:aws:xray:us-east-1:123456789012:sampling-rule/Cruddur"];
    assert!(
        tags.as_array()
            .unwrap()
            .contains(&serde_json::json!({"Key": "managed-by", "Value": "cruddur-obs"})),
        "{tags}"
    );
    assert!(
        tags.as_array()
            .unwrap()
            .contains(&serde_json::json!({"Key": "cruddur-obs-workspace", "Value": name})),
        "{tags}"
    );
    let groups = aws_cli()
        .args([
            "--endpoint-url",
            s.moto.url(),
            "--output",
            "json",
            "logs",
            "describe-log-groups",
        ])
        .output()
        .unwrap();
    assert_eq!(
        json_of(&stdout_of(&groups))["logGroups"][0]["retentionInDays"],
        7.0
    );

    let before = s.xray.requests().len();
    let out = run(dir.path(), &s, &["up"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).ends_with("nothing to do: everything is as declared\n"),
        "{}",
        stdout_of(&out)
    );
    let writes = s.xray.requests()[before..]
        .iter()
        .filter(|(op, _)| !op.starts_with("Get") && op != "ListTagsForResource")
        .count();
    assert_eq!(writes, 0, "a second up only reads");

    let path = dir.path().join("aws/json/xray.json");
    std::fs::write(
        &path,
        std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"FixedRate\": 0.1", "\"FixedRate\": 0.25"),
    )
    .unwrap();
    let out = run(dir.path(), &s, &["up"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "without a terminal an update needs --yes"
    );
    assert_eq!(s.xray.rule("Cruddur")["FixedRate"], 0.1);
    let out = run(dir.path(), &s, &["up", "--yes", "--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let report = json_of(&stdout_of(&out));
    let rule_item = report["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "sampling rule")
        .unwrap()
        .clone();
    assert_eq!(
        rule_item["changes"],
        serde_json::json!([{"field": "FixedRate", "current": "0.1", "desired": "0.25"}])
    );
    assert_eq!(s.xray.rule("Cruddur")["FixedRate"], 0.25);
    let updates: Vec<String> = s
        .xray
        .requests()
        .iter()
        .map(|(op, _)| op.clone())
        .filter(|op| op.starts_with("Update"))
        .collect();
    assert_eq!(
        updates,
        ["UpdateSamplingRule"],
        "one call, for the one changed resource"
    );
}

#[test]
fn a_partial_failure_reports_each_resource_and_the_next_up_converges() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(dir.path(), &["--yes", "--region", "us-east-1"]);
    let s = Services::start();
    s.xray.faults("throttle", -1, &["CreateSamplingRule"]);
    let out = run(dir.path(), &s, &["up", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout_of(&out);
    assert!(text.contains("created    X-Ray group Cruddur"), "{text}");
    assert!(text.contains("created    log group cruddur"), "{text}");
    assert!(text.contains("failed     sampling rule Cruddur: creating sampling rule \"Cruddur\": AWS is throttling requests"), "{text}");
    assert!(
        text.ends_with("7 created, 0 updated, 0 unchanged, 1 failed\n"),
        "{text}"
    );
    assert!(
        stderr_of(&out).contains("\nerror: 1 of 8 resources failed"),
        "{}",
        stderr_of(&out)
    );

    s.xray.faults("none", 0, &[]);
    let out = run(dir.path(), &s, &["up", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).ends_with("1 created, 0 updated, 7 unchanged, 0 failed\n"),
        "{}",
        stdout_of(&out)
    );
}

#[test]
fn down_deletes_only_what_up_created() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(dir.path(), &["--yes", "--region", "us-east-1"]);
    let s = Services::start();
    // The log group exists already, made by hand without our tags: up leaves it as it is and
    // only sets its retention, and down must keep it.
    let out = cruddur()
        .args([
            "logs",
            "create-log-group",
            "--log-group-name",
            "cruddur",
            "--retention-in-days",
            "7",
        ])
        .envs(s.env())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = run(dir.path(), &s, &["up", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));

    let out = run(dir.path(), &s, &["down"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "without a terminal down needs --yes"
    );
    assert_eq!(stderr_of(&out), "error: down deletes resources, and there is no terminal to confirm on\nhint: pass --yes to delete without asking\n");

    let out = run(dir.path(), &s, &["down", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(text.contains("deleted    X-Ray group Cruddur"), "{text}");
    assert!(text.contains("deleted    sampling rule Cruddur"), "{text}");
    assert!(
        text.contains("keep       log group cruddur (not created by cruddur-obs up)"),
        "{text}"
    );
    let rules: Vec<String> = s.xray.state()["sampling_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["SamplingRule"]["RuleName"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(rules, ["Default"], "the Default rule stays");
    let groups = aws_cli()
        .args([
            "--endpoint-url",
            s.moto.url(),
            "--output",
            "json",
            "logs",
            "describe-log-groups",
        ])
        .output()
        .unwrap();
    assert_eq!(
        json_of(&stdout_of(&groups))["logGroups"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "the hand-made log group is kept"
    );
}

#[test]
fn bad_manifests_and_inputs_fail_before_any_call() {
    let listener = Listener::new();
    let check = |dir: &Path, expected: &str| {
        let out = cruddur()
            .args(["up", "--yes", "--endpoint-url", &listener.url])
            .arg(dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains(expected),
            "expected {expected:?} in {}",
            stderr_of(&out)
        );
        listener.assert_untouched();
    };
    let dir = tempfile::tempdir().unwrap();
    check(dir.path(), "error: no cruddur-obs.toml in");
    init_ok(dir.path(), &["--yes"]);
    let manifest = dir.path().join("cruddur-obs.toml");
    let good = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        good.replace("retention_days = 7", "retention_days = 8"),
    )
    .unwrap();
    check(
        dir.path(),
        "cloudwatch.retention_days: 8 is not a retention period",
    );
    std::fs::write(&manifest, &good).unwrap();
    let rule = dir.path().join("aws/json/xray.json");
    std::fs::write(
        &rule,
        std::fs::read_to_string(&rule)
            .unwrap()
            .replace("\"FixedRate\": 0.1", "\"fixedRate\": 0.1"),
    )
    .unwrap();
    check(dir.path(), "did you mean \"FixedRate\"?");
    std::fs::write(&rule, "{\"SamplingRule\": {").unwrap();
    check(dir.path(), "aws/json/xray.json:1:18: malformed JSON");
}

#[test]
fn one_service_failing_to_answer_does_not_stop_the_other() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(dir.path(), &["--yes", "--region", "us-east-1"]);
    let s = Services::start();
    // X-Ray answers 500 to every read: its resources are unknown; the log group does not depend on it.
    s.xray
        .faults("error500", -1, &["GetGroups", "GetSamplingRules"]);
    let out = run(dir.path(), &s, &["up", "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(text.contains("  unknown    X-Ray group Cruddur: cannot be read: listing groups: the service failed (HTTP 500)"), "{text}");
    assert!(text.contains("  create     log group cruddur"), "{text}");
    assert!(text.contains("created    log group cruddur"), "{text}");
    assert!(
        text.contains(
            "failed     X-Ray group Cruddur: its state could not be read, so it was left alone"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "failed     sampling rule Cruddur: its state could not be read, so it was left alone"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("6 created, 0 updated, 0 unchanged, 2 failed\n"),
        "{text}"
    );
    let state = s.xray.state();
    assert_eq!(
        state["groups"].as_array().map(Vec::len).unwrap_or(0),
        0,
        "nothing was written to X-Ray: {state}"
    );

    // With --json the unknown resources say why, and the results list each outcome.
    let out = run(dir.path(), &s, &["up", "--yes", "--output", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&stdout_of(&out));
    assert_eq!(v["plan"][0]["action"], "unknown", "{v}");
    assert!(
        v["plan"][0]["error"].as_str().unwrap().contains("HTTP 500"),
        "{v}"
    );
    assert_eq!(v["plan"][2]["action"], "unchanged", "{v}");

    s.xray.faults("none", 0, &[]);
    let out = run(dir.path(), &s, &["up", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).ends_with("2 created, 0 updated, 6 unchanged, 0 failed\n"),
        "{}",
        stdout_of(&out)
    );
}

#[test]
fn aws_max_attempts_sets_the_number_of_attempts() {
    let s = Services::start();
    let rule = crate::support::repo().join("aws/json/xray.json");
    let input = format!("file://{}", rule.display());
    for (attempts, expected) in [("1", 1), ("5", 5)] {
        s.xray.faults("throttle", -1, &["CreateSamplingRule"]);
        let before = s.xray.requests().len();
        let out = cruddur()
            .args(["xray", "create-sampling-rule", "--cli-input-json", &input])
            .envs(s.env())
            .env("AWS_MAX_ATTEMPTS", attempts)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains(&format!("still was after {expected} attempt")),
            "{}",
            stderr_of(&out)
        );
        let made = s.xray.requests()[before..]
            .iter()
            .filter(|(op, _)| op == "CreateSamplingRule")
            .count();
        assert_eq!(made, expected, "AWS_MAX_ATTEMPTS={attempts}");
        s.xray.faults("none", 0, &[]);
    }
    // A value that is no number of attempts is refused before any call.
    let before = s.xray.requests().len();
    let out = cruddur()
        .args(["xray", "get-sampling-rules"])
        .envs(s.env())
        .env("AWS_MAX_ATTEMPTS", "lots")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out)
            .contains("AWS_MAX_ATTEMPTS is \"lots\"; allowed: a whole number from 1 to 10"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(s.xray.requests().len(), before);
}

#[test]
fn progress_is_a_spinner_on_a_terminal_a_line_otherwise_and_nothing_in_json() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(dir.path(), &["--yes", "--region", "us-east-1"]);
    let s = Services::start();
    let binary = assert_cmd::cargo::cargo_bin("cruddur-obs");
    let out = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{} up --dry-run {}", binary.display(), dir.path().display()),
            "/dev/null",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("TERM", "xterm")
        .envs(crate::support::TEST_ENV.iter().copied())
        .envs(s.env())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("reading what exists in us-east-1"),
        "{screen}"
    );
    assert!(
        !screen.contains("reading what exists in us-east-1..."),
        "a spinner, not a line: {screen}"
    );
    assert!(
        screen.contains("\u{1b}["),
        "the spinner is drawn and cleared with escape codes: {screen}"
    );

    let out = run(dir.path(), &s, &["up", "--dry-run"]);
    assert_eq!(stderr_of(&out), "reading what exists in us-east-1...\n");
    assert!(
        !stdout_of(&out).contains("reading"),
        "progress stays off stdout"
    );
    let out = run(dir.path(), &s, &["up", "--dry-run", "--output", "json"]);
    assert_eq!(stderr_of(&out), "", "nothing extra in JSON mode");
    json_of(&stdout_of(&out));
}

#[test]
fn up_regions_applies_every_region_at_once_and_one_failing_leaves_the_others() {
    let dir = tempfile::tempdir().unwrap();
    init_ok(dir.path(), &["--yes", "--region", "us-east-1"]);
    let s = Services::start();
    // eu-west-1 is throttled on every rule creation; us-east-2 is not.
    s.xray
        .faults_in("throttle", -1, &["CreateSamplingRule"], &["eu-west-1"]);
    let out = run(
        dir.path(),
        &s,
        &["up", "--yes", "--regions", "us-east-2,eu-west-1"],
    );
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr_of(&out));
    let plan_east = text.find("workspace ").unwrap();
    assert!(
        text[plan_east..].starts_with(&format!(
            "workspace {} in us-east-2:",
            crate::support::workspace_name(dir.path())
        )),
        "{text}"
    );
    assert!(text.contains(" in eu-west-1:\n"), "{text}");
    // The outcomes follow the plan after a blank line, each region under its name.
    let outcomes = text.split("\n\n").nth(1).unwrap();
    let east = outcomes
        .split("in us-east-2:\n")
        .nth(1)
        .unwrap()
        .split("in eu-west-1:")
        .next()
        .unwrap();
    assert!(east.contains("created    sampling rule Cruddur"), "{text}");
    assert!(east.contains("created    X-Ray group Cruddur"), "{text}");
    assert!(east.contains("created    log group cruddur"), "{text}");
    let west = outcomes.split("in eu-west-1:\n").nth(1).unwrap();
    assert!(west.contains("failed     sampling rule Cruddur"), "{text}");
    assert!(west.contains("created    X-Ray group Cruddur"), "{text}");
    assert!(west.contains("created    log group cruddur"), "{text}");
    // Each region has its own: the group in both, the rule in one, with its region in the ARN.
    let east_state = s.xray.state_in("us-east-2");
    let west_state = s.xray.state_in("eu-west-1");
    assert_eq!(
        east_state["groups"].as_array().unwrap().len(),
        1,
        "{east_state}"
    );
    assert_eq!(
        west_state["groups"].as_array().unwrap().len(),
        1,
        "{west_state}"
    );
    assert!(east_state["groups"][0]["GroupARN"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:xray:us-east-2:"));
    let rules = |v: &serde_json::Value| v["sampling_rules"].as_array().unwrap().len();
    assert_eq!(rules(&east_state), 2, "Default and Cruddur: {east_state}");
    assert_eq!(rules(&west_state), 1, "only Default: {west_state}");
    for region in ["us-east-2", "eu-west-1"] {
        let groups = aws_cli()
            .args([
                "--endpoint-url",
                s.moto.url(),
                "--region",
                region,
                "--output",
                "json",
                "logs",
                "describe-log-groups",
            ])
            .output()
            .unwrap();
        assert_eq!(
            json_of(&stdout_of(&groups))["logGroups"][0]["logGroupName"],
            "cruddur",
            "{region}"
        );
    }

    // The next up, the throttling gone, converges: only eu-west-1's rule is made.
    s.xray.faults("none", 0, &[]);
    let out = run(
        dir.path(),
        &s,
        &[
            "up",
            "--yes",
            "--regions",
            "us-east-2,eu-west-1",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let report = json_of(&stdout_of(&out));
    let created: Vec<(String, String)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] == "created")
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["region"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        created,
        [("sampling rule".to_string(), "eu-west-1".to_string())],
        "{report:#}"
    );

    // down --regions deletes in both.
    let out = run(
        dir.path(),
        &s,
        &["down", "--yes", "--regions", "us-east-2,eu-west-1"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    for region in ["us-east-2", "eu-west-1"] {
        let state = s.xray.state_in(region);
        assert!(
            state["groups"].as_array().unwrap().is_empty(),
            "{region}: {state}"
        );
        assert_eq!(rules(&state), 1, "only Default is left: {state}");
    }

    // A region named twice, or not a region, is refused before any call.
    let before = s.xray.requests().len();
    for bad in ["us-east-2,us-east-2", "us-east-2,eu-wset-1", ""] {
        let out = run(dir.path(), &s, &["up", "--yes", "--regions", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains("--regions"),
            "{bad}: {}",
            stderr_of(&out)
        );
    }
    assert_eq!(s.xray.requests().len(), before);
}
