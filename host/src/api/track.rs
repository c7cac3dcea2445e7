//! [`track`], the middleware that counts and times every request by its route template,
//! for `GET /metrics`.

use super::{console, ROUTES};
use crate::metrics::{self as recorded, UNMATCHED};
use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// Middleware on the whole router: counts and times each request by its route template
/// (`/v1/campaigns/{id}`; for the console `/`, `/assets/{*file}` or a file's path, as
/// [`console::route_label`] bounds them; [`UNMATCHED`] when no route serves the path),
/// method and status.
/// Requests refused by a route's key check count under that route.
pub(crate) async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|matched| {
            ROUTES
                .iter()
                .map(|route| route.path)
                .find(|path| *path == matched.as_str())
                .or_else(|| console::route_label(matched.as_str()))
        })
        .unwrap_or(UNMATCHED);
    let method = method_label(request.method());
    let response = next.run(request).await;
    recorded::http_request(route, method, response.status().as_u16(), started.elapsed());
    response
}

/// The method's name; `OTHER` for an extension method, whose name the client chose.
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "TRACE" => "TRACE",
        "CONNECT" => "CONNECT",
        _ => "OTHER",
    }
}
