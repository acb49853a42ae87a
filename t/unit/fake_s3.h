/*
 * An in-memory S3 behind the transport's function table, for unit tests of
 * services that make many S3 calls: objects with conditional writes,
 * ListObjectsV2, multipart uploads and their listings, and faults injected
 * per operation. It answers as Ceph RGW 16 does where RGW and AWS differ.
 *
 * Path-style URLs only. Signatures are not checked: the real store does
 * that, this one models storage and conditions. PutObject bodies are kept
 * in memory; parts and completed multipart objects keep sizes, not bytes
 * (a GET of one says its size and sends no body).
 *
 * State lives in the fake's pool, one sub-pool per object and per upload,
 * destroyed on overwrite, delete, complete and abort, so thousands of calls
 * do not make it grow; answers come from the request pool.
 */
#ifndef S3UP_FAKE_S3_H
#define S3UP_FAKE_S3_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <apr_escape.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_md5.h>
#include <apr_strings.h>

#include "s3up_s3.h"
#include "s3up_store.h"
#include "s3up_util.h"

#define FAKE_S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"
#define FAKE_S3_XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define FAKE_S3_OWNER "<ID>fake</ID><DisplayName>fake</DisplayName>"

/* Every operation modelled: our index, AWS's name, the handler. */
#define FAKE_S3_OPS(X)                                                                             \
    X(PUT, "PutObject", fake_s3_put)                                                               \
    X(GET, "GetObject", fake_s3_get)                                                               \
    X(HEAD, "HeadObject", fake_s3_get)                                                             \
    X(DELETE, "DeleteObject", fake_s3_delete)                                                      \
    X(LIST, "ListObjectsV2", fake_s3_list)                                                         \
    X(CREATE, "CreateMultipartUpload", fake_s3_create_upload)                                      \
    X(PART, "UploadPart", fake_s3_upload_part)                                                     \
    X(LIST_PARTS, "ListParts", fake_s3_list_parts)                                                 \
    X(COMPLETE, "CompleteMultipartUpload", fake_s3_complete)                                       \
    X(ABORT, "AbortMultipartUpload", fake_s3_abort)                                                \
    X(LIST_UPLOADS, "ListMultipartUploads", fake_s3_list_uploads)
#define FAKE_S3_ENUM(op, name, handler) FAKE_S3_##op,
#define FAKE_S3_NAME(op, name, handler) name,
#define FAKE_S3_HANDLER(op, name, handler) handler,
enum { FAKE_S3_OPS(FAKE_S3_ENUM) FAKE_S3_N_OPS };

/* What happens to the next request of an operation. */
enum { FAKE_S3_NO_FAULT, FAKE_S3_ERROR, FAKE_S3_DROP, FAKE_S3_LOSE_ANSWER };

typedef struct fake_s3_object_t {
    apr_pool_t *pool; /* its own, destroyed when the key is written again or deleted */
    const char *key;  /* also its name in the bucket's hash */
    const char *data; /* NUL-terminated; empty for a completed multipart upload */
    apr_size_t len;
    apr_off_t size;
    const char *etag; /* quoted */
    const char *content_type;
    apr_table_t *meta; /* lower-case names without x-amz-meta- */
    apr_time_t mtime;
} fake_s3_object_t;

typedef struct fake_s3_part_t {
    int number;
    apr_off_t size;
    const char *etag; /* quoted */
    apr_time_t mtime;
} fake_s3_part_t;

typedef struct fake_s3_upload_t {
    apr_pool_t *pool; /* its own, destroyed on complete and abort */
    const char *id, *bucket, *key, *content_type;
    apr_table_t *meta;
    apr_time_t initiated;
    apr_array_header_t *parts; /* fake_s3_part_t, in arrival order */
} fake_s3_upload_t;

typedef struct fake_s3_fault_t {
    int op, kind, status;
    const char *code;
} fake_s3_fault_t;

typedef struct fake_s3_t {
    apr_pool_t *pool;
    apr_hash_t *buckets;        /* name -> apr_hash_t of key -> fake_s3_object_t */
    apr_hash_t *uploads;        /* upload id -> fake_s3_upload_t */
    apr_array_header_t *faults; /* fake_s3_fault_t, oldest first */
    int calls[FAKE_S3_N_OPS], total;
    int batches;         /* perform_all calls */
    apr_uint64_t serial; /* makes ETags, upload ids and request ids unique */
    apr_off_t min_part_size;
    apr_time_t (*now)(void);
    /* Called once after the next request of one operation was carried out:
     * a test's way to change the store between two calls of a service. */
    int after_op;
    void (*after)(struct fake_s3_t *f, void *baton);
    void *after_baton;
} fake_s3_t;

/* One request as the handlers see it. */
typedef struct fake_s3_req_t {
    const s3up_http_req_t *http;
    const char *origin, *bucket, *key; /* key NULL: the bucket itself */
    apr_table_t *query;                /* decoded */
    apr_pool_t *p;
    apr_status_t rv; /* set with detail when no answer is to come */
    const char *detail;
} fake_s3_req_t;

static inline int fake_s3_op(const char *name)
{
    static const char *const names[FAKE_S3_N_OPS] = {FAKE_S3_OPS(FAKE_S3_NAME)};
    for (int i = 0; i < FAKE_S3_N_OPS; i++) {
        if (!strcmp(names[i], name)) {
            return i;
        }
    }
    /* A misspelt name would make a test count or fail nothing, silently. */
    fprintf(stderr, "fake_s3: no operation named '%s'\n", name);
    abort();
}

/* 2025-11-29T11:01:33Z, whole seconds as HTTP dates have. */
static inline apr_time_t fake_s3_fixed_now(void)
{
    return APR_INT64_C(1764414093) * APR_USEC_PER_SEC;
}

static inline const char *fake_s3_iso(apr_time_t t, apr_pool_t *p)
{
    apr_time_exp_t tm;
    apr_time_exp_gmt(&tm, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_usec / 1000);
}

static inline const char *fake_s3_esc(const char *s, apr_pool_t *p)
{
    return apr_pescape_entity(p, s, 0);
}

static inline void fake_s3_add(apr_array_header_t *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void fake_s3_add(apr_array_header_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    APR_ARRAY_PUSH(out, const char *) = apr_pvsprintf(out->pool, fmt, ap);
    va_end(ap);
}

/* A quoted md5 of the data and a serial number: every write, even of the
 * same bytes, gets an ETag of its own. */
static inline const char *fake_s3_etag(fake_s3_t *f, const void *data, apr_size_t len,
                                       apr_pool_t *p)
{
    unsigned char md[APR_MD5_DIGESTSIZE];
    apr_md5_ctx_t ctx;
    apr_uint64_t serial = ++f->serial;

    apr_md5_init(&ctx);
    apr_md5_update(&ctx, data, len);
    apr_md5_update(&ctx, &serial, sizeof(serial));
    apr_md5_final(md, &ctx);
    return apr_pstrcat(p, "\"", apr_pescape_hex(p, md, sizeof(md), 0), "\"", NULL);
}

/* An ETag without its quotes, " or &quot;, as S3 compares them. */
static inline const char *fake_s3_bare(const char *etag, apr_pool_t *p)
{
    const char *s = etag, *e = etag + strlen(etag);
    apr_size_t n;

    while ((n = (apr_size_t)(e - s)) > 0) {
        if (*s == '"') {
            s++;
        } else if (e[-1] == '"') {
            e--;
        } else if (n >= 6 && !strncmp(s, "&quot;", 6)) {
            s += 6;
        } else if (n >= 6 && !strncmp(e - 6, "&quot;", 6)) {
            e -= 6;
        } else {
            break;
        }
    }
    return apr_pstrmemdup(p, s, (apr_size_t)(e - s));
}

static inline int fake_s3_copy_meta(void *baton, const char *name, const char *value)
{
    apr_table_t *to = baton;
    apr_pool_t *p = apr_table_elts(to)->pool;
    char *lower = apr_pstrdup(p, name);

    for (char *c = lower; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    apr_table_setn(to, lower, apr_pstrdup(p, value));
    return 1;
}

/* A deep copy into p: what the caller gave may live in a shorter pool. */
static inline apr_table_t *fake_s3_meta_dup(const apr_table_t *meta, apr_pool_t *p)
{
    apr_table_t *to = apr_table_make(p, 4);
    if (meta) {
        apr_table_do(fake_s3_copy_meta, to, meta, NULL);
    }
    return to;
}

static inline apr_hash_t *fake_s3_bucket(fake_s3_t *f, const char *name)
{
    apr_hash_t *b = apr_hash_get(f->buckets, name, APR_HASH_KEY_STRING);
    if (!b) {
        b = apr_hash_make(f->pool);
        apr_hash_set(f->buckets, apr_pstrdup(f->pool, name), APR_HASH_KEY_STRING, b);
    }
    return b;
}

static inline fake_s3_object_t *fake_s3_find(fake_s3_t *f, const char *bucket, const char *key)
{
    apr_hash_t *b = apr_hash_get(f->buckets, bucket, APR_HASH_KEY_STRING);
    return b ? apr_hash_get(b, key, APR_HASH_KEY_STRING) : NULL;
}

static inline void fake_s3_remove(fake_s3_t *f, const char *bucket, const char *key)
{
    fake_s3_object_t *o = fake_s3_find(f, bucket, key);
    if (o) {
        /* Out of the hash first: the entry points at the key in o's pool. */
        apr_hash_set(fake_s3_bucket(f, bucket), o->key, APR_HASH_KEY_STRING, NULL);
        apr_pool_destroy(o->pool);
    }
}

/* Replace whatever was at bucket/key. etag NULL: a new one from the data. */
static inline fake_s3_object_t *fake_s3_store(fake_s3_t *f, const char *bucket, const char *key,
                                              const char *data, apr_size_t len, apr_off_t size,
                                              const char *etag, const char *content_type,
                                              const apr_table_t *meta)
{
    fake_s3_object_t *o;
    apr_pool_t *pool;

    fake_s3_remove(f, bucket, key);
    apr_pool_create(&pool, f->pool);
    o = apr_pcalloc(pool, sizeof(*o));
    o->pool = pool;
    o->key = apr_pstrdup(pool, key);
    o->data = apr_pstrmemdup(pool, data ? data : "", data ? len : 0);
    o->len = data ? len : 0;
    o->size = size;
    o->etag = etag ? apr_pstrdup(pool, etag) : fake_s3_etag(f, o->data, o->len, pool);
    o->content_type = apr_pstrdup(pool, content_type ? content_type : "binary/octet-stream");
    o->meta = fake_s3_meta_dup(meta, pool);
    o->mtime = f->now();
    apr_hash_set(fake_s3_bucket(f, bucket), o->key, APR_HASH_KEY_STRING, o);
    return o;
}

/* Upload ids sort as they were made (what ListMultipartUploads pages by),
 * and look like RGW's: "2~" and letters. */
static inline fake_s3_upload_t *fake_s3_new_upload(fake_s3_t *f, const char *bucket,
                                                   const char *key, const char *content_type,
                                                   const apr_table_t *meta)
{
    fake_s3_upload_t *u;
    apr_pool_t *pool;

    apr_pool_create(&pool, f->pool);
    u = apr_pcalloc(pool, sizeof(*u));
    u->pool = pool;
    u->id = apr_psprintf(pool, "2~%010" APR_UINT64_T_FMT "-fAkE_uPLoAd", ++f->serial);
    u->bucket = apr_pstrdup(pool, bucket);
    u->key = apr_pstrdup(pool, key);
    u->content_type = content_type ? apr_pstrdup(pool, content_type) : NULL;
    u->meta = fake_s3_meta_dup(meta, pool);
    u->initiated = f->now();
    u->parts = apr_array_make(pool, 8, sizeof(fake_s3_part_t));
    apr_hash_set(f->uploads, u->id, APR_HASH_KEY_STRING, u);
    return u;
}

static inline fake_s3_part_t *fake_s3_set_part(fake_s3_t *f, fake_s3_upload_t *u, int number,
                                               apr_off_t size)
{
    fake_s3_part_t *part = NULL;
    char seed[64];

    apr_snprintf(seed, sizeof(seed), "%s:%d", u->id, number);
    for (int i = 0; i < u->parts->nelts && !part; i++) {
        if (APR_ARRAY_IDX(u->parts, i, fake_s3_part_t).number == number) {
            part = &APR_ARRAY_IDX(u->parts, i, fake_s3_part_t);
        }
    }
    if (!part) {
        part = apr_array_push(u->parts);
    }
    part->number = number;
    part->size = size;
    part->etag = fake_s3_etag(f, seed, strlen(seed), u->pool);
    part->mtime = f->now();
    return part;
}

static inline const char *fake_s3_header(const fake_s3_req_t *r, const char *name)
{
    return s3up_kv_get(r->http->headers, name);
}

static inline apr_table_t *fake_s3_meta_sent(const fake_s3_req_t *r)
{
    apr_table_t *meta = apr_table_make(r->p, 4);
    const apr_array_header_t *h = r->http->headers;

    for (int i = 0; i < h->nelts; i++) {
        const s3up_kv_t *kv = &APR_ARRAY_IDX(h, i, s3up_kv_t);
        if (!strncasecmp(kv->name, "x-amz-meta-", 11)) {
            apr_table_set(meta, kv->name + 11, kv->value);
        }
    }
    return meta;
}

/* A query value as a number within lo..hi; absent: dflt. */
static inline int fake_s3_qint(const fake_s3_req_t *r, const char *name, int dflt, int lo, int hi)
{
    const char *v = apr_table_get(r->query, name);
    int n = v && *v ? atoi(v) : dflt;
    return n < lo ? lo : n > hi ? hi : n;
}

static inline s3up_http_resp_t *fake_s3_answer(fake_s3_t *f, fake_s3_req_t *r, int status,
                                               const char *body, apr_size_t len)
{
    s3up_http_resp_t *resp = apr_pcalloc(r->p, sizeof(*resp));

    resp->status = status;
    resp->headers = apr_table_make(r->p, 8);
    apr_table_setn(resp->headers, "x-amz-request-id",
                   apr_psprintf(r->p, "tx%016" APR_UINT64_T_HEX_FMT "-fake", ++f->serial));
    resp->body = body && !r->http->head ? body : "";
    resp->body_len = body && !r->http->head ? len : 0;
    return resp;
}

static inline s3up_http_resp_t *fake_s3_xml(fake_s3_t *f, fake_s3_req_t *r,
                                            apr_array_header_t *parts)
{
    const char *xml = apr_array_pstrcat(r->p, parts, 0);
    s3up_http_resp_t *resp = fake_s3_answer(f, r, 200, xml, strlen(xml));
    apr_table_setn(resp->headers, "Content-Type", "application/xml");
    return resp;
}

static inline s3up_http_resp_t *fake_s3_error(fake_s3_t *f, fake_s3_req_t *r, int status,
                                              const char *code, const char *message)
{
    s3up_http_resp_t *resp = fake_s3_answer(f, r, status, NULL, 0);

    /* Like S3, a HEAD error has no body: the status says it all. */
    if (!r->http->head) {
        resp->body = apr_psprintf(r->p,
                                  FAKE_S3_XML_DECL "<Error><Code>%s</Code><Message>%s</Message>"
                                                   "<RequestId>%s</RequestId></Error>",
                                  code, fake_s3_esc(message, r->p),
                                  apr_table_get(resp->headers, "x-amz-request-id"));
        resp->body_len = strlen(resp->body);
        apr_table_setn(resp->headers, "Content-Type", "application/xml");
    }
    return resp;
}

static inline s3up_http_resp_t *fake_s3_put(fake_s3_t *f, fake_s3_req_t *r)
{
    fake_s3_object_t *o = fake_s3_find(f, r->bucket, r->key);
    const char *none_match = fake_s3_header(r, "if-none-match");
    const char *match = fake_s3_header(r, "if-match");
    s3up_http_resp_t *resp;

    if (r->http->body_read) {
        return fake_s3_error(f, r, 501, "NotImplemented",
                             "fake_s3 keeps PutObject bodies in memory");
    }
    /* RGW compares If-Match with the bare ETag, so a quoted one never holds. */
    if ((none_match && !strcmp(none_match, "*") && o) ||
        (match && (!o || strcmp(match, fake_s3_bare(o->etag, r->p))))) {
        return fake_s3_error(f, r, 412, "PreconditionFailed",
                             "At least one of the pre-conditions you specified did not hold");
    }
    o = fake_s3_store(f, r->bucket, r->key, r->http->body, r->http->body_len,
                      (apr_off_t)r->http->body_len, NULL, fake_s3_header(r, "content-type"),
                      fake_s3_meta_sent(r));
    resp = fake_s3_answer(f, r, 200, NULL, 0);
    apr_table_set(resp->headers, "ETag", o->etag);
    return resp;
}

/* GetObject and HeadObject: the answer drops the body of a HEAD. */
static inline s3up_http_resp_t *fake_s3_get(fake_s3_t *f, fake_s3_req_t *r)
{
    fake_s3_object_t *o = fake_s3_find(f, r->bucket, r->key);
    apr_size_t limit = r->http->max_response ? r->http->max_response : S3UP_HTTP_MAX_RESPONSE;
    const apr_array_header_t *meta;
    s3up_http_resp_t *resp;
    char date[APR_RFC822_DATE_LEN];

    if (!o) {
        return fake_s3_error(f, r, 404, "NoSuchKey", "The specified key does not exist.");
    }
    if (!r->http->head && o->size > (apr_off_t)limit) {
        r->rv = S3UP_ETOOBIG;
        r->detail = "fake_s3: object larger than max_response";
        return NULL;
    }
    resp = fake_s3_answer(f, r, 200, o->data, o->len);
    apr_rfc822_date(date, o->mtime);
    apr_table_set(resp->headers, "ETag", o->etag);
    apr_table_set(resp->headers, "Content-Length", apr_off_t_toa(r->p, o->size));
    apr_table_set(resp->headers, "Content-Type", o->content_type);
    apr_table_set(resp->headers, "Last-Modified", date);
    apr_table_setn(resp->headers, "Accept-Ranges", "bytes");
    meta = apr_table_elts(o->meta);
    for (int i = 0; i < meta->nelts; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(meta, i, apr_table_entry_t);
        apr_table_set(resp->headers, apr_pstrcat(r->p, "x-amz-meta-", e->key, NULL), e->val);
    }
    return resp;
}

static inline s3up_http_resp_t *fake_s3_delete(fake_s3_t *f, fake_s3_req_t *r)
{
    fake_s3_remove(f, r->bucket, r->key);
    return fake_s3_answer(f, r, 204, NULL, 0);
}

static inline int fake_s3_strcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The bucket's keys under prefix, bytewise sorted (strcmp compares as
 * unsigned char). */
static inline apr_array_header_t *fake_s3_keys(fake_s3_t *f, const char *bucket, const char *prefix,
                                               apr_pool_t *p)
{
    apr_hash_t *b = fake_s3_bucket(f, bucket);
    apr_array_header_t *keys = apr_array_make(p, (int)apr_hash_count(b) + 1, sizeof(char *));
    apr_size_t plen = strlen(prefix);

    for (apr_hash_index_t *hi = apr_hash_first(p, b); hi; hi = apr_hash_next(hi)) {
        const char *key = apr_hash_this_key(hi);
        if (!strncmp(key, prefix, plen)) {
            APR_ARRAY_PUSH(keys, const char *) = key;
        }
    }
    qsort(keys->elts, (size_t)keys->nelts, sizeof(char *), fake_s3_strcmp);
    return keys;
}

/* The CommonPrefix key rolls up into, or NULL when it stands alone. */
static inline const char *fake_s3_rollup(const char *key, const char *prefix, const char *delim,
                                         apr_pool_t *p)
{
    const char *d = delim ? strstr(key + strlen(prefix), delim) : NULL;
    return d ? apr_pstrmemdup(p, key, (apr_size_t)(d - key) + strlen(delim)) : NULL;
}

static inline s3up_http_resp_t *fake_s3_list(fake_s3_t *f, fake_s3_req_t *r)
{
    const char *prefix = apr_table_get(r->query, "prefix");
    const char *delim = apr_table_get(r->query, "delimiter");
    const char *token = apr_table_get(r->query, "continuation-token");
    const char *after = apr_table_get(r->query, "start-after");
    int max = fake_s3_qint(r, "max-keys", 1000, 0, 1000), count = 0, truncated = 0;
    apr_array_header_t *keys, *contents = apr_array_make(r->p, 16, sizeof(char *));
    apr_array_header_t *prefixes = apr_array_make(r->p, 4, sizeof(char *)), *out;
    const char *marker = after, *last = NULL;

    prefix = prefix ? prefix : "";
    delim = delim && *delim ? delim : NULL;
    if (token) {
        /* The token is the last key or CommonPrefix listed, in hex. */
        apr_size_t len;
        const void *raw = apr_punescape_hex(r->p, token, 0, &len);
        if (!raw) {
            return fake_s3_error(f, r, 400, "InvalidArgument",
                                 "The continuation token provided is incorrect");
        }
        marker = apr_pstrmemdup(r->p, raw, len);
    }
    keys = fake_s3_keys(f, r->bucket, prefix, r->p);
    for (int i = 0; i < keys->nelts; i++) {
        const char *key = APR_ARRAY_IDX(keys, i, const char *);
        const char *rollup = fake_s3_rollup(key, prefix, delim, r->p);
        fake_s3_object_t *o;

        /* Past the marker, and not inside a CommonPrefix already listed. */
        if ((marker && strcmp(key, marker) <= 0) ||
            (rollup && ((marker && !strcmp(rollup, marker)) || (last && !strcmp(rollup, last))))) {
            continue;
        }
        if (count == max) {
            truncated = count > 0; /* max-keys=0 lists nothing, and says so */
            break;
        }
        count++;
        last = rollup ? rollup : key;
        if (rollup) {
            fake_s3_add(prefixes, "<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>",
                        fake_s3_esc(rollup, r->p));
            continue;
        }
        o = fake_s3_find(f, r->bucket, key);
        fake_s3_add(contents,
                    "<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>%s</ETag>"
                    "<Size>%" APR_OFF_T_FMT "</Size><StorageClass>STANDARD</StorageClass>"
                    "</Contents>",
                    fake_s3_esc(key, r->p), fake_s3_iso(o->mtime, r->p), fake_s3_esc(o->etag, r->p),
                    o->size);
    }
    out = apr_array_make(r->p, 16, sizeof(char *));
    fake_s3_add(out,
                FAKE_S3_XML_DECL "<ListBucketResult xmlns=\"" FAKE_S3_XMLNS "\"><Name>%s</Name>"
                                 "<Prefix>%s</Prefix><MaxKeys>%d</MaxKeys><KeyCount>%d</KeyCount>"
                                 "<IsTruncated>%s</IsTruncated>",
                fake_s3_esc(r->bucket, r->p), fake_s3_esc(prefix, r->p), max, count,
                truncated ? "true" : "false");
    if (delim) {
        fake_s3_add(out, "<Delimiter>%s</Delimiter>", fake_s3_esc(delim, r->p));
    }
    if (token) {
        fake_s3_add(out, "<ContinuationToken>%s</ContinuationToken>", fake_s3_esc(token, r->p));
    }
    if (truncated) {
        fake_s3_add(out, "<NextContinuationToken>%s</NextContinuationToken>",
                    apr_pescape_hex(r->p, last, strlen(last), 0));
    }
    apr_array_cat(out, contents);
    apr_array_cat(out, prefixes);
    fake_s3_add(out, "</ListBucketResult>");
    return fake_s3_xml(f, r, out);
}

static inline s3up_http_resp_t *fake_s3_create_upload(fake_s3_t *f, fake_s3_req_t *r)
{
    fake_s3_upload_t *u = fake_s3_new_upload(
        f, r->bucket, r->key, fake_s3_header(r, "content-type"), fake_s3_meta_sent(r));
    apr_array_header_t *out = apr_array_make(r->p, 1, sizeof(char *));

    fake_s3_add(out,
                FAKE_S3_XML_DECL "<InitiateMultipartUploadResult xmlns=\"" FAKE_S3_XMLNS "\">"
                                 "<Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId>"
                                 "</InitiateMultipartUploadResult>",
                fake_s3_esc(u->bucket, r->p), fake_s3_esc(u->key, r->p), u->id);
    return fake_s3_xml(f, r, out);
}

/* The upload the request names, when it is one of this bucket and key. */
static inline fake_s3_upload_t *fake_s3_upload_of(fake_s3_t *f, const fake_s3_req_t *r)
{
    const char *id = apr_table_get(r->query, "uploadId");
    fake_s3_upload_t *u = id ? apr_hash_get(f->uploads, id, APR_HASH_KEY_STRING) : NULL;
    return u && !strcmp(u->bucket, r->bucket) && !strcmp(u->key, r->key) ? u : NULL;
}

static inline void fake_s3_drop_upload(fake_s3_t *f, fake_s3_upload_t *u)
{
    apr_hash_set(f->uploads, u->id, APR_HASH_KEY_STRING, NULL);
    apr_pool_destroy(u->pool);
}

static inline s3up_http_resp_t *fake_s3_no_upload(fake_s3_t *f, fake_s3_req_t *r)
{
    return fake_s3_error(f, r, 404, "NoSuchUpload", "The specified upload does not exist.");
}

/* Reads a streamed body through (counting bytes, as curl would send them)
 * or takes the in-memory one. */
static inline s3up_http_resp_t *fake_s3_upload_part(fake_s3_t *f, fake_s3_req_t *r)
{
    fake_s3_upload_t *u = fake_s3_upload_of(f, r);
    int number = fake_s3_qint(r, "partNumber", 0, 0, S3UP_PARTS_MAX + 1);
    apr_off_t got = (apr_off_t)r->http->body_len;
    s3up_http_resp_t *resp;

    if (!u) {
        return fake_s3_no_upload(f, r);
    }
    if (number < 1 || number > S3UP_PARTS_MAX) {
        return fake_s3_error(f, r, 400, "InvalidArgument", "Part number must be 1 to 10000.");
    }
    if (r->http->body_read) {
        char buf[16384];
        apr_size_t n;
        for (got = 0; got < r->http->body_size; got += (apr_off_t)n) {
            apr_off_t left = r->http->body_size - got;
            apr_size_t want = left < (apr_off_t)sizeof(buf) ? (apr_size_t)left : sizeof(buf);
            if (r->http->body_read(r->http->body_baton, buf, want, &n, 0) != APR_SUCCESS || !n) {
                r->rv = S3UP_ETRANSPORT;
                r->detail = "fake_s3: the body ended before its size";
                return NULL;
            }
        }
    }
    resp = fake_s3_answer(f, r, 200, NULL, 0);
    apr_table_set(resp->headers, "ETag", fake_s3_set_part(f, u, number, got)->etag);
    return resp;
}

static inline int fake_s3_part_cmp(const void *a, const void *b)
{
    const fake_s3_part_t *x = a, *y = b;
    return (x->number > y->number) - (x->number < y->number);
}

static inline s3up_http_resp_t *fake_s3_list_parts(fake_s3_t *f, fake_s3_req_t *r)
{
    fake_s3_upload_t *u = fake_s3_upload_of(f, r);
    int marker = fake_s3_qint(r, "part-number-marker", 0, 0, S3UP_PARTS_MAX);
    int max = fake_s3_qint(r, "max-parts", 1000, 1, 1000), next = marker, count = 0;
    apr_array_header_t *parts, *out = apr_array_make(r->p, 16, sizeof(char *));
    int truncated = 0;

    /* RGW's answer for an upload that was aborted or never was. */
    if (!u) {
        return fake_s3_error(f, r, 404, "NoSuchKey", "The specified key does not exist.");
    }
    APR_ARRAY_PUSH(out, const char *) = NULL; /* the head, written once the page is known */
    parts = apr_array_copy(r->p, u->parts);
    qsort(parts->elts, (size_t)parts->nelts, sizeof(fake_s3_part_t), fake_s3_part_cmp);
    for (int i = 0; i < parts->nelts; i++) {
        const fake_s3_part_t *part = &APR_ARRAY_IDX(parts, i, fake_s3_part_t);
        if (part->number <= marker) {
            continue;
        }
        if (count == max) {
            truncated = 1;
            break;
        }
        count++;
        next = part->number;
        fake_s3_add(out,
                    "<Part><LastModified>%s</LastModified><PartNumber>%d</PartNumber>"
                    "<ETag>%s</ETag><Size>%" APR_OFF_T_FMT "</Size></Part>",
                    fake_s3_iso(part->mtime, r->p), part->number, fake_s3_esc(part->etag, r->p),
                    part->size);
    }
    fake_s3_add(out, "</ListPartsResult>");
    APR_ARRAY_IDX(out, 0, const char *) = apr_psprintf(
        r->p,
        FAKE_S3_XML_DECL "<ListPartsResult xmlns=\"" FAKE_S3_XMLNS "\"><Bucket>%s</Bucket>"
                         "<Key>%s</Key><UploadId>%s</UploadId><Initiator>" FAKE_S3_OWNER
                         "</Initiator><Owner>" FAKE_S3_OWNER "</Owner>"
                         "<StorageClass>STANDARD</StorageClass><PartNumberMarker>%d"
                         "</PartNumberMarker><NextPartNumberMarker>%d</NextPartNumberMarker>"
                         "<MaxParts>%d</MaxParts><IsTruncated>%s</IsTruncated>",
        fake_s3_esc(u->bucket, r->p), fake_s3_esc(u->key, r->p), u->id, marker, next, max,
        truncated ? "true" : "false");
    return fake_s3_xml(f, r, out);
}

/* The text of the next <name>...</name> from *s on, moving *s past it. */
static inline const char *fake_s3_element(const char **s, const char *name, apr_pool_t *p)
{
    const char *open = apr_pstrcat(p, "<", name, ">", NULL);
    const char *close = apr_pstrcat(p, "</", name, ">", NULL);
    const char *b = strstr(*s, open), *e = b ? strstr(b, close) : NULL;

    if (!e) {
        return NULL;
    }
    *s = e + strlen(close);
    return apr_pstrmemdup(p, b + strlen(open), (apr_size_t)(e - b) - strlen(open));
}

static inline fake_s3_part_t *fake_s3_part_of(fake_s3_upload_t *u, int number)
{
    for (int i = 0; i < u->parts->nelts; i++) {
        if (APR_ARRAY_IDX(u->parts, i, fake_s3_part_t).number == number) {
            return &APR_ARRAY_IDX(u->parts, i, fake_s3_part_t);
        }
    }
    return NULL;
}

static inline s3up_http_resp_t *fake_s3_complete(fake_s3_t *f, fake_s3_req_t *r)
{
    fake_s3_upload_t *u = fake_s3_upload_of(f, r);
    const char *s = apr_pstrmemdup(r->p, r->http->body ? r->http->body : "", r->http->body_len);
    const char *block, *etag;
    apr_array_header_t *listed = apr_array_make(r->p, 16, sizeof(fake_s3_part_t *));
    apr_array_header_t *out = apr_array_make(r->p, 1, sizeof(char *));
    apr_off_t size = 0;
    apr_md5_ctx_t ctx;
    unsigned char md[APR_MD5_DIGESTSIZE];

    if (!u) {
        return fake_s3_no_upload(f, r);
    }
    while ((block = fake_s3_element(&s, "Part", r->p)) != NULL) {
        const char *in = block, *number, *sent;
        fake_s3_part_t *part;

        number = fake_s3_element(&in, "PartNumber", r->p);
        in = block; /* ETag may come before PartNumber */
        sent = fake_s3_element(&in, "ETag", r->p);
        part = number ? fake_s3_part_of(u, atoi(number)) : NULL;
        if (!part || !sent || strcmp(fake_s3_bare(sent, r->p), fake_s3_bare(part->etag, r->p))) {
            return fake_s3_error(f, r, 400, "InvalidPart",
                                 "One or more of the specified parts could not be found.");
        }
        if (listed->nelts &&
            APR_ARRAY_IDX(listed, listed->nelts - 1, fake_s3_part_t *)->number >= part->number) {
            return fake_s3_error(f, r, 400, "InvalidPartOrder",
                                 "The list of parts was not in ascending order.");
        }
        APR_ARRAY_PUSH(listed, fake_s3_part_t *) = part;
    }
    if (!listed->nelts) {
        return fake_s3_error(f, r, 400, "MalformedXML", "No parts listed.");
    }
    apr_md5_init(&ctx);
    for (int i = 0; i < listed->nelts; i++) {
        const fake_s3_part_t *part = APR_ARRAY_IDX(listed, i, fake_s3_part_t *);
        if (i < listed->nelts - 1 && part->size < f->min_part_size) {
            return fake_s3_error(f, r, 400, "EntityTooSmall",
                                 "Your proposed upload is smaller than the minimum allowed.");
        }
        size += part->size;
        apr_md5_update(&ctx, part->etag, strlen(part->etag));
    }
    apr_md5_final(md, &ctx);
    etag = apr_psprintf(r->p, "\"%s-%d\"", apr_pescape_hex(r->p, md, sizeof(md), 0), listed->nelts);
    fake_s3_store(f, r->bucket, r->key, NULL, 0, size, etag, u->content_type, u->meta);
    fake_s3_drop_upload(f, u);
    /* Ceph 16 sends an empty ETag here; HEAD has the real one. */
    fake_s3_add(out,
                FAKE_S3_XML_DECL "<CompleteMultipartUploadResult xmlns=\"" FAKE_S3_XMLNS "\">"
                                 "<Location>%s/%s/%s</Location><Bucket>%s</Bucket><Key>%s</Key>"
                                 "<ETag></ETag></CompleteMultipartUploadResult>",
                fake_s3_esc(r->origin, r->p), fake_s3_esc(r->bucket, r->p),
                fake_s3_esc(s3up_uri_encode(r->key, 1, r->p), r->p), fake_s3_esc(r->bucket, r->p),
                fake_s3_esc(r->key, r->p));
    return fake_s3_xml(f, r, out);
}

static inline s3up_http_resp_t *fake_s3_abort(fake_s3_t *f, fake_s3_req_t *r)
{
    fake_s3_upload_t *u = fake_s3_upload_of(f, r);

    if (!u) {
        return fake_s3_no_upload(f, r);
    }
    fake_s3_drop_upload(f, u);
    return fake_s3_answer(f, r, 204, NULL, 0);
}

/* By key, then by id, which is by initiation. */
static inline int fake_s3_upload_cmp(const void *a, const void *b)
{
    const fake_s3_upload_t *x = *(const fake_s3_upload_t *const *)a;
    const fake_s3_upload_t *y = *(const fake_s3_upload_t *const *)b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->id, y->id);
}

static inline s3up_http_resp_t *fake_s3_list_uploads(fake_s3_t *f, fake_s3_req_t *r)
{
    const char *prefix = apr_table_get(r->query, "prefix");
    const char *key_marker = apr_table_get(r->query, "key-marker");
    const char *id_marker = apr_table_get(r->query, "upload-id-marker");
    int max = fake_s3_qint(r, "max-uploads", 1000, 1, 1000), count = 0, truncated = 0;
    apr_array_header_t *ups = apr_array_make(r->p, 16, sizeof(fake_s3_upload_t *));
    apr_array_header_t *out = apr_array_make(r->p, 16, sizeof(char *));
    const fake_s3_upload_t *last = NULL;

    prefix = prefix ? prefix : "";
    for (apr_hash_index_t *hi = apr_hash_first(r->p, f->uploads); hi; hi = apr_hash_next(hi)) {
        fake_s3_upload_t *u = apr_hash_this_val(hi);
        if (!strcmp(u->bucket, r->bucket) && !strncmp(u->key, prefix, strlen(prefix))) {
            APR_ARRAY_PUSH(ups, fake_s3_upload_t *) = u;
        }
    }
    qsort(ups->elts, (size_t)ups->nelts, sizeof(fake_s3_upload_t *), fake_s3_upload_cmp);
    APR_ARRAY_PUSH(out, const char *) = NULL; /* the head, written once the page is known */
    for (int i = 0; i < ups->nelts; i++) {
        const fake_s3_upload_t *u = APR_ARRAY_IDX(ups, i, fake_s3_upload_t *);
        int c = key_marker ? strcmp(u->key, key_marker) : 1;
        /* The marker key's own uploads only after an upload-id-marker. */
        if (c < 0 || (c == 0 && (!id_marker || strcmp(u->id, id_marker) <= 0))) {
            continue;
        }
        if (count == max) {
            truncated = 1;
            break;
        }
        count++;
        last = u;
        fake_s3_add(out,
                    "<Upload><Key>%s</Key><UploadId>%s</UploadId><Initiator>" FAKE_S3_OWNER
                    "</Initiator><Owner>" FAKE_S3_OWNER "</Owner><StorageClass>STANDARD"
                    "</StorageClass><Initiated>%s</Initiated></Upload>",
                    fake_s3_esc(u->key, r->p), u->id, fake_s3_iso(u->initiated, r->p));
    }
    APR_ARRAY_IDX(out, 0, const char *) = apr_psprintf(
        r->p,
        FAKE_S3_XML_DECL "<ListMultipartUploadsResult xmlns=\"" FAKE_S3_XMLNS "\">"
                         "<Bucket>%s</Bucket><KeyMarker>%s</KeyMarker><UploadIdMarker>%s"
                         "</UploadIdMarker><NextKeyMarker>%s</NextKeyMarker><NextUploadIdMarker>%s"
                         "</NextUploadIdMarker><Prefix>%s</Prefix><MaxUploads>%d</MaxUploads>"
                         "<IsTruncated>%s</IsTruncated>",
        fake_s3_esc(r->bucket, r->p), fake_s3_esc(key_marker ? key_marker : "", r->p),
        fake_s3_esc(id_marker ? id_marker : "", r->p), last ? fake_s3_esc(last->key, r->p) : "",
        last ? last->id : "", fake_s3_esc(prefix, r->p), max, truncated ? "true" : "false");
    fake_s3_add(out, "</ListMultipartUploadsResult>");
    return fake_s3_xml(f, r, out);
}

/* origin "/" bucket ["/" key] ["?" query], key and query values decoded. */
static inline int fake_s3_parse(fake_s3_req_t *r)
{
    const char *url = r->http->url, *scheme = strstr(url, "://");
    const char *path = scheme ? strchr(scheme + 3, '/') : NULL, *q, *slash;
    char *query, *pair, *state;

    if (!path) {
        return 0;
    }
    r->origin = apr_pstrmemdup(r->p, url, (apr_size_t)(path - url));
    q = strchr(path, '?');
    path = apr_pstrmemdup(r->p, path + 1, (apr_size_t)((q ? q : path + strlen(path)) - path - 1));
    slash = strchr(path, '/');
    r->bucket = slash ? apr_pstrmemdup(r->p, path, (apr_size_t)(slash - path)) : path;
    r->key = slash && slash[1] ? apr_punescape_url(r->p, slash + 1, NULL, NULL, 0) : NULL;
    r->query = apr_table_make(r->p, 8);
    if (!*r->bucket || (slash && slash[1] && !r->key)) {
        return 0;
    }
    query = apr_pstrdup(r->p, q ? q + 1 : "");
    for (pair = apr_strtok(query, "&", &state); pair; pair = apr_strtok(NULL, "&", &state)) {
        char *eq = strchr(pair, '=');
        const char *name, *value = eq ? apr_punescape_url(r->p, eq + 1, NULL, NULL, 0) : "";
        if (eq) {
            *eq = '\0';
        }
        name = apr_punescape_url(r->p, pair, NULL, NULL, 0);
        if (!name || !value) {
            return 0;
        }
        apr_table_set(r->query, name, value);
    }
    return 1;
}

static inline int fake_s3_classify(const fake_s3_req_t *r)
{
    const char *m = r->http->method, *list_type = apr_table_get(r->query, "list-type");
    int uploads = apr_table_get(r->query, "uploads") != NULL;
    int upload_id = apr_table_get(r->query, "uploadId") != NULL;

    if (!r->key) {
        if (!strcmp(m, "GET") && uploads) {
            return FAKE_S3_LIST_UPLOADS;
        }
        return !strcmp(m, "GET") && list_type && !strcmp(list_type, "2") ? FAKE_S3_LIST : -1;
    }
    if (!strcmp(m, "PUT")) {
        return upload_id && apr_table_get(r->query, "partNumber") ? FAKE_S3_PART : FAKE_S3_PUT;
    }
    if (!strcmp(m, "GET")) {
        return upload_id ? FAKE_S3_LIST_PARTS : FAKE_S3_GET;
    }
    if (!strcmp(m, "HEAD")) {
        return FAKE_S3_HEAD;
    }
    if (!strcmp(m, "DELETE")) {
        return upload_id ? FAKE_S3_ABORT : FAKE_S3_DELETE;
    }
    if (!strcmp(m, "POST")) {
        return uploads ? FAKE_S3_CREATE : upload_id ? FAKE_S3_COMPLETE : -1;
    }
    return -1;
}

/* The oldest fault queued for op, taken off the queue. */
static inline fake_s3_fault_t fake_s3_take_fault(fake_s3_t *f, int op)
{
    fake_s3_fault_t none = {op, FAKE_S3_NO_FAULT, 0, NULL}, *q = (fake_s3_fault_t *)f->faults->elts;

    for (int i = 0; i < f->faults->nelts; i++) {
        if (q[i].op == op) {
            fake_s3_fault_t found = q[i];
            memmove(q + i, q + i + 1, sizeof(*q) * (size_t)(f->faults->nelts - i - 1));
            f->faults->nelts--;
            return found;
        }
    }
    return none;
}

typedef s3up_http_resp_t *fake_s3_handler(fake_s3_t *f, fake_s3_req_t *r);

static inline apr_status_t fake_s3_perform(s3up_http_resp_t **out, const char **detail,
                                           s3up_http_t *h, const s3up_http_req_t *req,
                                           apr_pool_t *p)
{
    static fake_s3_handler *const handlers[FAKE_S3_N_OPS] = {FAKE_S3_OPS(FAKE_S3_HANDLER)};
    fake_s3_t *f = h->impl;
    fake_s3_req_t r = {.http = req, .p = p, .rv = APR_SUCCESS};
    fake_s3_fault_t fault;
    s3up_http_resp_t *resp;
    int op;

    f->total++;
    if (!fake_s3_parse(&r)) {
        *out = fake_s3_error(f, &r, 400, "InvalidURI", "Couldn't parse the specified URI.");
        return APR_SUCCESS;
    }
    op = fake_s3_classify(&r);
    if (op < 0) {
        *out = fake_s3_error(f, &r, 501, "NotImplemented", "fake_s3 does not model this request");
        return APR_SUCCESS;
    }
    f->calls[op]++;
    fault = fake_s3_take_fault(f, op);
    if (fault.kind == FAKE_S3_DROP) {
        *detail = "fake_s3: connection reset before an answer";
        return S3UP_ETRANSPORT;
    }
    if (fault.kind == FAKE_S3_ERROR) {
        *out = fake_s3_error(f, &r, fault.status, fault.code, "injected by the test");
        return APR_SUCCESS;
    }
    resp = handlers[op](f, &r);
    if (r.rv != APR_SUCCESS) {
        *detail = r.detail;
        return r.rv;
    }
    if (f->after && f->after_op == op) {
        void (*after)(fake_s3_t *, void *) = f->after;
        f->after = NULL;
        after(f, f->after_baton);
    }
    if (fault.kind == FAKE_S3_LOSE_ANSWER) {
        *detail = "fake_s3: connection reset after the request was carried out";
        return S3UP_ETRANSPORT;
    }
    if (resp->body_len > (req->max_response ? req->max_response : S3UP_HTTP_MAX_RESPONSE)) {
        *detail = "fake_s3: answer larger than max_response";
        return S3UP_ETOOBIG;
    }
    *out = resp;
    return APR_SUCCESS;
}

/* An empty store, living as long as p. */
static inline fake_s3_t *fake_s3_create(apr_pool_t *p)
{
    fake_s3_t *f = apr_pcalloc(p, sizeof(*f));

    apr_pool_create(&f->pool, p);
    f->buckets = apr_hash_make(f->pool);
    f->uploads = apr_hash_make(f->pool);
    f->faults = apr_array_make(f->pool, 4, sizeof(fake_s3_fault_t));
    f->min_part_size = 5 * 1024 * 1024;
    f->now = fake_s3_fixed_now;
    return f;
}

/* Several exchanges "at once": one after another, each as perform answers
 * it (faults included), so the callers' way of sending many is tested. */
static inline void fake_s3_perform_all(s3up_http_resp_t **resps, apr_status_t *rvs,
                                       const char **details, s3up_http_t *h,
                                       const s3up_http_req_t *reqs, int n, int at_once,
                                       apr_pool_t *p)
{
    fake_s3_t *f = h->impl;

    (void)at_once;
    f->batches++;
    for (int i = 0; i < n; i++) {
        rvs[i] = fake_s3_perform(&resps[i], &details[i], h, &reqs[i], p);
    }
}

/* Make h (for s3up_s3_init) talk to f. */
static inline void fake_s3_attach(fake_s3_t *f, s3up_http_t *h)
{
    static const s3up_http_ops_t ops = {fake_s3_perform, fake_s3_perform_all};
    h->ops = &ops;
    h->impl = f;
}

/* Requests of op ("PutObject", ...) so far, or of all when op is NULL
 * (which counts also those the fake could not make out). */
static inline int fake_s3_calls(const fake_s3_t *f, const char *op)
{
    return op ? f->calls[fake_s3_op(op)] : f->total;
}

static inline void fake_s3_reset_counts(fake_s3_t *f)
{
    memset(f->calls, 0, sizeof(f->calls));
    f->total = 0;
    f->batches = 0;
}

/* LastModified and Initiated from now; fake_s3_fixed_now unless set. */
static inline void fake_s3_set_clock(fake_s3_t *f, apr_time_t (*now)(void))
{
    f->now = now;
}

/* Smallest part but the last that CompleteMultipartUpload takes (5 MiB). */
static inline void fake_s3_set_min_part_size(fake_s3_t *f, apr_off_t size)
{
    f->min_part_size = size;
}

/* Seed an object, as a PutObject would; meta names without x-amz-meta-. */
static inline void fake_s3_put_object(fake_s3_t *f, const char *bucket, const char *key,
                                      const char *data, apr_size_t len, const apr_table_t *meta)
{
    fake_s3_store(f, bucket, key, data, len, (apr_off_t)len, NULL, NULL, meta);
}

static inline int fake_s3_has(fake_s3_t *f, const char *bucket, const char *key)
{
    return fake_s3_find(f, bucket, key) != NULL;
}

/* The stored bytes (NUL-terminated), or NULL when there is no such key. */
static inline const char *fake_s3_data(fake_s3_t *f, const char *bucket, const char *key)
{
    fake_s3_object_t *o = fake_s3_find(f, bucket, key);
    return o ? o->data : NULL;
}

/* The object's size (a completed upload's sum of parts), -1 when absent. */
static inline apr_off_t fake_s3_size(fake_s3_t *f, const char *bucket, const char *key)
{
    fake_s3_object_t *o = fake_s3_find(f, bucket, key);
    return o ? o->size : -1;
}

/* As if a browser had PUT part number of the upload (size bytes) with a
 * presigned URL. Nothing happens for an upload that is gone, as S3 would
 * refuse the part. */
static inline void fake_s3_add_part(fake_s3_t *f, const char *upload_id, int number, apr_off_t size)
{
    fake_s3_upload_t *u = apr_hash_get(f->uploads, upload_id, APR_HASH_KEY_STRING);
    if (u) {
        fake_s3_set_part(f, u, number, size);
    }
}

/* Uploads begun and neither completed nor aborted. */
static inline int fake_s3_upload_count(const fake_s3_t *f)
{
    return (int)apr_hash_count(f->uploads);
}

static inline void fake_s3_queue(fake_s3_t *f, const char *op, int kind, int status,
                                 const char *code)
{
    fake_s3_fault_t *fault = apr_array_push(f->faults);
    fault->op = fake_s3_op(op);
    fault->kind = kind;
    fault->status = status;
    fault->code = code ? apr_pstrdup(f->pool, code) : NULL;
}

/* The next request of op gets that error, with S3's XML body; the store is
 * left as it was. Queued: two calls fail the next two requests. */
/* Run after(f, baton) once, right after the next request of op. */
static inline void fake_s3_after_next(fake_s3_t *f, const char *op,
                                      void (*after)(fake_s3_t *f, void *baton), void *baton)
{
    f->after_op = fake_s3_op(op);
    f->after = after;
    f->after_baton = baton;
}

static inline void fake_s3_fail_next(fake_s3_t *f, const char *op, int http_status,
                                     const char *code)
{
    fake_s3_queue(f, op, FAKE_S3_ERROR, http_status, code);
}

/* The next request of op gets no answer (S3UP_ETRANSPORT) and changes
 * nothing. */
static inline void fake_s3_drop_next(fake_s3_t *f, const char *op)
{
    fake_s3_queue(f, op, FAKE_S3_DROP, 0, NULL);
}

/* The next request of op is carried out, then its answer is lost
 * (S3UP_ETRANSPORT): what makes a retried conditional write conflict. */
static inline void fake_s3_lose_answer_next(fake_s3_t *f, const char *op)
{
    fake_s3_queue(f, op, FAKE_S3_LOSE_ANSWER, 0, NULL);
}

/* A services' bed over one fake: an S3 client whose every request goes
 * to it (path style), on the bed's clock, never sleeping, without jitter,
 * and a store (".s3up/", 30 s cache) on that client. */
typedef struct fake_bed_t {
    fake_s3_t *f;
    s3up_s3_loc_t loc;
    s3up_http_t http;
    s3up_s3_t s3;
    s3up_store_t store;
} fake_bed_t;

/* The bed's clock, for the fake and the client alike: tests move it. */
static apr_time_t fake_bed_clock __attribute__((unused)) =
    APR_INT64_C(1764414000) * APR_USEC_PER_SEC;

static inline apr_time_t fake_bed_now(void)
{
    return fake_bed_clock;
}

static inline void fake_bed_no_sleep(apr_interval_time_t t)
{
    (void)t;
}

static inline apr_uint32_t fake_bed_no_jitter(void)
{
    return 0;
}

static inline void fake_bed_init(fake_bed_t *b, const char *bucket, apr_pool_t *p)
{
    static const s3up_creds_t creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       NULL, 0};
    s3up_sigv4_t *signer;
    s3up_store_cache_t *cache;

    b->f = fake_s3_create(p);
    fake_s3_set_clock(b->f, fake_bed_now);
    fake_s3_set_min_part_size(b->f, 0);
    fake_s3_attach(b->f, &b->http);
    s3up_s3_loc_init(&b->loc, "http://127.0.0.1:1", "us-east-1", bucket, 1, p);
    s3up_sigv4_create(&signer, p);
    s3up_s3_init(&b->s3, &b->loc, &creds, signer, &b->http);
    b->s3.aws.now = fake_bed_now;
    b->s3.aws.sleep = fake_bed_no_sleep;
    b->s3.aws.random = fake_bed_no_jitter;
    s3up_store_cache_create(&cache, p);
    b->store = (s3up_store_t){cache, &b->s3, ".s3up/", apr_time_from_sec(30), NULL};
}

#endif /* S3UP_FAKE_S3_H */
