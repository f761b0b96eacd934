//! The built-in dashboard and admin console: static files embedded in the
//! binary (works offline, no separate web server) served at `/` and
//! `/ui/…`. The pages call the JSON API like any other client.

mod assets;

use actix_web::http::header::{self, EntityTag, IfNoneMatch};
use actix_web::middleware::Compress;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use self::assets::Asset;

/// Scripts, styles and requests only from this origin; no inline code, so
/// an injected `<script>` or `style=` does nothing; no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(page))
        .service(web::scope("/ui").wrap(Compress::default()).route("/{path:.*}", web::get().to(file)));
}

async fn page(req: HttpRequest) -> HttpResponse {
    serve(&req, assets::find("index.html").expect("index.html is embedded"))
}

async fn file(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    match assets::find(&path) {
        Some(asset) => serve(&req, asset),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body(format!("no dashboard file {path:?}; the dashboard starts at /")),
    }
}

/// The file, or 304 when the browser's copy is current. Names carry no
/// version, so browsers revalidate each time (`no-cache`) and get a 304
/// for unchanged files.
fn serve(req: &HttpRequest, asset: &Asset) -> HttpResponse {
    let tag = EntityTag::new_strong(asset.etag.clone());
    let fresh = match req.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => true,
        Some(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&tag)),
        None => false,
    };
    let mut response = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header(header::ETag(tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    if fresh { response.finish() } else { response.content_type(asset.content_type).body(asset.bytes) }
}
