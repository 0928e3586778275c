//! What a workspace declares in AWS (`up` creates it, `down` removes it): the X-Ray group and
//! sampling rules from aws/json/, and the log group from the manifest, each tagged as ours.

pub mod apply;
pub mod engine;
pub mod honeycomb;

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::Failure;
use crate::group::{CreateGroupInput, InsightsConfiguration};
use crate::input::JsonInput;
use crate::log_group::LogGroupSpec;
use crate::manifest::Manifest;
use crate::sampling_rule::CreateSamplingRuleInput;
use crate::tags::Tag;
use crate::validate::Problems;

/// The tag every resource `up` creates carries; `down` deletes only resources with it.
pub const MANAGED_KEY: &str = "managed-by";
pub const MANAGED_VALUE: &str = "cruddur-obs";
/// The tag naming the workspace a resource belongs to.
pub const WORKSPACE_KEY: &str = "cruddur-obs-workspace";

#[derive(Debug, Clone)]
pub struct Desired {
    pub workspace: String,
    pub group: Option<(String, CreateGroupInput)>,
    pub rules: Vec<(String, CreateSamplingRuleInput)>,
    pub log_group: Option<LogGroupSpec>,
    /// The saved queries and board of honeycomb/queries.json, when Honeycomb is on.
    pub honeycomb: Option<honeycomb::HoneycombDesired>,
}

/// Our tags, for a workspace.
pub fn our_tags(workspace: &str) -> BTreeMap<String, String> {
    [
        (MANAGED_KEY.to_string(), MANAGED_VALUE.to_string()),
        (WORKSPACE_KEY.to_string(), workspace.to_string()),
    ]
    .into()
}

/// Whether a resource's tags say it is ours, and this workspace's.
pub fn is_ours(tags: &BTreeMap<String, String>, workspace: &str) -> bool {
    tags.get(MANAGED_KEY).map(String::as_str) == Some(MANAGED_VALUE)
        && tags.get(WORKSPACE_KEY).map(String::as_str) == Some(workspace)
}

fn with_tags(tags: &mut Vec<Tag>, workspace: &str) {
    for (key, value) in our_tags(workspace) {
        tags.retain(|t| t.key != key);
        tags.push(Tag { key, value });
    }
}

/// A stable name for the workspace: its folder's name.
pub fn workspace_name(dir: &Path) -> String {
    let absolute = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let name = absolute
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "workspace".into());
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "_.:/=+-@".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    cleaned.chars().take(256).collect()
}

/// Where the X-Ray inputs are kept: `aws/json/`, or in the backend.
pub const JSON_DIRS: [&str; 2] = ["aws/json", "backend-flask/aws/json"];

/// Reads and validates everything the workspace declares. Every input is checked before any call.
pub fn desired(dir: &Path) -> Result<(Manifest, Desired), Failure> {
    let manifest = Manifest::load(dir)?.ok_or_else(|| {
        Failure::bad_input(format!("no {} in {}", crate::manifest::FILE, dir.display()))
            .hint("run cruddur-obs init first")
    })?;
    let mut files = Vec::new();
    for sub in JSON_DIRS {
        let mut paths: Vec<_> = std::fs::read_dir(dir.join(sub))
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        paths.sort();
        for path in paths {
            let shown = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Failure::bad_input(format!("cannot read {shown}: {e}")))?;
            files.push((shown, text));
        }
    }
    let mut desired = declared(&workspace_name(dir), &manifest, &files)?;
    if manifest.honeycomb.enabled {
        desired.honeycomb =
            crate::queries::load(dir)?.map(|(source, file)| honeycomb::HoneycombDesired {
                dataset: file.dataset(&manifest.workspace.service),
                source,
                file,
            });
    }
    Ok((manifest, desired))
}

/// What a workspace declares, from its manifest and its X-Ray inputs (`(path, text)` of each JSON
/// file): the one computation `up`, `down` and doctor share.
pub fn declared(
    workspace: &str,
    manifest: &Manifest,
    files: &[(String, String)],
) -> Result<Desired, Failure> {
    let workspace = workspace.to_string();
    let mut group = None;
    let mut rules = Vec::new();
    if manifest.xray.enabled {
        for (shown, text) in files {
            let shown = shown.clone();
            let input = JsonInput::inline(&shown, text);
            let value: serde_json::Value = input.parse()?;
            if value.get("SamplingRule").is_some() {
                let mut rule: CreateSamplingRuleInput = input.parse()?;
                rule.validate().into_result(&shown)?;
                with_tags(&mut rule.tags, &workspace);
                rules.push((shown, rule));
            } else if value.get("GroupName").is_some() {
                let mut g: CreateGroupInput = input.parse()?;
                g.validate().into_result(&shown)?;
                with_tags(&mut g.tags, &workspace);
                if group.is_some() {
                    return Err(Failure::bad_input(format!(
                        "{shown}: a second X-Ray group; a workspace has one"
                    )));
                }
                group = Some((shown, g));
            }
        }
        if group.is_none() {
            let mut g = CreateGroupInput {
                group_name: manifest.xray.group.clone(),
                filter_expression: Some(format!(
                    "service(\"{}\") {{fault OR error}}",
                    manifest.workspace.service
                )),
                insights_configuration: Some(InsightsConfiguration {
                    insights_enabled: Some(false),
                    notifications_enabled: None,
                }),
                tags: vec![],
            };
            with_tags(&mut g.tags, &workspace);
            group = Some((crate::manifest::FILE.to_string(), g));
        }
    }
    let log_group = manifest.cloudwatch.enabled.then(|| LogGroupSpec {
        name: manifest.cloudwatch.log_group.clone(),
        retention_in_days: Some(manifest.cloudwatch.retention_days),
        kms_key_id: None,
        class: None,
        tags: our_tags(&workspace),
    });
    if let Some(spec) = &log_group {
        spec.validate().into_result(crate::manifest::FILE)?;
    }
    let mut names = Problems::new();
    let mut seen = std::collections::BTreeSet::new();
    for (file, rule) in &rules {
        let name = rule.sampling_rule.rule_name.clone().unwrap_or_default();
        if !seen.insert(name.clone()) {
            names.push(
                format!("{file}: SamplingRule.RuleName"),
                format!("\"{name}\" is declared twice"),
                "one file per rule name",
            );
        }
    }
    names.into_result("aws/json")?;
    Ok(Desired {
        workspace,
        group,
        rules,
        log_group,
        honeycomb: None,
    })
}
