//! The code and files of the workspace, scanned for the mistakes people made wiring it by hand.

use crate::doctor::probes::Probes;
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
    check("files.watchtower-args", watchtower_args),
    check("files.request-log-level", request_log_level),
    check("files.cors", cors),
    check("files.collector-exporter", collector_exporter),
    check("files.react-app-prefix", react_app_prefix),
    check("files.collector-depends-on", collector_depends_on),
    check("files.compose-parses", compose_parses),
    check("files.gitpod-ports", gitpod_ports),
];

/// Code lines, without comment lines: a commented-out mistake is no mistake.
fn code_lines(f: &File) -> impl Iterator<Item = (usize, &str)> {
    f.lines().filter(|(_, l)| !l.trim_start().starts_with('#'))
}

/// The first code line holding `needle` in any Python file, as `path:line`.
fn find_code(w: &Workspace, needle: &str, filter: impl Fn(&File) -> bool) -> Option<String> {
    w.python.iter().filter(|f| filter(f)).find_map(|f| {
        code_lines(f)
            .find(|(_, l)| l.contains(needle))
            .map(|(n, _)| format!("{}:{n}", f.path))
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
    match find_code(w, "before_first_request", |_| true) {
        Some(at) => Outcome::error(
            format!("{at} uses @app.before_first_request, which Flask 2.3 removed: the app dies at import"),
            "init Rollbar inside `with app.app_context():` right after creating the app",
        ),
        None => Outcome::ok("no before_first_request"),
    }
}

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
    if flask {
        Outcome::error(
            format!("{finding}: every rebuild takes the newest Flask, which removed APIs this setup used"),
            "pin exact versions (flask==3.1.3 ...); cruddur-obs init writes a set proven to work together",
        )
    } else {
        Outcome::warn(
            finding,
            "pin exact versions (package==x.y.z) so a rebuild gets what was tested",
        )
    }
}

fn in_services(f: &File) -> bool {
    f.path.contains("/services/")
}

fn segment_in_service(w: &Workspace, _: &Probes) -> Outcome {
    if let Some(o) = no_backend(w) {
        return o;
    }
    if let Some(at) = find_code(w, "begin_segment(", in_services) {
        return Outcome::error(
            format!("{at} begins a segment inside a service, replacing the request's segment"),
            "use `with xray_recorder.in_subsegment(\"name\") as sub:` inside a request",
        );
    }
    // At module level (no indentation) the code runs at import, outside any request.
    let outside = w.python.iter().find_map(|f| {
        code_lines(f)
            .find(|(_, l)| {
                l.contains("begin_subsegment(") && !l.starts_with(' ') && !l.starts_with('\t')
            })
            .map(|(n, _)| format!("{}:{n}", f.path))
    });
    if let Some(at) = outside {
        return Outcome::error(
            format!("{at} begins a subsegment outside any request: there is no segment, and put_metadata then fails on None"),
            "use `with xray_recorder.in_subsegment(\"name\") as sub:` (or @xray_recorder.capture) under XRayMiddleware",
        );
    }
    Outcome::ok("subsegments only through in_subsegment/capture")
}

fn subsegment_ended_twice(w: &Workspace, _: &Probes) -> Outcome {
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
                if count == 2 {
                    return Outcome::error(
                        format!("{}:{n} ends a subsegment a second time (the function at line {function_start} already ended it)", f.path),
                        "end it once: use `with xray_recorder.in_subsegment(...)`, which ends it for you",
                    );
                }
            }
        }
    }
    Outcome::ok("no subsegment is ended twice")
}

fn middleware_order(w: &Workspace, _: &Probes) -> Outcome {
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
    match found.iter().find(|(_, f)| f.contains("://")) {
        Some((path, filter)) => Outcome::error(
            format!("{path}: the group filter {filter} holds a URL; segment names never have a scheme, so it matches nothing"),
            format!("filter on the service name: service(\"{}\") {{fault OR error}}", w.manifest.workspace.service),
        ),
        None => Outcome::ok("group filters name services, not URLs"),
    }
}

fn dynamic_naming(w: &Workspace, _: &Probes) -> Outcome {
    if let Some(o) = no_backend(w) {
        return o;
    }
    let Some(at) = find_code(w, "dynamic_naming", |_| true) else {
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
    for (at, _, keywords) in &calls {
        if has(keywords, "region_name") {
            return Outcome::error(
                format!("{at} passes region_name= to watchtower, which is not one of its arguments: the app dies at start-up"),
                "pass a client instead: boto3_client=boto3.client(\"logs\", region_name=os.getenv(\"AWS_DEFAULT_REGION\"))",
            );
        }
    }
    for (at, text, keywords) in &calls {
        if has(keywords, "log_group") {
            return Outcome::warn(
                format!("{at} uses log_group=, watchtower's old name for the argument"),
                "use log_group_name=",
            );
        }
        if !text.replace(' ', "").contains("create_log_group=False") {
            return Outcome::warn(
                format!("{at}: watchtower creates its log group at start-up, which needs logs:CreateLogGroup and leaves it without retention"),
                "pass create_log_group=False and create the group with cruddur-obs logs create-log-group --retention-in-days 7",
            );
        }
    }
    Outcome::ok("watchtower's arguments are right")
}

fn request_log_level(w: &Workspace, _: &Probes) -> Outcome {
    if let Some(o) = no_backend(w) {
        return o;
    }
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
                if !body.starts_with(' ') && !body.starts_with('\t') && !body.trim().is_empty() {
                    break;
                }
                if body.contains(".error(") {
                    return Outcome::warn(
                        format!("{}:{n} logs every request at ERROR: alarms and error counts fill with normal traffic", f.path),
                        "log requests with .info(...)",
                    );
                }
            }
        }
    }
    Outcome::ok("requests are not logged as errors")
}

fn cors(w: &Workspace, _: &Probes) -> Outcome {
    let Some(f) = w
        .python
        .iter()
        .find(|f| code_lines(f).any(|(_, l)| l.contains("CORS(")))
    else {
        return Outcome::skipped("no CORS set-up in the backend");
    };
    if let Some((n, _)) = code_lines(f).find(|(_, l)| l.contains("GITPOD_WORKSPACE")) {
        return Outcome::error(
            format!("{}:{n} builds CORS origins from GITPOD_* variables: the frontend is refused on Codespaces and locally", f.path),
            "take the origins from FRONTEND_URL and BACKEND_URL, which compose sets for each host",
        );
    }
    if !f.text.contains("traceparent") {
        return Outcome::error(
            format!("{}: CORS does not allow the traceparent header, so traces started in the browser stop at the backend", f.path),
            "add \"traceparent\" (and \"tracestate\") to allow_headers",
        );
    }
    Outcome::ok("CORS allows traceparent, with origins from variables")
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
fn frontends(w: &Workspace) -> Vec<String> {
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
        "WDS_SOCKET_PORT",
        "BROWSER",
        "CI",
    ];
    for front in &fronts {
        let wrong: Vec<String> = w
            .service_env(front)
            .keys()
            .filter(|k| !k.starts_with("REACT_APP_") && !NOT_FOR_THE_BROWSER.contains(&k.as_str()))
            .cloned()
            .collect();
        if let Some(name) = wrong.first() {
            return Outcome::error(
                format!("{front} sets {name}, which the browser never sees: create-react-app passes only REACT_APP_ variables (the URL becomes undefined/...)"),
                format!("rename it REACT_APP_{name}, in compose and where the frontend reads it"),
            );
        }
    }
    Outcome::ok("the frontend's variables have the REACT_APP_ prefix")
}

fn collector_depends_on(w: &Workspace, _: &Probes) -> Outcome {
    let services = w.compose_services();
    let Some(collector) = services
        .iter()
        .find(|(n, s)| {
            n.contains("collector")
                || s.get("image")
                    .and_then(|i| i.as_str())
                    .is_some_and(|i| i.contains("opentelemetry-collector"))
        })
        .map(|(n, _)| n.clone())
    else {
        return Outcome::skipped("no collector service in compose");
    };
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
            return Outcome::error(
                format!("{front} does not depend on {collector}: it can start first and lose its first spans"),
                format!("add to {front}: depends_on: [{collector}]"),
            );
        }
    }
    Outcome::ok(format!("the frontend starts after {collector}"))
}

fn compose_parses(w: &Workspace, _: &Probes) -> Outcome {
    if w.compose.is_empty() {
        return Outcome::skipped("no compose file");
    }
    for f in &w.compose {
        if let Err(e) = f.yaml() {
            return Outcome::error(
                format!("not valid YAML: {e}"),
                format!("fix {} at that line", f.path),
            );
        }
    }
    let names: Vec<&str> = w.compose.iter().map(|f| f.path.as_str()).collect();
    Outcome::ok(format!(
        "{} parse{}",
        names.join(" and "),
        if names.len() == 1 { "s" } else { "" }
    ))
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
    let private: Vec<String> = ports
        .iter()
        .filter(|p| {
            let port = p
                .get("port")
                .map(|v| {
                    v.as_u64()
                        .map(|n| n.to_string())
                        .or_else(|| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                })
                .unwrap_or_default();
            ["3000", "4567", "2000", "4318"].contains(&port.as_str())
                && p.get("visibility").and_then(|v| v.as_str()) != Some("public")
        })
        .map(|p| {
            p.get("port")
                .map(|v| {
                    serde_yaml_ng::to_string(v)
                        .unwrap_or_default()
                        .trim()
                        .to_string()
                })
                .unwrap_or_default()
        })
        .collect();
    if !private.is_empty() {
        return Outcome::error(
            format!(".gitpod.yml leaves port{} {} private: the browser cannot reach the backend or the collector", if private.len() > 1 { "s" } else { "" }, private.join(", ")),
            "set visibility: public on each (or: gp ports visibility 4567:public)",
        );
    }
    Outcome::ok("the app's ports are public")
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
