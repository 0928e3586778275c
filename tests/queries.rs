//! Honeycomb's saved queries, board and deploy marker, provisioned by `up` next to the AWS
//! resources, against the receivers' Honeycomb fake (Honeycomb's configuration API with its
//! status codes and validation): a fresh up, a second up that writes nothing, one edited query,
//! a key without the permission, `down` deleting only what up made, `honeycomb queries`, and every
//! validation rule refusing a bad file before any request.

use std::path::Path;

use serde_json::Value;

use crate::doctor::{Services, FAKE_CONFIGURATION_KEY};
use crate::init::init_ok;
use crate::support::{cruddur, json_of, stderr_of, stdout_of};

const QUERIES: &str = "honeycomb/queries.json";

fn run(dir: &Path, s: &Services, args: &[&str]) -> std::process::Output {
    cruddur()
        .args(args)
        .arg(dir)
        .envs(s.env())
        .output()
        .unwrap()
}

fn both(out: &std::process::Output) -> String {
    format!("{}{}", stdout_of(out), stderr_of(out))
}

/// The Honeycomb fake's stores and the requests it got.
fn honeycomb(s: &Services) -> Value {
    s.rx.received()["honeycomb"].clone()
}

/// The requests that change something (every method but GET) the fake got from `from` on.
fn writes(s: &Services, from: usize) -> Vec<String> {
    s.rx.received()["honeycomb_requests"].as_array().unwrap()[from..]
        .iter()
        .filter(|r| r["method"] != "GET")
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            )
        })
        .collect()
}

fn requests(s: &Services) -> usize {
    s.rx.received()["honeycomb_requests"]
        .as_array()
        .unwrap()
        .len()
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    init_ok(dir.path(), &["--yes", "--region", "us-east-1"]);
    dir
}

fn declared(dir: &Path) -> Value {
    json_of(&std::fs::read_to_string(dir.join(QUERIES)).unwrap())
}

#[test]
fn up_makes_the_queries_and_board_then_nothing_then_one_update_and_down_takes_only_its_own() {
    let dir = workspace();
    let s = Services::start();
    let file = declared(dir.path());
    let names: Vec<&str> = file["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert!(names.len() >= 4, "{file:#}");

    // A fresh up: the AWS resources, every query with its annotation, the board, the marker.
    let out = run(dir.path(), &s, &["up", "--yes", "--marker", "deploy 1"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let text = stdout_of(&out);
    for name in &names {
        assert!(
            text.contains(&format!("created    saved query {name}")),
            "{text}"
        );
    }
    assert!(text.contains("created    board "), "{text}");
    assert!(text.contains("created    marker deploy 1"), "{text}");
    assert!(text.contains("created    X-Ray group Cruddur"), "{text}");
    let hc = honeycomb(&s);
    let annotations = hc["annotations"].as_array().unwrap();
    assert_eq!(annotations.len(), names.len(), "{hc:#}");
    for a in annotations {
        assert!(
            a["description"]
                .as_str()
                .unwrap()
                .ends_with("[cruddur-obs]"),
            "{a:#}"
        );
    }
    let latency = annotations
        .iter()
        .find(|a| a["name"] == "Latency by user")
        .expect("the latency query");
    let spec = hc["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == latency["query_id"])
        .unwrap();
    assert_eq!(spec["breakdowns"], serde_json::json!(["user.id"]));
    let ops: Vec<&str> = spec["calculations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["HEATMAP", "P90"]);
    let boards = hc["boards"].as_array().unwrap();
    assert_eq!(boards.len(), 1);
    let panels = boards[0]["panels"].as_array().unwrap();
    assert_eq!(panels.len(), names.len());
    assert_eq!(
        panels[0]["query_panel"]["query_annotation_id"],
        annotations.iter().find(|a| a["name"] == names[0]).unwrap()["id"]
    );
    assert!(boards[0]["tags"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!({"key": "managedby", "value": "cruddur-obs"})));
    let markers = hc["markers"].as_array().unwrap();
    assert_eq!(markers.len(), 1);
    assert_eq!(markers[0]["message"], "deploy 1");
    assert_eq!(markers[0]["type"], "deploy");

    // A second up writes nothing.
    let before = requests(&s);
    let out = run(dir.path(), &s, &["up"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(
        stdout_of(&out).ends_with("nothing to do: everything is as declared\n"),
        "{}",
        stdout_of(&out)
    );
    assert_eq!(writes(&s, before), Vec::<String>::new());

    // One edited query: a new saved query named by a new annotation, the old one gone, and the
    // board's panel following it; the other queries untouched.
    let path = dir.path().join(QUERIES);
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen("\"limit\": 100", "\"limit\": 50", 1);
    assert_ne!(edited, text, "the template has a limit of 100 to edit");
    std::fs::write(&path, edited).unwrap();
    let before = requests(&s);
    let out = run(dir.path(), &s, &["up", "--yes", "--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let report = json_of(&stdout_of(&out));
    let results: Vec<(String, String)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] != "unchanged")
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            ("saved query".to_string(), "updated".to_string()),
            ("board".to_string(), "updated".to_string())
        ],
        "{report:#}"
    );
    let w = writes(&s, before);
    assert_eq!(w.len(), 4, "{w:#?}");
    assert!(w[0].starts_with("POST /1/queries/backend-flask"), "{w:#?}");
    assert!(w[1].starts_with("POST /1/query_annotations/"), "{w:#?}");
    assert!(w[2].starts_with("DELETE /1/query_annotations/"), "{w:#?}");
    assert!(w[3].starts_with("PUT /1/boards/"), "{w:#?}");
    let recent = honeycomb(&s)["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Recent traces")
        .unwrap()
        .clone();
    let spec = honeycomb(&s)["queries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == recent["query_id"])
        .unwrap()
        .clone();
    assert_eq!(spec["limit"], 50);

    // down: a board and a query of the user's own, in the same dataset, stay.
    let theirs = post_as(
        &s,
        "/1/queries/backend-flask",
        serde_json::json!({"calculations": [{"op": "COUNT"}]}),
    );
    post_as(
        &s,
        "/1/query_annotations/backend-flask",
        serde_json::json!({"name": "Mine", "description": "made by hand", "query_id": theirs["id"]}),
    );
    post_as(
        &s,
        "/1/boards",
        serde_json::json!({"name": "My board", "type": "flexible", "panels": []}),
    );
    let out = run(dir.path(), &s, &["down", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let hc = honeycomb(&s);
    let left: Vec<&str> = hc["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(left, ["Mine"]);
    let boards: Vec<&str> = hc["boards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(boards, ["My board"]);
    assert!(
        stdout_of(&out).contains("deleted    X-Ray group Cruddur"),
        "{}",
        stdout_of(&out)
    );
}

/// A POST to the Honeycomb fake with the configuration key, as a user's script would make it.
fn post_as(s: &Services, path: &str, body: Value) -> Value {
    let answer = ureq::post(&format!("{}{path}", s.rx.http))
        .header("X-Honeycomb-Team", FAKE_CONFIGURATION_KEY)
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    json_of(&answer)
}

#[test]
fn a_key_without_the_queries_permission_is_named_and_aws_is_still_made() {
    let dir = workspace();
    let s = Services::start();
    let limited = "limKey7rXc2VwL9bN4tKp8";
    s.rx.honeycomb_configuration_key(limited, "bootcamp", &["boards", "markers"]);
    let out = cruddur()
        .args(["up", "--yes"])
        .arg(dir.path())
        .envs(s.env())
        .env("HONEYCOMB_CONFIGURATION_KEY", limited)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", both(&out));
    let text = stdout_of(&out);
    assert!(text.contains("Manage Queries and Columns"), "{text}");
    assert!(text.contains("created    X-Ray group Cruddur"), "{text}");
    assert!(text.contains("created    sampling rule Cruddur"), "{text}");
    assert!(text.contains("created    log group cruddur"), "{text}");
    assert!(
        text.contains("failed     saved query Latency by user"),
        "{text}"
    );
    assert!(!text.contains(limited), "the key is never printed whole");
    assert_eq!(writes(&s, 0), Vec::<String>::new());

    // An ingest key, the backend's, may manage nothing: the same, said of the key.
    let out = cruddur()
        .args(["up", "--yes"])
        .arg(dir.path())
        .envs(s.env())
        .env_remove("HONEYCOMB_CONFIGURATION_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", both(&out));
    assert!(
        stdout_of(&out).contains("is an ingest key"),
        "{}",
        both(&out)
    );
}

#[test]
fn honeycomb_queries_lists_them_with_links() {
    let dir = workspace();
    let s = Services::start();
    let out = run(dir.path(), &s, &["honeycomb", "queries"]);
    assert_eq!(out.status.code(), Some(3), "none made yet: {}", both(&out));
    assert!(stdout_of(&out).contains("not in Honeycomb yet"));
    let out = run(dir.path(), &s, &["up", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let out = run(
        dir.path(),
        &s,
        &["honeycomb", "queries", "--output", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let listed = json_of(&stdout_of(&out));
    let latency = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "Latency by user")
        .unwrap();
    assert_eq!(latency["managed"], true);
    let link = latency["link"].as_str().unwrap();
    assert!(
        link.starts_with(
            "https://ui.honeycomb.io/cruddur/environments/bootcamp/datasets/backend-flask?query="
        ),
        "{link}"
    );
    assert!(link.contains("HEATMAP"), "{link}");
    let text = stdout_of(&run(dir.path(), &s, &["honeycomb", "queries"]));
    assert!(
        text.contains("Latency by user\n    https://ui.honeycomb.io/"),
        "{text}"
    );
}

/// The first query's spec.
fn q0(v: &mut Value) -> &mut Value {
    &mut v["queries"][0]["query"]
}

/// Each validation rule, broken in the workspace's file: up refuses it with the field and the
/// allowed values, and sends nothing anywhere.
#[test]
fn every_validation_rule_refuses_a_bad_file_before_any_request() {
    let dir = workspace();
    let s = Services::start();
    let good = std::fs::read_to_string(dir.path().join(QUERIES)).unwrap();
    let file: Value = serde_json::from_str(&good).unwrap();
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = file.clone();
        edit(&mut v);
        serde_json::to_string_pretty(&v).unwrap()
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "an unknown calculation op",
            good.replacen("\"P90\"", "\"P9O\"", 1),
            "did you mean \"P90\"",
        ),
        (
            "COUNT with a column",
            with(&|v| {
                q0(v)["calculations"] =
                    serde_json::json!([{"op": "COUNT", "column": "duration_ms"}])
            }),
            "queries[0].query.calculations[0]",
        ),
        (
            "P90 without a column",
            with(&|v| q0(v)["calculations"][1] = serde_json::json!({"op": "P90"})),
            "queries[0].query.calculations[1]",
        ),
        (
            "an unknown filter op",
            with(&|v| q0(v)["filters"] = serde_json::json!([{"column": "a", "op": "exist"}])),
            "did you mean \"exists\"",
        ),
        (
            "exists with a value",
            with(&|v| {
                q0(v)["filters"] = serde_json::json!([{"column": "a", "op": "exists", "value": 1}])
            }),
            "queries[0].query.filters[0]",
        ),
        (
            "in without an array",
            with(&|v| {
                q0(v)["filters"] = serde_json::json!([{"column": "a", "op": "in", "value": "x"}])
            }),
            "queries[0].query.filters[0]",
        ),
        (
            "an order naming nothing",
            with(&|v| {
                q0(v)["orders"] = serde_json::json!([{"op": "P99", "column": "duration_ms"}])
            }),
            "queries[0].query.orders[0]",
        ),
        (
            "an order by HEATMAP",
            with(&|v| {
                q0(v)["orders"] = serde_json::json!([{"op": "HEATMAP", "column": "duration_ms"}])
            }),
            "HEATMAP",
        ),
        (
            "limit 0",
            with(&|v| q0(v)["limit"] = serde_json::json!(0)),
            "queries[0].query.limit",
        ),
        (
            "limit 1001",
            with(&|v| q0(v)["limit"] = serde_json::json!(1001)),
            "queries[0].query.limit",
        ),
        (
            "granularity above the time range",
            with(&|v| {
                q0(v)["time_range"] = serde_json::json!(600);
                q0(v)["granularity"] = serde_json::json!(601)
            }),
            "queries[0].query.granularity",
        ),
        (
            "granularity below a thousandth",
            with(&|v| {
                q0(v)["time_range"] = serde_json::json!(600000);
                q0(v)["granularity"] = serde_json::json!(1)
            }),
            "queries[0].query.granularity",
        ),
        (
            "three time fields",
            with(&|v| {
                q0(v)["time_range"] = serde_json::json!(600);
                q0(v)["start_time"] = serde_json::json!(1700000000);
                q0(v)["end_time"] = serde_json::json!(1700000600)
            }),
            "time_range",
        ),
        (
            "an empty annotation name",
            with(&|v| v["queries"][0]["name"] = serde_json::json!("")),
            "queries[0].name",
        ),
        (
            "an 81-character name",
            with(&|v| v["queries"][0]["name"] = serde_json::json!("n".repeat(81))),
            "1 to 80 characters",
        ),
        (
            "a 267-character description",
            with(&|v| v["queries"][0]["description"] = serde_json::json!("d".repeat(267))),
            "queries[0].description",
        ),
        (
            "an empty board name",
            with(&|v| v["board"]["name"] = serde_json::json!("")),
            "board.name",
        ),
        (
            "a 256-character board name",
            with(&|v| v["board"]["name"] = serde_json::json!("b".repeat(256))),
            "1 to 255 characters",
        ),
        (
            "a misspelt field",
            good.replacen("\"breakdowns\"", "\"breakdown\"", 1),
            "did you mean \"breakdowns\"",
        ),
        (
            "malformed JSON",
            good.replacen("\"queries\": [", "\"queries\" [", 1),
            "honeycomb/queries.json:2:",
        ),
    ];
    for (what, text, says) in cases {
        std::fs::write(dir.path().join(QUERIES), &text).unwrap();
        let out = run(dir.path(), &s, &["up", "--yes"]);
        let all = both(&out);
        assert_eq!(out.status.code(), Some(2), "{what}: {all}");
        assert!(all.contains("honeycomb/queries.json"), "{what}: {all}");
        assert!(all.contains(says), "{what}: expected {says:?} in {all}");
        assert_eq!(requests(&s), 0, "{what}: a request reached Honeycomb");
        assert!(
            s.xray.requests().is_empty(),
            "{what}: a request reached AWS"
        );
    }
    std::fs::write(dir.path().join(QUERIES), &good).unwrap();
}
