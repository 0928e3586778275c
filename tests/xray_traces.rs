//! `xray traces`: recent traces and one trace as a tree, against moto's X-Ray data plane
//! (segments put with the aws cli's PutTraceSegments), and its input refused before any call.
//!
//! moto 5 stores segments and answers BatchGetTraces as AWS does, but two things about its
//! GetTraceSummaries keep the SDK from using it directly: every summary carries `"Users": {}`
//! where the API has a list (botocore lets that pass, the Rust SDK cannot read the answer), and
//! any filter expression is answered with HTTP 500 "Not implemented yet - moto".
//! `what_moto_does_with_summaries` pins both; the listing tests go through `SummariesProxy`, which
//! repairs the first and evaluates `service("NAME")` the way X-Ray does, from moto's segments.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::support::{aws_cli, json_of, moto, stderr_of, stdout_of, Listener, Moto, Run};

/// A fixed start for the trace whose tree is snapshotted: 2024-05-01T12:00:00Z.
const T0: f64 = 1_714_564_800.0;
/// Its id: version 1, T0 in hex, 24 hex digits.
const TRACE_ID: &str = "1-66322f40-a1b2c3d4e5f60718293a4b5c";

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The id X-Ray gives a trace that starts at `start`, with `unique` (up to 24 hex digits).
fn trace_id_at(start: f64, unique: u64) -> String {
    format!("1-{:08x}-{unique:024x}", start as u64)
}

/// Cruddur's home timeline as the Flask backend traces it: the request's segment with the
/// `mock-data` subsegment of HomeActivities and one nested in it, `offset` seconds after `start`.
fn home_segment(trace_id: &str, start: f64) -> Value {
    json!({
        "name": "backend-flask",
        "id": "70de5b6f19ff9a0a",
        "trace_id": trace_id,
        "start_time": start,
        "end_time": start + 0.120,
        "http": {
            "request": {"method": "GET", "url": "http://localhost:4567/api/activities/home"},
            "response": {"status": 200}
        },
        "annotations": {"user_handle": "andrewbrown"},
        "subsegments": [
            {
                "name": "mock-data",
                "id": "53995c3f42cd8ad8",
                "start_time": start + 0.030,
                "end_time": start + 0.090,
                "metadata": {"default": {"now": "2024-05-01T12:00:00.030+00:00", "results-size": 3}},
                "subsegments": [
                    {
                        "name": "build-results",
                        "id": "4e5f6a7b8c9d0e1f",
                        "start_time": start + 0.060,
                        "end_time": start + 0.090
                    }
                ]
            },
            {
                "name": "cognito-jwt",
                "id": "0f1e2d3c4b5a6978",
                "start_time": start + 0.002,
                "end_time": start + 0.002
            }
        ]
    })
}

/// Puts segment documents into moto with the aws cli, as an instrumented app's daemon would.
fn put_segments(moto: &Moto, documents: &[Value]) {
    let out = aws_cli()
        .args([
            "--endpoint-url",
            moto.url(),
            "--output",
            "json",
            "xray",
            "put-trace-segments",
            "--trace-segment-documents",
        ])
        .args(documents.iter().map(Value::to_string))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(
        json_of(&stdout_of(&out))["UnprocessedTraceSegments"],
        json!([])
    );
}

/// `cruddur-obs ARGS` with the X-Ray client pointed at `url` by its endpoint variable.
fn traces(url: &str, args: &[&str]) -> Run {
    Run::new(["xray", "traces"])
        .args(args)
        .env("AWS_ENDPOINT_URL_XRAY", url)
}

/// Standard output as an insta snapshot under a description without the server's port.
fn snapshot(name: &str, args: &[&str], stdout: &str) {
    let description = format!(
        "AWS_ENDPOINT_URL_XRAY=<moto> cruddur-obs xray traces {}",
        args.join(" ")
    );
    insta::with_settings!({ description => description, omit_expression => true }, {
        insta::assert_snapshot!(name, stdout);
    });
}

#[test]
fn trace_id_shows_the_tree_of_segments() {
    let moto = moto();
    put_segments(&moto, &[home_segment(TRACE_ID, T0)]);

    let args = ["--trace-id", TRACE_ID];
    let out = traces(moto.url(), &args).stderr("").run();
    let text = stdout_of(&out);
    assert!(
        text.contains("backend-flask  ") && text.contains("\n└─ mock-data  "),
        "{text}"
    );
    assert!(
        !text.contains('\x1b'),
        "colour in captured output: {text:?}"
    );
    snapshot("tree", &args, &text);

    let args = ["--trace-id", TRACE_ID, "--annotations", "--metadata"];
    let out = traces(moto.url(), &args).run();
    snapshot("tree_annotations_metadata", &args, &stdout_of(&out));

    // The same tree as JSON.
    traces(moto.url(), &["--trace-id", TRACE_ID, "--output", "json"])
        .stdout_json(|v: &Value| {
            let segment = &v["segments"][0];
            let mock = &segment["subsegments"][1];
            v["trace_id"] == TRACE_ID
                && v["duration_ms"] == 120.0
                && segment["name"] == "backend-flask"
                && segment["http"]["status"] == 200
                && segment.get("annotations").is_none()
                && segment["subsegments"][0]["name"] == "cognito-jwt"
                && mock["name"] == "mock-data"
                && mock["offset_ms"] == 30.0
                && mock["duration_ms"] == 60.0
                && mock["subsegments"][0]["name"] == "build-results"
        })
        .run();
}

#[test]
fn faults_and_segments_in_progress_are_marked() {
    let moto = moto();
    let id = trace_id_at(T0, 2);
    let mut failed = home_segment(&id, T0);
    failed["fault"] = json!(true);
    failed["http"]["response"]["status"] = json!(500);
    failed["subsegments"][0]["fault"] = json!(true);
    // A downstream service that has not finished yet: its own segment, hung under mock-data.
    let worker = json!({
        "name": "activities-worker", "id": "9a8b7c6d5e4f3a2b", "trace_id": id,
        "parent_id": "53995c3f42cd8ad8", "start_time": T0 + 0.040, "in_progress": true
    });
    put_segments(&moto, &[failed, worker]);
    let out = traces(moto.url(), &["--trace-id", &id]).run();
    let text = stdout_of(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(&format!(
            "{id}  2024-05-01T12:00:00.000Z  in progress  2 segments"
        )),
        "{text}"
    );
    assert!(
        lines[1].ends_with("|  fault  GET http://localhost:4567/api/activities/home 500"),
        "{text}"
    );
    assert!(lines[3].starts_with("└─ mock-data  "), "{text}");
    assert!(lines[3].ends_with("|  fault"), "{text}");
    assert!(
        lines[4].starts_with("   ├─ activities-worker  ") && lines[4].ends_with("░|  in progress"),
        "{text}"
    );
    assert!(lines[5].starts_with("   └─ build-results  "), "{text}");
}

#[test]
fn unknown_trace_is_a_failure() {
    let moto = moto();
    let id = trace_id_at(T0, 3);
    traces(moto.url(), &["--trace-id", &id])
        .status(1)
        .stdout("")
        .stderr_starts_with(format!(
            "error: there is no trace {id} in us-east-1\nhint: "
        ))
        .run();
}

/// A stand-in for X-Ray in front of moto: GetTraceSummaries goes to moto without its filter
/// expression, its answer is repaired (`"Users": {}` becomes `[]`) and, for `service("NAME")`,
/// narrowed to the traces with a segment named NAME (read from moto with BatchGetTraces). Every
/// other request passes through unchanged. It records each GetTraceSummaries request's JSON.
struct SummariesProxy {
    url: String,
    requests: Arc<Mutex<Vec<Value>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SummariesProxy {
    fn new(moto: &Moto) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (requests, stop) = (
            Arc::new(Mutex::new(Vec::new())),
            Arc::new(AtomicBool::new(false)),
        );
        let (seen, stopping, upstream) = (requests.clone(), stop.clone(), moto.url().to_string());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    serve(stream, &upstream, &seen);
                }
            }
        });
        SummariesProxy {
            url,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for SummariesProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one HTTP/1.1 request (with a Content-Length body) and closes the connection.
fn serve(stream: TcpStream, upstream: &str, seen: &Mutex<Vec<Value>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body = String::from_utf8_lossy(&body).into_owned();

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let forward = |path: &str, body: &str| -> (u16, String) {
        let mut request = agent.post(format!("{upstream}{path}"));
        for name in ["content-type", "authorization", "x-amz-date"] {
            if let Some(v) = headers.get(name) {
                request = request.header(name, v);
            }
        }
        let mut response = request.send(body).unwrap();
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().unwrap())
    };

    let (status, answer) = if path == "/TraceSummaries" {
        let mut asked: Value = serde_json::from_str(&body).unwrap();
        seen.lock().unwrap().push(asked.clone());
        let filter = asked
            .as_object_mut()
            .unwrap()
            .remove("FilterExpression")
            .map(|f| f.as_str().unwrap().to_string());
        let (status, answer) = forward(&path, &asked.to_string());
        let mut answer: Value = serde_json::from_str(&answer).unwrap();
        if let Some(summaries) = answer["TraceSummaries"].as_array_mut() {
            for s in summaries.iter_mut() {
                if s["Users"].is_object() {
                    s["Users"] = json!([]);
                }
            }
            if let Some(filter) = filter {
                let service = filter
                    .strip_prefix("service(\"")
                    .and_then(|f| f.strip_suffix("\")"))
                    .unwrap_or_else(|| {
                        panic!("the proxy knows only service(\"NAME\"), not {filter}")
                    })
                    .to_string();
                summaries.retain(|s| {
                    let (_, traces) =
                        forward("/Traces", &json!({"TraceIds": [s["Id"]]}).to_string());
                    let traces: Value = serde_json::from_str(&traces).unwrap();
                    traces["Traces"][0]["Segments"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|seg| {
                            let doc: Value =
                                serde_json::from_str(seg["Document"].as_str().unwrap()).unwrap();
                            doc["name"] == service.as_str()
                        })
                });
            }
        }
        (status, answer.to_string())
    } else {
        forward(&path, &body)
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
}

#[test]
fn recent_traces_are_listed() {
    let moto = moto();
    let proxy = SummariesProxy::new(&moto);
    let start = now() - 30.0;
    let recent = trace_id_at(start, 4);
    let older = trace_id_at(start - 600.0, 5);
    put_segments(
        &moto,
        &[
            home_segment(&recent, start),
            home_segment(&older, start - 600.0),
        ],
    );

    // The last 5 minutes by default: the recent trace only.
    let out = traces(&proxy.url, &[]).stderr("").run();
    let text = stdout_of(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with(
            "STARTED               TRACE ID                             DURATION  REQUEST"
        ),
        "{text}"
    );
    assert!(lines[1].contains(&format!("Z  {recent}  ")), "{text}");
    let asked = &proxy.requests()[0];
    assert!(asked.get("FilterExpression").is_none(), "{asked}");
    let window = asked["EndTime"].as_f64().unwrap() - asked["StartTime"].as_f64().unwrap();
    assert!((window - 300.0).abs() < 1.0, "{asked}");

    // Further back, both, oldest first.
    let out = traces(&proxy.url, &["--since", "15m"]).run();
    let text = stdout_of(&out);
    let older_at = text
        .find(&older)
        .unwrap_or_else(|| panic!("{older} missing: {text}"));
    assert!(older_at < text.find(&recent).unwrap(), "{text}");

    traces(&proxy.url, &["--output", "json"])
        .stdout_json(move |v: &Value| {
            v["TraceSummaries"].as_array().map(Vec::len) == Some(1)
                && v["TraceSummaries"][0]["Id"] == recent.as_str()
                && v["TraceSummaries"][0]["HasFault"] == false
        })
        .run();
}

#[test]
fn service_narrows_the_list() {
    let moto = moto();
    let proxy = SummariesProxy::new(&moto);
    let start = now() - 30.0;
    let id = trace_id_at(start, 6);
    put_segments(&moto, &[home_segment(&id, start)]);

    traces(&proxy.url, &["--service", "backend-flask"])
        .stdout_contains(format!("Z  {id}  "))
        .run();
    let out = traces(&proxy.url, &["--service", "other"]).run();
    assert!(
        stdout_of(&out).starts_with("no traces through other in us-east-1 since "),
        "{}",
        stdout_of(&out)
    );
    let filters: Vec<Value> = proxy
        .requests()
        .iter()
        .map(|r| r["FilterExpression"].clone())
        .collect();
    assert_eq!(
        filters,
        [
            json!("service(\"backend-flask\")"),
            json!("service(\"other\")")
        ]
    );
}

/// What moto itself answers, so the day it changes is noticed (and SummariesProxy can go).
#[test]
fn what_moto_does_with_summaries() {
    let moto = moto();
    let start = now() - 30.0;
    put_segments(&moto, &[home_segment(&trace_id_at(start, 7), start)]);
    traces(moto.url(), &[])
        .status(1)
        .stderr_contains("error: listing recent traces: the answer from ")
        .stderr_contains(" could not be read: ")
        .run();
    traces(moto.url(), &["--service", "backend-flask"])
        .env("AWS_MAX_ATTEMPTS", "1")
        .status(1)
        .stderr_contains(
            "the service failed (HTTP 500) on every attempt: Not implemented yet - moto",
        )
        .run();
}

#[test]
fn bad_input_is_refused_before_any_call() {
    let listener = Listener::new();
    let refused = |args: &[&str], message: &str| {
        traces(&listener.url, args)
            .status(2)
            .stdout("")
            .stderr_contains(message)
            .run();
    };
    refused(
        &["--trace-id", "1-66322f40-a1b2c3d4"],
        "error: invalid input\n  command line: --trace-id: \"1-66322f40-a1b2c3d4\" is not an X-Ray trace ID; \
         allowed: 1-<8 hex digits>-<24 hex digits>, such as 1-66322f40-0123456789abcdef01234567\n\
         hint: nothing was sent to AWS",
    );
    refused(
        &["--trace-id", "66322F40A1B2C3D4E5F60718293A4B5C"],
        "hint: an OpenTelemetry trace ID is written 1-66322f40-a1b2c3d4e5f60718293a4b5c in X-Ray",
    );
    refused(
        &["--since", "5x"],
        "command line: --since: \"5x\" is not a time; allowed: a number and one unit",
    );
    refused(&["--since", "5"], "\"5\" has no unit (did you mean 5m?)");
    refused(
        &["--since", "2d"],
        "\"2d\" is more than 24 hours ago, further than X-Ray searches in one query",
    );
    refused(&["--since", "yesterday"], "\"yesterday\" is not a time");
    refused(&["--since", "2099-01-01T00:00:00Z"], "is in the future");
    refused(
        &["--service", "a\"b"],
        "--service: \"a\"b\" holds a quote, backslash or control character",
    );
    // Every problem at once.
    refused(
        &["--since", "0s", "--service", ""],
        "2 problems in the input",
    );
    // Flags that only mean something together, or apart.
    refused(&["--annotations"], "--trace-id <ID>");
    refused(
        &["--trace-id", TRACE_ID, "--since", "1h"],
        "cannot be used with",
    );
    listener.assert_untouched();
}
