//! `cruddur-obs verify [DIR]`: proves that the telemetry arrives. Sends the running backend a
//! normal request and one to its error route, each with a known trace context, then polls every
//! enabled part until its data shows up or the time runs out, and names the most likely cause of
//! each part that stays missing (verify's own probes first, then doctor's checks).

use std::net::{ToSocketAddrs, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use serde::Serialize;
use serde_json::Value;

use crate::aws::AwsArgs;
use crate::doctor::probes::{self, Probes};
use crate::doctor::workspace::Workspace;
use crate::doctor::{run_checks, Status};
use crate::error::{Exit, Failure};
use crate::honeycomb::{self, KeyKind};
use crate::http::{self, client, Wording};
use crate::logs::Logs;
use crate::manifest::Manifest;
use crate::output::{print_json, OutputArgs};
use crate::xray::Xray;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  cruddur-obs verify                       # the backend at $BACKEND_URL, else localhost:4567
  cruddur-obs verify --timeout 120 --output json

Sends GET /api/activities/home and GET /api/debug/error, each with a traceparent header and an
X-Amzn-Trace-Id with Sampled=1 (so X-Ray records them whatever the sampling rule says), then waits
for each enabled part:
  Honeycomb    the dataset's last_written_at moves past the start (GET /1/datasets, with
               HONEYCOMB_CONFIGURATION_KEY, else HONEYCOMB_API_KEY if it is a configuration key)
  X-Ray        BatchGetTraces finds the request's trace
  CloudWatch   FilterLogEvents finds the request's line in the log group
  Rollbar      the error route's item, read back with ROLLBAR_READ_ACCESS_TOKEN (a read token)
Exit codes: 0 every enabled part arrived, 1 one did not, 8 the backend did not answer.")]
pub struct VerifyArgs {
    /// The workspace folder
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The running backend [default: $BACKEND_URL, else http://localhost:4567]
    #[arg(long, value_name = "URL")]
    backend_url: Option<String>,
    /// Seconds to wait for the data to arrive
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    timeout: f64,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

/// The routes verify calls: a normal one, and the one that fails on purpose.
const HOME: &str = "/api/activities/home";
const ERROR: &str = "/api/debug/error";

/// One request sent, with its trace ids.
#[derive(Debug, Clone, Serialize)]
struct Sent {
    path: &'static str,
    status: Option<u16>,
    /// The W3C trace id (32 hex digits), the same as the X-Ray one without its dashes.
    trace_id: String,
    xray_trace_id: String,
}

/// What became of one part.
#[derive(Debug, Clone, Serialize)]
struct Part {
    part: &'static str,
    /// "arrived", "missing", "wrong-environment" or "not-checked".
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    after_seconds: Option<f64>,
    detail: String,
    /// The likely causes, most likely first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    causes: Vec<String>,
}

impl Part {
    fn arrived(&self) -> bool {
        self.status == "arrived"
    }
}

/// A fresh id: `n` hex digits from the clock, the process and the hasher's random keys.
fn hex(n: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    let mut i = 0u64;
    while out.len() < n {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        h.write_u32(std::process::id());
        h.write_u64(i);
        out.push_str(&format!("{:016x}", h.finish()));
        i += 1;
    }
    out.truncate(n);
    out
}

/// A trace id X-Ray and W3C share: the first 8 hex digits are the time in seconds.
fn trace_ids() -> (String, String) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let time = format!("{:08x}", now & 0xffff_ffff);
    let rest = hex(24);
    (format!("{time}{rest}"), format!("1-{time}-{rest}"))
}

async fn send(backend: &str, path: &'static str) -> Result<Sent, String> {
    let (trace_id, xray_trace_id) = trace_ids();
    let span = hex(16);
    let response = client(Duration::from_secs(10))
        .get(format!("{backend}{path}"))
        .header("traceparent", format!("00-{trace_id}-{span}-01"))
        .header(
            "X-Amzn-Trace-Id",
            format!("Root={xray_trace_id};Parent={span};Sampled=1"),
        )
        .send()
        .await
        .map_err(|e| crate::error::root_cause(&e))?;
    Ok(Sent {
        path,
        status: Some(response.status().as_u16()),
        trace_id,
        xray_trace_id,
    })
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether anything listens on a loopback UDP address: a datagram to a closed port comes back
/// refused. None when it cannot tell (not loopback, or no answer either way).
fn udp_listening(address: &str) -> Option<bool> {
    let target = address.to_socket_addrs().ok()?.next()?;
    if !target.ip().is_loopback() {
        return None;
    }
    let socket = UdpSocket::bind(("127.0.0.1", 0)).ok()?;
    socket.connect(target).ok()?;
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .ok()?;
    socket
        .send(b"{\"format\": \"json\", \"version\": 1}\n")
        .ok()?;
    let mut buf = [0u8; 16];
    match socket.recv(&mut buf) {
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Some(false),
        _ => Some(true),
    }
}

/// The doctor checks that bear on each part, by name.
fn bears_on(part: &str, check: &str) -> bool {
    let prefixes: &[&str] = match part {
        "honeycomb" => &[
            "honeycomb.",
            "env.service-name",
            "env.otlp-",
            "env.required",
        ],
        "xray" => &[
            "aws.credentials",
            "aws.daemon-region",
            "aws.sampling-rules",
            "env.aws-region",
            "env.xray-daemon-address",
            "env.required",
            "files.middleware-order",
            "files.dynamic-naming",
            "files.rule-service-name",
            "files.segment-in-service",
        ],
        "cloudwatch" => &[
            "aws.credentials",
            "aws.log-group",
            "env.aws-region",
            "env.required",
            "files.watchtower-args",
        ],
        "rollbar" => &["rollbar.", "files.before-first-request", "env.required"],
        _ => &[],
    };
    check == "backend.parses" || prefixes.iter().any(|p| check.starts_with(p))
}

pub async fn run(a: VerifyArgs) -> Result<Exit, Failure> {
    if !(a.timeout > 0.0 && a.timeout <= 3600.0) {
        return Err(Failure::bad_input(format!(
            "--timeout: {} is out of range; allowed: more than 0 and at most 3600 seconds",
            a.timeout
        )));
    }
    a.aws.validate_flags()?;
    let backend = a
        .backend_url
        .clone()
        .or_else(|| var("BACKEND_URL"))
        .unwrap_or_else(|| "http://localhost:4567".into());
    http::check_url(
        if a.backend_url.is_some() {
            "--backend-url"
        } else {
            "BACKEND_URL"
        },
        &backend,
        "http://localhost:4567",
    )?;
    let manifest = Manifest::load(&a.dir)?.ok_or_else(|| {
        Failure::bad_input(format!(
            "no {} in {}",
            crate::manifest::FILE,
            a.dir.display()
        ))
        .hint("run cruddur-obs init first")
    })?;
    let backend = backend.trim_end_matches('/').to_string();
    let progress = crate::progress::Progress::new(a.out.json());
    let start = SystemTime::now();
    let started = Instant::now();

    // The requests.
    let sent = {
        let _sending = progress.start(format!("sending two requests to {backend}"));
        let home = send(&backend, HOME).await;
        let error = send(&backend, ERROR).await;
        (home, error)
    };
    let (home, error) = match sent {
        (Ok(h), Ok(e)) => (h, e),
        (Err(why), _) | (_, Err(why)) => {
            return Err(Failure::new(
                Exit::Unreachable,
                format!("the backend at {backend} did not answer ({why}), so nothing was sent and nothing can arrive"),
            )
            .hint("start it (docker compose up, or: cd backend-flask && flask --app app run --port 4567), or point --backend-url / BACKEND_URL at it"));
        }
    };

    // The parts, polled together until each arrives or the time is up.
    let deadline = started + Duration::from_secs_f64(a.timeout);
    let waiting = progress.start("waiting for the data to arrive");
    // The live line: which parts are still awaited, and for how long so far.
    let pending = std::sync::Mutex::new(vec!["honeycomb", "xray", "cloudwatch", "rollbar"]);
    let done = |name: &str| {
        if let Ok(mut p) = pending.lock() {
            p.retain(|x| *x != name);
        }
    };
    let honeycomb_part = async {
        let p = honeycomb_poll(&manifest, start, started, deadline).await;
        done("honeycomb");
        p
    };
    let xray_part = async {
        let p = xray_poll(&manifest, &a.aws, &home, started, deadline).await;
        done("xray");
        p
    };
    let logs_part = async {
        let p = logs_poll(&manifest, &a.aws, start, started, deadline).await;
        done("cloudwatch");
        p
    };
    let rollbar_part = async {
        let p = rollbar_poll(&manifest, &error, start, started, deadline).await;
        done("rollbar");
        p
    };
    let ticker = async {
        loop {
            let left = pending.lock().map(|p| p.join(", ")).unwrap_or_default();
            if left.is_empty() {
                break;
            }
            waiting.say(format!(
                "waiting for {left}: {:.0} s of {:.0}",
                started.elapsed().as_secs_f64(),
                a.timeout
            ));
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let (h, x, c, r, ()) = tokio::join!(honeycomb_part, xray_part, logs_part, rollbar_part, ticker);
    drop(waiting);
    let mut parts: Vec<Part> = [h, x, c, r].into_iter().flatten().collect();

    // Causes for what is missing: verify's own probes, then doctor's checks.
    if parts.iter().any(|p| p.status == "missing") {
        let _diagnosing = progress.start("looking for the cause");
        let workspace = Workspace::load(&a.dir, Some(manifest.clone()), 0.1);
        let options = probes::Options {
            timeout: Duration::from_secs(5),
            aws: a.aws.clone(),
            send_test_item: false,
        };
        let probes: Probes = probes::gather(&workspace, &options).await;
        let reports = run_checks(&crate::doctor::checks::ALL, &workspace, &probes, false);
        for p in parts.iter_mut().filter(|p| p.status == "missing") {
            if p.part == "xray" {
                let daemon = var("AWS_XRAY_DAEMON_ADDRESS")
                    .or_else(|| workspace.var("AWS_XRAY_DAEMON_ADDRESS").map(str::to_string))
                    .unwrap_or_else(|| "127.0.0.1:2000".into());
                if udp_listening(&daemon) == Some(false) {
                    p.causes.push(format!(
                        "the X-Ray daemon is not running: nothing listens on {daemon} (start it: docker compose up xray-daemon)"
                    ));
                }
            }
            if p.part == "cloudwatch" {
                if let Ok(logs) = Logs::connect(&a.aws).await {
                    if let Ok(None) = logs.find(&manifest.cloudwatch.log_group).await {
                        p.causes.push(format!(
                            "the log group {} does not exist (cruddur-obs up creates it)",
                            manifest.cloudwatch.log_group
                        ));
                    }
                }
            }
            for r in &reports {
                if bears_on(p.part, r.name) && matches!(r.status, Status::Error | Status::Warn) {
                    let cause = match &r.fix {
                        Some(fix) => format!("{} ({}; fix: {fix})", r.finding, r.name),
                        None => format!("{} ({})", r.finding, r.name),
                    };
                    if !p.causes.contains(&cause) {
                        p.causes.push(cause);
                    }
                }
            }
            if p.causes.is_empty() {
                p.causes.push(
                    "no known cause found: run cruddur-obs doctor, and look at the backend's log"
                        .into(),
                );
            }
        }
    }

    // Render.
    let ok = parts
        .iter()
        .all(|p| p.arrived() || p.status == "not-checked");
    if a.out.json() {
        print_json(&serde_json::json!({
            "backend": backend,
            "requests": [&home, &error],
            "parts": parts,
            "ok": ok,
        }));
    } else {
        println!("sent to {backend}:");
        for s in [&home, &error] {
            println!(
                "  GET {:22} {}  trace {}",
                s.path,
                s.status.map_or("-".into(), |c| c.to_string()),
                s.xray_trace_id
            );
        }
        println!();
        for p in &parts {
            let state = match (p.status, p.after_seconds) {
                ("arrived", Some(s)) => format!("arrived after {s:.1} s"),
                ("missing", _) => format!("missing after {:.0} s", a.timeout),
                ("wrong-environment", _) => "in another environment".to_string(),
                _ => "not checked".to_string(),
            };
            println!("{:11} {state}: {}", p.part, p.detail);
            for c in &p.causes {
                println!("              likely cause: {c}");
            }
        }
    }
    if ok {
        Ok(Exit::Ok)
    } else {
        let missing: Vec<&str> = parts
            .iter()
            .filter(|p| !(p.arrived() || p.status == "not-checked"))
            .map(|p| p.part)
            .collect();
        Err(
            Failure::failed(format!("{} did not arrive", missing.join(", ")))
                .hint("fix the likely cause above, then run cruddur-obs verify again"),
        )
    }
}

/// Sends a GET; its status and JSON body (Null when the body is not JSON).
async fn get_json(request: reqwest::RequestBuilder, url: &str) -> Result<(u16, Value), Failure> {
    let response = request
        .send()
        .await
        .map_err(|e| http::unreachable(url, &crate::error::root_cause(&e)))?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

fn elapsed(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 10.0).round() / 10.0
}

/// Polls `check` every second until it finds the data or the deadline passes.
async fn poll<F, Fut>(deadline: Instant, mut check: F) -> Result<Option<String>, Failure>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<String>, Failure>>,
{
    loop {
        match check().await {
            Ok(Some(found)) => return Ok(Some(found)),
            Err(f) if f.exit != Exit::RateLimited => return Err(f),
            _ => {}
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn part(
    name: &'static str,
    started: Instant,
    result: Result<Option<String>, Failure>,
    what: &str,
) -> Part {
    match result {
        Ok(Some(detail)) => Part {
            part: name,
            status: "arrived",
            after_seconds: Some(elapsed(started)),
            detail,
            causes: vec![],
        },
        Ok(None) => Part {
            part: name,
            status: "missing",
            after_seconds: None,
            detail: what.to_string(),
            causes: vec![],
        },
        Err(f) => Part {
            part: name,
            status: "missing",
            after_seconds: None,
            detail: format!("{what}: {}", f.message),
            causes: vec![],
        },
    }
}

fn not_checked(name: &'static str, why: impl Into<String>) -> Option<Part> {
    Some(Part {
        part: name,
        status: "not-checked",
        after_seconds: None,
        detail: why.into(),
        causes: vec![],
    })
}

async fn honeycomb_poll(
    m: &Manifest,
    start: SystemTime,
    started: Instant,
    deadline: Instant,
) -> Option<Part> {
    if !m.honeycomb.enabled {
        return None;
    }
    let key_var = if var(crate::provision::honeycomb::CONFIGURATION_KEY).is_some() {
        crate::provision::honeycomb::CONFIGURATION_KEY
    } else {
        "HONEYCOMB_API_KEY"
    };
    let Some(key) = var(key_var) else {
        return not_checked(
            "honeycomb",
            "no HONEYCOMB_CONFIGURATION_KEY or HONEYCOMB_API_KEY to read the dataset with",
        );
    };
    let shape = match honeycomb::classify(&key) {
        Ok(s) => s,
        Err(why) => {
            return not_checked(
                "honeycomb",
                format!("{key_var} is not a Honeycomb key: {why}"),
            )
        }
    };
    if shape.kind == KeyKind::Ingest {
        return not_checked(
            "honeycomb",
            format!("{key_var} is an ingest key, which cannot read datasets: set HONEYCOMB_CONFIGURATION_KEY to a configuration key to check Honeycomb too"),
        );
    }
    let api = var("HONEYCOMB_API_ENDPOINT").unwrap_or_else(|| shape.region.api().to_string());
    let wait = Duration::from_secs(10);
    let auth = match honeycomb::whoami(&api, &key, shape, wait).await {
        Ok(a) => a,
        Err(e) => {
            return Some(part(
                "honeycomb",
                started,
                Err(e.failure(&api, &key, Wording::Doctor)),
                "cannot ask Honeycomb",
            ))
        }
    };
    let expected = &m.honeycomb.environment;
    let dataset = m.workspace.service.to_ascii_lowercase();
    let in_expected = auth.is_classic()
        || auth.environment.slug.eq_ignore_ascii_case(expected)
        || auth.environment.name.eq_ignore_ascii_case(expected);
    if !in_expected {
        return Some(Part {
            part: "honeycomb",
            status: "wrong-environment",
            after_seconds: None,
            detail: format!(
                "the key belongs to environment \"{}\", so the spans land there, not in \"{expected}\" (cruddur-obs.toml)",
                auth.environment.slug
            ),
            causes: vec![format!(
                "the key of another environment: copy a key of \"{expected}\" (Environment settings -> API Keys) and set HONEYCOMB_API_KEY to it"
            )],
        });
    }
    let since: String = {
        let secs = start
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs() as i64;
        // RFC 3339, second precision, UTC: comparable as text with Honeycomb's.
        let dt = aws_sdk_xray::primitives::DateTime::from_secs(secs);
        dt.fmt(aws_sdk_xray::primitives::DateTimeFormat::DateTime)
            .unwrap_or_default()
    };
    let url = format!("{}/1/datasets/{dataset}", api.trim_end_matches('/'));
    let c = client(wait);
    let result = poll(deadline, || {
        let request = c.get(&url).header("X-Honeycomb-Team", &key);
        let since = since.clone();
        let url = url.clone();
        let dataset = dataset.clone();
        async move {
            let (status, body) = get_json(request, &url).await?;
            match status {
                200 => {
                    let written = body["last_written_at"].as_str().unwrap_or("");
                    Ok(
                        (!written.is_empty() && written.get(..19) >= since.get(..19))
                            .then(|| format!("dataset {dataset} written at {written}")),
                    )
                }
                404 => Ok(None),
                429 => Err(Failure::new(Exit::RateLimited, "rate limited")),
                _ => Err(Failure::failed(format!(
                    "GET /1/datasets/{dataset} answered {status}: {}",
                    body["error"].as_str().unwrap_or("")
                ))),
            }
        }
    })
    .await;
    Some(part(
        "honeycomb",
        started,
        result,
        &format!("nothing new written to dataset {}", m.workspace.service),
    ))
}

async fn xray_poll(
    m: &Manifest,
    aws: &AwsArgs,
    home: &Sent,
    started: Instant,
    deadline: Instant,
) -> Option<Part> {
    if !m.xray.enabled {
        return None;
    }
    let x = match Xray::connect(aws).await {
        Ok(x) => x,
        Err(f) => return Some(part("xray", started, Err(f), "cannot ask X-Ray")),
    };
    let ids = vec![home.xray_trace_id.clone()];
    let result = poll(deadline, || async {
        let traces = x.traces(&ids).await?;
        Ok(traces.iter().find(|t| !t.segments().is_empty()).map(|t| {
            let mut names = Vec::new();
            for s in t.segments() {
                let doc: Value = s
                    .document()
                    .and_then(|d| serde_json::from_str(d).ok())
                    .unwrap_or(Value::Null);
                let mut line = doc["name"].as_str().unwrap_or("?").to_string();
                let subs: Vec<&str> = doc["subsegments"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect())
                    .unwrap_or_default();
                if !subs.is_empty() {
                    line.push_str(&format!(" > {}", subs.join(", ")));
                }
                names.push(line);
            }
            format!("trace {} ({})", home.xray_trace_id, names.join("; "))
        }))
    })
    .await;
    Some(part(
        "xray",
        started,
        result,
        &format!("no trace {} in X-Ray", home.xray_trace_id),
    ))
}

async fn logs_poll(
    m: &Manifest,
    aws: &AwsArgs,
    start: SystemTime,
    started: Instant,
    deadline: Instant,
) -> Option<Part> {
    if !m.cloudwatch.enabled {
        return None;
    }
    let l = match Logs::connect(aws).await {
        Ok(l) => l,
        Err(f) => {
            return Some(part(
                "cloudwatch",
                started,
                Err(f),
                "cannot ask CloudWatch Logs",
            ))
        }
    };
    let group = m.cloudwatch.log_group.clone();
    // A minute of slack: the backend's clock and AWS's may differ a little.
    let from = start
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64
        - 60_000;
    let result = poll(deadline, || async {
        let events = match l
            .filter_events(&group, from, None, Some(&format!("\"{HOME}\"")), None)
            .await
        {
            Ok(e) => e,
            // A missing group: nothing arrives until it exists; the cause is named below.
            Err(_) if matches!(l.find(&group).await, Ok(None)) => return Ok(None),
            Err(f) => return Err(f),
        };
        Ok(events
            .iter()
            .find(|e| e.message.contains(&format!("GET {HOME}")))
            .map(|e| {
                format!(
                    "log group {group}, stream {}: {}",
                    e.stream,
                    e.message.trim()
                )
            }))
    })
    .await;
    Some(part(
        "cloudwatch",
        started,
        result,
        &format!(
            "no line for GET {HOME} in log group {}",
            m.cloudwatch.log_group
        ),
    ))
}

async fn rollbar_poll(
    m: &Manifest,
    error: &Sent,
    start: SystemTime,
    started: Instant,
    deadline: Instant,
) -> Option<Part> {
    if !m.rollbar.enabled {
        return None;
    }
    if error.status == Some(404) {
        return not_checked(
            "rollbar",
            format!("the backend has no {ERROR} route to raise an error with"),
        );
    }
    let Some(token) = var("ROLLBAR_READ_ACCESS_TOKEN") else {
        return not_checked(
            "rollbar",
            "set ROLLBAR_READ_ACCESS_TOKEN (a project token with read scope) to read the item back",
        );
    };
    let api = var("ROLLBAR_ENDPOINT").unwrap_or_else(|| "https://api.rollbar.com/api/1/".into());
    let url = format!("{}/instances", api.trim_end_matches('/'));
    let since = start
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64
        - 60;
    let c = client(Duration::from_secs(10));
    let result = poll(deadline, || {
        let request = c.get(&url).header("X-Rollbar-Access-Token", &token);
        let url = url.clone();
        async move {
            let (status, body) = get_json(request, &url).await?;
            if status == 429 {
                return Err(Failure::new(Exit::RateLimited, "rate limited"));
            }
            if status != 200 {
                return Err(Failure::failed(format!(
                    "Rollbar answered {status}: {}",
                    body["message"].as_str().unwrap_or("")
                )));
            }
            let instances = body["result"]["instances"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            Ok(instances
                .iter()
                .find(|i| {
                    i["timestamp"].as_i64().unwrap_or(0) >= since
                        && i["data"]["request"]["url"]
                            .as_str()
                            .is_some_and(|u| u.contains(ERROR))
                })
                .map(|i| format!("item {} for GET {ERROR}", i["item_id"])))
        }
    })
    .await;
    Some(part(
        "rollbar",
        started,
        result,
        &format!("no item for GET {ERROR}"),
    ))
}
