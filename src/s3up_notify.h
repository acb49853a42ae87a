/*
 * Arrival notifications: one JSON event per file that arrived, POSTed to
 * S3UpNotifyURL with an HMAC-SHA256 signature, by a worker beside the
 * requests (never within one), and sent again with backoff while the
 * receiver fails. Events wait in a bounded queue in memory: a full queue,
 * or a process that ends before it could deliver, loses them (counted and
 * logged), so a receiver that must see every file also looks at the bucket.
 */
#ifndef S3UP_NOTIFY_H
#define S3UP_NOTIFY_H

#include "s3up.h"
#include "s3up_http.h"
#include "s3up_metrics.h"

/* A file that arrived. */
typedef struct s3up_arrival_t {
    const char *bucket, *endpoint, *key;
    const char *name; /* below the endpoint's folder */
    apr_off_t size;
    const char *etag; /* as S3 gives it, quotes included; may be NULL */
    const char *who, *via;
    apr_time_t time;
} s3up_arrival_t;

/* The event as JSON, with id (random: a receiver drops what it has seen). */
const char *s3up_notify_event(const s3up_arrival_t *a, const char *id, apr_pool_t *p);

/* The X-S3up-Signature value for body sent at t: "t=UNIX,v1=HEX", where
 * HEX is the HMAC-SHA256 of "UNIX.body" under secret. */
const char *s3up_notify_signature(const char *secret, apr_time_t t, const char *body,
                                  apr_pool_t *p);

typedef struct s3up_notifier_t s3up_notifier_t;

typedef void s3up_notify_sleep_fn(s3up_notifier_t *n, apr_interval_time_t t);

/* A notifier for url, signing with secret, sending through http (its
 * own: the worker's thread uses it alone), counting into metrics (may be
 * NULL), with room for capacity events. Made in p, which must outlive it. */
apr_status_t s3up_notifier_create(s3up_notifier_t **out, const char *url, const char *secret,
                                  s3up_http_t *http, s3up_metrics_t *metrics, unsigned int capacity,
                                  apr_pool_t *p);

/* Tests fix these: the clock, the waits between attempts, the attempts
 * (default 6, 1 s doubling up to 60 s between them). */
void s3up_notifier_set_clock(s3up_notifier_t *n, apr_time_t (*now)(void),
                             s3up_notify_sleep_fn *sleep);
void s3up_notifier_set_retries(s3up_notifier_t *n, int attempts, apr_interval_time_t first,
                               apr_interval_time_t cap);

/* Queue an event body (copied); never waits. APR_EAGAIN when the queue is
 * full (the event is counted as failed), APR_EOF once stopped. */
apr_status_t s3up_notifier_post(s3up_notifier_t *n, const char *body);

/* Deliver one body, with its retries: APR_SUCCESS once the receiver
 * answered 2xx, else the last failure (counted, logged). */
apr_status_t s3up_notifier_deliver(s3up_notifier_t *n, const char *body, apr_pool_t *p);

/* The worker's loop: deliver what is queued until s3up_notifier_stop. */
void s3up_notifier_run(s3up_notifier_t *n);

/* End the loop: waits between attempts end at once; what is still queued
 * is dropped, and said in the log. */
void s3up_notifier_stop(s3up_notifier_t *n);

#endif /* S3UP_NOTIFY_H */
