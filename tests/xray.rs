//! X-Ray groups and sampling rules against the control-plane fake: create, re-run, drift,
//! --update, the other operations, retries and failures, and aws-cli-identical JSON.

use crate::support::{aws_cli, cruddur, json_of, repo, stderr_of, stdout_of, xray_fake, XrayFake};

const XRAY_JSON: &str = "file://aws/json/xray.json";

fn run(fake: &XrayFake, args: &[&str]) -> std::process::Output {
    cruddur()
        .current_dir(repo())
        .args(args)
        .args(["--endpoint-url", fake.url()])
        .output()
        .unwrap()
}

fn ok(fake: &XrayFake, args: &[&str]) -> String {
    let out = run(fake, args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
    stdout_of(&out)
}

fn rule_with(replace: &str, with: &str) -> tempfile::NamedTempFile {
    let text = std::fs::read_to_string(repo().join("aws/json/xray.json"))
        .unwrap()
        .replace(replace, with);
    let f = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f
}

#[test]
fn sampling_rule_create_rerun_drift_and_update() {
    let fake = xray_fake();
    let out = ok(
        &fake,
        &[
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            XRAY_JSON,
        ],
    );
    assert_eq!(
        out,
        "created sampling rule \"Cruddur\"\n  arn: arn:aws:xray:us-east-1:123456789012:sampling-rule/Cruddur\n"
    );
    assert_eq!(fake.rule("Cruddur")["FixedRate"], 0.1);

    // Same rule again: succeeds, says unchanged, changes nothing.
    let before = fake.requests().len();
    let out = ok(
        &fake,
        &[
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            "aws/json/xray.json",
        ],
    );
    assert_eq!(out, "sampling rule \"Cruddur\" unchanged\n  arn: arn:aws:xray:us-east-1:123456789012:sampling-rule/Cruddur\n");
    let calls: Vec<String> = fake.requests()[before..]
        .iter()
        .map(|(op, _)| op.clone())
        .collect();
    assert_eq!(calls, ["GetSamplingRules"]);

    // Other settings: refused with the differences, exit 3, nothing changed.
    let edited = rule_with("\"FixedRate\": 0.1", "\"FixedRate\": 0.2");
    let path = edited.path().display().to_string();
    let out = run(
        &fake,
        &["xray", "create-sampling-rule", "--cli-input-json", &path],
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr_of(&out),
        format!(
            "error: sampling rule \"Cruddur\" already exists with other settings (as it is -> as asked):\n  FixedRate  0.1 -> 0.2\n\
             hint: re-run with --update to apply these changes, or change {path} to match\n"
        )
    );
    assert_eq!(fake.rule("Cruddur")["FixedRate"], 0.1);

    // --update applies only the changed field.
    let out = ok(
        &fake,
        &[
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            &path,
            "--update",
        ],
    );
    assert!(
        out.starts_with("updated sampling rule \"Cruddur\":\n  FixedRate  0.1 -> 0.2\n"),
        "{out}"
    );
    assert_eq!(fake.rule("Cruddur")["FixedRate"], 0.2);
    assert_eq!(fake.rule("Cruddur")["Priority"], 9000);
    let out = ok(
        &fake,
        &["xray", "create-sampling-rule", "--cli-input-json", &path],
    );
    assert!(
        out.starts_with("sampling rule \"Cruddur\" unchanged"),
        "{out}"
    );
}

#[test]
fn sampling_rule_tags_are_compared_and_applied() {
    let fake = xray_fake();
    let tagged = rule_with(
        "\"SamplingRule\"",
        "\"Tags\": [{\"Key\": \"project\", \"Value\": \"cruddur\"}], \"SamplingRule\"",
    );
    let path = tagged.path().display().to_string();
    ok(
        &fake,
        &["xray", "create-sampling-rule", "--cli-input-json", &path],
    );
    let retagged = rule_with(
        "\"SamplingRule\"",
        "\"Tags\": [{\"Key\": \"project\", \"Value\": \"demo\"}], \"SamplingRule\"",
    );
    let path = retagged.path().display().to_string();
    let out = run(
        &fake,
        &["xray", "create-sampling-rule", "--cli-input-json", &path],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr_of(&out).contains("  Tags.project  \"cruddur\" -> \"demo\""),
        "{}",
        stderr_of(&out)
    );
    ok(
        &fake,
        &[
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            &path,
            "--update",
        ],
    );
    let arn = "arn:aws:xray:us-east-1:123456789012:sampling-rule/Cruddur";
    assert_eq!(
        fake.state()["tags"][arn],
        serde_json::json!([{"Key": "project", "Value": "demo"}])
    );
}

#[test]
fn rule_from_stdin_and_json_output_match_the_aws_cli() {
    let fake = xray_fake();
    let rule = std::fs::read_to_string(repo().join("aws/json/xray.json")).unwrap();
    let out = cruddur()
        .args([
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            "-",
            "--output",
            "json",
            "--endpoint-url",
            fake.url(),
        ])
        .write_stdin(rule)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let created = json_of(&stdout_of(&out));
    assert_eq!(
        created["SamplingRuleRecord"]["SamplingRule"]["RuleName"],
        "Cruddur"
    );
    assert!(created["SamplingRuleRecord"]["CreatedAt"].is_f64());

    for _ in 0..6 {
        // More rules than the fake's page size of 5, so both sides must follow NextToken.
        let n = fake.requests().len();
        let name = format!("extra{n}");
        let f = rule_with("\"Cruddur\"", &format!("\"{name}\""));
        ok(
            &fake,
            &[
                "xray",
                "create-sampling-rule",
                "--cli-input-json",
                &f.path().display().to_string(),
            ],
        );
    }
    let ours = json_of(&ok(
        &fake,
        &["xray", "get-sampling-rules", "--output", "json"],
    ));
    let theirs = aws_cli()
        .args([
            "--endpoint-url",
            fake.url(),
            "--output",
            "json",
            "xray",
            "get-sampling-rules",
        ])
        .output()
        .unwrap();
    assert_eq!(theirs.status.code(), Some(0), "{}", stderr_of(&theirs));
    assert_eq!(ours, json_of(&stdout_of(&theirs)));
    assert_eq!(ours["SamplingRuleRecords"].as_array().unwrap().len(), 8);

    let text = ok(&fake, &["xray", "get-sampling-rules"]);
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "NAME",
            "PRIORITY",
            "RATE",
            "RESERVOIR",
            "SERVICE",
            "HOST",
            "METHOD",
            "PATH"
        ]
    );
    let default: Vec<&str> = lines
        .iter()
        .find(|l| l.starts_with("Default "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        default,
        ["Default", "10000", "0.05", "1", "*", "*", "*", "*"]
    );
    assert_eq!(lines.len(), 9, "a header and eight rules:\n{text}");
}

#[test]
fn update_and_delete_sampling_rules() {
    let fake = xray_fake();
    ok(
        &fake,
        &[
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            XRAY_JSON,
        ],
    );
    let out = ok(
        &fake,
        &[
            "xray",
            "update-sampling-rule",
            "--rule-name",
            "Cruddur",
            "--fixed-rate",
            "0.05",
            "--reservoir-size",
            "1",
        ],
    );
    assert_eq!(out, "updated sampling rule \"Cruddur\":\n  FixedRate      0.1 -> 0.05\n  ReservoirSize  5 -> 1\n");
    assert_eq!(fake.rule("Cruddur")["ReservoirSize"], 1);
    let out = ok(
        &fake,
        &[
            "xray",
            "update-sampling-rule",
            "--cli-input-json",
            "{\"SamplingRuleUpdate\": {\"RuleName\": \"Cruddur\", \"FixedRate\": 0.05}}",
        ],
    );
    assert_eq!(out, "sampling rule \"Cruddur\" unchanged\n");
    let out = ok(
        &fake,
        &[
            "xray",
            "update-sampling-rule",
            "--rule-name",
            "Default",
            "--fixed-rate",
            "0.01",
        ],
    );
    assert!(out.contains("FixedRate  0.05 -> 0.01"), "{out}");
    let out = run(
        &fake,
        &[
            "xray",
            "update-sampling-rule",
            "--rule-name",
            "Nope",
            "--fixed-rate",
            "0.01",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("there is no sampling rule \"Nope\" in us-east-1"));

    let out = ok(
        &fake,
        &[
            "xray",
            "delete-sampling-rule",
            "--rule-name",
            "Cruddur",
            "--output",
            "json",
        ],
    );
    assert_eq!(
        json_of(&out)["SamplingRuleRecord"]["SamplingRule"]["RuleName"],
        "Cruddur"
    );
    let out = ok(
        &fake,
        &["xray", "delete-sampling-rule", "--rule-name", "Cruddur"],
    );
    assert_eq!(
        out,
        "sampling rule \"Cruddur\" does not exist in us-east-1; nothing to delete\n"
    );
}

#[test]
fn group_create_rerun_drift_update_delete() {
    let fake = xray_fake();
    let filter = "service(\"backend-flask\") {fault OR error}";
    let out = ok(
        &fake,
        &[
            "xray",
            "create-group",
            "--group-name",
            "Cruddur",
            "--filter-expression",
            filter,
            "--tags",
            "Key=project,Value=cruddur",
        ],
    );
    assert!(
        out.starts_with(
            "created group \"Cruddur\"\n  arn: arn:aws:xray:us-east-1:123456789012:group/Cruddur/"
        ),
        "{out}"
    );
    let out = ok(
        &fake,
        &[
            "xray",
            "create-group",
            "--group-name",
            "Cruddur",
            "--filter-expression",
            filter,
        ],
    );
    assert!(out.starts_with("group \"Cruddur\" unchanged"), "{out}");

    let out = run(
        &fake,
        &[
            "xray",
            "create-group",
            "--group-name",
            "Cruddur",
            "--filter-expression",
            "service(\"backend-flask\") {fault}",
            "--insights-enabled",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr_of(&out),
        "error: group \"Cruddur\" already exists with other settings (as it is -> as asked):\n\
         \x20 FilterExpression  'service(\"backend-flask\") {fault OR error}' -> 'service(\"backend-flask\") {fault}'\n\
         \x20 InsightsEnabled   false -> true\n\
         hint: re-run with --update to apply these changes, or change command line to match\n"
    );
    ok(
        &fake,
        &[
            "xray",
            "create-group",
            "--group-name",
            "Cruddur",
            "--filter-expression",
            "service(\"backend-flask\") {fault}",
            "--insights-enabled",
            "--update",
        ],
    );
    let group = json_of(&ok(
        &fake,
        &[
            "xray",
            "get-group",
            "--group-name",
            "Cruddur",
            "--output",
            "json",
        ],
    ));
    assert_eq!(
        group["Group"]["FilterExpression"],
        "service(\"backend-flask\") {fault}"
    );
    assert_eq!(
        group["Group"]["InsightsConfiguration"]["InsightsEnabled"],
        true
    );

    let out = ok(
        &fake,
        &[
            "xray",
            "update-group",
            "--group-name",
            "Cruddur",
            "--insights-enabled=false",
        ],
    );
    assert_eq!(
        out,
        "updated group \"Cruddur\":\n  InsightsEnabled  true -> false\n"
    );

    // JSON output is the aws cli's, for both the list and the single group.
    for args in [
        vec!["xray", "get-groups"],
        vec!["xray", "get-group", "--group-name", "Cruddur"],
    ] {
        let ours = json_of(&ok(
            &fake,
            &[args.clone(), vec!["--output", "json"]].concat(),
        ));
        let theirs = aws_cli()
            .args(["--endpoint-url", fake.url(), "--output", "json"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(ours, json_of(&stdout_of(&theirs)), "{args:?}");
    }

    let out = ok(&fake, &["xray", "delete-group", "--group-name", "Cruddur"]);
    assert_eq!(out, "deleted group \"Cruddur\"\n");
    let out = ok(&fake, &["xray", "delete-group", "--group-name", "Cruddur"]);
    assert_eq!(
        out,
        "group \"Cruddur\" does not exist in us-east-1; nothing to delete\n"
    );
    let out = run(&fake, &["xray", "get-group", "--group-name", "Cruddur"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr_of(&out), "error: there is no group \"Cruddur\" in us-east-1\nhint: list the groups: cruddur-obs xray get-groups\n");
}

#[test]
fn group_from_cli_input_json_with_flag_override() {
    let fake = xray_fake();
    let input = r#"{"GroupName": "Cruddur", "FilterExpression": "service(\"backend-flask\")", "InsightsConfiguration": {"InsightsEnabled": true}}"#;
    ok(
        &fake,
        &[
            "xray",
            "create-group",
            "--cli-input-json",
            input,
            "--group-name",
            "Other",
        ],
    );
    let groups = json_of(&ok(&fake, &["xray", "get-groups", "--output", "json"]));
    assert_eq!(groups["Groups"][0]["GroupName"], "Other");
    assert_eq!(
        groups["Groups"][0]["InsightsConfiguration"]["InsightsEnabled"],
        true
    );
}

#[test]
fn throttling_is_retried_then_explained() {
    let fake = xray_fake();
    fake.faults("throttle", 2, &["CreateSamplingRule"]);
    let out = ok(
        &fake,
        &[
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            XRAY_JSON,
        ],
    );
    assert!(out.starts_with("created sampling rule"), "{out}");
    let statuses: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|(op, _)| op == "CreateSamplingRule")
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(statuses, [429, 429, 200]);

    fake.faults("throttle", -1, &[]);
    let out = run(&fake, &["xray", "get-sampling-rules"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr_of(&out),
        "error: listing sampling rules: AWS is throttling requests and still was after 3 attempts\n\
         hint: wait a minute and run the command again (it is safe to re-run); AWS_MAX_ATTEMPTS raises the number of attempts\n"
    );
}

#[test]
fn server_errors_are_retried_then_explained() {
    let fake = xray_fake();
    fake.faults("error500", -1, &["GetGroups"]);
    let out = run(&fake, &["xray", "create-group", "--group-name", "Cruddur"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.starts_with("error: listing groups: the service failed (HTTP 500) on every attempt"),
        "{err}"
    );
    assert!(err.contains("hint: this is on AWS's side"), "{err}");
    assert_eq!(fake.requests().len(), 3, "three attempts");
    assert!(fake.state()["groups"].as_array().unwrap().is_empty());
}

#[test]
fn rule_limit_is_explained() {
    let fake = xray_fake();
    for i in 0..25 {
        let f = rule_with("\"Cruddur\"", &format!("\"rule{i}\""));
        ok(
            &fake,
            &[
                "xray",
                "create-sampling-rule",
                "--cli-input-json",
                &f.path().display().to_string(),
            ],
        );
    }
    let out = run(
        &fake,
        &[
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            XRAY_JSON,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr_of(&out),
        "error: creating sampling rule \"Cruddur\": us-east-1 already has the most sampling rules X-Ray allows (25 besides Default)\n\
         hint: delete rules you no longer use: cruddur-obs xray get-sampling-rules, then xray delete-sampling-rule --rule-name NAME\n"
    );
}

#[test]
fn service_side_rejection_is_shown() {
    let fake = xray_fake();
    // The fake rejects an unknown ARN when reading tags, as AWS does.
    let out = run(
        &fake,
        &[
            "xray",
            "update-group",
            "--group-arn",
            "arn:aws:xray:us-east-1:123456789012:group/Nope/X",
            "--filter-expression",
            "service(\"a\")",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out)
        .contains("there is no group \"arn:aws:xray:us-east-1:123456789012:group/Nope/X\""));
}

#[test]
fn access_denied_names_the_permission() {
    let fake = xray_fake();
    fake.faults("denied", -1, &["CreateSamplingRule"]);
    let out = run(
        &fake,
        &[
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            XRAY_JSON,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr_of(&out),
        "error: creating sampling rule \"Cruddur\": access denied: User: arn:aws:iam::123456789012:user/cruddur is not authorized to perform: xray:CreateSamplingRule\n\
         hint: the IAM user or role needs permission for xray:CreateSamplingRule\n"
    );
    let denied: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|(op, _)| op == "CreateSamplingRule")
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(denied, [403], "a denial is not retried");
}
