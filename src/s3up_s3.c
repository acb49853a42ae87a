/*
 * S3 operations: build the request, sign it, send it through the
 * transport, retry what is safe to retry, and turn the answer into a typed
 * result or one s3up_error_t.
 */
#include <stdlib.h>

#include <apr_date.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <jansson.h>

#include "s3up_s3.h"
#include "s3up_xml.h"
#include "s3up_util.h"

#define LIST_MAX_RESPONSE (8 * 1024 * 1024)

/* One S3 request, before signing: the engine's call, and what S3 adds. */
typedef struct call_t {
    s3up_aws_call_t aws;
    const char *key;  /* NULL: the bucket itself */
    int error_in_200; /* a 200 answer may carry an <Error> body */
} call_t;

void s3up_s3_init(s3up_s3_t *s3, const s3up_s3_loc_t *loc, const s3up_creds_t *creds,
                  s3up_sigv4_t *signer, s3up_http_t *http)
{
    s3->loc = loc;
    s3up_aws_init(&s3->aws, "s3", loc->region, creds, signer, http);
    memset(&s3->storage, 0, sizeof(s3->storage));
}

apr_status_t s3up_s3_loc_init(s3up_s3_loc_t *loc, const char *server_url, const char *region,
                              const char *bucket, int path_style, apr_pool_t *p)
{
    if (s3up_aws_server_parse(&loc->server, server_url, p) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    loc->region = region;
    loc->bucket = bucket;
    loc->path_style = path_style;
    loc->host = path_style ? loc->server.host : apr_pstrcat(p, bucket, ".", loc->server.host, NULL);
    loc->origin = apr_pstrcat(p, loc->server.https ? "https://" : "http://", loc->host, NULL);
    loc->base_path = path_style ? apr_pstrcat(p, "/", bucket, NULL) : "";
    return APR_SUCCESS;
}

static const char *key_path(const s3up_s3_loc_t *loc, const char *key, apr_pool_t *p)
{
    if (!key) {
        return *loc->base_path ? loc->base_path : "/";
    }
    return apr_pstrcat(p, loc->base_path, "/", s3up_uri_encode(key, 1, p), NULL);
}

const char *s3up_s3_url(const s3up_s3_loc_t *loc, const char *key, apr_pool_t *p)
{
    return apr_pstrcat(p, loc->origin, key_path(loc, key, p), NULL);
}

static const char *query_string(const apr_array_header_t *query, apr_pool_t *p)
{
    const s3up_kv_t *kv = (const s3up_kv_t *)query->elts;
    apr_array_header_t *parts = apr_array_make(p, query->nelts, sizeof(const char *));
    for (int i = 0; i < query->nelts; i++) {
        APR_ARRAY_PUSH(parts, const char *) = apr_pstrcat(p, s3up_uri_encode(kv[i].name, 0, p), "=",
                                                          s3up_uri_encode(kv[i].value, 0, p), NULL);
    }
    return apr_array_pstrcat(p, parts, '&');
}

static apr_array_header_t *kvs(apr_pool_t *p)
{
    return apr_array_make(p, 8, sizeof(s3up_kv_t));
}

/* Header values we send must not break the request apart. */
static int header_value_ok(const char *v)
{
    for (; *v; v++) {
        if ((unsigned char)*v < 0x20 || *v == 0x7f) {
            return 0;
        }
    }
    return 1;
}

static const char *code_for_status(int status, int head)
{
    switch (status) {
    case 400:
        return "BadRequest";
    case 403:
        return "AccessDenied";
    case 404:
        return head ? "NoSuchKey" : "NotFound";
    case 409:
        return "Conflict";
    case 412:
        return "PreconditionFailed";
    case 500:
        return "InternalError";
    case 503:
        return "ServiceUnavailable";
    default:
        return "UnknownError";
    }
}

/* The one place where S3's answers become our error type. */
static s3up_error_t *error_from_response(const call_t *c, const s3up_http_resp_t *resp,
                                         apr_pool_t *p)
{
    s3up_error_t *e = s3up_error_make(S3UP_ES3, resp->status, NULL, NULL, p);

    if (resp->body_len == 0 ||
        s3up_xml_parse_error(e, resp->body, resp->body_len, p) != APR_SUCCESS) {
        e->code = code_for_status(resp->status, c->aws.head);
    }
    if (!e->message || !*e->message) {
        e->message = apr_psprintf(p, "%s answered HTTP %d", c->aws.op, resp->status);
    }
    if (!e->request_id) {
        e->request_id = apr_table_get(resp->headers, "x-amz-request-id");
    }
    if (resp->status == 404) {
        e->status = S3UP_ENOTFOUND;
    } else if (resp->status == 412 || !strcmp(e->code, "ConditionalRequestConflict")) {
        e->status = S3UP_ECONFLICT;
    }
    e->retryable = resp->status == 500 || resp->status == 502 || resp->status == 503 ||
                   resp->status == 504 || !strcmp(e->code, "SlowDown") ||
                   !strcmp(e->code, "InternalError") || !strcmp(e->code, "RequestTimeout");
    return e;
}

/* S3's reading of an answer: a 2xx is a success, unless the call may
 * carry an <Error> in a 200 (CompleteMultipartUpload). */
static s3up_error_t *read_answer(const s3up_aws_call_t *ac, const s3up_http_resp_t *resp,
                                 apr_pool_t *p)
{
    const call_t *c = ac->baton;
    s3up_error_t *e;

    if (resp->status >= 300) {
        return error_from_response(c, resp, p);
    }
    if (!c->error_in_200 || !resp->body_len) {
        return NULL;
    }
    e = s3up_error_make(S3UP_ES3, resp->status, NULL, NULL, p);
    if (s3up_xml_parse_error(e, resp->body, resp->body_len, p) != APR_SUCCESS) {
        return NULL;
    }
    e->retryable = !strcmp(e->code, "InternalError") || !strcmp(e->code, "SlowDown");
    return e;
}

/* Did a failed attempt leave S3 unchanged, so that even a call that is
 * not idempotent may be sent again? A 503 (SlowDown, or a store that is
 * unavailable) is S3 turning the request away before doing anything. A 500
 * or a lost answer leaves it unknown. */
static int changed_nothing(const s3up_error_t *e)
{
    return e->http_status == 503 || (e->http_status && !strcmp(e->code, "SlowDown"));
}

/* A new call of op on key, with an empty query and headers. */
static call_t *call(const char *op, const char *method, const char *key, int idempotent,
                    apr_pool_t *p)
{
    call_t *c = apr_pcalloc(p, sizeof(*c));

    c->aws.op = op;
    c->aws.method = method;
    c->aws.idempotent = idempotent;
    c->aws.query = kvs(p);
    c->aws.headers = kvs(p);
    c->key = key;
    return c;
}

/* name=value in the query, when there is a value. */
static void add_if(call_t *c, const char *name, const char *value)
{
    if (value && *value) {
        s3up_kv_add(c->aws.query, name, value);
    }
}

/* c made ready for the call engine. */
static void s3_prepare(s3up_s3_t *s3, call_t *c, apr_pool_t *p)
{
    s3up_aws_call_t *ac = &c->aws;

    ac->path = key_path(s3->loc, c->key, p);
    ac->host = s3->loc->host;
    ac->url = apr_pstrcat(p, s3->loc->origin, ac->path, ac->query->nelts ? "?" : "",
                          ac->query->nelts ? query_string(ac->query, p) : "", NULL);
    ac->payload_hash = ac->body_read ? S3UP_SIGV4_UNSIGNED_PAYLOAD
                       : ac->body    ? s3up_sha256_hex(ac->body, ac->body_len, p)
                                     : S3UP_SIGV4_EMPTY_SHA256;
    ac->baton = c;
    ac->read_answer = read_answer;
    ac->changed_nothing = changed_nothing;
}

static apr_status_t s3_call(s3up_http_resp_t **out, s3up_s3_t *s3, call_t *c, s3up_error_t **err,
                            apr_pool_t *p)
{
    s3_prepare(s3, c, p);
    return s3up_aws_call(out, &s3->aws, &c->aws, err, p);
}

/* A call whose answer is parsed: rv, or BadResponse when the answer is
 * unreadable. */
static apr_status_t readable(apr_status_t rv, const call_t *c, s3up_error_t **err, apr_pool_t *p)
{
    return rv == APR_SUCCESS
               ? rv
               : s3up_failf(err, rv, "BadResponse", p, "%s: unreadable answer", c->aws.op);
}

static apr_status_t add_meta(apr_array_header_t *headers, const apr_table_t *meta, apr_pool_t *p)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *ent;

    if (!meta) {
        return APR_SUCCESS;
    }
    arr = apr_table_elts(meta);
    ent = (const apr_table_entry_t *)arr->elts;
    for (int i = 0; i < arr->nelts; i++) {
        if (!header_value_ok(ent[i].key) || !header_value_ok(ent[i].val) ||
            strpbrk(ent[i].key, " :")) {
            return APR_EINVAL;
        }
        s3up_kv_add(headers, apr_pstrcat(p, "x-amz-meta-", ent[i].key, NULL), ent[i].val);
    }
    return APR_SUCCESS;
}

/* The x-amz-* settings of how an object is stored, as headers or POST
 * fields: encryption always, the storage class for files. */
static void add_storage(apr_array_header_t *kvs, const s3up_s3_storage_t *st, int file)
{
    if (st->sse) {
        s3up_kv_add(kvs, "x-amz-server-side-encryption", st->sse);
    }
    if (st->sse && st->kms_key_id) {
        s3up_kv_add(kvs, "x-amz-server-side-encryption-aws-kms-key-id", st->kms_key_id);
    }
    if (file && st->storage_class) {
        s3up_kv_add(kvs, "x-amz-storage-class", st->storage_class);
    }
}

apr_status_t s3up_s3_create_multipart(const char **upload_id, s3up_s3_t *s3, const char *key,
                                      const char *content_type, const apr_table_t *meta,
                                      s3up_error_t **err, apr_pool_t *p)
{
    call_t *c = call("CreateMultipartUpload", "POST", key, 0, p);
    s3up_http_resp_t *resp;
    apr_status_t rv;

    s3up_kv_add(c->aws.query, "uploads", "");
    if ((content_type && !header_value_ok(content_type)) ||
        add_meta(c->aws.headers, meta, p) != APR_SUCCESS) {
        return s3up_fail(err, APR_EINVAL, "InvalidArgument", "bad content type or metadata", p);
    }
    if (content_type) {
        s3up_kv_add(c->aws.headers, "content-type", content_type);
    }
    add_storage(c->aws.headers, &s3->storage, 1);
    c->aws.body = "";
    if ((rv = s3_call(&resp, s3, c, err, p)) != APR_SUCCESS) {
        return rv;
    }
    return readable(s3up_xml_parse_initiate(upload_id, resp->body, resp->body_len, p), c, err, p);
}

/* headers: signed beside host; may be NULL. */
static apr_status_t presign(const char **url, s3up_s3_t *s3, const char *method, const char *key,
                            apr_array_header_t *query, apr_array_header_t *headers,
                            apr_interval_time_t expires, apr_pool_t *p)
{
    s3up_sigv4_req_t sreq = {0};
    const char *qs;
    apr_status_t rv;

    if (expires < apr_time_from_sec(1) || expires > apr_time_from_sec(7 * 24 * 3600)) {
        return APR_EINVAL;
    }
    sreq.method = method;
    sreq.path = key_path(s3->loc, key, p);
    sreq.query = query;
    sreq.headers = headers ? headers : kvs(p);
    s3up_kv_add(sreq.headers, "host", s3->loc->host);
    sreq.payload_hash = S3UP_SIGV4_UNSIGNED_PAYLOAD;
    sreq.region = s3->loc->region;
    sreq.service = "s3";
    sreq.now = s3->aws.now();
    rv = s3up_sigv4_presign(&qs, s3->aws.signer, &sreq, s3->aws.creds, expires, p);
    if (rv == APR_SUCCESS) {
        *url = apr_pstrcat(p, s3->loc->origin, sreq.path, "?", qs, NULL);
    }
    return rv;
}

apr_status_t s3up_s3_presign_upload_part(const char **url, s3up_s3_t *s3, const char *key,
                                         const char *upload_id, int part_number,
                                         apr_off_t content_length, apr_interval_time_t expires,
                                         apr_pool_t *p)
{
    apr_array_header_t *query = kvs(p), *headers = kvs(p);

    if (part_number < 1 || part_number > S3UP_PARTS_MAX || !upload_id || !*upload_id ||
        content_length < 0) {
        return APR_EINVAL;
    }
    s3up_kv_add(query, "partNumber", apr_itoa(p, part_number));
    s3up_kv_add(query, "uploadId", upload_id);
    s3up_kv_add(headers, "content-length", apr_off_t_toa(p, content_length));
    return presign(url, s3, "PUT", key, query, headers, expires, p);
}

apr_status_t s3up_s3_presign_get(const char **url, s3up_s3_t *s3, const char *key,
                                 const char *disposition, apr_interval_time_t expires,
                                 apr_pool_t *p)
{
    apr_array_header_t *query = kvs(p);

    if (disposition) {
        s3up_kv_add(query, "response-content-disposition", disposition);
    }
    return presign(url, s3, "GET", key, query, NULL, expires, p);
}

apr_status_t s3up_s3_upload_part(const char **etag, s3up_s3_t *s3, const char *key,
                                 const char *upload_id, int part_number, s3up_http_read_fn *read,
                                 void *baton, apr_off_t size, s3up_error_t **err, apr_pool_t *p)
{
    /* The bytes come from a client as they arrive: they cannot be sent
     * again, so nothing is retried once a byte went out. */
    call_t *c = call("UploadPart", "PUT", key, 0, p);
    s3up_http_resp_t *resp;
    apr_status_t rv;

    if (part_number < 1 || part_number > S3UP_PARTS_MAX || size < 0) {
        return s3up_fail(err, APR_EINVAL, "InvalidArgument", "no such part", p);
    }
    s3up_kv_add(c->aws.query, "partNumber", apr_itoa(p, part_number));
    s3up_kv_add(c->aws.query, "uploadId", upload_id);
    c->aws.body_read = read;
    c->aws.body_baton = baton;
    c->aws.body_size = size;
    if ((rv = s3_call(&resp, s3, c, err, p)) == APR_SUCCESS) {
        *etag = apr_table_get(resp->headers, "etag");
    }
    return rv;
}

apr_status_t s3up_s3_list_parts(apr_array_header_t **parts, s3up_s3_t *s3, const char *key,
                                const char *upload_id, s3up_error_t **err, apr_pool_t *p)
{
    apr_array_header_t *all = apr_array_make(p, 16, sizeof(s3up_part_t));
    int marker = 0;

    for (;;) {
        call_t *c = call("ListParts", "GET", key, 1, p);
        s3up_http_resp_t *resp;
        s3up_part_page_t *page;
        apr_status_t rv;

        s3up_kv_add(c->aws.query, "uploadId", upload_id);
        s3up_kv_add(c->aws.query, "max-parts", "1000");
        add_if(c, "part-number-marker", marker ? apr_itoa(p, marker) : NULL);
        c->aws.max_response = LIST_MAX_RESPONSE;
        if ((rv = s3_call(&resp, s3, c, err, p)) != APR_SUCCESS ||
            (rv = readable(s3up_xml_parse_list_parts(&page, resp->body, resp->body_len, p), c, err,
                           p)) != APR_SUCCESS) {
            return rv;
        }
        apr_array_cat(all, page->parts);
        if (!page->truncated) {
            break;
        }
        /* A marker that does not move on, or more parts than S3 allows,
         * would page forever. */
        if (page->next_marker <= marker || all->nelts > S3UP_PARTS_MAX) {
            return s3up_fail(err, S3UP_EPARSE, "BadResponse", "ListParts: paging does not advance",
                             p);
        }
        marker = page->next_marker;
    }
    *parts = all;
    return APR_SUCCESS;
}

apr_status_t s3up_s3_complete(s3up_complete_t **out, s3up_s3_t *s3, const char *key,
                              const char *upload_id, const apr_array_header_t *parts,
                              s3up_error_t **err, apr_pool_t *p)
{
    /* S3 may answer 200 and only then fail; completing again is safe. */
    call_t *c = call("CompleteMultipartUpload", "POST", key, 1, p);
    s3up_http_resp_t *resp;
    s3up_error_t *in_body = NULL;
    const char *xml;
    apr_status_t rv;

    if (s3up_xml_build_complete(&xml, parts, p) != APR_SUCCESS) {
        return s3up_fail(err, APR_EINVAL, "InvalidPart",
                         "the part list is empty, repeated or out of range", p);
    }
    s3up_kv_add(c->aws.query, "uploadId", upload_id);
    s3up_kv_add(c->aws.headers, "content-type", "application/xml");
    c->aws.body = xml;
    c->aws.body_len = strlen(xml);
    c->error_in_200 = 1;
    /* S3 takes a while to join thousands of parts (AWS keeps the line
     * alive with spaces meanwhile, but the whole exchange is bounded). */
    c->aws.budget = apr_time_from_sec(S3UP_S3_COMPLETE_BUDGET);
    if ((rv = s3_call(&resp, s3, c, err, p)) != APR_SUCCESS) {
        return rv;
    }
    rv = s3up_xml_parse_complete(out, &in_body, resp->body, resp->body_len, p);
    if (rv == S3UP_ES3 && in_body) {
        *err = in_body;
        return rv;
    }
    return readable(rv, c, err, p);
}

apr_status_t s3up_s3_abort(s3up_s3_t *s3, const char *key, const char *upload_id,
                           s3up_error_t **err, apr_pool_t *p)
{
    call_t *c = call("AbortMultipartUpload", "DELETE", key, 1, p);
    s3up_http_resp_t *resp;

    s3up_kv_add(c->aws.query, "uploadId", upload_id);
    return s3_call(&resp, s3, c, err, p);
}

apr_status_t s3up_s3_list_uploads(s3up_upload_page_t **out, s3up_s3_t *s3, const char *prefix,
                                  const char *key_marker, const char *upload_id_marker,
                                  int max_uploads, s3up_error_t **err, apr_pool_t *p)
{
    call_t *c = call("ListMultipartUploads", "GET", NULL, 1, p);
    s3up_http_resp_t *resp;
    apr_status_t rv;

    s3up_kv_add(c->aws.query, "uploads", "");
    add_if(c, "prefix", prefix);
    add_if(c, "key-marker", key_marker);
    add_if(c, "upload-id-marker", key_marker && *key_marker ? upload_id_marker : NULL);
    add_if(c, "max-uploads",
           max_uploads > 0 && max_uploads <= 1000 ? apr_itoa(p, max_uploads) : NULL);
    c->aws.max_response = LIST_MAX_RESPONSE;
    if ((rv = s3_call(&resp, s3, c, err, p)) != APR_SUCCESS) {
        return rv;
    }
    return readable(s3up_xml_parse_list_uploads(out, resp->body, resp->body_len, p), c, err, p);
}

apr_status_t s3up_s3_list_objects(s3up_object_page_t **out, s3up_s3_t *s3, const char *prefix,
                                  const char *delimiter, const char *continuation, int max_keys,
                                  s3up_error_t **err, apr_pool_t *p)
{
    call_t *c = call("ListObjectsV2", "GET", NULL, 1, p);
    s3up_http_resp_t *resp;
    apr_status_t rv;

    s3up_kv_add(c->aws.query, "list-type", "2");
    add_if(c, "prefix", prefix);
    add_if(c, "delimiter", delimiter);
    add_if(c, "continuation-token", continuation);
    add_if(c, "max-keys", max_keys > 0 && max_keys <= 1000 ? apr_itoa(p, max_keys) : NULL);
    c->aws.max_response = LIST_MAX_RESPONSE;
    if ((rv = s3_call(&resp, s3, c, err, p)) != APR_SUCCESS) {
        return rv;
    }
    return readable(s3up_xml_parse_list_objects(out, resp->body, resp->body_len, p), c, err, p);
}

typedef struct meta_ctx_t {
    apr_table_t *meta;
    apr_pool_t *p;
} meta_ctx_t;

static int collect_meta(void *baton, const char *name, const char *value)
{
    meta_ctx_t *m = baton;
    if (!strncasecmp(name, "x-amz-meta-", 11)) {
        apr_table_set(m->meta, apr_pstrdup(m->p, name + 11), value);
    }
    return 1;
}

static s3up_object_t *object_from_headers(const char *key, const apr_table_t *h, apr_pool_t *p)
{
    s3up_object_t *o = apr_pcalloc(p, sizeof(*o));
    meta_ctx_t m = {apr_table_make(p, 4), p};
    const char *v;

    o->key = key;
    if ((v = apr_table_get(h, "content-length")) != NULL) {
        o->size = apr_strtoi64(v, NULL, 10);
    }
    o->etag = apr_table_get(h, "etag");
    if ((v = apr_table_get(h, "last-modified")) != NULL) {
        o->last_modified = apr_date_parse_http(v);
    }
    o->content_type = apr_table_get(h, "content-type");
    apr_table_do(collect_meta, &m, h, NULL);
    o->meta = m.meta;
    return o;
}

apr_status_t s3up_s3_each(s3up_s3_t *s3, s3up_s3_listing_e what, const char *prefix, int max_pages,
                          int *complete, s3up_s3_each_fn *fn, void *baton, s3up_error_t **err,
                          apr_pool_t *p)
{
    const char *marker = NULL, *id_marker = NULL;
    int pages = 0;

    do {
        apr_array_header_t *items;
        apr_status_t rv;
        if (what == S3UP_S3_OBJECTS) {
            s3up_object_page_t *page;
            rv = s3up_s3_list_objects(&page, s3, prefix, NULL, marker, 1000, err, p);
            items = rv == APR_SUCCESS ? page->objects : NULL;
            marker = rv == APR_SUCCESS && page->truncated ? page->next_token : NULL;
        } else {
            s3up_upload_page_t *page;
            rv = s3up_s3_list_uploads(&page, s3, prefix, marker, id_marker, 1000, err, p);
            items = rv == APR_SUCCESS ? page->uploads : NULL;
            marker = rv == APR_SUCCESS && page->truncated ? page->next_key_marker : NULL;
            id_marker = rv == APR_SUCCESS ? page->next_upload_id_marker : NULL;
        }
        for (int i = 0; rv == APR_SUCCESS && i < items->nelts; i++) {
            const void *item = items->elts + (apr_size_t)i * (apr_size_t)items->elt_size;
            rv = fn(baton,
                    what == S3UP_S3_OBJECTS ? ((const s3up_object_t *)item)->key
                                            : ((const s3up_upload_t *)item)->key,
                    item);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    } while (marker && (!max_pages || ++pages < max_pages));
    if (complete) {
        *complete = marker == NULL;
    }
    return APR_SUCCESS;
}

apr_status_t s3up_s3_head(s3up_object_t **out, s3up_s3_t *s3, const char *key, s3up_error_t **err,
                          apr_pool_t *p)
{
    call_t *c = call("HeadObject", "HEAD", key, 1, p);
    s3up_http_resp_t *resp;
    apr_status_t rv;

    c->aws.head = 1;
    if ((rv = s3_call(&resp, s3, c, err, p)) == APR_SUCCESS) {
        *out = object_from_headers(key, resp->headers, p);
    }
    return rv;
}

void s3up_s3_head_all(s3up_object_t **outs, apr_status_t *rvs, s3up_error_t **errs, s3up_s3_t *s3,
                      const char *const *keys, int n, int at_once, apr_pool_t *p)
{
    const s3up_aws_call_t **calls = apr_pcalloc(p, sizeof(*calls) * (apr_size_t)(n > 0 ? n : 1));
    s3up_http_resp_t **resps = apr_pcalloc(p, sizeof(*resps) * (apr_size_t)(n > 0 ? n : 1));

    for (int i = 0; i < n; i++) {
        call_t *c = call("HeadObject", "HEAD", keys[i], 1, p);
        c->aws.head = 1;
        s3_prepare(s3, c, p);
        calls[i] = &c->aws;
    }
    s3up_aws_call_all(resps, rvs, errs, &s3->aws, calls, n, at_once, p);
    for (int i = 0; i < n; i++) {
        outs[i] = rvs[i] == APR_SUCCESS ? object_from_headers(keys[i], resps[i]->headers, p) : NULL;
    }
}

apr_status_t s3up_s3_get(s3up_body_t **out, s3up_s3_t *s3, const char *key, apr_size_t max_len,
                         s3up_error_t **err, apr_pool_t *p)
{
    call_t *c = call("GetObject", "GET", key, 1, p);
    s3up_http_resp_t *resp;
    s3up_body_t *b;
    apr_status_t rv;

    c->aws.max_response = max_len;
    if ((rv = s3_call(&resp, s3, c, err, p)) != APR_SUCCESS) {
        return rv;
    }
    b = apr_pcalloc(p, sizeof(*b));
    b->object = object_from_headers(key, resp->headers, p);
    b->data = resp->body;
    b->len = resp->body_len;
    *out = b;
    return APR_SUCCESS;
}

static const char *unquote(const char *etag, apr_pool_t *p)
{
    apr_size_t n = strlen(etag);
    if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"') {
        return apr_pstrmemdup(p, etag + 1, n - 2);
    }
    return etag;
}

apr_status_t s3up_s3_put(const char **etag, s3up_s3_t *s3, const char *key, const char *data,
                         apr_size_t len, const char *content_type, const s3up_put_cond_t *cond,
                         s3up_error_t **err, apr_pool_t *p)
{
    /* A conditional write repeated after a lost answer would conflict with
     * itself, so only unconditional ones are retried blindly. */
    int conditional = cond && (cond->if_none_match || cond->if_match);
    call_t *c = call("PutObject", "PUT", key, !conditional, p);
    /* Ceph RGW matches only the bare form of an ETag; AWS accepts both. */
    const char *bare = cond && cond->if_match ? unquote(cond->if_match, p) : NULL;
    s3up_http_resp_t *resp;
    apr_status_t rv;

    if ((content_type && !header_value_ok(content_type)) || (bare && !header_value_ok(bare))) {
        return s3up_fail(err, APR_EINVAL, "InvalidArgument", "bad content type or ETag", p);
    }
    if (content_type) {
        s3up_kv_add(c->aws.headers, "content-type", content_type);
    }
    if (cond && cond->if_none_match) {
        s3up_kv_add(c->aws.headers, "if-none-match", "*");
    }
    if (bare) {
        s3up_kv_add(c->aws.headers, "if-match", bare);
    }
    add_storage(c->aws.headers, &s3->storage, 0);
    c->aws.body = data ? data : "";
    c->aws.body_len = data ? len : 0;
    if ((rv = s3_call(&resp, s3, c, err, p)) == APR_SUCCESS && etag) {
        *etag = apr_table_get(resp->headers, "etag");
    }
    return rv;
}

apr_status_t s3up_s3_delete(s3up_s3_t *s3, const char *key, s3up_error_t **err, apr_pool_t *p)
{
    s3up_http_resp_t *resp;
    return s3_call(&resp, s3, call("DeleteObject", "DELETE", key, 1, p), err, p);
}

static void json_take(json_t *arr, json_t *item)
{
    json_array_append_new(arr, item);
}

apr_status_t s3up_s3_post_policy(s3up_post_t **out, s3up_s3_t *s3, const char *key,
                                 apr_off_t max_size, const char *content_type,
                                 const apr_table_t *meta, apr_interval_time_t expires,
                                 apr_pool_t *p)
{
    s3up_post_t *post;
    apr_array_header_t *fields = kvs(p), *signed_fields, *storage = kvs(p);
    const s3up_kv_t *kv;
    json_t *cond;
    char *text;
    apr_time_t now = s3->aws.now();
    apr_status_t rv;

    if (!key || !*key || max_size < 0 || expires < apr_time_from_sec(1) ||
        expires > apr_time_from_sec(7 * 24 * 3600)) {
        return APR_EINVAL;
    }
    cond = json_array();
    json_take(cond, json_pack("{s:s}", "bucket", s3->loc->bucket));
    json_take(cond, json_pack("[s,s,s]", "eq", "$key", key));
    json_take(cond, json_pack("[s,i,I]", "content-length-range", 0, (json_int_t)max_size));
    s3up_kv_add(fields, "key", key);
    if (content_type) {
        json_take(cond, json_pack("{s:s}", "Content-Type", content_type));
        s3up_kv_add(fields, "Content-Type", content_type);
    }
    if (meta) {
        const apr_array_header_t *arr = apr_table_elts(meta);
        const apr_table_entry_t *ent = (const apr_table_entry_t *)arr->elts;
        for (int i = 0; i < arr->nelts; i++) {
            const char *name = apr_pstrcat(p, "x-amz-meta-", ent[i].key, NULL);
            json_take(cond, json_pack("{s:s}", name, ent[i].val));
            s3up_kv_add(fields, name, ent[i].val);
        }
    }
    add_storage(storage, &s3->storage, 1);
    kv = (const s3up_kv_t *)storage->elts;
    for (int i = 0; i < storage->nelts; i++) {
        json_take(cond, json_pack("{s:s}", kv[i].name, kv[i].value));
        s3up_kv_add(fields, kv[i].name, kv[i].value);
    }
    text = json_dumps(cond, JSON_COMPACT);
    json_decref(cond);
    if (!text) {
        return APR_ENOMEM;
    }
    rv = s3up_sigv4_post_policy(&signed_fields, s3->aws.signer, text, now + expires,
                                s3->loc->region, now, s3->aws.creds, p);
    free(text);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_array_cat(fields, signed_fields);
    post = apr_pcalloc(p, sizeof(*post));
    post->url = apr_pstrcat(p, s3->loc->origin, s3->loc->base_path, "/", NULL);
    post->fields = fields;
    post->expires = now + expires;
    *out = post;
    return APR_SUCCESS;
}
