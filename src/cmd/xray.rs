//! `cruddur-obs xray ...`: X-Ray groups and sampling rules, as the aws cli's commands of the same
//! names, validated before any call and safe to re-run; and `xray traces`, recent traces or one
//! trace as a tree of its segments.

use std::io::IsTerminal;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_xray::primitives::DateTime;
use aws_sdk_xray::types::TraceSummary;
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};

use crate::aws::AwsArgs;
use crate::drift::{self, Plan};
use crate::error::{Exit, Failure};
use crate::group::{self, CreateGroupInput, Group, InsightsConfiguration};
use crate::input::JsonInput;
use crate::output::{print_json, table, OutputArgs};
use crate::provision::apply::{self, Applied};
use crate::sampling_rule::{
    CreateSamplingRuleInput, SamplingRuleRecord, SamplingRuleUpdate, UpdateSamplingRuleInput,
    DEFAULT_RULE,
};
use crate::tags;
use crate::trace_tree::{self, Document, Tree};
use crate::validate::{quoted, Problems};
use crate::xray::Xray;

#[derive(Subcommand, Debug)]
pub enum XrayCommand {
    /// Create a group, or confirm it already exists with these settings
    #[command(after_help = CREATE_GROUP_EXAMPLES)]
    CreateGroup(CreateGroupArgs),
    /// List the groups in the region
    #[command(
        after_help = "Examples:\n  cruddur-obs xray get-groups\n  cruddur-obs xray get-groups --region eu-west-2 --output json"
    )]
    GetGroups(ReadArgs),
    /// Show one group
    #[command(
        after_help = "Example:\n  cruddur-obs xray get-group --group-name Cruddur --output json"
    )]
    GetGroup(GroupRefArgs),
    /// Change a group's filter expression or insights settings
    #[command(
        after_help = "Example:\n  cruddur-obs xray update-group --group-name Cruddur --filter-expression 'service(\"backend-flask\") {fault}'"
    )]
    UpdateGroup(UpdateGroupArgs),
    /// Delete a group (succeeds if it is already gone)
    #[command(after_help = "Example:\n  cruddur-obs xray delete-group --group-name Cruddur")]
    DeleteGroup(GroupRefArgs),
    /// Create a sampling rule from JSON, or confirm it already exists as written
    #[command(after_help = CREATE_RULE_EXAMPLES)]
    CreateSamplingRule(CreateRuleArgs),
    /// List the sampling rules in the region, Default included
    #[command(
        after_help = "Examples:\n  cruddur-obs xray get-sampling-rules\n  cruddur-obs xray get-sampling-rules --output json"
    )]
    GetSamplingRules(ReadArgs),
    /// Change fields of a sampling rule
    #[command(
        after_help = "Examples:\n  cruddur-obs xray update-sampling-rule --rule-name Cruddur --fixed-rate 0.05\n  cruddur-obs xray update-sampling-rule --cli-input-json '{\"SamplingRuleUpdate\": {\"RuleName\": \"Cruddur\", \"ReservoirSize\": 1}}'"
    )]
    UpdateSamplingRule(UpdateRuleArgs),
    /// Delete a sampling rule (succeeds if it is already gone; Default cannot be deleted)
    #[command(
        after_help = "Example:\n  cruddur-obs xray delete-sampling-rule --rule-name Cruddur"
    )]
    DeleteSamplingRule(RuleRefArgs),
    /// List recent traces, or show one trace as a tree of its segments and subsegments
    #[command(after_help = TRACES_EXAMPLES)]
    Traces(TracesArgs),
}

const CREATE_GROUP_EXAMPLES: &str = "Examples:
  cruddur-obs xray create-group --group-name Cruddur \\
      --filter-expression 'service(\"backend-flask\") {fault OR error}'
  cruddur-obs xray create-group --cli-input-json file://aws/json/xray-group.json --update

Running it again with the same settings succeeds and says \"unchanged\". If the group exists with
other settings it fails (exit code 3) and lists the differences; --update applies them.";

const CREATE_RULE_EXAMPLES: &str = "Examples:
  cruddur-obs xray create-sampling-rule --cli-input-json file://aws/json/xray.json
  cruddur-obs xray create-sampling-rule --cli-input-json aws/json/xray.json --update
  cat rule.json | cruddur-obs xray create-sampling-rule --cli-input-json -

The JSON is what `aws xray create-sampling-rule --cli-input-json` takes:
  {\"SamplingRule\": {\"RuleName\": \"Cruddur\", \"ResourceARN\": \"*\", \"Priority\": 9000, ...}, \"Tags\": [...]}
Running it again with the same rule succeeds and says \"unchanged\". If the rule exists with other
settings it fails (exit code 3) and lists the differences; --update applies them.";

const TRACES_EXAMPLES: &str = "Examples:
  cruddur-obs xray traces
  cruddur-obs xray traces --since 1h --service backend-flask
  cruddur-obs xray traces --since 2024-05-01T12:00:00Z --output json
  cruddur-obs xray traces --trace-id 1-66322f40-0123456789abcdef01234567 --annotations

Without --trace-id: one line per trace (GetTraceSummaries), oldest first: when it started, its id,
how long it took, its request (method, URL, status) and its marks: fault (5xx), error (4xx),
throttle (429).
With --trace-id: the trace (BatchGetTraces), one line per segment and subsegment, nested, with its
duration and a bar showing when it ran within the trace, then its marks and its request:
  backend-flask        120.0 ms  |██████████████████████████████|
  ├─ cognito-jwt         0.0 ms  |▏                             |
  └─ mock-data          60.0 ms  |       ████████████████       |
     └─ build-results   30.0 ms  |               ████████       |
░ marks a segment still in progress, ▏ one that took no time. Colour only on a terminal, and not
with NO_COLOR set.";

#[derive(Args, Debug)]
pub struct TracesArgs {
    /// How far back to look: 30s, 5m, 1h, 2d (at most 24h), or a time such as
    /// 2024-05-01T12:00:00Z (UTC unless it has an offset)
    #[arg(
        long,
        value_name = "TIME",
        default_value = "5m",
        conflicts_with = "trace_id"
    )]
    since: String,
    /// Only traces through this service, by its segment name (filter expression service("NAME"))
    #[arg(long, value_name = "NAME", conflicts_with = "trace_id")]
    service: Option<String>,
    /// Show this trace as a tree instead of listing: 1-<8 hex digits>-<24 hex digits>
    #[arg(long, value_name = "ID")]
    trace_id: Option<String>,
    /// With --trace-id: show each segment's annotations below it
    #[arg(long, requires = "trace_id")]
    annotations: bool,
    /// With --trace-id: show each segment's metadata below it
    #[arg(long, requires = "trace_id")]
    metadata: bool,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct CreateGroupArgs {
    /// Name of the group: 1 to 32 characters, not "Default"
    #[arg(long, value_name = "NAME")]
    group_name: Option<String>,
    /// Which traces belong to the group, e.g. 'service("backend-flask") {fault OR error}'
    #[arg(long, value_name = "EXPRESSION")]
    filter_expression: Option<String>,
    /// Turn on X-Ray Insights for the group
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    insights_enabled: Option<bool>,
    /// Send Insights notifications (needs --insights-enabled)
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    notifications_enabled: Option<bool>,
    /// Tags, one argument each: Key=NAME,Value=VALUE (or one JSON list)
    #[arg(long, num_args = 1.., value_name = "TAG")]
    tags: Vec<String>,
    /// CreateGroup's input as JSON: file://PATH, a path, - for stdin, or the JSON; flags override it
    #[arg(long, value_name = "JSON")]
    cli_input_json: Option<String>,
    /// If the group exists with other settings, change it to match instead of failing
    #[arg(long)]
    update: bool,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct ReadArgs {
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct GroupRefArgs {
    #[command(flatten)]
    group: GroupRef,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct UpdateGroupArgs {
    #[command(flatten)]
    group: GroupRef,
    /// New filter expression
    #[arg(long, value_name = "EXPRESSION")]
    filter_expression: Option<String>,
    /// Turn X-Ray Insights on or off
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    insights_enabled: Option<bool>,
    /// Turn Insights notifications on or off
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    notifications_enabled: Option<bool>,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct GroupRef {
    /// Name of the group
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "group_arn",
        conflicts_with = "group_arn"
    )]
    group_name: Option<String>,
    /// ARN of the group
    #[arg(long, value_name = "ARN")]
    group_arn: Option<String>,
}

#[derive(Args, Debug)]
pub struct CreateRuleArgs {
    /// The rule as JSON: file://PATH, a path, - for stdin, or the JSON itself
    #[arg(long, value_name = "JSON")]
    cli_input_json: String,
    /// If the rule exists with other settings, change it to match instead of failing
    #[arg(long)]
    update: bool,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct UpdateRuleArgs {
    /// The update as JSON ({"SamplingRuleUpdate": {...}}): file://PATH, a path, - or the JSON; flags override it
    #[arg(long, value_name = "JSON")]
    cli_input_json: Option<String>,
    /// Name of the rule
    #[arg(long, value_name = "NAME")]
    rule_name: Option<String>,
    /// ARN of the rule
    #[arg(long, value_name = "ARN")]
    rule_arn: Option<String>,
    /// Fraction of requests to trace after the reservoir is used, 0 to 1
    #[arg(long, value_name = "RATE")]
    fixed_rate: Option<f64>,
    /// Requests per second traced before the fixed rate applies
    #[arg(long, value_name = "COUNT")]
    reservoir_size: Option<i32>,
    /// Priority, 1 (first) to 9999
    #[arg(long, value_name = "N")]
    priority: Option<i32>,
    /// Service (segment) name to match
    #[arg(long, value_name = "NAME")]
    service_name: Option<String>,
    /// Service type to match
    #[arg(long, value_name = "TYPE")]
    service_type: Option<String>,
    /// Host header to match
    #[arg(long, value_name = "HOST")]
    host: Option<String>,
    /// HTTP method to match
    #[arg(long, value_name = "METHOD")]
    http_method: Option<String>,
    /// URL path to match
    #[arg(long, value_name = "PATH")]
    url_path: Option<String>,
    /// Resource ARN to match
    #[arg(long, value_name = "ARN")]
    resource_arn: Option<String>,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct RuleRefArgs {
    /// Name of the rule
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "rule_arn",
        conflicts_with = "rule_arn"
    )]
    rule_name: Option<String>,
    /// ARN of the rule
    #[arg(long, value_name = "ARN")]
    rule_arn: Option<String>,
    #[command(flatten)]
    aws: AwsArgs,
    #[command(flatten)]
    out: OutputArgs,
}

pub async fn run(command: XrayCommand) -> Result<Exit, Failure> {
    match command {
        XrayCommand::CreateGroup(a) => create_group(a).await,
        XrayCommand::GetGroups(a) => get_groups(a).await,
        XrayCommand::GetGroup(a) => get_group(a).await,
        XrayCommand::UpdateGroup(a) => update_group(a).await,
        XrayCommand::DeleteGroup(a) => delete_group(a).await,
        XrayCommand::CreateSamplingRule(a) => create_rule(a).await,
        XrayCommand::GetSamplingRules(a) => get_rules(a).await,
        XrayCommand::UpdateSamplingRule(a) => update_rule(a).await,
        XrayCommand::DeleteSamplingRule(a) => delete_rule(a).await,
        XrayCommand::Traces(a) => traces(a).await,
    }
}

async fn create_group(a: CreateGroupArgs) -> Result<Exit, Failure> {
    let (mut input, origin) = match &a.cli_input_json {
        Some(arg) => {
            let json = JsonInput::read(arg)?;
            (json.parse::<CreateGroupInput>()?, json.origin)
        }
        None => (CreateGroupInput::default(), "command line".to_string()),
    };
    if let Some(name) = a.group_name {
        input.group_name = name;
    }
    if a.filter_expression.is_some() {
        input.filter_expression = a.filter_expression;
    }
    if a.insights_enabled.is_some() || a.notifications_enabled.is_some() {
        let mut config = input.insights_configuration.unwrap_or_default();
        config.insights_enabled = a.insights_enabled.or(config.insights_enabled);
        config.notifications_enabled = a.notifications_enabled.or(config.notifications_enabled);
        input.insights_configuration = Some(config);
    }
    if !a.tags.is_empty() {
        input.tags = tags::parse_xray_tags(&a.tags)?;
    }
    if input.group_name.is_empty() && a.cli_input_json.is_none() {
        return Err(Failure::bad_input("--group-name is required")
            .hint("for example: cruddur-obs xray create-group --group-name Cruddur"));
    }
    input.validate().into_result(&origin)?;

    let xray = Xray::connect(&a.aws).await?;
    let name = input.group_name.clone();
    let current = xray.find_group(&name).await?;
    let current_tags = match (&current, input.tags.is_empty()) {
        (
            Some(Group {
                group_arn: Some(arn),
                ..
            }),
            false,
        ) => xray.tags(arn).await?,
        _ => Default::default(),
    };
    let what = format!("group \"{name}\"");
    let plan = input.plan(current.as_ref().map(|g| (g, &current_tags)));
    if let Plan::Update(changes) = &plan {
        if !a.update {
            return Err(drift::refusal(
                &what,
                changes,
                Some(&format!("change {origin} to match")),
            ));
        }
    }
    let (applied, group) = apply::group(&xray, &input, current.as_ref(), &plan).await?;
    let verb = match (applied, &plan) {
        (Applied::Created, _) => format!("created {what}"),
        (Applied::Updated, Plan::Update(changes)) => {
            format!("updated {what}:\n{}", drift::render(changes))
        }
        _ => format!("{what} unchanged"),
    };
    let group = group.ok_or_else(|| {
        Failure::failed(format!("{what} was deleted while it was being checked"))
            .hint("run the command again")
    })?;
    if a.out.json() {
        print_json(&json!({ "Group": group }));
    } else {
        println!("{verb}");
        if let Some(arn) = &group.group_arn {
            println!("  arn: {arn}");
        }
    }
    Ok(Exit::Ok)
}

fn group_rows(groups: &[Group]) -> Vec<Vec<String>> {
    groups
        .iter()
        .map(|g| {
            let (insights, notifications) =
                InsightsConfiguration::effective(&g.insights_configuration);
            vec![
                g.group_name.clone().unwrap_or_default(),
                g.filter_expression.clone().unwrap_or_else(|| "-".into()),
                match (insights, notifications) {
                    (true, true) => "on, notifying".into(),
                    (true, false) => "on".into(),
                    _ => "off".into(),
                },
            ]
        })
        .collect()
}

async fn get_groups(a: ReadArgs) -> Result<Exit, Failure> {
    let xray = Xray::connect(&a.aws).await?;
    let groups = xray.groups().await?;
    if a.out.json() {
        print_json(&json!({ "Groups": groups }));
    } else if groups.is_empty() {
        println!("no groups in {}", xray.region());
    } else {
        println!(
            "{}",
            table(&["NAME", "FILTER", "INSIGHTS"], &group_rows(&groups))
        );
    }
    Ok(Exit::Ok)
}

fn group_ref(name: &Option<String>, arn: &Option<String>, p: &mut Problems) -> String {
    match (name, arn) {
        (Some(n), _) => {
            p.length("--group-name", n, 1, 32);
            n.clone()
        }
        (None, Some(a)) => {
            p.length("--group-arn", a, 1, 400);
            a.clone()
        }
        (None, None) => String::new(),
    }
}

fn no_such_group(name: &str, region: &str) -> Failure {
    Failure::failed(format!("there is no group \"{name}\" in {region}"))
        .hint("list the groups: cruddur-obs xray get-groups")
}

async fn get_group(a: GroupRefArgs) -> Result<Exit, Failure> {
    let mut p = Problems::new();
    let name = group_ref(&a.group.group_name, &a.group.group_arn, &mut p);
    p.into_result("command line")?;
    let xray = Xray::connect(&a.aws).await?;
    let group = xray
        .find_group(&name)
        .await?
        .ok_or_else(|| no_such_group(&name, xray.region()))?;
    if a.out.json() {
        print_json(&json!({ "Group": group }));
    } else {
        println!(
            "{}",
            table(
                &["NAME", "FILTER", "INSIGHTS"],
                &group_rows(std::slice::from_ref(&group))
            )
        );
        if let Some(arn) = &group.group_arn {
            println!("arn: {arn}");
        }
    }
    Ok(Exit::Ok)
}

async fn update_group(a: UpdateGroupArgs) -> Result<Exit, Failure> {
    let mut p = Problems::new();
    let name = group_ref(&a.group.group_name, &a.group.group_arn, &mut p);
    if let Some(f) = &a.filter_expression {
        group::validate_filter("--filter-expression", f, &mut p);
    }
    if a.notifications_enabled == Some(true) && a.insights_enabled == Some(false) {
        p.push(
            "--notifications-enabled",
            "notifications are on while insights are off",
            "notifications only together with insights",
        );
    }
    p.into_result("command line")?;
    if a.filter_expression.is_none()
        && a.insights_enabled.is_none()
        && a.notifications_enabled.is_none()
    {
        return Err(Failure::bad_input("nothing to update")
            .hint("pass --filter-expression, --insights-enabled or --notifications-enabled"));
    }
    let xray = Xray::connect(&a.aws).await?;
    let current = xray
        .find_group(&name)
        .await?
        .ok_or_else(|| no_such_group(&name, xray.region()))?;
    let insights = (a.insights_enabled.is_some() || a.notifications_enabled.is_some()).then_some(
        InsightsConfiguration {
            insights_enabled: a.insights_enabled,
            notifications_enabled: a.notifications_enabled,
        },
    );
    let desired = CreateGroupInput {
        group_name: name.clone(),
        filter_expression: a.filter_expression.clone(),
        insights_configuration: insights,
        tags: vec![],
    };
    let changes = desired.changes_from(&current, &Default::default());
    let group = if changes.is_empty() {
        current
    } else {
        xray.update_group(&name, a.filter_expression, insights)
            .await?
    };
    if a.out.json() {
        print_json(&json!({ "Group": group }));
    } else if changes.is_empty() {
        println!("group \"{name}\" unchanged");
    } else {
        println!("updated group \"{name}\":\n{}", drift::render(&changes));
    }
    Ok(Exit::Ok)
}

async fn delete_group(a: GroupRefArgs) -> Result<Exit, Failure> {
    let mut p = Problems::new();
    let name = group_ref(&a.group.group_name, &a.group.group_arn, &mut p);
    p.into_result("command line")?;
    let xray = Xray::connect(&a.aws).await?;
    if xray.find_group(&name).await?.is_none() {
        if !a.out.json() {
            println!(
                "group \"{name}\" does not exist in {}; nothing to delete",
                xray.region()
            );
        }
        return Ok(Exit::Ok);
    }
    xray.delete_group(&name).await?;
    if !a.out.json() {
        println!("deleted group \"{name}\"");
    }
    Ok(Exit::Ok)
}

async fn create_rule(a: CreateRuleArgs) -> Result<Exit, Failure> {
    let json = JsonInput::read(&a.cli_input_json)?;
    let input: CreateSamplingRuleInput = json.parse()?;
    input.validate().into_result(&json.origin)?;

    let xray = Xray::connect(&a.aws).await?;
    let name = input.sampling_rule.rule_name.clone().unwrap_or_default();
    let current = xray.find_rule(&name).await?;
    let current_tags = match (&current, input.tags.is_empty()) {
        (Some(r), false) => match &r.sampling_rule.rule_arn {
            Some(arn) => xray.tags(arn).await?,
            None => Default::default(),
        },
        _ => Default::default(),
    };
    let what = format!("sampling rule \"{name}\"");
    let plan = input.plan(current.as_ref().map(|r| (r, &current_tags)));
    if let Plan::Update(changes) = &plan {
        if !a.update {
            return Err(drift::refusal(
                &what,
                changes,
                Some(&format!("change {} to match", json.origin)),
            ));
        }
    }
    let (applied, record) = apply::rule(&xray, &input, current.as_ref(), &plan).await?;
    let verb = match (applied, &plan) {
        (Applied::Created, _) => format!("created {what}"),
        (Applied::Updated, Plan::Update(changes)) => {
            format!("updated {what}:\n{}", drift::render(changes))
        }
        _ => format!("{what} unchanged"),
    };
    let record = record.ok_or_else(|| {
        Failure::failed(format!("{what} was deleted while it was being checked"))
            .hint("run the command again")
    })?;
    if a.out.json() {
        print_json(&json!({ "SamplingRuleRecord": record }));
    } else {
        println!("{verb}");
        if let Some(arn) = &record.sampling_rule.rule_arn {
            println!("  arn: {arn}");
        }
    }
    Ok(Exit::Ok)
}

fn rule_rows(records: &[SamplingRuleRecord]) -> Vec<Vec<String>> {
    records
        .iter()
        .map(|r| {
            let s = &r.sampling_rule;
            vec![
                r.name().to_string(),
                s.priority.to_string(),
                s.fixed_rate.to_string(),
                s.reservoir_size.to_string(),
                s.service_name.clone(),
                s.host.clone(),
                s.http_method.clone(),
                s.url_path.clone(),
            ]
        })
        .collect()
}

async fn get_rules(a: ReadArgs) -> Result<Exit, Failure> {
    let xray = Xray::connect(&a.aws).await?;
    let records = xray.sampling_rules().await?;
    if a.out.json() {
        print_json(&json!({ "SamplingRuleRecords": records }));
    } else {
        let headers = [
            "NAME",
            "PRIORITY",
            "RATE",
            "RESERVOIR",
            "SERVICE",
            "HOST",
            "METHOD",
            "PATH",
        ];
        println!("{}", table(&headers, &rule_rows(&records)));
    }
    Ok(Exit::Ok)
}

async fn update_rule(a: UpdateRuleArgs) -> Result<Exit, Failure> {
    let (mut update, origin) = match &a.cli_input_json {
        Some(arg) => {
            let json = JsonInput::read(arg)?;
            (
                json.parse::<UpdateSamplingRuleInput>()?
                    .sampling_rule_update,
                json.origin,
            )
        }
        None => (SamplingRuleUpdate::default(), "command line".to_string()),
    };
    macro_rules! take {
        ($($field:ident),*) => { $( if a.$field.is_some() { update.$field = a.$field.clone(); } )* };
    }
    take!(
        rule_name,
        rule_arn,
        fixed_rate,
        reservoir_size,
        priority,
        service_name,
        service_type,
        host,
        http_method,
        url_path,
        resource_arn
    );
    update.validate().into_result(&origin)?;
    if update.is_empty() {
        return Err(Failure::bad_input("nothing to update")
            .hint("pass a field to change, for example --fixed-rate 0.05"));
    }

    let xray = Xray::connect(&a.aws).await?;
    let key = update
        .rule_name
        .clone()
        .or(update.rule_arn.clone())
        .unwrap_or_default();
    let current = xray.find_rule(&key).await?.ok_or_else(|| {
        Failure::failed(format!(
            "there is no sampling rule \"{key}\" in {}",
            xray.region()
        ))
        .hint("list the rules: cruddur-obs xray get-sampling-rules")
    })?;
    let mut desired = current.sampling_rule.clone();
    macro_rules! apply {
        ($($field:ident),*) => { $( if let Some(v) = &update.$field { desired.$field = v.clone(); } )* };
    }
    apply!(
        resource_arn,
        priority,
        fixed_rate,
        reservoir_size,
        host,
        service_name,
        service_type,
        http_method,
        url_path
    );
    if update.attributes.is_some() {
        desired.attributes = update.attributes.clone();
    }
    if update.sampling_rate_boost.is_some() {
        desired.sampling_rate_boost = update.sampling_rate_boost;
    }
    let changes = current.sampling_rule.changes_to(&desired);
    let record = if changes.is_empty() {
        current
    } else {
        xray.update_rule(&update).await?
    };
    let name = record.name().to_string();
    if a.out.json() {
        print_json(&json!({ "SamplingRuleRecord": record }));
    } else if changes.is_empty() {
        println!("sampling rule \"{name}\" unchanged");
    } else {
        println!(
            "updated sampling rule \"{name}\":\n{}",
            drift::render(&changes)
        );
    }
    Ok(Exit::Ok)
}

async fn delete_rule(a: RuleRefArgs) -> Result<Exit, Failure> {
    let mut p = Problems::new();
    if let Some(n) = &a.rule_name {
        p.length("--rule-name", n, 1, 32);
    }
    p.into_result("command line")?;
    let key = a
        .rule_name
        .clone()
        .or(a.rule_arn.clone())
        .unwrap_or_default();
    if key == DEFAULT_RULE || key.ends_with(":sampling-rule/Default") {
        return Err(Failure::bad_input("the Default sampling rule cannot be deleted")
            .hint("to trace less by default, lower its rate: cruddur-obs xray update-sampling-rule --rule-name Default --fixed-rate 0.01"));
    }
    let xray = Xray::connect(&a.aws).await?;
    let exists = xray.find_rule(&key).await?.is_some();
    if !exists {
        if !a.out.json() {
            println!(
                "sampling rule \"{key}\" does not exist in {}; nothing to delete",
                xray.region()
            );
        }
        return Ok(Exit::Ok);
    }
    let record = xray.delete_rule(&a.rule_name, &a.rule_arn).await?;
    if a.out.json() {
        print_json(&json!({ "SamplingRuleRecord": record }));
    } else {
        println!("deleted sampling rule \"{}\"", record.name());
    }
    Ok(Exit::Ok)
}

const SINCE_FORMS: &str = "a number and one unit (30s, 10m, 1h, 2d; at most 24h), or an ISO 8601 \
                           time within the last 24 hours (2024-05-01, 2024-05-01T12:00:00Z, \
                           2024-05-01T14:00:00+02:00; without an offset, UTC)";

/// The longest span GetTraceSummaries searches in one query.
const MAX_LOOKBACK: Duration = Duration::from_secs(24 * 3600);

/// When `--since` starts, in seconds since the epoch: the forms of `logs tail --since` (`30s`,
/// `5m`, `1h`, `2d`, or an ISO 8601 time), within the 24 hours X-Ray searches. `Err` says what is
/// wrong.
fn since(text: &str, now: f64) -> Result<f64, String> {
    let now_ms = (now * 1000.0).round() as i64;
    let start_ms = super::logs::parse_since(text, now_ms)?;
    if start_ms > now_ms {
        return Err(format!("{} is in the future", quoted(text)));
    }
    if start_ms == now_ms {
        return Err(format!("{} is no time ago", quoted(text)));
    }
    let start = start_ms as f64 / 1000.0;
    if now - start > MAX_LOOKBACK.as_secs_f64() {
        return Err(format!(
            "{} is more than 24 hours ago, further than X-Ray searches in one query",
            quoted(text)
        ));
    }
    Ok(start)
}

const TRACE_ID_SHAPE: &str =
    "1-<8 hex digits>-<24 hex digits>, such as 1-66322f40-0123456789abcdef01234567";

/// An X-Ray trace id as X-Ray writes it (lowercase), if `text` is one.
fn trace_id(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split('-').collect();
    let hex = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit());
    match parts[..] {
        ["1", time, unique] if hex(time, 8) && hex(unique, 24) => Some(text.to_ascii_lowercase()),
        _ => None,
    }
}

/// Colour only on a terminal, and not when NO_COLOR is set.
fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

async fn traces(a: TracesArgs) -> Result<Exit, Failure> {
    let mut p = Problems::new();
    let id = a.trace_id.as_deref().map(|text| {
        let id = trace_id(text);
        if id.is_none() {
            p.push(
                "--trace-id",
                format!("{} is not an X-Ray trace ID", quoted(text)),
                TRACE_ID_SHAPE,
            );
        }
        id
    });
    let now = now();
    let start = since(&a.since, now)
        .map_err(|e| p.push("--since", e, SINCE_FORMS))
        .ok();
    if let Some(service) = &a.service {
        p.length("--service", service, 1, 200);
        if service.contains(|c: char| c == '"' || c == '\\' || c.is_control()) {
            p.push(
                "--service",
                format!(
                    "{} holds a quote, backslash or control character",
                    quoted(service)
                ),
                "a segment name such as backend-flask",
            );
        }
    }
    // An OpenTelemetry trace id (32 hex digits) is the same id written differently.
    let otel = a
        .trace_id
        .as_deref()
        .filter(|t| id == Some(None) && t.len() == 32 && t.chars().all(|c| c.is_ascii_hexdigit()));
    let hint = otel.map(|text| {
        let x = text.to_ascii_lowercase();
        format!(
            "an OpenTelemetry trace ID is written 1-{}-{} in X-Ray; nothing was sent to AWS",
            &x[..8],
            &x[8..]
        )
    });
    p.into_result("command line").map_err(|f| match hint {
        Some(h) => f.hint(h),
        None => f,
    })?;

    let xray = Xray::connect(&a.aws).await?;
    match id.flatten() {
        Some(id) => show_trace(&xray, &id, &a).await,
        None => {
            let start = start.unwrap_or(now - 300.0);
            list_traces(&xray, start, now, &a).await
        }
    }
}

/// When a trace started: its summary's start time, else the time in its id.
fn summary_start(s: &TraceSummary) -> Option<f64> {
    s.start_time().map(DateTime::as_secs_f64).or_else(|| {
        let hex = s.id()?.split('-').nth(1)?;
        u32::from_str_radix(hex, 16).ok().map(f64::from)
    })
}

async fn list_traces(xray: &Xray, start: f64, end: f64, a: &TracesArgs) -> Result<Exit, Failure> {
    let filter = a.service.as_ref().map(|s| format!("service(\"{s}\")"));
    let mut summaries = xray
        .trace_summaries(
            DateTime::from_secs_f64(start),
            DateTime::from_secs_f64(end),
            filter.as_deref(),
        )
        .await?;
    summaries.sort_by(|x, y| {
        summary_start(x)
            .unwrap_or(0.0)
            .total_cmp(&summary_start(y).unwrap_or(0.0))
            .then_with(|| x.id().cmp(&y.id()))
    });
    if a.out.json() {
        let list: Vec<Value> = summaries.iter().map(summary_json).collect();
        print_json(&json!({ "TraceSummaries": list }));
        return Ok(Exit::Ok);
    }
    if summaries.is_empty() {
        let through = a
            .service
            .as_ref()
            .map(|s| format!(" through {s}"))
            .unwrap_or_default();
        println!(
            "no traces{through} in {} since {}",
            xray.region(),
            trace_tree::utc(start, false)
        );
        return Ok(Exit::Ok);
    }
    let colour = colour();
    let rows: Vec<Vec<String>> = summaries
        .iter()
        .map(|s| {
            let http = s.http();
            let request: Vec<String> = [
                http.and_then(|h| h.http_method()).map(str::to_string),
                http.and_then(|h| h.http_url()).map(str::to_string),
                http.and_then(|h| h.http_status()).map(|c| c.to_string()),
            ]
            .into_iter()
            .flatten()
            .map(|t| t.chars().filter(|c| !c.is_control()).collect())
            .collect();
            let marks: Vec<String> = [
                (s.has_fault(), "fault", anstyle::AnsiColor::Red),
                (s.has_error(), "error", anstyle::AnsiColor::Yellow),
                (s.has_throttle(), "throttle", anstyle::AnsiColor::Magenta),
            ]
            .into_iter()
            .filter(|(on, _, _)| *on == Some(true))
            .map(|(_, word, c)| match colour {
                true => {
                    let style = c.on_default().bold();
                    format!("{style}{word}{style:#}")
                }
                false => word.to_string(),
            })
            .collect();
            vec![
                summary_start(s).map_or("-".to_string(), |t| trace_tree::utc(t, false)),
                s.id().unwrap_or("-").to_string(),
                s.duration().map_or("-".to_string(), trace_tree::ms),
                if request.is_empty() {
                    "-".to_string()
                } else {
                    request.join(" ")
                },
                marks.join(" "),
            ]
        })
        .collect();
    println!(
        "{}",
        table(
            &["STARTED", "TRACE ID", "DURATION", "REQUEST", "MARKS"],
            &rows
        )
    );
    Ok(Exit::Ok)
}

/// A summary as the aws cli prints it, with the fields the list shows (StartTime, when X-Ray
/// leaves it out, from the time in the trace id).
fn summary_json(s: &TraceSummary) -> Value {
    let mut o = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            o.insert(key.to_string(), v);
        }
    };
    put("Id", s.id().map(|v| json!(v)));
    put("StartTime", summary_start(s).map(|v| json!(v)));
    put("Duration", s.duration().map(|v| json!(v)));
    put("ResponseTime", s.response_time().map(|v| json!(v)));
    put("HasFault", s.has_fault().map(|v| json!(v)));
    put("HasError", s.has_error().map(|v| json!(v)));
    put("HasThrottle", s.has_throttle().map(|v| json!(v)));
    if let Some(h) = s.http() {
        let mut http = Map::new();
        if let Some(v) = h.http_url() {
            http.insert("HttpURL".into(), json!(v));
        }
        if let Some(v) = h.http_status() {
            http.insert("HttpStatus".into(), json!(v));
        }
        if let Some(v) = h.http_method() {
            http.insert("HttpMethod".into(), json!(v));
        }
        o.insert("Http".into(), Value::Object(http));
    }
    Value::Object(o)
}

async fn show_trace(xray: &Xray, id: &str, a: &TracesArgs) -> Result<Exit, Failure> {
    let traces = xray.traces(&[id.to_string()]).await?;
    // moto answers a trace still in progress without its Id; its documents still say whose it is.
    let names_id = |t: &&aws_sdk_xray::types::Trace| {
        t.id() == Some(id)
            || (t.id().is_none()
                && t.segments().iter().any(|s| {
                    s.document()
                        .and_then(|d| serde_json::from_str::<Value>(d).ok())
                        .is_some_and(|v| v["trace_id"] == id)
                }))
    };
    let trace = traces.iter().find(names_id).ok_or_else(|| {
        Failure::failed(format!("there is no trace {id} in {}", xray.region())).hint(
            "X-Ray keeps traces for 30 days, and a new one takes a few seconds to appear; list recent ones: cruddur-obs xray traces --since 1h",
        )
    })?;
    let documents: Vec<Document> = trace
        .segments()
        .iter()
        .map(|s| match s.document() {
            Some(text) => Document::parse(s.id(), text),
            None => Document {
                id: s.id().map(str::to_string),
                json: Err("the answer held no document".to_string()),
            },
        })
        .collect();
    let opts = trace_tree::Options {
        annotations: a.annotations,
        metadata: a.metadata,
        colour: !a.out.json() && colour(),
    };
    if a.out.json() {
        let tree = Tree::build(&documents);
        print_json(&json!({
            "trace_id": id,
            "start_time": tree.start,
            "duration_ms": tree.duration().filter(|_| !tree.in_progress).map(trace_tree::round_ms),
            "in_progress": tree.in_progress,
            "segments": trace_tree::to_json(&tree, opts),
        }));
    } else {
        let tree = Tree::build(&documents);
        println!(
            "{}",
            trace_tree::header(id, &tree, documents.len(), opts.colour)
        );
        for line in trace_tree::render(&documents, opts) {
            println!("{line}");
        }
    }
    if trace.limit_exceeded() == Some(true) {
        eprintln!("note: the trace is larger than X-Ray returns in one answer, so some segments are missing");
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_714_564_800.0; // 2024-05-01T12:00:00Z

    #[test]
    fn since_takes_the_forms_of_logs_tail() {
        assert_eq!(since("30s", NOW), Ok(NOW - 30.0));
        assert_eq!(since("5m", NOW), Ok(NOW - 300.0));
        assert_eq!(since("1h", NOW), Ok(NOW - 3600.0));
        assert_eq!(since("1d", NOW), Ok(NOW - 86_400.0));
        assert_eq!(since("24h", NOW), Ok(NOW - 86_400.0));
        assert_eq!(since("2024-05-01T11:00:00Z", NOW), Ok(NOW - 3600.0));
        assert_eq!(since("2024-05-01T11:00:00", NOW), Ok(NOW - 3600.0));
        assert_eq!(since("2024-05-01 11:30", NOW), Ok(NOW - 1800.0));
        assert_eq!(since("2024-05-01T13:00:00+02:00", NOW), Ok(NOW - 3600.0));
        assert_eq!(since("2024-05-01T11:59:59.5Z", NOW), Ok(NOW - 0.5));
        assert_eq!(since("2024-05-01", NOW), Ok(NOW - 43_200.0));
    }

    #[test]
    fn since_refuses_what_x_ray_would() {
        for bad in [
            "",
            "5",
            "m",
            "5x",
            "-5m",
            "5 m",
            "0s",
            "soon",
            "2024-13-01",
            "2024-05-01T25:00:00Z",
            "é",
        ] {
            assert!(since(bad, NOW).is_err(), "{bad:?} was accepted");
        }
        assert!(since("2d", NOW)
            .unwrap_err()
            .contains("more than 24 hours ago"));
        assert!(since("25h", NOW).is_err());
        assert!(since("99999999999999999999w", NOW).is_err());
        assert!(since("2024-05-01T12:00:01Z", NOW)
            .unwrap_err()
            .contains("in the future"));
        assert!(since("2024-04-30T11:59:59Z", NOW).is_err());
    }

    #[test]
    fn trace_ids_have_x_rays_shape() {
        assert_eq!(
            trace_id("1-66322f40-0123456789abcdef01234567").as_deref(),
            Some("1-66322f40-0123456789abcdef01234567")
        );
        assert_eq!(
            trace_id("1-66322F40-0123456789ABCDEF01234567").as_deref(),
            Some("1-66322f40-0123456789abcdef01234567")
        );
        for bad in [
            "",
            "1-66322f40",
            "2-66322f40-0123456789abcdef01234567",
            "1-66322f4-0123456789abcdef012345678",
            "1-66322f40-0123456789abcdef0123456",
            "1-66322g40-0123456789abcdef01234567",
            "1-66322f40-0123456789abcdef01234567-0",
            "66322f400123456789abcdef01234567",
            " 1-66322f40-0123456789abcdef01234567",
        ] {
            assert_eq!(trace_id(bad), None, "{bad:?}");
        }
    }
}
