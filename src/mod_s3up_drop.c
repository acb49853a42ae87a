/*
 * Upload links (handler s3up-drop): people without an account open
 * {location}/{token}, give the passcode if the link has one, and get a
 * signed cookie that opens the same portal and API as s3up-upload, for
 * the link's one endpoint. docs/api.md, "Upload links".
 *
 * The cookie is checked on every request (signature, expiry) and the link
 * record behind it at most S3UpCacheTTL later, so a revoked link stops
 * working on every node within that time.
 */
#include <apr_strings.h>

#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <util_cookies.h>

#include "mod_s3up_drop.h"
#include "mod_s3up_handler.h"
#include "mod_s3up_pages.h"
#include "mod_s3up_request.h"
#include "mod_s3up_route.h"
#include "mod_s3up_shared.h"
#include "mod_s3up_upload.h"
#include "s3up_limit.h"
#include "s3up_manage.h"
#include "s3up_token.h"
#include "s3up_util.h"
#include "s3up_time.h"

APLOG_USE_MODULE(s3up);

#define COOKIE "s3up_link"
#define COOKIE_MAX_AGE apr_time_from_sec(12 * 3600)
#define FORM_MAX 1024

void s3up_drop_unlock(const char *link_id)
{
    if (s3up_shared_tries()) {
        s3up_limit_clear(s3up_shared_tries(), link_id);
    }
}

/* A page of the drop folder, with the status that goes with it. */
static int drop_page(request_rec *r, int status, const char *page)
{
    int rc;

    r->status = status;
    rc = s3up_pages_serve(r, "drop", page);
    return rc == OK ? DONE : rc;
}

/* The store did not answer a link's landing: a page that says so and
 * tries again by itself. */
static int store_down_page(request_rec *r, const s3up_error_t *err)
{
    const char *wait = apr_itoa(r->pool, err && err->retry_after > 0 ? err->retry_after : 5);

    apr_table_setn(r->err_headers_out, "Retry-After", wait);
    ap_log_rerror(APLOG_MARK, APLOG_ERR, err ? err->status : 0, r,
                  S3UP_LOGNO(0505) "a link's landing: the store did not answer: %s",
                  err && err->message ? err->message : "-");
    return drop_page(r, HTTP_SERVICE_UNAVAILABLE, "unavailable.html");
}

/* The link behind a token or a cookie, if it may still be used; *err says
 * why not when the store failed. */
static apr_status_t link_usable(s3up_link_t **out, s3up_store_t *st, const char *id,
                                s3up_error_t **err, request_rec *r)
{
    s3up_endpoint_t *ep;
    apr_status_t rv = s3up_store_link_get(out, st, id, err, r->pool);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if ((*out)->expires && apr_time_now() >= (*out)->expires) {
        return APR_TIMEUP;
    }
    rv = s3up_store_endpoint_get(&ep, st, (*out)->endpoint, err, r->pool);
    if (rv == APR_SUCCESS && !s3up_store_endpoint_open(ep, apr_time_now())) {
        return APR_TIMEUP;
    }
    return rv;
}

static int set_cookie_and_go(request_rec *r, const s3up_link_t *link, const char *base)
{
    const char *secret = s3up_conf_secret(s3up_conf_srv(r->server)), *value;
    s3up_link_cookie_t c = {link->id, link->endpoint, apr_time_now() + COOKIE_MAX_AGE};
    int https = !strcmp(ap_http_scheme(r), "https");

    if (link->expires && link->expires < c.expires) {
        c.expires = link->expires;
    }
    if (s3up_token_cookie_make(&value, &c, secret, r->pool) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_table_addn(r->err_headers_out, "Set-Cookie",
                   apr_psprintf(r->pool,
                                "%s=%s; Path=%s/; Max-Age=%" APR_TIME_T_FMT
                                "; HttpOnly; SameSite=Strict%s",
                                COOKIE, value, base, apr_time_sec(c.expires - apr_time_now()),
                                https ? "; Secure" : ""));
    apr_table_setn(r->headers_out, "Location",
                   ap_construct_url(r->pool, apr_pstrcat(r->pool, base, "/", NULL), r));
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, S3UP_LOGNO(0501) "link %.12s opened endpoint %s",
                  link->id, link->endpoint);
    return HTTP_SEE_OTHER;
}

/* The passcode field of a small urlencoded form. */
static const char *form_passcode(request_rec *r)
{
    char *buf = apr_palloc(r->pool, FORM_MAX + 1);
    apr_size_t len = 0;
    long n;

    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK || !ap_should_client_block(r)) {
        return NULL;
    }
    while ((n = ap_get_client_block(r, buf + len, FORM_MAX + 1 - len)) > 0) {
        len += n;
        if (len > FORM_MAX) {
            return NULL;
        }
    }
    return s3up_form_value(buf, len, "passcode", r->pool);
}

/* The page that says when the next try is possible. */
static int locked(request_rec *r, const char *id, apr_interval_time_t wait)
{
    apr_table_t *fill = apr_table_make(r->pool, 2);
    apr_time_t at = apr_time_now() + wait;
    apr_time_t minutes = (apr_time_sec(wait) + 59) / 60;

    s3up_metrics_add(s3up_shared_metrics(), S3UP_M_PASSCODE_LOCKED, 1);
    ap_log_rerror(
        APLOG_MARK, APLOG_WARNING, 0, r,
        S3UP_LOGNO(0502) "link %.12s: locked after too many passcode tries, %" APR_TIME_T_FMT
                         " s left",
        id, apr_time_sec(wait));
    apr_table_setn(r->headers_out, "Retry-After",
                   apr_psprintf(r->pool, "%" APR_TIME_T_FMT, apr_time_sec(wait) + 1));
    apr_table_setn(fill, "retry_at", s3up_time_iso8601(at + apr_time_from_sec(1), r->pool));
    apr_table_setn(fill, "retry_in",
                   minutes <= 1 ? "a minute"
                                : apr_psprintf(r->pool, "%" APR_TIME_T_FMT " minutes", minutes));
    return s3up_pages_serve_filled(r, "drop", "wait.html", HTTP_TOO_MANY_REQUESTS, fill);
}

/* How long the link must wait: what this server knows, else the bucket. */
static apr_interval_time_t lock_of(request_rec *r, const char *id, s3up_store_t *st)
{
    apr_interval_time_t wait = s3up_limit_wait(s3up_shared_tries(), id, apr_time_now());
    s3up_tries_t tries;
    s3up_error_t *err;

    if (wait > 0 ||
        s3up_store_tries_get(&tries, st, id, S3UP_PASSCODE_WINDOW, &err, r->pool) != APR_SUCCESS ||
        tries.count < S3UP_PASSCODE_TRIES) {
        return wait;
    }
    return tries.since + S3UP_PASSCODE_WINDOW - apr_time_now();
}

/* A passcode sent: counted here and in the bucket before it is verified. */
static int passcode_try(request_rec *r, const char *base, const char *token,
                        const s3up_link_t *link, s3up_store_t *st)
{
    const char *passcode = form_passcode(r);
    apr_interval_time_t wait;
    s3up_error_t *err;
    apr_status_t rv;

    if ((wait = s3up_limit_take(s3up_shared_tries(), link->id, apr_time_now())) > 0) {
        return locked(r, link->id, wait);
    }
    rv = s3up_store_try_take(&wait, st, link->id, S3UP_PASSCODE_TRIES, S3UP_PASSCODE_WINDOW, &err,
                             r->pool);
    if (rv == S3UP_ELIMIT) {
        s3up_limit_block(s3up_shared_tries(), link->id,
                         apr_time_now() + (wait < st->ttl || st->ttl <= 0 ? wait : st->ttl),
                         apr_time_now());
        return locked(r, link->id, wait);
    }
    if (rv == S3UP_ECONFLICT) {
        /* Other tries won every write: this one was not counted, so it is
         * not verified either. */
        return locked(r, link->id, apr_time_from_sec(2));
    }
    if (rv != APR_SUCCESS) {
        apr_table_setn(r->headers_out, "Retry-After", "5");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (!s3up_token_passcode_ok(link->passcode_hash, passcode)) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, S3UP_LOGNO(0503) "link %.12s: wrong passcode",
                      link->id);
        apr_table_setn(
            r->headers_out, "Location",
            ap_construct_url(r->pool, apr_pstrcat(r->pool, base, "/", token, "?wrong=1", NULL), r));
        return HTTP_SEE_OTHER;
    }
    s3up_limit_clear(s3up_shared_tries(), link->id);
    if (s3up_store_tries_clear(st, link->id, &err, r->pool) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, err->status, r,
                      S3UP_LOGNO(0504) "link %.12s: its tries could not be cleared: %s", link->id,
                      err->message);
    }
    return set_cookie_and_go(r, link, base);
}

/* GET or POST {location}/{token}: the link's landing (a passcode form, or
 * the cookie and on to the portal). */
static int route_landing(void *ctx, const char *const *arg)
{
    s3up_upload_ctx_t *up = ctx;
    request_rec *r = up->r;
    const char *base = up->base, *token = arg[0];
    s3up_store_t *st = &up->store;
    const char *id = s3up_token_id(token, r->pool);
    apr_interval_time_t wait;
    s3up_error_t *err = NULL;
    s3up_link_t *link;
    apr_status_t rv;

    rv = link_usable(&link, st, id, &err, r);
    if (rv == S3UP_ENOTFOUND) {
        return drop_page(r, HTTP_NOT_FOUND, "gone.html");
    }
    if (rv == APR_TIMEUP) {
        return drop_page(r, HTTP_GONE, "closed.html");
    }
    if (rv != APR_SUCCESS) {
        return store_down_page(r, err);
    }
    if (!link->passcode_hash) {
        return set_cookie_and_go(r, link, base);
    }
    if (r->method_number == M_GET) {
        wait = lock_of(r, id, st);
        return wait > 0 ? locked(r, id, wait) : drop_page(r, HTTP_OK, "index.html");
    }
    if (!s3up_same_origin(r)) {
        return HTTP_FORBIDDEN;
    }
    return passcode_try(r, base, token, link, st);
}

/* Who a link cookie speaks for: its signature and expiry hold, and its
 * link still does. NULL otherwise; then *down is the store's failure when
 * it could not tell (not "no such link"). */
static const s3up_principal_t *cookie_principal(request_rec *r, s3up_store_t *st,
                                                s3up_error_t **down)
{
    const char *secret = s3up_conf_secret(s3up_conf_srv(r->server)), *value = NULL;
    s3up_link_cookie_t *c;
    s3up_principal_t *who;
    s3up_link_t *link;
    s3up_error_t *err = NULL;
    apr_status_t rv;

    *down = NULL;
    if (ap_cookie_read(r, COOKIE, &value, 0) != APR_SUCCESS || !value ||
        s3up_token_cookie_read(&c, value, secret, apr_time_now(), r->pool) != APR_SUCCESS) {
        return NULL;
    }
    rv = link_usable(&link, st, c->link_id, &err, r);
    if (rv != APR_SUCCESS && rv != S3UP_ENOTFOUND && rv != APR_TIMEUP && err) {
        *down = err;
        return NULL;
    }
    if (rv != APR_SUCCESS || strcmp(link->endpoint, c->endpoint)) {
        return NULL;
    }
    who = apr_pcalloc(r->pool, sizeof(*who));
    who->name = apr_psprintf(r->pool, "link:%.12s", link->id);
    who->via = "link";
    who->link_id = link->id;
    who->link_endpoint = link->endpoint;
    return who;
}

/* GET {location}/s/{token}: a share's address, answered with a fresh
 * presigned GET of its one file. Logged like an admin action (S3UP0506),
 * without the token. */
static int route_share(void *ctx, const char *const *arg)
{
    s3up_upload_ctx_t *up = ctx;
    request_rec *r = up->r;
    s3up_manage_conf_t conf = {.prefix = s3up_conf_prefix(up->dc),
                               .share_max = s3up_conf_share_max_expires(up->dc)};
    s3up_manage_t m = {&conf, up->s3, &up->store, NULL};
    const char *url;
    s3up_share_t *share;
    s3up_error_t *err;
    apr_status_t rv;

    rv = s3up_manage_share_open(&url, &share, &m, arg[0], &err, r->pool);
    if (share) {
        apr_table_setn(r->subprocess_env, "S3UP_ENDPOINT", share->endpoint);
        apr_table_setn(r->subprocess_env, "S3UP_KEY", share->key);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      S3UP_LOGNO(0506) "share: id=%.12s action=share-open endpoint=%s key=%s "
                                       "uses=%d outcome=%s",
                      share->id, share->endpoint, share->key, share->uses,
                      rv == APR_SUCCESS ? "ok" : err->code);
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (rv == S3UP_ENOTFOUND) {
        return drop_page(r, HTTP_NOT_FOUND, "share-gone.html");
    }
    if (rv == APR_TIMEUP) {
        return drop_page(r, HTTP_GONE, "share-gone.html");
    }
    if (rv != APR_SUCCESS) {
        apr_table_setn(r->headers_out, "Retry-After", "5");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    /* A redirect is sent as an error response: only err_headers_out go
     * along (and Location). */
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->err_headers_out, "Referrer-Policy", "no-referrer");
    apr_table_setn(r->headers_out, "Location", url);
    return HTTP_MOVED_TEMPORARILY;
}

static const s3up_route_t share_routes[] = {
    {"GET", "s/{token}", route_share},
    {NULL, NULL, NULL},
};

/* What a link's own address takes; below the location, its portal takes
 * the customer routes (mod_s3up_upload.c). */
static const s3up_route_t link_routes[] = {
    {"GET", "{token}", route_landing},
    {"POST", "{token}", route_landing},
    {NULL, NULL, NULL},
};

int s3up_drop_serve(const s3up_call_t *call)
{
    request_rec *r = call->r;
    s3up_upload_ctx_t *up;
    s3up_error_t *down;
    const char *path = call->path;
    int token = !call->chosen && s3up_token_valid(path), rc;
    int share = !call->chosen && !strncmp(path, "s/", 2);

    if (!strcmp(path, "not-admin")) {
        /* For ErrorDocument 403 of an admin location (conf/examples/admin-oidc.conf):
         * httpd's Require answers before s3up-admin runs, and this location needs no one. */
        return drop_page(r, HTTP_FORBIDDEN, "not-admin.html");
    }
    if (!token && !share && !s3up_upload_is_api(path)) {
        rc = s3up_pages_serve(r, "upload", path); /* the portal, as for s3up-upload */
        /* Most likely a link cut short when it was copied: our page, not httpd's. */
        return rc == HTTP_NOT_FOUND ? drop_page(r, HTTP_NOT_FOUND, "gone.html") : rc;
    }
    up = s3up_upload_ctx(call);
    if ((rc = s3up_req_s3(&up->s3, r, up->dc)) != OK) {
        return rc;
    }
    s3up_req_store(&up->store, r, up->s3, up->dc);
    if (share) {
        return s3up_route(r, share_routes, path, up);
    }
    if (token) {
        return s3up_route(r, link_routes, path, up);
    }
    up->who = cookie_principal(r, &up->store, &down);
    if (down) {
        /* Not "not signed in": the page waits and asks again. */
        return s3up_reply_s3_error(r, down, "NoSuchEndpoint");
    }
    up->by_link = 1;
    return s3up_upload_dispatch(up, path);
}
