//! The X-Ray fake, driven by the real aws cli for every operation: botocore's serializers and
//! parsers are AWS's own, so this proves the fake speaks X-Ray's wire protocol.

use crate::support::{aws_cli, json_of, stderr_of, stdout_of, xray_fake, XrayFake};

fn aws(fake: &XrayFake, args: &[&str]) -> serde_json::Value {
    let out = aws_cli()
        .args(["--endpoint-url", fake.url(), "--output", "json", "xray"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "aws xray {args:?}: {}",
        stderr_of(&out)
    );
    let text = stdout_of(&out);
    if text.trim().is_empty() {
        serde_json::Value::Null
    } else {
        json_of(&text)
    }
}

/// Runs an aws cli command that must fail; returns its error text.
fn aws_error(fake: &XrayFake, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = aws_cli()
        .args(["--endpoint-url", fake.url(), "xray"])
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(255),
        "aws xray {args:?} should fail: {}",
        stdout_of(&out)
    );
    stderr_of(&out)
}

const RULE: &str = r#"{"SamplingRule": {"RuleName": "Cruddur", "ResourceARN": "*", "Priority": 9000, "FixedRate": 0.1,
  "ReservoirSize": 5, "ServiceName": "backend-flask", "ServiceType": "*", "Host": "*", "HTTPMethod": "*",
  "URLPath": "*", "Version": 1, "Attributes": {"team": "cruddur"}}, "Tags": [{"Key": "project", "Value": "cruddur"}]}"#;

#[test]
fn every_group_operation() {
    let fake = xray_fake();
    let created = aws(
        &fake,
        &[
            "create-group",
            "--group-name",
            "Cruddur",
            "--filter-expression",
            "service(\"backend-flask\") {fault OR error}",
            "--insights-configuration",
            "InsightsEnabled=true,NotificationsEnabled=false",
            "--tags",
            "Key=project,Value=cruddur",
        ],
    );
    let arn = created["Group"]["GroupARN"].as_str().unwrap().to_string();
    assert!(
        arn.starts_with("arn:aws:xray:us-east-1:123456789012:group/Cruddur/"),
        "{arn}"
    );
    assert_eq!(
        created["Group"]["InsightsConfiguration"]["InsightsEnabled"],
        true
    );

    let groups = aws(&fake, &["get-groups"]);
    assert_eq!(groups["Groups"].as_array().unwrap().len(), 1);
    assert_eq!(
        aws(&fake, &["get-group", "--group-arn", &arn])["Group"]["GroupName"],
        "Cruddur"
    );
    let updated = aws(
        &fake,
        &[
            "update-group",
            "--group-name",
            "Cruddur",
            "--filter-expression",
            "service(\"backend-flask\")",
        ],
    );
    assert_eq!(
        updated["Group"]["FilterExpression"],
        "service(\"backend-flask\")"
    );
    assert_eq!(
        updated["Group"]["InsightsConfiguration"]["InsightsEnabled"], true,
        "unchanged fields stay"
    );

    assert_eq!(
        aws(&fake, &["list-tags-for-resource", "--resource-arn", &arn])["Tags"],
        serde_json::json!([{"Key": "project", "Value": "cruddur"}])
    );
    aws(
        &fake,
        &[
            "tag-resource",
            "--resource-arn",
            &arn,
            "--tags",
            "Key=env,Value=dev",
        ],
    );
    aws(
        &fake,
        &[
            "untag-resource",
            "--resource-arn",
            &arn,
            "--tag-keys",
            "project",
        ],
    );
    assert_eq!(
        aws(&fake, &["list-tags-for-resource", "--resource-arn", &arn])["Tags"],
        serde_json::json!([{"Key": "env", "Value": "dev"}])
    );

    // Pagination: more groups than the fake's page size of 5, all returned by the cli's paginator.
    for i in 0..6 {
        aws(&fake, &["create-group", "--group-name", &format!("g{i}")]);
    }
    assert_eq!(
        aws(&fake, &["get-groups"])["Groups"]
            .as_array()
            .unwrap()
            .len(),
        7
    );

    let err = aws_error(&fake, &["create-group", "--group-name", "Cruddur"], &[]);
    assert!(err.contains("(InvalidRequestException) when calling the CreateGroup operation: Group already exists"), "{err}");
    let err = aws_error(&fake, &["create-group", "--group-name", "Default"], &[]);
    assert!(err.contains("InvalidRequestException"), "{err}");
    let err = aws_error(
        &fake,
        &[
            "create-group",
            "--group-name",
            "x",
            "--filter-expression",
            "service(\"a\"",
        ],
        &[],
    );
    assert!(err.contains("Invalid filter expression"), "{err}");

    assert_eq!(
        aws(&fake, &["delete-group", "--group-name", "Cruddur"]),
        serde_json::Value::Null
    );
    let err = aws_error(&fake, &["get-group", "--group-name", "Cruddur"], &[]);
    assert!(
        err.contains(
            "(InvalidRequestException) when calling the GetGroup operation: Group not found"
        ),
        "{err}"
    );
}

#[test]
fn every_sampling_rule_operation() {
    let fake = xray_fake();
    let created = aws(&fake, &["create-sampling-rule", "--cli-input-json", RULE]);
    let record = &created["SamplingRuleRecord"];
    assert_eq!(
        record["SamplingRule"]["RuleARN"],
        "arn:aws:xray:us-east-1:123456789012:sampling-rule/Cruddur"
    );
    assert_eq!(record["SamplingRule"]["Attributes"]["team"], "cruddur");
    assert!(
        record["CreatedAt"].as_f64().unwrap() > 1.7e9,
        "epoch seconds: {record}"
    );

    for i in 0..6 {
        aws(
            &fake,
            &[
                "create-sampling-rule",
                "--cli-input-json",
                &RULE.replace("\"Cruddur\"", &format!("\"r{i}\"")),
            ],
        );
    }
    let rules = aws(&fake, &["get-sampling-rules"]);
    let names: Vec<&str> = rules["SamplingRuleRecords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["SamplingRule"]["RuleName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Default", "Cruddur", "r0", "r1", "r2", "r3", "r4", "r5"]
    );

    let updated = aws(
        &fake,
        &[
            "update-sampling-rule",
            "--sampling-rule-update",
            "RuleName=Cruddur,FixedRate=0.5",
        ],
    );
    assert_eq!(
        updated["SamplingRuleRecord"]["SamplingRule"]["FixedRate"],
        0.5
    );
    assert_eq!(
        updated["SamplingRuleRecord"]["SamplingRule"]["Priority"],
        9000.0
    );
    let default = aws(
        &fake,
        &[
            "update-sampling-rule",
            "--sampling-rule-update",
            "RuleName=Default,FixedRate=0.01",
        ],
    );
    assert_eq!(
        default["SamplingRuleRecord"]["SamplingRule"]["FixedRate"],
        0.01
    );

    let deleted = aws(&fake, &["delete-sampling-rule", "--rule-name", "r5"]);
    assert_eq!(
        deleted["SamplingRuleRecord"]["SamplingRule"]["RuleName"],
        "r5"
    );

    // AWS's errors, as the cli shows them.
    let err = aws_error(
        &fake,
        &[
            "create-sampling-rule",
            "--cli-input-json",
            &RULE.replace("0.1,", "1.5,"),
        ],
        &[],
    );
    assert!(
        err.contains("(InvalidRequestException)") && err.contains("fixedRate"),
        "{err}"
    );
    let err = aws_error(
        &fake,
        &["create-sampling-rule", "--cli-input-json", RULE],
        &[],
    );
    assert!(err.contains("already exists"), "{err}");
    let err = aws_error(
        &fake,
        &["delete-sampling-rule", "--rule-name", "Default"],
        &[],
    );
    assert!(
        err.contains("(InvalidRequestException) when calling the DeleteSamplingRule operation"),
        "{err}"
    );
    let err = aws_error(
        &fake,
        &[
            "update-sampling-rule",
            "--sampling-rule-update",
            "RuleName=Default,Priority=1",
        ],
        &[],
    );
    assert!(
        err.contains("Invalid update request for default sampling rule"),
        "{err}"
    );
    let err = aws_error(&fake, &["delete-sampling-rule", "--rule-name", "nope"], &[]);
    assert!(err.contains("Sampling rule does not exist"), "{err}");

    for i in 6..25 {
        aws(
            &fake,
            &[
                "create-sampling-rule",
                "--cli-input-json",
                &RULE.replace("\"Cruddur\"", &format!("\"r{i}\"")),
            ],
        );
    }
    let err = aws_error(
        &fake,
        &[
            "create-sampling-rule",
            "--cli-input-json",
            &RULE.replace("\"Cruddur\"", "\"one-too-many\""),
        ],
        &[],
    );
    assert!(
        err.contains("(RuleLimitExceededException) when calling the CreateSamplingRule operation"),
        "{err}"
    );
}

#[test]
fn fault_switches_look_like_aws_to_the_cli() {
    let fake = xray_fake();
    fake.faults("throttle", -1, &[]);
    let err = aws_error(&fake, &["get-sampling-rules"], &[("AWS_MAX_ATTEMPTS", "1")]);
    assert!(
        err.contains("(ThrottledException) when calling the GetSamplingRules operation"),
        "{err}"
    );
    assert_eq!(fake.requests(), [("GetSamplingRules".to_string(), 429)]);

    fake.faults("error500", -1, &[]);
    let err = aws_error(&fake, &["get-groups"], &[("AWS_MAX_ATTEMPTS", "2")]);
    assert!(
        err.contains("when calling the GetGroups operation"),
        "{err}"
    );
    let statuses: Vec<u16> = fake.requests().iter().skip(1).map(|(_, s)| *s).collect();
    assert_eq!(statuses, [500, 500], "the cli retried the 500 once");
}
