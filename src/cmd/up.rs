//! `cruddur-obs up [DIR]` provisions everything the workspace declares, idempotently;
//! `cruddur-obs down [DIR]` removes what `up` created, and nothing else.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::aws::AwsArgs;
use crate::drift::{self, Plan};
use crate::error::{Exit, Failure};
use crate::group::Group;
use crate::log_group::LogGroup;
use crate::logs::Logs;
use crate::output::{print_json, OutputArgs};
use crate::provision::{self, Desired};
use crate::sampling_rule::SamplingRuleRecord;
use crate::tags;
use crate::xray::Xray;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  cruddur-obs up                 # shows the plan, asks before changing anything that exists
  cruddur-obs up demo --yes      # no questions
  cruddur-obs up --dry-run       # the plan only

Reads cruddur-obs.toml and aws/json/*.json: the X-Ray group and sampling rules, the log group with
its retention. Everything it creates is tagged managed-by=cruddur-obs, so `down` can tell it from
yours. Running it again changes nothing. If one resource fails, the others still finish and the
exit code is 1; the next `up` picks up where it stopped.")]
pub struct UpArgs {
    /// The workspace folder
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Change what exists without asking
    #[arg(long, short = 'y')]
    yes: bool,
    /// Show the plan and change nothing
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  cruddur-obs down               # lists what it would delete and asks
  cruddur-obs down demo --yes

Deletes only resources the workspace declares that carry the tags `up` put on them; a group, rule
or log group of the same name created another way is left alone. X-Ray's Default rule is never
deleted. Without a terminal it needs --yes.")]
pub struct DownArgs {
    /// The workspace folder
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Delete without asking
    #[arg(long, short = 'y')]
    yes: bool,
    /// List what would be deleted and delete nothing
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

/// The AWS side of a workspace as it is now.
struct Current {
    groups: Vec<Group>,
    rules: Vec<SamplingRuleRecord>,
    log_group: Option<LogGroup>,
    /// Tags by resource ("group", "rule NAME", "log group"), for those that exist.
    tags: BTreeMap<String, BTreeMap<String, String>>,
}

struct Clients {
    xray: Option<Xray>,
    logs: Option<Logs>,
    region: String,
}

async fn connect(desired: &Desired, aws: &AwsArgs) -> Result<Clients, Failure> {
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

async fn read_current(c: &Clients, desired: &Desired) -> Result<Current, Failure> {
    let xray_state = async {
        match &c.xray {
            Some(x) => {
                let (groups, rules) = tokio::join!(x.groups(), x.sampling_rules());
                Ok::<_, Failure>((groups?, rules?))
            }
            None => Ok((vec![], vec![])),
        }
    };
    let log_state = async {
        match (&c.logs, &desired.log_group) {
            (Some(l), Some(spec)) => {
                let found = l.find(&spec.name).await?;
                let tags = match &found {
                    Some(_) => Some(l.tags(&spec.name).await?),
                    None => None,
                };
                Ok::<_, Failure>((found, tags))
            }
            _ => Ok((None, None)),
        }
    };
    let (xray_state, log_state) = tokio::join!(xray_state, log_state);
    let (groups, rules) = xray_state?;
    let (log_group, log_tags) = log_state?;
    let mut tags = BTreeMap::new();
    if let Some(t) = log_tags {
        tags.insert("log group".to_string(), t);
    }
    if let Some(x) = &c.xray {
        if let Some((_, g)) = &desired.group {
            if let Some(arn) = groups
                .iter()
                .find(|x| x.group_name.as_deref() == Some(g.group_name.as_str()))
                .and_then(|g| g.group_arn.clone())
            {
                tags.insert("group".to_string(), x.tags(&arn).await?);
            }
        }
        for (_, r) in &desired.rules {
            let name = r.sampling_rule.rule_name.clone().unwrap_or_default();
            if let Some(arn) = rules
                .iter()
                .find(|x| x.name() == name)
                .and_then(|x| x.sampling_rule.rule_arn.clone())
            {
                tags.insert(format!("rule {name}"), x.tags(&arn).await?);
            }
        }
    }
    Ok(Current {
        groups,
        rules,
        log_group,
        tags,
    })
}

/// One resource's planned change.
#[derive(Debug, Clone, Serialize)]
struct Item {
    kind: &'static str,
    name: String,
    source: String,
    action: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    changes: Vec<drift::Change>,
}

fn item(kind: &'static str, name: &str, source: &str, plan: &Plan) -> Item {
    let (action, changes) = match plan {
        Plan::Create => ("create", vec![]),
        Plan::Unchanged => ("unchanged", vec![]),
        Plan::Update(c) => ("update", c.clone()),
    };
    Item {
        kind,
        name: name.to_string(),
        source: source.to_string(),
        action,
        changes,
    }
}

/// Whether a resource that exists was created by `up`. One that was not stays the user's: its
/// settings are brought in line, but it is never tagged as ours, so `down` leaves it alone.
fn adopted(current: &Current, key: &str, workspace: &str) -> bool {
    current
        .tags
        .get(key)
        .is_some_and(|t| provision::is_ours(t, workspace))
}

fn without_our_tags(tags: &[tags::Tag]) -> Vec<tags::Tag> {
    tags.iter()
        .filter(|t| t.key != provision::MANAGED_KEY && t.key != provision::WORKSPACE_KEY)
        .cloned()
        .collect()
}

/// The desired state with our tags taken off every resource that exists and is not ours.
fn settle(desired: &Desired, current: &Current) -> Desired {
    let mut d = desired.clone();
    if let Some((_, g)) = &mut d.group {
        let exists = current
            .groups
            .iter()
            .any(|x| x.group_name.as_deref() == Some(g.group_name.as_str()));
        if exists && !adopted(current, "group", &desired.workspace) {
            g.tags = without_our_tags(&g.tags);
        }
    }
    for (_, r) in &mut d.rules {
        let name = r.sampling_rule.rule_name.clone().unwrap_or_default();
        if current.rules.iter().any(|x| x.name() == name)
            && !adopted(current, &format!("rule {name}"), &desired.workspace)
        {
            r.tags = without_our_tags(&r.tags);
        }
    }
    if let Some(spec) = &mut d.log_group {
        if current.log_group.is_some() && !adopted(current, "log group", &desired.workspace) {
            spec.tags.remove(provision::MANAGED_KEY);
            spec.tags.remove(provision::WORKSPACE_KEY);
        }
    }
    d
}

fn plan_all(desired: &Desired, current: &Current) -> Vec<(Item, Plan)> {
    let empty = BTreeMap::new();
    let mut out = Vec::new();
    if let Some((source, g)) = &desired.group {
        let existing = current
            .groups
            .iter()
            .find(|x| x.group_name.as_deref() == Some(g.group_name.as_str()));
        let plan = g.plan(existing.map(|e| (e, current.tags.get("group").unwrap_or(&empty))));
        out.push((item("X-Ray group", &g.group_name, source, &plan), plan));
    }
    for (source, r) in &desired.rules {
        let name = r.sampling_rule.rule_name.clone().unwrap_or_default();
        let existing = current.rules.iter().find(|x| x.name() == name);
        let plan = r.plan(existing.map(|e| {
            (
                e,
                current.tags.get(&format!("rule {name}")).unwrap_or(&empty),
            )
        }));
        out.push((item("sampling rule", &name, source, &plan), plan));
    }
    if let Some(spec) = &desired.log_group {
        let plan = spec.plan(
            current
                .log_group
                .as_ref()
                .map(|g| (g, current.tags.get("log group").unwrap_or(&empty))),
        );
        out.push((
            item("log group", &spec.name, crate::manifest::FILE, &plan),
            plan,
        ));
    }
    out
}

fn describe(i: &Item) -> String {
    let detail = match i.action {
        "update" => format!(
            ":\n{}",
            drift::render(&i.changes)
                .lines()
                .map(|l| format!("    {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        _ => String::new(),
    };
    format!("  {:9}  {} {}{detail}", i.action, i.kind, i.name)
}

/// The outcome of applying one item.
#[derive(Debug, Clone, Serialize)]
struct Outcome {
    kind: &'static str,
    name: String,
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

async fn apply_group(
    c: &Clients,
    desired: &Desired,
    current: &Current,
    plan: Option<&Plan>,
) -> Option<Result<&'static str, Failure>> {
    let (x, (_, g), plan) = (c.xray.as_ref()?, desired.group.as_ref()?, plan?);
    Some(match plan {
        Plan::Unchanged => Ok("unchanged"),
        Plan::Create => x.create_group(g).await.map(|_| "created"),
        Plan::Update(changes) => {
            async {
                let existing = current
                    .groups
                    .iter()
                    .find(|e| e.group_name.as_deref() == Some(g.group_name.as_str()));
                if changes.iter().any(|c| !c.field.starts_with("Tags.")) {
                    x.update_group(
                        &g.group_name,
                        g.filter_expression.clone(),
                        g.insights_configuration,
                    )
                    .await?;
                }
                if let Some(arn) = existing
                    .and_then(|e| e.group_arn.clone())
                    .filter(|_| changes.iter().any(|c| c.field.starts_with("Tags.")))
                {
                    x.tag(&arn, &tags::list_to_map(&g.tags)).await?;
                }
                Ok("updated")
            }
            .await
        }
    })
}

async fn apply_rules(
    c: &Clients,
    desired: &Desired,
    current: &Current,
    plans: &[(Item, Plan)],
) -> Vec<(String, Result<&'static str, Failure>)> {
    let Some(x) = &c.xray else { return vec![] };
    let mut out = Vec::new();
    for (_, r) in &desired.rules {
        let name = r.sampling_rule.rule_name.clone().unwrap_or_default();
        let Some((_, plan)) = plans
            .iter()
            .find(|(i, _)| i.kind == "sampling rule" && i.name == name)
        else {
            continue;
        };
        let result = match plan {
            Plan::Unchanged => Ok("unchanged"),
            Plan::Create => x
                .create_rule(&r.sampling_rule, &r.tags)
                .await
                .map(|_| "created"),
            Plan::Update(changes) => {
                async {
                    let existing = current
                        .rules
                        .iter()
                        .find(|e| e.name() == name)
                        .expect("an update has a current rule");
                    let update = existing.sampling_rule.update_to(&r.sampling_rule);
                    if !update.is_empty() {
                        x.update_rule(&update).await?;
                    }
                    if let Some(arn) = existing
                        .sampling_rule
                        .rule_arn
                        .as_ref()
                        .filter(|_| changes.iter().any(|c| c.field.starts_with("Tags.")))
                    {
                        x.tag(arn, &tags::list_to_map(&r.tags)).await?;
                    }
                    Ok("updated")
                }
                .await
            }
        };
        out.push((name, result));
    }
    out
}

async fn apply_log_group(
    c: &Clients,
    desired: &Desired,
    plan: Option<&Plan>,
) -> Option<Result<&'static str, Failure>> {
    let (l, spec, plan) = (c.logs.as_ref()?, desired.log_group.as_ref()?, plan?);
    Some(match plan {
        Plan::Unchanged => Ok("unchanged"),
        Plan::Create => {
            async {
                l.create(spec).await?;
                if let Some(days) = spec.retention_in_days {
                    l.put_retention(&spec.name, days).await?;
                }
                Ok("created")
            }
            .await
        }
        Plan::Update(changes) => {
            async {
                if let Some(days) = spec
                    .retention_in_days
                    .filter(|_| changes.iter().any(|c| c.field == "retentionInDays"))
                {
                    l.put_retention(&spec.name, days).await?;
                }
                if changes.iter().any(|c| c.field.starts_with("Tags.")) {
                    l.tag(&spec.name, &spec.tags).await?;
                }
                Ok("updated")
            }
            .await
        }
    })
}

fn ask(question: &str) -> Result<bool, Failure> {
    dialoguer::Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact()
        .map_err(|e| Failure::failed(format!("cannot read the answer: {e}")))
}

fn on_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

pub async fn up(a: UpArgs) -> Result<Exit, Failure> {
    let (_, desired) = provision::desired(&a.dir)?;
    a.aws.validate(crate::aws::Service::Xray)?;
    let clients = connect(&desired, &a.aws).await?;
    let current = read_current(&clients, &desired).await?;
    let desired = settle(&desired, &current);
    let plans = plan_all(&desired, &current);
    let items: Vec<Item> = plans.iter().map(|(i, _)| i.clone()).collect();
    let pending = items.iter().filter(|i| i.action != "unchanged").count();
    let updates = items.iter().filter(|i| i.action == "update").count();

    if !a.out.json() {
        println!("workspace {} in {}:", desired.workspace, clients.region);
        for i in &items {
            println!("{}", describe(i));
        }
    }
    if a.dry_run {
        if a.out.json() {
            print_json(&serde_json::json!({"dry_run": true, "plan": items}));
        }
        return Ok(Exit::Ok);
    }
    if pending == 0 {
        if a.out.json() {
            print_json(&serde_json::json!({"dry_run": false, "plan": items, "results": []}));
        } else {
            println!("nothing to do: everything is as declared");
        }
        return Ok(Exit::Ok);
    }
    if updates > 0 && !a.yes {
        if !on_terminal() {
            return Err(Failure::new(
                Exit::Drift,
                format!("{updates} resource(s) exist with other settings; nothing was changed"),
            )
            .hint("re-run with --yes to update them (on a terminal you are asked instead)"));
        }
        if !ask(&format!("Update {updates} resource(s) that exist?"))? {
            return Err(Failure::not_confirmed("nothing was changed"));
        }
    }

    let group_plan = plans
        .iter()
        .find(|(i, _)| i.kind == "X-Ray group")
        .map(|(_, p)| p);
    let log_plan = plans
        .iter()
        .find(|(i, _)| i.kind == "log group")
        .map(|(_, p)| p);
    // Independent resources are applied at the same time; one failing does not stop the others.
    let (group, rules, log) = tokio::join!(
        apply_group(&clients, &desired, &current, group_plan),
        apply_rules(&clients, &desired, &current, &plans),
        apply_log_group(&clients, &desired, log_plan),
    );
    let mut outcomes = Vec::new();
    let mut record = |kind: &'static str, name: String, r: Result<&'static str, Failure>| {
        outcomes.push(match r {
            Ok(result) => Outcome {
                kind,
                name,
                result,
                error: None,
            },
            Err(f) => Outcome {
                kind,
                name,
                result: "failed",
                error: Some(f.message),
            },
        })
    };
    if let (Some(r), Some((_, g))) = (group, &desired.group) {
        record("X-Ray group", g.group_name.clone(), r);
    }
    for (name, r) in rules {
        record("sampling rule", name, r);
    }
    if let (Some(r), Some(spec)) = (log, &desired.log_group) {
        record("log group", spec.name.clone(), r);
    }
    let failed = outcomes.iter().filter(|o| o.result == "failed").count();
    if a.out.json() {
        print_json(&serde_json::json!({"dry_run": false, "plan": items, "results": outcomes}));
    } else {
        println!();
        for o in &outcomes {
            match &o.error {
                Some(e) => println!("failed     {} {}: {e}", o.kind, o.name),
                None => println!("{:10} {} {}", o.result, o.kind, o.name),
            }
        }
        let count = |r: &str| outcomes.iter().filter(|o| o.result == r).count();
        println!(
            "{} created, {} updated, {} unchanged, {failed} failed",
            count("created"),
            count("updated"),
            count("unchanged")
        );
    }
    if failed > 0 {
        return Err(
            Failure::failed(format!("{failed} of {} resources failed", outcomes.len())).hint(
                "run cruddur-obs up again when the cause is fixed: it continues from what exists",
            ),
        );
    }
    Ok(Exit::Ok)
}

pub async fn down(a: DownArgs) -> Result<Exit, Failure> {
    let (_, desired) = provision::desired(&a.dir)?;
    a.aws.validate(crate::aws::Service::Xray)?;
    if !a.yes && !a.dry_run && !on_terminal() {
        return Err(Failure::bad_input(
            "down deletes resources, and there is no terminal to confirm on",
        )
        .hint("pass --yes to delete without asking"));
    }
    let clients = connect(&desired, &a.aws).await?;
    let current = read_current(&clients, &desired).await?;
    let ours = |key: &str| {
        current
            .tags
            .get(key)
            .is_some_and(|t| provision::is_ours(t, &desired.workspace))
    };
    // (kind, name, ours)
    let mut found: Vec<(&'static str, String, bool)> = Vec::new();
    if let Some((_, g)) = &desired.group {
        if current
            .groups
            .iter()
            .any(|x| x.group_name.as_deref() == Some(g.group_name.as_str()))
        {
            found.push(("X-Ray group", g.group_name.clone(), ours("group")));
        }
    }
    for (_, r) in &desired.rules {
        let name = r.sampling_rule.rule_name.clone().unwrap_or_default();
        if name != crate::sampling_rule::DEFAULT_RULE
            && current.rules.iter().any(|x| x.name() == name)
        {
            found.push(("sampling rule", name.clone(), ours(&format!("rule {name}"))));
        }
    }
    if let (Some(spec), Some(_)) = (&desired.log_group, &current.log_group) {
        found.push(("log group", spec.name.clone(), ours("log group")));
    }
    let doomed: Vec<&(&str, String, bool)> = found.iter().filter(|(_, _, o)| *o).collect();
    if !a.out.json() {
        println!("workspace {} in {}:", desired.workspace, clients.region);
        for (kind, name, is_ours) in &found {
            if *is_ours {
                println!("  delete     {kind} {name}");
            } else {
                println!("  keep       {kind} {name} (not created by cruddur-obs up)");
            }
        }
        if found.is_empty() {
            println!("  nothing the workspace declares exists");
        }
    }
    if a.dry_run || doomed.is_empty() {
        if a.out.json() {
            print_json(
                &serde_json::json!({"dry_run": a.dry_run, "delete": doomed.iter().map(|(k, n, _)| format!("{k} {n}")).collect::<Vec<_>>()}),
            );
        }
        return Ok(Exit::Ok);
    }
    if !a.yes && !ask(&format!("Delete these {} resource(s)?", doomed.len()))? {
        return Err(Failure::not_confirmed("nothing was deleted"));
    }
    let mut results = Vec::new();
    for (kind, name, _) in &doomed {
        let r = match *kind {
            "X-Ray group" => {
                clients
                    .xray
                    .as_ref()
                    .expect("connected")
                    .delete_group(name)
                    .await
            }
            "sampling rule" => clients
                .xray
                .as_ref()
                .expect("connected")
                .delete_rule(&Some(name.clone()), &None)
                .await
                .map(|_| ()),
            _ => clients.logs.as_ref().expect("connected").delete(name).await,
        };
        results.push((*kind, name.clone(), r));
    }
    let failed = results.iter().filter(|(_, _, r)| r.is_err()).count();
    if a.out.json() {
        let list: Vec<Outcome> = results
            .iter()
            .map(|(k, n, r)| Outcome {
                kind: k,
                name: n.clone(),
                result: if r.is_ok() { "deleted" } else { "failed" },
                error: r.as_ref().err().map(|f| f.message.clone()),
            })
            .collect();
        print_json(&serde_json::json!({"dry_run": false, "results": list}));
    } else {
        for (kind, name, r) in &results {
            match r {
                Ok(()) => println!("deleted    {kind} {name}"),
                Err(f) => println!("failed     {kind} {name}: {}", f.message),
            }
        }
    }
    if failed > 0 {
        return Err(
            Failure::failed(format!("{failed} of {} deletions failed", results.len()))
                .hint("run cruddur-obs down again"),
        );
    }
    Ok(Exit::Ok)
}
