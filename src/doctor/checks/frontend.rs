//! The frontend's browser tracing: OpenTelemetry JS in frontend-react-js/src/ and the collector
//! it sends to (otel-collector-config.yaml). JavaScript is read with tree-sitter, so code in a
//! comment is no code; a file with a syntax error is read as far as it parses.

use super::files::frontends;
use super::security::{honeycomb_shape, placeholder, standalone, HONEYCOMB_INGEST};
use crate::doctor::compose::Vars;
use crate::doctor::probes::Probes;
use crate::doctor::workspace::{File, Workspace};
use crate::doctor::{Check, Needs, Outcome, Section};
use crate::edit::javascript::{JsFile, Value};
use crate::manifest::Host;
use crate::secret::mask;

const fn check(name: &'static str, run: fn(&Workspace, &Probes) -> Outcome) -> Check {
    Check {
        name,
        section: Section::Frontend,
        needs: Needs::Nothing,
        run,
    }
}

/// The check that reports a Honeycomb key within the browser's reach; others point to it.
pub const HONEYCOMB_KEY: &str = "frontend.honeycomb-key";

pub const CHECKS: &[Check] = &[
    check(HONEYCOMB_KEY, honeycomb_key),
    check("frontend.propagate-cors-urls", propagate_cors_urls),
    check("frontend.exporter-url", exporter_url),
    check("frontend.otel-api", otel_api),
    check("frontend.collector-cors", collector_cors),
];

/// The collector's URL as the template's tracing module gives it to the exporter.
const EXPORTER_URL: &str = "url: `${process.env.REACT_APP_OTEL_COLLECTOR_URL}/v1/traces`";

/// The template's RegExp for the backend, on one line.
const BACKEND_PATTERN: &str = r"propagateTraceHeaderCorsUrls: [new RegExp('^' + process.env.REACT_APP_BACKEND_URL.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&') + '(/|$)')]";

/// One source file of the frontend, read as JavaScript.
struct Source<'w> {
    file: &'w File,
    js: JsFile,
}

impl Source<'_> {
    fn at(&self, line: usize) -> String {
        format!("{}:{line}", self.file.path)
    }

    /// Whether it loads OpenTelemetry: then it is a tracing module.
    fn traces(&self) -> bool {
        self.js
            .modules()
            .iter()
            .any(|(m, _)| m.starts_with("@opentelemetry/"))
    }
}

fn sources(w: &Workspace) -> Vec<Source<'_>> {
    w.frontend
        .iter()
        .map(|file| Source {
            file,
            js: JsFile::parse_lenient(&file.text).0,
        })
        .collect()
}

/// The frontend's tracing modules, or why there is nothing to check.
fn tracing(w: &Workspace) -> Result<Vec<Source<'_>>, Outcome> {
    if w.frontend.is_empty() {
        return Err(Outcome::skipped("no frontend-react-js/src here"));
    }
    let modules: Vec<Source> = sources(w).into_iter().filter(Source::traces).collect();
    if modules.is_empty() {
        return Err(Outcome::skipped(
            "no tracing module: nothing in frontend-react-js/src imports @opentelemetry/",
        ));
    }
    Ok(modules)
}

/// Where the workspace runs: the manifest's host, the one doctor runs on, or for a repository
/// wired by hand and checked elsewhere, the one its compose files are written for.
fn host(w: &Workspace) -> Host {
    let host = w.manifest.workspace.host;
    if w.has_manifest || host != Host::Local {
        return host;
    }
    let live = |needle: &str| {
        w.compose
            .iter()
            .any(|f| f.code_lines().any(|(_, l)| l.contains(needle)))
    };
    if live("GITPOD_WORKSPACE_ID") {
        Host::Gitpod
    } else if live("CODESPACE_NAME") {
        Host::Codespaces
    } else {
        Host::Local
    }
}

fn host_name(host: Host) -> &'static str {
    match host {
        Host::Gitpod => "Gitpod",
        Host::Codespaces => "Codespaces",
        Host::Local => "this machine",
    }
}

/// The origin the browser gives the frontend's pages: the real one when the host's variables
/// are set, else a sample of the same shape (to match patterns against) and how to show it.
struct Origin {
    value: String,
    shown: String,
    /// The value as compose writes it for the host.
    compose: &'static str,
}

fn origin(w: &Workspace, host: Host) -> Origin {
    let var = |name: &str| w.var(name).map(str::to_string);
    match host {
        Host::Gitpod => {
            let compose = "https://3000-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}";
            match (
                var("GITPOD_WORKSPACE_ID"),
                var("GITPOD_WORKSPACE_CLUSTER_HOST"),
            ) {
                (Some(id), Some(cluster)) => {
                    let value = format!("https://3000-{id}.{cluster}");
                    Origin {
                        shown: value.clone(),
                        value,
                        compose,
                    }
                }
                _ => Origin {
                    value: "https://3000-cruddur-0a1b2c3d4e5.ws-us110.gitpod.io".into(),
                    shown: "https://3000-<workspace id>.<cluster host>".into(),
                    compose,
                },
            }
        }
        Host::Codespaces => {
            let compose =
                "https://${CODESPACE_NAME}-3000.${GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN}";
            let domain =
                var("GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN").unwrap_or("app.github.dev".into());
            match var("CODESPACE_NAME") {
                Some(name) => {
                    let value = format!("https://{name}-3000.{domain}");
                    Origin {
                        shown: value.clone(),
                        value,
                        compose,
                    }
                }
                None => Origin {
                    value: format!("https://cruddur-x7g5q9rw-3000.{domain}"),
                    shown: format!("https://<codespace name>-3000.{domain}"),
                    compose,
                },
            }
        }
        Host::Local => Origin {
            value: "http://localhost:3000".into(),
            shown: "http://localhost:3000".into(),
            compose: "http://localhost:3000",
        },
    }
}

/// A CORS origin pattern as the collector reads it: `*` stands for any characters, case does
/// not count.
fn origin_matches(pattern: &str, origin: &str) -> bool {
    let p: Vec<char> = pattern.trim().to_lowercase().chars().collect();
    let o: Vec<char> = origin.to_lowercase().chars().collect();
    fn go(p: &[char], o: &[char]) -> bool {
        match p.split_first() {
            None => o.is_empty(),
            Some(('*', rest)) => (0..=o.len()).any(|i| go(rest, &o[i..])),
            Some((c, rest)) => o.first() == Some(c) && go(rest, &o[1..]),
        }
    }
    go(&p, &o)
}

/// At most `n` characters of `text`, with … when cut.
fn clip(text: &str, n: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        format!("{}…", one_line.chars().take(n).collect::<String>())
    }
}

// --- frontend.honeycomb-key -------------------------------------------------------------------

/// Every Honeycomb ingest key in `text`, wherever it sits.
fn ingest_keys(text: &str) -> Vec<String> {
    let re = regex_lite::Regex::new(HONEYCOMB_INGEST).expect("valid pattern");
    re.find_iter(text)
        .filter(|m| standalone(text, m.start(), m.end()))
        .map(|m| m.as_str().to_string())
        .filter(|k| !placeholder(&k[6..]))
        .collect()
}

/// A variable name that holds a Honeycomb key: REACT_APP_HONEYCOMB_API_KEY and the like.
fn key_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.contains("HONEYCOMB")
        && ["KEY", "TEAM", "TOKEN", "SECRET"]
            .iter()
            .any(|w| upper.contains(w))
}

/// Honeycomb's API host in a URL: api.honeycomb.io, api.eu1.honeycomb.io.
fn honeycomb_api(text: &str) -> Option<String> {
    let re =
        regex_lite::Regex::new(r"(?i)api(\.[a-z0-9-]+)?\.honeycomb\.io").expect("valid pattern");
    re.find(text).map(|m| m.as_str().to_string())
}

const HEADER: &str = "x-honeycomb-team";

fn honeycomb_key(w: &Workspace, _: &Probes) -> Outcome {
    let fronts = frontends(w);
    if w.frontend.is_empty() && fronts.is_empty() {
        return Outcome::skipped("no frontend-react-js/src and no frontend service in compose");
    }
    let in_source = format!(
        "remove it from the frontend: the exporter sends to the collector ({EXPORTER_URL}), whose config adds x-honeycomb-team; then rotate the key in Honeycomb, since it was public"
    );
    let mut found: Vec<Outcome> = Vec::new();
    for s in sources(w) {
        // One finding a line: the most telling comes first.
        let mut lines: Vec<(usize, Outcome)> = Vec::new();
        let mut add = |line: usize, o: Outcome| {
            if !lines.iter().any(|(l, _)| *l == line) {
                lines.push((line, o));
            }
        };
        for header in [HEADER, "X-Honeycomb-Team", "X-HONEYCOMB-TEAM"] {
            let places = s.js.properties(header);
            for (place, value) in places.iter().zip(s.js.property_values(header)) {
                let with = match value.kind.as_str() {
                    "string" | "template_string" => {
                        let v = value.text.trim_matches(['\'', '"', '`']);
                        if honeycomb_shape(v) || !ingest_keys(v).is_empty() {
                            format!(" to a Honeycomb key ({})", mask(v))
                        } else {
                            String::new()
                        }
                    }
                    "member_expression" if value.text.starts_with("process.env.") => {
                        format!(" from {}", value.text)
                    }
                    _ => String::new(),
                };
                add(
                    place.line,
                    Outcome::error(
                        format!(
                            "{} sets the x-honeycomb-team header in the browser{with}: create-react-app builds it into the public bundle, where anyone who opens the site reads the Honeycomb key",
                            s.at(place.line)
                        ),
                        in_source.clone(),
                    ),
                );
            }
        }
        for method in ["set", "append", "setRequestHeader"] {
            for call in s.js.method_calls(method) {
                let named = call.arguments.first().is_some_and(|a| {
                    a.kind == "string"
                        && a.text
                            .trim_matches(['\'', '"'])
                            .eq_ignore_ascii_case(HEADER)
                });
                if named {
                    add(
                        call.line,
                        Outcome::error(
                            format!(
                                "{} sets the x-honeycomb-team header in the browser: the Honeycomb key is then in the public bundle",
                                s.at(call.line)
                            ),
                            in_source.clone(),
                        ),
                    );
                }
            }
        }
        for lit in s.js.strings() {
            let owner = lit.owner.as_deref().unwrap_or("");
            let keys = ingest_keys(&lit.value);
            let assigned = (owner.to_ascii_lowercase().contains("honeycomb")
                || owner.eq_ignore_ascii_case(HEADER))
                && honeycomb_shape(&lit.value)
                && !placeholder(&lit.value);
            let kind = if !keys.is_empty() {
                Some(("a Honeycomb ingest key", keys[0].clone()))
            } else if assigned {
                Some(("a Honeycomb API key", lit.value.clone()))
            } else {
                None
            };
            if let Some((kind, key)) = kind {
                add(
                    lit.line,
                    Outcome::error(
                        format!(
                            "{} holds {kind} ({}): create-react-app builds it into the public bundle, where anyone who opens the site reads it",
                            s.at(lit.line),
                            mask(&key)
                        ),
                        in_source.clone(),
                    ),
                );
            } else if let Some(api) = honeycomb_api(&lit.value) {
                add(
                    lit.line,
                    Outcome::error(
                        format!(
                            "{} sends the browser's spans straight to Honeycomb ({api}): that needs the key in the browser, where anyone who opens the site reads it",
                            s.at(lit.line)
                        ),
                        format!(
                            "send to the collector instead ({EXPORTER_URL}), which adds the key; if the key was ever in the frontend, rotate it in Honeycomb"
                        ),
                    ),
                );
            }
        }
        for (name, line) in s.js.env_reads() {
            if key_name(&name) {
                add(
                    line,
                    Outcome::error(
                        format!(
                            "{} reads process.env.{name} in the browser: create-react-app writes its value, the Honeycomb key, into the public bundle",
                            s.at(line)
                        ),
                        in_source.clone(),
                    ),
                );
            }
        }
        lines.sort_by_key(|(l, _)| *l);
        found.extend(lines.into_iter().map(|(_, o)| o));
    }
    let vars = Vars::new(w);
    for front in &fronts {
        for (name, value) in w.service_env(front) {
            if !name.starts_with("REACT_APP_") {
                continue;
            }
            let at = vars
                .service_var(front, &name)
                .map(|v| v.at())
                .or_else(|| w.compose.first().map(|f| f.path.clone()))
                .unwrap_or_default();
            let referenced = value.contains("HONEYCOMB_API_KEY");
            let literal = ingest_keys(&value).into_iter().next().or_else(|| {
                (key_name(&name) && honeycomb_shape(&value) && !placeholder(&value))
                    .then(|| value.clone())
            });
            let header = value.to_ascii_lowercase().contains(HEADER);
            if key_name(&name) || referenced || literal.is_some() || header {
                let from = match (&literal, referenced) {
                    (Some(key), _) => format!(" = a Honeycomb key ({})", mask(key)),
                    (None, true) => " from HONEYCOMB_API_KEY".to_string(),
                    (None, false) => String::new(),
                };
                found.push(Outcome::error(
                    format!(
                        "{at} gives {front} {name}{from}: create-react-app writes every REACT_APP_ value into the public bundle, so anyone who opens the site reads the Honeycomb key"
                    ),
                    format!(
                        "remove {name} from {front}: the frontend needs only REACT_APP_OTEL_COLLECTOR_URL, and the collector gets HONEYCOMB_API_KEY; then rotate the key in Honeycomb, since it was public"
                    ),
                ));
            } else if let Some(api) = honeycomb_api(&value) {
                found.push(Outcome::error(
                    format!(
                        "{at} points {front}'s {name} at Honeycomb ({api}): the browser would send straight to Honeycomb, which needs the key in the public bundle"
                    ),
                    "point the frontend at the collector (REACT_APP_OTEL_COLLECTOR_URL: its URL on port 4318), which adds the key",
                ));
            }
        }
    }
    Outcome::each(
        found,
        Outcome::ok("no Honeycomb key within the browser's reach: not in frontend-react-js/src, not in the frontend's REACT_APP_ variables"),
    )
}

// --- frontend.propagate-cors-urls -------------------------------------------------------------

/// The parts of a value that are strings when the page runs: literals, `process.env.X`,
/// concatenations; RegExps and calls are not.
fn strings_in<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v.kind.as_str() {
        "string" | "template_string" => out.push(v),
        "member_expression" if v.text.replace(' ', "").starts_with("process.env.") => out.push(v),
        "binary_expression" if v.operator.as_deref() == Some("+") => {
            let mut inner = Vec::new();
            for p in &v.parts {
                strings_in(p, &mut inner);
            }
            if !inner.is_empty() {
                out.push(v);
            }
        }
        "binary_expression" | "array" | "ternary_expression" => {
            for p in &v.parts {
                strings_in(p, out);
            }
        }
        _ => {}
    }
}

fn propagate_cors_urls(w: &Workspace, _: &Probes) -> Outcome {
    let modules = match tracing(w) {
        Ok(m) => m,
        Err(o) => return o,
    };
    let mut found = Vec::new();
    let mut given = Vec::new();
    for s in &modules {
        for v in s.js.property_values("propagateTraceHeaderCorsUrls") {
            given.push(s.at(v.line));
            let mut strings = Vec::new();
            strings_in(&v, &mut strings);
            for string in strings {
                found.push(Outcome::error(
                    format!(
                        "{} gives propagateTraceHeaderCorsUrls a string ({}): a string must equal a request's whole URL, so a base URL matches no request and traceparent never reaches the backend, whose spans then start traces of their own",
                        s.at(string.line),
                        clip(&string.text, 60)
                    ),
                    format!("use a RegExp built from REACT_APP_BACKEND_URL: {BACKEND_PATTERN}"),
                ));
            }
        }
        for class in ["FetchInstrumentation", "XMLHttpRequestInstrumentation"] {
            for c in s.js.constructed(class) {
                let given = c.arguments.first().is_some_and(|a| {
                    a.kind != "object"
                        || a.field("propagateTraceHeaderCorsUrls").is_some()
                        || a.field("...").is_some()
                });
                if !given {
                    found.push(Outcome::warn(
                        format!(
                            "{} makes {class} without propagateTraceHeaderCorsUrls: the backend is another origin, so its requests carry no traceparent and the backend's spans start traces of their own",
                            s.at(c.line)
                        ),
                        format!("add {BACKEND_PATTERN}"),
                    ));
                }
            }
        }
    }
    if found.is_empty() && given.is_empty() {
        return Outcome::skipped(
            "the tracing module instruments no requests (no FetchInstrumentation or XMLHttpRequestInstrumentation)",
        );
    }
    Outcome::each(
        found,
        Outcome::ok(format!(
            "propagateTraceHeaderCorsUrls holds no plain string ({})",
            given.join(", ")
        )),
    )
}

// --- frontend.exporter-url --------------------------------------------------------------------

fn exporter_url(w: &Workspace, _: &Probes) -> Outcome {
    let modules = match tracing(w) {
        Ok(m) => m,
        Err(o) => return o,
    };
    let host = host(w);
    let fix = format!(
        "give it the collector's URL: new OTLPTraceExporter({{ {EXPORTER_URL} }}), with REACT_APP_OTEL_COLLECTOR_URL set for the frontend in compose"
    );
    let default = |at: String, how: &str| {
        match host {
        Host::Local => Outcome::warn(
            format!("{at} makes OTLPTraceExporter {how}: it then posts to http://localhost:4318/v1/traces, which works only while the browser and the collector run on this machine"),
            fix.clone(),
        ),
        _ => Outcome::error(
            format!(
                "{at} makes OTLPTraceExporter {how}: it then posts to http://localhost:4318/v1/traces, the user's own machine, not the collector in {}: no span arrives",
                host_name(host)
            ),
            fix.clone(),
        ),
    }
    };
    let fronts = frontends(w);
    let vars = Vars::new(w);
    let mut found = Vec::new();
    let mut seen = Vec::new();
    for s in &modules {
        for c in s.js.constructed("OTLPTraceExporter") {
            let at = s.at(c.line);
            let url = match c.arguments.first() {
                None => {
                    found.push(default(at, "without arguments"));
                    continue;
                }
                Some(a) if a.kind == "undefined" => {
                    found.push(default(at, "without arguments"));
                    continue;
                }
                Some(a) if a.kind == "object" && a.field("...").is_none() => match a.field("url") {
                    None => {
                        found.push(default(at, "with options but no url"));
                        continue;
                    }
                    Some(u) if u.kind == "undefined" => {
                        found.push(default(at, "with url: undefined"));
                        continue;
                    }
                    Some(u) => u,
                },
                // Options built elsewhere: not this check's to judge.
                Some(_) => continue,
            };
            seen.push(format!("{} ({at})", clip(&url.text, 70)));
            // The last literal piece of the URL, if it is written in the file.
            let tail = match url.kind.as_str() {
                "string" | "template_string" => Some(url),
                "binary_expression" if url.operator.as_deref() == Some("+") => url
                    .parts
                    .last()
                    .filter(|p| matches!(p.kind.as_str(), "string" | "template_string")),
                _ => None,
            };
            let text = url.text.trim_matches(['\'', '"', '`']);
            if honeycomb_api(text).is_some() {
                // frontend.honeycomb-key reports it.
                continue;
            }
            if let Some(tail) = tail {
                let written = tail.text.trim_matches(['\'', '"', '`']);
                if !written.ends_with("/v1/traces") {
                    found.push(Outcome::error(
                        format!("{at} gives OTLPTraceExporter the url {}: given a url, the exporter posts to exactly that URL, and without /v1/traces the collector answers 404", clip(&url.text, 70)),
                        format!("end the url with /v1/traces: {EXPORTER_URL}"),
                    ));
                    continue;
                }
            }
            let local = ["localhost", "127.0.0.1"].iter().any(|l| text.contains(l));
            if local && url.kind == "string" && host != Host::Local {
                found.push(Outcome::error(
                    format!(
                        "{at} gives OTLPTraceExporter the url {}: in {} the browser runs on the user's machine, where no collector listens",
                        clip(&url.text, 70),
                        host_name(host)
                    ),
                    fix.clone(),
                ));
                continue;
            }
            let env = url.text.replace(' ', "");
            if let Some(name) = env.strip_prefix("process.env.") {
                let set = fronts.iter().find_map(|f| {
                    let v = vars.service_var(f, name)?;
                    let at = v.at();
                    v.raw.map(|r| (r, at))
                });
                if let Some((raw, set_at)) = set {
                    if !raw.trim_end_matches('/').ends_with("/v1/traces") {
                        found.push(Outcome::error(
                            format!("{at} gives OTLPTraceExporter the url {}, which compose sets to {} ({set_at}): the exporter posts to exactly that URL, and without /v1/traces the collector answers 404", url.text, clip(&raw, 70)),
                            format!("end the url with /v1/traces: {EXPORTER_URL}"),
                        ));
                    }
                }
            }
        }
    }
    if found.is_empty() && seen.is_empty() {
        return Outcome::skipped("the tracing module makes no OTLPTraceExporter");
    }
    Outcome::each(
        found,
        Outcome::ok(format!("the exporter posts to {}", seen.join(", "))),
    )
}

// --- frontend.otel-api ------------------------------------------------------------------------

/// The release a version range in package.json installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Release {
    Major(u64),
    /// `latest`, `*`, `>=1.0.0`: the newest, 2.x or later.
    Newest,
}

impl Release {
    fn is_2x(self) -> bool {
        match self {
            Release::Major(m) => m >= 2,
            Release::Newest => true,
        }
    }
}

/// The release a range such as `^2.0.0`, `~2.1`, `2.12.0`, `>=1.9` or `latest` installs; None
/// for what is not a version (a path, a git URL).
fn release(range: &str) -> Option<Release> {
    let range = range.trim();
    let range = range
        .strip_prefix("npm:")
        .and_then(|r| r.rsplit_once('@').map(|(_, v)| v))
        .unwrap_or(range);
    if matches!(range, "" | "*" | "x" | "X" | "latest" | "next") {
        return Some(Release::Newest);
    }
    if range.starts_with('>') && !range.contains('<') && !range.contains("||") {
        return Some(Release::Newest);
    }
    let digits: String = range
        .trim_start_matches(['^', '~', '=', 'v', ' ', '<', '>'])
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok().map(Release::Major)
}

/// A package's range in package.json: (range, `path:line`).
fn pinned(pkg: &File, json: &serde_json::Value, name: &str) -> Option<(String, Release, String)> {
    ["dependencies", "devDependencies"]
        .iter()
        .find_map(|group| {
            let range = json.get(group)?.get(name)?.as_str()?;
            let at = pkg
                .locate(&format!("\"{name}\""))
                .unwrap_or(pkg.path.clone());
            Some((range.to_string(), release(range)?, at))
        })
}

fn otel_api(w: &Workspace, _: &Probes) -> Outcome {
    let modules = match tracing(w) {
        Ok(m) => m,
        Err(o) => return o,
    };
    let Some(pkg) = &w.frontend_package else {
        return Outcome::skipped(
            "no frontend-react-js/package.json: the OpenTelemetry packages' versions are unknown",
        );
    };
    let json: serde_json::Value = match serde_json::from_str(&pkg.text) {
        Ok(j) => j,
        Err(e) => {
            return Outcome::skipped(format!(
                "{}:{} is not valid JSON ({e}): the versions are unknown",
                pkg.path,
                e.line()
            ))
        }
    };
    let web = pinned(pkg, &json, "@opentelemetry/sdk-trace-web")
        .map(|p| ("@opentelemetry/sdk-trace-web", p));
    let base = pinned(pkg, &json, "@opentelemetry/sdk-trace-base")
        .map(|p| ("@opentelemetry/sdk-trace-base", p));
    let resources =
        pinned(pkg, &json, "@opentelemetry/resources").map(|p| ("@opentelemetry/resources", p));
    // The SDK brings @opentelemetry/resources of its own major along.
    let tracer = web.or(base);
    let resource = resources.clone().or(tracer.clone());
    let Some(shown) = tracer.clone().or(resource.clone()) else {
        return Outcome::skipped(format!(
            "{} lists none of @opentelemetry/sdk-trace-web, sdk-trace-base or resources",
            pkg.path
        ));
    };
    let describe = |(name, (range, release, at)): &(&str, (String, Release, String))| {
        let installs = match release {
            Release::Newest => ", which installs the newest, 2.x",
            _ => "",
        };
        format!("{name} {range} at {at}{installs}")
    };
    let mut found = Vec::new();
    for s in &modules {
        if let Some(t) = tracer.as_ref().filter(|(_, (_, r, _))| r.is_2x()) {
            for call in s.js.member_calls("addSpanProcessor") {
                found.push(Outcome::error(
                    format!(
                        "{} calls {}.addSpanProcessor(...), which the 2.x SDK removed ({}): the page throws TypeError: {}.addSpanProcessor is not a function at load, and nothing is traced",
                        s.at(call.line),
                        clip(&call.object, 40),
                        describe(t),
                        clip(&call.object, 40)
                    ),
                    "give the processors to the constructor: new WebTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] }), and drop the addSpanProcessor call",
                ));
            }
        }
        if let Some(r) = resource.as_ref().filter(|(_, (_, r, _))| r.is_2x()) {
            for c in s.js.constructions("Resource") {
                found.push(Outcome::error(
                    format!(
                        "{} calls new Resource(...), which @opentelemetry/resources 2.x no longer exports ({}): the page throws TypeError: Resource is not a constructor at load, and nothing is traced",
                        s.at(c.line),
                        describe(r)
                    ),
                    "use resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'frontend-react-js' }), imported from @opentelemetry/resources",
                ));
            }
        }
    }
    let api = if shown.1 .1.is_2x() { "2.x" } else { "1.x" };
    Outcome::each(
        found,
        Outcome::ok(format!(
            "the tracing module uses the API of the {api} packages it installs ({})",
            describe(&shown)
        )),
    )
}

// --- frontend.collector-cors ------------------------------------------------------------------

/// `${env:NAME}` or `${NAME}` (with any `:-default`) in a collector setting.
fn references(text: &str) -> Vec<String> {
    let re = regex_lite::Regex::new(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")
        .expect("valid pattern");
    re.captures_iter(text).map(|c| c[1].to_string()).collect()
}

fn collector_cors(w: &Workspace, _: &Probes) -> Outcome {
    let Some(f) = &w.collector else {
        return Outcome::skipped("no collector configuration (otel-collector-config.yaml)");
    };
    let Ok(yaml) = f.yaml() else {
        return Outcome::skipped(format!(
            "{} is not valid YAML (see files.collector-exporter)",
            f.path
        ));
    };
    let place = |keys: &[&str]| f.locate_key(keys).unwrap_or(f.path.clone());
    let receivers: Vec<(String, &serde_yaml_ng::Value)> = yaml
        .get("receivers")
        .and_then(|r| r.as_mapping())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v)))
                .filter(|(k, _)| k == "otlp" || k.starts_with("otlp/"))
                .collect()
        })
        .unwrap_or_default();
    let add_receiver = "add receivers: otlp: protocols: http: {endpoint: 0.0.0.0:4318, cors: {allowed_origins: [\"${env:FRONTEND_URL}\"]}} and list otlp in the traces pipeline";
    if receivers.is_empty() {
        return Outcome::error(
            format!(
                "{} has no otlp receiver: the browser's spans (OTLP over HTTP, port 4318) have nowhere to arrive",
                place(&["receivers"])
            ),
            add_receiver,
        );
    }
    let host = host(w);
    let origin = origin(w, host);
    let browser = !w.frontend.is_empty() || !frontends(w).is_empty();
    let service = w.collector_service();
    let vars = Vars::new(w);
    let mut found = Vec::new();
    let mut admitted = Vec::new();
    for (name, receiver) in &receivers {
        let keys = |more: &[&'static str]| {
            let mut k = vec!["receivers", name.as_str(), "protocols"];
            k.extend_from_slice(more);
            k
        };
        let Some(http) = receiver
            .get("protocols")
            .and_then(|p| p.as_mapping())
            .and_then(|p| p.get("http"))
        else {
            found.push(Outcome::error(
                format!(
                    "{}: the {name} receiver has no http protocol: browsers send OTLP over HTTP (port 4318), never gRPC",
                    place(&keys(&[]))
                ),
                "add http: {endpoint: 0.0.0.0:4318, cors: {allowed_origins: [\"${env:FRONTEND_URL}\"]}} under protocols",
            ));
            continue;
        };
        let endpoint = http.get("endpoint").and_then(|e| e.as_str());
        let local = endpoint.is_some_and(|e| {
            let host = e.rsplit_once(':').map_or(e, |(h, _)| h).trim();
            matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1")
        });
        match endpoint {
            None => found.push(Outcome::error(
                format!(
                    "{}: the {name} receiver's http protocol has no endpoint, and current collectors then listen on localhost:4318 inside their container: neither the browser nor the other containers reach it",
                    place(&keys(&["http"]))
                ),
                "set endpoint: 0.0.0.0:4318 under http",
            )),
            Some(e) if local => found.push(Outcome::error(
                format!(
                    "{}: the {name} receiver listens on {e}, inside the collector's container only: neither the browser nor the other containers reach it",
                    place(&keys(&["http", "endpoint"]))
                ),
                "set endpoint: 0.0.0.0:4318",
            )),
            Some(_) => {}
        }
        if !browser {
            continue;
        }
        let origins: Vec<String> = http
            .get("cors")
            .and_then(|c| c.get("allowed_origins"))
            .and_then(|o| o.as_sequence())
            .map(|s| {
                s.iter()
                    .filter_map(|o| o.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let wanted = format!(
            "the frontend's origin in {} ({})",
            host_name(host),
            origin.shown
        );
        let list_it = format!(
            "list the frontend's origin: allowed_origins: [\"${{env:FRONTEND_URL}}\"], with FRONTEND_URL: \"{}\" in the collector's environment in compose",
            origin.compose
        );
        if origins.is_empty() {
            found.push(Outcome::error(
                format!(
                    "{}: the {name} receiver has no cors.allowed_origins: the browser's preflight from {wanted} gets no CORS answer, so no span is sent",
                    place(&keys(&["http"]))
                ),
                list_it,
            ));
            continue;
        }
        let at = place(&keys(&["http", "cors", "allowed_origins"]));
        let mut unset = Vec::new();
        let mut matched = None;
        for entry in &origins {
            let names = references(entry);
            if names.is_empty() {
                if origin_matches(entry, &origin.value) {
                    matched.get_or_insert(entry.clone());
                }
                continue;
            }
            let Some(svc) = &service else {
                // The collector runs outside compose: what it is given is not known here.
                matched.get_or_insert(format!("{entry}, not checked: compose runs no collector"));
                continue;
            };
            let given: Vec<_> = names
                .iter()
                .map(|n| (n, vars.service_var(svc, n)))
                .collect();
            if let Some((n, _)) = given.iter().find(|(_, v)| v.is_none()) {
                unset.push(Outcome::error(
                    format!(
                        "{at}: allowed_origins takes {entry}, but compose gives {svc} no {n}: it is empty, so it admits no origin and the browser refuses to send spans"
                    ),
                    format!("add FRONTEND_URL: \"{}\" to {svc}'s environment in compose", origin.compose),
                ));
                continue;
            }
            // A literal value in compose is checked as written; one built from variables is
            // the host's own.
            let literal = given
                .iter()
                .filter_map(|(_, v)| v.as_ref())
                .find(|v| v.is_literal() && names.len() == 1);
            match literal.and_then(|v| v.value.clone()) {
                Some(value) if !origin_matches(&value, &origin.value) => {
                    unset.push(Outcome::error(
                        format!(
                            "{at}: allowed_origins takes {entry}, which compose sets to {value} ({}), not {wanted}: the browser refuses to send spans",
                            literal.map(|v| v.at()).unwrap_or_default()
                        ),
                        format!("set it to \"{}\" in compose", origin.compose),
                    ));
                }
                _ => {
                    let from = given
                        .iter()
                        .filter_map(|(_, v)| v.as_ref().map(|v| v.at()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    matched.get_or_insert(format!("{entry}, which compose gives {svc} at {from}"));
                }
            }
        }
        match matched {
            Some(m) => admitted.push(m),
            None if !unset.is_empty() => found.extend(unset),
            None => {
                let slash = if origins.iter().any(|o| o.ends_with('/')) {
                    " (an origin never ends with /)"
                } else {
                    ""
                };
                found.push(Outcome::error(
                    format!(
                        "{at}: allowed_origins ({}) does not admit {wanted}{slash}: the browser refuses to send spans",
                        clip(&origins.join(", "), 120)
                    ),
                    list_it,
                ));
            }
        }
    }
    let endpoints: Vec<String> = receivers
        .iter()
        .filter_map(|(_, r)| {
            r.get("protocols")?
                .get("http")?
                .get("endpoint")?
                .as_str()
                .map(str::to_string)
        })
        .collect();
    let ok = if admitted.is_empty() {
        format!("the collector listens on {}", endpoints.join(", "))
    } else {
        format!(
            "the collector listens on {} and admits the frontend's origin ({})",
            endpoints.join(", "),
            admitted.join("; ")
        )
    };
    Outcome::each(found, Outcome::ok(ok))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::compose::tests::workspace;
    use crate::doctor::Status;

    const KEY: &str = concat!(
        "hcaik_01hqk4k20zf3z1sd0mwa9xq8e6cv",
        "fyk1bnj6r5ztmqd2s0h3vy8vkmn7ab"
    );

    /// Every finding of a check, first and further ones in order.
    fn all(o: Outcome) -> Vec<Outcome> {
        let mut out = vec![o.clone()];
        for more in o.more {
            out.extend(all(more));
        }
        out
    }

    fn run(files: &[(&str, &str)], check: fn(&Workspace, &Probes) -> Outcome) -> Vec<Outcome> {
        let dir = tempfile::tempdir().unwrap();
        let w = workspace(dir.path(), files, &[]);
        all(check(&w, &Probes::offline()))
    }

    const TRACING: &str = "frontend-react-js/src/tracing.js";
    const PACKAGE: &str = "frontend-react-js/package.json";

    fn package(version: &str) -> String {
        format!("{{\n  \"dependencies\": {{\n    \"@opentelemetry/resources\": \"{version}\",\n    \"@opentelemetry/sdk-trace-web\": \"{version}\"\n  }}\n}}")
    }

    const OLD_API: &str = "import { WebTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-web';\nimport { Resource } from '@opentelemetry/resources';\n\nconst provider = new WebTracerProvider({\n  resource: new Resource({ 'service.name': 'frontend' }),\n});\nprovider.addSpanProcessor(new BatchSpanProcessor(exporter));";

    const NEW_API: &str = "import { WebTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-web';\nimport { resourceFromAttributes } from '@opentelemetry/resources';\n\n// the 1.x way, kept for reference:\n// provider.addSpanProcessor(new BatchSpanProcessor(exporter));\n/* const resource = new Resource({ 'service.name': 'frontend' }); */\nconst note = 'provider.addSpanProcessor(x) is gone in 2.x — é 🔭';\nconst provider = new WebTracerProvider({\n  resource: resourceFromAttributes({ 'service.name': 'frontend' }),\n  spanProcessors: [new BatchSpanProcessor(exporter)],\n});";

    #[test]
    fn the_1x_api_against_2x_packages_is_an_error_and_comments_are_not_code() {
        for range in ["^2.0.0", "~2.1", "2.12.0", ">=1.9.0", "latest"] {
            let pkg = package(range);
            let found = run(&[(TRACING, OLD_API), (PACKAGE, &pkg)], otel_api);
            let places: Vec<&str> = found
                .iter()
                .map(|o| o.finding.split(' ').next().unwrap())
                .collect();
            assert_eq!(
                places,
                [
                    "frontend-react-js/src/tracing.js:7",
                    "frontend-react-js/src/tracing.js:5"
                ],
                "{range}: {found:#?}"
            );
            assert!(found[0]
                .finding
                .contains("TypeError: provider.addSpanProcessor is not a function"));
            assert!(found[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("spanProcessors: ["));
            assert!(found[1]
                .fix
                .as_deref()
                .unwrap()
                .contains("resourceFromAttributes("));
            assert!(found[0].finding.contains("frontend-react-js/package.json:"));
        }
        for range in ["1.12.0", "^1.30.1", "~1.9"] {
            let pkg = package(range);
            let found = run(&[(TRACING, OLD_API), (PACKAGE, &pkg)], otel_api);
            assert_eq!(found[0].status, Status::Ok, "{range}: {found:#?}");
            assert!(found[0].finding.contains("1.x"), "{}", found[0].finding);
        }
        let pkg = package("^2.0.0");
        let found = run(&[(TRACING, NEW_API), (PACKAGE, &pkg)], otel_api);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].status, Status::Ok, "{found:#?}");
        // Without package.json, or without the packages, nothing is judged.
        let found = run(&[(TRACING, OLD_API)], otel_api);
        assert_eq!(found[0].status, Status::Skipped);
        let found = run(
            &[(TRACING, OLD_API), (PACKAGE, "{\"dependencies\": {}}")],
            otel_api,
        );
        assert_eq!(found[0].status, Status::Skipped);
    }

    #[test]
    fn version_ranges() {
        assert_eq!(release("^2.0.0"), Some(Release::Major(2)));
        assert_eq!(release("~2.1"), Some(Release::Major(2)));
        assert_eq!(release("2.12.0"), Some(Release::Major(2)));
        assert_eq!(release("1.30.1"), Some(Release::Major(1)));
        assert_eq!(release("=1.9.0"), Some(Release::Major(1)));
        assert_eq!(release(">=1.0.0"), Some(Release::Newest));
        assert_eq!(release("*"), Some(Release::Newest));
        assert_eq!(
            release("npm:@opentelemetry/sdk-trace-web@^2.0.1"),
            Some(Release::Major(2))
        );
        assert_eq!(release("file:../sdk"), None);
    }

    #[test]
    fn without_frontend_tracing_or_collector_the_checks_are_skipped() {
        let index = (
            "frontend-react-js/src/index.js",
            "import App from './App';\n// import './tracing';\n",
        );
        for check in [propagate_cors_urls, exporter_url, otel_api] {
            assert_eq!(run(&[], check)[0].status, Status::Skipped);
            let found = run(&[index], check);
            assert_eq!(found[0].status, Status::Skipped);
            assert!(
                found[0].finding.contains("no tracing module"),
                "{}",
                found[0].finding
            );
        }
        assert_eq!(run(&[], honeycomb_key)[0].status, Status::Skipped);
        assert_eq!(run(&[index], honeycomb_key)[0].status, Status::Ok);
        assert_eq!(run(&[index], collector_cors)[0].status, Status::Skipped);
    }

    #[test]
    fn a_string_never_matches_a_request() {
        let text = "import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';\nimport { XMLHttpRequestInstrumentation } from '@opentelemetry/instrumentation-xml-http-request';\nconst backend = process.env.REACT_APP_BACKEND_URL;\nregisterInstrumentations({\n  instrumentations: [\n    new FetchInstrumentation({ propagateTraceHeaderCorsUrls: [backend, /localhost/] }),\n    new XMLHttpRequestInstrumentation({\n      propagateTraceHeaderCorsUrls: `${backend}`,\n    }),\n    new FetchInstrumentation({ propagateTraceHeaderCorsUrls: 'https://4567-x.gitpod.io/' + 'api' }),\n    new FetchInstrumentation(),\n    // new FetchInstrumentation({ propagateTraceHeaderCorsUrls: 'https://x' }),\n  ],\n});";
        let found = run(&[(TRACING, text)], propagate_cors_urls);
        let summary: Vec<(Status, &str)> = found
            .iter()
            .map(|o| (o.status, o.finding.split(' ').next().unwrap()))
            .collect();
        assert_eq!(
            summary,
            [
                (Status::Error, "frontend-react-js/src/tracing.js:6"),
                (Status::Error, "frontend-react-js/src/tracing.js:8"),
                (Status::Error, "frontend-react-js/src/tracing.js:10"),
                (Status::Warn, "frontend-react-js/src/tracing.js:11"),
            ],
            "{found:#?}"
        );
        assert!(found[0]
            .fix
            .as_deref()
            .unwrap()
            .contains("new RegExp('^' + process.env.REACT_APP_BACKEND_URL"));
        // The template's form: a variable holding RegExps, given by shorthand.
        let good = "import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';\nconst urls = backendUrl ? [urlPattern(backendUrl)] : [];\nconst propagateTraceHeaderCorsUrls = urls;\nnew FetchInstrumentation({ propagateTraceHeaderCorsUrls });\nnew FetchInstrumentation({ propagateTraceHeaderCorsUrls: /.+/g });";
        let found = run(&[(TRACING, good)], propagate_cors_urls);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].status, Status::Ok, "{found:#?}");
    }

    #[test]
    fn the_exporter_needs_the_collectors_url() {
        let compose = ("docker-compose.yml", "services:\n  frontend-react-js:\n    environment:\n      REACT_APP_BACKEND_URL: \"https://4567-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}\"\n      REACT_APP_OTEL_COLLECTOR_URL: \"https://4318-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}\"");
        let text = "import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';\nconst a = new OTLPTraceExporter();\nconst b = new OTLPTraceExporter({ headers: {} });\nconst c = new OTLPTraceExporter({ url: process.env.REACT_APP_OTEL_COLLECTOR_URL });\nconst d = new OTLPTraceExporter({ url: 'http://localhost:4318/v1/traces' });\nconst e = new OTLPTraceExporter({ url: `${process.env.REACT_APP_OTEL_COLLECTOR_URL}/v1/traces` });\nconst options = { url: `${collector}/v1/traces` };\nconst f = new OTLPTraceExporter(options);\n// const g = new OTLPTraceExporter();";
        let found = run(&[(TRACING, text), compose], exporter_url);
        let lines: Vec<&str> = found
            .iter()
            .map(|o| o.finding.split(' ').next().unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                "frontend-react-js/src/tracing.js:2",
                "frontend-react-js/src/tracing.js:3",
                "frontend-react-js/src/tracing.js:4",
                "frontend-react-js/src/tracing.js:5",
            ],
            "{found:#?}"
        );
        assert!(found.iter().all(|o| o.status == Status::Error));
        assert!(found[0].finding.contains("http://localhost:4318/v1/traces"));
        assert!(found[0].finding.contains("Gitpod"));
        assert!(found[2].finding.contains("404"));
        assert!(found[0].fix.as_deref().unwrap().contains(EXPORTER_URL));
        // Locally the default works while everything runs on one machine: a warning.
        let found = run(&[(TRACING, text)], exporter_url);
        assert_eq!(found[0].status, Status::Warn);
    }

    #[test]
    fn a_key_within_the_browsers_reach_is_named_and_never_shown_whole() {
        let text = format!("import {{ OTLPTraceExporter }} from '@opentelemetry/exporter-trace-otlp-http';\n// headers: {{ 'x-honeycomb-team': '{KEY}' }},\nconst exporter = new OTLPTraceExporter({{\n  url: 'https://api.honeycomb.io/v1/traces',\n  headers: {{\n    'x-honeycomb-team': process.env.REACT_APP_HONEYCOMB_API_KEY,\n  }},\n}});\nconst HONEYCOMB_API_KEY = '{KEY}';\nconst title = 'Crüddur 🐦';");
        let other = ("frontend-react-js/src/lib/keys.js", "export const honeycombKey = 'a1B2c3D4e5F6g7H8i9J0kL';\nexport const placeholder = { honeycombKey: 'YOUR_HONEYCOMB_KEY_HERE_0' };");
        let compose = ("docker-compose.yml", "services:\n  frontend-react-js:\n    environment:\n      REACT_APP_BACKEND_URL: \"http://localhost:4567\"\n      # REACT_APP_HONEYCOMB_API_KEY: \"${HONEYCOMB_API_KEY}\"\n      REACT_APP_HONEYCOMB_API_KEY: \"${HONEYCOMB_API_KEY}\"");
        let found = run(&[(TRACING, &text), other, compose], honeycomb_key);
        let places: Vec<&str> = found
            .iter()
            .map(|o| o.finding.split(' ').next().unwrap())
            .collect();
        assert_eq!(
            places,
            [
                "frontend-react-js/src/lib/keys.js:1",
                "frontend-react-js/src/tracing.js:4",
                "frontend-react-js/src/tracing.js:6",
                "frontend-react-js/src/tracing.js:9",
                "docker-compose.yml:6",
            ],
            "{found:#?}"
        );
        assert!(found.iter().all(|o| o.status == Status::Error));
        assert!(
            found[0].finding.contains("(a1B2…J0kL)"),
            "{}",
            found[0].finding
        );
        assert!(found[2]
            .finding
            .contains("process.env.REACT_APP_HONEYCOMB_API_KEY"));
        assert!(
            found[3].finding.contains("ingest key (hcai…n7ab)"),
            "{}",
            found[3].finding
        );
        assert!(found[4]
            .finding
            .contains("REACT_APP_HONEYCOMB_API_KEY from HONEYCOMB_API_KEY"));
        for o in &found {
            assert!(!o.finding.contains(KEY) && !o.fix.as_deref().unwrap().contains(KEY));
            assert!(!o.finding.contains("a1B2c3D4e5F6g7H8i9J0kL"));
        }
        assert!(found[4].fix.as_deref().unwrap().contains("rotate the key"));
        assert!(found[1]
            .fix
            .as_deref()
            .unwrap()
            .contains("REACT_APP_OTEL_COLLECTOR_URL"));
    }

    const COMPOSE: &str = "services:\n  frontend-react-js:\n    build: ./frontend-react-js\n  otel-collector:\n    image: otel/opentelemetry-collector-contrib\n    environment:\n      FRONTEND_URL: \"https://3000-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}\"";

    fn collector(http: &str) -> String {
        format!("# the browser's spans\nreceivers:\n  otlp:\n    protocols:\n{http}\nexporters:\n  otlphttp:\n    endpoint: \"https://api.honeycomb.io\"")
    }

    #[test]
    fn the_collector_listens_for_the_browser_and_admits_its_origin() {
        let check = |config: &str, compose: &str| {
            run(
                &[
                    ("otel-collector-config.yaml", config),
                    ("docker-compose.yml", compose),
                ],
                collector_cors,
            )
        };
        // The template's configuration.
        let good = collector("      http:\n        endpoint: \"0.0.0.0:4318\"\n        cors:\n          allowed_origins:\n            - \"${env:FRONTEND_URL}\"");
        let found = check(&good, COMPOSE);
        assert_eq!(found[0].status, Status::Ok, "{found:#?}");
        assert!(
            found[0].finding.contains("docker-compose.yml:7"),
            "{}",
            found[0].finding
        );
        // No endpoint, no CORS.
        let found = check(&collector("      http:"), COMPOSE);
        let places: Vec<&str> = found
            .iter()
            .map(|o| o.finding.split(' ').next().unwrap())
            .collect();
        assert_eq!(
            places,
            [
                "otel-collector-config.yaml:5:",
                "otel-collector-config.yaml:5:"
            ],
            "{found:#?}"
        );
        assert!(found[0].fix.as_deref().unwrap().contains("0.0.0.0:4318"));
        assert!(found[1].finding.contains("no cors.allowed_origins"));
        // localhost, and an origin of another host.
        let found = check(
            &collector("      http:\n        endpoint: localhost:4318\n        cors:\n          allowed_origins: [\"http://localhost:3000/\"]"),
            COMPOSE,
        );
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0]
            .finding
            .starts_with("otel-collector-config.yaml:6:"));
        assert!(found[1]
            .finding
            .starts_with("otel-collector-config.yaml:8:"));
        assert!(found[1]
            .finding
            .contains("Gitpod (https://3000-<workspace id>.<cluster host>)"));
        assert!(found[1].finding.contains("never ends with /"));
        // Wildcards.
        let wild = collector("      http:\n        endpoint: 0.0.0.0:4318\n        cors:\n          allowed_origins:\n            - https://*.gitpod.io");
        assert_eq!(check(&wild, COMPOSE)[0].status, Status::Ok);
        // ${env:FRONTEND_URL} that compose does not give the collector.
        let bare = COMPOSE.split("    environment:").next().unwrap();
        let found = check(&good, bare);
        assert_eq!(found[0].status, Status::Error);
        assert!(
            found[0]
                .finding
                .contains("compose gives otel-collector no FRONTEND_URL"),
            "{}",
            found[0].finding
        );
        // gRPC only.
        let found = check(
            &collector("      grpc:\n        endpoint: 0.0.0.0:4317"),
            COMPOSE,
        );
        assert!(
            found[0].finding.contains("no http protocol"),
            "{}",
            found[0].finding
        );
    }

    #[test]
    fn origins_match_as_the_collector_matches_them() {
        let gitpod = "https://3000-cruddur-0a1b2c3d4e5.ws-us110.gitpod.io";
        assert!(origin_matches("https://*.gitpod.io", gitpod));
        assert!(origin_matches("https://3000-*", gitpod));
        assert!(origin_matches("*", gitpod));
        assert!(origin_matches("HTTPS://*.GITPOD.IO", gitpod));
        assert!(!origin_matches("https://4567-*.gitpod.io", gitpod));
        assert!(!origin_matches("http://*.gitpod.io", gitpod));
        assert!(!origin_matches("https://*.gitpod.io/", gitpod));
        assert!(origin_matches(
            "http://localhost:3000",
            "http://localhost:3000"
        ));
        assert!(!origin_matches("é*", "http://localhost:3000"));
    }
}
