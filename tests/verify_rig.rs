//! The rig `verify` runs against: the X-Ray daemon stand-in (tests/fakes/xray_daemon.py) takes
//! segments over UDP as an X-Ray SDK sends them and forwards them to moto, where the aws cli reads
//! them back; stopped, it forwards nothing.

use std::net::UdpSocket;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::support::{aws_cli, json_of, moto, stderr_of, stdout_of, xray_daemon, Moto};

/// A fresh X-Ray trace id, `1-<epoch seconds, 8 hex>-<24 hex>`, unique within this test binary.
fn trace_id() -> String {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let unique = (u128::from(std::process::id()) << 64) ^ (now.as_nanos() << 8) ^ u128::from(n);
    format!(
        "1-{:08x}-{:024x}",
        now.as_secs(),
        unique & ((1u128 << 96) - 1)
    )
}

/// A segment id: 16 hex digits.
fn segment_id(salt: u64) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    format!("{:016x}", (now.as_nanos() as u64) ^ salt.rotate_left(32))
}

fn now_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// One datagram as the Python X-Ray SDK's UDP emitter sends it: the protocol header, a newline,
/// the document.
fn datagram(document: &serde_json::Value) -> Vec<u8> {
    format!("{{\"format\":\"json\",\"version\":1}}\n{document}").into_bytes()
}

/// A finished segment of the backend's request to /api/activities/home.
fn segment(trace: &str, id: &str) -> serde_json::Value {
    let end = now_seconds();
    serde_json::json!({
        "id": id, "name": "backend-flask", "trace_id": trace,
        "start_time": end - 0.25, "end_time": end, "in_progress": false,
        "http": {"request": {"method": "GET", "url": "http://127.0.0.1:4567/api/activities/home"},
                 "response": {"status": 200}},
        "aws": {"xray": {"sdk": "X-Ray for Python", "sdk_version": "2.14.0"}},
        "service": {"runtime": "CPython"},
    })
}

/// `aws xray batch-get-traces --trace-ids TRACE` against moto.
fn batch_get_traces(moto: &Moto, trace: &str) -> serde_json::Value {
    let out = aws_cli()
        .args(["xray", "batch-get-traces", "--trace-ids", trace])
        .args(["--endpoint-url", moto.url(), "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    json_of(&stdout_of(&out))
}

#[test]
fn segments_sent_over_udp_reach_xray_and_stop_when_the_daemon_stops() {
    let moto = moto();
    let mut daemon = xray_daemon(moto.url());
    assert!(
        daemon.udp.starts_with("127.0.0.1:"),
        "udp: {:?}",
        daemon.udp
    );
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();

    // A segment, and a subsegment of it streamed separately, as the SDK does for long requests.
    let trace = trace_id();
    let root = segment_id(1);
    let end = now_seconds();
    let subsegment = serde_json::json!({
        "id": segment_id(2), "name": "mock-data", "trace_id": trace, "parent_id": root,
        "type": "subsegment", "start_time": end - 0.2, "end_time": end - 0.1,
    });
    socket
        .send_to(&datagram(&segment(&trace, &root)), &daemon.udp)
        .unwrap();
    socket.send_to(&datagram(&subsegment), &daemon.udp).unwrap();

    let start = Instant::now();
    let traces = loop {
        let answer = batch_get_traces(&moto, &trace);
        let traces = answer["Traces"].as_array().unwrap().clone();
        if traces
            .first()
            .map_or(0, |t| t["Segments"].as_array().unwrap().len())
            == 2
        {
            break traces;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the segments did not reach moto: {answer}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(traces[0]["Id"], trace.as_str());
    let documents: Vec<serde_json::Value> = traces[0]["Segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| json_of(s["Document"].as_str().unwrap()))
        .collect();
    let forwarded_root = documents
        .iter()
        .find(|d| d["id"] == root.as_str())
        .unwrap_or_else(|| panic!("no segment {root} in {documents:?}"));
    assert_eq!(forwarded_root["name"], "backend-flask");
    assert_eq!(
        forwarded_root["http"]["request"]["url"],
        "http://127.0.0.1:4567/api/activities/home"
    );
    assert!(
        documents.iter().any(|d| d["parent_id"] == root.as_str()),
        "the subsegment is missing: {documents:?}"
    );

    // Stopped, the daemon forwards nothing: the trace stays unknown to X-Ray.
    daemon.stop();
    let lost = trace_id();
    socket
        .send_to(&datagram(&segment(&lost, &segment_id(3))), &daemon.udp)
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let answer = batch_get_traces(&moto, &lost);
    assert_eq!(answer["Traces"], serde_json::json!([]), "{answer}");
    assert_eq!(
        answer["UnprocessedTraceIds"],
        serde_json::json!([lost]),
        "{answer}"
    );
}
