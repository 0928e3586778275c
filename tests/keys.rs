//! `honeycomb whoami` and `rollbar test` against the documented answers: each outcome with its
//! own message and exit code, and the key never printed whole.

use std::time::{Duration, Instant};

use crate::support::{receivers, stderr_of, stdout_of, Receivers, Run};

const FAKE_KEY: &str = "hcaik_01testkey0ztvc8t7qgqd4qvbpm3e4ym1h5v9ypq2kbd6qfhe7q2qg5a8y";
const FAKE_TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// `honeycomb whoami` against the receivers' Honeycomb, with `key` in HONEYCOMB_API_KEY.
fn whoami(rx: &Receivers, key: &str) -> Run {
    Run::new(["honeycomb", "whoami", "--api-endpoint", &rx.http]).env("HONEYCOMB_API_KEY", key)
}

/// `rollbar test` against the receivers' Rollbar.
fn rollbar(rx: &Receivers) -> Run {
    Run::new(["rollbar", "test", "--endpoint"]).arg(format!("{}/api/1/", rx.http))
}

fn assert_no_key(out: &std::process::Output) {
    let all = format!("{}{}", stdout_of(out), stderr_of(out));
    assert!(
        !all.contains(&FAKE_KEY[8..40]),
        "the key was printed: {all}"
    );
}

#[test]
fn whoami_names_team_environment_and_permissions() {
    assert_eq!(FAKE_KEY.len(), 64);
    let rx = receivers();
    rx.honeycomb_key(FAKE_KEY, "ingest", "bootcamp");
    whoami(&rx, FAKE_KEY)
        .stdout(
            "key          hcai…5a8y (environment ingest key, US)\n\
             team         Cruddur (cruddur)\n\
             environment  bootcamp (bootcamp)\n\
             type         ingest\n\
             permissions  createDatasets\n\
             link         https://ui.honeycomb.io/cruddur/environments/bootcamp\n",
        )
        .run();
    whoami(&rx, FAKE_KEY)
        .args(["--output", "json", "--expect-environment", "bootcamp"])
        .stdout_json(|answer: &serde_json::Value| {
            answer["environment"]["slug"] == "bootcamp"
                && answer["api_key_access"]["createDatasets"] == true
        })
        .run();
    let calls = rx.received()["honeycomb_auth_calls"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(calls, 2);
}

#[test]
fn whoami_failures_have_their_own_exit_codes() {
    let rx = receivers();
    rx.honeycomb_key(FAKE_KEY, "ingest", "test");

    let out = whoami(&rx, FAKE_KEY)
        .args(["--expect-environment", "bootcamp"])
        .status(6)
        .stderr_contains("error: the key belongs to environment \"test\", but the data must land in environment \"bootcamp\"")
        .run();
    assert_no_key(&out);

    // Without a terminal, a plain line says what is being waited on; then the error.
    let asking = format!("asking {} about the key...\n", rx.http);
    whoami(&rx, &FAKE_KEY.replace("01test", "02test"))
        .status(5)
        .stderr_starts_with(format!("{asking}error: Honeycomb does not accept the key hcai…5a8y: unknown API key - check your credentials"))
        .run();

    rx.mode("honeycomb", "rate_limited");
    whoami(&rx, FAKE_KEY)
        .status(7)
        .stderr_starts_with(format!(
            "{asking}error: Honeycomb is rate limiting requests"
        ))
        .run();

    // A listener that accepts and never answers: bounded by --timeout.
    rx.mode("honeycomb", "hang");
    let start = Instant::now();
    whoami(&rx, FAKE_KEY)
        .args(["--timeout", "1"])
        .status(8)
        .stderr_contains("within 1 s")
        .run();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    rx.mode("honeycomb", "normal");

    Run::new([
        "honeycomb",
        "whoami",
        "--api-endpoint",
        "http://127.0.0.1:1",
    ])
    .env("HONEYCOMB_API_KEY", FAKE_KEY)
    .status(8)
    .stderr_contains("cannot reach http://127.0.0.1:1: ")
    .run();
}

#[test]
fn whoami_checks_the_shape_before_any_call() {
    let rx = receivers();
    whoami(&rx, &FAKE_KEY[..63])
        .status(2)
        .stderr("error: HONEYCOMB_API_KEY (hcai…g5a8) is not a Honeycomb key: an environment ingest key is 64 characters long, this one 63 (cut short or pasted twice?)\n")
        .run();
    whoami(&rx, &format!("\"{FAKE_KEY}\""))
        .status(2)
        .stderr_contains("wrapped in quotes")
        .run();
    assert!(
        rx.received()["honeycomb_auth_calls"]
            .as_array()
            .unwrap()
            .is_empty(),
        "no call was made"
    );

    Run::new(["honeycomb", "whoami"])
        .status(4)
        .stderr_starts_with("error: no Honeycomb key: pass --api-key or set HONEYCOMB_API_KEY")
        .run();
}

#[test]
fn whoami_reads_the_expected_environment_from_the_manifest() {
    let rx = receivers();
    rx.honeycomb_key(FAKE_KEY, "ingest", "test");
    let dir = tempfile::tempdir().unwrap();
    crate::init::init_ok(
        dir.path(),
        &["--yes", "--honeycomb-environment", "bootcamp"],
    );
    whoami(&rx, FAKE_KEY)
        .current_dir(dir.path())
        .status(6)
        .run();
}

#[test]
fn rollbar_test_posts_hello_world() {
    let rx = receivers();
    let out = rollbar(&rx).env("ROLLBAR_ACCESS_TOKEN", FAKE_TOKEN).run();
    let items = rx.received()["rollbar_items"].clone();
    let uuid = stdout_of(&out)
        .lines()
        .last()
        .unwrap()
        .trim_start_matches("uuid: ")
        .to_string();
    assert_eq!(uuid.len(), 36, "{}", stdout_of(&out));
    assert_eq!(
        items[0]["body"]["data"]["body"]["message"]["body"],
        "Hello World!"
    );
    assert_eq!(items[0]["body"]["data"]["level"], "warning");

    // Rollbar's echo of the token is masked too.
    rollbar(&rx)
        .args(["--token", "bad56789abcdef0123456789abcdef01"])
        .status(5)
        .stderr(format!(
            "posting a test item to {}/api/1/...\n\
             error: Rollbar does not know the token bad5…ef01: access token not found: bad5…ef01\n\
             hint: copy the post_server_item token again (Rollbar -> Project settings -> Project Access Tokens)\n",
            rx.http
        ))
        .run();
    rollbar(&rx)
        .args(["--token", "c11e0789abcdef0123456789abcdef01"])
        .status(5)
        .stderr_contains("cannot post server items: insufficient privileges")
        .stderr_contains("hint: a backend needs the post_server_item token")
        .run();

    rx.mode("rollbar", "rate_limited");
    rollbar(&rx).args(["--token", FAKE_TOKEN]).status(7).run();

    rollbar(&rx)
        .args(["--token", "abc"])
        .status(2)
        .stderr("error: --token (****) is not a Rollbar token: Rollbar access tokens are 32 hexadecimal characters; this one is 3 characters\n")
        .run();
}

#[test]
fn whoami_with_a_management_key() {
    let rx = receivers();
    let id = "hcamk_01testid000000000000000000";
    assert_eq!(id.len(), 32);
    let body = serde_json::json!({"key": id, "type": "management", "secret": "fake-secret", "name": "ci",
        "scopes": ["api-keys:read"], "team": {"name": "Cruddur", "slug": "cruddur"}});
    crate::support::post(
        &format!("{}/_fake/honeycomb/keys", rx.http),
        &body.to_string(),
    );
    whoami(&rx, &format!("{id}:fake-secret"))
        .args(["--expect-environment", "bootcamp"])
        .stdout_contains("(management key, US)")
        .stdout_contains("team         Cruddur (cruddur)\n")
        .stdout_contains(
            "environment  (a management key belongs to the team, not to an environment)\n",
        )
        .stdout_contains("permissions  api-keys:read\n")
        .stdout_lacks("fake-secret")
        .run();
    whoami(&rx, &format!("{id}:wrong")).status(5).run();
    assert_eq!(rx.received()["honeycomb_auth_calls"][0]["path"], "/2/auth");
}
