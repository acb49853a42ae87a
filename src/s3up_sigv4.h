/*
 * AWS Signature Version 4, in stages:
 *   canonical request -> string to sign -> signing key -> signature
 * for Authorization-header signing, query presigning and S3 POST policies.
 *
 * S3's rules are the default: the path is used as sent (encoded once by the
 * caller with s3up_uri_encode), never normalised, and
 * x-amz-content-sha256 is always signed. The generic AWS rules (double
 * encoding, path normalisation) are flags, so the AWS test suite can run.
 */
#ifndef S3UP_SIGV4_H
#define S3UP_SIGV4_H

#include "s3up.h"

#define S3UP_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define S3UP_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct s3up_creds_t {
    const char *access_key;
    const char *secret_key;
    const char *session_token; /* NULL unless temporary credentials */
    apr_time_t expires;        /* 0: never */
} s3up_creds_t;

/* Flags for s3up_sigv4_req_t.flags */
#define S3UP_SIGV4_DOUBLE_ENCODE 0x01 /* generic AWS: encode the path again */
#define S3UP_SIGV4_NORMALIZE 0x02     /* generic AWS: remove dot segments, // */
#define S3UP_SIGV4_NO_SHA256_HDR 0x04 /* generic AWS: no x-amz-content-sha256 */

typedef struct s3up_sigv4_req_t {
    const char *method;          /* "PUT" */
    const char *path;            /* as on the wire, already encoded: "/bucket/a%20b" */
    apr_array_header_t *query;   /* s3up_kv_t, NOT encoded; may be NULL */
    apr_array_header_t *headers; /* s3up_kv_t, must hold "host"; signing adds to it */
    const char *payload_hash;    /* hex sha256 of the body, or UNSIGNED-PAYLOAD;
                                    NULL means the empty body */
    const char *region;
    const char *service; /* "s3" */
    apr_time_t now;      /* signing time, passed in */
    int flags;
} s3up_sigv4_req_t;

/* A signer: reused EVP_MAC context plus a cache of the signing key per
 * (date, region, service, secret). Not thread-safe: one per thread. Freed
 * with its pool. */
typedef struct s3up_sigv4_t s3up_sigv4_t;

apr_status_t s3up_sigv4_create(s3up_sigv4_t **out, apr_pool_t *p);

/* Stage 1. For query presigning, pass a query that already holds the
 * X-Amz-* parameters (s3up_sigv4_presign does). signed_headers receives
 * the "host;x-amz-date" list. Every header in req->headers is signed except
 * Authorization, so a signed request gives the same canonical request. */
apr_status_t s3up_sigv4_canonical_request(const char **out, const char **signed_headers,
                                          const s3up_sigv4_req_t *req, apr_pool_t *p);

/* Stage 2. scope is "20150830/us-east-1/service/aws4_request". */
apr_status_t s3up_sigv4_string_to_sign(const char **out, const char *amz_date, const char *scope,
                                       const char *canonical_request, apr_pool_t *p);

/* Stage 3, cached. key receives 32 bytes. */
apr_status_t s3up_sigv4_signing_key(s3up_sigv4_t *s, unsigned char key[32], const char *secret,
                                    const char *date, const char *region, const char *service);

/* Stage 4: lower-case hex HMAC-SHA256(key, string_to_sign). */
apr_status_t s3up_sigv4_signature(const char **out, s3up_sigv4_t *s, const unsigned char key[32],
                                  const char *string_to_sign, apr_pool_t *p);

/* Header signing: adds x-amz-date, x-amz-content-sha256 (S3 rules),
 * x-amz-security-token (when creds have one) and authorization to
 * req->headers, replacing those of an earlier signing. */
apr_status_t s3up_sigv4_sign_headers(s3up_sigv4_t *s, s3up_sigv4_req_t *req,
                                     const s3up_creds_t *creds, apr_pool_t *p);

/* Query presigning: returns the whole encoded query string (the caller's
 * parameters, the X-Amz-* ones and X-Amz-Signature) to put after '?'.
 * expires must be 1 s to 7 days (SigV4's limit), else APR_EINVAL.
 * Only "host" (and any other headers in req->headers) are signed; the
 * payload is UNSIGNED-PAYLOAD unless req->payload_hash says otherwise. */
apr_status_t s3up_sigv4_presign(const char **query, s3up_sigv4_t *s, const s3up_sigv4_req_t *req,
                                const s3up_creds_t *creds, apr_interval_time_t expires,
                                apr_pool_t *p);

/* S3 POST policy (browser form upload). conditions is a JSON array text of
 * the caller's conditions (bucket, key, content-length-range, ...); the
 * x-amz-algorithm/-credential/-date (and -security-token) conditions are
 * added (the policy is UTF-8 JSON laid out as Python's json.dumps, so an
 * ASCII one is byte for byte botocore's). fields receives the form fields
 * to send (s3up_kv_t): "policy",
 * "x-amz-algorithm", "x-amz-credential", "x-amz-date",
 * ["x-amz-security-token"], "x-amz-signature". */
apr_status_t s3up_sigv4_post_policy(apr_array_header_t **fields, s3up_sigv4_t *s,
                                    const char *conditions_json, apr_time_t expiration,
                                    const char *region, apr_time_t now, const s3up_creds_t *creds,
                                    apr_pool_t *p);

#endif /* S3UP_SIGV4_H */
