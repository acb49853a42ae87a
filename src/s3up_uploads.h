/*
 * Customers' uploads: what an upload means, whatever route asks for it.
 * Which endpoints a caller may use, how a new file gets its key, the limits
 * on sizes and on unfinished uploads, which URL each part may be PUT to,
 * and how an upload ends (docs/design.md, docs/security.md).
 *
 * Every function returns APR_SUCCESS, or a status with *err saying why:
 *   S3UP_EINPUT     bad input (err->code "BadRequest", "InvalidKey")
 *   S3UP_EDENIED    not allowed ("InvalidKey", "EndpointRevoked", ...)
 *   S3UP_ENOTFOUND  nothing the caller may use ("NoSuchEndpoint", "NoSuchUpload")
 *   S3UP_ETOOBIG    over a size limit ("TooLarge")
 *   S3UP_ELIMIT     too many at once ("TooManyUploads")
 *   S3UP_ECONFLICT  lost a race, or no free name ("Conflict")
 * or S3's own failure (S3UP_ES3, S3UP_ETRANSPORT, ...).
 */
#ifndef S3UP_UPLOADS_H
#define S3UP_UPLOADS_H

#include "s3up_principal.h"
#include "s3up_s3.h"
#include "s3up_store.h"

/* The location's settings that shape uploads. */
typedef struct s3up_uploads_conf_t {
    const char *prefix;          /* S3UpPrefix */
    apr_off_t part_size;         /* S3UpPartSize */
    apr_off_t max_file_size;     /* S3UpMaxFileSize */
    int max_unfinished;          /* S3UpMaxUnfinished */
    apr_interval_time_t expires; /* S3UpPresignExpires */
    int proxy;                   /* S3UpUploadMode proxy */
    const char *secret;          /* S3UpSecretFile's key, NULL when unset */
} s3up_uploads_conf_t;

/* One request's view. */
typedef struct s3up_uploads_t {
    const s3up_uploads_conf_t *conf;
    s3up_s3_t *s3;
    s3up_store_t *store;
    const s3up_principal_t *who;
    int is_admin;          /* may use every endpoint, and every upload in it */
    const char *chosen;    /* the endpoint the request's path names, or NULL */
    const char *part_base; /* absolute URL of the location (with /e/{id}), for parts
                              PUT through httpd */
} s3up_uploads_t;

/* A multipart upload's name stays reserved this long at most: longer than
 * anyone pauses an upload, short enough that an abandoned one frees it. */
#define S3UP_UPLOADS_HOLD apr_time_from_sec(30 * 86400)

/* Part numbers one /batch may ask for. */
#define S3UP_UPLOADS_BATCH_MAX 100

/* Endpoint `id`, if the caller may use it: an unknown endpoint and one of
 * somebody else's answer alike (S3UP_ENOTFOUND, "NoSuchEndpoint"); for
 * writing it must be open too (S3UP_EDENIED, "EndpointRevoked" or
 * "EndpointExpired"). */
apr_status_t s3up_uploads_endpoint(s3up_endpoint_t **out, s3up_uploads_t *u, const char *id,
                                   int writing, s3up_error_t **err, apr_pool_t *p);

/* The ids of the endpoints the caller may use (const char *), sorted. */
apr_status_t s3up_uploads_endpoint_ids(apr_array_header_t **ids, s3up_uploads_t *u,
                                       s3up_error_t **err, apr_pool_t *p);

/* The endpoint a request without a key is about: the chosen one, or the
 * caller's only one (S3UP_EINPUT when they have several). */
apr_status_t s3up_uploads_default_endpoint(s3up_endpoint_t **out, s3up_uploads_t *u, int writing,
                                           s3up_error_t **err, apr_pool_t *p);

/* The endpoint a key a client sent lies in, if the caller may touch it:
 * S3UpPrefix{id}/{a path the key policy would produce}. Every other key,
 * whatever the reason, is S3UP_EDENIED "InvalidKey". */
apr_status_t s3up_uploads_key_endpoint(s3up_endpoint_t **out, s3up_uploads_t *u, const char *key,
                                       int writing, s3up_error_t **err, apr_pool_t *p);

/* The largest file ep takes. */
apr_off_t s3up_uploads_limit(const s3up_uploads_t *u, const s3up_endpoint_t *ep);

/* A new file, as the client describes it. */
typedef struct s3up_file_t {
    const char *filename;
    const char *relative_path; /* Uppy's relativePath, or NULL */
    const char *content_type;  /* NULL: application/octet-stream */
    apr_off_t size;            /* -1: not declared */
    const char *fingerprint;   /* the client's digest of the file's content, or NULL */
} s3up_file_t;

/* A fingerprint is 16 to 128 characters of A-Z a-z 0-9 - _ : (any digest's
 * text form); S3UP_EINPUT otherwise. */
apr_status_t s3up_uploads_fingerprint_check(const char *fingerprint, s3up_error_t **err,
                                            apr_pool_t *p);

typedef struct s3up_started_t {
    const char *key;
    const char *upload_id;
    apr_off_t part_size;       /* of a declared size; 0 otherwise */
    int through_httpd;         /* its parts go through httpd (proxy mode, or no size) */
    int resumed;               /* an unfinished upload of the same file, continued */
    apr_array_header_t *parts; /* resumed: the parts S3 holds (s3up_part_t) */
} s3up_started_t;

/* Start a multipart upload in ep: a free key (the name, else "name (1).ext",
 * ... found with a bounded number of S3 calls), reserved for the upload.
 * A file with a declared size and a fingerprint that the caller (the same
 * person, or the same link) is already uploading into ep under the same
 * path, size and fingerprint is not started again: that upload is
 * continued (resumed set, with the parts S3 holds), from any browser.
 * Nobody else's upload is ever found this way: a fingerprint is no
 * secret, so it is looked up only among the caller's own uploads.
 * A file of declared size gets part URLs signed for each part's exact
 * length; one of no declared size gets part URLs through httpd, which
 * needs S3UpSecretFile (else S3UP_EINPUT: declare the size). */
apr_status_t s3up_uploads_start(s3up_started_t **out, s3up_uploads_t *u, const s3up_endpoint_t *ep,
                                const s3up_file_t *file, s3up_error_t **err, apr_pool_t *p);

/* A browser form upload (POST policy) of one file into ep: a free key
 * reserved while the form may be sent, the size limited by S3 itself. */
apr_status_t s3up_uploads_form(s3up_post_t **out, s3up_uploads_t *u, const s3up_endpoint_t *ep,
                               const s3up_file_t *file, s3up_error_t **err, apr_pool_t *p);

/* A URL each of the parts numbered in numbers may be PUT to, for the
 * caller's own upload (an admin's: any): S3's, signed for the part's exact
 * length, or httpd's with a token. urls receives const char * in the order
 * of numbers. */
apr_status_t s3up_uploads_sign(apr_array_header_t **urls, s3up_uploads_t *u, const char *key,
                               const char *upload_id, const apr_array_header_t *numbers,
                               s3up_error_t **err, apr_pool_t *p);

/* The parts S3 holds of the caller's upload (s3up_part_t). */
apr_status_t s3up_uploads_parts(apr_array_header_t **parts, s3up_uploads_t *u, const char *key,
                                const char *upload_id, s3up_error_t **err, apr_pool_t *p);

typedef struct s3up_finished_t {
    const char *key;
    const char *location; /* the object's URL */
    const char *endpoint;
    apr_off_t size;
    const char *etag; /* the object's, when known */
    int again;        /* completed before: the answer of a retried complete */
} s3up_finished_t;

/* A file the caller sent in one POST (s3up_uploads_form): it must be
 * there, be the caller's (its uploaded-by), and be within the limit, else
 * it is deleted (S3UP_ETOOBIG). Noted in the store the first time; a later
 * confirmation answers the same with again set. */
apr_status_t s3up_uploads_arrived(s3up_finished_t **out, s3up_uploads_t *u, const char *key,
                                  s3up_error_t **err, apr_pool_t *p);

/* Complete the caller's upload from parts (s3up_part_t: number, etag). A
 * file over its endpoint's limit (the parts' sizes, then the object's) is
 * aborted or deleted, never kept: S3UP_ETOOBIG, *out telling the size. */
apr_status_t s3up_uploads_complete(s3up_finished_t **out, s3up_uploads_t *u, const char *key,
                                   const char *upload_id, const apr_array_header_t *parts,
                                   s3up_error_t **err, apr_pool_t *p);

/* A part PUT through httpd goes on to S3 as UploadPart, read from read
 * (size bytes) as it arrives; the caller has checked its token. */
apr_status_t s3up_uploads_pass_part(const char **etag, s3up_s3_t *s3, const char *key,
                                    const char *upload_id, int part, s3up_http_read_fn *read,
                                    void *baton, apr_off_t size, s3up_error_t **err, apr_pool_t *p);

/* Abort the caller's upload. Only the upload its key is reserved for: an
 * abort naming another upload aborts and frees nothing (S3UP_ENOTFOUND). */
apr_status_t s3up_uploads_abort(s3up_uploads_t *u, const char *key, const char *upload_id,
                                s3up_error_t **err, apr_pool_t *p);

/* A page of the files in ep the caller may see: a member sees the folder;
 * a link holder only what came through their link. */
apr_status_t s3up_uploads_files(s3up_object_page_t **out, s3up_uploads_t *u,
                                const s3up_endpoint_t *ep, const char *cursor, s3up_error_t **err,
                                apr_pool_t *p);

/* How a principal's name is kept in object metadata (x-amz-meta-*, ASCII
 * only): as it is, or RFC 2047 encoded as AWS advises. */
const char *s3up_uploads_meta_value(const char *v, apr_pool_t *p);

#endif /* S3UP_UPLOADS_H */
