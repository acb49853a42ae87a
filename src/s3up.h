/*
 * mod_s3up core: shared types, error codes and the log bridge.
 *
 * Files named src/s3up_*.c include only APR, APR-util, libcurl, OpenSSL,
 * libxml2 and jansson; the httpd side lives in mod_s3up*.c.
 */
#ifndef S3UP_H
#define S3UP_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/* Tag for every httpd-side error and warning: S3UP_LOGNO(0101) "..." */
#define S3UP_LOGNO(n) "S3UP" #n ": "

/* Our status codes, beside APR's own (APR_EINVAL, APR_ENOMEM, ...). */
#define S3UP_EBASE (APR_OS_START_USERERR + 3300)
#define S3UP_ES3 (S3UP_EBASE + 1)        /* S3 answered with an error: see s3up_error_t */
#define S3UP_ETRANSPORT (S3UP_EBASE + 2) /* no answer: connect, timeout, reset */
#define S3UP_EPARSE (S3UP_EBASE + 3)     /* an answer we cannot read */
#define S3UP_ETOOBIG (S3UP_EBASE + 4)    /* input or answer over its size limit */
#define S3UP_ECONFLICT (S3UP_EBASE + 5)  /* a conditional request lost the race */
#define S3UP_ENOTFOUND (S3UP_EBASE + 6)  /* the thing asked for does not exist */
#define S3UP_ENOCONNECT (S3UP_EBASE + 7) /* could not connect: nothing was sent */
#define S3UP_ELIMIT (S3UP_EBASE + 8)     /* a limit was reached: wait, or do less */
#define S3UP_EINPUT (S3UP_EBASE + 9)     /* the caller's input is not acceptable */
#define S3UP_EDENIED (S3UP_EBASE + 10)   /* the caller may not do this */

/* What went wrong talking to S3, in one shape for every operation. */
typedef struct s3up_error_t {
    apr_status_t status;    /* one of the codes above */
    int http_status;        /* S3's HTTP status, 0 when there was no answer */
    const char *code;       /* S3's code ("NoSuchUpload"), or ours ("TransportError") */
    const char *message;    /* human readable, never a secret */
    const char *request_id; /* x-amz-request-id / <RequestId>, may be NULL */
    int retryable;          /* 500, 503, SlowDown, network: worth trying again */
    int retry_after;        /* seconds a client should wait before asking again, 0 when
                               waiting will not help (set by the AWS call engine) */
} s3up_error_t;

/* A new error, and the shortcut for failing with one of ours (no HTTP
 * answer behind it): `return s3up_fail(err, APR_EINVAL, ...);`. */
s3up_error_t *s3up_error_make(apr_status_t status, int http_status, const char *code,
                              const char *message, apr_pool_t *p);
apr_status_t s3up_fail(s3up_error_t **err, apr_status_t status, const char *code,
                       const char *message, apr_pool_t *p);

/* The same with a message made from fmt: `return s3up_failf(err, S3UP_EINPUT,
 * "BadRequest", p, "part %d ...", n);`. */
apr_status_t s3up_failf(s3up_error_t **err, apr_status_t status, const char *code, apr_pool_t *p,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A name/value pair: HTTP headers, query parameters, form fields. */
typedef struct s3up_kv_t {
    const char *name;
    const char *value;
} s3up_kv_t;

/* Append a pair to an array of s3up_kv_t (created with apr_array_make). */
void s3up_kv_add(apr_array_header_t *kvs, const char *name, const char *value);

/* First value whose name matches case-insensitively, or NULL. */
const char *s3up_kv_get(const apr_array_header_t *kvs, const char *name);

/* The log bridge: the core logs through this, mod_s3up.c points it at
 * ap_log_error. Levels follow APLOG_* numbering (3 error, 4 warn, 6 info,
 * 7 debug). Unset, nothing is logged. */
typedef void s3up_log_fn(void *baton, int level, apr_status_t rv, const char *msg);
void s3up_log_set(s3up_log_fn *fn, void *baton, int max_level);
int s3up_log_enabled(int level);
void s3up_log(int level, apr_status_t rv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define S3UP_LOG_ERR 3
#define S3UP_LOG_WARN 4
#define S3UP_LOG_INFO 6
#define S3UP_LOG_DEBUG 7

/* The clients' defaults for what tests replace: apr_time_now, apr_sleep,
 * and 32 random bits (for jitter). */
apr_time_t s3up_clock_now(void);
void s3up_clock_sleep(apr_interval_time_t t);
apr_uint32_t s3up_random32(void);

/* The wait before retry number `attempt` (1, 2, ...): base doubling up to
 * cap, then half of that plus jitter from random, so that retries still
 * back off yet many clients' retries spread apart. */
apr_interval_time_t s3up_backoff(apr_interval_time_t base, apr_interval_time_t cap, int attempt,
                                 apr_uint32_t random);

/* A short readable text for our status codes and APR's. */
const char *s3up_strerror(apr_status_t rv, apr_pool_t *p);

#endif /* S3UP_H */
