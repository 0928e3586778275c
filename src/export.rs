//! `export`: what a workspace declares (the `Desired` that `up` provisions) as a CloudFormation
//! template or a Terraform JSON configuration. Pure functions from `Desired` to a JSON value; the
//! same input always gives the same value, keys in a fixed order.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::group::InsightsConfiguration;
use crate::log_group::RETENTION_DAYS;
use crate::provision::Desired;
use crate::queries;
use crate::sampling_rule::CreateSamplingRuleInput;
use crate::tags::Tag;

/// The per-environment values a template takes as parameters, with the workspace's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters {
    /// The backend's service name (the manifest's `workspace.service`).
    pub service: String,
    /// The rule whose FixedRate becomes a parameter (the manifest's `xray.sampling_rule`); the
    /// first rule when none is so named.
    pub rule: String,
}

/// The rule whose FixedRate is a parameter: the one named `params.rule`, else the first.
fn parameterized_rule(desired: &Desired, params: &Parameters) -> Option<usize> {
    if desired.rules.is_empty() {
        return None;
    }
    Some(
        desired
            .rules
            .iter()
            .position(|(_, r)| r.sampling_rule.rule_name.as_deref() == Some(&params.rule))
            .unwrap_or(0),
    )
}

/// `"service"` quoted, as a filter expression names a service.
fn quoted(service: &str) -> String {
    format!("\"{service}\"")
}

/// A CloudFormation logical ID from a name: its letters and digits, each word capitalised.
fn logical_id(prefix: &str, name: &str, taken: &mut BTreeSet<String>) -> String {
    let mut id = prefix.to_string();
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    unique(id, taken, "")
}

/// `base`, or `base<sep>2`, `base<sep>3`, ... : the first not taken yet.
fn unique(base: String, taken: &mut BTreeSet<String>, sep: &str) -> String {
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}{sep}{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// A Terraform resource name from a name: `[a-z0-9_]`, starting with a letter, unique among
/// `taken`.
pub fn slug(name: &str, taken: &mut BTreeSet<String>) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.is_empty() && !s.ends_with('_') {
            s.push('_');
        }
    }
    let s = s.trim_end_matches('_').to_string();
    let s = if s.starts_with(|c: char| c.is_ascii_lowercase()) {
        s
    } else if s.is_empty() {
        "resource".to_string()
    } else {
        format!("r_{s}")
    };
    unique(s, taken, "_")
}

fn cfn_tags(tags: &[Tag]) -> Value {
    let mut sorted: Vec<&Tag> = tags.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    Value::Array(
        sorted
            .into_iter()
            .map(|t| json!({"Key": t.key, "Value": t.value}))
            .collect(),
    )
}

/// A literal string for `Fn::Sub`: `${` would start a variable, so it is written `${!`.
fn sub_escape(text: &str) -> String {
    text.replace("${", "${!")
}

/// A literal string for Terraform: `${` and `%{` would start a template, so they are doubled.
fn tf(text: &str) -> Value {
    Value::String(text.replace("${", "$${").replace("%{", "%%{"))
}

fn insights(config: &Option<InsightsConfiguration>) -> (bool, bool) {
    InsightsConfiguration::effective(config)
}

/// The CloudFormation template (a JSON value; YAML is the same value written as YAML).
pub fn cloudformation(desired: &Desired, params: &Parameters) -> Value {
    let mut parameters = Map::new();
    let mut resources = Map::new();
    let mut outputs = Map::new();
    let mut taken = BTreeSet::new();
    let mut uses_service = false;

    if let Some((_, group)) = &desired.group {
        let id = unique("Group".to_string(), &mut taken, "");
        let mut props = Map::new();
        props.insert("GroupName".into(), json!(group.group_name));
        if let Some(filter) = &group.filter_expression {
            let needle = quoted(&params.service);
            let value = if filter.contains(&needle) {
                uses_service = true;
                json!({"Fn::Sub": sub_escape(filter).replace(&needle, "\"${ServiceName}\"")})
            } else {
                json!(filter)
            };
            props.insert("FilterExpression".into(), value);
        }
        if group.insights_configuration.is_some() {
            let (insights, notifications) = insights(&group.insights_configuration);
            props.insert(
                "InsightsConfiguration".into(),
                json!({"InsightsEnabled": insights, "NotificationsEnabled": notifications}),
            );
        }
        props.insert("Tags".into(), cfn_tags(&group.tags));
        resources.insert(
            id.clone(),
            json!({"Type": "AWS::XRay::Group", "Properties": props}),
        );
        outputs.insert(
            format!("{id}Arn"),
            json!({
                "Description": format!("The X-Ray group {}", group.group_name),
                "Value": {"Fn::GetAtt": [id, "GroupARN"]},
            }),
        );
    }

    let chosen = parameterized_rule(desired, params);
    for (i, (_, input)) in desired.rules.iter().enumerate() {
        let rule = &input.sampling_rule;
        let name = rule.rule_name.clone().unwrap_or_default();
        let id = logical_id("SamplingRule", &name, &mut taken);
        let service = if rule.service_name == params.service {
            uses_service = true;
            json!({"Ref": "ServiceName"})
        } else {
            json!(rule.service_name)
        };
        let fixed_rate = if Some(i) == chosen {
            json!({"Ref": "FixedRate"})
        } else {
            json!(rule.fixed_rate)
        };
        let mut block = Map::new();
        if let Some(n) = &rule.rule_name {
            block.insert("RuleName".into(), json!(n));
        }
        block.insert("ResourceARN".into(), json!(rule.resource_arn));
        block.insert("Priority".into(), json!(rule.priority));
        block.insert("FixedRate".into(), fixed_rate);
        block.insert("ReservoirSize".into(), json!(rule.reservoir_size));
        block.insert("ServiceName".into(), service);
        block.insert("ServiceType".into(), json!(rule.service_type));
        block.insert("Host".into(), json!(rule.host));
        block.insert("HTTPMethod".into(), json!(rule.http_method));
        block.insert("URLPath".into(), json!(rule.url_path));
        // CloudFormation accepts only version 1 (the only one X-Ray has).
        block.insert("Version".into(), json!(1));
        if let Some(attributes) = rule.attributes.as_ref().filter(|a| !a.is_empty()) {
            block.insert("Attributes".into(), json!(attributes));
        }
        resources.insert(
            id.clone(),
            json!({
                "Type": "AWS::XRay::SamplingRule",
                "Properties": {"SamplingRule": block, "Tags": cfn_tags(&input.tags)},
            }),
        );
        outputs.insert(
            format!("{id}Arn"),
            json!({
                "Description": format!("The X-Ray sampling rule {name}"),
                "Value": {"Fn::GetAtt": [id, "RuleARN"]},
            }),
        );
    }

    if let Some(spec) = &desired.log_group {
        let id = unique("LogGroup".to_string(), &mut taken, "");
        let mut props = Map::new();
        props.insert("LogGroupName".into(), json!(spec.name));
        if spec.retention_in_days.is_some() {
            props.insert("RetentionInDays".into(), json!({"Ref": "RetentionInDays"}));
        }
        if let Some(class) = &spec.class {
            props.insert("LogGroupClass".into(), json!(class));
        }
        if let Some(key) = &spec.kms_key_id {
            props.insert("KmsKeyId".into(), json!(key));
        }
        let tags: Vec<Tag> = spec
            .tags
            .iter()
            .map(|(k, v)| Tag {
                key: k.clone(),
                value: v.clone(),
            })
            .collect();
        props.insert("Tags".into(), cfn_tags(&tags));
        resources.insert(
            id.clone(),
            json!({"Type": "AWS::Logs::LogGroup", "Properties": props}),
        );
        outputs.insert(
            format!("{id}Arn"),
            json!({
                "Description": format!("The log group {}", spec.name),
                "Value": {"Fn::GetAtt": [id, "Arn"]},
            }),
        );
    }

    if uses_service {
        parameters.insert(
            "ServiceName".into(),
            json!({
                "Type": "String",
                "Default": params.service,
                "Description": "The backend's service name, as its traces name it (OTEL_SERVICE_NAME)",
                "MinLength": 1,
            }),
        );
    }
    if let Some(days) = desired.log_group.as_ref().and_then(|l| l.retention_in_days) {
        parameters.insert(
            "RetentionInDays".into(),
            json!({
                "Type": "Number",
                "Default": days,
                "Description": "How many days CloudWatch Logs keeps the log events",
                "AllowedValues": RETENTION_DAYS,
            }),
        );
    }
    if let Some(i) = chosen {
        let rule = &desired.rules[i].1.sampling_rule;
        parameters.insert(
            "FixedRate".into(),
            json!({
                "Type": "Number",
                "Default": rule.fixed_rate,
                "Description": format!(
                    "The share of requests beyond the reservoir that the sampling rule {} traces (0 to 1)",
                    rule.rule_name.as_deref().unwrap_or_default()
                ),
                "MinValue": 0,
                "MaxValue": 1,
            }),
        );
    }

    let mut template = Map::new();
    template.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    template.insert(
        "Description".into(),
        json!(format!(
            "Observability of the Cruddur workspace {} (X-Ray and CloudWatch Logs), exported by cruddur-obs",
            desired.workspace
        )),
    );
    if !parameters.is_empty() {
        template.insert("Parameters".into(), Value::Object(parameters));
    }
    if resources.is_empty() {
        // A template needs a resource; a workspace with X-Ray and CloudWatch off has none, so it
        // gets a wait condition handle: a placeholder that creates nothing.
        resources.insert(
            "Nothing".into(),
            json!({"Type": "AWS::CloudFormation::WaitConditionHandle"}),
        );
    }
    template.insert("Resources".into(), Value::Object(resources));
    if !outputs.is_empty() {
        template.insert("Outputs".into(), Value::Object(outputs));
    }
    Value::Object(template)
}

fn tf_tags(tags: impl IntoIterator<Item = (String, String)>) -> Value {
    let mut sorted: Vec<(String, String)> = tags.into_iter().collect();
    sorted.sort();
    Value::Object(sorted.into_iter().map(|(k, v)| (k, tf(&v))).collect())
}

fn rule_tf(
    input: &CreateSamplingRuleInput,
    params: &Parameters,
    parameterized: bool,
    uses_service: &mut bool,
) -> Value {
    let rule = &input.sampling_rule;
    let service = if rule.service_name == params.service {
        *uses_service = true;
        json!("${var.service_name}")
    } else {
        tf(&rule.service_name)
    };
    let mut r = Map::new();
    r.insert(
        "rule_name".into(),
        tf(rule.rule_name.as_deref().unwrap_or_default()),
    );
    r.insert("priority".into(), json!(rule.priority));
    r.insert("version".into(), json!(rule.version));
    r.insert("reservoir_size".into(), json!(rule.reservoir_size));
    r.insert(
        "fixed_rate".into(),
        if parameterized {
            json!("${var.fixed_rate}")
        } else {
            json!(rule.fixed_rate)
        },
    );
    r.insert("url_path".into(), tf(&rule.url_path));
    r.insert("host".into(), tf(&rule.host));
    r.insert("http_method".into(), tf(&rule.http_method));
    r.insert("service_type".into(), tf(&rule.service_type));
    r.insert("service_name".into(), service);
    r.insert("resource_arn".into(), tf(&rule.resource_arn));
    if let Some(attributes) = rule.attributes.as_ref().filter(|a| !a.is_empty()) {
        r.insert(
            "attributes".into(),
            tf_tags(attributes.iter().map(|(k, v)| (k.clone(), v.clone()))),
        );
    }
    r.insert(
        "tags".into(),
        tf_tags(input.tags.iter().map(|t| (t.key.clone(), t.value.clone()))),
    );
    Value::Object(r)
}

/// The Terraform configuration, as Terraform's JSON syntax (`main.tf.json`).
pub fn terraform(desired: &Desired, params: &Parameters) -> Value {
    let mut resources: Map<String, Value> = Map::new();
    let mut outputs = Map::new();
    let mut variables = Map::new();
    let mut uses_service = false;
    let mut add = |kind: &str, name: &str, body: Value| {
        resources
            .entry(kind.to_string())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("an object")
            .insert(name.to_string(), body);
    };

    if let Some((_, group)) = &desired.group {
        let name = slug(&group.group_name, &mut BTreeSet::new());
        let mut g = Map::new();
        g.insert("group_name".into(), tf(&group.group_name));
        if let Some(filter) = &group.filter_expression {
            let needle = quoted(&params.service);
            let escaped = tf(filter).as_str().unwrap_or_default().to_string();
            let value = if escaped.contains(&needle) {
                uses_service = true;
                escaped.replace(&needle, "\"${var.service_name}\"")
            } else {
                escaped
            };
            g.insert("filter_expression".into(), json!(value));
        }
        if group.insights_configuration.is_some() {
            let (insights, notifications) = insights(&group.insights_configuration);
            g.insert(
                "insights_configuration".into(),
                json!([{"insights_enabled": insights, "notifications_enabled": notifications}]),
            );
        }
        g.insert(
            "tags".into(),
            tf_tags(group.tags.iter().map(|t| (t.key.clone(), t.value.clone()))),
        );
        add("aws_xray_group", &name, Value::Object(g));
        outputs.insert(
            "group_arn".to_string(),
            json!({"value": format!("${{aws_xray_group.{name}.arn}}")}),
        );
    }

    let chosen = parameterized_rule(desired, params);
    let mut taken = BTreeSet::new();
    for (i, (_, input)) in desired.rules.iter().enumerate() {
        let name = slug(
            input.sampling_rule.rule_name.as_deref().unwrap_or_default(),
            &mut taken,
        );
        let body = rule_tf(input, params, Some(i) == chosen, &mut uses_service);
        add("aws_xray_sampling_rule", &name, body);
        let output = if taken.len() == 1 {
            "sampling_rule_arn".to_string()
        } else {
            format!("sampling_rule_{name}_arn")
        };
        outputs.insert(
            output,
            json!({"value": format!("${{aws_xray_sampling_rule.{name}.arn}}")}),
        );
    }

    if let Some(spec) = &desired.log_group {
        let name = slug(&spec.name, &mut BTreeSet::new());
        let mut l = Map::new();
        l.insert("name".into(), tf(&spec.name));
        if spec.retention_in_days.is_some() {
            l.insert(
                "retention_in_days".into(),
                json!("${var.retention_in_days}"),
            );
        }
        if let Some(class) = &spec.class {
            l.insert("log_group_class".into(), tf(class));
        }
        if let Some(key) = &spec.kms_key_id {
            l.insert("kms_key_id".into(), tf(key));
        }
        l.insert("tags".into(), tf_tags(spec.tags.clone()));
        add("aws_cloudwatch_log_group", &name, Value::Object(l));
        outputs.insert(
            "log_group_arn".to_string(),
            json!({"value": format!("${{aws_cloudwatch_log_group.{name}.arn}}")}),
        );
    }

    if let Some(hc) = &desired.honeycomb {
        let mut taken = BTreeSet::new();
        let mut panels = Vec::new();
        for q in &hc.file.queries {
            let name = slug(&q.name, &mut taken);
            let query_json = serde_json::to_string(&q.query).expect("a query serializes");
            add(
                "honeycombio_query",
                &name,
                json!({"dataset": tf(&hc.dataset), "query_json": tf(&query_json)}),
            );
            add(
                "honeycombio_query_annotation",
                &name,
                json!({
                    "dataset": tf(&hc.dataset),
                    "query_id": format!("${{honeycombio_query.{name}.id}}"),
                    "name": tf(&q.name),
                    "description": tf(&queries::described(&q.description)),
                }),
            );
            panels.push(json!({
                "type": "query",
                "query_panel": [{
                    "query_id": format!("${{honeycombio_query.{name}.id}}"),
                    "query_annotation_id": format!("${{honeycombio_query_annotation.{name}.id}}"),
                    "query_style": q.style.as_str(),
                }],
            }));
        }
        if let Some(board) = &hc.file.board {
            let name = slug(&board.name, &mut BTreeSet::new());
            let mut b = Map::new();
            b.insert("name".into(), tf(&board.name));
            b.insert("description".into(), tf(&board.description));
            if !panels.is_empty() {
                b.insert("panel".into(), Value::Array(panels));
            }
            add("honeycombio_flexible_board", &name, Value::Object(b));
        }
    }

    if uses_service {
        variables.insert(
            "service_name".into(),
            json!({
                "type": "string",
                "default": params.service,
                "description": "The backend's service name, as its traces name it (OTEL_SERVICE_NAME)",
            }),
        );
    }
    if let Some(days) = desired.log_group.as_ref().and_then(|l| l.retention_in_days) {
        let allowed: Vec<String> = RETENTION_DAYS.iter().map(|d| d.to_string()).collect();
        variables.insert(
            "retention_in_days".into(),
            json!({
                "type": "number",
                "default": days,
                "description": "How many days CloudWatch Logs keeps the log events",
                "validation": [{
                    "condition": format!("${{contains([{}], var.retention_in_days)}}", allowed.join(", ")),
                    "error_message": format!("The retention must be one of CloudWatch Logs' values: {}.", allowed.join(", ")),
                }],
            }),
        );
    }
    if let Some(i) = chosen {
        variables.insert(
            "fixed_rate".into(),
            json!({
                "type": "number",
                "default": desired.rules[i].1.sampling_rule.fixed_rate,
                "description": "The share of requests beyond the reservoir that the sampling rule traces (0 to 1)",
                "validation": [{
                    "condition": "${var.fixed_rate >= 0 && var.fixed_rate <= 1}",
                    "error_message": "The fixed rate must be between 0 and 1.",
                }],
            }),
        );
    }

    let mut providers = Map::new();
    providers.insert("aws".into(), json!({"source": "hashicorp/aws"}));
    if desired.honeycomb.is_some() {
        providers.insert(
            "honeycombio".into(),
            json!({"source": "honeycombio/honeycombio"}),
        );
    }
    let mut config = Map::new();
    config.insert(
        "//".into(),
        json!(format!(
            "Observability of the Cruddur workspace {}, exported by cruddur-obs",
            desired.workspace
        )),
    );
    config.insert("terraform".into(), json!({"required_providers": providers}));
    if !variables.is_empty() {
        config.insert("variable".into(), Value::Object(variables));
    }
    if !resources.is_empty() {
        config.insert("resource".into(), Value::Object(resources));
    }
    if !outputs.is_empty() {
        config.insert("output".into(), Value::Object(outputs));
    }
    Value::Object(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::JsonInput;
    use crate::manifest::Manifest;
    use crate::provision::declared;

    const RULE: &str = r#"{"SamplingRule": {"RuleName": "Cruddur", "ResourceARN": "*",
        "Priority": 9000, "FixedRate": 0.1, "ReservoirSize": 5, "ServiceName": "backend-flask",
        "ServiceType": "*", "Host": "*", "HTTPMethod": "*", "URLPath": "*", "Version": 1}}"#;

    fn params() -> Parameters {
        Parameters {
            service: "backend-flask".into(),
            rule: "Cruddur".into(),
        }
    }

    fn desired(files: &[(&str, &str)]) -> Desired {
        let files: Vec<(String, String)> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let mut d = declared("demo", &Manifest::default(), &files).unwrap();
        let file = queries::parse(&JsonInput::inline(
            "honeycomb/queries.json",
            r#"{"queries": [
                {"name": "Latency by user", "style": "table", "query": {"calculations": [{"op": "COUNT"}]}},
                {"name": "Latency by user!", "query": {"calculations": [{"op": "P90", "column": "duration_ms"}]}}
            ], "board": {"name": "Cruddur", "description": "All of it"}}"#,
        ))
        .unwrap();
        d.honeycomb = Some(crate::provision::honeycomb::HoneycombDesired {
            source: "honeycomb/queries.json".into(),
            dataset: file.dataset("backend-flask"),
            file,
        });
        d
    }

    #[test]
    fn export_cloudformation_parameterizes_what_varies() {
        let t = cloudformation(&desired(&[("aws/json/xray.json", RULE)]), &params());
        assert_eq!(
            t["Resources"]["Group"]["Properties"]["FilterExpression"],
            json!({"Fn::Sub": "service(\"${ServiceName}\") {fault OR error}"})
        );
        let rule = &t["Resources"]["SamplingRuleCruddur"]["Properties"];
        assert_eq!(
            rule["SamplingRule"]["ServiceName"],
            json!({"Ref": "ServiceName"})
        );
        assert_eq!(
            rule["SamplingRule"]["FixedRate"],
            json!({"Ref": "FixedRate"})
        );
        assert_eq!(rule["SamplingRule"]["Version"], json!(1));
        assert_eq!(
            rule["Tags"],
            json!([{"Key": "cruddur-obs-workspace", "Value": "demo"}, {"Key": "managed-by", "Value": "cruddur-obs"}])
        );
        assert_eq!(
            t["Resources"]["LogGroup"]["Properties"]["RetentionInDays"],
            json!({"Ref": "RetentionInDays"})
        );
        assert_eq!(t["Parameters"]["FixedRate"]["MaxValue"], json!(1));
        assert_eq!(t["Parameters"]["RetentionInDays"]["Default"], json!(7));
        assert_eq!(
            t["Outputs"]["GroupArn"]["Value"],
            json!({"Fn::GetAtt": ["Group", "GroupARN"]})
        );
        assert_eq!(
            t["Outputs"]["SamplingRuleCruddurArn"]["Value"],
            json!({"Fn::GetAtt": ["SamplingRuleCruddur", "RuleARN"]})
        );
        assert_eq!(
            t["Outputs"]["LogGroupArn"]["Value"],
            json!({"Fn::GetAtt": ["LogGroup", "Arn"]})
        );
        assert!(t["Description"].as_str().unwrap().contains("demo"));
    }

    #[test]
    fn export_cloudformation_escapes_sub_and_is_deterministic() {
        let d = desired(&[(
            "aws/json/group.json",
            r#"{"GroupName": "G", "FilterExpression": "service(\"backend-flask\") AND annotation.x = \"${y}\""}"#,
        )]);
        let a = serde_json::to_string(&cloudformation(&d, &params())).unwrap();
        let b = serde_json::to_string(&cloudformation(&d, &params())).unwrap();
        assert_eq!(a, b);
        let t = cloudformation(&d, &params());
        assert_eq!(
            t["Resources"]["Group"]["Properties"]["FilterExpression"]["Fn::Sub"],
            json!("service(\"${ServiceName}\") AND annotation.x = \"${!y}\"")
        );
        // No rule: no FixedRate parameter.
        assert!(t["Parameters"].get("FixedRate").is_none());
    }

    #[test]
    fn export_cloudformation_without_resources_is_still_a_template() {
        let mut m = Manifest::default();
        m.xray.enabled = false;
        m.cloudwatch.enabled = false;
        let d = declared("demo", &m, &[]).unwrap();
        let t = cloudformation(&d, &params());
        assert!(t.get("Parameters").is_none());
        assert_eq!(t["Resources"].as_object().unwrap().len(), 1);
    }

    #[test]
    fn export_terraform_names_and_references() {
        let t = terraform(&desired(&[("aws/json/xray.json", RULE)]), &params());
        let r = &t["resource"];
        assert_eq!(
            r["aws_xray_group"]["cruddur"]["filter_expression"],
            json!("service(\"${var.service_name}\") {fault OR error}")
        );
        assert_eq!(
            r["aws_xray_group"]["cruddur"]["insights_configuration"],
            json!([{"insights_enabled": false, "notifications_enabled": false}])
        );
        let rule = &r["aws_xray_sampling_rule"]["cruddur"];
        assert_eq!(rule["fixed_rate"], json!("${var.fixed_rate}"));
        assert_eq!(rule["service_name"], json!("${var.service_name}"));
        assert_eq!(
            r["aws_cloudwatch_log_group"]["cruddur"]["retention_in_days"],
            json!("${var.retention_in_days}")
        );
        // Two queries whose names slug alike get distinct names.
        let queries = r["honeycombio_query"].as_object().unwrap();
        assert_eq!(
            queries.keys().collect::<Vec<_>>(),
            ["latency_by_user", "latency_by_user_2"]
        );
        assert_eq!(
            queries["latency_by_user"]["query_json"],
            json!(r#"{"calculations":[{"op":"COUNT"}]}"#)
        );
        let panel = &r["honeycombio_flexible_board"]["cruddur"]["panel"][0];
        assert_eq!(
            panel["query_panel"][0],
            json!({
                "query_id": "${honeycombio_query.latency_by_user.id}",
                "query_annotation_id": "${honeycombio_query_annotation.latency_by_user.id}",
                "query_style": "table",
            })
        );
        assert_eq!(
            t["terraform"]["required_providers"]["honeycombio"]["source"],
            json!("honeycombio/honeycombio")
        );
        assert!(
            t["variable"]["retention_in_days"]["validation"][0]["condition"]
                .as_str()
                .unwrap()
                .contains("3653")
        );
    }

    #[test]
    fn export_slugs_are_terraform_names() {
        let mut taken = BTreeSet::new();
        assert_eq!(slug("Latency by user", &mut taken), "latency_by_user");
        assert_eq!(slug("latency-by-user", &mut taken), "latency_by_user_2");
        assert_eq!(slug("9 lives", &mut taken), "r_9_lives");
        assert_eq!(slug("!!!", &mut taken), "resource");
        assert_eq!(slug("Été", &mut taken), "t");
    }

    #[test]
    fn export_terraform_escapes_templates() {
        assert_eq!(tf("a ${b} %{c}"), json!("a $${b} %%{c}"));
    }
}
