/*
 * The one way every AWS call is made (S3, Cognito, and the credential
 * providers to come): sign with SigV4, send through the transport, let the
 * service read the answer, and try again with backoff and jitter when that
 * is safe. Each service says how its answers read and what may be repeated.
 */
#ifndef S3UP_AWS_H
#define S3UP_AWS_H

#include "s3up.h"
#include "s3up_http.h"
#include "s3up_metrics.h"
#include "s3up_sigv4.h"

/* A call's default budget, in seconds (s3up_aws_t.budget). */
#define S3UP_AWS_BUDGET 12

/* The longest Retry-After the engine passes on from a service, in seconds. */
#define S3UP_AWS_RETRY_AFTER_MAX 60

typedef void s3up_sleep_fn(apr_interval_time_t t);

/* Where a service answers: an http(s) URL without path, query or user
 * info, as configured, and what follows from it. */
typedef struct s3up_aws_server_t {
    const char *url;    /* "https://s3.us-east-1.amazonaws.com", "http://127.0.0.1:7480" */
    const char *origin; /* scheme://host[:port], the port only when not the scheme's */
    const char *host;   /* the Host header curl sends (and SigV4 signs) */
    int https;
} s3up_aws_server_t;

/* APR_EINVAL for a URL that is not one of those. */
apr_status_t s3up_aws_server_parse(s3up_aws_server_t *out, const char *url, apr_pool_t *p);

/* A client of one service in one region: who signs, and the retry policy.
 * Cheap to make; not shared between threads (the signer is not). */
typedef struct s3up_aws_t {
    const s3up_creds_t *creds; /* NULL: calls are sent unsigned (STS, metadata) */
    s3up_sigv4_t *signer;
    s3up_http_t *http;
    const char *service;            /* "s3", "cognito-idp" */
    const char *region;             /* of the credential scope */
    int sign_flags;                 /* S3UP_SIGV4_*: S3's rules when 0 */
    apr_time_t (*now)(void);        /* apr_time_now unless a test fixes it */
    s3up_sleep_fn *sleep;           /* apr_sleep unless a test records it */
    apr_uint32_t (*random)(void);   /* jitter source */
    int max_attempts;               /* 1 = no retry */
    apr_interval_time_t retry_base; /* first backoff; doubles each time */
    apr_interval_time_t retry_cap;  /* longest single backoff */
    /* Longest time a call may take, every attempt and wait included: a
     * store that stops answering is given up on after this, so the caller
     * can answer 503 with Retry-After rather than hold its worker. */
    apr_interval_time_t budget;
    s3up_metrics_t *metrics; /* where requests are counted; NULL: nowhere */
} s3up_aws_t;

/* Defaults: the clock, apr_sleep, 32 random bits, 4 attempts, 100 ms base,
 * 5 s cap, a budget of S3UP_AWS_BUDGET seconds, S3's signing rules. */
void s3up_aws_init(s3up_aws_t *aws, const char *service, const char *region,
                   const s3up_creds_t *creds, s3up_sigv4_t *signer, s3up_http_t *http);

typedef struct s3up_aws_call_t s3up_aws_call_t;

/* One call, before signing. */
struct s3up_aws_call_t {
    const char *op; /* for messages and the log: "ListParts" */
    const char *method;
    const char *url;             /* absolute, encoded, with its query */
    const char *host;            /* the Host header, as the transport will send it */
    const char *path;            /* as on the wire, for signing */
    apr_array_header_t *query;   /* s3up_kv_t unencoded, for signing; may be NULL */
    apr_array_header_t *headers; /* s3up_kv_t besides host and SigV4's own; may be NULL */
    const char *payload_hash;    /* hex sha256 of the body, or UNSIGNED-PAYLOAD */
    const char *body;            /* a small body in memory, or NULL ... */
    apr_size_t body_len;
    s3up_http_read_fn *body_read; /* ... or a streamed one */
    void *body_baton;
    apr_off_t body_size;
    apr_size_t max_response;
    int head;
    /* This call's budget when it needs another than the client's (a
     * CompleteMultipartUpload of many parts); 0: the client's. A streamed
     * body has none: it ends only when its line stalls. */
    apr_interval_time_t budget;
    int idempotent;    /* safe to send again after any failure */
    const void *baton; /* the service's own view of the call */
    /* The service's reading of an answer: NULL for a success, else the
     * error (with its retryable flag set). */
    s3up_error_t *(*read_answer)(const s3up_aws_call_t *c, const s3up_http_resp_t *resp,
                                 apr_pool_t *p);
    /* For a call that is not idempotent: whether a failed attempt surely
     * changed nothing, so it may be sent again. NULL: only when nothing was
     * sent. */
    int (*changed_nothing)(const s3up_error_t *e);
};

/* How long a client should wait before asking again after e, in seconds
 * (e->retry_after): the service's own Retry-After when it sent one (at
 * most S3UP_AWS_RETRY_AFTER_MAX), else 5 when no answer came at all (the
 * service is unreachable or stalled), 2 when it answered that it is busy
 * (5xx, SlowDown), 0 when waiting will not help. resp may be NULL. */
int s3up_aws_retry_after(const s3up_error_t *e, const s3up_http_resp_t *resp);

/* Make the call: APR_SUCCESS and *out, or the error of the last attempt
 * (with *err, its retry_after set). Every attempt and backoff fits in the
 * call's budget: an attempt's timeout is what is left of it. One debug line per attempt: the
 * operation, method, path and status (never the query, which may hold a signature). */
apr_status_t s3up_aws_call(s3up_http_resp_t **out, const s3up_aws_t *aws, const s3up_aws_call_t *c,
                           s3up_error_t **err, apr_pool_t *p);

/* n calls, up to at_once in flight together when the transport can
 * (perform_all), each answered as s3up_aws_call would in outs[i], rvs[i]
 * and errs[i]: a call whose attempt failed and may be repeated is sent
 * again alone, with the retry policy. For small calls (HEAD, GET of a
 * record); one after another when the transport cannot send them at once.
 * Every call spends at most the client's budget. */
void s3up_aws_call_all(s3up_http_resp_t **outs, apr_status_t *rvs, s3up_error_t **errs,
                       const s3up_aws_t *aws, const s3up_aws_call_t *const *calls, int n,
                       int at_once, apr_pool_t *p);

#endif /* S3UP_AWS_H */
