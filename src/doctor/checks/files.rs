//! The code and files of the workspace, scanned for the mistakes people made wiring it by hand.

use crate::doctor::probes::Probes;
use crate::doctor::repair::{Fix, Repair};
use crate::doctor::workspace::{File, Workspace};
use crate::doctor::{Check, Needs, Outcome, Section};

const fn check(name: &'static str, run: fn(&Workspace, &Probes) -> Outcome) -> Check {
    Check {
        name,
        section: Section::Files,
        needs: Needs::Nothing,
        run,
    }
}

pub const CHECKS: &[Check] = &[
    check("files.before-first-request", before_first_request),
    check("files.flask-pinned", flask_pinned),
    check("files.segment-in-service", segment_in_service),
    check("files.subsegment-ended-twice", subsegment_ended_twice),
    check("files.middleware-order", middleware_order),
    check("files.group-filter-url", group_filter_url),
    check("files.dynamic-naming", dynamic_naming),
    check("files.rule-service-name", rule_service_name),
    check("files.watchtower-args", watchtower_args),
    check("files.request-log-level", request_log_level),
    check("files.cors", cors),
    check("files.collector-exporter", collector_exporter),
    check("files.react-app-prefix", react_app_prefix),
    check("files.collector-depends-on", collector_depends_on),
    check("files.compose-parses", compose_parses),
    check("files.gitpod-ports", gitpod_ports),
];

/// Live code lines: a commented-out or quoted-out mistake is no mistake.
fn code_lines(f: &File) -> impl Iterator<Item = (usize, &str)> {
    f.code_lines()
}

/// Every live code line holding `needle` in the Python files, as (file, line).
fn find_code<'a>(
    w: &'a Workspace,
    needle: &'a str,
    filter: impl Fn(&File) -> bool + 'a,
) -> impl Iterator<Item = (&'a File, usize)> + 'a {
    w.python
        .iter()
        .filter(move |f| filter(f))
        .flat_map(move |f| {
            code_lines(f)
                .filter(move |(_, l)| l.contains(needle))
                .map(move |(n, _)| (f, n))
        })
}

fn no_backend(w: &Workspace) -> Option<Outcome> {
    w.python
        .is_empty()
        .then(|| Outcome::skipped("no backend-flask/ code here"))
}

fn before_first_request(w: &Workspace, _: &Probes) -> Outcome {
    if let Some(o) = no_backend(w) {
        return o;
    }
    let found = find_code(w, "before_first_request", |_| true)
        .map(|(f, n)| {
            Outcome::error(
                format!("{}:{n} uses @app.before_first_request, which Flask 2.3 removed: the app dies at import", f.path),
                "call the function once at start-up, inside `with app.app_context():` right after it",
            )
            .repaired_by(Repair::new(&f.path, Fix::BeforeFirstRequest))
        })
        .collect();
    Outcome::each(found, Outcome::ok("no before_first_request"))
}

/// Flask APIs that Flask 2.3 and 3.0 removed: an app using one breaks on an unpinned rebuild.
const REMOVED_FLASK_APIS: &[&str] = &[
    "before_first_request",
    "JSONEncoder",
    "JSONDecoder",
    "json_encoder",
    "json_decoder",
    "_app_ctx_stack",
    "_request_ctx_stack",
    "attachment_filename",
    "cache_timeout",
    "safe_join",
    "from flask import escape",
    "from flask import Markup",
    "flask.escape",
    "flask.Markup",
];

fn flask_pinned(w: &Workspace, _: &Probes) -> Outcome {
    let Some(req) = &w.requirements else {
        return Outcome::skipped("no backend-flask/requirements.txt");
    };
    let unpinned: Vec<String> = code_lines(req)
        .map(|(_, l)| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with('-'))
        .filter(|l| !l.contains("=="))
        .map(|l| {
            l.split(|c: char| "<>=!~;[ ".contains(c))
                .next()
                .unwrap_or(l)
                .to_string()
        })
        .collect();
    if unpinned.is_empty() {
        return Outcome::ok("every requirement is pinned");
    }
    let flask = unpinned.iter().any(|p| p.eq_ignore_ascii_case("flask"));
    let finding = format!("not pinned in {}: {}", req.path, unpinned.join(", "));
    let removed = REMOVED_FLASK_APIS.iter().find_map(|api| {
        find_code(w, api, |_| true)
            .next()
            .map(|(f, n)| (*api, f, n))
    });
    let repair = Repair::new(&req.path, Fix::PinRequirements);
    match removed {
        Some((api, f, n)) if flask => Outcome::error(
            format!("{finding}: every rebuild takes the newest Flask, which removed {api}, used at {}:{n}: the app dies at start-up", f.path),
            "pin exact versions (flask==3.1.3 ...), and replace the removed API",
        ),
        _ => Outcome::warn(
            format!("{finding}: a rebuild takes whatever is newest, not what was tested"),
            "pin exact versions (package==x.y.z); `cruddur-obs doctor --fix` pins those with a proven version",
        ),
    }
    .repaired_by(repair)
}

fn in_services(f: &File) -> bool {
    f.path.contains("/services/")
}

fn segment_in_service(w: &Workspace, _: &Probes) -> Outcome {
    if let Some(o) = no_backend(w) {
        return o;
    }
    let mut found: Vec<Outcome> = find_code(w, "begin_segment(", in_services)
        .map(|(f, n)| {
            Outcome::error(
                format!(
                    "{}:{n} begins a segment inside a service, replacing the request's segment",
                    f.path
                ),
                "use `with xray_recorder.in_subsegment(\"name\") as sub:` inside a request",
            )
            .repaired_by(Repair::new(&f.path, Fix::SegmentInService { line: n }))
        })
        .collect();
    // At module level (no indentation) the code runs at import, outside any request.
    for f in &w.python {
        for (n, _) in code_lines(f).filter(|(_, l)| {
            l.contains("begin_subsegment(") && !l.starts_with(' ') && !l.starts_with('\t')
        }) {
            found.push(Outcome::error(
                format!("{}:{n} begins a subsegment outside any request: there is no segment, and put_metadata then fails on None", f.path),
                "use `with xray_recorder.in_subsegment(\"name\") as sub:` (or @xray_recorder.capture) under XRayMiddleware",
            ));
        }
    }
    Outcome::each(
        found,
        Outcome::ok("subsegments only through in_subsegment/capture"),
    )
}

fn subsegment_ended_twice(w: &Workspace, _: &Probes) -> Outcome {
    let mut found = Vec::new();
    for f in &w.python {
        // Per function: the lines from one `def` to the next.
        let mut count = 0;
        let mut function_start = 0;
        for (n, line) in code_lines(f) {
            if line.trim_start().starts_with("def ") {
                count = 0;
                function_start = n;
            }
            if line.contains("end_subsegment(") {
                count += 1;
                if count >= 2 {
                    found.push(Outcome::error(
                        format!("{}:{n} ends a subsegment a second time (the function at line {function_start} already ended it)", f.path),
                        "end it once: use `with xray_recorder.in_subsegment(...)`, which ends it for you",
                    )
                    .repaired_by(Repair::new(&f.path, Fix::SecondEnd { line: n })));
                }
            }
        }
    }
    Outcome::each(found, Outcome::ok("no subsegment is ended twice"))
}

fn middleware_order(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.xray.enabled {
        return Outcome::skipped("X-Ray is not wired");
    }
    for f in &w.python {
        let first = |needle: &str| {
            code_lines(f)
                .find(|(_, l)| l.contains(needle))
                .map(|(n, _)| n)
        };
        if let (Some(middleware), Some(app)) = (first("XRayMiddleware("), first("Flask(__name__)"))
        {
            if middleware < app {
                return Outcome::error(
                    format!("{}:{middleware} calls XRayMiddleware before the app is created at line {app}", f.path),
                    "call XRayMiddleware(app, xray_recorder) after `app = Flask(__name__)`",
                );
            }
        }
    }
    Outcome::ok("XRayMiddleware comes after the app")
}

fn filters(w: &Workspace) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in &w.aws_json {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&f.text) {
            if let Some(filter) = v.get("FilterExpression").and_then(|x| x.as_str()) {
                out.push((f.path.clone(), filter.to_string()));
            }
        }
    }
    out
}

fn group_filter_url(w: &Workspace, _: &Probes) -> Outcome {
    let mut found = filters(w);
    // Scripts that create groups with the aws cli: their --filter-expression argument.
    for f in &w.scripts {
        for (n, line) in f.lines() {
            if let Some(i) = line.find("--filter-expression") {
                found.push((
                    format!("{}:{n}", f.path),
                    line[i + "--filter-expression".len()..].trim().to_string(),
                ));
            }
        }
    }
    if found.is_empty() {
        return Outcome::skipped("no group filter in aws/json/ or bin/");
    }
    let bad = found
        .iter()
        .filter(|(_, f)| f.contains("://"))
        .map(|(path, filter)| {
            Outcome::error(
                format!("{path}: the group filter {filter} holds a URL; segment names never have a scheme, so it matches nothing"),
                format!("filter on the service name: service(\"{}\") {{fault OR error}}", w.manifest.workspace.service),
            )
        })
        .collect();
    Outcome::each(bad, Outcome::ok("group filters name services, not URLs"))
}

fn dynamic_naming(w: &Workspace, _: &Probes) -> Outcome {
    if let Some(o) = no_backend(w) {
        return o;
    }
    if !w.manifest.xray.enabled {
        return Outcome::skipped("X-Ray is not wired");
    }
    let Some(at) = find_code(w, "dynamic_naming", |_| true)
        .next()
        .map(|(f, n)| format!("{}:{n}", f.path))
    else {
        return Outcome::ok("segments are named after the service");
    };
    let plain_rule = w.aws_json.iter().find_map(|f| {
        let v: serde_json::Value = serde_json::from_str(&f.text).ok()?;
        let name = v
            .get("SamplingRule")?
            .get("ServiceName")?
            .as_str()?
            .to_string();
        (!name.contains('*')).then(|| (f.path.clone(), name))
    });
    match plain_rule {
        Some((path, name)) => Outcome::error(
            format!("{at} names segments after the Host header, so the rule for ServiceName \"{name}\" ({path}) never applies and filters on it match nothing"),
            format!("configure the recorder with service='{name}' and no dynamic_naming"),
        ),
        None => Outcome::warn(
            format!("{at} names segments after the Host header: groups and rules must match host names, not the service"),
            "configure the recorder with service='backend-flask' and no dynamic_naming",
        ),
    }
}

/// The segments' name: the literal `service=` given to `xray_recorder.configure(...)`, with where.
fn segment_name(w: &Workspace) -> Option<(String, String)> {
    let re = regex_lite::Regex::new(r#"configure\([^)]*\bservice\s*=\s*['"]([^'"]+)['"]"#)
        .expect("valid pattern");
    w.python.iter().find_map(|f| {
        let live = f.live.as_deref().unwrap_or(&f.text);
        let c = re.captures(live)?;
        let at = c.get(0)?.start();
        let line = live[..at].matches('\n').count() + 1;
        Some((c[1].to_string(), format!("{}:{line}", f.path)))
    })
}

fn rule_service_name(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.xray.enabled {
        return Outcome::skipped("X-Ray is not wired");
    }
    if find_code(w, "dynamic_naming", |_| true).next().is_some() {
        return Outcome::skipped(
            "segments are named after the Host header (see files.dynamic-naming)",
        );
    }
    let Some((name, at)) = segment_name(w) else {
        return Outcome::skipped("no literal service= in xray_recorder.configure(...)");
    };
    let rules: Vec<(String, String)> = w
        .aws_json
        .iter()
        .filter_map(|f| {
            let v: serde_json::Value = serde_json::from_str(&f.text).ok()?;
            let rule = v
                .get("SamplingRule")?
                .get("ServiceName")?
                .as_str()?
                .to_string();
            Some((f.path.clone(), rule))
        })
        .collect();
    if rules.is_empty() {
        return Outcome::skipped("no sampling rule in aws/json/ or backend-flask/aws/json/");
    }
    let wrong = rules
        .iter()
        .filter(|(_, rule)| !wildcard_match(rule, &name))
        .map(|(path, rule)| {
            Outcome::error(
                format!("{path}: the sampling rule is for ServiceName \"{rule}\", but segments are named \"{name}\" ({at}): the rule never applies"),
                format!("set its ServiceName to \"{name}\" and update the rule"),
            )
            .repaired_by(Repair::new(path, Fix::RuleServiceName { name: name.clone() }))
        })
        .collect();
    Outcome::each(
        wrong,
        Outcome::ok(format!(
            "the sampling rule applies to the segments, named \"{name}\" ({at})"
        )),
    )
}

/// X-Ray's wildcards: `*` any characters, `?` one.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn go(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some(('?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(&p, &n)
}

/// The text of each `CloudWatchLogHandler(...)` call, with its file and line.
fn watchtower_calls(w: &Workspace) -> Vec<(String, String)> {
    let mut calls = Vec::new();
    for f in &w.python {
        let lines: Vec<(usize, &str)> = code_lines(f).collect();
        for (i, (n, line)) in lines.iter().enumerate() {
            if line.contains("CloudWatchLogHandler(") {
                let mut text = String::new();
                let mut depth = 0i32;
                for (_, l) in &lines[i..] {
                    // Without its comment: a remark such as "# not log_group=" is no argument.
                    let l = l.split('#').next().unwrap_or("");
                    text.push_str(l);
                    text.push('\n');
                    depth += l.matches('(').count() as i32 - l.matches(')').count() as i32;
                    if depth <= 0 {
                        break;
                    }
                }
                calls.push((format!("{}:{n}", f.path), text));
            }
        }
    }
    calls
}

/// The keyword arguments given to a call itself, not to calls nested in it:
/// `f(a=1, b=g(c=2))` gives a and b.
fn top_level_keywords(call: &str) -> Vec<String> {
    let Some(open) = call.find('(') else {
        return vec![];
    };
    let mut depth = 0;
    let mut keywords = Vec::new();
    let mut word = String::new();
    let chars: Vec<char> = call[open..].chars().collect();
    for (i, c) in chars.iter().enumerate() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
        if depth == 1 && (c.is_alphanumeric() || *c == '_') {
            word.push(*c);
            continue;
        }
        if depth == 1 && *c == '=' && chars.get(i + 1) != Some(&'=') && !word.is_empty() {
            keywords.push(word.clone());
        }
        if !c.is_whitespace() {
            word.clear();
        }
        if depth == 0 && i > 0 {
            break;
        }
    }
    keywords
}

fn watchtower_args(w: &Workspace, _: &Probes) -> Outcome {
    let calls: Vec<(String, String, Vec<String>)> = watchtower_calls(w)
        .into_iter()
        .map(|(at, call)| {
            let k = top_level_keywords(&call);
            (at, call, k)
        })
        .collect();
    if calls.is_empty() {
        return Outcome::skipped("no watchtower handler in the backend");
    }
    let has = |keywords: &[String], k: &str| keywords.iter().any(|x| x == k);
    let mut found = Vec::new();
    for (at, text, keywords) in &calls {
        let path = at.rsplit_once(':').map_or(at.as_str(), |(p, _)| p);
        if has(keywords, "region_name") {
            found.push(Outcome::error(
                format!("{at} passes region_name= to watchtower, which is not one of its arguments: the app dies at start-up"),
                "pass a client instead: boto3_client=boto3.client(\"logs\", region_name=os.getenv(\"AWS_DEFAULT_REGION\"))",
            ));
        }
        if has(keywords, "log_group") {
            found.push(
                Outcome::warn(
                    format!("{at} uses log_group=, watchtower's old name for the argument"),
                    "use log_group_name=",
                )
                .repaired_by(Repair::new(path, Fix::LogGroupName)),
            );
        }
        if !text.replace(' ', "").contains("create_log_group=False") {
            found.push(Outcome::warn(
                format!("{at}: watchtower creates its log group at start-up, which needs logs:CreateLogGroup and leaves it without retention"),
                "pass create_log_group=False and create the group with `cruddur-obs logs create-log-group --log-group-name cruddur --retention-in-days 7`",
            ));
        }
    }
    Outcome::each(found, Outcome::ok("watchtower's arguments are right"))
}

fn request_log_level(w: &Workspace, _: &Probes) -> Outcome {
    if let Some(o) = no_backend(w) {
        return o;
    }
    let mut found = Vec::new();
    for f in &w.python {
        let lines: Vec<(usize, &str)> = code_lines(f).collect();
        for (i, (_, line)) in lines.iter().enumerate() {
            if !line.contains("after_request") {
                continue;
            }
            // The hook's body: the indented lines after its `def`.
            for (n, body) in lines[i + 1..]
                .iter()
                .skip_while(|(_, l)| !l.trim_start().starts_with("def "))
                .skip(1)
            {
                if !body.starts_with(' ') && !body.starts_with('\t') {
                    break;
                }
                if body.contains(".error(") {
                    found.push(
                        Outcome::warn(
                            format!("{}:{n} logs every request at ERROR: alarms and error counts fill with normal traffic", f.path),
                            "log requests with .info(...)",
                        )
                        .repaired_by(Repair::new(&f.path, Fix::RequestLogInfo)),
                    );
                }
            }
        }
    }
    Outcome::each(found, Outcome::ok("requests are not logged as errors"))
}

fn cors(w: &Workspace, _: &Probes) -> Outcome {
    let Some(f) = w
        .python
        .iter()
        .find(|f| code_lines(f).any(|(_, l)| l.contains("CORS(")))
    else {
        return Outcome::skipped("no CORS set-up in the backend");
    };
    let mut found: Vec<Outcome> = code_lines(f)
        .filter(|(_, l)| l.contains("GITPOD_WORKSPACE"))
        .map(|(n, _)| Outcome::error(
            format!("{}:{n} builds CORS origins from GITPOD_* variables: the frontend is refused on Codespaces and locally", f.path),
            "take the origins from FRONTEND_URL and BACKEND_URL, which compose sets for each host",
        ))
        .collect();
    let live = f.live.as_deref().unwrap_or(&f.text);
    // Edits still pending once traceparent is named: an allow_headers string, which flask-cors
    // matches as one header name, so "content-type,traceparent" matches no header at all.
    let pending: Vec<usize> = crate::edit::python::PythonFile::parse(&f.text)
        .map(|p| p.allow_trace_headers().0)
        .unwrap_or_default()
        .iter()
        .map(|e| crate::manifest::line_column(&f.text, e.range.start).0)
        .collect();
    if live.contains("traceparent") && !pending.is_empty() {
        for line in pending {
            found.push(
                Outcome::error(
                    format!("{}:{line}: allow_headers is one string of comma-separated names, but flask-cors matches a string as ONE header name: no header matches it, so the browser's preflight for traceparent is refused", f.path),
                    "make it a list: allow_headers=[\"content-type\", \"if-modified-since\", \"traceparent\", \"tracestate\"]",
                )
                .repaired_by(Repair::new(&f.path, Fix::CorsTraceHeaders)),
            );
        }
    } else if !live.contains("traceparent") {
        let at = code_lines(f)
            .find(|(_, l)| l.contains("CORS("))
            .map_or(f.path.clone(), |(n, _)| format!("{}:{n}", f.path));
        found.push(match w.frontend_traces() {
            Some(why) => Outcome::error(
                format!("{at}: CORS does not allow the traceparent header, and {why}: the browser's requests are refused or their traces stop at the backend"),
                "list \"traceparent\" and \"tracestate\" in allow_headers, as a list (flask-cors reads a string as one header name)",
            )
            .repaired_by(Repair::new(&f.path, Fix::CorsTraceHeaders)),
            None => Outcome::hint(
                format!("{at}: CORS does not allow the traceparent header; nothing in the frontend sends traces yet, so nothing breaks today"),
                "when the frontend starts tracing, list \"traceparent\" and \"tracestate\" in allow_headers, as a list (flask-cors reads a string as one header name)",
            ),
        });
    }
    Outcome::each(
        found,
        Outcome::ok("CORS allows traceparent, with origins from variables"),
    )
}

fn collector_exporter(w: &Workspace, _: &Probes) -> Outcome {
    let Some(f) = &w.collector else {
        return Outcome::skipped("no collector configuration");
    };
    let yaml = match f.yaml() {
        Ok(y) => y,
        Err(e) => {
            return Outcome::error(
                format!("the collector configuration is not valid YAML: {e}"),
                format!("fix {}", f.path),
            )
        }
    };
    let uses_logging = yaml
        .get("exporters")
        .and_then(|e| e.as_mapping())
        .is_some_and(|m| {
            m.keys().any(|k| {
                k.as_str()
                    .is_some_and(|k| k == "logging" || k.starts_with("logging/"))
            })
        });
    if uses_logging {
        return Outcome::error(
            format!("{} uses the logging exporter, which current collectors removed: the collector does not start", f.locate("logging").unwrap_or(f.path.clone())),
            "rename it to debug (exporters: debug: {verbosity: basic}) in the exporters and the pipeline",
        );
    }
    Outcome::ok("the collector's exporters exist in current releases")
}

/// Frontend services in compose: a name with "frontend" in it.
pub(super) fn frontends(w: &Workspace) -> Vec<String> {
    w.compose_services()
        .keys()
        .filter(|n| n.contains("frontend"))
        .cloned()
        .collect()
}

fn react_app_prefix(w: &Workspace, _: &Probes) -> Outcome {
    let fronts = frontends(w);
    if fronts.is_empty() {
        return Outcome::skipped("no frontend service in compose");
    }
    const NOT_FOR_THE_BROWSER: &[&str] = &[
        "NODE_ENV",
        "PORT",
        "HOST",
        "CHOKIDAR_USEPOLLING",
        "WATCHPACK_POLLING",
        "WDS_SOCKET_PORT",
        "BROWSER",
        "CI",
        "GENERATE_SOURCEMAP",
        "FAST_REFRESH",
    ];
    let mut found = Vec::new();
    for front in &fronts {
        for (name, value) in w.service_env(front) {
            if name.starts_with("REACT_APP_") || NOT_FOR_THE_BROWSER.contains(&name.as_str()) {
                continue;
            }
            let url = value.contains("://")
                || ["_URL", "_URI", "_ENDPOINT"]
                    .iter()
                    .any(|s| name.ends_with(s));
            let effect = if url {
                "the frontend's calls go to undefined/... instead of the URL".to_string()
            } else {
                format!("process.env.{name} is undefined in the frontend")
            };
            found.push(Outcome::error(
                format!("{front} sets {name}, which the browser never sees: create-react-app passes only REACT_APP_ variables, so {effect}"),
                format!("rename it REACT_APP_{name}, in compose and where the frontend reads it"),
            ));
        }
    }
    Outcome::each(
        found,
        Outcome::ok("the frontend's variables have the REACT_APP_ prefix"),
    )
}

fn collector_depends_on(w: &Workspace, _: &Probes) -> Outcome {
    let services = w.compose_services();
    let Some(collector) = w.collector_service() else {
        return Outcome::skipped("no collector service in compose");
    };
    let mut found = Vec::new();
    for front in frontends(w) {
        let depends = services.get(&front).and_then(|s| s.get("depends_on"));
        let listed = match depends {
            Some(serde_yaml_ng::Value::Sequence(items)) => {
                items.iter().any(|i| i.as_str() == Some(collector.as_str()))
            }
            Some(serde_yaml_ng::Value::Mapping(m)) => {
                m.keys().any(|k| k.as_str() == Some(collector.as_str()))
            }
            _ => false,
        };
        if !listed {
            found.push(Outcome::error(
                format!("{front} does not depend on {collector}: it can start first and lose its first spans"),
                format!("add to {front}: depends_on: [{collector}]"),
            ));
        }
    }
    Outcome::each(
        found,
        Outcome::ok(format!("the frontend starts after {collector}")),
    )
}

fn compose_parses(w: &Workspace, _: &Probes) -> Outcome {
    if w.compose.is_empty() {
        return Outcome::skipped("no compose file");
    }
    let found = w
        .compose
        .iter()
        .filter_map(|f| f.yaml().err().map(|e| (f, e)))
        .map(|(f, e)| {
            Outcome::error(
                format!("not valid YAML: {e}"),
                format!("fix {} at that line", f.path),
            )
        })
        .collect();
    let names: Vec<&str> = w.compose.iter().map(|f| f.path.as_str()).collect();
    Outcome::each(
        found,
        Outcome::ok(format!(
            "{} parse{}",
            names.join(" and "),
            if names.len() == 1 { "s" } else { "" }
        )),
    )
}

fn gitpod_ports(w: &Workspace, _: &Probes) -> Outcome {
    let Some(f) = &w.gitpod else {
        return Outcome::skipped("no .gitpod.yml");
    };
    let yaml = match f.yaml() {
        Ok(y) => y,
        Err(e) => {
            return Outcome::error(
                format!(".gitpod.yml is not valid YAML: {e}"),
                "fix it at that line",
            )
        }
    };
    let ports = yaml
        .get("ports")
        .and_then(|p| p.as_sequence())
        .cloned()
        .unwrap_or_default();
    let number = |p: &serde_yaml_ng::Value| {
        p.get("port").and_then(|v| {
            v.as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        })
    };
    // The line of a port's entry, for people.
    let line_of = |port: u16| {
        let re = regex_lite::Regex::new(&format!(r#"^\s*-?\s*port:\s*["']?{port}["']?\s*(#.*)?$"#))
            .expect("valid pattern");
        f.lines()
            .find(|(_, l)| re.is_match(l))
            .map_or(f.path.clone(), |(n, _)| format!("{}:{n}", f.path))
    };
    let mut found = Vec::new();
    for p in &ports {
        let Some(port) = number(p) else { continue };
        if [3000, 4567, 2000, 4318].contains(&port)
            && p.get("visibility").and_then(|v| v.as_str()) != Some("public")
        {
            found.push(
                Outcome::error(
                    format!(
                        "{} leaves port {port} private: the browser cannot reach {}",
                        line_of(port),
                        match port {
                            3000 => "the frontend",
                            4318 => "the collector",
                            2000 => "the X-Ray daemon",
                            _ => "the backend",
                        }
                    ),
                    format!("set visibility: public on it (or: gp ports visibility {port}:public)"),
                )
                .repaired_by(Repair::new(
                    &f.path,
                    Fix::GitpodPortsPublic { ports: vec![port] },
                )),
            );
        }
    }
    // A collector for the frontend is new to the workspace: Gitpod keeps an unlisted port private.
    if let Some(why) = w
        .frontend_traces()
        .filter(|_| w.collector_service().is_some() || w.collector.is_some())
    {
        if !ports.iter().any(|p| number(p) == Some(4318)) {
            found.push(
                Outcome::error(
                    format!("{}: port 4318 is not listed, so Gitpod keeps it private, but {why}: the browser's spans never reach it", f.path),
                    "list it with visibility: public (or: gp ports visibility 4318:public)",
                )
                .repaired_by(Repair::new(&f.path, Fix::GitpodPortsPublic { ports: vec![4318] })),
            );
        }
    }
    Outcome::each(found, Outcome::ok("the app's ports are public"))
}

#[cfg(test)]
mod tests {
    use super::top_level_keywords;

    #[test]
    fn keywords_of_the_call_itself() {
        let call = "watchtower.CloudWatchLogHandler(\n    log_group_name='cruddur',\n    boto3_client=boto3.client('logs', region_name=os.getenv('R')),\n    create_log_group=False)";
        assert_eq!(
            top_level_keywords(call),
            ["log_group_name", "boto3_client", "create_log_group"]
        );
        assert_eq!(
            top_level_keywords("CloudWatchLogHandler(log_group='x', region_name='y')"),
            ["log_group", "region_name"]
        );
        assert_eq!(top_level_keywords("f(a == b, c=1)"), ["c"]);
    }
}
