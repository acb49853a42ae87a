/*
 * A scripted transport for unit tests, put in through the function table:
 * it answers in order and records the last request it was given.
 */
#ifndef S3UP_FAKE_HTTP_H
#define S3UP_FAKE_HTTP_H

#include <stdarg.h>

#include <apr_strings.h>

#include "s3up_s3.h"

#define MAX_SCRIPT 8

/* A scripted transport: answers in order, records what it was asked. */
typedef struct fake_answer_t {
    apr_status_t rv; /* APR_SUCCESS, S3UP_ENOCONNECT, S3UP_ETRANSPORT */
    int status;
    const char *body;
    const char *request_id; /* x-amz-request-id header */
    const char *etag;       /* ETag header */
} fake_answer_t;

typedef struct fake_t {
    fake_answer_t answers[MAX_SCRIPT];
    int n_answers, calls;
    const char *method, *url, *body;
    apr_size_t body_len;
    apr_array_header_t *headers;
    apr_interval_time_t slept[MAX_SCRIPT];
    int sleeps;
    /* Set after script(): how long each answer takes to come (the fake
     * clock moves on by it), a Retry-After header on every answer, and the
     * timeout each request was given. */
    apr_interval_time_t takes[MAX_SCRIPT];
    const char *retry_after;
    apr_interval_time_t timeouts[MAX_SCRIPT];
} fake_t;

static fake_t fake;

/* 2025-11-29T11:00:00Z unless a test moves it. */
static apr_time_t fake_clock = APR_INT64_C(1764414000) * APR_USEC_PER_SEC;

static inline apr_status_t fake_perform(s3up_http_resp_t **out, const char **detail, s3up_http_t *h,
                                        const s3up_http_req_t *req, apr_pool_t *p)
{
    fake_answer_t *a;
    s3up_http_resp_t *resp;
    (void)h;

    fake.method = req->method;
    fake.url = req->url;
    fake.headers = req->headers;
    fake.body = req->body;
    fake.body_len = req->body_len;
    if (fake.calls < MAX_SCRIPT) {
        fake.timeouts[fake.calls] = req->timeout;
        /* An answer that takes longer than the timeout does not come. */
        if (req->timeout > 0 && fake.takes[fake.calls] > req->timeout) {
            fake_clock += req->timeout;
            fake.calls++;
            *detail = "timed out";
            return S3UP_ETRANSPORT;
        }
        fake_clock += fake.takes[fake.calls];
    }
    if (fake.calls >= fake.n_answers) {
        *detail = "script ran out";
        fake.calls++;
        return S3UP_ETRANSPORT;
    }
    a = &fake.answers[fake.calls++];
    if (a->rv != APR_SUCCESS) {
        *detail = "scripted failure";
        return a->rv;
    }
    resp = apr_pcalloc(p, sizeof(*resp));
    resp->status = a->status;
    resp->headers = apr_table_make(p, 4);
    if (a->request_id) {
        apr_table_set(resp->headers, "x-amz-request-id", a->request_id);
    }
    if (a->etag) {
        apr_table_set(resp->headers, "ETag", a->etag);
    }
    if (fake.retry_after) {
        apr_table_set(resp->headers, "Retry-After", fake.retry_after);
    }
    resp->body = a->body ? a->body : "";
    resp->body_len = strlen(resp->body);
    *out = resp;
    return APR_SUCCESS;
}

static const s3up_http_ops_t fake_ops = {fake_perform, NULL};

static inline apr_time_t fixed_now(void)
{
    return fake_clock;
}

static inline void record_sleep(apr_interval_time_t t)
{
    if (fake.sleeps < MAX_SCRIPT) {
        fake.slept[fake.sleeps] = t;
    }
    fake.sleeps++;
}

static inline apr_uint32_t no_jitter(void)
{
    return 0;
}

static inline void script(int n, ...)
{
    va_list ap;
    memset(&fake, 0, sizeof(fake));
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        fake.answers[i] = va_arg(ap, fake_answer_t);
    }
    va_end(ap);
    fake.n_answers = n;
}

static inline const char *sent_header(const char *name)
{
    return fake.headers ? s3up_kv_get(fake.headers, name) : NULL;
}

#define OK(status) ((fake_answer_t){APR_SUCCESS, (status), NULL, NULL, NULL})
#define BODY(status, body) ((fake_answer_t){APR_SUCCESS, (status), (body), NULL, NULL})
#define FAIL(rv) ((fake_answer_t){(rv), 0, NULL, NULL, NULL})

#endif /* S3UP_FAKE_HTTP_H */
