//! CloudWatch Logs log groups against moto: create with retention, re-run, drift, --update,
//! describe (aws-cli-identical JSON), retention and delete.

use crate::support::{aws_cli, cruddur, json_of, moto, stderr_of, stdout_of, Moto};

fn run(moto: &Moto, args: &[&str]) -> std::process::Output {
    cruddur()
        .args(args)
        .args(["--endpoint-url", moto.url()])
        .output()
        .unwrap()
}

fn ok(moto: &Moto, args: &[&str]) -> (String, String) {
    let out = run(moto, args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
    (stdout_of(&out), stderr_of(&out))
}

/// The group as the real aws cli sees it in moto.
fn described(moto: &Moto, name: &str) -> serde_json::Value {
    let out = aws_cli()
        .args([
            "--endpoint-url",
            moto.url(),
            "--output",
            "json",
            "logs",
            "describe-log-groups",
            "--log-group-name-prefix",
            name,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    json_of(&stdout_of(&out))["logGroups"][0].clone()
}

#[test]
fn create_with_retention_rerun_drift_and_update() {
    let moto = moto();
    let (out, err) = ok(
        &moto,
        &[
            "logs",
            "create-log-group",
            "--log-group-name",
            "cruddur",
            "--retention-in-days",
            "7",
        ],
    );
    assert_eq!(
        out,
        "created log group \"cruddur\" with a retention of 7 days\n"
    );
    assert_eq!(err, "");
    assert_eq!(described(&moto, "cruddur")["retentionInDays"], 7.0);

    let (out, _) = ok(
        &moto,
        &[
            "logs",
            "create-log-group",
            "--log-group-name",
            "cruddur",
            "--retention-in-days",
            "7",
        ],
    );
    assert_eq!(out, "log group \"cruddur\" unchanged\n");

    let out = run(
        &moto,
        &[
            "logs",
            "create-log-group",
            "--log-group-name",
            "cruddur",
            "--retention-in-days",
            "14",
            "--tags",
            "project=cruddur",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr_of(&out),
        "error: log group \"cruddur\" already exists with other settings (as it is -> as asked):\n\
         \x20 retentionInDays  7 days -> 14 days\n\
         \x20 Tags.project     (none) -> \"cruddur\"\n\
         hint: re-run with --update to apply these changes\n"
    );
    assert_eq!(described(&moto, "cruddur")["retentionInDays"], 7.0);

    let (out, _) = ok(
        &moto,
        &[
            "logs",
            "create-log-group",
            "--log-group-name",
            "cruddur",
            "--retention-in-days",
            "14",
            "--tags",
            "project=cruddur",
            "--update",
        ],
    );
    assert!(out.starts_with("updated log group \"cruddur\":"), "{out}");
    assert_eq!(described(&moto, "cruddur")["retentionInDays"], 14.0);
    let tags = aws_cli()
        .args([
            "--endpoint-url",
            moto.url(),
            "--output",
            "json",
            "logs",
            "list-tags-log-group",
            "--log-group-name",
            "cruddur",
        ])
        .output()
        .unwrap();
    assert_eq!(json_of(&stdout_of(&tags))["tags"]["project"], "cruddur");
}

#[test]
fn group_without_retention_gets_a_note() {
    let moto = moto();
    let (out, err) = ok(
        &moto,
        &["logs", "create-log-group", "--log-group-name", "forever"],
    );
    assert_eq!(out, "created log group \"forever\"\n");
    assert!(err.starts_with("note: log group \"forever\" has no retention, so its events are kept (and billed) forever"), "{err}");
    assert!(described(&moto, "forever").get("retentionInDays").is_none());
}

#[test]
fn class_cannot_change_after_creation() {
    let moto = moto();
    ok(
        &moto,
        &[
            "logs",
            "create-log-group",
            "--log-group-name",
            "cold",
            "--log-group-class",
            "STANDARD",
            "--retention-in-days",
            "1",
        ],
    );
    let out = run(
        &moto,
        &[
            "logs",
            "create-log-group",
            "--log-group-name",
            "cold",
            "--log-group-class",
            "INFREQUENT_ACCESS",
            "--update",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = stderr_of(&out);
    assert!(err.starts_with("error: log group \"cold\" exists with another logGroupClass, which cannot change after creation:\n  logGroupClass  STANDARD -> INFREQUENT_ACCESS\n"), "{err}");
    assert!(
        err.contains("hint: keep the current value, or delete the group"),
        "{err}"
    );
}

#[test]
fn describe_matches_the_aws_cli() {
    let moto = moto();
    ok(
        &moto,
        &[
            "logs",
            "create-log-group",
            "--log-group-name",
            "cruddur",
            "--retention-in-days",
            "7",
        ],
    );
    ok(
        &moto,
        &[
            "logs",
            "create-log-group",
            "--log-group-name",
            "/cruddur/backend",
            "--retention-in-days",
            "30",
        ],
    );
    let (ours, _) = ok(&moto, &["logs", "describe-log-groups", "--output", "json"]);
    let theirs = aws_cli()
        .args([
            "--endpoint-url",
            moto.url(),
            "--output",
            "json",
            "logs",
            "describe-log-groups",
        ])
        .output()
        .unwrap();
    assert_eq!(json_of(&ours), json_of(&stdout_of(&theirs)));
    assert_eq!(ours, stdout_of(&theirs), "same text, byte for byte");

    let (text, _) = ok(
        &moto,
        &[
            "logs",
            "describe-log-groups",
            "--log-group-name-prefix",
            "cru",
        ],
    );
    assert_eq!(
        text,
        "NAME     RETENTION  CLASS     STORED BYTES\ncruddur  7 days     STANDARD  0\n"
    );
}

#[test]
fn retention_and_delete() {
    let moto = moto();
    ok(
        &moto,
        &["logs", "create-log-group", "--log-group-name", "cruddur"],
    );
    let (out, _) = ok(
        &moto,
        &[
            "logs",
            "put-retention-policy",
            "--log-group-name",
            "cruddur",
            "--retention-in-days",
            "3",
        ],
    );
    assert_eq!(out, "log group \"cruddur\" keeps events for 3 days\n");
    assert_eq!(described(&moto, "cruddur")["retentionInDays"], 3.0);
    let (out, _) = ok(
        &moto,
        &["logs", "delete-log-group", "--log-group-name", "cruddur"],
    );
    assert_eq!(out, "deleted log group \"cruddur\"\n");
    let (out, _) = ok(
        &moto,
        &["logs", "delete-log-group", "--log-group-name", "cruddur"],
    );
    assert_eq!(
        out,
        "log group \"cruddur\" does not exist in us-east-1; nothing to delete\n"
    );
    let out = run(
        &moto,
        &[
            "logs",
            "put-retention-policy",
            "--log-group-name",
            "cruddur",
            "--retention-in-days",
            "3",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out)
            .starts_with("error: setting the retention of log group \"cruddur\": not found"),
        "{}",
        stderr_of(&out)
    );
}
