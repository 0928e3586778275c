//! X-Ray groups and sampling rules against the control-plane fake: create, re-run, drift,
//! --update, the other operations, retries and failures, and aws-cli-identical JSON.

use crate::support::{aws_cli, json_of, repo, stderr_of, stdout_of, xray_fake, Run, XrayFake};

const XRAY_JSON: &str = "file://aws/json/xray.json";

/// cruddur-obs with `args` against the fake, in the repository (for aws/json/xray.json).
fn xray(fake: &XrayFake, args: &[&str]) -> Run {
    Run::new(args)
        .current_dir(repo())
        .args(["--endpoint-url", fake.url()])
}

/// `xray create-sampling-rule --cli-input-json INPUT` against the fake.
fn create_rule(fake: &XrayFake, input: &str) -> Run {
    xray(
        fake,
        &["xray", "create-sampling-rule", "--cli-input-json", input],
    )
}

/// Standard output of `run`, which must succeed.
fn ok(run: Run) -> String {
    stdout_of(&run.run())
}

/// The aws cli's JSON answer to `ARGS` against the fake.
fn aws_json(fake: &XrayFake, args: &[&str]) -> serde_json::Value {
    let out = aws_cli()
        .args(["--endpoint-url", fake.url(), "--output", "json"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    json_of(&stdout_of(&out))
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
    create_rule(&fake, XRAY_JSON)
        .stdout("created sampling rule \"Cruddur\"\n  arn: arn:aws:xray:us-east-1:123456789012:sampling-rule/Cruddur\n")
        .run();
    assert_eq!(fake.rule("Cruddur")["FixedRate"], 0.1);

    // Same rule again: succeeds, says unchanged, changes nothing.
    let before = fake.requests().len();
    create_rule(&fake, "aws/json/xray.json")
        .stdout("sampling rule \"Cruddur\" unchanged\n  arn: arn:aws:xray:us-east-1:123456789012:sampling-rule/Cruddur\n")
        .run();
    let calls: Vec<String> = fake.requests()[before..]
        .iter()
        .map(|(op, _)| op.clone())
        .collect();
    assert_eq!(calls, ["GetSamplingRules"]);

    // Other settings: refused with the differences, exit 3, nothing changed.
    let edited = rule_with("\"FixedRate\": 0.1", "\"FixedRate\": 0.2");
    let path = edited.path().display().to_string();
    create_rule(&fake, &path)
        .status(3)
        .stderr(format!(
            "error: sampling rule \"Cruddur\" already exists with other settings (as it is -> as asked):\n  FixedRate  0.1 -> 0.2\n\
             hint: re-run with --update to apply these changes, or change {path} to match\n"
        ))
        .run();
    assert_eq!(fake.rule("Cruddur")["FixedRate"], 0.1);

    // --update applies only the changed field.
    create_rule(&fake, &path)
        .arg("--update")
        .stdout_starts_with("updated sampling rule \"Cruddur\":\n  FixedRate  0.1 -> 0.2\n")
        .run();
    assert_eq!(fake.rule("Cruddur")["FixedRate"], 0.2);
    assert_eq!(fake.rule("Cruddur")["Priority"], 9000);
    create_rule(&fake, &path)
        .stdout_starts_with("sampling rule \"Cruddur\" unchanged")
        .run();
}

#[test]
fn sampling_rule_tags_are_compared_and_applied() {
    let fake = xray_fake();
    let tagged = rule_with(
        "\"SamplingRule\"",
        "\"Tags\": [{\"Key\": \"project\", \"Value\": \"cruddur\"}], \"SamplingRule\"",
    );
    create_rule(&fake, &tagged.path().display().to_string()).run();
    let retagged = rule_with(
        "\"SamplingRule\"",
        "\"Tags\": [{\"Key\": \"project\", \"Value\": \"demo\"}], \"SamplingRule\"",
    );
    let path = retagged.path().display().to_string();
    create_rule(&fake, &path)
        .status(3)
        .stderr_contains("  Tags.project  \"cruddur\" -> \"demo\"")
        .run();
    create_rule(&fake, &path).arg("--update").run();
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
    Run::new([
        "xray",
        "create-sampling-rule",
        "--cli-input-json",
        "-",
        "--output",
        "json",
        "--endpoint-url",
        fake.url(),
    ])
    .stdin(rule)
    .stdout_json(|created: &serde_json::Value| {
        created["SamplingRuleRecord"]["SamplingRule"]["RuleName"] == "Cruddur"
            && created["SamplingRuleRecord"]["CreatedAt"].is_f64()
    })
    .run();

    for _ in 0..6 {
        // More rules than the fake's page size of 5, so both sides must follow NextToken.
        let n = fake.requests().len();
        let name = format!("extra{n}");
        let f = rule_with("\"Cruddur\"", &format!("\"{name}\""));
        create_rule(&fake, &f.path().display().to_string()).run();
    }
    let theirs = aws_json(&fake, &["xray", "get-sampling-rules"]);
    assert_eq!(theirs["SamplingRuleRecords"].as_array().unwrap().len(), 8);
    xray(&fake, &["xray", "get-sampling-rules", "--output", "json"])
        .stdout_json(theirs)
        .run();

    let text = ok(xray(&fake, &["xray", "get-sampling-rules"]));
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
    create_rule(&fake, XRAY_JSON).run();
    xray(
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
    )
    .stdout("updated sampling rule \"Cruddur\":\n  FixedRate      0.1 -> 0.05\n  ReservoirSize  5 -> 1\n")
    .run();
    assert_eq!(fake.rule("Cruddur")["ReservoirSize"], 1);
    xray(
        &fake,
        &[
            "xray",
            "update-sampling-rule",
            "--cli-input-json",
            "{\"SamplingRuleUpdate\": {\"RuleName\": \"Cruddur\", \"FixedRate\": 0.05}}",
        ],
    )
    .stdout("sampling rule \"Cruddur\" unchanged\n")
    .run();
    xray(
        &fake,
        &[
            "xray",
            "update-sampling-rule",
            "--rule-name",
            "Default",
            "--fixed-rate",
            "0.01",
        ],
    )
    .stdout_contains("FixedRate  0.05 -> 0.01")
    .run();
    xray(
        &fake,
        &[
            "xray",
            "update-sampling-rule",
            "--rule-name",
            "Nope",
            "--fixed-rate",
            "0.01",
        ],
    )
    .status(1)
    .stderr_contains("there is no sampling rule \"Nope\" in us-east-1")
    .run();

    xray(
        &fake,
        &[
            "xray",
            "delete-sampling-rule",
            "--rule-name",
            "Cruddur",
            "--output",
            "json",
        ],
    )
    .stdout_json(|deleted: &serde_json::Value| {
        deleted["SamplingRuleRecord"]["SamplingRule"]["RuleName"] == "Cruddur"
    })
    .run();
    xray(
        &fake,
        &["xray", "delete-sampling-rule", "--rule-name", "Cruddur"],
    )
    .stdout("sampling rule \"Cruddur\" does not exist in us-east-1; nothing to delete\n")
    .run();
}

#[test]
fn group_create_rerun_drift_update_delete() {
    let fake = xray_fake();
    let filter = "service(\"backend-flask\") {fault OR error}";
    let create = |more: &[&str]| {
        xray(
            &fake,
            &[&["xray", "create-group", "--group-name", "Cruddur"], more].concat(),
        )
    };
    create(&[
        "--filter-expression",
        filter,
        "--tags",
        "Key=project,Value=cruddur",
    ])
    .stdout_starts_with(
        "created group \"Cruddur\"\n  arn: arn:aws:xray:us-east-1:123456789012:group/Cruddur/",
    )
    .run();
    create(&["--filter-expression", filter])
        .stdout_starts_with("group \"Cruddur\" unchanged")
        .run();

    let changed = [
        "--filter-expression",
        "service(\"backend-flask\") {fault}",
        "--insights-enabled",
    ];
    create(&changed)
        .status(3)
        .stderr(
            "error: group \"Cruddur\" already exists with other settings (as it is -> as asked):\n\
             \x20 FilterExpression  'service(\"backend-flask\") {fault OR error}' -> 'service(\"backend-flask\") {fault}'\n\
             \x20 InsightsEnabled   false -> true\n\
             hint: re-run with --update to apply these changes, or change command line to match\n",
        )
        .run();
    create(&[&changed[..], &["--update"]].concat()).run();
    xray(
        &fake,
        &[
            "xray",
            "get-group",
            "--group-name",
            "Cruddur",
            "--output",
            "json",
        ],
    )
    .stdout_json(|group: &serde_json::Value| {
        group["Group"]["FilterExpression"] == "service(\"backend-flask\") {fault}"
            && group["Group"]["InsightsConfiguration"]["InsightsEnabled"] == true
    })
    .run();

    xray(
        &fake,
        &[
            "xray",
            "update-group",
            "--group-name",
            "Cruddur",
            "--insights-enabled=false",
        ],
    )
    .stdout("updated group \"Cruddur\":\n  InsightsEnabled  true -> false\n")
    .run();

    // JSON output is the aws cli's, for both the list and the single group.
    for args in [
        vec!["xray", "get-groups"],
        vec!["xray", "get-group", "--group-name", "Cruddur"],
    ] {
        let theirs = aws_json(&fake, &args);
        xray(&fake, &args)
            .args(["--output", "json"])
            .stdout_json(theirs)
            .run();
    }

    let delete = ["xray", "delete-group", "--group-name", "Cruddur"];
    xray(&fake, &delete)
        .stdout("deleted group \"Cruddur\"\n")
        .run();
    xray(&fake, &delete)
        .stdout("group \"Cruddur\" does not exist in us-east-1; nothing to delete\n")
        .run();
    xray(&fake, &["xray", "get-group", "--group-name", "Cruddur"])
        .status(1)
        .stderr("error: there is no group \"Cruddur\" in us-east-1\nhint: list the groups: cruddur-obs xray get-groups\n")
        .run();
}

#[test]
fn group_from_cli_input_json_with_flag_override() {
    let fake = xray_fake();
    let input = r#"{"GroupName": "Cruddur", "FilterExpression": "service(\"backend-flask\")", "InsightsConfiguration": {"InsightsEnabled": true}}"#;
    xray(
        &fake,
        &[
            "xray",
            "create-group",
            "--cli-input-json",
            input,
            "--group-name",
            "Other",
        ],
    )
    .run();
    xray(&fake, &["xray", "get-groups", "--output", "json"])
        .stdout_json(|groups: &serde_json::Value| {
            groups["Groups"][0]["GroupName"] == "Other"
                && groups["Groups"][0]["InsightsConfiguration"]["InsightsEnabled"] == true
        })
        .run();
}

#[test]
fn throttling_is_retried_then_explained() {
    let fake = xray_fake();
    fake.faults("throttle", 2, &["CreateSamplingRule"]);
    create_rule(&fake, XRAY_JSON)
        .stdout_starts_with("created sampling rule")
        .run();
    let statuses: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|(op, _)| op == "CreateSamplingRule")
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(statuses, [429, 429, 200]);

    fake.faults("throttle", -1, &[]);
    xray(&fake, &["xray", "get-sampling-rules"])
        .status(1)
        .stderr(
            "error: listing sampling rules: AWS is throttling requests and still was after 3 attempts\n\
             hint: wait a minute and run the command again (it is safe to re-run); AWS_MAX_ATTEMPTS raises the number of attempts\n",
        )
        .run();
}

#[test]
fn server_errors_are_retried_then_explained() {
    let fake = xray_fake();
    fake.faults("error500", -1, &["GetGroups"]);
    xray(&fake, &["xray", "create-group", "--group-name", "Cruddur"])
        .status(1)
        .stderr_starts_with("error: listing groups: the service failed (HTTP 500) on every attempt")
        .stderr_contains("hint: this is on AWS's side")
        .run();
    assert_eq!(fake.requests().len(), 3, "three attempts");
    assert!(fake.state()["groups"].as_array().unwrap().is_empty());
}

#[test]
fn rule_limit_is_explained() {
    let fake = xray_fake();
    for i in 0..25 {
        let f = rule_with("\"Cruddur\"", &format!("\"rule{i}\""));
        create_rule(&fake, &f.path().display().to_string()).run();
    }
    create_rule(&fake, XRAY_JSON)
        .status(1)
        .stderr(
            "error: creating sampling rule \"Cruddur\": us-east-1 already has the most sampling rules X-Ray allows (25 besides Default)\n\
             hint: delete rules you no longer use: cruddur-obs xray get-sampling-rules, then xray delete-sampling-rule --rule-name NAME\n",
        )
        .run();
}

#[test]
fn service_side_rejection_is_shown() {
    let fake = xray_fake();
    // The fake rejects an unknown ARN when reading tags, as AWS does.
    xray(
        &fake,
        &[
            "xray",
            "update-group",
            "--group-arn",
            "arn:aws:xray:us-east-1:123456789012:group/Nope/X",
            "--filter-expression",
            "service(\"a\")",
        ],
    )
    .status(1)
    .stderr_contains("there is no group \"arn:aws:xray:us-east-1:123456789012:group/Nope/X\"")
    .run();
}

#[test]
fn access_denied_names_the_permission() {
    let fake = xray_fake();
    fake.faults("denied", -1, &["CreateSamplingRule"]);
    create_rule(&fake, XRAY_JSON)
        .status(1)
        .stderr(
            "error: creating sampling rule \"Cruddur\": access denied: User: arn:aws:iam::123456789012:user/cruddur is not authorized to perform: xray:CreateSamplingRule\n\
             hint: the IAM user or role needs permission for xray:CreateSamplingRule\n",
        )
        .run();
    let denied: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|(op, _)| op == "CreateSamplingRule")
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(denied, [403], "a denial is not retried");
}
