//! Missing credentials, missing region, a missing profile and an unreachable endpoint: each
//! explained in one line with a hint, never an SDK dump.

use crate::support::{cruddur, free_port, stderr_of, Listener};

fn failing(args: &[&str], unset: &[&str], set: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = cruddur();
    cmd.args(args);
    for name in unset {
        cmd.env_remove(name);
    }
    for (k, v) in set {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.stdout.is_empty());
    (out.status.code(), stderr_of(&out))
}

#[test]
fn missing_credentials() {
    let listener = Listener::new();
    let (code, err) = failing(
        &["xray", "get-groups", "--endpoint-url", &listener.url],
        &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
        &[],
    );
    assert_eq!(code, Some(4));
    assert_eq!(
        err,
        "error: no AWS credentials found\nhint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (in Gitpod: export them and gp env them), or pass --profile\n"
    );
    listener.assert_untouched();
}

#[test]
fn missing_region() {
    let listener = Listener::new();
    let (code, err) = failing(
        &[
            "logs",
            "describe-log-groups",
            "--endpoint-url",
            &listener.url,
        ],
        &["AWS_REGION", "AWS_DEFAULT_REGION"],
        &[],
    );
    assert_eq!(code, Some(4));
    assert!(
        err.starts_with("error: no AWS region is set\nhint: pass --region us-east-1"),
        "{err}"
    );
    listener.assert_untouched();
}

#[test]
fn missing_profile() {
    let listener = Listener::new();
    let (code, err) = failing(
        &[
            "xray",
            "get-groups",
            "--profile",
            "cruddur",
            "--endpoint-url",
            &listener.url,
        ],
        &[],
        &[],
    );
    assert_eq!(code, Some(4));
    assert_eq!(
        err,
        "error: profile \"cruddur\" is not in ~/.aws/config or ~/.aws/credentials, or holds no credentials\n\
         hint: list the profiles with: aws configure list-profiles; or drop --profile to use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"
    );
    listener.assert_untouched();
}

#[test]
fn region_flag_and_profile_region_are_used() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        "[profile cruddur]\nregion = eu-west-2\naws_access_key_id = a\naws_secret_access_key = b\n",
    )
    .unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    // Nothing listens there, so the message shows where the request went.
    let (code, err) = failing(
        &[
            "xray",
            "get-groups",
            "--profile",
            "cruddur",
            "--endpoint-url",
            &url,
        ],
        &[
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
        ],
        &[("AWS_CONFIG_FILE", config.to_str().unwrap())],
    );
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with(&format!(
            "error: listing groups: cannot reach {url}: Connection refused"
        )),
        "{err}"
    );
}

#[test]
fn unreachable_endpoint() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let (code, err) = failing(
        &["logs", "create-log-group", "--log-group-name", "cruddur"],
        &[],
        &[("AWS_ENDPOINT_URL", &url)],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        err,
        format!(
            "error: creating log group \"cruddur\": cannot reach {url}: Connection refused (os error 111)\n\
             hint: check --endpoint-url / AWS_ENDPOINT_URL and the network, then run the command again (it is safe to re-run)\n"
        )
    );
}
