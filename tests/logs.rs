//! CloudWatch Logs log groups against moto: create with retention, re-run, drift, --update,
//! describe (aws-cli-identical JSON), retention and delete.

use crate::support::{aws_cli, json_of, moto, stderr_of, stdout_of, Moto, Run};

/// cruddur-obs with `args` against moto.
fn logs(moto: &Moto, args: &[&str]) -> Run {
    Run::new(args).args(["--endpoint-url", moto.url()])
}

/// The aws cli's JSON answer to `logs ARGS` against moto.
fn aws_logs(moto: &Moto, args: &[&str]) -> std::process::Output {
    let out = aws_cli()
        .args(["--endpoint-url", moto.url(), "--output", "json", "logs"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    out
}

/// The group as the real aws cli sees it in moto.
fn described(moto: &Moto, name: &str) -> serde_json::Value {
    let out = aws_logs(
        moto,
        &["describe-log-groups", "--log-group-name-prefix", name],
    );
    json_of(&stdout_of(&out))["logGroups"][0].clone()
}

#[test]
fn create_with_retention_rerun_drift_and_update() {
    let moto = moto();
    let create = |more: &[&str]| {
        logs(
            &moto,
            &[
                &[
                    "logs",
                    "create-log-group",
                    "--log-group-name",
                    "cruddur",
                    "--retention-in-days",
                ],
                more,
            ]
            .concat(),
        )
    };
    create(&["7"])
        .stdout("created log group \"cruddur\" with a retention of 7 days\n")
        .stderr("")
        .run();
    assert_eq!(described(&moto, "cruddur")["retentionInDays"], 7.0);

    create(&["7"])
        .stdout("log group \"cruddur\" unchanged\n")
        .run();

    create(&["14", "--tags", "project=cruddur"])
        .status(3)
        .stderr(
            "error: log group \"cruddur\" already exists with other settings (as it is -> as asked):\n\
             \x20 retentionInDays  7 days -> 14 days\n\
             \x20 Tags.project     (none) -> \"cruddur\"\n\
             hint: re-run with --update to apply these changes\n",
        )
        .run();
    assert_eq!(described(&moto, "cruddur")["retentionInDays"], 7.0);

    create(&["14", "--tags", "project=cruddur", "--update"])
        .stdout_starts_with("updated log group \"cruddur\":")
        .run();
    assert_eq!(described(&moto, "cruddur")["retentionInDays"], 14.0);
    let tags = aws_logs(
        &moto,
        &["list-tags-log-group", "--log-group-name", "cruddur"],
    );
    assert_eq!(json_of(&stdout_of(&tags))["tags"]["project"], "cruddur");
}

#[test]
fn group_without_retention_gets_a_note() {
    let moto = moto();
    logs(
        &moto,
        &["logs", "create-log-group", "--log-group-name", "forever"],
    )
    .stdout("created log group \"forever\"\n")
    .stderr_starts_with(
        "note: log group \"forever\" has no retention, so its events are kept (and billed) forever",
    )
    .run();
    assert!(described(&moto, "forever").get("retentionInDays").is_none());
}

#[test]
fn class_cannot_change_after_creation() {
    let moto = moto();
    logs(
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
    )
    .run();
    logs(
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
    )
    .status(3)
    .stderr_starts_with("error: log group \"cold\" exists with another logGroupClass, which cannot change after creation:\n  logGroupClass  STANDARD -> INFREQUENT_ACCESS\n")
    .stderr_contains("hint: keep the current value, or delete the group")
    .run();
}

#[test]
fn describe_matches_the_aws_cli() {
    let moto = moto();
    for (name, days) in [("cruddur", "7"), ("/cruddur/backend", "30")] {
        logs(
            &moto,
            &[
                "logs",
                "create-log-group",
                "--log-group-name",
                name,
                "--retention-in-days",
                days,
            ],
        )
        .run();
    }
    let theirs = stdout_of(&aws_logs(&moto, &["describe-log-groups"]));
    logs(&moto, &["logs", "describe-log-groups", "--output", "json"])
        .stdout_json(json_of(&theirs))
        // Same text, byte for byte.
        .stdout(theirs)
        .run();

    logs(
        &moto,
        &[
            "logs",
            "describe-log-groups",
            "--log-group-name-prefix",
            "cru",
        ],
    )
    .stdout("NAME     RETENTION  CLASS     STORED BYTES\ncruddur  7 days     STANDARD  0\n")
    .run();
}

#[test]
fn retention_and_delete() {
    let moto = moto();
    logs(
        &moto,
        &["logs", "create-log-group", "--log-group-name", "cruddur"],
    )
    .run();
    let retention = [
        "logs",
        "put-retention-policy",
        "--log-group-name",
        "cruddur",
        "--retention-in-days",
        "3",
    ];
    logs(&moto, &retention)
        .stdout("log group \"cruddur\" keeps events for 3 days\n")
        .run();
    assert_eq!(described(&moto, "cruddur")["retentionInDays"], 3.0);
    let delete = ["logs", "delete-log-group", "--log-group-name", "cruddur"];
    logs(&moto, &delete)
        .stdout("deleted log group \"cruddur\"\n")
        .run();
    logs(&moto, &delete)
        .stdout("log group \"cruddur\" does not exist in us-east-1; nothing to delete\n")
        .run();
    logs(&moto, &retention)
        .status(1)
        .stderr_starts_with("error: setting the retention of log group \"cruddur\": not found")
        .run();
}
