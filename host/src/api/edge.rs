//! The HTTP edge around every route, from tower-http rather than by hand: a request id
//! (`x-request-id`, made when absent, echoed in the answer and in a problem's `instance`),
//! the access log (one span per request, one event per answer), a request timeout, panics
//! answered as a 500 problem, compressed answers, and `Authorization` kept out of logs.

use super::problem::{ApiError, ProblemKind, PROBLEM_JSON};
use axum::body::{to_bytes, Body};
use axum::extract::{MatchedPath, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderName, Response, StatusCode};
use axum::middleware::{from_fn, Next};
use axum::response::IntoResponse;
use axum::Router;
use std::any::Any;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::{Level, Span};

/// The header that names a request.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The largest problem body the edge rewrites to add its `instance`.
const MAX_PROBLEM_BYTES: usize = 1 << 20;

/// Wraps `router` in the edge layers; `timeout` bounds each request.
pub fn wrap(router: Router, timeout: Duration) -> Router {
    // Layers run outside in: the last added sees the request first.
    router
        .layer(CatchPanicLayer::custom(panic_problem))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(from_fn(timed_out_as_problem))
        .layer(from_fn(problem_instance))
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                )
                .on_failure(tower_http::trace::DefaultOnFailure::new().level(Level::WARN)),
        )
        .layer(SetSensitiveRequestHeadersLayer::new([AUTHORIZATION]))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The span of one request: method, route template (never the raw path, which may carry
/// an order id), request id; the evaluation id is recorded by the handler that makes one.
fn request_span(request: &Request<Body>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or("unmatched");
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        request_id = id,
        evaluation_id = tracing::field::Empty,
    )
}

/// A panic in a handler, answered as a 500 problem; the panic's message goes to the log.
fn panic_problem(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    ApiError::internal(format!("a handler panicked: {message}")).into_response()
}

/// Gives every problem its `instance` (the request id), and turns the bare error answers
/// of the layers (a timeout's empty 503) into problems.
async fn problem_instance(request: Request, next: Next) -> Response<Body> {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut response = next.run(request).await;
    let is_problem = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if !is_problem {
        return response;
    }
    let Some(id) = id else {
        return response;
    };
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_PROBLEM_BYTES).await else {
        return ApiError::internal("a problem body could not be read").into_response();
    };
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut problem)) => {
            problem.insert("instance".into(), id.into());
            serde_json::to_vec(&problem).unwrap_or_else(|_| bytes.to_vec())
        }
        _ => bytes.to_vec(),
    };
    parts.headers.remove(CONTENT_LENGTH);
    response = Response::from_parts(parts, Body::from(body));
    response
}

/// The answer of a request the timeout layer cut short (an empty 503), as a problem.
async fn timed_out_as_problem(request: Request, next: Next) -> Response<Body> {
    let response = next.run(request).await;
    if response.status() == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(CONTENT_TYPE)
    {
        return ApiError::new(
            ProblemKind::Unavailable,
            "the request took longer than the server allows; try again",
        )
        .into_response();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use std::net::SocketAddr;

    /// Serves `router`, wrapped in the edge with a `timeout`, on a loopback port.
    async fn serve(router: Router, timeout: Duration) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("its address");
        let app = wrap(router, timeout);
        tokio::spawn(async move { axum::serve(listener, app).await });
        address
    }

    fn router() -> Router {
        Router::new()
            .route("/fine", get(|| async { "fine" }))
            .route(
                "/panics",
                get(|| async {
                    if std::hint::black_box(true) {
                        panic!("a bug in a handler");
                    }
                    "never"
                }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "too late"
                }),
            )
            .route(
                "/refused",
                get(|| async { ApiError::not_found("nothing here") }),
            )
    }

    async fn fetch(address: SocketAddr, path: &str, id: Option<&str>) -> reqwest::Response {
        let mut request = reqwest::Client::new().get(format!("http://{address}{path}"));
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        request.send().await.expect("an answer")
    }

    fn id_of(response: &reqwest::Response) -> String {
        response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .expect("every answer carries a request id")
            .to_string()
    }

    #[tokio::test]
    async fn every_answer_carries_a_request_id_made_or_echoed() {
        let address = serve(router(), Duration::from_secs(5)).await;
        let made = id_of(&fetch(address, "/fine", None).await);
        assert_eq!(made.len(), 36, "a UUID: {made}");
        let again = id_of(&fetch(address, "/fine", None).await);
        assert_ne!(made, again, "one id per request");
        let echoed = id_of(&fetch(address, "/fine", Some("till-42-0007")).await);
        assert_eq!(echoed, "till-42-0007");
    }

    #[tokio::test]
    async fn a_problem_names_its_request_as_instance() {
        let address = serve(router(), Duration::from_secs(5)).await;
        let response = fetch(address, "/refused", Some("req-1")).await;
        assert_eq!(response.status(), 404);
        let problem: serde_json::Value = response.json().await.expect("problem+json");
        assert_eq!(problem["instance"], "req-1");
        assert_eq!(problem["detail"], "nothing here");
    }

    #[tokio::test]
    async fn a_panic_is_a_500_problem_and_the_server_keeps_serving() {
        let address = serve(router(), Duration::from_secs(5)).await;
        let response = fetch(address, "/panics", Some("req-2")).await;
        assert_eq!(response.status(), 500);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some(PROBLEM_JSON)
        );
        let problem: serde_json::Value = response.json().await.expect("problem+json");
        assert_eq!(problem["instance"], "req-2");
        assert!(
            !problem.to_string().contains("a bug in a handler"),
            "the cause stays in the log: {problem}"
        );
        assert_eq!(fetch(address, "/fine", None).await.status(), 200);
    }

    #[tokio::test]
    async fn a_request_past_the_timeout_is_a_503_problem() {
        let address = serve(router(), Duration::from_millis(100)).await;
        let started = std::time::Instant::now();
        let response = fetch(address, "/slow", Some("req-3")).await;
        assert!(started.elapsed() < Duration::from_secs(4), "cut short");
        assert_eq!(response.status(), 503);
        let problem: serde_json::Value = response.json().await.expect("problem+json");
        assert_eq!(problem["instance"], "req-3");
        assert_eq!(problem["status"], 503);
    }

    #[tokio::test]
    async fn json_answers_are_compressed_for_clients_that_ask() {
        let big = "x".repeat(10_000);
        let router = Router::new().route(
            "/big",
            get(move || {
                let big = big.clone();
                async move { axum::Json(serde_json::json!({ "text": big })) }
            }),
        );
        let address = serve(router, Duration::from_secs(5)).await;
        let response = reqwest::Client::new()
            .get(format!("http://{address}/big"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("an answer");
        assert_eq!(
            response
                .headers()
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            Some("gzip")
        );
        let plain = fetch(address, "/big", None).await;
        assert!(plain.headers().get("content-encoding").is_none());
    }
}
