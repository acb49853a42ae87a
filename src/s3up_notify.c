/*
 * Arrival notifications: the event, its signature, and the worker that
 * delivers them.
 */
#include <stdlib.h>

#include <apr_queue.h>
#include <apr_strings.h>

#include <jansson.h>

#include "s3up_json.h"
#include "s3up_notify.h"
#include "s3up_time.h"
#include "s3up_util.h"

struct s3up_notifier_t {
    const char *url, *secret;
    s3up_http_t *http;
    s3up_metrics_t *metrics;
    apr_queue_t *queue;
    apr_pool_t *pool;
    apr_time_t (*now)(void);
    s3up_notify_sleep_fn *sleep;
    int attempts;
    apr_interval_time_t first, cap;
    volatile int stopping;
};

const char *s3up_notify_event(const s3up_arrival_t *a, const char *id, apr_pool_t *p)
{
    json_t *e =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:{s:s,s:s}}", "type", "s3up.file.arrived",
                  "id", id, "time", s3up_time_iso8601(a->time, p), "bucket", a->bucket, "endpoint",
                  a->endpoint, "key", a->key, "name", a->name, "size", (json_int_t)a->size,
                  "uploaded_by", "name", a->who, "via", a->via);

    if (e && a->etag && *a->etag) {
        json_object_set_new(e, "etag", json_string(a->etag));
    }
    return e ? s3up_json_dump(s3up_json_own(e, p), p) : NULL;
}

const char *s3up_notify_signature(const char *secret, apr_time_t t, const char *body, apr_pool_t *p)
{
    const char *stamp = apr_psprintf(p, "%" APR_TIME_T_FMT, apr_time_sec(t));
    const char *signed_text = apr_pstrcat(p, stamp, ".", body, NULL);
    unsigned char mac[32];

    if (s3up_hmac_sha256(mac, secret, strlen(secret), signed_text, strlen(signed_text)) !=
        APR_SUCCESS) {
        return NULL;
    }
    return apr_pstrcat(p, "t=", stamp, ",v1=", s3up_hex(mac, sizeof(mac), p), NULL);
}

/* Waits t, or less when the notifier is stopping. */
static void wait_unless_stopping(s3up_notifier_t *n, apr_interval_time_t t)
{
    const apr_interval_time_t slice = apr_time_from_msec(100);

    while (t > 0 && !n->stopping) {
        apr_sleep(t < slice ? t : slice);
        t -= slice;
    }
}

apr_status_t s3up_notifier_create(s3up_notifier_t **out, const char *url, const char *secret,
                                  s3up_http_t *http, s3up_metrics_t *metrics, unsigned int capacity,
                                  apr_pool_t *p)
{
    s3up_notifier_t *n = apr_pcalloc(p, sizeof(*n));
    apr_status_t rv = apr_queue_create(&n->queue, capacity, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    n->url = apr_pstrdup(p, url);
    n->secret = apr_pstrdup(p, secret);
    n->http = http;
    n->metrics = metrics;
    n->pool = p;
    s3up_notifier_set_clock(n, s3up_clock_now, wait_unless_stopping);
    s3up_notifier_set_retries(n, 6, apr_time_from_sec(1), apr_time_from_sec(60));
    *out = n;
    return APR_SUCCESS;
}

void s3up_notifier_set_clock(s3up_notifier_t *n, apr_time_t (*now)(void),
                             s3up_notify_sleep_fn *sleep)
{
    n->now = now;
    n->sleep = sleep;
}

void s3up_notifier_set_retries(s3up_notifier_t *n, int attempts, apr_interval_time_t first,
                               apr_interval_time_t cap)
{
    n->attempts = attempts;
    n->first = first;
    n->cap = cap;
}

apr_status_t s3up_notifier_post(s3up_notifier_t *n, const char *body)
{
    char *copy = n->stopping ? NULL : strdup(body);
    apr_status_t rv = copy ? apr_queue_trypush(n->queue, copy) : APR_EOF;

    if (rv != APR_SUCCESS) {
        free(copy);
        s3up_metrics_add(n->metrics, S3UP_M_NOTIFY_FAILED, 1);
        s3up_log(S3UP_LOG_ERR, rv, "notify: an event was dropped (%s)",
                 rv == APR_EAGAIN ? "the queue is full" : "the notifier has stopped");
    }
    return rv;
}

/* Whether a failed attempt is worth another: no answer, the receiver's
 * trouble (5xx), or it asked to be asked later (408, 429). */
static int worth_again(apr_status_t rv, int status)
{
    return rv != APR_SUCCESS || status >= 500 || status == 408 || status == 429;
}

apr_status_t s3up_notifier_deliver(s3up_notifier_t *n, const char *body, apr_pool_t *p)
{
    apr_status_t rv = APR_EGENERAL;
    int status = 0;

    for (int attempt = 1; attempt <= n->attempts && !n->stopping; attempt++) {
        apr_array_header_t *headers = apr_array_make(p, 4, sizeof(s3up_kv_t));
        const char *sig = s3up_notify_signature(n->secret, n->now(), body, p), *detail = NULL;
        s3up_http_req_t req = {0};
        s3up_http_resp_t *resp = NULL;

        s3up_kv_add(headers, "content-type", "application/json");
        s3up_kv_add(headers, "x-s3up-signature", sig ? sig : "");
        req.method = "POST";
        req.url = n->url;
        req.headers = headers;
        req.body = body;
        req.body_len = strlen(body);
        req.max_response = 4096;
        rv = s3up_http_perform(&resp, &detail, n->http, &req, p);
        status = rv == APR_SUCCESS ? resp->status : 0;
        if (rv == APR_SUCCESS && status >= 200 && status < 300) {
            s3up_metrics_add(n->metrics, S3UP_M_NOTIFY_SENT, 1);
            s3up_log(S3UP_LOG_DEBUG, 0, "notify: delivered (HTTP %d, attempt %d)", status, attempt);
            return APR_SUCCESS;
        }
        s3up_log(S3UP_LOG_WARN, rv, "notify: attempt %d of %d failed: %s", attempt, n->attempts,
                 rv == APR_SUCCESS ? apr_psprintf(p, "HTTP %d", status)
                                   : (detail ? detail : "no answer"));
        if (!worth_again(rv, status) || attempt == n->attempts) {
            break;
        }
        n->sleep(n, s3up_backoff(n->first, n->cap, attempt, s3up_random32()));
    }
    s3up_metrics_add(n->metrics, S3UP_M_NOTIFY_FAILED, 1);
    s3up_log(S3UP_LOG_ERR, rv, "notify: an event was given up (last: %s)",
             rv == APR_SUCCESS ? apr_psprintf(p, "HTTP %d", status) : "no answer");
    return rv == APR_SUCCESS ? APR_EGENERAL : rv;
}

void s3up_notifier_run(s3up_notifier_t *n)
{
    apr_pool_t *p;
    void *item;

    apr_pool_create(&p, n->pool);
    while (!n->stopping) {
        apr_status_t rv = apr_queue_pop(n->queue, &item);
        if (rv == APR_EINTR) {
            continue;
        }
        if (rv != APR_SUCCESS) {
            break; /* APR_EOF: terminated */
        }
        s3up_notifier_deliver(n, item, p);
        free(item);
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
}

void s3up_notifier_stop(s3up_notifier_t *n)
{
    unsigned int left;
    void *item;

    n->stopping = 1;
    for (left = 0; apr_queue_trypop(n->queue, &item) == APR_SUCCESS; left++) {
        free(item);
    }
    apr_queue_term(n->queue); /* wakes the worker */
    if (left) {
        s3up_metrics_add(n->metrics, S3UP_M_NOTIFY_FAILED, left);
        s3up_log(S3UP_LOG_WARN, 0, "notify: %u queued events dropped as the process ends", left);
    }
}
