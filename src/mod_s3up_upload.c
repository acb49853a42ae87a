/*
 * The customer routes (handler s3up-upload): the portal's pages and the
 * Companion-compatible API that a stock Uppy AwsS3 plugin talks to, plus
 * /api/session and /api/files. docs/api.md.
 *
 * Every key a client sends back is checked against the endpoints the
 * caller may write before anything is signed.
 */
#include <apr_lib.h>
#include <apr_strings.h>

#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>

#include "mod_s3up_handler.h"
#include "mod_s3up_notify.h"
#include "mod_s3up_pages.h"
#include "mod_s3up_request.h"
#include "mod_s3up_route.h"
#include "mod_s3up_upload.h"
#include "s3up_json.h"
#include "s3up_token.h"
#include "s3up_time.h"

APLOG_USE_MODULE(s3up);

static int part_number(const char *s)
{
    char *end;
    long n = s ? strtol(s, &end, 10) : 0;
    return s && *s && !*end && n >= 1 && n <= S3UP_PARTS_MAX ? (int)n : 0;
}

/* The declared size, when the client told: -1 when it did not. */
static apr_off_t declared_size(const json_t *body, const json_t *meta)
{
    const json_t *v = json_object_get(body, "size");
    if (!json_is_integer(v)) {
        v = json_object_get(meta, "size");
    }
    return json_is_integer(v) && json_integer_value(v) >= 0 ? (apr_off_t)json_integer_value(v) : -1;
}

/* A size from a query argument: -1 when absent or no number. */
static apr_off_t size_arg(const char *s)
{
    char *end;
    apr_int64_t n = s ? apr_strtoi64(s, &end, 10) : -1;
    return s && apr_isdigit(*s) && !*end && n >= 0 ? (apr_off_t)n : -1;
}

/* The parts S3 holds, as ListParts answers them: [{PartNumber, ETag, Size,
 * LastModified}]. */
static json_t *parts_json(const apr_array_header_t *parts, apr_pool_t *p)
{
    json_t *list = s3up_json_own(json_array(), p);

    for (int i = 0; i < parts->nelts; i++) {
        const s3up_part_t *part = &APR_ARRAY_IDX(parts, i, s3up_part_t);
        json_array_append_new(list, json_pack("{s:i,s:s,s:I,s:s}", "PartNumber", part->number,
                                              "ETag", part->etag ? part->etag : "", "Size",
                                              (json_int_t)part->size, "LastModified",
                                              s3up_time_iso8601(part->last_modified, p)));
    }
    return list;
}

static int route_create(void *ctx, const char *const *arg __attribute__((unused)))
{
    s3up_upload_ctx_t *up = ctx;
    request_rec *r = up->r;
    s3up_file_t file;
    s3up_started_t *started;
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    json_t *body, *meta, *reply;
    int rc;

    if ((rc = s3up_read_json(&body, r)) != OK) {
        return rc;
    }
    if (s3up_uploads_default_endpoint(&ep, &up->svc, 1, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchEndpoint");
    }
    meta = json_object_get(body, "metadata");
    file.filename = s3up_json_str(body, "filename");
    file.relative_path = s3up_json_str(meta, "relativePath");
    file.content_type = s3up_json_str(body, "type");
    file.size = declared_size(body, meta);
    file.fingerprint = s3up_json_str(meta, "fingerprint");
    if (s3up_uploads_start(&started, &up->svc, ep, &file, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchEndpoint");
    }
    reply = json_pack("{s:s,s:s,s:s}", "key", started->key, "uploadId", started->upload_id,
                      "bucket", up->s3->loc->bucket);
    if (reply && started->part_size) {
        json_object_set_new(reply, "partSize", json_integer((json_int_t)started->part_size));
    }
    if (reply && started->resumed) {
        json_object_set_new(reply, "resumed", json_true());
        json_object_set(reply, "parts", parts_json(started->parts, r->pool));
    }
    return s3up_reply_json(r, HTTP_OK, reply);
}

/* Proxy mode: the body of a part PUT, read as curl sends it on to S3.
 * `cut`: the client's body ended or broke before the part's size. A part
 * that stops short because S3 went away is not cut: that is the store's
 * failure (503, the client waits and sends it again), not the client's.
 * One brigade serves every read of the request: ap_get_client_block()
 * makes one in r->pool per call, so a part's request pool would grow with
 * the part (~32 bytes per socket read: megabytes for a part of gigabytes). */
typedef struct part_body_t {
    request_rec *r;
    apr_bucket_brigade *bb;
    apr_off_t got;
    int eos;
    int cut;
} part_body_t;

static apr_status_t read_part_body(void *baton, char *buf, apr_size_t len, apr_size_t *nread,
                                   int rewind)
{
    part_body_t *b = baton;
    apr_status_t rv;

    if (rewind) {
        return b->got == 0 ? APR_SUCCESS : APR_ENOTIMPL;
    }
    *nread = 0;
    if (b->eos) {
        /* curl asks only for bytes still due: an end here is early. */
        b->cut = 1;
        return APR_SUCCESS;
    }
    rv = ap_get_brigade(b->r->input_filters, b->bb, AP_MODE_READBYTES, APR_BLOCK_READ, len);
    if (rv == APR_SUCCESS) {
        b->eos = !APR_BRIGADE_EMPTY(b->bb) && APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(b->bb));
        rv = apr_brigade_flatten(b->bb, buf, &len);
    }
    apr_brigade_cleanup(b->bb);
    if (rv == APR_SUCCESS && len == 0 && b->eos) {
        b->cut = 1;
    }
    if (rv != APR_SUCCESS) {
        b->cut = 1;
        b->r->connection->keepalive = AP_CONN_CLOSE; /* the rest of the body is not read */
        return APR_EGENERAL;
    }
    b->got += len;
    b->r->read_length += len;
    *nread = len;
    return APR_SUCCESS;
}

/* PUT s3/multipart/{uploadId}/{n}/data?key=&t= (a part through httpd).
 * httpd's authentication guards it like every route of the location; the
 * token, made when the part was signed for the upload's owner, binds the
 * URL to that part and its size for its lifetime. The bytes stream on to
 * S3 with bounded memory, a bounded number at once per upload. */
static int route_part_data(void *ctx, const char *const *arg)
{
    s3up_upload_ctx_t *up = ctx;
    const char *upload_id = arg[0], *n = arg[1];
    request_rec *r = up->r;
    const char *key = s3up_arg(r, "key"), *clen = apr_table_get(r->headers_in, "Content-Length");
    const char *etag;
    part_body_t body = {r, NULL, 0, 0, 0};
    s3up_part_grant_t grant;
    s3up_error_t *err;
    apr_off_t size;
    apr_status_t rv;
    int number = part_number(n), rc;

    rv = s3up_token_part_check(&grant, s3up_arg(r, "t"), key, upload_id, number, apr_time_now(),
                               s3up_conf_secret(s3up_conf_srv(r->server)), r->pool);
    if (rv != APR_SUCCESS) {
        return s3up_reply_error(r, HTTP_FORBIDDEN, "Forbidden",
                                rv == APR_TIMEUP ? "this part's upload address has expired"
                                                 : "this is not a valid upload address");
    }
    if (!clen) {
        return s3up_reply_error(r, HTTP_LENGTH_REQUIRED, "BadRequest",
                                "send the part with a Content-Length");
    }
    size = size_arg(clen);
    if (size < 0) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "a bad Content-Length");
    }
    if (size > grant.bytes || (grant.exact && size != grant.bytes)) {
        return s3up_reply_error(r, grant.exact ? HTTP_BAD_REQUEST : HTTP_REQUEST_ENTITY_TOO_LARGE,
                                grant.exact ? "BadRequest" : "TooLarge",
                                "this part is %s%" APR_OFF_T_FMT " bytes",
                                grant.exact ? "" : "at most ", grant.bytes);
    }
    if ((rc = s3up_req_s3(&up->s3, r, up->dc)) != OK) {
        return rc;
    }
    if (ap_setup_client_block(r, REQUEST_CHUNKED_ERROR) != OK || !ap_should_client_block(r)) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "the part cannot be read");
    }
    body.bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    /* Twice what the portal sends, for retries of parts still draining. */
    if (!s3up_req_part_enter(r, upload_id, 2 * s3up_conf_parts_in_flight(up->dc))) {
        apr_table_setn(r->headers_out, "Retry-After", "2");
        return s3up_reply_error(r, HTTP_TOO_MANY_REQUESTS, "TooManyRequests",
                                "too many parts of this upload are being sent at once");
    }
    rv = s3up_uploads_pass_part(&etag, up->s3, key, upload_id, number, read_part_body, &body, size,
                                &err, r->pool);
    s3up_req_part_leave(r, upload_id);
    if (body.cut) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                "the part was cut off after %" APR_OFF_T_FMT " of %" APR_OFF_T_FMT
                                " bytes",
                                body.got, size);
    }
    if (rv != APR_SUCCESS) {
        return s3up_reply_s3_error(r, err, "NoSuchUpload");
    }
    apr_table_setn(r->headers_out, "ETag", etag ? etag : "");
    return s3up_reply_json(r, HTTP_OK, json_pack("{s:s}", "etag", etag ? etag : ""));
}

static apr_array_header_t *one_number(int n, apr_pool_t *p)
{
    apr_array_header_t *numbers = apr_array_make(p, 1, sizeof(int));
    APR_ARRAY_PUSH(numbers, int) = n;
    return numbers;
}

static int route_sign_part(void *ctx, const char *const *arg)
{
    s3up_upload_ctx_t *up = ctx;
    const char *upload_id = arg[0], *n = arg[1];
    request_rec *r = up->r;
    apr_array_header_t *urls;
    s3up_error_t *err;
    int number = part_number(n);

    if (!number) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                "part numbers go from 1 to 10000");
    }
    if (s3up_uploads_sign(&urls, &up->svc, s3up_arg(r, "key"), upload_id,
                          one_number(number, r->pool), &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchUpload");
    }
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:o,s:I}", "url",
                                     s3up_json_string(APR_ARRAY_IDX(urls, 0, const char *)),
                                     "expires", (json_int_t)apr_time_sec(up->svc.conf->expires)));
}

static int route_sign_batch(void *ctx, const char *const *arg)
{
    s3up_upload_ctx_t *up = ctx;
    const char *upload_id = arg[0];
    request_rec *r = up->r;
    const char *list = s3up_arg(r, "partNumbers");
    apr_array_header_t *numbers = apr_array_make(r->pool, 16, sizeof(int)), *urls;
    s3up_error_t *err;
    json_t *signed_urls;
    char *tok, *last;

    if (!list || !*list) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "partNumbers is missing");
    }
    for (tok = apr_strtok(apr_pstrdup(r->pool, list), ",", &last); tok;
         tok = apr_strtok(NULL, ",", &last)) {
        int number = part_number(tok);
        if (!number || numbers->nelts >= S3UP_UPLOADS_BATCH_MAX) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                    "partNumbers: up to %d numbers from 1 to 10000",
                                    S3UP_UPLOADS_BATCH_MAX);
        }
        APR_ARRAY_PUSH(numbers, int) = number;
    }
    if (s3up_uploads_sign(&urls, &up->svc, s3up_arg(r, "key"), upload_id, numbers, &err, r->pool) !=
        APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchUpload");
    }
    signed_urls = s3up_json_own(json_object(), r->pool);
    for (int i = 0; i < urls->nelts; i++) {
        json_object_set_new(signed_urls, apr_itoa(r->pool, APR_ARRAY_IDX(numbers, i, int)),
                            s3up_json_string(APR_ARRAY_IDX(urls, i, const char *)));
    }
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:O,s:I}", "presignedUrls", signed_urls, "expires",
                                     (json_int_t)apr_time_sec(up->svc.conf->expires)));
}

static int route_list_parts(void *ctx, const char *const *arg)
{
    s3up_upload_ctx_t *up = ctx;
    const char *upload_id = arg[0];
    request_rec *r = up->r;
    apr_array_header_t *parts;
    s3up_error_t *err;
    json_t *list;

    if (s3up_uploads_parts(&parts, &up->svc, s3up_arg(r, "key"), upload_id, &err, r->pool) !=
        APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchUpload");
    }
    list = parts_json(parts, r->pool);
    return s3up_reply_json(r, HTTP_OK, json_incref(list));
}

/* The parts a client asks to complete: [{PartNumber, ETag}], checked. */
static int parts_of(apr_array_header_t **out, s3up_upload_ctx_t *up, const json_t *body)
{
    const json_t *list = json_object_get(body, "parts");
    apr_array_header_t *parts;
    size_t i;
    json_t *item;

    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > S3UP_PARTS_MAX) {
        return s3up_reply_error(up->r, HTTP_BAD_REQUEST, "BadRequest",
                                "parts must list 1 to 10000 {PartNumber, ETag}");
    }
    parts = apr_array_make(up->r->pool, (int)json_array_size(list), sizeof(s3up_part_t));
    json_array_foreach(list, i, item)
    {
        const json_t *n = json_object_get(item, "PartNumber");
        const char *etag = s3up_json_str(item, "ETag");
        s3up_part_t *part;
        if (!json_is_integer(n) || json_integer_value(n) < 1 ||
            json_integer_value(n) > S3UP_PARTS_MAX || !etag || !*etag || strlen(etag) > 200) {
            return s3up_reply_error(up->r, HTTP_BAD_REQUEST, "BadRequest",
                                    "part %d: a PartNumber (1-10000) and an ETag are needed",
                                    (int)i + 1);
        }
        part = apr_array_push(parts);
        part->number = (int)json_integer_value(n);
        part->etag = etag;
    }
    *out = parts;
    return OK;
}

/* A file arrived whole (the first time it is said): the log variables,
 * the audit line, the notification. */
static void arrived(s3up_upload_ctx_t *up, const s3up_finished_t *done)
{
    request_rec *r = up->r;
    s3up_arrival_t a = {up->s3->loc->bucket, done->endpoint, done->key,     NULL,
                        done->size,          done->etag,     up->who->name, up->who->via,
                        apr_time_now()};
    const char *id;

    if (done->again) {
        return;
    }
    apr_table_setn(r->subprocess_env, "S3UP_USER", up->who->name);
    apr_table_setn(r->subprocess_env, "S3UP_ENDPOINT", done->endpoint);
    apr_table_setn(r->subprocess_env, "S3UP_KEY", done->key);
    apr_table_setn(r->subprocess_env, "S3UP_BYTES", apr_off_t_toa(r->pool, done->size));
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                  S3UP_LOGNO(0303) "upload complete: user=%s via=%s endpoint=%s key=%s "
                                   "bytes=%" APR_OFF_T_FMT,
                  up->who->name, up->who->via, done->endpoint, done->key, done->size);
    if (s3up_store_file_key_split(&id, &a.name, up->conf.prefix, done->key, r->pool) !=
        APR_SUCCESS) {
        a.name = done->key;
    }
    s3up_notify_arrival(r, &a);
}

/* A file sent in one POST (s3/params), confirmed by the page once S3 took
 * it: the same record as a completed multipart upload. */
static int route_arrived(void *ctx, const char *const *arg __attribute__((unused)))
{
    s3up_upload_ctx_t *up = ctx;
    request_rec *r = up->r;
    s3up_finished_t *done;
    s3up_error_t *err;
    json_t *body;
    int rc;

    if ((rc = s3up_read_json(&body, r)) != OK) {
        return rc;
    }
    if (s3up_uploads_arrived(&done, &up->svc, s3up_json_str(body, "key"), &err, r->pool) !=
        APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchKey");
    }
    arrived(up, done);
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:s,s:s,s:I}", "key", done->key, "location", done->location,
                                     "size", (json_int_t)done->size));
}

static int route_complete(void *ctx, const char *const *arg)
{
    s3up_upload_ctx_t *up = ctx;
    const char *upload_id = arg[0];
    request_rec *r = up->r;
    const char *key = s3up_arg(r, "key");
    apr_array_header_t *parts = NULL;
    s3up_finished_t *done;
    s3up_error_t *err;
    apr_status_t rv;
    json_t *body;
    int rc;

    if ((rc = s3up_read_json(&body, r)) != OK || (rc = parts_of(&parts, up, body)) != OK) {
        return rc;
    }
    rv = s3up_uploads_complete(&done, &up->svc, key, upload_id, parts, &err, r->pool);
    if (rv == S3UP_ETOOBIG) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      S3UP_LOGNO(0302) "refused %s by %s: %" APR_OFF_T_FMT " bytes, over the "
                                       "limit",
                      key, up->who->name, done->size);
    }
    if (rv != APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchUpload");
    }
    arrived(up, done);
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:s,s:s,s:s}", "location", done->location, "key", key,
                                     "bucket", up->s3->loc->bucket));
}

static int route_abort(void *ctx, const char *const *arg)
{
    s3up_upload_ctx_t *up = ctx;
    const char *upload_id = arg[0];
    request_rec *r = up->r;
    s3up_error_t *err;

    if (s3up_uploads_abort(&up->svc, s3up_arg(r, "key"), upload_id, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchUpload");
    }
    return s3up_reply_json(r, HTTP_OK, json_object());
}

/* GET /s3/params: a browser form upload (POST policy) pinned to one key,
 * size limited by S3 itself. */
static int route_params(void *ctx, const char *const *arg __attribute__((unused)))
{
    s3up_upload_ctx_t *up = ctx;
    request_rec *r = up->r;
    const char *size = s3up_arg(r, "size");
    s3up_file_t file;
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    s3up_post_t *post;
    json_t *fields;

    file.filename = s3up_arg(r, "filename");
    file.relative_path = s3up_arg(r, "metadata[relativePath]");
    file.content_type = s3up_arg(r, "type");
    file.size = size_arg(size ? size : s3up_arg(r, "metadata[size]"));
    file.fingerprint = NULL; /* a form POST is never continued */
    if (s3up_uploads_default_endpoint(&ep, &up->svc, 1, &err, r->pool) != APR_SUCCESS ||
        s3up_uploads_form(&post, &up->svc, ep, &file, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchEndpoint");
    }
    fields = s3up_json_own(json_object(), r->pool);
    for (int i = 0; i < post->fields->nelts; i++) {
        const s3up_kv_t *f = &APR_ARRAY_IDX(post->fields, i, s3up_kv_t);
        json_object_set_new(fields, f->name, json_string(f->value));
    }
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:s,s:s,s:O,s:I}", "method", "POST", "url", post->url,
                                     "fields", fields, "expires",
                                     (json_int_t)apr_time_sec(up->svc.conf->expires)));
}

static json_t *endpoint_json(const s3up_upload_ctx_t *up, const s3up_endpoint_t *ep)
{
    return json_pack("{s:s,s:I,s:o,s:s}", "id", ep->id, "max_file_size",
                     (json_int_t)s3up_uploads_limit(&up->svc, ep), "expires",
                     ep->expires ? json_string(s3up_time_iso8601(ep->expires, up->r->pool))
                                 : json_null(),
                     "base", apr_pstrcat(up->r->pool, up->base, "/e/", ep->id, NULL));
}

/* One of the caller's own endpoints that takes no more files: said, so
 * that the page can tell its member why, and since when. */
static json_t *closed_json(const s3up_upload_ctx_t *up, const s3up_endpoint_t *ep)
{
    int revoked = strcmp(ep->status, S3UP_ENDPOINT_ACTIVE) != 0;

    return json_pack(
        "{s:s,s:s,s:o}", "id", ep->id, "why", revoked ? "revoked" : "expired", "expires",
        ep->expires ? json_string(s3up_time_iso8601(ep->expires, up->r->pool)) : json_null());
}

static int route_session(void *ctx, const char *const *arg __attribute__((unused)))
{
    s3up_upload_ctx_t *up = ctx;
    request_rec *r = up->r;
    apr_array_header_t *ids;
    s3up_error_t *err;
    json_t *list, *closed, *reply;

    if (s3up_uploads_endpoint_ids(&ids, &up->svc, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchEndpoint");
    }
    list = s3up_json_own(json_array(), r->pool);
    closed = s3up_json_own(json_array(), r->pool);
    for (int i = 0; i < ids->nelts; i++) {
        const char *id = APR_ARRAY_IDX(ids, i, const char *);
        s3up_endpoint_t *ep;

        if ((!up->chosen || !strcmp(up->chosen, id)) &&
            s3up_uploads_endpoint(&ep, &up->svc, id, 0, &err, r->pool) == APR_SUCCESS) {
            int open = s3up_store_endpoint_open(ep, apr_time_now());
            json_array_append_new(open ? list : closed,
                                  open ? endpoint_json(up, ep) : closed_json(up, ep));
        }
    }
    /* The name is checked UTF-8 (s3up_identity), which json_pack needs;
     * a failed pack answers {} rather than touching a freed list. */
    reply = json_pack("{s:{s:s,s:s},s:O,s:O,s:I,s:i,s:s}", "user", "name", up->who->name, "via",
                      up->who->via, "endpoints", list, "closed", closed, "part_size",
                      (json_int_t)s3up_conf_part_size(up->dc), "parts_in_flight",
                      s3up_conf_parts_in_flight(up->dc), "mode",
                      s3up_conf_upload_mode(up->dc) == S3UP_MODE_PROXY ? "proxy" : "direct");
    return s3up_reply_json(r, HTTP_OK, reply);
}

static int route_files(void *ctx, const char *const *arg __attribute__((unused)))
{
    s3up_upload_ctx_t *up = ctx;
    request_rec *r = up->r;
    const char *id = s3up_arg(r, "endpoint");
    s3up_object_page_t *page;
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    apr_status_t rv;

    if (id && up->chosen && strcmp(id, up->chosen)) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                "endpoint does not match the path");
    }
    rv = id ? s3up_uploads_endpoint(&ep, &up->svc, id, 0, &err, r->pool)
            : s3up_uploads_default_endpoint(&ep, &up->svc, 0, &err, r->pool);
    if (rv == APR_SUCCESS) {
        rv = s3up_uploads_files(&page, &up->svc, ep, s3up_arg(r, "cursor"), &err, r->pool);
    }
    if (rv != APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchEndpoint");
    }
    return s3up_reply_json(r, HTTP_OK, s3up_files_json(page, ep->prefix, r->pool));
}

/* The API under s3/ and api/ (docs/api.md). */
static const s3up_route_t upload_routes[] = {
    {"GET", "api/session", route_session},
    {"GET", "api/files", route_files},
    {"GET", "s3/params", route_params},
    {"POST", "api/arrived", route_arrived},
    {"POST", "s3/multipart", route_create},
    {"GET", "s3/multipart/{uploadId}", route_list_parts},
    {"DELETE", "s3/multipart/{uploadId}", route_abort},
    {"POST", "s3/multipart/{uploadId}/complete", route_complete},
    {"GET", "s3/multipart/{uploadId}/batch", route_sign_batch},
    {"GET", "s3/multipart/{uploadId}/{partNumber}", route_sign_part},
    {NULL, NULL, NULL},
};

/* A part through httpd: allowed by its token (what it may be was checked
 * when it was signed), before anyone is asked who they are. */
static const s3up_route_t token_routes[] = {
    {"PUT", "s3/multipart/{uploadId}/{partNumber}/data", route_part_data},
    {NULL, NULL, NULL},
};

int s3up_upload_dispatch(s3up_upload_ctx_t *up, const char *path)
{
    request_rec *r = up->r;
    int state_changing = r->method_number != M_GET && r->method_number != M_OPTIONS;
    int rc;

    if (state_changing && !s3up_same_origin(r)) {
        return s3up_reply_error(r, HTTP_FORBIDDEN, "CrossOrigin",
                                "requests from other sites are refused");
    }
    if (s3up_route_exists(token_routes, path)) {
        /* Its token is hidden from the logs (s3up_req_hide_address). */
        return s3up_route(r, token_routes, path, up);
    }
    if (!up->who && up->by_link) {
        /* No sign-in to offer: the link itself is what lets one in. */
        return s3up_reply_error(r, HTTP_UNAUTHORIZED, "LinkClosed",
                                "this upload link has expired or was withdrawn, or it was not "
                                "opened in this browser");
    }
    if (!up->who) {
        return s3up_reply_error(r, HTTP_UNAUTHORIZED, "NotSignedIn", "sign in first");
    }
    if (!up->s3) {
        if ((rc = s3up_req_s3(&up->s3, r, up->dc)) != OK) {
            return rc;
        }
        s3up_req_store(&up->store, r, up->s3, up->dc);
    }
    s3up_req_uploads_conf(&up->conf, r, up->dc);
    up->svc.conf = &up->conf;
    up->svc.s3 = up->s3;
    up->svc.store = &up->store;
    up->svc.who = up->who;
    up->svc.is_admin = up->is_admin;
    up->svc.chosen = up->chosen;
    up->svc.part_base = ap_construct_url(
        r->pool,
        apr_pstrcat(r->pool, up->base, up->chosen ? "/e/" : "", up->chosen ? up->chosen : "", NULL),
        r);
    return s3up_route(r, upload_routes, path, up);
}

/* Paths of the API; everything else under the location is the portal. */
int s3up_upload_is_api(const char *path)
{
    return !strncmp(path, "s3/", 3) || !strncmp(path, "api/", 4);
}

s3up_upload_ctx_t *s3up_upload_ctx(const s3up_call_t *call)
{
    s3up_upload_ctx_t *up = apr_pcalloc(call->r->pool, sizeof(*up));

    up->r = call->r;
    up->dc = call->dc;
    up->base = call->base;
    up->chosen = call->chosen;
    return up;
}

int s3up_upload_serve(const s3up_call_t *call)
{
    request_rec *r = call->r;
    s3up_upload_ctx_t *up = s3up_upload_ctx(call);
    int rc;

    if (up->chosen && !s3up_store_id_valid(up->chosen)) {
        return s3up_reply_error(r, HTTP_NOT_FOUND, "NoSuchEndpoint",
                                "there is no upload endpoint of that name that you may use");
    }
    if (!s3up_upload_is_api(call->path)) {
        return s3up_pages_serve(r, "upload", call->path);
    }
    if ((rc = s3up_identity(&up->who, r, up->dc)) != OK) {
        return rc;
    }
    return s3up_upload_dispatch(up, call->path);
}
