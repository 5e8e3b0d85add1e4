//! Reading the Kubernetes API as a large or failing cluster needs: lists
//! in pages (`limit`/`continue`), every request retried with backoff
//! within a deadline.
//!
//! Owns: the page size, which answers are worth another try (429, 5xx, a
//! connection that failed or was cut, a reply that timed out), how long to
//! wait between tries (the server's `Retry-After`, capped, else an
//! exponential backoff), and restarting a list whose continue token
//! expired (410 Gone). Requests go through the kube-rs client, whose own
//! retry layer is off (see `connect`): its limits are counted in retries,
//! not in time, and a `Retry-After` of minutes would stall the audit.
//!
//! Must not: decide what a failure means for the audit (`cluster` records
//! it), or let the server's text reach a report (a failure carries the
//! status code and a reason built here).

use kube::api::ListParams;
use kube::Client;
use serde::de::DeserializeOwned;
use std::time::Duration;
use tokio::time::Instant;

/// kube-rs errors, reduced to what can be shown without leaking credentials.
pub(crate) fn client_reason(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) if status.code == 401 => {
            "401 Unauthorized: the credentials were refused".into()
        }
        kube::Error::Api(status) if status.code == 403 => {
            "403 Forbidden: not allowed with these credentials".into()
        }
        kube::Error::Api(status) if status.code == 404 => {
            "404 Not Found: this server does not serve the Kubernetes API".into()
        }
        kube::Error::Api(status) => format!("the API answered {}", status.code),
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            "cannot reach it (connection failed, timed out, or TLS was refused)".into()
        }
        kube::Error::SerdeError(_) => "the answer is not Kubernetes API JSON".into(),
        kube::Error::Auth(_) => "authentication failed (credentials or exec plugin)".into(),
        kube::Error::TlsRequired | kube::Error::RustlsTls(_) => "TLS set-up failed".into(),
        _ => "request failed".into(),
    }
}

/// Objects asked for per page: kubectl's default chunk size, small enough
/// that one page of the largest kind (Pods, Nodes) is a few megabytes.
pub const PAGE: u32 = 500;

/// The first wait after a failed try; doubled after each one.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest wait between tries, `Retry-After` included: a server asking
/// for minutes is given up on at the deadline rather than waited for.
pub const MAX_WAIT: Duration = Duration::from_secs(10);

/// How long a source (one list, one get) is retried when no deadline is given.
pub const DEFAULT_RETRY_FOR: Duration = Duration::from_secs(15);

/// Why a source could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The HTTP status of the last answer; `None` when none came (the
    /// connection failed, was cut or timed out).
    pub code: Option<u16>,
    /// What failed, in pqready's words.
    pub reason: String,
    /// Requests sent for it, the first included.
    pub attempts: u32,
}

impl Failure {
    /// Whether another try may succeed.
    fn transient(&self) -> bool {
        match self.code {
            None => true,
            Some(code) => Failure::asks_again(code),
        }
    }

    /// Whether an answer with this status says to try again later.
    fn asks_again(code: u16) -> bool {
        code == 429 || code == 408 || (500..=599).contains(&code)
    }
}

/// Which failures [`send`] tries again.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Any that may pass: an answer asking for another try, or none.
    Transient,
    /// Only an answer asking for another try (429, 408, 5xx).
    Answered,
}

/// One answer, or what went wrong and how long the server asked us to wait.
struct Attempt {
    failure: Failure,
    retry_after: Option<Duration>,
}

/// Sends `request` once: the body of a 2xx answer, else the failure.
async fn send_once(client: &Client, request: http::Request<Vec<u8>>) -> Result<Vec<u8>, Attempt> {
    let failed = |code: Option<u16>, reason: String| Attempt {
        failure: Failure {
            code,
            reason,
            attempts: 1,
        },
        retry_after: None,
    };
    let response = client
        .send(request.map(kube::client::Body::from))
        .await
        .map_err(|e| failed(None, client_reason(&e)))?;
    let status = response.status();
    // As kube-apiserver's priority and fairness filter sends it: whole seconds.
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .map_err(|_| {
            failed(
                None,
                "the connection closed in the middle of the answer".into(),
            )
        })?
        .to_bytes();
    if status.is_success() {
        return Ok(body.to_vec());
    }
    let code = status.as_u16();
    // A `Status` body may carry the wait too (`details.retryAfterSeconds`).
    let from_body = || {
        serde_json::from_slice::<kube::core::Status>(&body)
            .ok()
            .and_then(|s| s.details)
            .map(|d| d.retry_after_seconds)
            .filter(|s| *s > 0)
            .map(|s| Duration::from_secs(u64::from(s)))
    };
    let reason = match code {
        401 => "401 Unauthorized: the credentials were refused".to_string(),
        403 => "403 Forbidden: not allowed with these credentials".to_string(),
        404 => "404 Not Found".to_string(),
        410 => "410 Gone: the list's continue token expired".to_string(),
        429 => "429 Too Many Requests: the API server is throttling".to_string(),
        other => format!("the API answered {other}"),
    };
    Err(Attempt {
        failure: Failure {
            code: Some(code),
            reason,
            attempts: 1,
        },
        retry_after: retry_after.or_else(from_body),
    })
}

/// Sends the request `make` builds until it succeeds, fails for good, or
/// the next try would start after `deadline`.
async fn send(
    client: &Client,
    make: impl Fn() -> Result<http::Request<Vec<u8>>, Failure>,
    deadline: Instant,
    retry: Retry,
) -> Result<Vec<u8>, Failure> {
    let mut backoff = FIRST_BACKOFF;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let attempt = match send_once(client, make()?).await {
            Ok(body) => return Ok(body),
            Err(a) => a,
        };
        let mut failure = attempt.failure;
        failure.attempts = attempts;
        let again = match retry {
            Retry::Transient => failure.transient(),
            Retry::Answered => failure.code.is_some_and(Failure::asks_again),
        };
        if !again {
            return Err(failure);
        }
        let wait = attempt.retry_after.unwrap_or(backoff).min(MAX_WAIT);
        if Instant::now() + wait > deadline {
            tracing::debug!(reason = %failure.reason, attempts, "giving up");
            return Err(failure);
        }
        tracing::debug!(reason = %failure.reason, attempts, ?wait, "retrying");
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(MAX_WAIT);
    }
}

/// Lists every object at `url` (an `Api`'s resource URL) matching
/// `params`, page by page; `keep` turns each object into what the caller
/// needs (or `None` to drop it), so only that outlives its page. Each page
/// is retried within `retry_for` of the list's start; an expired continue
/// token starts the list again.
pub async fn list<K, T>(
    client: &Client,
    url: &str,
    params: &ListParams,
    retry_for: Duration,
    mut keep: impl FnMut(K) -> Option<T>,
) -> Result<Vec<T>, Failure>
where
    K: Clone + DeserializeOwned,
{
    let deadline = Instant::now() + retry_for;
    let request = kube::core::Request::new(url);
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut page = params.clone().limit(PAGE);
        page.continue_token = token.clone();
        let made = || {
            request.list(&page).map_err(|_| Failure {
                code: None,
                reason: "invalid list parameters".into(),
                attempts: 0,
            })
        };
        let body = match send(client, made, deadline, Retry::Transient).await {
            Ok(body) => body,
            Err(f) if f.code == Some(410) && token.is_some() => {
                // The snapshot the token named is gone (compacted): a new
                // list sees a new snapshot, so what was kept is dropped.
                tracing::debug!(url, "continue token expired: listing again");
                out.clear();
                token = None;
                continue;
            }
            Err(f) => return Err(f),
        };
        let list: kube::core::ObjectList<K> =
            serde_json::from_slice(&body).map_err(|_| Failure {
                code: Some(200),
                reason: "the answer is not Kubernetes API JSON".into(),
                attempts: 1,
            })?;
        out.extend(list.items.into_iter().filter_map(&mut keep));
        token = list.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// Gets the object `name` at `url`, retried within `retry_for`; `None`
/// when it does not exist.
pub async fn get<K: DeserializeOwned>(
    client: &Client,
    url: &str,
    name: &str,
    retry_for: Duration,
) -> Result<Option<K>, Failure> {
    let request = kube::core::Request::new(url);
    let made = || {
        request
            .get(name, &kube::api::GetParams::default())
            .map_err(|_| Failure {
                code: None,
                reason: "invalid object name".into(),
                attempts: 0,
            })
    };
    match send(client, made, Instant::now() + retry_for, Retry::Transient).await {
        Ok(body) => serde_json::from_slice(&body)
            .map(Some)
            .map_err(|_| Failure {
                code: Some(200),
                reason: "the answer is not Kubernetes API JSON".into(),
                attempts: 1,
            }),
        Err(f) if f.code == Some(404) => Ok(None),
        Err(f) => Err(f),
    }
}

/// Gets the API server's `/version`, trying again within `retry_for` when
/// it answers that it cannot serve now (429, 5xx: starting, overloaded).
/// A connection that fails is not tried again: before anything else was
/// read it means a wrong address or a server that is down far more often
/// than a restart, and the user hears so at once.
pub async fn version(
    client: &Client,
    retry_for: Duration,
) -> Result<k8s_openapi::apimachinery::pkg::version::Info, Failure> {
    let made = || {
        http::Request::get("/version")
            .body(Vec::new())
            .map_err(|_| Failure {
                code: None,
                reason: "invalid request".into(),
                attempts: 0,
            })
    };
    let body = send(client, made, Instant::now() + retry_for, Retry::Answered)
        .await
        .map_err(|mut f| {
            if f.code == Some(404) {
                f.reason = "404 Not Found: this server does not serve the Kubernetes API".into();
            }
            f
        })?;
    serde_json::from_slice(&body).map_err(|_| Failure {
        code: Some(200),
        reason: "the answer is not Kubernetes API JSON".into(),
        attempts: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: Option<u16>) -> Failure {
        Failure {
            code,
            reason: String::new(),
            attempts: 1,
        }
    }

    #[test]
    fn only_answers_that_may_change_are_retried() {
        for code in [None, Some(429), Some(408), Some(500), Some(503), Some(504)] {
            assert!(failure(code).transient(), "{code:?}");
        }
        for code in [Some(400), Some(401), Some(403), Some(404), Some(410)] {
            assert!(!failure(code).transient(), "{code:?}");
        }
    }
}
