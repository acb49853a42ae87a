/*
 * S3 operations with typed results. Every call that talks to S3 returns
 * APR_SUCCESS, or an error status with *err describing it (S3's code,
 * message, request id, HTTP status). Presigning makes no network call.
 */
#ifndef S3UP_S3_H
#define S3UP_S3_H

#include "s3up.h"
#include "s3up_aws.h"
#include "s3up_keys.h"

/* Where the bucket is. Immutable once made; shared between threads. */
typedef struct s3up_s3_loc_t {
    s3up_aws_server_t server; /* the S3 server (S3UpEndpoint) */
    const char *region;
    const char *bucket;
    int path_style; /* server/bucket/key rather than bucket.server/key */
    /* Worked out once by s3up_s3_loc_init, for the hot paths: */
    const char *origin;    /* "http://127.0.0.1:8000", "https://bucket.s3.amazonaws.com" */
    const char *host;      /* the Host header curl will send, as signed */
    const char *base_path; /* "/bucket" with path style, "" otherwise */
} s3up_s3_loc_t;

/* Fill in loc for the S3 server at server_url. APR_EINVAL for a URL that
 * is not http(s) without path, query or user info. */
apr_status_t s3up_s3_loc_init(s3up_s3_loc_t *loc, const char *server_url, const char *region,
                              const char *bucket, int path_style, apr_pool_t *p);

/* A client for one piece of work (a request): cheap to make. */
/* How the objects the client writes are stored; NULL: the bucket's
 * default. Server-side encryption applies to every object written (files
 * and state records), the storage class to files only (records are read
 * all the time). */
typedef struct s3up_s3_storage_t {
    const char *sse;           /* "AES256" or "aws:kms" */
    const char *kms_key_id;    /* with aws:kms; NULL: the account's default key */
    const char *storage_class; /* "STANDARD_IA", ... */
} s3up_s3_storage_t;

typedef struct s3up_s3_t {
    const s3up_s3_loc_t *loc;
    s3up_aws_t aws;            /* who signs, the clock and the retry policy */
    s3up_s3_storage_t storage; /* zeroed by s3up_s3_init */
} s3up_s3_t;

/* Fill in defaults (s3up_aws_init's: 4 attempts, 100 ms base, 5 s cap). */
void s3up_s3_init(s3up_s3_t *s3, const s3up_s3_loc_t *loc, const s3up_creds_t *creds,
                  s3up_sigv4_t *signer, s3up_http_t *http);

/* The URL of a key (or of the bucket when key is NULL), encoded. */
const char *s3up_s3_url(const s3up_s3_loc_t *loc, const char *key, apr_pool_t *p);

typedef struct s3up_part_t {
    int number;
    const char *etag; /* with its quotes, as S3 gives it */
    apr_off_t size;
    apr_time_t last_modified;
} s3up_part_t;

typedef struct s3up_part_page_t {
    apr_array_header_t *parts; /* s3up_part_t */
    int truncated;
    int next_marker; /* NextPartNumberMarker */
} s3up_part_page_t;

typedef struct s3up_upload_t {
    const char *key;
    const char *upload_id;
    apr_time_t initiated;
} s3up_upload_t;

typedef struct s3up_upload_page_t {
    apr_array_header_t *uploads; /* s3up_upload_t */
    int truncated;
    const char *next_key_marker;
    const char *next_upload_id_marker;
} s3up_upload_page_t;

typedef struct s3up_object_t {
    const char *key;
    apr_off_t size;
    const char *etag;
    apr_time_t last_modified;
    const char *content_type; /* HEAD/GET only */
    apr_table_t *meta;        /* x-amz-meta-* without the prefix; HEAD/GET only */
} s3up_object_t;

typedef struct s3up_object_page_t {
    apr_array_header_t *objects;  /* s3up_object_t */
    apr_array_header_t *prefixes; /* const char *, CommonPrefixes */
    int truncated;
    const char *next_token; /* NextContinuationToken */
} s3up_object_page_t;

typedef struct s3up_complete_t {
    const char *location;
    const char *bucket;
    const char *key;
    const char *etag; /* may be empty (Ceph 16) */
} s3up_complete_t;

typedef struct s3up_body_t {
    s3up_object_t *object;
    const char *data;
    apr_size_t len;
} s3up_body_t;

/* Conditions for PutObject. */
typedef struct s3up_put_cond_t {
    int if_none_match;    /* If-None-Match: * (create only) */
    const char *if_match; /* replace only this version (ETag, quotes stripped) */
} s3up_put_cond_t;

apr_status_t s3up_s3_create_multipart(const char **upload_id, s3up_s3_t *s3, const char *key,
                                      const char *content_type, const apr_table_t *meta,
                                      s3up_error_t **err, apr_pool_t *p);

/* A part URL good for exactly content_length bytes of one part: the
 * length is a signed header, so S3 refuses a body of another length, and
 * an unsigned x-amz-copy-source (which Ceph RGW would execute as an
 * UploadPartCopy with our credentials) cannot come with the empty body a
 * copy needs. APR_EINVAL for a negative length. */
apr_status_t s3up_s3_presign_upload_part(const char **url, s3up_s3_t *s3, const char *key,
                                         const char *upload_id, int part_number,
                                         apr_off_t content_length, apr_interval_time_t expires,
                                         apr_pool_t *p);

/* UploadPart with a body streamed from read (size bytes), for the proxy
 * mode: memory stays flat whatever the size. Not retried. */
apr_status_t s3up_s3_upload_part(const char **etag, s3up_s3_t *s3, const char *key,
                                 const char *upload_id, int part_number, s3up_http_read_fn *read,
                                 void *baton, apr_off_t size, s3up_error_t **err, apr_pool_t *p);

/* Every part, following all pages. */
apr_status_t s3up_s3_list_parts(apr_array_header_t **parts, s3up_s3_t *s3, const char *key,
                                const char *upload_id, s3up_error_t **err, apr_pool_t *p);

/* How long a CompleteMultipartUpload may take, in seconds (every other
 * call: S3UP_AWS_BUDGET). */
#define S3UP_S3_COMPLETE_BUDGET 60

/* parts: s3up_part_t (number + etag), in any order; quotes normalised. */
apr_status_t s3up_s3_complete(s3up_complete_t **out, s3up_s3_t *s3, const char *key,
                              const char *upload_id, const apr_array_header_t *parts,
                              s3up_error_t **err, apr_pool_t *p);

apr_status_t s3up_s3_abort(s3up_s3_t *s3, const char *key, const char *upload_id,
                           s3up_error_t **err, apr_pool_t *p);

apr_status_t s3up_s3_list_uploads(s3up_upload_page_t **out, s3up_s3_t *s3, const char *prefix,
                                  const char *key_marker, const char *upload_id_marker,
                                  int max_uploads, s3up_error_t **err, apr_pool_t *p);

apr_status_t s3up_s3_list_objects(s3up_object_page_t **out, s3up_s3_t *s3, const char *prefix,
                                  const char *delimiter, const char *continuation, int max_keys,
                                  s3up_error_t **err, apr_pool_t *p);

/* What s3up_s3_each walks: the objects under a prefix, or its
 * unfinished uploads. */
typedef enum {
    S3UP_S3_OBJECTS, /* items are s3up_object_t */
    S3UP_S3_UPLOADS, /* items are s3up_upload_t */
} s3up_s3_listing_e;

/* Called for each item, with its key (both kinds have one); a status
 * other than APR_SUCCESS stops the walk and is returned (the function sets
 * the walk's *err). */
typedef apr_status_t s3up_s3_each_fn(void *baton, const char *key, const void *item);

/* Every item of a listing under prefix, page after page, for at most
 * max_pages pages (0: all). *complete, when not NULL, says whether the
 * listing was seen to its end. */
apr_status_t s3up_s3_each(s3up_s3_t *s3, s3up_s3_listing_e what, const char *prefix, int max_pages,
                          int *complete, s3up_s3_each_fn *fn, void *baton, s3up_error_t **err,
                          apr_pool_t *p);

/* S3UP_ENOTFOUND when there is no such key. */
apr_status_t s3up_s3_head(s3up_object_t **out, s3up_s3_t *s3, const char *key, s3up_error_t **err,
                          apr_pool_t *p);

/* HeadObject of n keys, up to at_once in flight together (when the
 * transport can): outs[i] (NULL on failure), rvs[i] and errs[i] as
 * s3up_s3_head answers each. */
void s3up_s3_head_all(s3up_object_t **outs, apr_status_t *rvs, s3up_error_t **errs, s3up_s3_t *s3,
                      const char *const *keys, int n, int at_once, apr_pool_t *p);

/* A small object, at most max_len bytes (S3UP_ETOOBIG beyond). */
apr_status_t s3up_s3_get(s3up_body_t **out, s3up_s3_t *s3, const char *key, apr_size_t max_len,
                         s3up_error_t **err, apr_pool_t *p);

/* A small body. S3UP_ECONFLICT when a condition failed. etag may be NULL. */
apr_status_t s3up_s3_put(const char **etag, s3up_s3_t *s3, const char *key, const char *data,
                         apr_size_t len, const char *content_type, const s3up_put_cond_t *cond,
                         s3up_error_t **err, apr_pool_t *p);

apr_status_t s3up_s3_delete(s3up_s3_t *s3, const char *key, s3up_error_t **err, apr_pool_t *p);

/* disposition: NULL, or a Content-Disposition value for the response. */
apr_status_t s3up_s3_presign_get(const char **url, s3up_s3_t *s3, const char *key,
                                 const char *disposition, apr_interval_time_t expires,
                                 apr_pool_t *p);

typedef struct s3up_post_t {
    const char *url;            /* the bucket URL, ending in '/' */
    apr_array_header_t *fields; /* s3up_kv_t, "key" first, then the signed ones */
    apr_time_t expires;
} s3up_post_t;

/* A browser POST upload pinned to key, 0..max_size bytes; the storage
 * settings are fields the policy requires. */
apr_status_t s3up_s3_post_policy(s3up_post_t **out, s3up_s3_t *s3, const char *key,
                                 apr_off_t max_size, const char *content_type,
                                 const apr_table_t *meta, apr_interval_time_t expires,
                                 apr_pool_t *p);

#endif /* S3UP_S3_H */
