//! `honeycomb whoami` and `rollbar test` against the documented answers: each outcome with its
//! own message and exit code, and the key never printed whole.

use std::time::{Duration, Instant};

use crate::support::{cruddur, receivers, stderr_of, stdout_of, Receivers};

const FAKE_KEY: &str = "hcaik_01testkey0ztvc8t7qgqd4qvbpm3e4ym1h5v9ypq2kbd6qfhe7q2qg5a8y";
const FAKE_TOKEN: &str = "0123456789abcdef0123456789abcdef";

fn whoami(rx: &Receivers, key: &str, args: &[&str]) -> std::process::Output {
    cruddur()
        .args(["honeycomb", "whoami", "--api-endpoint", &rx.http])
        .args(args)
        .env("HONEYCOMB_API_KEY", key)
        .output()
        .unwrap()
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
    let out = whoami(&rx, FAKE_KEY, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(
        stdout_of(&out),
        "key          hcai…5a8y (environment ingest key, US)\n\
         team         Cruddur (cruddur)\n\
         environment  bootcamp (bootcamp)\n\
         type         ingest\n\
         permissions  createDatasets\n\
         link         https://ui.honeycomb.io/cruddur/environments/bootcamp\n"
    );
    let out = whoami(
        &rx,
        FAKE_KEY,
        &["--output", "json", "--expect-environment", "bootcamp"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["environment"]["slug"], "bootcamp");
    assert_eq!(answer["api_key_access"]["createDatasets"], true);
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

    let out = whoami(&rx, FAKE_KEY, &["--expect-environment", "bootcamp"]);
    assert_eq!(out.status.code(), Some(6));
    assert!(stderr_of(&out).contains("error: the key belongs to environment \"test\", but the data must land in environment \"bootcamp\""), "{}", stderr_of(&out));
    assert_no_key(&out);

    let unknown = FAKE_KEY.replace("01test", "02test");
    let out = whoami(&rx, &unknown, &[]);
    assert_eq!(out.status.code(), Some(5));
    assert!(stderr_of(&out).starts_with("error: Honeycomb does not accept the key hcai…5a8y: unknown API key - check your credentials"), "{}", stderr_of(&out));

    rx.mode("honeycomb", "rate_limited");
    let out = whoami(&rx, FAKE_KEY, &[]);
    assert_eq!(out.status.code(), Some(7));
    assert!(
        stderr_of(&out).starts_with("error: Honeycomb is rate limiting requests"),
        "{}",
        stderr_of(&out)
    );

    // A listener that accepts and never answers: bounded by --timeout.
    rx.mode("honeycomb", "hang");
    let start = Instant::now();
    let out = whoami(&rx, FAKE_KEY, &["--timeout", "1"]);
    assert_eq!(out.status.code(), Some(8));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    assert!(
        stderr_of(&out).contains("within 1 s"),
        "{}",
        stderr_of(&out)
    );
    rx.mode("honeycomb", "normal");

    let out = cruddur()
        .args([
            "honeycomb",
            "whoami",
            "--api-endpoint",
            "http://127.0.0.1:1",
        ])
        .env("HONEYCOMB_API_KEY", FAKE_KEY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(8));
    assert!(
        stderr_of(&out).contains("cannot reach http://127.0.0.1:1: "),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn whoami_checks_the_shape_before_any_call() {
    let rx = receivers();
    let out = whoami(&rx, &FAKE_KEY[..63], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        "error: HONEYCOMB_API_KEY (hcai…g5a8) is not a Honeycomb key: an environment ingest key is 64 characters long, this one 63 (cut short or pasted twice?)\n"
    );
    let out = whoami(&rx, &format!("\"{FAKE_KEY}\""), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("wrapped in quotes"));
    assert!(
        rx.received()["honeycomb_auth_calls"]
            .as_array()
            .unwrap()
            .is_empty(),
        "no call was made"
    );

    let out = cruddur().args(["honeycomb", "whoami"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr_of(&out)
        .starts_with("error: no Honeycomb key: pass --api-key or set HONEYCOMB_API_KEY"));
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
    let out = cruddur()
        .current_dir(dir.path())
        .args(["honeycomb", "whoami", "--api-endpoint", &rx.http])
        .env("HONEYCOMB_API_KEY", FAKE_KEY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
}

#[test]
fn rollbar_test_posts_hello_world() {
    let rx = receivers();
    let endpoint = format!("{}/api/1/", rx.http);
    let out = cruddur()
        .args(["rollbar", "test", "--endpoint", &endpoint])
        .env("ROLLBAR_ACCESS_TOKEN", FAKE_TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
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

    let bad = "bad56789abcdef0123456789abcdef01";
    let out = cruddur()
        .args(["rollbar", "test", "--endpoint", &endpoint, "--token", bad])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        stderr_of(&out),
        "error: Rollbar does not know the token bad5…ef01: access token not found: bad5…ef01\n\
         hint: copy the post_server_item token again (Rollbar -> Project settings -> Project Access Tokens)\n",
        "Rollbar's echo of the token is masked too"
    );
    let client = "c11e0789abcdef0123456789abcdef01";
    let out = cruddur()
        .args([
            "rollbar",
            "test",
            "--endpoint",
            &endpoint,
            "--token",
            client,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(
        stderr_of(&out).contains("cannot post server items: insufficient privileges"),
        "{}",
        stderr_of(&out)
    );
    assert!(
        stderr_of(&out).contains("hint: a backend needs the post_server_item token"),
        "{}",
        stderr_of(&out)
    );

    rx.mode("rollbar", "rate_limited");
    let out = cruddur()
        .args([
            "rollbar",
            "test",
            "--endpoint",
            &endpoint,
            "--token",
            FAKE_TOKEN,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));

    let out = cruddur()
        .args(["rollbar", "test", "--endpoint", &endpoint, "--token", "abc"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr_of(&out), "error: --token (****) is not a Rollbar token: Rollbar access tokens are 32 hexadecimal characters; this one is 3 characters\n");
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
    let out = whoami(
        &rx,
        &format!("{id}:fake-secret"),
        &["--expect-environment", "bootcamp"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(text.contains("(management key, US)"), "{text}");
    assert!(text.contains("team         Cruddur (cruddur)\n"), "{text}");
    assert!(
        text.contains(
            "environment  (a management key belongs to the team, not to an environment)\n"
        ),
        "{text}"
    );
    assert!(text.contains("permissions  api-keys:read\n"), "{text}");
    assert!(!text.contains("fake-secret"), "{text}");
    let out = whoami(&rx, &format!("{id}:wrong"), &[]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    assert_eq!(rx.received()["honeycomb_auth_calls"][0]["path"], "/2/auth");
}
