//! X-Ray sampling rules: the JSON shapes the aws cli reads and prints, their limits, and how a
//! rule as it is differs from the rule as asked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::drift::{compare, Change, Plan};
use crate::tags::{self, Tag};
use crate::validate::Problems;

/// The rule X-Ray creates in every region; it cannot be deleted, and only its rate and
/// reservoir can change.
pub const DEFAULT_RULE: &str = "Default";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplingRule {
    #[serde(rename = "RuleName", default, skip_serializing_if = "Option::is_none")]
    pub rule_name: Option<String>,
    #[serde(rename = "RuleARN", default, skip_serializing_if = "Option::is_none")]
    pub rule_arn: Option<String>,
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    #[serde(rename = "Priority")]
    pub priority: i32,
    #[serde(rename = "FixedRate")]
    pub fixed_rate: f64,
    #[serde(rename = "ReservoirSize")]
    pub reservoir_size: i32,
    #[serde(rename = "ServiceName")]
    pub service_name: String,
    #[serde(rename = "ServiceType")]
    pub service_type: String,
    #[serde(rename = "Host")]
    pub host: String,
    #[serde(rename = "HTTPMethod")]
    pub http_method: String,
    #[serde(rename = "URLPath")]
    pub url_path: String,
    #[serde(rename = "Version")]
    pub version: i32,
    #[serde(
        rename = "Attributes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub attributes: Option<BTreeMap<String, String>>,
    #[serde(
        rename = "SamplingRateBoost",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sampling_rate_boost: Option<SamplingRateBoost>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplingRateBoost {
    #[serde(rename = "MaxRate")]
    pub max_rate: f64,
    #[serde(rename = "CooldownWindowMinutes")]
    pub cooldown_window_minutes: i32,
}

/// The input of `create-sampling-rule --cli-input-json`, exactly as the aws cli takes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSamplingRuleInput {
    #[serde(rename = "SamplingRule")]
    pub sampling_rule: SamplingRule,
    #[serde(rename = "Tags", default)]
    pub tags: Vec<Tag>,
}

/// The input of `update-sampling-rule --cli-input-json`: every field optional, no Version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplingRuleUpdate {
    #[serde(rename = "RuleName", default, skip_serializing_if = "Option::is_none")]
    pub rule_name: Option<String>,
    #[serde(rename = "RuleARN", default, skip_serializing_if = "Option::is_none")]
    pub rule_arn: Option<String>,
    #[serde(
        rename = "ResourceARN",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub resource_arn: Option<String>,
    #[serde(rename = "Priority", default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    #[serde(rename = "FixedRate", default, skip_serializing_if = "Option::is_none")]
    pub fixed_rate: Option<f64>,
    #[serde(
        rename = "ReservoirSize",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reservoir_size: Option<i32>,
    #[serde(rename = "Host", default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(
        rename = "ServiceName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub service_name: Option<String>,
    #[serde(
        rename = "ServiceType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub service_type: Option<String>,
    #[serde(
        rename = "HTTPMethod",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub http_method: Option<String>,
    #[serde(rename = "URLPath", default, skip_serializing_if = "Option::is_none")]
    pub url_path: Option<String>,
    #[serde(
        rename = "Attributes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub attributes: Option<BTreeMap<String, String>>,
    #[serde(
        rename = "SamplingRateBoost",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sampling_rate_boost: Option<SamplingRateBoost>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSamplingRuleInput {
    #[serde(rename = "SamplingRuleUpdate")]
    pub sampling_rule_update: SamplingRuleUpdate,
}

/// A rule as X-Ray returns it, printed as the aws cli prints it (timestamps in epoch seconds).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SamplingRuleRecord {
    #[serde(rename = "SamplingRule")]
    pub sampling_rule: SamplingRule,
    #[serde(rename = "CreatedAt", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<f64>,
    #[serde(rename = "ModifiedAt", skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<f64>,
}

impl SamplingRuleRecord {
    pub fn name(&self) -> &str {
        self.sampling_rule.rule_name.as_deref().unwrap_or("")
    }
}

fn validate_attributes(
    field: &str,
    attributes: &Option<BTreeMap<String, String>>,
    p: &mut Problems,
) {
    let Some(attributes) = attributes else { return };
    if attributes.len() > 5 {
        p.push(
            field,
            format!("{} attributes given", attributes.len()),
            "at most 5 attributes",
        );
    }
    for (k, v) in attributes {
        p.length(&format!("{field}.{k} (key)"), k, 1, 32);
        p.length(&format!("{field}.{k} (value)"), v, 1, 32);
    }
}

fn validate_boost(field: &str, boost: &Option<SamplingRateBoost>, p: &mut Problems) {
    if let Some(b) = boost {
        p.float_range(&format!("{field}.MaxRate"), b.max_rate, 0.0, 1.0);
        p.int_range(
            &format!("{field}.CooldownWindowMinutes"),
            b.cooldown_window_minutes.into(),
            1,
            None,
        );
    }
}

fn validate_name_or_arn(at: &str, name: &Option<String>, arn: &Option<String>, p: &mut Problems) {
    if let Some(n) = name {
        p.length(&format!("{at}.RuleName"), n, 1, 32);
    }
    if name.is_some() && arn.is_some() {
        p.push(
            format!("{at}.RuleARN"),
            "given together with RuleName",
            "either RuleName or RuleARN, not both",
        );
    }
}

impl SamplingRule {
    /// Every limit X-Ray enforces on a rule (the SDK checks none of them).
    pub fn validate(&self, at: &str, p: &mut Problems) {
        validate_name_or_arn(at, &self.rule_name, &self.rule_arn, p);
        let f = |name: &str| format!("{at}.{name}");
        p.length(&f("ResourceARN"), &self.resource_arn, 0, 500);
        p.int_range(&f("Priority"), self.priority.into(), 1, Some(9999));
        p.float_range(&f("FixedRate"), self.fixed_rate, 0.0, 1.0);
        p.int_range(&f("ReservoirSize"), self.reservoir_size.into(), 0, None);
        p.length(&f("ServiceName"), &self.service_name, 0, 64);
        p.length(&f("ServiceType"), &self.service_type, 0, 64);
        p.length(&f("Host"), &self.host, 0, 64);
        p.length(&f("HTTPMethod"), &self.http_method, 0, 10);
        p.length(&f("URLPath"), &self.url_path, 0, 128);
        p.one_of(&f("Version"), &self.version, &[1]);
        validate_attributes(&f("Attributes"), &self.attributes, p);
        validate_boost(&f("SamplingRateBoost"), &self.sampling_rate_boost, p);
    }

    /// Fields that differ between the rule as it is (`self`) and as asked (`desired`). Version is
    /// not compared (1 is its only valid value); Attributes and SamplingRateBoost only when asked.
    pub fn changes_to(&self, desired: &SamplingRule) -> Vec<Change> {
        let mut c = Vec::new();
        let s = |v: &String| format!("\"{v}\"");
        compare(
            &mut c,
            "ResourceARN",
            &self.resource_arn,
            &desired.resource_arn,
            s,
        );
        compare(&mut c, "Priority", &self.priority, &desired.priority, |v| {
            v.to_string()
        });
        compare(
            &mut c,
            "FixedRate",
            &self.fixed_rate,
            &desired.fixed_rate,
            |v| v.to_string(),
        );
        compare(
            &mut c,
            "ReservoirSize",
            &self.reservoir_size,
            &desired.reservoir_size,
            |v| v.to_string(),
        );
        compare(
            &mut c,
            "ServiceName",
            &self.service_name,
            &desired.service_name,
            s,
        );
        compare(
            &mut c,
            "ServiceType",
            &self.service_type,
            &desired.service_type,
            s,
        );
        compare(&mut c, "Host", &self.host, &desired.host, s);
        compare(
            &mut c,
            "HTTPMethod",
            &self.http_method,
            &desired.http_method,
            s,
        );
        compare(&mut c, "URLPath", &self.url_path, &desired.url_path, s);
        if let Some(wanted) = &desired.attributes {
            let current = self.attributes.clone().unwrap_or_default();
            compare(&mut c, "Attributes", &current, wanted, |v| {
                serde_json::to_string(v).unwrap_or_default()
            });
        }
        if desired.sampling_rate_boost.is_some() {
            compare(
                &mut c,
                "SamplingRateBoost",
                &self.sampling_rate_boost,
                &desired.sampling_rate_boost,
                |v| match v {
                    Some(b) => format!(
                        "MaxRate={},CooldownWindowMinutes={}",
                        b.max_rate, b.cooldown_window_minutes
                    ),
                    None => "(none)".into(),
                },
            );
        }
        c
    }

    /// The update that turns the rule as it is into `desired`: only the fields that differ.
    pub fn update_to(&self, desired: &SamplingRule) -> SamplingRuleUpdate {
        fn pick<T: PartialEq + Clone>(current: &T, desired: &T) -> Option<T> {
            (current != desired).then(|| desired.clone())
        }
        let attributes = desired
            .attributes
            .as_ref()
            .filter(|wanted| self.attributes.clone().unwrap_or_default() != **wanted)
            .cloned();
        let boost = desired
            .sampling_rate_boost
            .filter(|b| self.sampling_rate_boost != Some(*b));
        SamplingRuleUpdate {
            rule_name: self.rule_name.clone(),
            rule_arn: None,
            resource_arn: pick(&self.resource_arn, &desired.resource_arn),
            priority: pick(&self.priority, &desired.priority),
            fixed_rate: pick(&self.fixed_rate, &desired.fixed_rate),
            reservoir_size: pick(&self.reservoir_size, &desired.reservoir_size),
            host: pick(&self.host, &desired.host),
            service_name: pick(&self.service_name, &desired.service_name),
            service_type: pick(&self.service_type, &desired.service_type),
            http_method: pick(&self.http_method, &desired.http_method),
            url_path: pick(&self.url_path, &desired.url_path),
            attributes,
            sampling_rate_boost: boost,
        }
    }
}

impl CreateSamplingRuleInput {
    pub fn validate(&self) -> Problems {
        let mut p = Problems::new();
        let rule = &self.sampling_rule;
        rule.validate("SamplingRule", &mut p);
        match rule.rule_name.as_deref() {
            None => p.push(
                "SamplingRule.RuleName",
                "is missing",
                "a name of 1 to 32 characters (cruddur-obs needs it to tell whether the rule already exists)",
            ),
            Some(DEFAULT_RULE) => p.push(
                "SamplingRule.RuleName",
                "\"Default\" is X-Ray's built-in rule and cannot be created",
                "any other name (change Default's rate with update-sampling-rule)",
            ),
            Some(_) => {}
        }
        tags::validate("Tags", &tags::list_to_map(&self.tags), false, &mut p);
        if self.tags.len() != tags::list_to_map(&self.tags).len() {
            p.push("Tags", "the same key is given twice", "each key once");
        }
        p
    }

    /// What to do, given the rule as it is now (if it exists) and its tags.
    pub fn plan(&self, current: Option<(&SamplingRuleRecord, &BTreeMap<String, String>)>) -> Plan {
        let Some((record, current_tags)) = current else {
            return Plan::Create;
        };
        let mut changes = record.sampling_rule.changes_to(&self.sampling_rule);
        changes.extend(tags::changes(current_tags, &tags::list_to_map(&self.tags)));
        if changes.is_empty() {
            Plan::Unchanged
        } else {
            Plan::Update(changes)
        }
    }
}

impl SamplingRuleUpdate {
    pub fn validate(&self) -> Problems {
        let mut p = Problems::new();
        let at = "SamplingRuleUpdate";
        validate_name_or_arn(at, &self.rule_name, &self.rule_arn, &mut p);
        if self.rule_name.is_none() && self.rule_arn.is_none() {
            p.push(
                format!("{at}.RuleName"),
                "is missing",
                "the rule's RuleName or RuleARN",
            );
        }
        let f = |name: &str| format!("{at}.{name}");
        if let Some(v) = &self.resource_arn {
            p.length(&f("ResourceARN"), v, 0, 500);
        }
        if let Some(v) = self.priority {
            p.int_range(&f("Priority"), v.into(), 1, Some(9999));
        }
        if let Some(v) = self.fixed_rate {
            p.float_range(&f("FixedRate"), v, 0.0, 1.0);
        }
        if let Some(v) = self.reservoir_size {
            p.int_range(&f("ReservoirSize"), v.into(), 0, None);
        }
        for (name, value, max) in [
            ("Host", &self.host, 64),
            ("ServiceName", &self.service_name, 64),
            ("ServiceType", &self.service_type, 64),
            ("HTTPMethod", &self.http_method, 10),
            ("URLPath", &self.url_path, 128),
        ] {
            if let Some(v) = value {
                p.length(&f(name), v, 0, max);
            }
        }
        validate_attributes(&f("Attributes"), &self.attributes, &mut p);
        validate_boost(&f("SamplingRateBoost"), &self.sampling_rate_boost, &mut p);
        if self.rule_name.as_deref() == Some(DEFAULT_RULE) {
            let others = self.resource_arn.is_some()
                || self.priority.is_some()
                || self.host.is_some()
                || self.service_name.is_some()
                || self.service_type.is_some()
                || self.http_method.is_some()
                || self.url_path.is_some()
                || self.attributes.is_some();
            if others {
                p.push(
                    at,
                    "changes a field of the Default rule other than its rate",
                    "only FixedRate and ReservoirSize for Default",
                );
            }
        }
        p
    }

    /// True when the update changes nothing but names the rule.
    pub fn is_empty(&self) -> bool {
        let named = SamplingRuleUpdate {
            rule_name: self.rule_name.clone(),
            rule_arn: self.rule_arn.clone(),
            ..Default::default()
        };
        *self == named
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::JsonInput;

    const CRUDDUR: &str = include_str!("../aws/json/xray.json");

    fn cruddur() -> CreateSamplingRuleInput {
        JsonInput::inline("xray.json", CRUDDUR).parse().unwrap()
    }

    #[test]
    fn the_shipped_rule_is_valid() {
        let input = cruddur();
        assert!(input.validate().is_empty(), "{:?}", input.validate().list());
        assert_eq!(input.sampling_rule.rule_name.as_deref(), Some("Cruddur"));
    }

    #[test]
    fn plans_create_unchanged_and_one_field_update() {
        let input = cruddur();
        assert_eq!(input.plan(None), Plan::Create);
        let mut record = SamplingRuleRecord {
            sampling_rule: input.sampling_rule.clone(),
            created_at: None,
            modified_at: None,
        };
        let no_tags = BTreeMap::new();
        assert_eq!(input.plan(Some((&record, &no_tags))), Plan::Unchanged);
        record.sampling_rule.fixed_rate = 0.5;
        record.sampling_rule.attributes = Some(BTreeMap::new());
        let Plan::Update(changes) = input.plan(Some((&record, &no_tags))) else {
            panic!()
        };
        assert_eq!(
            changes,
            vec![Change {
                field: "FixedRate".into(),
                current: "0.5".into(),
                desired: "0.1".into()
            }]
        );
        let update = record.sampling_rule.update_to(&input.sampling_rule);
        assert_eq!(update.fixed_rate, Some(0.1));
        assert_eq!(update.priority, None);
    }

    #[test]
    fn finds_every_limit() {
        let mut input = cruddur();
        let r = &mut input.sampling_rule;
        r.fixed_rate = 1.5;
        r.priority = 0;
        r.reservoir_size = -1;
        r.version = 2;
        r.http_method = "DELETEPOSTS".into();
        r.rule_name = Some("x".repeat(33));
        r.attributes = Some((0..6).map(|i| (format!("k{i}"), "v".into())).collect());
        let fields: Vec<String> = input
            .validate()
            .list()
            .iter()
            .map(|p| p.field.clone())
            .collect();
        for f in [
            "FixedRate",
            "Priority",
            "ReservoirSize",
            "Version",
            "HTTPMethod",
            "RuleName",
            "Attributes",
        ] {
            assert!(
                fields.contains(&format!("SamplingRule.{f}")),
                "{f} missing from {fields:?}"
            );
        }
    }
}
