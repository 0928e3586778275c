//! Bad input: a clear message naming the file, line and column or the field and its allowed values,
//! exit code 2, and no network call at all.

use std::io::Write;

use crate::support::{cruddur, stderr_of, Listener};

const RULE: &str = r#"{
  "SamplingRule": {
    "RuleName": "Cruddur",
    "ResourceARN": "*",
    "Priority": 9000,
    "FixedRate": 0.1,
    "ReservoirSize": 5,
    "ServiceName": "backend-flask",
    "ServiceType": "*",
    "Host": "*",
    "HTTPMethod": "*",
    "URLPath": "*",
    "Version": 1
  }
}"#;

fn rule_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

/// Runs a command that must be refused before any call; returns its standard error.
fn refused(args: &[&str]) -> String {
    let listener = Listener::new();
    let out = cruddur()
        .args(args)
        .args(["--endpoint-url", &listener.url])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit 2 for {args:?}, got {:?}: {err}",
        out.status
    );
    assert!(out.stdout.is_empty(), "nothing on stdout for refused input");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    listener.assert_untouched();
    err
}

fn refused_rule(text: &str) -> (String, String) {
    let f = rule_file(text);
    let path = f.path().display().to_string();
    let err = refused(&[
        "xray",
        "create-sampling-rule",
        "--cli-input-json",
        &format!("file://{path}"),
    ]);
    (err, path)
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let text = RULE.replace("\"FixedRate\": 0.1,", "\"FixedRate\": 0.1");
    let (err, path) = refused_rule(&text);
    assert!(
        err.starts_with(&format!(
            "error: {path}:7:5: malformed JSON: expected `,` or `}}`"
        )),
        "{err}"
    );
}

#[test]
fn wrongly_cased_field_gets_did_you_mean() {
    for wrong in ["fixedRate", "Fixedrate", "FixedRat"] {
        let (err, _) = refused_rule(&RULE.replace("\"FixedRate\"", &format!("\"{wrong}\"")));
        assert!(
            err.contains(&format!(
                "SamplingRule.{wrong}: unknown field \"{wrong}\"; did you mean \"FixedRate\"?"
            )),
            "{err}"
        );
        assert!(
            err.contains(
                "hint: allowed fields here: RuleName, RuleARN, ResourceARN, Priority, FixedRate"
            ),
            "{err}"
        );
    }
}

#[test]
fn unknown_field_lists_allowed_fields() {
    let (err, path) =
        refused_rule(&RULE.replace("\"Version\": 1", "\"Version\": 1, \"Colour\": \"red\""));
    assert!(err.contains(&format!("{path}:13:")), "{err}");
    assert!(
        err.contains("SamplingRule.Colour: unknown field \"Colour\"\n"),
        "{err}"
    );
    assert!(!err.contains("did you mean"), "{err}");
}

#[test]
fn unknown_top_level_field() {
    let (err, _) = refused_rule(&RULE.replacen('{', "{\"Tag\": [],", 1));
    assert!(
        err.contains(": Tag: unknown field \"Tag\"; did you mean \"Tags\"?"),
        "{err}"
    );
}

#[test]
fn wrong_type_and_missing_field() {
    let (err, _) = refused_rule(&RULE.replace("\"FixedRate\": 0.1", "\"FixedRate\": \"0.1\""));
    assert!(
        err.contains("SamplingRule.FixedRate: invalid type: string \"0.1\", expected a number"),
        "{err}"
    );
    let (err, _) = refused_rule(&RULE.replace("\"Priority\": 9000,", ""));
    assert!(
        err.contains("SamplingRule.Priority: required field is missing"),
        "{err}"
    );
    let (err, _) = refused_rule(&RULE.replace("\"Priority\": 9000", "\"Priority\": 90.5"));
    assert!(
        err.contains(
            "SamplingRule.Priority: invalid type: floating point `90.5`, expected a whole number"
        ),
        "{err}"
    );
}

#[test]
fn every_limit_is_reported_at_once() {
    let text = RULE
        .replace("\"FixedRate\": 0.1", "\"FixedRate\": 1.5")
        .replace("\"Priority\": 9000", "\"Priority\": 10000")
        .replace("\"ReservoirSize\": 5", "\"ReservoirSize\": -1")
        .replace("\"Version\": 1", "\"Version\": 2, \"Attributes\": {\"a\":\"1\",\"b\":\"1\",\"c\":\"1\",\"d\":\"1\",\"e\":\"1\",\"f\":\"\"}")
        .replace("\"HTTPMethod\": \"*\"", "\"HTTPMethod\": \"DELETEPOSTS\"")
        .replace("\"RuleName\": \"Cruddur\"", &format!("\"RuleName\": \"{}\"", "r".repeat(33)))
        .replace("\"ServiceName\": \"backend-flask\"", &format!("\"ServiceName\": \"{}\"", "s".repeat(65)))
        .replace("\"URLPath\": \"*\"", &format!("\"URLPath\": \"/{}\"", "p".repeat(128)));
    let (err, path) = refused_rule(&text);
    for expected in [
        "SamplingRule.RuleName: \"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\" is 33 characters long; allowed: 1 to 32 characters",
        "SamplingRule.Priority: 10000 is out of range; allowed: a whole number from 1 to 9999",
        "SamplingRule.FixedRate: 1.5 is out of range; allowed: a number from 0 to 1",
        "SamplingRule.ReservoirSize: -1 is out of range; allowed: a whole number of at least 0",
        "is 65 characters long; allowed: at most 64 characters",
        "SamplingRule.HTTPMethod: \"DELETEPOSTS\" is 11 characters long; allowed: at most 10 characters",
        "is 129 characters long; allowed: at most 128 characters",
        "SamplingRule.Version: 2 is not an allowed value; allowed: one of 1",
        "SamplingRule.Attributes: 6 attributes given; allowed: at most 5 attributes",
        "SamplingRule.Attributes.f (value): is empty; allowed: 1 to 32 characters",
    ] {
        assert!(err.contains(&format!("{path}: {expected}")) || err.contains(expected), "missing {expected:?} in\n{err}");
    }
    assert!(err.starts_with("error: 10 problems in the input"), "{err}");
    assert!(err.contains("hint: nothing was sent to AWS"), "{err}");
}

#[test]
fn rule_name_rules() {
    let (err, _) = refused_rule(&RULE.replace("\"RuleName\": \"Cruddur\",", ""));
    assert!(err.contains("SamplingRule.RuleName: is missing"), "{err}");
    let (err, _) = refused_rule(&RULE.replace("\"Cruddur\"", "\"Default\""));
    assert!(
        err.contains("\"Default\" is X-Ray's built-in rule and cannot be created"),
        "{err}"
    );
    let (err, _) = refused_rule(&RULE.replace(
        "\"RuleName\": \"Cruddur\",",
        "\"RuleName\": \"Cruddur\", \"RuleARN\": \"arn:aws:xray:us-east-1:1:sampling-rule/Cruddur\",",
    ));
    assert!(err.contains("SamplingRule.RuleARN: given together with RuleName; allowed: either RuleName or RuleARN, not both"), "{err}");
}

#[test]
fn bad_tags() {
    let text = RULE.replacen(
        '{',
        &format!("{{\"Tags\": [{{\"Key\": \"aws:owner\", \"Value\": \"x\"}}, {{\"Key\": \"{}\", \"Value\": \"\"}}],", "k".repeat(129)),
        1,
    );
    let (err, _) = refused_rule(&text);
    assert!(
        err.contains("Tags.aws:owner: keys starting with \"aws:\" are reserved for AWS"),
        "{err}"
    );
    assert!(err.contains("(key): \"kkkk"), "{err}");
}

#[test]
fn empty_missing_and_stdin_inputs() {
    let (err, path) = refused_rule("  \n");
    assert!(
        err.contains(&format!("error: {path}: the input is empty")),
        "{err}"
    );
    let err = refused(&[
        "xray",
        "create-sampling-rule",
        "--cli-input-json",
        "file://no/such/rule.json",
    ]);
    assert!(
        err.contains("error: cannot read no/such/rule.json: no such file"),
        "{err}"
    );
    let listener = Listener::new();
    let out = cruddur()
        .args([
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            "-",
            "--endpoint-url",
            &listener.url,
        ])
        .write_stdin(RULE.replace("0.1", "2"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("<stdin>: SamplingRule.FixedRate: 2 is out of range"),
        "{}",
        stderr_of(&out)
    );
    listener.assert_untouched();
}

#[test]
fn bad_groups() {
    let err = refused(&[
        "xray",
        "create-group",
        "--group-name",
        "Cruddur",
        "--filter-expression",
        "service(\"https://4567-abc.ws.gitpod.io\") {fault OR error}",
    ]);
    assert!(
        err.contains("FilterExpression: holds a URL, so it can never match"),
        "{err}"
    );
    assert!(
        err.contains("allowed: a filter such as service(\"backend-flask\") {fault OR error}"),
        "{err}"
    );
    let err = refused(&[
        "xray",
        "create-group",
        "--group-name",
        "Default",
        "--filter-expression",
        "service(\"x\" {fault}",
    ]);
    assert!(
        err.contains("GroupName: \"Default\" is reserved by X-Ray"),
        "{err}"
    );
    assert!(
        err.contains("FilterExpression: has an unclosed '('"),
        "{err}"
    );
    let err = refused(&[
        "xray",
        "create-group",
        "--group-name",
        &"g".repeat(33),
        "--notifications-enabled",
    ]);
    assert!(
        err.contains("is 33 characters long; allowed: 1 to 32 characters"),
        "{err}"
    );
    assert!(
        err.contains("InsightsConfiguration: notifications are on while insights are off"),
        "{err}"
    );
    let err = refused(&["xray", "create-group"]);
    assert!(err.contains("error: --group-name is required"), "{err}");
    let err = refused(&[
        "xray",
        "create-group",
        "--group-name",
        "Cruddur",
        "--tags",
        "project=cruddur",
    ]);
    assert!(
        err.contains("--tags: cannot read \"project=cruddur\""),
        "{err}"
    );
    let err = refused(&[
        "xray",
        "create-group",
        "--cli-input-json",
        "{\"GroupName\": \"Cruddur\", \"filterExpression\": \"x\"}",
    ]);
    assert!(err.contains("--cli-input-json:1:"), "{err}");
    assert!(err.contains("did you mean \"FilterExpression\"?"), "{err}");
    let err = refused(&["xray", "delete-sampling-rule", "--rule-name", "Default"]);
    assert!(
        err.contains("the Default sampling rule cannot be deleted"),
        "{err}"
    );
    let err = refused(&[
        "xray",
        "update-sampling-rule",
        "--rule-name",
        "Cruddur",
        "--fixed-rate",
        "1.2",
    ]);
    assert!(
        err.contains("SamplingRuleUpdate.FixedRate: 1.2 is out of range"),
        "{err}"
    );
    let err = refused(&[
        "xray",
        "update-sampling-rule",
        "--rule-name",
        "Default",
        "--priority",
        "1",
    ]);
    assert!(
        err.contains("only FixedRate and ReservoirSize for Default"),
        "{err}"
    );
    let err = refused(&["xray", "update-sampling-rule", "--rule-name", "Cruddur"]);
    assert!(err.contains("error: nothing to update"), "{err}");
}

#[test]
fn bad_log_groups() {
    let err = refused(&[
        "logs",
        "create-log-group",
        "--log-group-name",
        "aws/cruddur",
        "--retention-in-days",
        "10",
    ]);
    assert!(
        err.contains(
            "--log-group-name: names starting with \"aws/\" are reserved for AWS services"
        ),
        "{err}"
    );
    assert!(err.contains("--retention-in-days: 10 is not a retention period CloudWatch Logs accepts (nearest: 7 or 14); allowed: one of 1, 3, 5, 7, 14,"), "{err}");
    let err = refused(&[
        "logs",
        "create-log-group",
        "--log-group-name",
        "my logs",
        "--log-group-class",
        "standard",
    ]);
    assert!(err.contains("\"my logs\" contains ' '"), "{err}");
    assert!(err.contains("--log-group-class: standard is not an allowed value; allowed: one of STANDARD, INFREQUENT_ACCESS"), "{err}");
    let err = refused(&[
        "logs",
        "create-log-group",
        "--log-group-name",
        "cruddur",
        "--tags",
        "team=a*b,aws:x=y",
    ]);
    assert!(
        err.contains("has a character CloudWatch Logs does not allow in tags"),
        "{err}"
    );
    assert!(
        err.contains("keys starting with \"aws:\" are reserved"),
        "{err}"
    );
    let err = refused(&[
        "logs",
        "put-retention-policy",
        "--log-group-name",
        "cruddur",
        "--retention-in-days",
        "-1",
    ]);
    assert!(err.contains("-1 is not a retention period"), "{err}");
    let err = refused(&[
        "logs",
        "create-log-group",
        "--log-group-name",
        &"n".repeat(513),
    ]);
    assert!(
        err.contains("is 513 characters long; allowed: 1 to 512 characters"),
        "{err}"
    );
}

#[test]
fn region_and_endpoint_are_checked_locally() {
    let listener = Listener::new();
    let out = cruddur()
        .args([
            "xray",
            "get-sampling-rules",
            "--endpoint-url",
            &listener.url,
        ])
        .env("AWS_DEFAULT_REGION", "can-central-1")
        .env_remove("AWS_REGION")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        "error: AWS_DEFAULT_REGION: \"can-central-1\" is not an AWS region\nhint: did you mean \"ca-central-1\"?\n"
    );
    listener.assert_untouched();
    let err = refused(&["logs", "describe-log-groups", "--region", "us-est-1"]);
    assert!(
        err.contains("--region: \"us-est-1\" is not an AWS region"),
        "{err}"
    );
    let out = cruddur()
        .args([
            "logs",
            "describe-log-groups",
            "--endpoint-url",
            "localhost:4566",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--endpoint-url: \"localhost:4566\" is not an endpoint URL"));
    let out = cruddur()
        .args(["logs", "describe-log-groups"])
        .env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "127.0.0.1:5000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out)
        .contains("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: \"127.0.0.1:5000\" is not an endpoint URL"));
}

#[test]
fn usage_errors_exit_2() {
    let out = cruddur()
        .args(["logs", "create-log-group"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("--log-group-name <NAME>"),
        "{}",
        stderr_of(&out)
    );
    let out = cruddur()
        .args(["xray", "create-sampling-rule", "--cli-input-jsn", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("tip: a similar argument exists: '--cli-input-json'"),
        "{}",
        stderr_of(&out)
    );
}
