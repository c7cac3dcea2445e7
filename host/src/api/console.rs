//! The marketing console: the React app of `web/`, built by `build.rs` (Vite) and embedded
//! in the binary, served beside the API but no part of it (no key, not in
//! [`super::ROUTES`], not in the OpenAPI document; the console itself calls `/v1` with the
//! key its user signs in with).
//!
//! - `GET /`: the page (`index.html`), `Cache-Control: no-cache`, so a new release is picked
//!   up on the next visit.
//! - `GET /assets/{*file}`: scripts and styles whose names carry a content hash, cached for
//!   a year as immutable.
//! - Any other file of the build at its own path (`/favicon.svg`), `no-cache`.
//!
//! Each file is sent gzip-compressed (compressed once, at build time) when the request
//! accepts it and that is smaller, with `Vary: Accept-Encoding`; each answers
//! `If-None-Match` with a 304 against its strong ETag. Every answer carries a Content
//! Security Policy and the other headers of [`SECURITY_HEADERS`]. A path that is no file of
//! the build is the API's 404 problem.

use super::problem::ApiError;
use super::ROUTES;
use axum::body::Body;
use axum::http::header::{
    HeaderName, HeaderValue, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// One file of the console, as `build.rs` embeds it.
#[derive(Clone, Copy, Debug)]
pub struct Asset {
    /// Its URL path, such as `/assets/index-2mJ8f0aQ.js`.
    pub path: &'static str,
    /// Its media type, from its extension.
    pub content_type: &'static str,
    /// The file.
    pub bytes: &'static [u8],
    /// The file gzip-compressed, when that is smaller.
    pub gzip: Option<&'static [u8]>,
    /// The strong ETag of `bytes`, quoted: the first 16 hex digits of their SHA-256.
    pub etag: &'static str,
    /// The strong ETag of `gzip` (another representation, so another tag).
    pub gzip_etag: &'static str,
}

// `ASSETS` (every file, sorted by path) and `BUILT`.
include!(concat!(env!("OUT_DIR"), "/console.rs"));

/// The file `GET /` answers with.
pub const INDEX: &str = "/index.html";
/// Where the content-hashed files are.
pub const ASSETS_PREFIX: &str = "/assets/";
/// The route of the content-hashed files.
pub const ASSETS_ROUTE: &str = "/assets/{*file}";

/// The cache policy of the page and of files without a content hash: revalidate each time
/// (a 304 while unchanged).
const NO_CACHE: &str = "no-cache";
/// The cache policy of content-hashed files: a new content is a new name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// What the console may load and run: only its own files and its own API. Scripts are its
/// own files and nothing else: no `'unsafe-eval'`, so no code made from a string at run time
/// (the parameters form checks a plugin's JSON Schema with a validator that interprets it,
/// `web/src/schemaValidator.js`, where Ajv would compile it with `new Function`);
/// `'unsafe-inline'` styles because React sets `style` attributes.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'self'";

/// The security headers of every console answer.
pub const SECURITY_HEADERS: [(&str, &str); 3] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
];

/// The console's routes: `/`, [`ASSETS_ROUTE`], and every other file of the build at its
/// path. A file whose path the API uses, or that a route cannot spell, is left out
/// ([`routable`]; a test checks none is).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new()
        .route("/", get(serve))
        .route(ASSETS_ROUTE, get(serve));
    for asset in ASSETS.iter().filter(|asset| routable(asset.path)) {
        router = router.route(asset.path, get(serve));
    }
    router
}

/// The route template a console request matched (`matched`, axum's), as a metrics label:
/// `/`, [`ASSETS_ROUTE`] or a file's path, a set bounded by the build; the routes of the
/// document's browsable view ([`super::openapi::DOCS_ROUTES`]) too; `None` for any other
/// template.
pub fn route_label(matched: &str) -> Option<&'static str> {
    if matched == "/" {
        return Some("/");
    }
    if matched == ASSETS_ROUTE {
        return Some(ASSETS_ROUTE);
    }
    if let Some(docs) = super::openapi::DOCS_ROUTES.iter().find(|r| **r == matched) {
        return Some(docs);
    }
    ASSETS
        .iter()
        .map(|asset| asset.path)
        .find(|path| *path == matched && routable(path))
}

/// Whether a file of the build outside [`ASSETS_PREFIX`] gets its own route: not a path of
/// the API (nor under `/v1/`), nor of the document's browsable view (`/docs`), and no `{`
/// or `}`, which axum reads as parameters.
pub fn routable(path: &str) -> bool {
    !path.starts_with(ASSETS_PREFIX)
        && !path.starts_with("/v1/")
        && !path.contains(['{', '}'])
        && !ROUTES.iter().any(|route| route.path == path)
        && !super::openapi::is_docs_path(path)
}

/// The file of `path`, if the build has it (`/` is [`INDEX`]).
pub fn asset(path: &str) -> Option<&'static Asset> {
    let path = if path == "/" { INDEX } else { path };
    ASSETS.iter().find(|asset| asset.path == path)
}

async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    match asset(uri.path()) {
        Some(asset) => respond(asset, &headers),
        None => ApiError::not_found(format!("no route {}", uri.path())).into_response(),
    }
}

/// `asset`, gzip-compressed when `request` accepts it, or a 304 when `request` already has
/// it.
fn respond(asset: &'static Asset, request: &HeaderMap) -> Response {
    let gzip = asset.gzip.filter(|_| accepts_gzip(request));
    let (bytes, etag) = match gzip {
        Some(bytes) => (bytes, asset.gzip_etag),
        None => (asset.bytes, asset.etag),
    };
    let cache = if asset.path.starts_with(ASSETS_PREFIX) {
        IMMUTABLE
    } else {
        NO_CACHE
    };
    let not_modified = has(request, etag);
    let mut response = if not_modified {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        Response::new(Body::from(bytes))
    };
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(ETAG, HeaderValue::from_static(etag));
    headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    if !not_modified {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        if gzip.is_some() {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
    }
    for (name, value) in SECURITY_HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

/// Whether `Accept-Encoding` allows gzip (RFC 9110 §12.5.3): `gzip` (or `x-gzip`) with a
/// weight above 0, or else `*` with a weight above 0. No header: no compression.
fn accepts_gzip(request: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    let codings = request
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for coding in codings {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let weight = parts
            .map(str::trim)
            .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            // A weight that is not a number allows nothing.
            .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(weight);
        } else if name == "*" {
            any = Some(weight);
        }
    }
    gzip.or(any).is_some_and(|weight| weight > 0.0)
}

/// Whether `If-None-Match` lists `etag` or is `*` (weak comparison, as RFC 9110 §13.1.2
/// asks: `W/"x"` matches `"x"`).
fn has(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                name.clone(),
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
        headers
    }

    #[test]
    fn gzip_is_sent_only_when_accepted() {
        let accepts = |value: &str| accepts_gzip(&headers(&[(ACCEPT_ENCODING, value)]));
        assert!(accepts("gzip"));
        assert!(accepts("gzip, deflate, br, zstd"));
        assert!(accepts("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts("*"));
        assert!(accepts("x-gzip"));
        assert!(!accepts("identity"));
        assert!(!accepts("br, deflate"));
        assert!(!accepts("gzip;q=0"));
        assert!(!accepts("gzip;q=0.000"));
        assert!(!accepts("*;q=0"));
        assert!(!accepts("gzip;q=0, *"));
        assert!(!accepts("gzip;q=nope"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let tag = "\"0123456789abcdef\"";
        let has_tag = |value: &str| has(&headers(&[(IF_NONE_MATCH, value)]), tag);
        assert!(has_tag(tag));
        assert!(has_tag("W/\"0123456789abcdef\""));
        assert!(has_tag("\"other\", \"0123456789abcdef\""));
        assert!(has_tag("*"));
        assert!(!has_tag("\"other\""));
        assert!(!has_tag("0123456789abcdef"));
        assert!(!has(&HeaderMap::new(), tag));
    }

    #[test]
    fn the_build_has_a_page_and_every_file_its_route() {
        let index = asset("/").expect("index.html is built");
        assert_eq!(index.path, INDEX);
        assert!(index.content_type.starts_with("text/html"));
        for asset in ASSETS {
            assert!(asset.path.starts_with('/'), "{}", asset.path);
            assert!(
                asset.path.starts_with(ASSETS_PREFIX) || routable(asset.path),
                "{} would hide or break a route of the API",
                asset.path
            );
            assert!(asset.gzip.is_none_or(|gzip| gzip.len() < asset.bytes.len()));
            assert_eq!(asset.etag.len(), 18, "{}", asset.etag);
            assert_ne!(asset.etag, asset.gzip_etag);
        }
        let mut paths: Vec<&str> = ASSETS.iter().map(|asset| asset.path).collect();
        paths.dedup();
        assert_eq!(paths.len(), ASSETS.len());
        if BUILT {
            assert!(
                ASSETS.iter().any(|a| a.path.starts_with(ASSETS_PREFIX)),
                "a Vite build has /assets/"
            );
        }
    }

    #[test]
    fn scripts_are_the_consoles_own_files_and_nothing_made_from_a_string() {
        let directives: Vec<&str> = CONTENT_SECURITY_POLICY.split(';').map(str::trim).collect();
        let script = directives
            .iter()
            .find(|d| d.starts_with("script-src "))
            .expect("the policy names where scripts come from");
        assert_eq!(*script, "script-src 'self'");
        assert!(
            !CONTENT_SECURITY_POLICY.contains("unsafe-eval"),
            "{CONTENT_SECURITY_POLICY}"
        );
        assert!(directives.contains(&"default-src 'self'"));
    }

    #[test]
    fn a_304_carries_the_tag_and_no_body_type() {
        let index = asset(INDEX).expect("index.html is built");
        let response = respond(index, &headers(&[(IF_NONE_MATCH, index.etag)]));
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(
            response.headers().get(ETAG).map(HeaderValue::as_bytes),
            Some(index.etag.as_bytes())
        );
        assert!(response.headers().get(CONTENT_TYPE).is_none());
        assert!(response.headers().get("content-security-policy").is_some());
    }
}
