/*
 * The customer routes (handler s3up-upload): the portal's pages and the
 * Companion-compatible API that a stock Uppy AwsS3 plugin talks to, plus
 * /api/session and /api/files. DESIGN.md §2 and §4.
 *
 * Every key a client sends back is checked against the endpoints the
 * caller may write before anything is signed.
 */
#include <apr_base64.h>
#include <apr_strings.h>

#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>

#include "mod_s3up_identity.h"
#include "mod_s3up_pages.h"
#include "mod_s3up_request.h"
#include "mod_s3up_upload.h"
#include "s3up_json.h"
#include "s3up_keys.h"
#include "s3up_sigv4.h"
#include "s3up_token.h"

APLOG_USE_MODULE(s3up);

/* A multipart upload's name stays reserved this long: longer than anyone
 * pauses an upload, short enough that an abandoned one frees its name. */
#define RESERVE_MULTIPART apr_time_from_sec(30 * 86400)
#define BATCH_MAX 100
#define POST_OBJECT_MAX ((apr_off_t)5 * 1024 * 1024 * 1024)

static int reply_endpoint_closed(request_rec *r, const s3up_endpoint_t *ep)
{
    if (strcmp(ep->status, S3UP_ENDPOINT_ACTIVE)) {
        return s3up_reply_error(r, HTTP_FORBIDDEN, "EndpointRevoked",
                                "the upload endpoint '%s' has been closed", ep->id);
    }
    return s3up_reply_error(r, HTTP_FORBIDDEN, "EndpointExpired",
                            "the upload endpoint '%s' has expired", ep->id);
}

static int is_member(const s3up_upload_ctx_t *up, const s3up_endpoint_t *ep)
{
    if (up->who->link_endpoint) {
        return !strcmp(up->who->link_endpoint, ep->id);
    }
    if (up->is_admin) {
        return 1;
    }
    for (int i = 0; i < ep->members->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(ep->members, i, const char *), up->who->name)) {
            return 1;
        }
    }
    return 0;
}

/* The endpoint id, if the caller may use it: exists, is theirs, lies under
 * S3UpPrefix, and (for writing) is open. */
static int endpoint_get(s3up_endpoint_t **out, s3up_upload_ctx_t *up, const char *id, int writing)
{
    request_rec *r = up->r;
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    apr_status_t rv;

    rv = s3up_store_endpoint_get(&ep, &up->store, id, &err, r->pool);
    if (rv == S3UP_ENOTFOUND) {
        return s3up_reply_error(r, HTTP_NOT_FOUND, "NoSuchEndpoint",
                                "there is no upload endpoint '%s'", id);
    }
    if (rv != APR_SUCCESS) {
        return s3up_reply_s3_error(r, err, "NoSuchEndpoint");
    }
    if (!is_member(up, ep)) {
        return s3up_reply_error(r, HTTP_FORBIDDEN, "Forbidden",
                                "you may not use the upload endpoint '%s'", id);
    }
    if (strncmp(ep->prefix, s3up_conf_prefix(up->dc), strlen(s3up_conf_prefix(up->dc)))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      S3UP_LOGNO(0301) "endpoint %s has prefix %s outside S3UpPrefix", id,
                      ep->prefix);
        return s3up_reply_error(r, HTTP_FORBIDDEN, "Forbidden",
                                "the upload endpoint '%s' is not served here", id);
    }
    if (writing && !s3up_store_endpoint_open(ep, apr_time_now())) {
        return reply_endpoint_closed(r, ep);
    }
    *out = ep;
    return OK;
}

/* The ids of the endpoints the caller may use. */
static int my_endpoint_ids(apr_array_header_t **ids, s3up_upload_ctx_t *up)
{
    s3up_error_t *err;

    if (up->who->link_endpoint) {
        *ids = apr_array_make(up->r->pool, 1, sizeof(const char *));
        APR_ARRAY_PUSH(*ids, const char *) = up->who->link_endpoint;
        return OK;
    }
    if (s3up_store_member_endpoints(ids, &up->store, up->who->name, &err, up->r->pool) !=
        APR_SUCCESS) {
        return s3up_reply_s3_error(up->r, err, "NoSuchEndpoint");
    }
    return OK;
}

/* The endpoint a request without a key is about: /e/{id}/, or the only
 * one the caller has. */
static int endpoint_default(s3up_endpoint_t **out, s3up_upload_ctx_t *up, int writing)
{
    apr_array_header_t *ids;
    int rc;

    if (up->chosen) {
        return endpoint_get(out, up, up->chosen, writing);
    }
    if ((rc = my_endpoint_ids(&ids, up)) != OK) {
        return rc;
    }
    if (ids->nelts == 0) {
        return s3up_reply_error(up->r, HTTP_FORBIDDEN, "Forbidden", "you have no upload endpoint");
    }
    if (ids->nelts > 1) {
        return s3up_reply_error(up->r, HTTP_BAD_REQUEST, "BadRequest",
                                "you have %d upload endpoints: choose one with %s/e/{id}/",
                                ids->nelts, up->base);
    }
    return endpoint_get(out, up, APR_ARRAY_IDX(ids, 0, const char *), writing);
}

/* The endpoint a client-sent key lies in, if the caller may touch it:
 * S3UpPrefix{id}/{a path our own key policy would produce}. */
static int endpoint_of_key(s3up_endpoint_t **out, s3up_upload_ctx_t *up, const char *key,
                           int writing)
{
    const char *prefix = s3up_conf_prefix(up->dc);
    apr_size_t plen = strlen(prefix);
    const char *slash, *rel, *clean, *why, *id;
    s3up_endpoint_t *ep;
    int rc;

    if (!key || !*key) {
        return s3up_reply_error(up->r, HTTP_BAD_REQUEST, "BadRequest", "the key is missing");
    }
    if (strncmp(key, prefix, plen) || !(slash = strchr(key + plen, '/'))) {
        return s3up_reply_error(up->r, HTTP_FORBIDDEN, "InvalidKey",
                                "the key lies outside your upload endpoints");
    }
    id = apr_pstrmemdup(up->r->pool, key + plen, slash - (key + plen));
    rel = slash + 1;
    if (s3up_keys_relpath(&clean, rel, &why, up->r->pool) != APR_SUCCESS || strcmp(clean, rel)) {
        return s3up_reply_error(up->r, HTTP_FORBIDDEN, "InvalidKey",
                                "the key lies outside your upload endpoints");
    }
    if (up->chosen && strcmp(up->chosen, id)) {
        return s3up_reply_error(up->r, HTTP_FORBIDDEN, "InvalidKey",
                                "the key belongs to another upload endpoint");
    }
    if ((rc = endpoint_get(&ep, up, id, writing)) != OK) {
        return rc;
    }
    if (strncmp(key, ep->prefix, strlen(ep->prefix))) {
        return s3up_reply_error(up->r, HTTP_FORBIDDEN, "InvalidKey",
                                "the key lies outside your upload endpoints");
    }
    *out = ep;
    return OK;
}

static apr_off_t limit_of(const s3up_upload_ctx_t *up, const s3up_endpoint_t *ep)
{
    apr_off_t limit = s3up_conf_max_file_size(up->dc);
    return ep->max_file_size && ep->max_file_size < limit ? ep->max_file_size : limit;
}

/* S3 metadata travels in headers, which must stay ASCII: other text is
 * stored in RFC 2047 form, as AWS advises. */
static const char *meta_value(const char *v, apr_pool_t *p)
{
    apr_size_t n = strlen(v);
    char *b64;

    for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
        if (*c < 0x20 || *c >= 0x7f) {
            b64 = apr_palloc(p, apr_base64_encode_len((int)n));
            apr_base64_encode(b64, v, (int)n);
            return apr_pstrcat(p, "=?UTF-8?B?", b64, "?=", NULL);
        }
    }
    return v;
}

static apr_table_t *object_meta(const s3up_upload_ctx_t *up, const char *name)
{
    apr_table_t *meta = apr_table_make(up->r->pool, 2);
    apr_table_setn(meta, "uploaded-by", meta_value(up->who->name, up->r->pool));
    apr_table_setn(meta, "original-name", meta_value(name, up->r->pool));
    return meta;
}

/* A content type we pass on to S3: a plain type/subtype, else the default. */
static const char *content_type_of(const char *type)
{
    if (!type || !*type || strlen(type) > 200 || strpbrk(type, "\r\n\"\\")) {
        return "application/octet-stream";
    }
    for (const char *c = type; *c; c++) {
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
            return "application/octet-stream";
        }
    }
    return type;
}

/* The declared size, when the client told: -1 when it did not. */
static apr_off_t declared_size(const json_t *body, const json_t *meta)
{
    const json_t *v = json_object_get(body, "size");
    if (!json_is_integer(v)) {
        v = json_object_get(meta, "size");
    }
    return json_is_integer(v) ? (apr_off_t)json_integer_value(v) : -1;
}

/* The path a file goes to: Uppy's relativePath, for a file from a folder,
 * ends with the file's name; anything else (the text "null" that a query
 * carries for plain files, a stale value) is no path, and the name is. */
static const char *path_of(const char *filename, const char *relative_path)
{
    apr_size_t n = relative_path ? strlen(relative_path) : 0, f = strlen(filename);

    if (n == f && !strcmp(relative_path, filename)) {
        return relative_path;
    }
    if (n > f && !strcmp(relative_path + n - f, filename) &&
        (relative_path[n - f - 1] == '/' || relative_path[n - f - 1] == '\\')) {
        return relative_path;
    }
    return filename;
}

/* Choose and reserve the key for a new file of the caller's. */
static int new_key(const char **key, s3up_upload_ctx_t *up, const s3up_endpoint_t *ep,
                   const char *filename, const char *relative_path, apr_time_t reserve_until)
{
    const char *rel, *why;
    s3up_error_t *err;
    apr_status_t rv;

    if (!filename || !*filename) {
        return s3up_reply_error(up->r, HTTP_BAD_REQUEST, "BadRequest", "filename is missing");
    }
    rv = s3up_keys_relpath(&rel, path_of(filename, relative_path), &why, up->r->pool);
    if (rv != APR_SUCCESS) {
        return s3up_reply_error(up->r, HTTP_BAD_REQUEST, "InvalidKey", "%s", why);
    }
    rv = s3up_store_claim_key(key, &up->store, ep->prefix, rel, reserve_until, &err, up->r->pool);
    if (rv != APR_SUCCESS) {
        return s3up_reply_s3_error(up->r, err, "NoSuchEndpoint");
    }
    return OK;
}

static int route_create(s3up_upload_ctx_t *up)
{
    request_rec *r = up->r;
    json_t *body, *meta;
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    const char *filename, *key, *upload_id;
    apr_off_t size, limit;
    apr_status_t rv;
    int rc;

    if ((rc = s3up_read_json(&body, r)) != OK || (rc = endpoint_default(&ep, up, 1)) != OK) {
        return rc;
    }
    meta = json_object_get(body, "metadata");
    filename = s3up_json_str(body, "filename");
    size = declared_size(body, meta);
    limit = limit_of(up, ep);
    if (size > limit) {
        return s3up_reply_error(r, HTTP_REQUEST_ENTITY_TOO_LARGE, "TooLarge",
                                "the file is %" APR_OFF_T_FMT " bytes; at most %" APR_OFF_T_FMT
                                " may be uploaded here",
                                size, limit);
    }
    if ((rc = new_key(&key, up, ep, filename, s3up_json_str(meta, "relativePath"),
                      apr_time_now() + RESERVE_MULTIPART)) != OK) {
        return rc;
    }
    rv = s3up_s3_create_multipart(&upload_id, up->s3, key,
                                  content_type_of(s3up_json_str(body, "type")),
                                  object_meta(up, filename), &err, r->pool);
    if (rv != APR_SUCCESS) {
        s3up_store_release(&up->store, key, &err, r->pool);
        return s3up_reply_s3_error(r, err, "NoSuchEndpoint");
    }
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:s,s:s,s:s}", "key", key, "uploadId", upload_id, "bucket",
                                     up->s3->loc->bucket));
}

static int part_number(const char *s)
{
    char *end;
    long n = s ? strtol(s, &end, 10) : 0;
    return s && *s && !*end && n >= 1 && n <= S3UP_MAX_PARTS ? (int)n : 0;
}

/* Where the browser PUTs a part: straight to S3 (a presigned URL), or, in
 * proxy mode, to this location with a token, for httpd to pass on. */
static apr_status_t part_url(const char **url, s3up_upload_ctx_t *up, const s3up_endpoint_t *ep,
                             const char *key, const char *upload_id, int number)
{
    request_rec *r = up->r;
    apr_interval_time_t expires = s3up_conf_presign_expires(up->dc);
    apr_off_t max = limit_of(up, ep);
    const char *token;
    apr_status_t rv;

    if (s3up_conf_upload_mode(up->dc) != S3UP_MODE_PROXY) {
        return s3up_s3_presign_upload_part(url, up->s3, key, upload_id, number, expires, r->pool);
    }
    rv = s3up_token_part_make(
        &token, key, upload_id, number, max < S3UP_PART_SIZE_MAX ? max : S3UP_PART_SIZE_MAX,
        apr_time_now() + expires, s3up_conf_secret(s3up_conf_srv(r->server)), r->pool);
    if (rv == APR_SUCCESS) {
        *url = ap_construct_url(r->pool,
                                apr_psprintf(r->pool, "%s%s%s/s3/multipart/%s/%d/data?key=%s&t=%s",
                                             up->base, up->chosen ? "/e/" : "",
                                             up->chosen ? up->chosen : "",
                                             s3up_sigv4_uri_encode(upload_id, 0, r->pool), number,
                                             s3up_sigv4_uri_encode(key, 0, r->pool), token),
                                r);
    }
    return rv;
}

/* Proxy mode: the body of a part PUT, read as curl sends it on to S3. */
typedef struct part_body_t {
    request_rec *r;
    apr_off_t got;
} part_body_t;

static apr_status_t read_part_body(void *baton, char *buf, apr_size_t len, apr_size_t *nread,
                                   int rewind)
{
    part_body_t *b = baton;
    long n;

    if (rewind) {
        return b->got == 0 ? APR_SUCCESS : APR_ENOTIMPL;
    }
    n = ap_get_client_block(b->r, buf, len);
    if (n < 0) {
        return APR_EGENERAL;
    }
    b->got += n;
    *nread = (apr_size_t)n;
    return APR_SUCCESS;
}

/* PUT s3/multipart/{uploadId}/{n}/data?key=&t= (proxy mode). httpd's
 * authentication guards it like every route of the location; the token,
 * made when the part was signed for someone who may write the key, binds
 * the URL to that part and size for its lifetime. The bytes stream on to
 * S3 with bounded memory. */
static int route_part_data(s3up_upload_ctx_t *up, const char *upload_id, const char *n)
{
    request_rec *r = up->r;
    const char *key = s3up_arg(r, "key"), *clen = apr_table_get(r->headers_in, "Content-Length");
    const char *etag;
    part_body_t body = {r, 0};
    s3up_error_t *err;
    apr_off_t max = 0, size;
    apr_status_t rv;
    int number = part_number(n), rc;

    rv = s3up_token_part_check(&max, s3up_arg(r, "t"), key, upload_id, number, apr_time_now(),
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
    size = apr_atoi64(clen);
    if (size < 0) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "a bad Content-Length");
    }
    if (size > max) {
        return s3up_reply_error(r, HTTP_REQUEST_ENTITY_TOO_LARGE, "TooLarge",
                                "a part may be at most %" APR_OFF_T_FMT " bytes here", max);
    }
    if ((rc = s3up_req_s3(&up->s3, r, up->dc)) != OK) {
        return rc;
    }
    if (ap_setup_client_block(r, REQUEST_CHUNKED_ERROR) != OK || !ap_should_client_block(r)) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "the part cannot be read");
    }
    rv = s3up_s3_upload_part(&etag, up->s3, key, upload_id, number, read_part_body, &body, size,
                             &err, r->pool);
    if (body.got < size) {
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

static int route_sign_part(s3up_upload_ctx_t *up, const char *upload_id, const char *n)
{
    request_rec *r = up->r;
    const char *key = s3up_arg(r, "key"), *url;
    apr_interval_time_t expires = s3up_conf_presign_expires(up->dc);
    s3up_endpoint_t *ep;
    int number = part_number(n), rc;

    if (!number) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                "part numbers go from 1 to 10000");
    }
    if ((rc = endpoint_of_key(&ep, up, key, 1)) != OK) {
        return rc;
    }
    if (part_url(&url, up, ep, key, upload_id, number) != APR_SUCCESS) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "this part cannot be signed");
    }
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:o,s:I}", "url", s3up_json_string(url), "expires",
                                     (json_int_t)apr_time_sec(expires)));
}

static int route_sign_batch(s3up_upload_ctx_t *up, const char *upload_id)
{
    request_rec *r = up->r;
    const char *key = s3up_arg(r, "key"), *numbers = s3up_arg(r, "partNumbers");
    s3up_endpoint_t *ep;
    json_t *urls;
    char *list, *tok, *last;
    int rc, count = 0;

    if (!numbers || !*numbers) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "partNumbers is missing");
    }
    if ((rc = endpoint_of_key(&ep, up, key, 1)) != OK) {
        return rc;
    }
    urls = s3up_json_own(json_object(), r->pool);
    list = apr_pstrdup(r->pool, numbers);
    for (tok = apr_strtok(list, ",", &last); tok; tok = apr_strtok(NULL, ",", &last)) {
        const char *url;
        int number = part_number(tok);
        if (!number || ++count > BATCH_MAX) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                    "partNumbers: up to %d numbers from 1 to 10000", BATCH_MAX);
        }
        if (part_url(&url, up, ep, key, upload_id, number) != APR_SUCCESS) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                    "this part cannot be signed");
        }
        json_object_set_new(urls, apr_itoa(r->pool, number), s3up_json_string(url));
    }
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:O,s:I}", "presignedUrls", urls, "expires",
                                     (json_int_t)apr_time_sec(s3up_conf_presign_expires(up->dc))));
}

static int route_list_parts(s3up_upload_ctx_t *up, const char *upload_id)
{
    request_rec *r = up->r;
    const char *key = s3up_arg(r, "key");
    apr_array_header_t *parts;
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    json_t *list;
    int rc;

    if ((rc = endpoint_of_key(&ep, up, key, 1)) != OK) {
        return rc;
    }
    if (s3up_s3_list_parts(&parts, up->s3, key, upload_id, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_s3_error(r, err, "NoSuchUpload");
    }
    list = json_array();
    for (int i = 0; i < parts->nelts; i++) {
        const s3up_part_t *part = &APR_ARRAY_IDX(parts, i, s3up_part_t);
        json_array_append_new(list, json_pack("{s:i,s:s,s:I,s:s}", "PartNumber", part->number,
                                              "ETag", part->etag ? part->etag : "", "Size",
                                              (json_int_t)part->size, "LastModified",
                                              s3up_iso8601(part->last_modified, r->pool)));
    }
    return s3up_reply_json(r, HTTP_OK, list);
}

/* The parts a client asks to complete: [{PartNumber, ETag}], checked. */
static int parts_of(apr_array_header_t **out, s3up_upload_ctx_t *up, const json_t *body)
{
    const json_t *list = json_object_get(body, "parts");
    apr_array_header_t *parts;
    size_t i;
    json_t *item;

    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > S3UP_MAX_PARTS) {
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
            json_integer_value(n) > S3UP_MAX_PARTS || !etag || !*etag || strlen(etag) > 200) {
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

/* Over its limit: the upload is aborted (or the object removed), never kept. */
static int refuse_too_large(s3up_upload_ctx_t *up, const char *key, const char *upload_id,
                            apr_off_t size, apr_off_t limit)
{
    s3up_error_t *err;

    if (upload_id) {
        s3up_s3_abort(up->s3, key, upload_id, &err, up->r->pool);
    } else {
        s3up_s3_delete(up->s3, key, &err, up->r->pool);
    }
    s3up_store_release(&up->store, key, &err, up->r->pool);
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, up->r,
                  S3UP_LOGNO(0302) "refused %s by %s: %" APR_OFF_T_FMT
                                   " bytes, limit %" APR_OFF_T_FMT,
                  key, up->who->name, size, limit);
    return s3up_reply_error(up->r, HTTP_REQUEST_ENTITY_TOO_LARGE, "TooLarge",
                            "the file is %" APR_OFF_T_FMT " bytes; at most %" APR_OFF_T_FMT
                            " may be uploaded here, so it was not kept",
                            size, limit);
}

static int complete_reply(s3up_upload_ctx_t *up, const char *key)
{
    return s3up_reply_json(up->r, HTTP_OK,
                           json_pack("{s:s,s:s,s:s}", "location",
                                     s3up_s3_url(up->s3->loc, key, up->r->pool), "key", key,
                                     "bucket", up->s3->loc->bucket));
}

/* The upload is gone and its key holds a file this person uploaded: it
 * was completed (keys are reserved per upload). */
static int completed_before(s3up_upload_ctx_t *up, const char *key)
{
    s3up_object_t *obj;
    s3up_error_t *err;
    const char *by;

    if (s3up_s3_head(&obj, up->s3, key, &err, up->r->pool) != APR_SUCCESS) {
        return 0;
    }
    by = apr_table_get(obj->meta, "uploaded-by");
    return by && !strcmp(by, meta_value(up->who->name, up->r->pool));
}

static int route_complete(s3up_upload_ctx_t *up, const char *upload_id)
{
    request_rec *r = up->r;
    const char *key = s3up_arg(r, "key");
    apr_array_header_t *wanted = NULL, *stored;
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    s3up_complete_t *done;
    s3up_object_t *obj;
    apr_off_t size = 0, limit;
    apr_status_t rv;
    json_t *body;
    int rc;

    if ((rc = endpoint_of_key(&ep, up, key, 1)) != OK || (rc = s3up_read_json(&body, r)) != OK ||
        (rc = parts_of(&wanted, up, body)) != OK) {
        return rc;
    }
    limit = limit_of(up, ep);
    /* What S3 holds for the parts asked for, before they become a file. */
    rv = s3up_s3_list_parts(&stored, up->s3, key, upload_id, &err, r->pool);
    if (rv == S3UP_ENOTFOUND && completed_before(up, key)) {
        /* Completed already, and the answer was lost on its way: the same
         * answer again, so a retried complete is not a failure. */
        return complete_reply(up, key);
    }
    if (rv != APR_SUCCESS) {
        return s3up_reply_s3_error(r, err, "NoSuchUpload");
    }
    for (int i = 0; i < stored->nelts; i++) {
        const s3up_part_t *have = &APR_ARRAY_IDX(stored, i, s3up_part_t);
        for (int j = 0; j < wanted->nelts; j++) {
            if (APR_ARRAY_IDX(wanted, j, s3up_part_t).number == have->number) {
                size += have->size;
                break;
            }
        }
    }
    if (size > limit) {
        return refuse_too_large(up, key, upload_id, size, limit);
    }
    if (s3up_s3_complete(&done, up->s3, key, upload_id, wanted, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_s3_error(r, err, "NoSuchUpload");
    }
    /* Parts replaced between the listing and the completion are caught
     * here, on the object itself. */
    if (s3up_s3_head(&obj, up->s3, key, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_s3_error(r, err, "NoSuchUpload");
    }
    if (obj->size > limit) {
        return refuse_too_large(up, key, NULL, obj->size, limit);
    }
    s3up_store_release(&up->store, key, &err, r->pool);
    apr_table_setn(r->subprocess_env, "S3UP_USER", up->who->name);
    apr_table_setn(r->subprocess_env, "S3UP_ENDPOINT", ep->id);
    apr_table_setn(r->subprocess_env, "S3UP_KEY", key);
    apr_table_setn(r->subprocess_env, "S3UP_BYTES", apr_off_t_toa(r->pool, obj->size));
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                  S3UP_LOGNO(0303) "upload complete: user=%s via=%s endpoint=%s key=%s "
                                   "bytes=%" APR_OFF_T_FMT,
                  up->who->name, up->who->via, ep->id, key, obj->size);
    return complete_reply(up, key);
}

static int route_abort(s3up_upload_ctx_t *up, const char *upload_id)
{
    request_rec *r = up->r;
    const char *key = s3up_arg(r, "key");
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    apr_status_t rv;
    int rc;

    /* Cancelling frees storage, so it is allowed on a closed endpoint too. */
    if ((rc = endpoint_of_key(&ep, up, key, 0)) != OK) {
        return rc;
    }
    rv = s3up_s3_abort(up->s3, key, upload_id, &err, r->pool);
    if (rv != APR_SUCCESS && rv != S3UP_ENOTFOUND) {
        return s3up_reply_s3_error(r, err, "NoSuchUpload");
    }
    s3up_store_release(&up->store, key, &err, r->pool);
    return s3up_reply_json(r, HTTP_OK, json_object());
}

/* GET /s3/params: a browser form upload (POST policy) pinned to one key,
 * size limited by S3 itself. */
static int route_params(s3up_upload_ctx_t *up)
{
    request_rec *r = up->r;
    apr_interval_time_t expires = s3up_conf_presign_expires(up->dc);
    const char *filename = s3up_arg(r, "filename"), *size_arg = s3up_arg(r, "size"), *key;
    const char *type = content_type_of(s3up_arg(r, "type"));
    s3up_endpoint_t *ep;
    s3up_post_t *post;
    apr_off_t limit;
    json_t *fields;
    int rc;

    if (s3up_conf_upload_mode(up->dc) == S3UP_MODE_PROXY) {
        return s3up_reply_error(r, HTTP_CONFLICT, "Conflict",
                                "this location takes files through the server: upload in parts "
                                "(s3/multipart)");
    }
    if ((rc = endpoint_default(&ep, up, 1)) != OK) {
        return rc;
    }
    limit = limit_of(up, ep);
    if (limit > POST_OBJECT_MAX) {
        limit = POST_OBJECT_MAX;
    }
    if (!size_arg) {
        size_arg = s3up_arg(r, "metadata[size]");
    }
    if (size_arg && apr_atoi64(size_arg) > limit) {
        return s3up_reply_error(r, HTTP_REQUEST_ENTITY_TOO_LARGE, "TooLarge",
                                "the file is %s bytes; at most %" APR_OFF_T_FMT
                                " may be uploaded here in one piece",
                                size_arg, limit);
    }
    if ((rc = new_key(&key, up, ep, filename, s3up_arg(r, "metadata[relativePath]"),
                      apr_time_now() + expires)) != OK) {
        return rc;
    }
    if (s3up_s3_post_policy(&post, up->s3, key, limit, type, object_meta(up, filename), expires,
                            r->pool) != APR_SUCCESS) {
        return s3up_reply_error(r, HTTP_INTERNAL_SERVER_ERROR, "StoreError",
                                "the upload form could not be signed");
    }
    fields = s3up_json_own(json_object(), r->pool);
    for (int i = 0; i < post->fields->nelts; i++) {
        const s3up_kv_t *f = &APR_ARRAY_IDX(post->fields, i, s3up_kv_t);
        json_object_set_new(fields, f->name, json_string(f->value));
    }
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:s,s:s,s:O,s:I}", "method", "POST", "url", post->url,
                                     "fields", fields, "expires",
                                     (json_int_t)apr_time_sec(expires)));
}

static json_t *endpoint_json(const s3up_upload_ctx_t *up, const s3up_endpoint_t *ep)
{
    return json_pack(
        "{s:s,s:I,s:o,s:s}", "id", ep->id, "max_file_size", (json_int_t)limit_of(up, ep), "expires",
        ep->expires ? json_string(s3up_iso8601(ep->expires, up->r->pool)) : json_null(), "base",
        apr_pstrcat(up->r->pool, up->base, "/e/", ep->id, NULL));
}

static int route_session(s3up_upload_ctx_t *up)
{
    request_rec *r = up->r;
    apr_array_header_t *ids;
    json_t *list = json_array(), *reply;
    int rc;

    reply = s3up_json_own(
        json_pack("{s:{s:s,s:s},s:o,s:I,s:i,s:s}", "user", "name", up->who->name, "via",
                  up->who->via, "endpoints", list, "part_size",
                  (json_int_t)s3up_conf_part_size(up->dc), "parts_in_flight",
                  s3up_conf_parts_in_flight(up->dc), "mode",
                  s3up_conf_upload_mode(up->dc) == S3UP_MODE_PROXY ? "proxy" : "direct"),
        r->pool);
    if ((rc = my_endpoint_ids(&ids, up)) != OK) {
        return rc;
    }
    for (int i = 0; i < ids->nelts; i++) {
        const char *id = APR_ARRAY_IDX(ids, i, const char *);
        s3up_endpoint_t *ep;
        s3up_error_t *err;

        if (up->chosen && strcmp(up->chosen, id)) {
            continue;
        }
        if (s3up_store_endpoint_get(&ep, &up->store, id, &err, r->pool) == APR_SUCCESS &&
            is_member(up, ep) && s3up_store_endpoint_open(ep, apr_time_now())) {
            json_array_append_new(list, endpoint_json(up, ep));
        }
    }
    return s3up_reply_json(r, HTTP_OK, json_incref(reply));
}

static int route_files(s3up_upload_ctx_t *up)
{
    request_rec *r = up->r;
    const char *id = s3up_arg(r, "endpoint"), *cursor = s3up_arg(r, "cursor");
    s3up_object_page_t *page;
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    int rc;

    if (id && up->chosen && strcmp(id, up->chosen)) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                "endpoint does not match the path");
    }
    rc = id ? endpoint_get(&ep, up, id, 0) : endpoint_default(&ep, up, 0);
    if (rc != OK) {
        return rc;
    }
    if (s3up_s3_list_objects(&page, up->s3, ep->prefix, NULL, cursor, 1000, &err, r->pool) !=
        APR_SUCCESS) {
        return s3up_reply_s3_error(r, err, "NoSuchEndpoint");
    }
    return s3up_reply_json(r, HTTP_OK, s3up_files_json(page, ep->prefix, r->pool));
}

/* The API under s3/ and api/: the routes of DESIGN.md §4. */
static int route_api(s3up_upload_ctx_t *up, const char *path)
{
    request_rec *r = up->r;
    int m = r->method_number;
    char *rest, *upload_id, *tail;

    if (!strcmp(path, "api/session")) {
        return m == M_GET ? route_session(up) : s3up_reply_not_allowed(r);
    }
    if (!strcmp(path, "api/files")) {
        return m == M_GET ? route_files(up) : s3up_reply_not_allowed(r);
    }
    if (!strcmp(path, "s3/params")) {
        return m == M_GET ? route_params(up) : s3up_reply_not_allowed(r);
    }
    if (!strcmp(path, "s3/multipart")) {
        return m == M_POST ? route_create(up) : s3up_reply_not_allowed(r);
    }
    if (strncmp(path, "s3/multipart/", 13)) {
        return s3up_reply_error(r, HTTP_NOT_FOUND, "BadRequest", "no such route");
    }
    rest = apr_pstrdup(r->pool, path + 13);
    upload_id = rest;
    tail = strchr(rest, '/');
    if (tail) {
        *tail++ = '\0';
    }
    if (!*upload_id || strlen(upload_id) > 1024) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "the upload id is missing");
    }
    if (!tail) {
        if (m == M_GET) {
            return route_list_parts(up, upload_id);
        }
        return m == M_DELETE ? route_abort(up, upload_id) : s3up_reply_not_allowed(r);
    }
    if (!strcmp(tail, "complete")) {
        return m == M_POST ? route_complete(up, upload_id) : s3up_reply_not_allowed(r);
    }
    if (!strcmp(tail, "batch")) {
        return m == M_GET ? route_sign_batch(up, upload_id) : s3up_reply_not_allowed(r);
    }
    if (!strchr(tail, '/')) {
        return m == M_GET ? route_sign_part(up, upload_id, tail) : s3up_reply_not_allowed(r);
    }
    return s3up_reply_error(r, HTTP_NOT_FOUND, "BadRequest", "no such route");
}

int s3up_upload_dispatch(s3up_upload_ctx_t *up, const char *path)
{
    request_rec *r = up->r;
    int state_changing = r->method_number != M_GET && r->method_number != M_OPTIONS;
    int rc;

    if (state_changing && !s3up_same_origin(r)) {
        return s3up_reply_error(r, HTTP_FORBIDDEN, "CrossOrigin",
                                "requests from other sites are refused");
    }
    if (!strncmp(path, "s3/multipart/", 13)) {
        /* s3/multipart/{uploadId}/{n}/data: a part through httpd, allowed
         * by its token (what it may be checked when it was signed). */
        const char *id = path + 13, *slash = strchr(id, '/'), *slash2;
        if (slash && (slash2 = strchr(slash + 1, '/')) != NULL && !strcmp(slash2, "/data")) {
            if (r->method_number != M_PUT) {
                return s3up_reply_not_allowed(r);
            }
            if (s3up_conf_upload_mode(up->dc) != S3UP_MODE_PROXY) {
                return s3up_reply_error(r, HTTP_NOT_FOUND, "BadRequest",
                                        "parts go straight to S3 from this location");
            }
            return route_part_data(up, apr_pstrmemdup(r->pool, id, slash - id),
                                   apr_pstrmemdup(r->pool, slash + 1, slash2 - slash - 1));
        }
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
    return route_api(up, path);
}

/* Paths of the API; everything else under the location is the portal. */
int s3up_upload_is_api(const char *path)
{
    return !strncmp(path, "s3/", 3) || !strncmp(path, "api/", 4);
}

/* The path below the location, with /e/{id}/ taken off into up->chosen.
 * NULL for the location itself without its trailing '/'. */
static const char *split_path(s3up_upload_ctx_t *up)
{
    request_rec *r = up->r;
    apr_size_t n = strlen(up->base);
    const char *path, *slash;

    if (strncmp(r->uri, up->base, n) || r->uri[n] != '/') {
        return NULL;
    }
    path = r->uri + n + 1;
    if (!strncmp(path, "e/", 2)) {
        slash = strchr(path + 2, '/');
        up->chosen = slash ? apr_pstrmemdup(r->pool, path + 2, slash - path - 2)
                           : apr_pstrdup(r->pool, path + 2);
        path = slash ? slash + 1 : NULL;
    }
    return path;
}

int s3up_upload_handler(request_rec *r)
{
    s3up_upload_ctx_t *up;
    const char *path;

    if (strcmp(r->handler, "s3up-upload")) {
        return DECLINED;
    }
    up = apr_pcalloc(r->pool, sizeof(*up));
    up->r = r;
    up->dc = ap_get_module_config(r->per_dir_config, &s3up_module);
    up->base = s3up_req_base(r);
    path = split_path(up);
    if (!path) {
        /* "/upload" or "/upload/e/acme": the pages want the folder form. */
        return r->method_number == M_GET ? s3up_pages_redirect_slash(r) : HTTP_NOT_FOUND;
    }
    if (up->chosen && !s3up_store_id_valid(up->chosen)) {
        return s3up_reply_error(r, HTTP_NOT_FOUND, "NoSuchEndpoint",
                                "there is no upload endpoint of that name");
    }
    if (!s3up_upload_is_api(path)) {
        return s3up_pages_serve(r, "upload", path);
    }
    up->who = s3up_identity(r, up->dc);
    return s3up_upload_dispatch(up, path);
}
