//! Admission: how many requests are in progress at once, so that no flood (of evaluations,
//! of unknown keys) can queue without bound for the database's connections or the
//! evaluation threads. Beyond the limit a request waits a little for a slot
//! ([`ApiLimits::queue_timeout`]), then is answered 503 with `Retry-After`.
//!
//! Commits and cancels have a lane of their own, so that however many other requests are
//! in progress, an order is never refused for want of a slot; the health routes have no
//! limit at all, so a load balancer always learns how the host is.

use super::problem::{ApiError, ProblemKind};
use super::ApiLimits;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The slots of each lane, and how long a request waits for one.
#[derive(Clone)]
pub struct Admission {
    requests: Arc<Semaphore>,
    commits: Arc<Semaphore>,
    queue_timeout: Duration,
}

impl Admission {
    /// The slots `limits` allow.
    pub fn new(limits: &ApiLimits) -> Self {
        Admission {
            requests: Arc::new(Semaphore::new(limits.max_requests_in_flight)),
            commits: Arc::new(Semaphore::new(limits.max_commits_in_flight)),
            queue_timeout: limits.queue_timeout,
        }
    }
}

/// Which slots a request takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lane {
    /// None: `/healthz` and `/readyz`.
    Exempt,
    /// `POST /v1/redemptions` and `DELETE /v1/redemptions/{order_id}`.
    Commits,
    /// Every other request.
    Requests,
}

impl Lane {
    fn of(method: &Method, path: &str) -> Lane {
        match (method, path) {
            (_, "/healthz" | "/readyz") => Lane::Exempt,
            (&Method::POST, "/v1/redemptions") => Lane::Commits,
            (&Method::DELETE, path) if is_one_order(path) => Lane::Commits,
            _ => Lane::Requests,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Lane::Exempt => "exempt",
            Lane::Commits => "commits",
            Lane::Requests => "requests",
        }
    }
}

/// Whether `path` is `/v1/redemptions/{order_id}`.
fn is_one_order(path: &str) -> bool {
    path.strip_prefix("/v1/redemptions/")
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// Middleware: runs `request` once it has a slot in its lane, or answers 503 with
/// `Retry-After` when none freed up in time.
pub async fn admit(State(admission): State<Admission>, request: Request, next: Next) -> Response {
    let lane = Lane::of(request.method(), request.uri().path());
    let slots = match lane {
        Lane::Exempt => return next.run(request).await,
        Lane::Commits => &admission.commits,
        Lane::Requests => &admission.requests,
    };
    match tokio::time::timeout(admission.queue_timeout, Arc::clone(slots).acquire_owned()).await {
        Ok(Ok(_slot)) => next.run(request).await,
        // Out of time, or (never: the semaphore is never closed) closed.
        Ok(Err(_)) | Err(_) => {
            crate::metrics::request_shed(lane.name());
            tracing::warn!(lane = lane.name(), "shed: too many requests in progress");
            ApiError::new(
                ProblemKind::Unavailable,
                "too many requests are in progress; try again shortly",
            )
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_have_their_lane_and_health_none() {
        assert_eq!(Lane::of(&Method::GET, "/healthz"), Lane::Exempt);
        assert_eq!(Lane::of(&Method::GET, "/readyz"), Lane::Exempt);
        assert_eq!(Lane::of(&Method::POST, "/v1/redemptions"), Lane::Commits);
        assert_eq!(
            Lane::of(&Method::DELETE, "/v1/redemptions/o-1"),
            Lane::Commits
        );
        assert_eq!(Lane::of(&Method::GET, "/v1/redemptions"), Lane::Requests);
        assert_eq!(
            Lane::of(&Method::DELETE, "/v1/redemptions/o-1/x"),
            Lane::Requests
        );
        assert_eq!(Lane::of(&Method::POST, "/v1/evaluate"), Lane::Requests);
        assert_eq!(Lane::of(&Method::GET, "/"), Lane::Requests);
    }
}
