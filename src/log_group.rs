//! CloudWatch Logs log groups: what the user asks for, its limits, and how it differs from the
//! group as it is.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::drift::{compare, Change, Plan};
use crate::tags;
use crate::validate::Problems;

/// The only retention periods CloudWatch Logs accepts, in days.
pub const RETENTION_DAYS: &[i32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Log group classes a user may choose (DELIVERY is for AWS-vended logs only).
pub const CLASSES: &[&str] = &["STANDARD", "INFREQUENT_ACCESS"];

/// A log group as asked for on the command line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogGroupSpec {
    pub name: String,
    pub retention_in_days: Option<i32>,
    pub kms_key_id: Option<String>,
    pub class: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// A log group as CloudWatch Logs returns it, printed as the aws cli prints it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_filter_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_bytes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_protection_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_properties: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_protection_enabled: Option<bool>,
}

/// Checks a log group name: 1–512 characters of `[.-_/#A-Za-z0-9]`, not starting with `aws/`.
pub fn validate_name(field: &str, name: &str, p: &mut Problems) {
    p.length(field, name, 1, 512);
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-/#".contains(*c)))
    {
        p.push(
            field,
            format!("\"{name}\" contains '{bad}'"),
            "letters, digits and . - _ / # only",
        );
    }
    if name.starts_with("aws/") {
        p.push(
            field,
            "names starting with \"aws/\" are reserved for AWS services",
            "any other name, for example cruddur",
        );
    }
}

/// Checks a retention period, naming the nearest allowed values when it is not one of them.
pub fn validate_retention(field: &str, days: i32, p: &mut Problems) {
    if RETENTION_DAYS.contains(&days) {
        return;
    }
    let below = RETENTION_DAYS.iter().rev().find(|d| **d < days);
    let above = RETENTION_DAYS.iter().find(|d| **d > days);
    let near = match (below, above) {
        (Some(b), Some(a)) => format!(" (nearest: {b} or {a})"),
        (Some(b), None) => format!(" (nearest: {b})"),
        (None, Some(a)) => format!(" (nearest: {a})"),
        (None, None) => String::new(),
    };
    let list: Vec<String> = RETENTION_DAYS.iter().map(|d| d.to_string()).collect();
    p.push(
        field,
        format!("{days} is not a retention period CloudWatch Logs accepts{near}"),
        format!("one of {}", list.join(", ")),
    );
}

impl LogGroupSpec {
    pub fn validate(&self) -> Problems {
        let mut p = Problems::new();
        validate_name("--log-group-name", &self.name, &mut p);
        if let Some(days) = self.retention_in_days {
            validate_retention("--retention-in-days", days, &mut p);
        }
        if let Some(kms) = &self.kms_key_id {
            p.length("--kms-key-id", kms, 1, 256);
        }
        if let Some(class) = &self.class {
            p.one_of("--log-group-class", &class.as_str(), CLASSES);
        }
        if !self.tags.is_empty() {
            tags::validate("--tags", &self.tags, true, &mut p);
        }
        p
    }

    /// Compares only what was asked: retention, key, class and tags when given.
    pub fn plan(&self, current: Option<(&LogGroup, &BTreeMap<String, String>)>) -> Plan {
        let Some((group, current_tags)) = current else {
            return Plan::Create;
        };
        let mut c = Vec::new();
        let days = |v: &Option<i32>| {
            v.map(|d| format!("{d} days"))
                .unwrap_or_else(|| "never expire".into())
        };
        if self.retention_in_days.is_some() {
            compare(
                &mut c,
                "retentionInDays",
                &group.retention_in_days,
                &self.retention_in_days,
                days,
            );
        }
        let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        if self.kms_key_id.is_some() {
            compare(
                &mut c,
                "kmsKeyId",
                &group.kms_key_id,
                &self.kms_key_id,
                text,
            );
        }
        if self.class.is_some() {
            let current_class = group.log_group_class.clone().or(Some("STANDARD".into()));
            compare(&mut c, "logGroupClass", &current_class, &self.class, text);
        }
        c.extend(tags::changes(current_tags, &self.tags));
        if c.is_empty() {
            Plan::Unchanged
        } else {
            Plan::Update(c)
        }
    }
}

/// Changes that `--update` cannot make, because CloudWatch Logs fixes them at creation.
pub fn fixed_at_creation(changes: &[Change]) -> Vec<&Change> {
    changes
        .iter()
        .filter(|c| c.field == "logGroupClass" || c.field == "kmsKeyId")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_retention() {
        let mut p = Problems::new();
        validate_name("n", "cruddur", &mut p);
        validate_name("n", "/aws/lambda/x", &mut p);
        assert!(p.is_empty());
        validate_name("n", "aws/cruddur", &mut p);
        validate_name("n", "my group", &mut p);
        validate_retention("r", 10, &mut p);
        let messages: Vec<&str> = p.list().iter().map(|x| x.message.as_str()).collect();
        assert_eq!(
            messages[0],
            "names starting with \"aws/\" are reserved for AWS services"
        );
        assert_eq!(messages[1], "\"my group\" contains ' '");
        assert_eq!(
            messages[2],
            "10 is not a retention period CloudWatch Logs accepts (nearest: 7 or 14)"
        );
    }

    #[test]
    fn plans_only_what_was_asked() {
        let spec = LogGroupSpec {
            name: "cruddur".into(),
            retention_in_days: Some(7),
            ..Default::default()
        };
        let mut group = LogGroup {
            log_group_name: Some("cruddur".into()),
            retention_in_days: Some(7),
            ..Default::default()
        };
        let none = BTreeMap::new();
        assert_eq!(spec.plan(Some((&group, &none))), Plan::Unchanged);
        group.retention_in_days = None;
        let Plan::Update(c) = spec.plan(Some((&group, &none))) else {
            panic!()
        };
        assert_eq!(c[0].current, "never expire");
        let no_retention = LogGroupSpec {
            name: "cruddur".into(),
            ..Default::default()
        };
        assert_eq!(no_retention.plan(Some((&group, &none))), Plan::Unchanged);
    }
}
