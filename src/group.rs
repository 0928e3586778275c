//! X-Ray groups: the JSON shapes, the limits, and the filter-expression mistakes that make a
//! group match nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::drift::{compare, Change, Plan};
use crate::tags::{self, Tag};
use crate::validate::Problems;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsightsConfiguration {
    #[serde(
        rename = "InsightsEnabled",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub insights_enabled: Option<bool>,
    #[serde(
        rename = "NotificationsEnabled",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub notifications_enabled: Option<bool>,
}

impl InsightsConfiguration {
    /// (insights, notifications) with X-Ray's defaults (off) filled in.
    pub fn effective(config: &Option<Self>) -> (bool, bool) {
        let c = config.unwrap_or_default();
        (
            c.insights_enabled.unwrap_or(false),
            c.notifications_enabled.unwrap_or(false),
        )
    }
}

/// A group as X-Ray returns it, printed as the aws cli prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    #[serde(rename = "GroupName", skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    #[serde(rename = "GroupARN", skip_serializing_if = "Option::is_none")]
    pub group_arn: Option<String>,
    #[serde(rename = "FilterExpression", skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<String>,
    #[serde(
        rename = "InsightsConfiguration",
        skip_serializing_if = "Option::is_none"
    )]
    pub insights_configuration: Option<InsightsConfiguration>,
}

/// The input of `create-group`, from flags or `--cli-input-json` (CreateGroup's input shape).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupInput {
    #[serde(rename = "GroupName", default)]
    pub group_name: String,
    #[serde(rename = "FilterExpression", default)]
    pub filter_expression: Option<String>,
    #[serde(rename = "InsightsConfiguration", default)]
    pub insights_configuration: Option<InsightsConfiguration>,
    #[serde(rename = "Tags", default)]
    pub tags: Vec<Tag>,
}

/// Checks a group name: 1–32 characters, and not the reserved "Default".
pub fn validate_name(field: &str, name: &str, p: &mut Problems) {
    p.length(field, name, 1, 32);
    if name == "Default" {
        p.push(
            field,
            "\"Default\" is reserved by X-Ray",
            "any other name, for example Cruddur",
        );
    }
}

/// Catches filters that X-Ray would reject or that can never match anything.
pub fn validate_filter(field: &str, filter: &str, p: &mut Problems) {
    let example = "a filter such as service(\"backend-flask\") {fault OR error}";
    if filter.trim().is_empty() {
        p.push(field, "is empty", format!("omit it, or {example}"));
        return;
    }
    if let Some(problem) = unbalanced(filter) {
        p.push(field, problem, example);
    }
    if filter.contains("://") {
        p.push(
            field,
            "holds a URL, so it can never match: X-Ray service names are segment names, never URLs with a scheme",
            example,
        );
    }
}

/// The first unbalanced quote or bracket in a filter, if any.
fn unbalanced(filter: &str) -> Option<String> {
    let mut stack = Vec::new();
    let mut quote: Option<char> = None;
    for c in filter.chars() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '{' | '[' => stack.push(c),
            ')' | '}' | ']' => {
                let open = match c {
                    ')' => '(',
                    '}' => '{',
                    _ => '[',
                };
                if stack.pop() != Some(open) {
                    return Some(format!("has an unmatched '{c}'"));
                }
            }
            _ => {}
        }
    }
    if let Some(q) = quote {
        return Some(format!("has an unclosed {q} quote"));
    }
    stack.pop().map(|c| format!("has an unclosed '{c}'"))
}

fn validate_insights(field: &str, config: &Option<InsightsConfiguration>, p: &mut Problems) {
    let (insights, notifications) = InsightsConfiguration::effective(config);
    if notifications && !insights {
        p.push(
            field,
            "notifications are on while insights are off",
            "notifications only together with insights",
        );
    }
}

impl CreateGroupInput {
    pub fn validate(&self) -> Problems {
        let mut p = Problems::new();
        validate_name("GroupName", &self.group_name, &mut p);
        if let Some(f) = &self.filter_expression {
            validate_filter("FilterExpression", f, &mut p);
        }
        validate_insights(
            "InsightsConfiguration",
            &self.insights_configuration,
            &mut p,
        );
        let map = tags::list_to_map(&self.tags);
        tags::validate("Tags", &map, false, &mut p);
        if self.tags.len() != map.len() {
            p.push("Tags", "the same key is given twice", "each key once");
        }
        p
    }

    /// Fields that differ from the group as it is. Only what the input gives is compared: a filter,
    /// insights setting or tag left out is left as it is.
    pub fn changes_from(
        &self,
        current: &Group,
        current_tags: &BTreeMap<String, String>,
    ) -> Vec<Change> {
        let mut c = Vec::new();
        if self.filter_expression.is_some() {
            let show = |v: &Option<String>| {
                v.as_ref()
                    .map(|s| format!("'{s}'"))
                    .unwrap_or_else(|| "(none)".into())
            };
            compare(
                &mut c,
                "FilterExpression",
                &current.filter_expression,
                &self.filter_expression,
                show,
            );
        }
        let (ci, cn) = InsightsConfiguration::effective(&current.insights_configuration);
        let desired = self.insights_configuration.unwrap_or_default();
        if let Some(di) = desired.insights_enabled {
            compare(&mut c, "InsightsEnabled", &ci, &di, |v| v.to_string());
        }
        if let Some(dn) = desired.notifications_enabled {
            compare(&mut c, "NotificationsEnabled", &cn, &dn, |v| v.to_string());
        }
        c.extend(tags::changes(current_tags, &tags::list_to_map(&self.tags)));
        c
    }

    pub fn plan(&self, current: Option<(&Group, &BTreeMap<String, String>)>) -> Plan {
        match current {
            None => Plan::Create,
            Some((group, tags)) => {
                let changes = self.changes_from(group, tags);
                if changes.is_empty() {
                    Plan::Unchanged
                } else {
                    Plan::Update(changes)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(filter: &str) -> Vec<String> {
        let mut p = Problems::new();
        validate_filter("FilterExpression", filter, &mut p);
        p.list().iter().map(|p| p.message.clone()).collect()
    }

    #[test]
    fn accepts_cruddur_filter() {
        assert!(problems("service(\"backend-flask\") {fault OR error}").is_empty());
        assert!(problems("edge(\"a\", \"b\") {responsetime > 1}").is_empty());
    }

    #[test]
    fn rejects_url_and_unbalanced_filters() {
        let p = problems("service(\"https://4567-abc.gitpod.io\") {fault OR error}");
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("holds a URL"));
        assert_eq!(
            problems("service(\"x\" {fault}"),
            vec!["has an unclosed '('".to_string()]
        );
        assert_eq!(
            problems("service(\"x\")) {fault}"),
            vec!["has an unmatched ')'".to_string()]
        );
        assert_eq!(
            problems("service(\"x) {fault}"),
            vec!["has an unclosed \" quote".to_string()]
        );
    }

    #[test]
    fn reserved_name_and_notifications_without_insights() {
        let input = CreateGroupInput {
            group_name: "Default".into(),
            insights_configuration: Some(InsightsConfiguration {
                insights_enabled: None,
                notifications_enabled: Some(true),
            }),
            ..Default::default()
        };
        let fields: Vec<String> = input
            .validate()
            .list()
            .iter()
            .map(|p| p.field.clone())
            .collect();
        assert_eq!(fields, vec!["GroupName", "InsightsConfiguration"]);
    }
}
