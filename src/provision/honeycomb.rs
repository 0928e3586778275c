//! The Honeycomb side of `up` and `down`: the saved queries and the board that
//! honeycomb/queries.json declares, and a deploy marker. Queries are found by their annotation's
//! name, the board by its name; what `up` made carries its mark (the annotation's description
//! ends with " [cruddur-obs]", the board has our tags), and `down` deletes only that. The key's
//! permissions are read first: without them the Honeycomb steps fail with the permission named,
//! and the AWS side goes on.

use std::time::Duration;

use serde_json::{json, Value};

use crate::drift::{Change, Plan};
use crate::error::{Exit, Failure};
use crate::honeycomb::{self, Auth, KeyKind};
use crate::honeycomb_api::{Annotation, Api, BoardFound, BoardTag};
use crate::http::{check_url, Wording};
use crate::provision::engine::{Outcome, Resource, Step};
use crate::provision::MANAGED_VALUE;
use crate::queries::{self, Board, QueriesFile, SavedQuery};
use crate::secret::mask;

/// What the workspace declares in Honeycomb.
#[derive(Debug, Clone)]
pub struct HoneycombDesired {
    pub source: String,
    pub file: QueriesFile,
    pub dataset: String,
}

/// The permissions each kind of resource needs, as `/1/auth` names them and as Honeycomb's UI
/// shows them.
const QUERIES: (&str, &str) = ("queries", "Manage Queries and Columns");
const BOARDS: (&str, &str) = ("boards", "Manage Public Boards");
const MARKERS: (&str, &str) = ("markers", "Manage Markers");

/// The variable for a configuration key, when HONEYCOMB_API_KEY is the backend's ingest key.
pub const CONFIGURATION_KEY: &str = "HONEYCOMB_CONFIGURATION_KEY";

/// Honeycomb reached with the workspace's key: the API and what the key may do.
pub struct Connected {
    pub api: Api,
    pub auth: Auth,
}

/// Connects with HONEYCOMB_CONFIGURATION_KEY, else HONEYCOMB_API_KEY (at HONEYCOMB_API_ENDPOINT,
/// else the key's region), and asks
/// who the key is. Every reason it cannot is a failure of the Honeycomb side alone.
pub async fn connect(timeout: Duration) -> Result<Connected, Failure> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    // The backend sends with an ingest key; managing queries and boards takes a configuration
    // key, which may be given apart.
    let (key, source) = match var(CONFIGURATION_KEY) {
        Some(k) => (k, CONFIGURATION_KEY),
        None => (
            var("HONEYCOMB_API_KEY").ok_or_else(|| {
                Failure::setup(format!(
                    "neither {CONFIGURATION_KEY} nor HONEYCOMB_API_KEY is set, so Honeycomb was left alone"
                ))
                .hint(format!(
                    "set {CONFIGURATION_KEY} to a configuration key of the environment that may manage queries and boards, then run up again"
                ))
            })?,
            "HONEYCOMB_API_KEY",
        ),
    };
    let shape = honeycomb::classify(&key).map_err(|why| {
        Failure::bad_input(format!(
            "{source} ({}) is not a Honeycomb key: {why}",
            mask(&key)
        ))
    })?;
    if shape.kind == KeyKind::Ingest {
        return Err(Failure::new(
            Exit::KeyRejected,
            format!(
                "{source} ({}) is an ingest key: it sends data, but may not manage queries, boards or markers",
                mask(&key)
            ),
        )
        .hint(format!("make a configuration key with \"Manage Queries and Columns\", \"Manage Public Boards\" and \"Manage Markers\" (Environment settings -> API Keys), and set {CONFIGURATION_KEY} to it")));
    }
    let api = var("HONEYCOMB_API_ENDPOINT").unwrap_or_else(|| shape.region.api().to_string());
    check_url("HONEYCOMB_API_ENDPOINT", &api, honeycomb::US_API)?;
    let auth = honeycomb::whoami(&api, &key, shape, timeout)
        .await
        .map_err(|e| e.failure(&api, &key, Wording::Command))?;
    Ok(Connected {
        api: Api::new(&api, &key, timeout),
        auth,
    })
}

fn missing(auth: &Auth, permission: (&str, &str)) -> Option<Failure> {
    (!auth.can(permission.0)).then(|| {
        Failure::new(
            Exit::KeyRejected,
            format!(
                "the Honeycomb key may not do this: it lacks the permission \"{}\" ({})",
                permission.1, permission.0
            ),
        )
        .hint(format!(
            "give the key \"{}\" in Honeycomb (Environment settings -> API Keys), or set HONEYCOMB_API_KEY to a key that has it",
            permission.1
        ))
    })
}

/// Connects and reads the Honeycomb side, when the workspace declares one: what `up` and `down`
/// start from.
pub async fn connect_and_read(
    desired: Option<&HoneycombDesired>,
    marker: Option<&str>,
    timeout: Duration,
) -> Option<(Result<Connected, Failure>, State)> {
    let d = desired?;
    let connected = connect(timeout).await;
    let state = read(&connected, d, marker).await;
    Some((connected, state))
}

/// A query as it is: its annotation and its spec.
#[derive(Debug, Clone)]
pub struct QueryFound {
    pub annotation: Annotation,
    pub spec: Value,
}

/// Everything declared in Honeycomb, as it is. An `Err` is why it cannot be read or written.
pub struct State {
    pub dataset: String,
    pub source: String,
    pub queries: Vec<(SavedQuery, Result<Option<QueryFound>, Failure>)>,
    pub board: Option<(Board, Result<Option<BoardFound>, Failure>)>,
    pub marker: Option<(String, Result<(), Failure>)>,
}

fn copy(f: &Failure) -> Failure {
    let mut c = Failure::new(f.exit, f.message.clone());
    if let Some(h) = &f.hint {
        c = c.hint(h.clone());
    }
    c
}

/// Reads the declared queries and board. `marker` is the deploy marker to make, if any.
pub async fn read(
    connected: &Result<Connected, Failure>,
    desired: &HoneycombDesired,
    marker: Option<&str>,
) -> State {
    let dataset = desired.dataset.clone();
    let mut state = State {
        dataset: dataset.clone(),
        source: desired.source.clone(),
        queries: vec![],
        board: None,
        marker: None,
    };
    let c = match connected {
        Ok(c) => c,
        Err(f) => {
            state.queries = desired
                .file
                .queries
                .iter()
                .map(|q| (q.clone(), Err(copy(f))))
                .collect();
            state.board = desired.file.board.clone().map(|b| (b, Err(copy(f))));
            state.marker = marker.map(|m| (m.to_string(), Err(copy(f))));
            return state;
        }
    };
    let annotations = match missing(&c.auth, QUERIES) {
        Some(f) => Err(f),
        None => c.api.annotations(&dataset).await,
    };
    for q in &desired.file.queries {
        let found = match &annotations {
            Err(f) => Err(copy(f)),
            Ok(all) => match all.iter().find(|a| a.name == q.name) {
                None => Ok(None),
                Some(a) => c.api.query(&dataset, &a.query_id).await.map(|spec| {
                    Some(QueryFound {
                        annotation: a.clone(),
                        spec,
                    })
                }),
            },
        };
        state.queries.push((q.clone(), found));
    }
    if let Some(board) = &desired.file.board {
        let found = match (missing(&c.auth, BOARDS), &annotations) {
            (Some(f), _) => Err(f),
            // The board shows the saved queries: without them it cannot be made right.
            (None, Err(f)) => Err(copy(f)),
            (None, Ok(_)) => c
                .api
                .boards()
                .await
                .map(|all| all.into_iter().find(|b| b.name == board.name)),
        };
        state.board = Some((board.clone(), found));
    }
    state.marker = marker.map(|m| {
        (
            m.to_string(),
            match missing(&c.auth, MARKERS) {
                Some(f) => Err(f),
                None => Ok(()),
            },
        )
    });
    state
}

/// Board tags: keys of lowercase letters, values of lowercase letters, digits, `-` and `/`
/// starting with a letter, up to 32 characters.
const BOARD_MANAGED_KEY: &str = "managedby";
const BOARD_WORKSPACE_KEY: &str = "workspace";

/// The workspace's name as a board tag's value.
fn tag_value(workspace: &str) -> String {
    let mut value: String = workspace
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '/' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        value.insert(0, 'w');
    }
    value.chars().take(32).collect()
}

/// Our tags on a board, for a workspace.
fn board_tags(workspace: &str) -> Vec<BoardTag> {
    vec![
        BoardTag {
            key: BOARD_MANAGED_KEY.into(),
            value: MANAGED_VALUE.into(),
        },
        BoardTag {
            key: BOARD_WORKSPACE_KEY.into(),
            value: tag_value(workspace),
        },
    ]
}

/// Whether a board carries our tags for this workspace.
fn board_is_ours(b: &BoardFound, workspace: &str) -> bool {
    board_tags(workspace).iter().all(|t| b.tags.contains(t))
}

/// The description an annotation gets: with our mark when it is ours to make, as declared when
/// it is the user's (it then stays theirs).
fn description_for(q: &SavedQuery, found: Option<&QueryFound>) -> String {
    match found {
        Some(f) if !queries::is_ours(&f.annotation.description) => q.description.clone(),
        _ => queries::described(&q.description),
    }
}

fn clip(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 60 {
        format!("\"{}…\"", one.chars().take(59).collect::<String>())
    } else {
        format!("\"{one}\"")
    }
}

fn query_plan(q: &SavedQuery, found: &QueryFound) -> Plan {
    let mut changes = Vec::new();
    if !queries::same_spec(&q.query, &found.spec) {
        changes.push(Change {
            field: "query".into(),
            current: "the saved spec".into(),
            desired: format!("the spec in {}", queries::FILE),
        });
    }
    let description = description_for(q, Some(found));
    if found.annotation.description != description {
        changes.push(Change {
            field: "description".into(),
            current: clip(&found.annotation.description),
            desired: clip(&description),
        });
    }
    if changes.is_empty() {
        Plan::Unchanged
    } else {
        Plan::Update(changes)
    }
}

fn failure_text(f: &Failure) -> String {
    f.message.clone()
}

/// Plans every Honeycomb resource.
pub fn plan(state: &State, workspace: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut any_query_new = false;
    for (q, found) in &state.queries {
        let p = match found {
            Err(f) => Err(failure_text(f)),
            Ok(None) => Ok(Plan::Create),
            Ok(Some(f)) => Ok(query_plan(q, f)),
        };
        if matches!(&p, Ok(Plan::Create))
            || matches!(&p, Ok(Plan::Update(c)) if c.iter().any(|c| c.field == "query"))
        {
            any_query_new = true;
        }
        steps.push(Step::new(Resource::Query(q.name.clone()), &state.source, p));
    }
    if let Some((board, found)) = &state.board {
        let p = match found {
            Err(f) => Err(failure_text(f)),
            Ok(None) => Ok(Plan::Create),
            Ok(Some(b)) => {
                let mut changes = Vec::new();
                if b.description != board.description {
                    changes.push(Change {
                        field: "description".into(),
                        current: clip(&b.description),
                        desired: clip(&board.description),
                    });
                }
                let want: Vec<(String, String)> = state
                    .queries
                    .iter()
                    .filter_map(|(q, f)| match f {
                        Ok(Some(f)) => Some((f.annotation.id.clone(), q.style.to_string())),
                        _ => None,
                    })
                    .collect();
                if any_query_new || b.query_panels() != want {
                    changes.push(Change {
                        field: "panels".into(),
                        current: format!("{} query panel(s)", b.query_panels().len()),
                        desired: format!("{} query panel(s), in order", state.queries.len()),
                    });
                }
                if changes.is_empty() {
                    Ok(Plan::Unchanged)
                } else {
                    Ok(Plan::Update(changes))
                }
            }
        };
        let _ = workspace;
        steps.push(Step::new(
            Resource::Board(board.name.clone()),
            &state.source,
            p,
        ));
    }
    if let Some((message, ok)) = &state.marker {
        let p = match ok {
            Err(f) => Err(failure_text(f)),
            Ok(()) => Ok(Plan::Create),
        };
        steps.push(Step::new(Resource::Marker(message.clone()), "--marker", p));
    }
    steps
}

/// The exit code a step that could not be planned fails with: its cause's.
fn unknown(resource: &Resource, f: &Failure) -> Outcome {
    Outcome::of(
        resource,
        Err(Failure::new(
            f.exit,
            match &f.hint {
                Some(h) => format!("{} ({h})", f.message),
                None => f.message.clone(),
            },
        )),
    )
}

/// Applies the plan: the queries one by one, then the board showing them, then the marker.
pub async fn apply(
    connected: &Result<Connected, Failure>,
    state: &State,
    steps: &[Step],
    workspace: &str,
) -> Vec<Outcome> {
    let mut out = Vec::new();
    let step = |r: &Resource| steps.iter().find(|s| s.resource == *r);
    // The annotation of each query, once applied, for the board's panels.
    let mut panels: Vec<(String, String, String)> = Vec::new();
    for (q, found) in &state.queries {
        let resource = Resource::Query(q.name.clone());
        let (c, found) = match (connected, found) {
            (Err(f), _) | (_, Err(f)) => {
                out.push(unknown(&resource, f));
                continue;
            }
            (Ok(c), Ok(found)) => (c, found.as_ref()),
        };
        let plan = step(&resource).and_then(|s| s.plan());
        let result = apply_query(c, &state.dataset, q, found, plan).await;
        match result {
            Ok((word, annotation)) => {
                panels.push((
                    annotation.query_id.clone(),
                    annotation.id.clone(),
                    q.style.to_string(),
                ));
                out.push(Outcome::of(&resource, Ok(word)));
            }
            Err(f) => {
                // A query that failed keeps its old panel, if it had one.
                if let Some(f) = found {
                    panels.push((
                        f.annotation.query_id.clone(),
                        f.annotation.id.clone(),
                        q.style.to_string(),
                    ));
                }
                out.push(Outcome::of(&resource, Err(f)));
            }
        }
    }
    if let Some((board, found)) = &state.board {
        let resource = Resource::Board(board.name.clone());
        let outcome = match (found, connected, step(&resource)) {
            (Err(f), _, _) | (_, Err(f), _) => unknown(&resource, f),
            (Ok(_), Ok(_), None) => Outcome::of(&resource, Ok("unchanged")),
            (Ok(found), Ok(c), Some(s)) => {
                let body = board_body(board, &panels, found.as_ref(), workspace);
                let r = match (s.plan(), found) {
                    (Some(Plan::Unchanged), _) => Ok("unchanged"),
                    (_, Some(b)) => c.api.update_board(&b.id, &body).await.map(|_| "updated"),
                    (_, None) => c.api.create_board(&body).await.map(|_| "created"),
                };
                Outcome::of(&resource, r)
            }
        };
        out.push(outcome);
    }
    if let Some((message, ok)) = &state.marker {
        let resource = Resource::Marker(message.clone());
        out.push(match (ok, connected) {
            (Err(f), _) | (_, Err(f)) => unknown(&resource, f),
            (Ok(()), Ok(c)) => Outcome::of(
                &resource,
                c.api
                    .create_marker(&state.dataset, message)
                    .await
                    .map(|_| "created"),
            ),
        });
    }
    out
}

/// One query: created (spec, then its annotation), or brought in line. A changed spec is a new
/// saved query (specs cannot change), named by a new annotation that replaces the old one.
async fn apply_query(
    c: &Connected,
    dataset: &str,
    q: &SavedQuery,
    found: Option<&QueryFound>,
    plan: Option<&Plan>,
) -> Result<(&'static str, Annotation), Failure> {
    let description = description_for(q, found);
    let spec = serde_json::to_value(&q.query).expect("a query spec serializes");
    match (found, plan) {
        (Some(f), Some(Plan::Unchanged)) | (Some(f), None) => {
            Ok(("unchanged", f.annotation.clone()))
        }
        (None, _) => {
            let id = c.api.create_query(dataset, &spec).await?;
            let a = c
                .api
                .create_annotation(dataset, &q.name, &description, &id)
                .await?;
            Ok(("created", a))
        }
        (Some(f), Some(Plan::Update(changes))) => {
            if changes.iter().any(|c| c.field == "query") {
                let id = c.api.create_query(dataset, &spec).await?;
                let a = c
                    .api
                    .create_annotation(dataset, &q.name, &description, &id)
                    .await?;
                c.api.delete_annotation(dataset, &f.annotation.id).await?;
                Ok(("updated", a))
            } else {
                let a = Annotation {
                    description,
                    ..f.annotation.clone()
                };
                c.api.update_annotation(dataset, &a).await?;
                Ok(("updated", a))
            }
        }
        (Some(f), Some(Plan::Create)) => Ok(("unchanged", f.annotation.clone())),
    }
}

/// The board as it is sent: flexible, laid out automatically, a query panel per query, and our
/// tags unless the board is the user's.
fn board_body(
    board: &Board,
    panels: &[(String, String, String)],
    found: Option<&BoardFound>,
    workspace: &str,
) -> Value {
    let tags: Vec<BoardTag> = match found {
        Some(b) if !board_is_ours(b, workspace) => b.tags.clone(),
        _ => board_tags(workspace),
    };
    json!({
        "name": board.name,
        "description": board.description,
        "type": "flexible",
        "layout_generation": "auto",
        "panels": panels.iter().map(|(query_id, annotation_id, style)| json!({
            "type": "query",
            "query_panel": {"query_id": query_id, "query_annotation_id": annotation_id, "query_style": style},
        })).collect::<Vec<_>>(),
        "tags": tags,
    })
}

/// What `down` finds in Honeycomb: each declared query and the board, whether it exists and is
/// ours (an `Err` when it cannot be read), with the id to delete.
pub fn found(state: &State, workspace: &str) -> Vec<(Resource, Result<bool, String>, String)> {
    let mut out = Vec::new();
    for (q, f) in &state.queries {
        let r = Resource::Query(q.name.clone());
        match f {
            Err(e) => out.push((r, Err(failure_text(e)), String::new())),
            Ok(None) => {}
            Ok(Some(f)) => out.push((
                r,
                Ok(queries::is_ours(&f.annotation.description)),
                f.annotation.id.clone(),
            )),
        }
    }
    if let Some((board, f)) = &state.board {
        let r = Resource::Board(board.name.clone());
        match f {
            Err(e) => out.push((r, Err(failure_text(e)), String::new())),
            Ok(None) => {}
            Ok(Some(b)) => out.push((r, Ok(board_is_ours(b, workspace)), b.id.clone())),
        }
    }
    out
}

/// Deletes one of ours: a query's annotation (Honeycomb keeps query specs; unnamed, they are
/// not listed) or the board.
pub async fn delete(
    c: &Connected,
    dataset: &str,
    resource: &Resource,
    id: &str,
) -> Result<(), Failure> {
    match resource {
        Resource::Query(_) => c.api.delete_annotation(dataset, id).await,
        Resource::Board(_) => c.api.delete_board(id).await,
        _ => Err(Failure::failed(format!(
            "{} is not deleted by down",
            resource.kind()
        ))),
    }
}

/// One declared query as `honeycomb queries` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    pub name: String,
    pub description: String,
    /// Its annotation's and saved query's ids, when Honeycomb has it.
    pub annotation_id: Option<String>,
    pub query_id: Option<String>,
    /// Whether `up` made it (its description carries the mark).
    pub managed: bool,
    /// Opens the query in Honeycomb's query builder.
    pub link: Option<String>,
}

/// The declared queries as Honeycomb has them, with their links.
pub async fn list(c: &Connected, desired: &HoneycombDesired) -> Result<Vec<Listed>, Failure> {
    if let Some(f) = missing(&c.auth, QUERIES) {
        return Err(f);
    }
    let all = c.api.annotations(&desired.dataset).await?;
    let mut out = Vec::new();
    for q in &desired.file.queries {
        let found = all.iter().find(|a| a.name == q.name);
        let link = match found {
            Some(a) => {
                let spec = c.api.query(&desired.dataset, &a.query_id).await?;
                Some(query_link(&c.auth, c.api.base(), &desired.dataset, &spec))
            }
            None => None,
        };
        out.push(Listed {
            name: q.name.clone(),
            description: found.map_or(q.description.clone(), |a| {
                let text = a.description.trim_end();
                text.strip_suffix(queries::MARK.trim_start())
                    .map_or(text, str::trim_end)
                    .to_string()
            }),
            annotation_id: found.map(|a| a.id.clone()),
            query_id: found.map(|a| a.query_id.clone()),
            managed: found.is_some_and(|a| queries::is_ours(&a.description)),
            link,
        });
    }
    Ok(out)
}

/// A link that opens a query spec in Honeycomb's query builder: the environment's UI address,
/// the dataset, and the spec as the `query` parameter.
pub fn query_link(auth: &Auth, api: &str, dataset: &str, spec: &Value) -> String {
    let mut spec = spec.clone();
    if let Some(o) = spec.as_object_mut() {
        o.remove("id");
    }
    let mut ui = auth.ui_link();
    if api.contains("api.eu1.honeycomb.io") {
        ui = ui.replacen("ui.honeycomb.io", "ui.eu1.honeycomb.io", 1);
    }
    let base = format!("{ui}/datasets/{dataset}");
    match reqwest::Url::parse_with_params(&base, &[("query", spec.to_string())]) {
        Ok(url) => url.to_string(),
        Err(_) => base,
    }
}

#[cfg(test)]
mod tests {
    use super::tag_value;

    #[test]
    fn a_workspace_name_becomes_a_board_tag_value() {
        assert_eq!(tag_value("demo"), "demo");
        assert_eq!(tag_value(".tmp4KqBi9"), "w-tmp4kqbi9");
        assert_eq!(tag_value("Mon Cruddur é"), "mon-cruddur--");
        assert_eq!(tag_value(&"a".repeat(40)).len(), 32);
    }
}
