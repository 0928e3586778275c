//! Honeycomb's configuration API, for what `up` provisions there: saved queries
//! (`/1/queries`), their names (`/1/query_annotations`), boards (`/1/boards`) and deploy markers
//! (`/1/markers`). Each failure says what Honeycomb answered, with the exit code of its cause.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{root_cause, Exit, Failure};
use crate::http::{self, client};
use crate::secret::redact;

/// A query annotation: the name and description of a saved query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub query_id: String,
}

/// A board as Honeycomb lists it: what `up` compares.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BoardFound {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub panels: Vec<Value>,
    #[serde(default)]
    pub tags: Vec<BoardTag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardTag {
    pub key: String,
    pub value: String,
}

impl BoardFound {
    /// The (annotation id, style) of each query panel, in order.
    pub fn query_panels(&self) -> Vec<(String, String)> {
        self.panels
            .iter()
            .filter(|p| p["type"] == "query")
            .map(|p| {
                let q = &p["query_panel"];
                (
                    q["query_annotation_id"].as_str().unwrap_or("").to_string(),
                    q["query_style"].as_str().unwrap_or("graph").to_string(),
                )
            })
            .collect()
    }
}

/// A client for one environment's configuration API, with one configuration key.
pub struct Api {
    base: String,
    key: String,
    timeout: Duration,
    client: reqwest::Client,
}

impl Api {
    pub fn new(base: &str, key: &str, timeout: Duration) -> Api {
        Api {
            base: base.trim_end_matches('/').to_string(),
            key: key.to_string(),
            timeout,
            client: client(timeout),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// One call; the JSON answer (Null for an empty one) on 2xx.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Failure> {
        let url = format!("{}{path}", self.base);
        let mut request = self
            .client
            .request(method.clone(), &url)
            .header("X-Honeycomb-Team", &self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let failed_to_reach = |e: reqwest::Error| {
            if e.is_timeout() {
                http::timed_out(&url, self.timeout)
            } else {
                http::unreachable(&url, &root_cause(&e))
            }
        };
        let response = request.send().await.map_err(failed_to_reach)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(failed_to_reach)?;
        if (200..300).contains(&status) {
            return if text.trim().is_empty() {
                Ok(Value::Null)
            } else {
                serde_json::from_str(&text)
                    .map_err(|e| http::unexpected(&url, &format!("unreadable answer ({e})")))
            };
        }
        let said = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or_else(|| text.chars().take(200).collect());
        let said = redact(&said, &self.key);
        let what = format!("{method} {path}");
        Err(match status {
            401 | 403 => Failure::new(
                Exit::KeyRejected,
                format!("Honeycomb refused {what} (HTTP {status}): {said}"),
            )
            .hint("use a configuration key with the permission named (Environment settings -> API Keys)"),
            404 => Failure::failed(format!("Honeycomb has no {path} (HTTP 404): {said}")),
            429 => Failure::new(
                Exit::RateLimited,
                format!("Honeycomb is rate limiting requests ({what})"),
            )
            .hint("wait a minute and run it again: it continues from what exists"),
            _ => Failure::failed(format!("Honeycomb refused {what} (HTTP {status}): {said}")),
        })
    }

    pub async fn annotations(&self, dataset: &str) -> Result<Vec<Annotation>, Failure> {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/1/query_annotations/{dataset}"),
                None,
            )
            .await?;
        parse(v, "the query annotations")
    }

    /// A saved query's spec, as Honeycomb keeps it.
    pub async fn query(&self, dataset: &str, id: &str) -> Result<Value, Failure> {
        self.call(
            reqwest::Method::GET,
            &format!("/1/queries/{dataset}/{id}"),
            None,
        )
        .await
    }

    /// Saves a query spec; its id.
    pub async fn create_query(&self, dataset: &str, spec: &Value) -> Result<String, Failure> {
        let v = self
            .call(
                reqwest::Method::POST,
                &format!("/1/queries/{dataset}"),
                Some(spec.clone()),
            )
            .await?;
        v["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Failure::failed("Honeycomb saved the query but gave no id"))
    }

    pub async fn create_annotation(
        &self,
        dataset: &str,
        name: &str,
        description: &str,
        query_id: &str,
    ) -> Result<Annotation, Failure> {
        let v = self
            .call(
                reqwest::Method::POST,
                &format!("/1/query_annotations/{dataset}"),
                Some(json!({"name": name, "description": description, "query_id": query_id})),
            )
            .await?;
        parse(v, "the new query annotation")
    }

    pub async fn update_annotation(&self, dataset: &str, a: &Annotation) -> Result<(), Failure> {
        self.call(
            reqwest::Method::PUT,
            &format!("/1/query_annotations/{dataset}/{}", a.id),
            Some(json!({"name": a.name, "description": a.description, "query_id": a.query_id})),
        )
        .await
        .map(|_| ())
    }

    pub async fn delete_annotation(&self, dataset: &str, id: &str) -> Result<(), Failure> {
        self.call(
            reqwest::Method::DELETE,
            &format!("/1/query_annotations/{dataset}/{id}"),
            None,
        )
        .await
        .map(|_| ())
    }

    pub async fn boards(&self) -> Result<Vec<BoardFound>, Failure> {
        let v = self.call(reqwest::Method::GET, "/1/boards", None).await?;
        parse(v, "the boards")
    }

    /// Creates a board; its id.
    pub async fn create_board(&self, board: &Value) -> Result<String, Failure> {
        let v = self
            .call(reqwest::Method::POST, "/1/boards", Some(board.clone()))
            .await?;
        v["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Failure::failed("Honeycomb made the board but gave no id"))
    }

    pub async fn update_board(&self, id: &str, board: &Value) -> Result<(), Failure> {
        self.call(
            reqwest::Method::PUT,
            &format!("/1/boards/{id}"),
            Some(board.clone()),
        )
        .await
        .map(|_| ())
    }

    pub async fn delete_board(&self, id: &str) -> Result<(), Failure> {
        self.call(reqwest::Method::DELETE, &format!("/1/boards/{id}"), None)
            .await
            .map(|_| ())
    }

    /// A deploy marker now, on the dataset.
    pub async fn create_marker(&self, dataset: &str, message: &str) -> Result<Value, Failure> {
        self.call(
            reqwest::Method::POST,
            &format!("/1/markers/{dataset}"),
            Some(json!({"message": message, "type": "deploy"})),
        )
        .await
    }
}

fn parse<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T, Failure> {
    serde_json::from_value(v)
        .map_err(|e| Failure::failed(format!("Honeycomb's answer for {what} is unreadable: {e}")))
}
