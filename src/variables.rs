//! The environment variables a workspace needs, worked out from its manifest: what each is for,
//! its value when we know it, and whether it is a secret.

use crate::manifest::{Host, Manifest};

#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: &'static str,
    /// What the variable is for, in a few words.
    pub about: &'static str,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A value the manifest decides, the same everywhere.
    Fixed(String),
    /// A value only the user has (a key or token); never written into a tracked file.
    Secret,
    /// A value built from other variables, written as a shell reference: `x-honeycomb-team=${HONEYCOMB_API_KEY}`.
    Reference(String),
}

impl Variable {
    pub fn is_secret(&self) -> bool {
        matches!(self.value, Value::Secret)
    }

    /// The value from this process's environment, if set and not empty.
    pub fn current(&self) -> Option<String> {
        std::env::var(self.name).ok().filter(|v| !v.is_empty())
    }
}

fn fixed(name: &'static str, about: &'static str, value: impl Into<String>) -> Variable {
    Variable {
        name,
        about,
        value: Value::Fixed(value.into()),
    }
}

fn secret(name: &'static str, about: &'static str) -> Variable {
    Variable {
        name,
        about,
        value: Value::Secret,
    }
}

/// Honeycomb's API host for a key: EU keys carry region letter `b` (`hcbik_...`).
pub fn honeycomb_api_for_key(key: Option<&str>) -> &'static str {
    match key {
        Some(k) if k.starts_with("hcb") => "https://api.eu1.honeycomb.io",
        _ => "https://api.honeycomb.io",
    }
}

/// Every variable the workspace's backend needs when run from a shell (`flask run`); the compose
/// file sets its own from these.
pub fn for_manifest(m: &Manifest) -> Vec<Variable> {
    let mut vars = Vec::new();
    if m.honeycomb.enabled {
        let key = std::env::var("HONEYCOMB_API_KEY").ok();
        vars.push(secret(
            "HONEYCOMB_API_KEY",
            "Honeycomb key of the environment the data lands in",
        ));
        vars.push(fixed(
            "OTEL_SERVICE_NAME",
            "service name on every span",
            m.workspace.service.clone(),
        ));
        vars.push(fixed(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "where spans go",
            honeycomb_api_for_key(key.as_deref()),
        ));
        vars.push(Variable {
            name: "OTEL_EXPORTER_OTLP_HEADERS",
            about: "the key, sent with every span",
            value: Value::Reference("x-honeycomb-team=${HONEYCOMB_API_KEY}".into()),
        });
    }
    if m.xray.enabled || m.cloudwatch.enabled {
        vars.push(secret(
            "AWS_ACCESS_KEY_ID",
            "AWS credentials for X-Ray and CloudWatch Logs",
        ));
        vars.push(secret(
            "AWS_SECRET_ACCESS_KEY",
            "AWS credentials for X-Ray and CloudWatch Logs",
        ));
        vars.push(fixed(
            "AWS_DEFAULT_REGION",
            "the region boto3 uses",
            m.workspace.region.clone(),
        ));
        vars.push(fixed(
            "AWS_REGION",
            "the region newer SDKs use",
            m.workspace.region.clone(),
        ));
    }
    if m.xray.enabled {
        vars.push(fixed(
            "AWS_XRAY_DAEMON_ADDRESS",
            "the X-Ray daemon (compose uses xray-daemon:2000)",
            "127.0.0.1:2000",
        ));
    }
    if m.rollbar.enabled {
        vars.push(secret(
            "ROLLBAR_ACCESS_TOKEN",
            "Rollbar post_server_item token",
        ));
    }
    let (frontend, backend) = match m.workspace.host {
        Host::Gitpod => (
            "https://3000-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}",
            "https://4567-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}",
        ),
        Host::Codespaces => (
            "https://${CODESPACE_NAME}-3000.${GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN}",
            "https://${CODESPACE_NAME}-4567.${GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN}",
        ),
        Host::Local => ("http://localhost:3000", "http://localhost:4567"),
    };
    let url = |name, about, value: &str| Variable {
        name,
        about,
        value: if value.contains('$') {
            Value::Reference(value.into())
        } else {
            Value::Fixed(value.into())
        },
    };
    vars.push(url(
        "FRONTEND_URL",
        "the frontend's address, allowed by CORS",
        frontend,
    ));
    vars.push(url(
        "BACKEND_URL",
        "the backend's address, allowed by CORS",
        backend,
    ));
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_decide_the_variables() {
        let mut m = Manifest::default();
        m.rollbar.enabled = false;
        m.xray.enabled = false;
        let names: Vec<&str> = for_manifest(&m).iter().map(|v| v.name).collect();
        assert!(names.contains(&"HONEYCOMB_API_KEY") && names.contains(&"AWS_DEFAULT_REGION"));
        assert!(
            !names.contains(&"ROLLBAR_ACCESS_TOKEN") && !names.contains(&"AWS_XRAY_DAEMON_ADDRESS")
        );
        assert_eq!(
            honeycomb_api_for_key(Some("hcbik_x")),
            "https://api.eu1.honeycomb.io"
        );
    }
}
