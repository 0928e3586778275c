//! `doctor --fix`: the mechanical repairs. A finding that has one carries a `Repair`: the file and
//! what to do to it. Each repair re-reads the file's current text with a real parser and returns
//! the minimal edit, so several repairs of one file apply one after the other; a repair with
//! nothing left to do returns the text unchanged.

use jsonc_parser::ast::Value as Json;
use jsonc_parser::common::Ranged;
use jsonc_parser::{parse_to_ast, CollectOptions, CommentCollectionStrategy, ParseOptions};
use serde::Serialize;
use tree_sitter::{Node, Parser};

use crate::edit::python::PythonFile;
use crate::edit::{self, gitpod, requirements, Edit, Style};
use crate::manifest::{line_column, Manifest};

/// One repair of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repair {
    /// The file, relative to the workspace.
    pub path: String,
    #[serde(flatten)]
    pub fix: Fix,
}

impl Repair {
    pub fn new(path: impl Into<String>, fix: Fix) -> Repair {
        Repair {
            path: path.into(),
            fix,
        }
    }
}

/// What a repair does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "repair", rename_all = "kebab-case")]
pub enum Fix {
    /// `@app.before_first_request` on a function: the decorator goes, and the function is called
    /// in `with app.app_context():` right after its definition, at start-up.
    BeforeFirstRequest,
    /// `CloudWatchLogHandler(log_group=...)` becomes `log_group_name=`.
    LogGroupName,
    /// The `after_request` hook logs with `.info(` instead of `.error(`.
    RequestLogInfo,
    /// `traceparent` and `tracestate` join the CORS allow_headers.
    CorsTraceHeaders,
    /// The `end_subsegment()` call at this line (a function's second) is removed.
    SecondEnd { line: usize },
    /// `x = xray_recorder.begin_segment(...)` at this line becomes
    /// `with xray_recorder.in_subsegment(...) as x:` around the statements up to its
    /// `end_segment()`, which goes.
    SegmentInService { line: usize },
    /// These ports of `.gitpod.yml` become public (added when missing).
    GitpodPortsPublic { ports: Vec<u16> },
    /// `.env` is added to `.gitignore` (created when missing).
    GitignoreEnv,
    /// Unpinned requirements that cruddur-obs has a proven version of get pinned to it.
    PinRequirements,
    /// In compose, `service`'s `variable` taken from an unset variable becomes `value` itself.
    ComposeLiteral {
        service: String,
        variable: String,
        value: String,
    },
    /// The sampling rule's `ServiceName` becomes `name`, the segments' name.
    RuleServiceName { name: String },
}

/// The file's text after the repair, or why the repair cannot be made. The text comes back
/// unchanged when there is nothing left to do.
pub fn apply(fix: &Fix, text: &str) -> Result<String, String> {
    match fix {
        Fix::BeforeFirstRequest => python(text, |f| f.repair_before_first_request()),
        Fix::LogGroupName => python(text, |f| f.repair_log_group_name()),
        Fix::RequestLogInfo => python(text, |f| Ok(f.repair_request_log_info())),
        Fix::CorsTraceHeaders => python(text, cors_trace_headers),
        Fix::SecondEnd { line } => python(text, |f| f.repair_second_end(*line)),
        Fix::SegmentInService { line } => python(text, |f| f.repair_segment_in_service(*line)),
        Fix::GitpodPortsPublic { ports } => gitpod_ports_public(text, ports),
        Fix::GitignoreEnv => Ok(gitignore_env(text)),
        Fix::PinRequirements => pin_requirements(text),
        Fix::ComposeLiteral {
            service,
            variable,
            value,
        } => compose_literal(text, service, variable, value),
        Fix::RuleServiceName { name } => rule_service_name(text, name),
    }
}

/// Applies edits made from a parse of `text`, refusing (rather than panicking on) edits that
/// overlap or fall outside the text.
fn edited(text: &str, edits: &[Edit]) -> Result<String, String> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut at = 0;
    for e in sorted {
        let r = &e.range;
        if r.start < at
            || r.start > r.end
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
        {
            return Err("the repair's edits overlap, so it was not made".into());
        }
        at = r.end;
    }
    Ok(edit::apply(text, edits))
}

/// A repair of a Python file: made on a parse of it, and checked to parse again after.
fn python(
    text: &str,
    plan: impl FnOnce(&PythonFile) -> Result<Vec<Edit>, String>,
) -> Result<String, String> {
    let file = PythonFile::parse(text).map_err(|e| {
        format!(
            "line {}: {}; the file must be valid Python to be repaired",
            e.line, e.message
        )
    })?;
    let edits = plan(&file)?;
    if edits.is_empty() {
        return Ok(text.to_string());
    }
    let out = edited(text, &edits)?;
    if let Err(e) = PythonFile::parse(&out) {
        return Err(format!(
            "the repair would leave line {} invalid ({}), so it was not made",
            e.line, e.message
        ));
    }
    Ok(out)
}

fn cors_trace_headers(f: &PythonFile) -> Result<Vec<Edit>, String> {
    let (edits, skipped) = f.allow_trace_headers();
    if edits.is_empty() && !skipped.is_empty() {
        return Err(skipped
            .iter()
            .map(|s| format!("line {}: {}", s.line, s.reason))
            .collect::<Vec<_>>()
            .join("; "));
    }
    Ok(edits)
}

fn gitpod_ports_public(text: &str, numbers: &[u16]) -> Result<String, String> {
    let known = gitpod::ports(true, true);
    let mut want = Vec::new();
    for n in numbers {
        let port = known.iter().find(|p| p.port == *n).ok_or_else(|| {
            format!(
                "port {n} is not one of the workspace's ports ({})",
                known
                    .iter()
                    .map(|p| p.port.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        want.push(port.clone());
    }
    let edits = gitpod::plan(text, &want).map_err(|p| format!("line {}: {}", p.line, p.message))?;
    edited(text, &edits)
}

/// `.env` appended to `.gitignore`, unless a live line already ignores it.
fn gitignore_env(text: &str) -> String {
    if text
        .lines()
        .map(str::trim)
        .any(|l| l == ".env" || l == "/.env")
    {
        return text.to_string();
    }
    if text.is_empty() {
        return ".env\n".to_string();
    }
    let eol = Style::of(text, "").eol;
    if text.ends_with('\n') {
        format!("{text}.env{eol}")
    } else {
        format!("{text}{eol}.env")
    }
}

/// Our proven pins: the rendered requirements template, every part on.
fn our_pins() -> Result<Vec<requirements::Pin>, String> {
    const TEMPLATE: &str = include_str!("../../templates/backend-flask/requirements.txt");
    let env = minijinja::Environment::new();
    let ours = env
        .render_str(
            TEMPLATE,
            minijinja::Value::from(minijinja::value::Serde(&Manifest::default())),
        )
        .map_err(|e| format!("the requirements template does not render: {e}"))?;
    Ok(requirements::pins(&ours))
}

/// Versions added to the requirements that have none; other lines and missing packages are
/// left alone.
fn pin_requirements(text: &str) -> Result<String, String> {
    let (edits, _) = requirements::plan(text, &our_pins()?);
    let versions: Vec<Edit> = edits
        .into_iter()
        .filter(|e| e.range.is_empty() && e.content.starts_with("=="))
        .collect();
    edited(text, &versions)
}

/// The sampling rule's `ServiceName` string becomes `name`; nothing else of the file changes.
fn rule_service_name(text: &str, name: &str) -> Result<String, String> {
    let parsed = parse_to_ast(
        text,
        &CollectOptions {
            comments: CommentCollectionStrategy::Separate,
            tokens: false,
        },
        &ParseOptions::default(),
    )
    .map_err(|e| {
        let (line, _) = line_column(text, e.range().start);
        format!("line {line}: {}", e.kind())
    })?;
    let Some(Json::Object(root)) = parsed.value else {
        return Err("the file is not a JSON object".into());
    };
    let Some(Json::Object(rule)) = root
        .properties
        .iter()
        .find(|p| p.name.as_str() == "SamplingRule")
        .map(|p| &p.value)
    else {
        return Err("the file has no \"SamplingRule\" object".into());
    };
    let Some(prop) = rule
        .properties
        .iter()
        .find(|p| p.name.as_str() == "ServiceName")
    else {
        return Err("the sampling rule has no \"ServiceName\"".into());
    };
    match &prop.value {
        Json::StringLit(s) if s.value == name => Ok(text.to_string()),
        Json::StringLit(s) => {
            let quoted = serde_json::to_string(name).map_err(|e| e.to_string())?;
            edited(text, &[Edit::replace(s.range.start..s.range.end, quoted)])
        }
        other => {
            let (line, _) = line_column(text, other.range().start);
            Err(format!("line {line}: \"ServiceName\" is not a string"))
        }
    }
}

/// A YAML file read with tree-sitter-yaml.
struct Yaml<'a> {
    text: &'a str,
}

impl<'a> Yaml<'a> {
    fn t(&self, n: Node) -> &'a str {
        &self.text[n.byte_range()]
    }

    /// The block mapping or sequence a node holds, looking through `block_node`, `document` and
    /// `stream`; a flow collection or a scalar is returned as it is.
    fn collection<'t>(&self, n: Node<'t>) -> Option<Node<'t>> {
        let mut n = n;
        loop {
            match n.kind() {
                "stream" | "document" | "block_node" | "flow_node" => {
                    n = n.named_children(&mut n.walk()).find(|c| {
                        !matches!(c.kind(), "comment" | "anchor" | "tag" | "yaml_directive")
                    })?;
                }
                _ => return Some(n),
            }
        }
    }

    /// The value node of `key` in a block mapping (None when the key has no value), and the pair.
    fn pair<'t>(&self, mapping: Node<'t>, key: &str) -> Option<Node<'t>> {
        mapping
            .named_children(&mut mapping.walk())
            .filter(|p| p.kind() == "block_mapping_pair")
            .find(|p| {
                p.child_by_field_name("key")
                    .is_some_and(|k| self.t(k).trim().trim_matches(['"', '\'']) == key)
            })
    }

    /// The block mapping under `key`.
    fn mapping_at<'t>(&self, mapping: Node<'t>, key: &str) -> Option<Node<'t>> {
        let v = self.pair(mapping, key)?.child_by_field_name("value")?;
        self.collection(v).filter(|m| m.kind() == "block_mapping")
    }
}

/// The scalar node of a value (`flow_node` > `plain_scalar` | quoted scalar).
fn scalar(n: Node) -> Option<Node> {
    let mut n = n;
    loop {
        match n.kind() {
            "plain_scalar" | "double_quote_scalar" | "single_quote_scalar" => return Some(n),
            "flow_node" | "block_node" => {
                n = n
                    .named_children(&mut n.walk())
                    .find(|c| !matches!(c.kind(), "comment" | "anchor" | "tag"))?;
            }
            _ => return None,
        }
    }
}

/// `s` as written in a YAML scalar of the given kind: the text between the quotes, or the whole
/// plain scalar; None when a plain scalar cannot hold it as a string.
fn yaml_text(kind: &str, s: &str) -> Option<String> {
    match kind {
        "double_quote_scalar" => {
            let json = serde_json::to_string(s).ok()?;
            Some(json[1..json.len() - 1].to_string())
        }
        "single_quote_scalar" if !s.chars().any(char::is_control) => Some(s.replace('\'', "''")),
        "plain_scalar" => {
            let reads_back = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(s)
                .is_ok_and(|v| v.as_str() == Some(s));
            (reads_back && s.trim() == s && !s.contains(['\n', '\r', '#'])).then(|| s.to_string())
        }
        _ => None,
    }
}

/// The replacement of a whole scalar: the same kind when it can hold `s`, else double quotes.
fn scalar_text(kind: &str, s: &str) -> String {
    let quote = match kind {
        "double_quote_scalar" => "\"",
        "single_quote_scalar" => "'",
        _ => "",
    };
    match yaml_text(kind, s) {
        Some(t) => format!("{quote}{t}{quote}"),
        None => serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\"")),
    }
}

/// In compose, `services.<service>.environment`'s `variable` becomes `value`: the map form's
/// value (`VAR: "..."`) or the list form's part after `=` (`- VAR=...`), in the scalar's own
/// quotes. A `$` in the value is written `$$`, so that compose takes it as it is.
fn compose_literal(
    text: &str,
    service: &str,
    variable: &str,
    value: &str,
) -> Result<String, String> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_yaml::LANGUAGE.into())
        .map_err(|e| format!("the YAML grammar does not load: {e}"))?;
    let tree = parser
        .parse(text, None)
        .ok_or("the file could not be parsed")?;
    if let Err(e) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) {
        let line = e.location().map_or(1, |l| l.line());
        return Err(format!("line {line}: this is not valid YAML: {e}"));
    }
    let root = tree.root_node();
    if root.has_error() {
        let line = first_error(root).map_or(1, |n| line_column(text, n.start_byte()).0);
        return Err(format!("line {line}: this is not valid YAML"));
    }
    let y = Yaml { text };
    let value = value.replace('$', "$$");
    let top = y
        .collection(root)
        .filter(|m| m.kind() == "block_mapping")
        .ok_or("the file is not a YAML mapping")?;
    let services = y
        .mapping_at(top, "services")
        .ok_or("the file has no `services:` mapping")?;
    let svc = y
        .mapping_at(services, service)
        .ok_or_else(|| format!("there is no service `{service}` under `services:`"))?;
    let env_pair = y
        .pair(svc, "environment")
        .ok_or_else(|| format!("service `{service}` has no `environment:`"))?;
    let env_line = line_column(text, env_pair.start_byte()).0;
    let env = env_pair
        .child_by_field_name("value")
        .and_then(|v| y.collection(v))
        .ok_or_else(|| format!("line {env_line}: `environment:` of `{service}` is empty"))?;
    let missing = || format!("line {env_line}: `{service}`'s environment has no {variable}");
    let other_form = |n: Node| {
        format!(
            "line {}: {variable} is not a plain or quoted value: change it yourself",
            line_column(text, n.start_byte()).0
        )
    };
    let edit = match env.kind() {
        "block_mapping" => {
            let pair = y.pair(env, variable).ok_or_else(missing)?;
            match pair.child_by_field_name("value") {
                None => {
                    // `VAR:` with no value: the value goes after the colon.
                    let colon = pair
                        .children(&mut pair.walk())
                        .find(|c| c.kind() == ":")
                        .ok_or_else(|| other_form(pair))?;
                    Edit::insert(
                        colon.end_byte(),
                        format!(" {}", scalar_text("plain_scalar", &value)),
                    )
                }
                Some(v) => {
                    let s = scalar(v).ok_or_else(|| other_form(v))?;
                    match (s.kind(), yaml_text(s.kind(), &value)) {
                        ("plain_scalar", Some(t)) => Edit::replace(s.byte_range(), t),
                        (_, Some(t)) => {
                            Edit::replace(s.start_byte() + 1..s.end_byte() - 1, t)
                        }
                        (kind, None) => Edit::replace(s.byte_range(), scalar_text(kind, &value)),
                    }
                }
            }
        }
        "block_sequence" => {
            let mut found = None;
            for item in env.named_children(&mut env.walk()) {
                let Some(s) = item
                    .named_children(&mut item.walk())
                    .find_map(scalar)
                    .filter(|_| item.kind() == "block_sequence_item")
                else {
                    continue;
                };
                let inner = if s.kind() == "plain_scalar" {
                    s.byte_range()
                } else {
                    s.start_byte() + 1..s.end_byte() - 1
                };
                let content = &text[inner.clone()];
                let name = content.split('=').next().unwrap_or("").trim();
                if name == variable {
                    found = Some((s, inner, content.find('=')));
                    break;
                }
            }
            let (s, inner, eq) = found.ok_or_else(missing)?;
            let entry = format!("{variable}={value}");
            // The part after `=` in the scalar's own writing, when the whole entry reads back.
            let part = match (s.kind(), yaml_text(s.kind(), &entry)) {
                (_, None) => None,
                ("plain_scalar", Some(_)) => Some(value.clone()),
                (kind, Some(_)) => yaml_text(kind, &value),
            };
            match part {
                Some(part) => {
                    let at = eq.map_or(inner.end, |i| inner.start + i + 1);
                    let lead = if eq.is_none() { "=" } else { "" };
                    Edit::replace(at..inner.end, format!("{lead}{part}"))
                }
                None => Edit::replace(s.byte_range(), scalar_text(s.kind(), &entry)),
            }
        }
        _ => {
            return Err(format!(
                "line {env_line}: `{service}`'s environment is written inline: change {variable} yourself"
            ))
        }
    };
    let out = edited(text, &[edit])?;
    // What compose will read: the variable set to the value, and the file still valid.
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&out)
        .map_err(|e| format!("the repair would make the file invalid ({e}), so it was not made"))?;
    let env = &doc["services"][service]["environment"];
    let entry = format!("{variable}={value}");
    let set = env[variable].as_str() == Some(value.as_str())
        || env
            .as_sequence()
            .is_some_and(|s| s.iter().any(|i| i.as_str() == Some(entry.as_str())));
    if !set {
        return Err(format!(
            "line {env_line}: {variable} could not be set to a literal safely: change it yourself"
        ));
    }
    Ok(out)
}

fn first_error(n: Node) -> Option<Node> {
    if n.is_error() || n.is_missing() {
        return Some(n);
    }
    n.children(&mut n.walk())
        .find(|c| c.has_error() || c.is_error() || c.is_missing())
        .and_then(first_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The repaired text; a second pass must change nothing.
    fn fixed(fix: &Fix, text: &str) -> String {
        let out = apply(fix, text).unwrap_or_else(|e| panic!("{fix:?}: {e}"));
        assert_eq!(
            apply(fix, &out).as_deref(),
            Ok(out.as_str()),
            "a second pass changes nothing"
        );
        out
    }

    /// The repaired Python text, which must still parse.
    fn fixed_py(fix: &Fix, text: &str) -> String {
        let out = fixed(fix, text);
        if let Err(e) = PythonFile::parse(&out) {
            panic!("{e:?} in\n{out}");
        }
        out
    }

    const ROLLBAR_APP: &str = "from flask import Flask\nfrom flask import got_request_exception\nimport os\nimport rollbar\nimport rollbar.contrib.flask\n\napp = Flask(__name__)\n\n# Rollbar ----------\nrollbar_access_token = os.getenv('ROLLBAR_ACCESS_TOKEN')\n@app.before_first_request\ndef init_rollbar():\n  \"\"\"init rollbar module\"\"\"\n  rollbar.init(\n    # access token\n    rollbar_access_token,\n    # environment name\n    'production',\n    # server root directory, makes tracebacks prettier\n    root=os.path.dirname(os.path.realpath(__file__)),\n    # flask already sets up logging\n    allow_logging_basic_config=False)\n\n  # send exceptions from `app` to rollbar, using flask's signal system.\n  got_request_exception.connect(rollbar.contrib.flask.report_exception, app)\n\n# @app.before_first_request\n# def init_other():\n#   pass\n\n@app.route('/rollbar/test')\ndef rollbar_test():\n  rollbar.report_message('Hello World!', 'warning')\n  return \"Hello World!\"";

    #[test]
    fn before_first_request_becomes_a_call_in_the_app_context() {
        let out = fixed_py(&Fix::BeforeFirstRequest, ROLLBAR_APP);
        let want = ROLLBAR_APP
            .replace("@app.before_first_request\ndef", "def")
            .replace(
                "report_exception, app)\n\n",
                "report_exception, app)\n\nwith app.app_context():\n  init_rollbar()\n\n",
            );
        assert_eq!(out, want);
    }

    #[test]
    fn before_first_request_at_the_end_in_four_spaces_and_twice() {
        let text = "import rollbar\nfrom flask import Flask\n\nserver = Flask(__name__)\n\n\n@server.before_first_request\ndef init_rollbar():\n    rollbar.init('token')  # the access token\n    # more later\n\n\n@server.before_first_request  # also once\ndef warm_up(cache=None):\n    pass";
        let out = fixed_py(&Fix::BeforeFirstRequest, text);
        assert_eq!(out, "import rollbar\nfrom flask import Flask\n\nserver = Flask(__name__)\n\n\ndef init_rollbar():\n    rollbar.init('token')  # the access token\n    # more later\n\n\nwith server.app_context():\n    init_rollbar()\n\n\ndef warm_up(cache=None):\n    pass\n\n\nwith server.app_context():\n    warm_up()");
        let e = apply(
            &Fix::BeforeFirstRequest,
            "@app.before_first_request\ndef init(app):\n  pass\n",
        )
        .unwrap_err();
        assert!(e.contains("line 1") && e.contains("arguments"), "{e}");
    }

    #[test]
    fn log_group_becomes_log_group_name_in_live_calls_only() {
        let text = "import watchtower\nimport logging\n\nLOGGER = logging.getLogger(__name__)\n# cw_handler = watchtower.CloudWatchLogHandler(log_group='old')\n# create_log_group=False: the group was made in the console\ncw_handler = watchtower.CloudWatchLogHandler(log_group='cruddur', create_log_group=False)\nLOGGER.addHandler(cw_handler)\nlog_group = 'cruddur'";
        let out = fixed_py(&Fix::LogGroupName, text);
        assert_eq!(
            out,
            text.replace(
                "CloudWatchLogHandler(log_group='cruddur'",
                "CloudWatchLogHandler(log_group_name='cruddur'"
            )
        );
        let both =
            "h = watchtower.CloudWatchLogHandler(\n  log_group='a',\n  log_group_name='b',\n)\n";
        let e = apply(&Fix::LogGroupName, both).unwrap_err();
        assert!(e.starts_with("line 1:"), "{e}");
    }

    #[test]
    fn the_after_request_hook_logs_at_info() {
        let text = "from time import strftime\n\n# CloudWatch Logs: one line for every request\n@app.after_request\ndef after_request(response):\n  timestamp = strftime('[%Y-%b-%d %H:%M]')\n  # LOGGER.error('old')\n  LOGGER.error('%s %s %s %s %s %s', timestamp, request.remote_addr, request.method, request.scheme, request.full_path, response.status)\n  return response\n\n@app.errorhandler(500)\ndef failed(e):\n  LOGGER.error('failed: %s', e)\n  return 'error', 500";
        let out = fixed_py(&Fix::RequestLogInfo, text);
        assert_eq!(out, text.replace("  LOGGER.error('%s", "  LOGGER.info('%s"));
    }

    #[test]
    fn cors_gets_the_trace_headers_or_says_why_not() {
        let text = "cors = CORS(\n  app,\n  resources={r\"/api/*\": {\"origins\": origins}},\n  expose_headers=\"location,link\",\n  # allow_headers=\"*\",\n  allow_headers=\"content-type,if-modified-since\",\n  methods=\"OPTIONS,GET,HEAD,POST\"\n)";
        let out = fixed_py(&Fix::CorsTraceHeaders, text);
        assert_eq!(
            out,
            text.replace(
                "  allow_headers=\"content-type,if-modified-since\"",
                "  allow_headers=[\"content-type\", \"if-modified-since\", \"traceparent\", \"tracestate\"]"
            )
        );
        let formatted = "cors = CORS(app,\n  allow_headers=f\"{base},x\")\n";
        let e = apply(&Fix::CorsTraceHeaders, formatted).unwrap_err();
        assert!(e.starts_with("line 2:") && e.contains("formatted"), "{e}");
    }

    const ENDED_TWICE: &str = "from datetime import datetime, timedelta, timezone\nfrom aws_xray_sdk.core import xray_recorder\n\nclass UserActivities:\n    def run(user_handle):\n        model = {\n            'errors': None,\n            'data': None\n        }\n        now = datetime.now(timezone.utc).astimezone()\n        if user_handle == None or len(user_handle) < 1:\n            model['errors'] = ['blank_user_handle']\n        else:\n            try:\n                subsegment = xray_recorder.begin_subsegment('mock-data')\n                results = [{\n                    'uuid': '248959df-3079-4947-b847-9e0892d1bab4',\n                    'handle': 'Andrew Brown',\n                }]\n                model['data'] = results\n                subsegment.put_metadata('key', {'now': now.isoformat()}, 'namespace')\n                xray_recorder.end_subsegment()\n            finally:\n                # xray_recorder.end_subsegment() is needed here too\n                xray_recorder.end_subsegment()\n        return model\n";

    #[test]
    fn a_second_end_alone_in_finally_becomes_pass() {
        assert!(ENDED_TWICE
            .lines()
            .nth(24)
            .unwrap()
            .ends_with("xray_recorder.end_subsegment()"));
        let out = fixed_py(&Fix::SecondEnd { line: 25 }, ENDED_TWICE);
        assert_eq!(
            out,
            ENDED_TWICE.replace(
                "here too\n                xray_recorder.end_subsegment()\n",
                "here too\n                pass\n"
            )
        );
        // The first end is no second one: nothing to do there.
        assert_eq!(
            apply(&Fix::SecondEnd { line: 22 }, ENDED_TWICE).unwrap(),
            ENDED_TWICE
        );
        // A line with no end_subsegment() call (the comment): nothing to do.
        assert_eq!(
            apply(&Fix::SecondEnd { line: 24 }, ENDED_TWICE).unwrap(),
            ENDED_TWICE
        );
    }

    #[test]
    fn a_second_end_goes_with_its_line_in_crlf() {
        let text = "def run():\r\n  sub = xray_recorder.begin_subsegment('mock-data')\r\n  try:\r\n    load()\r\n  finally:\r\n    xray_recorder.end_subsegment()\r\n  xray_recorder.end_subsegment()  # again\r\n  return sub\r\n";
        let out = fixed_py(&Fix::SecondEnd { line: 7 }, text);
        assert_eq!(out, "def run():\r\n  sub = xray_recorder.begin_subsegment('mock-data')\r\n  try:\r\n    load()\r\n  finally:\r\n    xray_recorder.end_subsegment()\r\n  return sub\r\n");
        let shared =
            "def run():\n  xray_recorder.end_subsegment()\n  xray_recorder.end_subsegment(); x = 1\n";
        let e = apply(&Fix::SecondEnd { line: 3 }, shared).unwrap_err();
        assert!(e.starts_with("line 3:"), "{e}");
    }

    const SEGMENT: &str = "from datetime import datetime, timedelta, timezone\nfrom aws_xray_sdk.core import xray_recorder\n\nclass UserActivities:\n    def run(user_handle):\n        model = {\n            'errors': None,\n            'data': None\n        }\n        now = datetime.now(timezone.utc).astimezone()\n        if user_handle == None or len(user_handle) < 1:\n            model['errors'] = ['blank_user_handle']\n        else:\n            segment = xray_recorder.begin_segment('user_activities')  # X-Ray\n            results = [{\n                'uuid': '248959df-3079-4947-b847-9e0892d1bab4',\n                'message': '''Cloud\nis fun!''',\n            }]\n\n            # xray_recorder.end_segment()\n            model['data'] = results\n            dict = {\n                \"now\": now.isoformat(),\n                \"results-size\": len(results),\n            }\n            segment.put_metadata('key', dict, 'namespace')\n            xray_recorder.end_segment()\n            print('done')\n        return model";

    #[test]
    fn a_segment_in_a_service_becomes_a_subsegment_block() {
        let out = fixed_py(&Fix::SegmentInService { line: 14 }, SEGMENT);
        assert_eq!(out, "from datetime import datetime, timedelta, timezone\nfrom aws_xray_sdk.core import xray_recorder\n\nclass UserActivities:\n    def run(user_handle):\n        model = {\n            'errors': None,\n            'data': None\n        }\n        now = datetime.now(timezone.utc).astimezone()\n        if user_handle == None or len(user_handle) < 1:\n            model['errors'] = ['blank_user_handle']\n        else:\n            with xray_recorder.in_subsegment('user_activities') as segment:  # X-Ray\n                results = [{\n                    'uuid': '248959df-3079-4947-b847-9e0892d1bab4',\n                    'message': '''Cloud\nis fun!''',\n                }]\n\n                # xray_recorder.end_segment()\n                model['data'] = results\n                dict = {\n                    \"now\": now.isoformat(),\n                    \"results-size\": len(results),\n                }\n                segment.put_metadata('key', dict, 'namespace')\n            print('done')\n        return model");
        // No begin_segment() at that line any more.
        assert_eq!(
            apply(&Fix::SegmentInService { line: 15 }, SEGMENT).unwrap(),
            SEGMENT
        );
    }

    #[test]
    fn a_bare_segment_without_an_end_takes_the_rest_of_the_block() {
        let text = "def run(handle):\n  # trace it\n  xray_recorder.begin_segment(name='user')\n  data = load(handle)\n  # a comment moves too\n  return data\n\nrun('x')";
        let out = fixed_py(&Fix::SegmentInService { line: 3 }, text);
        assert_eq!(out, "def run(handle):\n  # trace it\n  with xray_recorder.in_subsegment(name='user'):\n    data = load(handle)\n    # a comment moves too\n    return data\n\nrun('x')");
        let top = "segment = xray_recorder.begin_segment('startup')\nxray_recorder.end_segment()\n";
        let e = apply(&Fix::SegmentInService { line: 1 }, top).unwrap_err();
        assert!(
            e.starts_with("line 1:") && e.contains("not in a function"),
            "{e}"
        );
        let ended_elsewhere = "def run():\n  try:\n    s = xray_recorder.begin_segment('a')\n    load()\n  finally:\n    xray_recorder.end_segment()\n";
        let e = apply(&Fix::SegmentInService { line: 3 }, ended_elsewhere).unwrap_err();
        assert!(e.starts_with("line 6:"), "{e}");
    }

    #[test]
    fn gitpod_ports_become_public_or_are_added() {
        let text = "tasks:\n  - name: react-js\n    command: |\n      cd frontend-react-js\n      npm i\nports:\n  - name: frontend\n    port: 3000\n    onOpen: open-browser\n    visibility: public\n  # the backend\n  - port: 4567";
        let out = fixed(
            &Fix::GitpodPortsPublic {
                ports: vec![4567, 2000],
            },
            text,
        );
        assert_eq!(out, format!("{text}\n    visibility: public\n  - name: xray-daemon\n    port: 2000\n    visibility: public"));
        let e = apply(&Fix::GitpodPortsPublic { ports: vec![8080] }, text).unwrap_err();
        assert!(e.contains("8080"), "{e}");
        let e = apply(&Fix::GitpodPortsPublic { ports: vec![4567] }, "ports: [\n").unwrap_err();
        assert!(e.starts_with("line "), "{e}");
    }

    #[test]
    fn gitignore_gets_env_once() {
        let fix = Fix::GitignoreEnv;
        assert_eq!(fixed(&fix, ""), ".env\n");
        assert_eq!(fixed(&fix, "node_modules\n"), "node_modules\n.env\n");
        assert_eq!(
            fixed(&fix, "node_modules\r\n# .env\r\n.env.local"),
            "node_modules\r\n# .env\r\n.env.local\r\n.env"
        );
        let has = "# secrets\n/.env\nnode_modules";
        assert_eq!(fixed(&fix, has), has);
    }

    #[test]
    fn unpinned_requirements_get_our_versions_and_nothing_else_changes() {
        let text = "# the backend\nflask\nFlask-Cors  # CORS\nrequests>=2.28\nopentelemetry-api==1.20.0\npsycopg[binary]\n# rollbar\nrollbar";
        let out = fixed(&Fix::PinRequirements, text);
        assert_eq!(out, "# the backend\nflask==3.1.3\nFlask-Cors==6.0.5  # CORS\nrequests>=2.28\nopentelemetry-api==1.20.0\npsycopg[binary]\n# rollbar\nrollbar==1.5.0");
        assert_eq!(fixed(&Fix::PinRequirements, ""), "");
    }

    const COMPOSE: &str = "version: \"3.8\"\nservices:\n  backend-flask:\n    environment:\n      FRONTEND_URL: \"${FRONTEND_URL:-http://localhost:3000}\"\n      # OTEL_SERVICE_NAME: \"backend-flask\"\n      OTEL_SERVICE_NAME: \"${HONEYCOMB_SERVICE_NAME}\"  # from gp env\n      AWS_XRAY_URL: '*4567-${GITPOD_WORKSPACE_ID}*'\n      AWS_REGION: ${AWS_DEFAULT_REGION}\n    build: ./backend-flask\n  xray-daemon:\n    image: \"amazon/aws-xray-daemon\"\n    environment:\n      - AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID}\n      - \"AWS_REGION=${AWS_DEFAULT_REGION}\"\n      - OTEL_SERVICE_NAME=${HONEYCOMB_SERVICE_NAME}";

    fn literal(service: &str, variable: &str, value: &str) -> Fix {
        Fix::ComposeLiteral {
            service: service.into(),
            variable: variable.into(),
            value: value.into(),
        }
    }

    #[test]
    fn a_compose_variable_becomes_a_literal_in_its_own_quotes() {
        let out = fixed(
            &literal("backend-flask", "OTEL_SERVICE_NAME", "backend-flask"),
            COMPOSE,
        );
        assert_eq!(
            out,
            COMPOSE.replace(
                "OTEL_SERVICE_NAME: \"${HONEYCOMB_SERVICE_NAME}\"  # from gp env",
                "OTEL_SERVICE_NAME: \"backend-flask\"  # from gp env"
            )
        );
        let out = fixed(&literal("backend-flask", "AWS_XRAY_URL", "it's"), COMPOSE);
        assert_eq!(
            out,
            COMPOSE.replace("'*4567-${GITPOD_WORKSPACE_ID}*'", "'it''s'")
        );
        let out = fixed(
            &literal("backend-flask", "AWS_REGION", "us-east-1"),
            COMPOSE,
        );
        assert_eq!(
            out,
            COMPOSE.replace("AWS_REGION: ${AWS_DEFAULT_REGION}", "AWS_REGION: us-east-1")
        );
        // A plain scalar that would read as a number or a comment is quoted.
        let out = fixed(&literal("backend-flask", "AWS_REGION", "1 # x"), COMPOSE);
        assert!(out.contains("AWS_REGION: \"1 # x\"\n"), "{out}");
        let empty =
            "services:\n  backend-flask:\n    environment:\n      OTEL_SERVICE_NAME:  # set me\n";
        assert_eq!(
            fixed(&literal("backend-flask", "OTEL_SERVICE_NAME", "backend-flask"), empty),
            "services:\n  backend-flask:\n    environment:\n      OTEL_SERVICE_NAME: backend-flask  # set me\n"
        );
        let e = apply(&literal("frontend", "X", "y"), COMPOSE).unwrap_err();
        assert!(e.contains("frontend"), "{e}");
        let e = apply(&literal("backend-flask", "NOPE", "y"), COMPOSE).unwrap_err();
        assert!(e.starts_with("line 4:"), "{e}");
    }

    #[test]
    fn a_compose_list_entry_changes_after_its_equals_sign() {
        let out = fixed(
            &literal("xray-daemon", "OTEL_SERVICE_NAME", "backend-flask"),
            COMPOSE,
        );
        assert_eq!(
            out,
            COMPOSE.replace(
                "- OTEL_SERVICE_NAME=${HONEYCOMB_SERVICE_NAME}",
                "- OTEL_SERVICE_NAME=backend-flask"
            )
        );
        let out = fixed(&literal("xray-daemon", "AWS_REGION", "us-east-1"), COMPOSE);
        assert_eq!(
            out,
            COMPOSE.replace(
                "\"AWS_REGION=${AWS_DEFAULT_REGION}\"",
                "\"AWS_REGION=us-east-1\""
            )
        );
        let crlf = "services:\r\n  backend-flask:\r\n    environment:\r\n      - OTEL_SERVICE_NAME=${HONEYCOMB_SERVICE_NAME}\r\n      - A=b\r\n";
        let out = fixed(&literal("backend-flask", "OTEL_SERVICE_NAME", "a$b"), crlf);
        assert_eq!(out, crlf.replace("${HONEYCOMB_SERVICE_NAME}", "a$$b"));
    }

    #[test]
    fn the_rule_service_name_is_replaced_in_place() {
        let text = "{\n  \"SamplingRule\": {\n      \"RuleName\": \"Cruddur\",\n      \"ResourceARN\": \"*\",\n      \"Priority\": 9000,\n      \"FixedRate\": 0.1,\n      \"ReservoirSize\": 5,\n      \"ServiceName\": \"https://4567-omenking-awsbootcamp.gitpod.io\",\n      \"ServiceType\": \"*\",\n      \"Version\": 1\n  }\n}";
        let out = fixed(
            &Fix::RuleServiceName {
                name: "backend-flask".into(),
            },
            text,
        );
        assert_eq!(
            out,
            text.replace(
                "\"https://4567-omenking-awsbootcamp.gitpod.io\"",
                "\"backend-flask\""
            )
        );
        let e = apply(
            &Fix::RuleServiceName { name: "x".into() },
            "{\"SamplingRule\": {\"ServiceName\": 3}}",
        )
        .unwrap_err();
        assert!(e.starts_with("line 1:"), "{e}");
    }

    #[test]
    fn no_input_makes_a_repair_panic() {
        let fixes = [
            Fix::BeforeFirstRequest,
            Fix::LogGroupName,
            Fix::RequestLogInfo,
            Fix::CorsTraceHeaders,
            Fix::SecondEnd { line: 1 },
            Fix::SecondEnd { line: 0 },
            Fix::SegmentInService { line: 1 },
            Fix::SegmentInService { line: usize::MAX },
            Fix::GitpodPortsPublic {
                ports: vec![3000, 4567],
            },
            Fix::GitignoreEnv,
            Fix::PinRequirements,
            literal("backend-flask", "OTEL_SERVICE_NAME", "é\"\n'$"),
            Fix::RuleServiceName {
                name: "ü\"\\".into(),
            },
        ];
        let inputs = [
            "",
            "\n",
            "\r\n\r\n",
            "\u{0}\u{1}\u{7f}\u{fffd}\u{0}",
            "é日本語🙂\nflask\n",
            "def f(:\n  (((\n",
            "{\"SamplingRule\": {",
            "services:\n  backend-flask:\n    environment: [\n",
            "@app.before_first_request\n",
            "x = xray_recorder.begin_segment(\n",
            "def f():\n  xray_recorder.end_subsegment()\n  xray_recorder.end_subsegment()",
            "def f():\n  s = xray_recorder.begin_segment()\n  xray_recorder.end_segment()\n",
            "services:\n  backend-flask:\n    environment:\n      OTEL_SERVICE_NAME:\n",
            "services:\n  backend-flask:\n    environment:\n      OTEL_SERVICE_NAME: |\n        x\n",
            "ports:\n  - port: 3000\n    visibility: private",
            "{\"SamplingRule\": {\"ServiceName\": \"a\"}}",
            "if x:\n\tpass\r\n\t@app.before_first_request\r\n\tdef f(): pass",
            "\u{feff}@app.after_request\ndef f(r):\n  r.error('é')\n",
            "]]]}}}:::---\n- - -\n  ? x\n",
        ];
        for fix in &fixes {
            for text in inputs {
                if let Ok(out) = apply(fix, text) {
                    assert_eq!(
                        apply(fix, &out).as_deref(),
                        Ok(out.as_str()),
                        "{fix:?} on {text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_handwired_app_gets_three_one_line_repairs() {
        let text = include_str!("../../tests/fixtures/repos/handwired/backend-flask/app.py");
        let mut out = text.to_string();
        for fix in [
            Fix::LogGroupName,
            Fix::RequestLogInfo,
            Fix::CorsTraceHeaders,
        ] {
            out = fixed_py(&fix, &out);
        }
        let changed: Vec<(&str, &str)> = text
            .lines()
            .zip(out.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(text.lines().count(), out.lines().count());
        assert_eq!(changed.len(), 3, "{changed:#?}");
        assert!(changed[0]
            .1
            .contains("CloudWatchLogHandler(log_group_name="));
        assert!(changed[1].1.contains("\"traceparent\", \"tracestate\"]"));
        assert!(changed[2].1.starts_with("  LOGGER.info("));
    }
}
