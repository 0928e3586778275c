//! The reconciliation engine `up` and `down` share: read each declared resource as it is, plan
//! each one, apply the plans, delete what is ours. Every resource stands alone: one whose state
//! cannot be read is `unknown` in the plan and fails by itself, and the others go on.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aws::AwsArgs;
use crate::drift::{self, Plan};
use crate::error::{Exit, Failure};
use crate::group::{CreateGroupInput, Group};
use crate::log_group::{LogGroup, LogGroupSpec};
use crate::logs::Logs;
use crate::provision::apply::{self, Applied};
use crate::provision::{is_ours, Desired, MANAGED_KEY, WORKSPACE_KEY};
use crate::sampling_rule::{CreateSamplingRuleInput, SamplingRuleRecord, DEFAULT_RULE};
use crate::tags::Tag;
use crate::xray::Xray;

/// A resource a workspace declares. Adding a kind means a variant here and its arms below.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    Group(String),
    SamplingRule(String),
    LogGroup(String),
    /// A Honeycomb saved query, by its annotation's name.
    Query(String),
    /// A Honeycomb board.
    Board(String),
    /// A Honeycomb deploy marker, by its message.
    Marker(String),
}

impl Resource {
    pub fn kind(&self) -> &'static str {
        match self {
            Resource::Group(_) => "X-Ray group",
            Resource::SamplingRule(_) => "sampling rule",
            Resource::LogGroup(_) => "log group",
            Resource::Query(_) => "saved query",
            Resource::Board(_) => "board",
            Resource::Marker(_) => "marker",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Resource::Group(n)
            | Resource::SamplingRule(n)
            | Resource::LogGroup(n)
            | Resource::Query(n)
            | Resource::Board(n)
            | Resource::Marker(n) => n,
        }
    }
}

/// A resource as it is.
#[derive(Debug, Clone)]
pub enum Found<T> {
    Absent,
    /// It exists, with its tags.
    Present(T, BTreeMap<String, String>),
    /// Its state could not be read.
    Unknown(String),
}

impl<T> Found<T> {
    fn current(&self) -> Option<(&T, &BTreeMap<String, String>)> {
        match self {
            Found::Present(t, tags) => Some((t, tags)),
            _ => None,
        }
    }

    /// Whether it exists and `up` made it for this workspace.
    fn ours(&self, workspace: &str) -> bool {
        self.current().is_some_and(|(_, t)| is_ours(t, workspace))
    }
}

/// The clients for the services the workspace uses.
pub struct Clients {
    pub xray: Option<Xray>,
    pub logs: Option<Logs>,
    pub region: String,
}

impl Clients {
    /// No AWS client: the AWS side could not be reached, and the Honeycomb side goes on alone.
    pub fn none() -> Clients {
        Clients {
            xray: None,
            logs: None,
            region: String::new(),
        }
    }
}

pub async fn connect(desired: &Desired, aws: &AwsArgs) -> Result<Clients, Failure> {
    let xray = match desired.group.is_some() || !desired.rules.is_empty() {
        true => Some(Xray::connect(aws).await?),
        false => None,
    };
    let logs = match desired.log_group.is_some() {
        true => Some(Logs::connect(aws).await?),
        false => None,
    };
    let region = xray
        .as_ref()
        .map(|x| x.region().to_string())
        .or(logs.as_ref().map(|l| l.region().to_string()))
        .unwrap_or_default();
    Ok(Clients { xray, logs, region })
}

/// Every declared resource as it is.
pub struct State {
    pub group: Option<(String, CreateGroupInput, Found<Group>)>,
    pub rules: Vec<(String, CreateSamplingRuleInput, Found<SamplingRuleRecord>)>,
    pub log_group: Option<(LogGroupSpec, Found<LogGroup>)>,
}

/// Reads X-Ray and CloudWatch Logs at the same time; a service that fails leaves its own
/// resources unknown.
pub async fn read(c: &Clients, desired: &Desired) -> State {
    let xray_side = async {
        let Some(x) = &c.xray else {
            return (None, vec![]);
        };
        let (groups, rules) = tokio::join!(x.groups(), x.sampling_rules());
        let group = match &desired.group {
            None => None,
            Some((source, g)) => {
                let found = match &groups {
                    Err(f) => Found::Unknown(f.message.clone()),
                    Ok(all) => match all
                        .iter()
                        .find(|x| x.group_name.as_deref() == Some(g.group_name.as_str()))
                    {
                        None => Found::Absent,
                        Some(e) => match &e.group_arn {
                            Some(arn) => match x.tags(arn).await {
                                Ok(tags) => Found::Present(e.clone(), tags),
                                Err(f) => Found::Unknown(f.message),
                            },
                            None => Found::Present(e.clone(), BTreeMap::new()),
                        },
                    },
                };
                Some((source.clone(), g.clone(), found))
            }
        };
        let mut found_rules = Vec::new();
        for (source, r) in &desired.rules {
            let name = r.sampling_rule.rule_name.clone().unwrap_or_default();
            let found = match &rules {
                Err(f) => Found::Unknown(f.message.clone()),
                Ok(all) => match all.iter().find(|x| x.name() == name) {
                    None => Found::Absent,
                    Some(e) => match &e.sampling_rule.rule_arn {
                        Some(arn) => match x.tags(arn).await {
                            Ok(tags) => Found::Present(e.clone(), tags),
                            Err(f) => Found::Unknown(f.message),
                        },
                        None => Found::Present(e.clone(), BTreeMap::new()),
                    },
                },
            };
            found_rules.push((source.clone(), r.clone(), found));
        }
        (group, found_rules)
    };
    let log_side = async {
        let (Some(l), Some(spec)) = (&c.logs, &desired.log_group) else {
            return None;
        };
        let found = match l.find(&spec.name).await {
            Err(f) => Found::Unknown(f.message),
            Ok(None) => Found::Absent,
            Ok(Some(g)) => match l.tags(&spec.name).await {
                Ok(tags) => Found::Present(g, tags),
                Err(f) => Found::Unknown(f.message),
            },
        };
        Some((spec.clone(), found))
    };
    let ((group, rules), log_group) = tokio::join!(xray_side, log_side);
    State {
        group,
        rules,
        log_group,
    }
}

/// One region's share of a run: its clients (none when AWS could not be reached there, with
/// why), what exists, and the plan.
pub struct Regional {
    pub region: String,
    pub clients: Clients,
    pub failure: Option<Failure>,
    pub state: State,
    pub steps: Vec<Step>,
}

/// Connects, reads and plans in the region of `aws`.
pub async fn plan_in(desired: Desired, aws: AwsArgs) -> Regional {
    let (clients, failure) = match connect(&desired, &aws).await {
        Ok(c) => (c, None),
        Err(f) => (Clients::none(), Some(f)),
    };
    let mut state = read(&clients, &desired).await;
    let steps = plan(&mut state, &desired.workspace);
    let region = match (&failure, clients.region.is_empty()) {
        (None, false) => clients.region.clone(),
        _ => aws
            .region
            .clone()
            .unwrap_or_else(|| "the default region".into()),
    };
    Regional {
        region,
        clients,
        failure,
        state,
        steps,
    }
}

/// Plans every region at the same time; the result is in the order of `areas`.
pub async fn plan_regions(desired: &Desired, areas: &[AwsArgs]) -> Vec<Regional> {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, aws) in areas.iter().enumerate() {
        let (desired, aws) = (desired.clone(), aws.clone());
        tasks.spawn(async move { (i, plan_in(desired, aws).await) });
    }
    let mut done: Vec<(usize, Regional)> = tasks.join_all().await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Applies every region's plan at the same time: (region, outcomes), in the regions' order. A
/// region AWS could not be reached in fails as a whole, and the others go on.
pub async fn apply_regions(regionals: Vec<Regional>) -> Vec<(String, Vec<Outcome>)> {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, r) in regionals.into_iter().enumerate() {
        tasks.spawn(async move {
            let mut outcomes = apply(&r.clients, &r.state, &r.steps).await;
            if let Some(f) = r.failure {
                outcomes.insert(0, Outcome::unreachable("AWS", f));
            }
            (i, r.region, outcomes)
        });
    }
    let mut done: Vec<(usize, String, Vec<Outcome>)> = tasks.join_all().await;
    done.sort_by_key(|(i, _, _)| *i);
    done.into_iter().map(|(_, r, o)| (r, o)).collect()
}

/// What will happen to one resource.
#[derive(Debug, Clone)]
pub enum Action {
    Create,
    Update(Vec<drift::Change>),
    Unchanged,
    /// Its state could not be read: it is left alone, and reported as failed.
    Unknown(String),
}

/// One resource's step, as shown before anything is done (and printed with --json).
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub kind: &'static str,
    pub name: String,
    pub source: String,
    pub action: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<drift::Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    pub resource: Resource,
    #[serde(skip)]
    plan: Option<Plan>,
}

impl Step {
    pub fn new(resource: Resource, source: &str, found: Result<Plan, String>) -> Step {
        let action = match &found {
            Ok(Plan::Create) => Action::Create,
            Ok(Plan::Unchanged) => Action::Unchanged,
            Ok(Plan::Update(c)) => Action::Update(c.clone()),
            Err(e) => Action::Unknown(e.clone()),
        };
        let (word, changes, error) = match action {
            Action::Create => ("create", vec![], None),
            Action::Unchanged => ("unchanged", vec![], None),
            Action::Update(c) => ("update", c, None),
            Action::Unknown(e) => ("unknown", vec![], Some(e)),
        };
        Step {
            kind: resource.kind(),
            name: resource.name().to_string(),
            source: source.to_string(),
            action: word,
            changes,
            error,
            resource,
            plan: found.ok(),
        }
    }

    /// The step as one line (and its changes below it) for people.
    pub fn describe(&self) -> String {
        let detail = match (&self.plan, &self.error) {
            (Some(Plan::Update(changes)), _) => format!(
                ":\n{}",
                drift::render(changes)
                    .lines()
                    .map(|l| format!("    {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            (_, Some(e)) => format!(": cannot be read: {e}"),
            _ => String::new(),
        };
        format!("  {:9}  {} {}{detail}", self.action, self.kind, self.name)
    }

    /// The plan, when the resource could be read.
    pub fn plan(&self) -> Option<&Plan> {
        self.plan.as_ref()
    }

    pub fn is_update(&self) -> bool {
        matches!(self.plan, Some(Plan::Update(_)))
    }

    pub fn is_pending(&self) -> bool {
        !matches!(self.plan, Some(Plan::Unchanged))
    }
}

/// A resource that exists and was not created by `up` stays the user's: its settings are brought
/// in line, but it is never tagged as ours, so `down` leaves it alone.
fn theirs<T>(found: &Found<T>, workspace: &str) -> bool {
    found.current().is_some() && !found.ours(workspace)
}

fn without_our_tags(tags: &[Tag]) -> Vec<Tag> {
    tags.iter()
        .filter(|t| t.key != MANAGED_KEY && t.key != WORKSPACE_KEY)
        .cloned()
        .collect()
}

fn planned<T>(
    found: &Found<T>,
    plan: impl FnOnce(Option<(&T, &BTreeMap<String, String>)>) -> Plan,
) -> Result<Plan, String> {
    match found {
        Found::Unknown(e) => Err(e.clone()),
        other => Ok(plan(other.current())),
    }
}

/// Plans every resource; the desired state loses our tags where the resource is the user's.
pub fn plan(state: &mut State, workspace: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    if let Some((source, g, found)) = &mut state.group {
        if theirs(found, workspace) {
            g.tags = without_our_tags(&g.tags);
        }
        let p = planned(found, |c| g.plan(c));
        steps.push(Step::new(Resource::Group(g.group_name.clone()), source, p));
    }
    for (source, r, found) in &mut state.rules {
        if theirs(found, workspace) {
            r.tags = without_our_tags(&r.tags);
        }
        let p = planned(found, |c| r.plan(c));
        let name = r.sampling_rule.rule_name.clone().unwrap_or_default();
        steps.push(Step::new(Resource::SamplingRule(name), source, p));
    }
    if let Some((spec, found)) = &mut state.log_group {
        if theirs(found, workspace) {
            spec.tags.remove(MANAGED_KEY);
            spec.tags.remove(WORKSPACE_KEY);
        }
        let p = planned(found, |c| spec.plan(c));
        steps.push(Step::new(
            Resource::LogGroup(spec.name.clone()),
            crate::manifest::FILE,
            p,
        ));
    }
    steps
}

/// What happened to one resource.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub kind: &'static str,
    pub name: String,
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The exit code this outcome alone would give.
    #[serde(skip)]
    pub exit: Exit,
}

impl Outcome {
    pub fn of(resource: &Resource, result: Result<&'static str, Failure>) -> Outcome {
        let (result, error, exit) = match result {
            Ok(word) => (word, None, Exit::Ok),
            Err(f) => ("failed", Some(f.message), f.exit),
        };
        Outcome {
            kind: resource.kind(),
            name: resource.name().to_string(),
            result,
            error,
            exit,
        }
    }

    pub fn failed(&self) -> bool {
        self.result == "failed"
    }

    /// A whole service that could not be reached: its resources were neither read nor changed.
    pub fn unreachable(service: &'static str, f: Failure) -> Outcome {
        Outcome {
            kind: service,
            name: "resources".into(),
            result: "failed",
            error: Some(match f.hint {
                Some(h) => format!("{} ({h})", f.message),
                None => f.message,
            }),
            exit: f.exit,
        }
    }
}

fn step_for<'a>(steps: &'a [Step], resource: &Resource) -> Option<&'a Step> {
    steps.iter().find(|s| s.resource == *resource)
}

/// Applies the steps: X-Ray and CloudWatch Logs at the same time, each resource on its own. An
/// unknown resource is reported failed with the reason its state could not be read.
pub async fn apply(c: &Clients, state: &State, steps: &[Step]) -> Vec<Outcome> {
    let outcome = |resource: &Resource, r: Result<Applied, Failure>| {
        Outcome::of(resource, r.map(Applied::word))
    };
    let unknown = |resource: &Resource, step: &Step| {
        Outcome::of(
            resource,
            Err(Failure::failed(format!(
                "its state could not be read, so it was left alone: {}",
                step.error.clone().unwrap_or_default()
            ))),
        )
    };
    let xray_side = async {
        let mut out = Vec::new();
        let Some(x) = &c.xray else { return out };
        if let Some((_, g, found)) = &state.group {
            let resource = Resource::Group(g.group_name.clone());
            if let Some(step) = step_for(steps, &resource) {
                out.push(match &step.plan {
                    None => unknown(&resource, step),
                    Some(plan) => {
                        let existing = found.current().map(|(e, _)| e);
                        outcome(
                            &resource,
                            apply::group(x, g, existing, plan).await.map(|(a, _)| a),
                        )
                    }
                });
            }
        }
        for (_, r, found) in &state.rules {
            let resource =
                Resource::SamplingRule(r.sampling_rule.rule_name.clone().unwrap_or_default());
            if let Some(step) = step_for(steps, &resource) {
                out.push(match &step.plan {
                    None => unknown(&resource, step),
                    Some(plan) => {
                        let existing = found.current().map(|(e, _)| e);
                        outcome(
                            &resource,
                            apply::rule(x, r, existing, plan).await.map(|(a, _)| a),
                        )
                    }
                });
            }
        }
        out
    };
    let log_side = async {
        let (Some(l), Some((spec, _))) = (&c.logs, &state.log_group) else {
            return vec![];
        };
        let resource = Resource::LogGroup(spec.name.clone());
        let Some(step) = step_for(steps, &resource) else {
            return vec![];
        };
        vec![match &step.plan {
            None => unknown(&resource, step),
            Some(plan) => outcome(&resource, apply::log_group(l, spec, plan).await),
        }]
    };
    let (mut out, log) = tokio::join!(xray_side, log_side);
    out.extend(log);
    out
}

/// What `down` finds of the declared resources: each that exists (or cannot be read), and
/// whether it is ours to delete. X-Ray's Default rule is never among them.
pub fn found(state: &State, workspace: &str) -> Vec<(Resource, Result<bool, String>)> {
    fn one<T>(
        resource: Resource,
        found: &Found<T>,
        workspace: &str,
    ) -> Option<(Resource, Result<bool, String>)> {
        match found {
            Found::Absent => None,
            Found::Unknown(e) => Some((resource, Err(e.clone()))),
            Found::Present(..) => Some((resource, Ok(found.ours(workspace)))),
        }
    }
    let mut out = Vec::new();
    if let Some((_, g, f)) = &state.group {
        out.extend(one(Resource::Group(g.group_name.clone()), f, workspace));
    }
    for (_, r, f) in &state.rules {
        let name = r.sampling_rule.rule_name.clone().unwrap_or_default();
        if name != DEFAULT_RULE {
            out.extend(one(Resource::SamplingRule(name), f, workspace));
        }
    }
    if let Some((spec, f)) = &state.log_group {
        out.extend(one(Resource::LogGroup(spec.name.clone()), f, workspace));
    }
    out
}

/// Deletes one resource.
pub async fn delete(c: &Clients, resource: &Resource) -> Result<(), Failure> {
    let missing = || Failure::failed(format!("no client for the {}", resource.kind()));
    match resource {
        Resource::Group(name) => {
            c.xray
                .as_ref()
                .ok_or_else(missing)?
                .delete_group(name)
                .await
        }
        Resource::SamplingRule(name) => c
            .xray
            .as_ref()
            .ok_or_else(missing)?
            .delete_rule(&Some(name.clone()), &None)
            .await
            .map(|_| ()),
        Resource::LogGroup(name) => c.logs.as_ref().ok_or_else(missing)?.delete(name).await,
        // The Honeycomb side deletes its own (provision::honeycomb::delete).
        Resource::Query(_) | Resource::Board(_) | Resource::Marker(_) => Err(missing()),
    }
}

/// The outcome of a deletion, for the report.
pub fn deleted(resource: &Resource, r: Result<(), Failure>) -> Outcome {
    Outcome::of(resource, r.map(|_| "deleted"))
}
