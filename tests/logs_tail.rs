//! `logs tail` against moto: the aws cli v2's output formats, --since, --filter-pattern, the
//! workspace's default group, every page of FilterLogEvents, --follow (new events within 2 s,
//! none twice, a closed output ends it), and what is refused before any call.
//!
//! The venv's aws cli is v1, which has no `logs tail`, so its output cannot be compared with
//! ours directly. Instead the format is asserted as aws cli v2 writes it, and
//! `formats_match_the_aws_cli_v2_formatters` runs a transcription of its formatters
//! (awscli/customizations/logs/tail.py) in Python, with Python's datetime and json, over the same
//! events.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::support::{moto, stderr_of, stdout_of, venv_bin, Listener, Moto, Run, TEST_ENV};

/// `cruddur-obs logs tail ARGS` against moto (through AWS_ENDPOINT_URL).
fn tail(moto: &Moto, args: &[&str]) -> Run {
    Run::new(["logs", "tail"])
        .args(args)
        .env("AWS_ENDPOINT_URL", moto.url())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// `YYYY-MM-DDTHH:MM:SS` of a timestamp in milliseconds, by GNU date (UTC).
fn utc_second(ms: i64) -> String {
    let out = Command::new("date")
        .args([
            "-u",
            "+%Y-%m-%dT%H:%M:%S",
            &format!("--date=@{}", ms / 1000),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    stdout_of(&out).trim().to_string()
}

/// A line of the aws cli v2's default (detailed) format.
fn detailed(ms: i64, stream: &str, message: &str) -> String {
    format!(
        "{}.{:06}+00:00 {stream} {message}\n",
        utc_second(ms),
        ms % 1000 * 1000
    )
}

/// A command from the test venv with the tests' environment (fake credentials, us-east-1).
fn venv_command(name: &str) -> Command {
    let mut cmd = Command::new(venv_bin(name));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .envs(TEST_ENV.iter().copied());
    cmd
}

/// Puts events with boto3 from a Python process that stays up, so a put takes milliseconds and
/// its return says the event is stored. Creates the group and stream as needed.
struct Putter {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

const PUTTER: &str = r#"
import json, sys, boto3
logs = boto3.client("logs", endpoint_url=sys.argv[1])
for line in sys.stdin:
    r = json.loads(line)
    for create in (lambda: logs.create_log_group(logGroupName=r["group"]),
                   lambda: logs.create_log_stream(logGroupName=r["group"], logStreamName=r["stream"])):
        try:
            create()
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
    for i in range(0, len(r["events"]), 10000):
        logs.put_log_events(logGroupName=r["group"], logStreamName=r["stream"],
            logEvents=[{"timestamp": t, "message": m} for t, m in r["events"][i:i + 10000]])
    print("ok", flush=True)
"#;

impl Putter {
    fn new(moto: &Moto) -> Putter {
        let mut child = venv_command("python")
            .args(["-c", PUTTER, moto.url()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        Putter {
            stdin: child.stdin.take().unwrap(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            child,
        }
    }

    /// Puts `(timestamp, message)` events (in timestamp order: moto refuses others).
    fn put(&mut self, group: &str, stream: &str, events: &[(i64, &str)]) {
        let request = serde_json::json!({"group": group, "stream": stream, "events": events});
        writeln!(self.stdin, "{request}").unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        assert_eq!(answer, "ok\n", "the put failed (see its stderr above)");
    }
}

impl Drop for Putter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn prints_the_last_ten_minutes_as_the_aws_cli_does() {
    let moto = moto();
    let mut putter = Putter::new(&moto);
    // A time with a fraction of a second (123 ms), so that only `whole` below is a whole second.
    let now = now_ms() / 1000 * 1000 - 1000 + 123;
    // A whole second still shows its microseconds (aws-cli#5912 fixed that in v2).
    let whole = (now - 120_000) / 1000 * 1000;
    putter.put(
        "cruddur",
        "backend-flask/a1",
        &[
            (now - 20 * 60_000, "too old for the default"),
            (whole, "GET /api/activities/home 200"),
            (now - 1_000, "trailing whitespace goes \t \n"),
        ],
    );
    putter.put(
        "cruddur",
        "backend-flask/b2",
        &[(now - 60_000, "{\"level\": \"info\", \"msg\": \"héllo\"}")],
    );
    let expected = [
        detailed(whole, "backend-flask/a1", "GET /api/activities/home 200"),
        detailed(
            now - 60_000,
            "backend-flask/b2",
            "{\"level\": \"info\", \"msg\": \"héllo\"}",
        ),
        detailed(now - 1_000, "backend-flask/a1", "trailing whitespace goes"),
    ]
    .concat();
    assert!(
        expected.contains(".000000+00:00 backend-flask/a1 GET"),
        "{expected}"
    );
    tail(&moto, &["cruddur"]).stdout(&expected).stderr("").run();
    // Not coloured without a terminal, coloured on asking (colorama's green and cyan).
    tail(&moto, &["cruddur", "--color", "on"])
        .stdout_starts_with(format!(
            "\x1b[32m{}.000000+00:00\x1b[0m \x1b[36mbackend-flask/a1\x1b[0m GET",
            utc_second(whole)
        ))
        .run();

    tail(&moto, &["cruddur", "--format", "short"])
        .stdout(format!(
            "{} GET /api/activities/home 200\n{} {{\"level\": \"info\", \"msg\": \"héllo\"}}\n{} trailing whitespace goes\n",
            utc_second(whole),
            utc_second(now - 60_000),
            utc_second(now - 1_000)
        ))
        .run();
    // json: a message that is entirely JSON, pretty-printed below its line as Python's
    // json.dumps(indent=4) writes it; the timestamp is isoformat() (no fraction at a whole second).
    tail(&moto, &["cruddur", "--format", "json"])
        .stdout(format!(
            "{}+00:00 backend-flask/a1 GET /api/activities/home 200\n\
             {}.{:06}+00:00 backend-flask/b2 \n{{\n    \"level\": \"info\",\n    \"msg\": \"h\\u00e9llo\"\n}}\n\
             {}.{:06}+00:00 backend-flask/a1 trailing whitespace goes\n",
            utc_second(whole),
            utc_second(now - 60_000),
            (now - 60_000) % 1000 * 1000,
            utc_second(now - 1_000),
            (now - 1_000) % 1000 * 1000,
        ))
        .run();
    // Nothing in the window: nothing printed, success.
    tail(&moto, &["cruddur", "--since", "1s"])
        .stdout("")
        .stderr("")
        .run();
}

#[test]
fn since_one_hour_reaches_further_than_the_default() {
    let moto = moto();
    let now = now_ms();
    Putter::new(&moto).put(
        "cruddur",
        "s",
        &[
            (now - 3 * 3_600_000, "three hours ago"),
            (now - 30 * 60_000, "half an hour ago"),
            (now - 5 * 60_000, "five minutes ago"),
        ],
    );
    let messages = |run: Run| -> Vec<String> {
        stdout_of(&run.arg("--format=short").run())
            .lines()
            .map(|l| l.split_once(' ').unwrap().1.to_string())
            .collect()
    };
    assert_eq!(messages(tail(&moto, &["cruddur"])), ["five minutes ago"]);
    assert_eq!(
        messages(tail(&moto, &["cruddur", "--since", "1h"])),
        ["half an hour ago", "five minutes ago"]
    );
    assert_eq!(
        messages(tail(&moto, &["cruddur", "--since", "1d"])),
        ["three hours ago", "half an hour ago", "five minutes ago"]
    );
    // An ISO 8601 timestamp: in UTC without an offset, or with one.
    let forty_minutes_ago = utc_second(now - 40 * 60_000);
    assert_eq!(
        messages(tail(&moto, &["cruddur", "--since", &forty_minutes_ago])),
        ["half an hour ago", "five minutes ago"]
    );
    // 45 minutes ago, as a clock at UTC+02:00 shows it (ignoring the offset would ask for the
    // future, and print nothing).
    let at_plus_two = format!("{}+02:00", utc_second(now - 45 * 60_000 + 2 * 3_600_000));
    assert_eq!(
        messages(tail(&moto, &["cruddur", "--since", &at_plus_two])),
        ["half an hour ago", "five minutes ago"]
    );
}

#[test]
fn filter_pattern_keeps_the_matching_events() {
    let moto = moto();
    let now = now_ms();
    Putter::new(&moto).put(
        "cruddur",
        "s",
        &[
            (now - 3_000, "ERROR boom in /api/messages"),
            (now - 2_000, "INFO all fine"),
            (now - 1_000, "ERROR again, timeout"),
        ],
    );
    let messages = |args: &[&str]| -> Vec<String> {
        stdout_of(&tail(&moto, args).arg("--format=short").run())
            .lines()
            .map(|l| l.split_once(' ').unwrap().1.to_string())
            .collect()
    };
    assert_eq!(
        messages(&["cruddur", "--filter-pattern", "ERROR"]),
        ["ERROR boom in /api/messages", "ERROR again, timeout"]
    );
    assert_eq!(
        messages(&["cruddur", "--filter-pattern", "\"all fine\""]),
        ["INFO all fine"]
    );
    assert!(messages(&["cruddur", "--filter-pattern", "WARN"]).is_empty());
}

#[test]
fn the_default_group_is_the_workspaces() {
    let moto = moto();
    let now = now_ms();
    let dir = tempfile::tempdir().unwrap();
    Run::new(["init"])
        .arg(dir.path())
        .args(["--yes", "--region", "us-east-1"])
        .args(["--log-group", "/cruddur/backend"])
        .run();
    let manifest = std::fs::read_to_string(dir.path().join("cruddur-obs.toml")).unwrap();
    assert!(
        manifest.contains("log_group = \"/cruddur/backend\""),
        "{manifest}"
    );
    let mut putter = Putter::new(&moto);
    putter.put(
        "/cruddur/backend",
        "s",
        &[(now - 1_000, "from the workspace's group")],
    );
    putter.put("cruddur", "s", &[(now - 1_000, "from another group")]);
    tail(&moto, &["--format", "short"])
        .current_dir(dir.path())
        .stdout(format!(
            "{} from the workspace's group\n",
            utc_second(now - 1_000)
        ))
        .run();
    // A group given wins over the manifest's.
    tail(&moto, &["cruddur", "--format", "short"])
        .current_dir(dir.path())
        .stdout(format!("{} from another group\n", utc_second(now - 1_000)))
        .run();

    // Neither a group nor a manifest: refused, naming both ways, before any call.
    let empty = tempfile::tempdir().unwrap();
    let listener = Listener::new();
    Run::new(["logs", "tail"])
        .current_dir(empty.path())
        .env("AWS_ENDPOINT_URL", &listener.url)
        .status(2)
        .stdout("")
        .stderr(
            "error: invalid input\n  \
             command line: LOG_GROUP: no log group given, and no cruddur-obs.toml here to take the \
             workspace's from; allowed: a log group name (cruddur-obs logs tail cruddur), or run it \
             in a workspace made by cruddur-obs init, whose cloudwatch.log_group is the default\n\
             hint: nothing was sent to AWS; fix the fields above and run the command again\n",
        )
        .run();
    listener.assert_untouched();
}

#[test]
fn every_page_is_read() {
    // moto answers FilterLogEvents 10,000 events at a time.
    let moto = moto();
    let now = now_ms();
    let texts: Vec<String> = (0..10_050).map(|i| format!("event {i}")).collect();
    let events: Vec<(i64, &str)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (now - 300_000 + i as i64 * 10, t.as_str()))
        .collect();
    Putter::new(&moto).put("cruddur", "s", &events);
    let out = stdout_of(&tail(&moto, &["cruddur", "--format", "short"]).run());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 10_050);
    assert!(lines[0].ends_with(" event 0"), "{}", lines[0]);
    assert!(lines[10_049].ends_with(" event 10049"), "{}", lines[10_049]);
}

/// `cruddur-obs logs tail ARGS --follow` against moto, its standard output read on a thread:
/// each line with the moment it arrived.
struct Following {
    child: Child,
    lines: Receiver<(Instant, String)>,
}

impl Following {
    fn start(moto: &Moto, args: &[&str]) -> Following {
        use assert_cmd::cargo::CommandCargoExt;
        let mut child = Command::cargo_bin("cruddur-obs")
            .unwrap()
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .envs(TEST_ENV.iter().copied())
            .env("AWS_ENDPOINT_URL", moto.url())
            .args(["logs", "tail", "--follow"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        Following { child, lines }
    }

    /// The next line printed, waiting at most `limit`.
    fn next(&self, limit: Duration) -> Option<(Instant, String)> {
        self.lines.recv_timeout(limit).ok()
    }

    /// Its standard error, once it has ended.
    fn stderr(&mut self) -> String {
        let mut text = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The message of a `--format short` line.
fn message(line: &str) -> &str {
    line.split_once(' ').unwrap().1
}

#[test]
fn follow_prints_new_events_within_two_seconds_and_none_twice() {
    let moto = moto();
    let mut putter = Putter::new(&moto);
    let now = now_ms();
    putter.put("cruddur", "a", &[(now - 5_000, "already there")]);
    let mut following = Following::start(&moto, &["cruddur", "--format", "short"]);
    let (_, first) = following
        .next(Duration::from_secs(15))
        .expect("the event already there is printed at once");
    assert_eq!(message(&first), "already there");

    for (stream, text) in [
        ("a", "arrived while following"),
        // Same timestamp as the one before, in another stream: the poll that starts at that
        // timestamp must print this one and not the one before again.
        ("b", "same millisecond, other stream"),
    ] {
        let sent = Instant::now();
        putter.put("cruddur", stream, &[(now, text)]);
        let (arrived, line) = following
            .next(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{text:?} was not printed within 10 s"));
        assert_eq!(message(&line), text);
        let took = arrived - sent;
        assert!(
            took <= Duration::from_secs(2),
            "{text:?} was printed {took:?} after it was put"
        );
    }
    // Several polls later, nothing was printed twice.
    if let Some((_, line)) = following.next(Duration::from_millis(2_500)) {
        panic!("printed again: {line:?}");
    }

    // SIGTERM (or Ctrl-C) ends it at once, without a word.
    let pid = following.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = following.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(15), "{status}");
    assert_eq!(following.stderr(), "");
}

#[test]
fn follow_ends_quietly_when_its_output_is_closed() {
    let moto = moto();
    let mut putter = Putter::new(&moto);
    putter.put("cruddur", "a", &[(now_ms() - 1_000, "first")]);
    use assert_cmd::cargo::CommandCargoExt;
    let mut child = Command::cargo_bin("cruddur-obs")
        .unwrap()
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .envs(TEST_ENV.iter().copied())
        .env("AWS_ENDPOINT_URL", moto.url())
        .args(["logs", "tail", "cruddur", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // As `| head -1`: read one line, then close the pipe.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.ends_with(" a first\n"), "{first:?}");
    putter.put("cruddur", "a", &[(now_ms(), "second")]);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("still running 10 s after its output was closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{status}: {stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn bad_flags_are_refused_before_any_call() {
    let listener = Listener::new();
    let refused = |args: &[&str]| {
        Run::new(["logs", "tail"])
            .args(args)
            .env("AWS_ENDPOINT_URL", &listener.url)
            .status(2)
            .stdout("")
    };
    refused(&["cruddur", "--since", "90 minutes"])
        .stderr(
            "error: invalid input\n  \
             command line: --since: \"90 minutes\" is not a time; allowed: a number and one unit \
             (30s, 10m, 1h, 2d, 1w; one unit only, not 1h30m), or an ISO 8601 timestamp \
             (2024-05-01, 2024-05-01T12:00:00Z, 2024-05-01T14:00:00+02:00; without an offset, UTC)\n\
             hint: nothing was sent to AWS; fix the fields above and run the command again\n",
        )
        .run();
    refused(&["cruddur", "--follow", "--since", "10"])
        .stderr_contains("--since: \"10\" has no unit (did you mean 10m?)")
        .run();
    refused(&["cruddur", "--since", "2024-02-30T10:00:00Z"])
        .stderr_contains("--since: \"2024-02-30T10:00:00Z\": there is no such date")
        .run();
    // Every problem at once.
    refused(&[
        "bad group!",
        "--since",
        "1h30m",
        "--log-stream-name-prefix",
        "web:*",
    ])
    .stderr_starts_with("error: 3 problems in the input\n")
    .stderr_contains("command line: --since: \"1h30m\" is not a time")
    .stderr_contains("command line: LOG_GROUP: \"bad group!\" contains ' '")
    .stderr_contains("command line: --log-stream-name-prefix: \"web:*\" contains ':'")
    .run();
    refused(&["cruddur", "--format", "yaml"])
        .stderr_contains("invalid value 'yaml' for '--format <FORMAT>'")
        .run();
    listener.assert_untouched();
}

#[test]
fn a_missing_group_is_named() {
    let moto = moto();
    for follow in [&[][..], &["--follow"][..]] {
        tail(&moto, &[&["nope"][..], follow].concat())
            .status(1)
            .stdout("")
            .stderr_starts_with(
                "error: reading the events of log group \"nope\": not found: The specified log group does not exist",
            )
            .stderr_contains("hint: `cruddur-obs up` creates the workspace's log group (any other: cruddur-obs logs create-log-group --log-group-name nope); if it is in another region than us-east-1, pass --region\n")
            .run();
    }
}

/// aws cli v2's formatters (awscli/customizations/logs/tail.py, with the microseconds fix of
/// aws-cli#6143), transcribed, over the events boto3's FilterLogEvents paginator returns.
const AWS_CLI_V2_TAIL: &str = r#"
import datetime, json, sys, boto3
from dateutil import tz
url, group, fmt, start, color = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "on"
GREEN, CYAN, RESET = "\x1b[32m", "\x1b[36m", "\x1b[0m"
def paint(text, code):
    return code + text + RESET if color else text
logs = boto3.client("logs", endpoint_url=url)
out = []
pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group, interleaved=True, startTime=start)
for page in pages:
    for event in page["events"]:
        ts = datetime.datetime.fromtimestamp(event["timestamp"] / 1000.0, tz.tzutc())
        if fmt == "detailed":
            line = "%s %s %s" % (paint(ts.isoformat(timespec="microseconds"), GREEN),
                                 paint(event["logStreamName"], CYAN), event["message"])
        elif fmt == "short":
            line = "%s %s" % (paint(ts.strftime("%Y-%m-%dT%H:%M:%S"), GREEN), event["message"])
        else:
            try:
                message = "\n%s" % json.dumps(json.loads(event["message"]), indent=4)
            except json.decoder.JSONDecodeError:
                message = event["message"]
            line = "%s %s %s" % (paint(ts.isoformat(), GREEN), paint(event["logStreamName"], CYAN), message)
        out.append(line.rstrip() + "\n")
sys.stdout.buffer.write("".join(out).encode("utf-8"))
"#;

#[test]
fn formats_match_the_aws_cli_v2_formatters() {
    let moto = moto();
    let messages = [
        "plain",
        "  leading and trailing  ",
        "tabs\tinside",
        "ends with a newline\n",
        "ends with Python-only whitespace\x1c\x1f",
        "ends with a no-break space\u{a0}",
        "multi\nline\n\nmessage",
        "ünïcödé ✓ 日本語 😀",
        "{\"a\": 1}",
        "{\"nested\": {\"list\": [1, 2.0, -0, -0.0, 1e16, 1E-7, 0.1, true, null], \"s\": \"é😀\\u0000\\/\"}}",
        "[]",
        "{}",
        "42",
        "\"just a string\"",
        "NaN",
        "-Infinity",
        "{\"dup\": 1, \"x\": 2, \"dup\": 3}",
        "{\"bad\": }",
        "{\"a\": 1} trailing",
        "[1, 2,]",
        "  {\"spaced\": true}  ",
        "\u{feff}{\"bom\": 1}",
        "{\"lone\": \"\\ud800 \\udc00\\ud83d\\ude00\"}",
        "123456789012345678901234567890",
        "-0",
        "1.5e300",
        "1e400",
        "{\"k\":\"v\"}\n",
        "{\"ctrl\": \"a\u{1}b\"}",
        "{\"del\": \"\u{7f}\"}",
        "[[[[[[[[[[{\"deep\": [[]]}]]]]]]]]]]",
        "{\"level\":\"error\",\"msg\":\"GET /api/activities/home 500\",\"duration_ms\":12.5}",
    ];
    let now = now_ms();
    let base = (now - 300_000) / 1000 * 1000;
    let events: Vec<(i64, &str)> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| (base + i as i64 * 250, *m))
        .collect();
    let (even, odd): (Vec<_>, Vec<_>) = events.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let mut putter = Putter::new(&moto);
    putter.put(
        "cruddur",
        "backend-flask/even",
        &even.into_iter().map(|(_, e)| *e).collect::<Vec<_>>(),
    );
    putter.put(
        "cruddur",
        "backend-flask/odd",
        &odd.into_iter().map(|(_, e)| *e).collect::<Vec<_>>(),
    );

    for format in ["detailed", "short", "json"] {
        for color in ["off", "on"] {
            let theirs = venv_command("python")
                .args(["-c", AWS_CLI_V2_TAIL, moto.url(), "cruddur", format])
                .arg((now - 3_600_000).to_string())
                .arg(color)
                .output()
                .unwrap();
            assert!(theirs.status.success(), "{}", stderr_of(&theirs));
            let theirs = stdout_of(&theirs);
            assert_eq!(
                theirs.matches("backend-flask/").count() > 0,
                format != "short"
            );
            tail(
                &moto,
                &[
                    "cruddur", "--since", "1h", "--format", format, "--color", color,
                ],
            )
            .stdout(theirs)
            .run();
        }
    }
}
