/*
 * What every route needs: S3 client and store for the request, JSON in and
 * out, the error shape, query arguments, the same-origin check.
 */
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <util_script.h>

#include "mod_s3up_creds.h"
#include "mod_s3up_request.h"
#include "mod_s3up_shared.h"
#include "s3up_json.h"
#include "s3up_token.h"
#include "s3up_util.h"
#include "s3up_time.h"

APLOG_USE_MODULE(s3up);
extern module AP_MODULE_DECLARE_DATA s3up_module;

/* Shared by every request of the process. */
typedef struct proc_t {
    apr_pool_t *pool;
    s3up_curl_share_t *share;
    s3up_store_cache_t *cache;
    apr_hash_t *locs; /* "s3-server region bucket path-style" -> s3up_s3_loc_t */
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
} proc_t;

/* Kept with the connection: one thread at a time serves it, so the signer
 * (not thread-safe) and curl handle are reused without locks. */
typedef struct s3up_conn_t {
    s3up_sigv4_t *signer;
    s3up_http_t *http;
    s3up_store_memo_t *memo;
} s3up_conn_t;

static proc_t *proc;

/* Uploads are counted by a hash: ids are long, and S3's. */
static const char *part_key(request_rec *r, const char *upload_id)
{
    return s3up_sha256_hex(upload_id, strlen(upload_id), r->pool);
}

int s3up_req_part_enter(request_rec *r, const char *upload_id, int max)
{
    s3up_limit_t *parts = s3up_shared_parts();

    return parts && s3up_limit_enter(parts, part_key(r, upload_id), max);
}

void s3up_req_part_leave(request_rec *r, const char *upload_id)
{
    s3up_limit_t *parts = s3up_shared_parts();

    if (parts) {
        s3up_limit_leave(parts, part_key(r, upload_id));
    }
}

apr_status_t s3up_proc_init(apr_pool_t *pchild, server_rec *s)
{
    proc_t *ps = apr_pcalloc(pchild, sizeof(*ps));
    apr_status_t rv;

    (void)s;
    ps->pool = pchild;
    ps->locs = apr_hash_make(pchild);
    if ((rv = s3up_curl_share_create(&ps->share, pchild)) != APR_SUCCESS ||
        (rv = s3up_store_cache_create(&ps->cache, pchild)) != APR_SUCCESS) {
        return rv;
    }
    if (s3up_shared_generation()) {
        s3up_store_cache_share(ps->cache, s3up_shared_generation());
    }
    if (s3up_shared_listings()) {
        s3up_store_cache_board(ps->cache, s3up_shared_listings());
    }
#if APR_HAS_THREADS
    if ((rv = apr_thread_mutex_create(&ps->lock, APR_THREAD_MUTEX_DEFAULT, pchild)) !=
        APR_SUCCESS) {
        return rv;
    }
#endif
    proc = ps;
    return APR_SUCCESS;
}

static const s3up_s3_loc_t *loc_for(const s3up_dir_conf_t *dc, apr_pool_t *p)
{
    const char *server = s3up_conf_s3_server(dc, p);
    int path_style = s3up_conf_path_style(dc);
    const char *name = apr_psprintf(p, "%s %s %s %d", server, s3up_conf_region(dc),
                                    s3up_conf_bucket(dc), path_style);
    s3up_s3_loc_t *loc;

#if APR_HAS_THREADS
    apr_thread_mutex_lock(proc->lock);
#endif
    loc = apr_hash_get(proc->locs, name, APR_HASH_KEY_STRING);
    if (!loc) {
        loc = apr_pcalloc(proc->pool, sizeof(*loc));
        if (s3up_s3_loc_init(loc, apr_pstrdup(proc->pool, server),
                             apr_pstrdup(proc->pool, s3up_conf_region(dc)),
                             apr_pstrdup(proc->pool, s3up_conf_bucket(dc)), path_style,
                             proc->pool) == APR_SUCCESS) {
            apr_hash_set(proc->locs, apr_pstrdup(proc->pool, name), APR_HASH_KEY_STRING, loc);
        } else {
            loc = NULL; /* configtest refuses such servers; stay safe */
        }
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(proc->lock);
#endif
    return loc;
}

static s3up_conn_t *s3up_conn(conn_rec *c)
{
    s3up_conn_t *cs = ap_get_module_config(c->conn_config, &s3up_module);

    if (!cs) {
        cs = apr_pcalloc(c->pool, sizeof(*cs));
        if (s3up_sigv4_create(&cs->signer, c->pool) != APR_SUCCESS ||
            s3up_curl_create(&cs->http, proc->share, c->pool) != APR_SUCCESS) {
            return NULL;
        }
        cs->memo = s3up_store_memo_create(c->pool);
        ap_set_module_config(c->conn_config, &s3up_module, cs);
    }
    return cs;
}

int s3up_req_s3(s3up_s3_t **out, request_rec *r, const s3up_dir_conf_t *dc)
{
    s3up_s3_t *s3 = apr_pcalloc(r->pool, sizeof(*s3));
    const s3up_s3_loc_t *loc;
    const s3up_creds_t *creds = NULL;
    s3up_conn_t *cs;
    int rc;

    if (!proc) { /* child_init failed, and logged why */
        return s3up_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "StoreUnavailable",
                                "the S3 client could not be set up");
    }
    loc = loc_for(dc, r->pool);
    cs = s3up_conn(r->connection);
    if (!loc || !cs) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      S3UP_LOGNO(0201) "no S3 access: a bad S3 server URL, or out of memory");
        return s3up_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "StoreUnavailable",
                                "the store is not reachable from this server");
    }
    if ((rc = s3up_req_creds(&creds, r, dc)) != OK) {
        return rc;
    }
    s3up_s3_init(s3, loc, creds, cs->signer, cs->http);
    s3->storage = s3up_conf_storage(dc);
    s3->aws.metrics = s3up_shared_metrics();
    *out = s3;
    return OK;
}

void s3up_req_store(s3up_store_t *out, request_rec *r, s3up_s3_t *s3, const s3up_dir_conf_t *dc)
{
    out->cache = proc->cache;
    out->s3 = s3;
    out->prefix = s3up_conf_state_prefix(dc);
    out->ttl = s3up_conf_cache_ttl(s3up_conf_srv(r->server));
    out->memo = s3up_conn(r->connection)->memo;
}

/* The answer is sent whole, and at once. A small answer left to httpd's
 * buffering goes out only after the connection has been checked for a next
 * request, which then cannot have come yet: every keep-alive request went
 * back through the MPM's listener (a small static file is written from its
 * handler, and spared that). */
int s3up_reply_json(request_rec *r, int status, json_t *body)
{
    const char *text = s3up_json_dump(s3up_json_own(body, r->pool), r->pool);
    apr_bucket_alloc_t *ba = r->connection->bucket_alloc;
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, ba);
    apr_size_t len;

    if (!text) {
        text = "{}";
    }
    len = strlen(text);
    r->status = status;
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, len);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (!r->header_only) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(text, len, r->pool, ba));
    }
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(ba));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    ap_pass_brigade(r->output_filters, bb);
    return OK;
}

int s3up_reply_error(request_rec *r, int status, const char *code, const char *fmt, ...)
{
    const char *message;
    va_list ap;

    va_start(ap, fmt);
    message = apr_pvsprintf(r->pool, fmt, ap);
    va_end(ap);
    ap_log_rerror(APLOG_MARK, status >= 500 ? APLOG_ERR : APLOG_INFO, 0, r,
                  S3UP_LOGNO(0202) "%s %s: %d %s: %s", r->method, s3up_req_log_uri(r), status, code,
                  message);
    s3up_reply_json(r, status,
                    json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message));
    return DONE;
}

int s3up_reply_not_allowed(request_rec *r)
{
    return s3up_reply_error(r, HTTP_METHOD_NOT_ALLOWED, "BadRequest",
                            "%s is not allowed on this route", r->method);
}

/* Seconds, as the engine judged them; 5 for a failure that did not come
 * through it. */
static const char *retry_after(const s3up_error_t *err, apr_pool_t *p)
{
    return apr_itoa(p, err->retry_after > 0 ? err->retry_after : 5);
}

int s3up_reply_s3_error(request_rec *r, const s3up_error_t *err, const char *notfound_code)
{
    const char *rid = err->request_id ? err->request_id : "-";

    switch (err->status) {
    case S3UP_ENOTFOUND:
        return s3up_reply_error(r, HTTP_NOT_FOUND, notfound_code, "%s", err->message);
    case S3UP_ECONFLICT:
        return s3up_reply_error(r, HTTP_CONFLICT, "Conflict",
                                "it was changed by someone else meanwhile; reload and try again");
    case S3UP_ES3:
        break;
    default:
        apr_table_setn(r->headers_out, "Retry-After", retry_after(err, r->pool));
        ap_log_rerror(APLOG_MARK, APLOG_ERR, err->status, r,
                      S3UP_LOGNO(0203) "the store did not answer: %s", err->message);
        return s3up_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "StoreUnavailable",
                                "the store did not answer; try again shortly");
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  S3UP_LOGNO(0204) "S3 answered %d %s (request id %s): %s", err->http_status,
                  err->code, rid, err->message ? err->message : "");
    if (err->http_status == 503 || !strcmp(err->code, "SlowDown")) {
        apr_table_setn(r->headers_out, "Retry-After", retry_after(err, r->pool));
        return s3up_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "StoreUnavailable",
                                "the store is busy; try again shortly");
    }
    if (!strcmp(err->code, "InvalidPart") || !strcmp(err->code, "InvalidPartOrder") ||
        !strcmp(err->code, "EntityTooSmall") || !strcmp(err->code, "InvalidArgument")) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "S3 refused it (%s): %s",
                                err->code, err->message ? err->message : "");
    }
    return s3up_reply_error(r, HTTP_BAD_GATEWAY, "StoreError",
                            "the store refused the request (%s, request id %s)", err->code, rid);
}

void s3up_req_uploads_conf(s3up_uploads_conf_t *out, request_rec *r, const s3up_dir_conf_t *dc)
{
    out->prefix = s3up_conf_prefix(dc);
    out->part_size = s3up_conf_part_size(dc);
    out->max_file_size = s3up_conf_max_file_size(dc);
    out->max_unfinished = s3up_conf_max_unfinished(dc);
    out->expires = s3up_conf_presign_expires(dc);
    out->proxy = s3up_conf_upload_mode(dc) == S3UP_MODE_PROXY;
    out->secret = s3up_conf_secret(s3up_conf_srv(r->server));
}

int s3up_reply_failure(request_rec *r, const s3up_error_t *err, const char *notfound_code)
{
    const char *code = err->code ? err->code : "BadRequest";

    /* S3's own answers carry its HTTP status; the core's carry none. */
    if (err->http_status) {
        return s3up_reply_s3_error(r, err, notfound_code);
    }
    switch (err->status) {
    case S3UP_EINPUT:
        return s3up_reply_error(r, HTTP_BAD_REQUEST, code, "%s", err->message);
    case S3UP_EDENIED:
        return s3up_reply_error(r, HTTP_FORBIDDEN, code, "%s", err->message);
    case S3UP_ENOTFOUND:
        return s3up_reply_error(r, HTTP_NOT_FOUND, err->code ? code : notfound_code, "%s",
                                err->message);
    case S3UP_ETOOBIG:
        return s3up_reply_error(r, HTTP_REQUEST_ENTITY_TOO_LARGE, "TooLarge", "%s", err->message);
    case S3UP_ELIMIT:
        return s3up_reply_error(r, HTTP_TOO_MANY_REQUESTS, code, "%s", err->message);
    case S3UP_ECONFLICT:
        return s3up_reply_error(r, HTTP_CONFLICT, code, "%s", err->message);
    case S3UP_EPARSE:
    case APR_EINVAL:
    case APR_EGENERAL:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, err->status, r, S3UP_LOGNO(0205) "%s: %s", code,
                      err->message);
        return s3up_reply_error(r, HTTP_INTERNAL_SERVER_ERROR, "StoreError",
                                "this could not be done: %s", err->message);
    default:
        return s3up_reply_s3_error(r, err, notfound_code);
    }
}

int s3up_read_json(json_t **out, request_rec *r)
{
    const char *ctype = apr_table_get(r->headers_in, "Content-Type");
    const char *clen = apr_table_get(r->headers_in, "Content-Length");
    char *buf = apr_palloc(r->pool, S3UP_JSON_BODY_MAX + 1);
    apr_size_t len = 0;
    const char *why = "";
    json_t *j = NULL;
    long n;

    if (!ctype || strncasecmp(ctype, "application/json", 16) ||
        (ctype[16] && ctype[16] != ';' && ctype[16] != ' ')) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                "send a JSON body (Content-Type: application/json)");
    }
    if (clen && apr_atoi64(clen) > S3UP_JSON_BODY_MAX) {
        return s3up_reply_error(r, HTTP_REQUEST_ENTITY_TOO_LARGE, "TooLarge",
                                "the request body is over %d bytes", S3UP_JSON_BODY_MAX);
    }
    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "the body cannot be read");
    }
    if (ap_should_client_block(r)) {
        while ((n = ap_get_client_block(r, buf + len, S3UP_JSON_BODY_MAX + 1 - len)) > 0) {
            len += n;
            if (len > S3UP_JSON_BODY_MAX) {
                return s3up_reply_error(r, HTTP_REQUEST_ENTITY_TOO_LARGE, "TooLarge",
                                        "the request body is over %d bytes", S3UP_JSON_BODY_MAX);
            }
        }
        if (n < 0) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "the body was cut off");
        }
    }
    if (s3up_json_parse(&j, buf, len, S3UP_JSON_BODY_MAX, &why, r->pool) != APR_SUCCESS ||
        !json_is_object(j)) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                "the body is not a JSON object%s%s", j ? "" : ": ", j ? "" : why);
    }
    *out = j;
    return OK;
}

const char *s3up_req_base(request_rec *r)
{
    const core_dir_config *core = ap_get_core_module_config(r->per_dir_config);
    const char *d = core->d ? core->d : "";
    apr_size_t n = strlen(d);

    while (n > 0 && d[n - 1] == '/') {
        n--;
    }
    return apr_pstrmemdup(r->pool, d, n);
}

/* s with every occurrence of secret replaced. */
static const char *hidden(const char *s, const char *secret, apr_pool_t *p)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    apr_size_t n = strlen(secret);
    const char *at;

    while (n && (at = strstr(s, secret)) != NULL) {
        APR_ARRAY_PUSH(out, const char *) = apr_pstrmemdup(p, s, at - s);
        APR_ARRAY_PUSH(out, const char *) = "[hidden]";
        s = at + n;
    }
    APR_ARRAY_PUSH(out, const char *) = s;
    return apr_array_pstrcat(p, out, 0);
}

/* Hides secret in S3UP_REQUEST and the path our log lines show. */
static void hide(request_rec *r, const char *secret)
{
    const char *line = apr_table_get(r->subprocess_env, "S3UP_REQUEST");

    if (!secret || !*secret) {
        return;
    }
    if (!line) {
        line = r->the_request ? r->the_request : "";
    }
    apr_table_setn(r->subprocess_env, "S3UP_REQUEST", hidden(line, secret, r->pool));
    apr_table_setn(r->notes, "s3up-uri", hidden(s3up_req_log_uri(r), secret, r->pool));
}

void s3up_req_hide_address(request_rec *r)
{
    const char *token = s3up_arg(r, "t"), *mac = token ? strrchr(token, '.') : NULL;
    const char *last = strrchr(r->uri, '/');

    if (token) {
        /* A part's token: its signature is the secret, and reads the
         * same encoded or not. */
        hide(r, mac ? mac + 1 : token);
    }
    if (last && s3up_token_valid(last + 1)) {
        hide(r, last + 1); /* an upload link's or a share's */
    }
}

const char *s3up_req_log_uri(request_rec *r)
{
    const char *uri = apr_table_get(r->notes, "s3up-uri");
    return uri ? uri : r->uri;
}

const char *s3up_arg(request_rec *r, const char *name)
{
    char *args, *pair, *last;

    /* Form encoding, as URLSearchParams and Companion's parser have it:
     * '+' is a space, a real '+' comes as %2B. */
    args = apr_pstrdup(r->pool, r->args ? r->args : "");
    for (pair = apr_strtok(args, "&", &last); pair; pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '=');
        if (eq) {
            *eq = '\0';
        }
        if (ap_unescape_urlencoded(pair) == OK && !strcmp(pair, name)) {
            char *value = eq ? eq + 1 : "";
            return ap_unescape_urlencoded(value) == OK ? value : NULL;
        }
    }
    return NULL;
}

int s3up_same_origin(request_rec *r)
{
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *own;

    if (site) {
        return !strcmp(site, "same-origin");
    }
    if (!origin) {
        return 1;
    }
    own = ap_construct_url(r->pool, "", r);
    return !strcasecmp(origin, own);
}

json_t *s3up_files_json(const s3up_object_page_t *page, const char *folder, apr_pool_t *p)
{
    json_t *files = json_array();
    apr_size_t n = strlen(folder);

    for (int i = 0; i < page->objects->nelts; i++) {
        const s3up_object_t *o = &APR_ARRAY_IDX(page->objects, i, s3up_object_t);
        json_array_append_new(files, json_pack("{s:s,s:s,s:I,s:s}", "key", o->key, "name",
                                               strncmp(o->key, folder, n) ? o->key : o->key + n,
                                               "size", (json_int_t)o->size, "last_modified",
                                               s3up_time_iso8601(o->last_modified, p)));
    }
    return json_pack("{s:o,s:o}", "files", files, "next",
                     page->truncated && page->next_token ? json_string(page->next_token)
                                                         : json_null());
}
