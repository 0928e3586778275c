//! Rollbar: posting an item with a server token, and what Rollbar's answers mean.

use std::time::Duration;

use serde_json::json;

use crate::error::{root_cause, Exit, Failure};
use crate::http::{self, client, Wording};
use crate::secret::{mask, redact};

pub const DEFAULT_ENDPOINT: &str = "https://api.rollbar.com/api/1/";

/// Why a token cannot be a Rollbar access token, if it cannot.
pub fn check_token(token: &str) -> Result<(), String> {
    if token.trim() != token {
        return Err("it has spaces or a line break around it".into());
    }
    if token.len() != 32 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "Rollbar access tokens are 32 hexadecimal characters; this one is {} characters",
            token.chars().count()
        ));
    }
    Ok(())
}

#[derive(Debug)]
pub enum PostError {
    /// 401/403 "access token not found": Rollbar does not know the token.
    UnknownToken(String),
    /// 403 "insufficient privileges": the token lacks post_server_item.
    WrongScope(String),
    /// 422: Rollbar could not read the item (a missing token).
    Rejected(String),
    RateLimited,
    TimedOut(Duration),
    Unreachable(String),
    Unexpected(String),
}

impl PostError {
    /// The one explanation of a post that failed, for `token` sent to `endpoint`: its exit code,
    /// its sentence and what to do. `rollbar test` names the token by its mask; doctor's finding
    /// says "the token" alone.
    pub fn failure(&self, endpoint: &str, token: &str, wording: Wording) -> Failure {
        let the_token = match wording {
            Wording::Command => format!("the token {}", mask(token)),
            Wording::Doctor => "the token".to_string(),
        };
        match self {
            PostError::UnknownToken(message) => Failure::new(
                Exit::KeyRejected,
                format!("Rollbar does not know {the_token}: {message}"),
            )
            .hint("copy the post_server_item token again (Rollbar -> Project settings -> Project Access Tokens)"),
            PostError::WrongScope(message) => Failure::new(
                Exit::KeyRejected,
                format!("{the_token} cannot post server items: {message}"),
            )
            .hint("a backend needs the post_server_item token, not post_client_item, read or write"),
            PostError::Rejected(message) => {
                Failure::failed(format!("Rollbar rejected the item: {message}"))
            }
            PostError::RateLimited => {
                Failure::new(Exit::RateLimited, "Rollbar is rate limiting this project")
                    .hint("wait a minute and try again")
            }
            PostError::TimedOut(waited) => http::timed_out(endpoint, *waited)
                .hint("check the network, or raise --timeout"),
            PostError::Unreachable(why) => http::unreachable(endpoint, why)
                .hint("check the network and --endpoint / ROLLBAR_ENDPOINT"),
            PostError::Unexpected(why) => http::unexpected(endpoint, why),
        }
    }
}

/// Posts a "Hello World!" warning, as Cruddur's /rollbar/test route does; returns the item's uuid.
pub async fn post_hello(
    endpoint: &str,
    token: &str,
    environment: &str,
    timeout: Duration,
) -> Result<String, PostError> {
    let url = format!("{}/item/", endpoint.trim_end_matches('/'));
    let body = json!({
        "access_token": token,
        "data": {
            "environment": environment,
            "level": "warning",
            "body": {"message": {"body": "Hello World!"}},
            "notifier": {"name": "cruddur-obs", "version": env!("CARGO_PKG_VERSION")},
        }
    });
    let network = |e: reqwest::Error| {
        if e.is_timeout() {
            PostError::TimedOut(timeout)
        } else {
            PostError::Unreachable(root_cause(&e))
        }
    };
    let response = client(timeout)
        .post(&url)
        .header("X-Rollbar-Access-Token", token)
        .json(&body)
        .send()
        .await
        .map_err(network)?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(network)?;
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let message = answer["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| text.chars().take(200).collect());
    // Rollbar names the token in its errors ("access token not found: <token>").
    let message = redact(&message, token);
    match status {
        200 => answer["result"]["uuid"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                PostError::Unexpected(format!(
                    "no uuid in the answer: {}",
                    redact(&text.chars().take(200).collect::<String>(), token)
                ))
            }),
        403 if message.contains("insufficient privileges") => Err(PostError::WrongScope(message)),
        401 | 403 => Err(PostError::UnknownToken(message)),
        422 => Err(PostError::Rejected(message)),
        429 => Err(PostError::RateLimited),
        _ => Err(PostError::Unexpected(format!("HTTP {status}: {message}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shape() {
        assert!(check_token("0123456789abcdef0123456789abcdef").is_ok());
        assert!(check_token("0123456789abcdef")
            .unwrap_err()
            .contains("this one is 16"));
        assert!(check_token(" 0123456789abcdef0123456789abcdef").is_err());
    }
}
