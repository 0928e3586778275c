//! Bad input: a clear message naming the file, line and column or the field and its allowed values,
//! exit code 2, and no network call at all.

use std::io::Write;

use crate::support::{Listener, Run};

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

/// Runs a command that must be refused before any call: exit 2, nothing on stdout, no panic, and
/// no request to its endpoint. Returns the output for further checks.
fn refused(run: Run) -> std::process::Output {
    let listener = Listener::new();
    let out = run
        .args(["--endpoint-url", &listener.url])
        .status(2)
        .stdout("")
        .stderr_lacks("panicked")
        .stderr_lacks("RUST_BACKTRACE")
        .run();
    listener.assert_untouched();
    out
}

/// `refused` for a sampling rule read from a file holding `text`; `expect` adds what standard
/// error must say, given the file's path.
fn refused_rule(text: &str, expect: impl FnOnce(Run, &str) -> Run) {
    let f = rule_file(text);
    let path = f.path().display().to_string();
    let run = Run::new(["xray", "create-sampling-rule", "--cli-input-json"])
        .arg(format!("file://{path}"));
    refused(expect(run, &path));
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let text = RULE.replace("\"FixedRate\": 0.1,", "\"FixedRate\": 0.1");
    refused_rule(&text, |run, path| {
        run.stderr_starts_with(format!(
            "error: {path}:7:5: malformed JSON: expected `,` or `}}`"
        ))
    });
}

#[test]
fn wrongly_cased_field_gets_did_you_mean() {
    for wrong in ["fixedRate", "Fixedrate", "FixedRat"] {
        refused_rule(
            &RULE.replace("\"FixedRate\"", &format!("\"{wrong}\"")),
            |run, _| {
                run.stderr_contains(format!(
                    "SamplingRule.{wrong}: unknown field \"{wrong}\"; did you mean \"FixedRate\"?"
                ))
                .stderr_contains(
                    "hint: allowed fields here: RuleName, RuleARN, ResourceARN, Priority, FixedRate",
                )
            },
        );
    }
}

#[test]
fn unknown_field_lists_allowed_fields() {
    refused_rule(
        &RULE.replace("\"Version\": 1", "\"Version\": 1, \"Colour\": \"red\""),
        |run, path| {
            run.stderr_contains(format!("{path}:13:"))
                .stderr_contains("SamplingRule.Colour: unknown field \"Colour\"\n")
                .stderr_lacks("did you mean")
        },
    );
}

#[test]
fn unknown_top_level_field() {
    refused_rule(&RULE.replacen('{', "{\"Tag\": [],", 1), |run, _| {
        run.stderr_contains(": Tag: unknown field \"Tag\"; did you mean \"Tags\"?")
    });
}

#[test]
fn wrong_type_and_missing_field() {
    refused_rule(
        &RULE.replace("\"FixedRate\": 0.1", "\"FixedRate\": \"0.1\""),
        |run, _| {
            run.stderr_contains(
                "SamplingRule.FixedRate: invalid type: string \"0.1\", expected a number",
            )
        },
    );
    refused_rule(&RULE.replace("\"Priority\": 9000,", ""), |run, _| {
        run.stderr_contains("SamplingRule.Priority: required field is missing")
    });
    refused_rule(
        &RULE.replace("\"Priority\": 9000", "\"Priority\": 90.5"),
        |run, _| {
            run.stderr_contains(
                "SamplingRule.Priority: invalid type: floating point `90.5`, expected a whole number",
            )
        },
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
    refused_rule(&text, |run, _| {
        [
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
        ]
        .into_iter()
        .fold(run, Run::stderr_contains)
        .stderr_starts_with("error: 10 problems in the input")
        .stderr_contains("hint: nothing was sent to AWS")
    });
}

#[test]
fn rule_name_rules() {
    refused_rule(&RULE.replace("\"RuleName\": \"Cruddur\",", ""), |run, _| {
        run.stderr_contains("SamplingRule.RuleName: is missing")
    });
    refused_rule(&RULE.replace("\"Cruddur\"", "\"Default\""), |run, _| {
        run.stderr_contains("\"Default\" is X-Ray's built-in rule and cannot be created")
    });
    refused_rule(
        &RULE.replace(
            "\"RuleName\": \"Cruddur\",",
            "\"RuleName\": \"Cruddur\", \"RuleARN\": \"arn:aws:xray:us-east-1:1:sampling-rule/Cruddur\",",
        ),
        |run, _| {
            run.stderr_contains("SamplingRule.RuleARN: given together with RuleName; allowed: either RuleName or RuleARN, not both")
        },
    );
}

#[test]
fn bad_tags() {
    let text = RULE.replacen(
        '{',
        &format!("{{\"Tags\": [{{\"Key\": \"aws:owner\", \"Value\": \"x\"}}, {{\"Key\": \"{}\", \"Value\": \"\"}}],", "k".repeat(129)),
        1,
    );
    refused_rule(&text, |run, _| {
        run.stderr_contains("Tags.aws:owner: keys starting with \"aws:\" are reserved for AWS")
            .stderr_contains("(key): \"kkkk")
    });
}

#[test]
fn empty_missing_and_stdin_inputs() {
    refused_rule("  \n", |run, path| {
        run.stderr_contains(format!("error: {path}: the input is empty"))
    });
    refused(
        Run::new([
            "xray",
            "create-sampling-rule",
            "--cli-input-json",
            "file://no/such/rule.json",
        ])
        .stderr_contains("error: cannot read no/such/rule.json: no such file"),
    );
    refused(
        Run::new(["xray", "create-sampling-rule", "--cli-input-json", "-"])
            .stdin(RULE.replace("0.1", "2"))
            .stderr_contains("<stdin>: SamplingRule.FixedRate: 2 is out of range"),
    );
}

#[test]
fn bad_groups() {
    refused(
        Run::new([
            "xray",
            "create-group",
            "--group-name",
            "Cruddur",
            "--filter-expression",
            "service(\"https://4567-abc.ws.gitpod.io\") {fault OR error}",
        ])
        .stderr_contains("FilterExpression: holds a URL, so it can never match")
        .stderr_contains("allowed: a filter such as service(\"backend-flask\") {fault OR error}"),
    );
    refused(
        Run::new([
            "xray",
            "create-group",
            "--group-name",
            "Default",
            "--filter-expression",
            "service(\"x\" {fault}",
        ])
        .stderr_contains("GroupName: \"Default\" is reserved by X-Ray")
        .stderr_contains("FilterExpression: has an unclosed '('"),
    );
    refused(
        Run::new(["xray", "create-group", "--group-name"])
            .arg("g".repeat(33))
            .arg("--notifications-enabled")
            .stderr_contains("is 33 characters long; allowed: 1 to 32 characters")
            .stderr_contains("InsightsConfiguration: notifications are on while insights are off"),
    );
    refused(Run::new(["xray", "create-group"]).stderr_contains("error: --group-name is required"));
    refused(
        Run::new([
            "xray",
            "create-group",
            "--group-name",
            "Cruddur",
            "--tags",
            "project=cruddur",
        ])
        .stderr_contains("--tags: cannot read \"project=cruddur\""),
    );
    refused(
        Run::new([
            "xray",
            "create-group",
            "--cli-input-json",
            "{\"GroupName\": \"Cruddur\", \"filterExpression\": \"x\"}",
        ])
        .stderr_contains("--cli-input-json:1:")
        .stderr_contains("did you mean \"FilterExpression\"?"),
    );
    refused(
        Run::new(["xray", "delete-sampling-rule", "--rule-name", "Default"])
            .stderr_contains("the Default sampling rule cannot be deleted"),
    );
    refused(
        Run::new([
            "xray",
            "update-sampling-rule",
            "--rule-name",
            "Cruddur",
            "--fixed-rate",
            "1.2",
        ])
        .stderr_contains("SamplingRuleUpdate.FixedRate: 1.2 is out of range"),
    );
    refused(
        Run::new([
            "xray",
            "update-sampling-rule",
            "--rule-name",
            "Default",
            "--priority",
            "1",
        ])
        .stderr_contains("only FixedRate and ReservoirSize for Default"),
    );
    refused(
        Run::new(["xray", "update-sampling-rule", "--rule-name", "Cruddur"])
            .stderr_contains("error: nothing to update"),
    );
}

#[test]
fn bad_log_groups() {
    refused(
        Run::new([
            "logs",
            "create-log-group",
            "--log-group-name",
            "aws/cruddur",
            "--retention-in-days",
            "10",
        ])
        .stderr_contains(
            "--log-group-name: names starting with \"aws/\" are reserved for AWS services",
        )
        .stderr_contains("--retention-in-days: 10 is not a retention period CloudWatch Logs accepts (nearest: 7 or 14); allowed: one of 1, 3, 5, 7, 14,"),
    );
    refused(
        Run::new([
            "logs",
            "create-log-group",
            "--log-group-name",
            "my logs",
            "--log-group-class",
            "standard",
        ])
        .stderr_contains("\"my logs\" contains ' '")
        .stderr_contains("--log-group-class: standard is not an allowed value; allowed: one of STANDARD, INFREQUENT_ACCESS"),
    );
    refused(
        Run::new([
            "logs",
            "create-log-group",
            "--log-group-name",
            "cruddur",
            "--tags",
            "team=a*b,aws:x=y",
        ])
        .stderr_contains("has a character CloudWatch Logs does not allow in tags")
        .stderr_contains("keys starting with \"aws:\" are reserved"),
    );
    refused(
        Run::new([
            "logs",
            "put-retention-policy",
            "--log-group-name",
            "cruddur",
            "--retention-in-days",
            "-1",
        ])
        .stderr_contains("-1 is not a retention period"),
    );
    refused(
        Run::new(["logs", "create-log-group", "--log-group-name"])
            .arg("n".repeat(513))
            .stderr_contains("is 513 characters long; allowed: 1 to 512 characters"),
    );
}

#[test]
fn region_and_endpoint_are_checked_locally() {
    refused(
        Run::new(["xray", "get-sampling-rules"])
            .env("AWS_DEFAULT_REGION", "can-central-1")
            .env_remove("AWS_REGION")
            .stderr("error: AWS_DEFAULT_REGION: \"can-central-1\" is not an AWS region\nhint: did you mean \"ca-central-1\"?\n"),
    );
    refused(
        Run::new(["logs", "describe-log-groups", "--region", "us-est-1"])
            .stderr_contains("--region: \"us-est-1\" is not an AWS region"),
    );
    Run::new([
        "logs",
        "describe-log-groups",
        "--endpoint-url",
        "localhost:4566",
    ])
    .status(2)
    .stderr_contains("--endpoint-url: \"localhost:4566\" is not an endpoint URL")
    .run();
    Run::new(["logs", "describe-log-groups"])
        .env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "127.0.0.1:5000")
        .status(2)
        .stderr_contains(
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: \"127.0.0.1:5000\" is not an endpoint URL",
        )
        .run();
}

#[test]
fn usage_errors_exit_2() {
    Run::new(["logs", "create-log-group"])
        .status(2)
        .stderr_contains("--log-group-name <NAME>")
        .run();
    Run::new(["xray", "create-sampling-rule", "--cli-input-jsn", "x"])
        .status(2)
        .stderr_contains("tip: a similar argument exists: '--cli-input-json'")
        .run();
}
