/*
 * The AWS call engine.
 */
#include <apr_strings.h>
#include <apr_uri.h>

#include "s3up_aws.h"

apr_status_t s3up_aws_server_parse(s3up_aws_server_t *out, const char *url, apr_pool_t *p)
{
    apr_uri_t u;
    const char *host;
    int https;

    if (!url || apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme || !u.hostname ||
        !*u.hostname) {
        return APR_EINVAL;
    }
    https = !strcasecmp(u.scheme, "https");
    if ((!https && strcasecmp(u.scheme, "http")) || u.user || u.password || u.query || u.fragment ||
        (u.path && *u.path && strcmp(u.path, "/"))) {
        return APR_EINVAL;
    }
    host = strchr(u.hostname, ':') ? apr_pstrcat(p, "[", u.hostname, "]", NULL) : u.hostname;
    /* curl leaves a default port out of Host, so the signed Host must too. */
    if (u.port_str && u.port != (https ? 443 : 80)) {
        host = apr_psprintf(p, "%s:%u", host, (unsigned)u.port);
    }
    out->url = url;
    out->https = https;
    out->host = apr_pstrdup(p, host);
    out->origin = apr_pstrcat(p, https ? "https://" : "http://", host, NULL);
    return APR_SUCCESS;
}

void s3up_aws_init(s3up_aws_t *aws, const char *service, const char *region,
                   const s3up_creds_t *creds, s3up_sigv4_t *signer, s3up_http_t *http)
{
    memset(aws, 0, sizeof(*aws));
    aws->service = service;
    aws->region = region;
    aws->creds = creds;
    aws->signer = signer;
    aws->http = http;
    aws->now = s3up_clock_now;
    aws->sleep = s3up_clock_sleep;
    aws->random = s3up_random32;
    aws->max_attempts = 4;
    aws->retry_base = apr_time_from_msec(100);
    aws->retry_cap = apr_time_from_sec(5);
    aws->budget = apr_time_from_sec(S3UP_AWS_BUDGET);
}

int s3up_aws_retry_after(const s3up_error_t *e, const s3up_http_resp_t *resp)
{
    const char *given = resp && resp->headers ? apr_table_get(resp->headers, "Retry-After") : NULL;
    char *end;
    long n;

    if (!e->retryable) {
        return 0;
    }
    if (given) {
        /* Seconds; an HTTP date is not worth parsing for this. */
        n = strtol(given, &end, 10);
        if (end != given && !*end && n >= 0) {
            return n < 1 ? 1 : n > S3UP_AWS_RETRY_AFTER_MAX ? S3UP_AWS_RETRY_AFTER_MAX : (int)n;
        }
    }
    return e->http_status ? 2 : 5;
}

/* The headers of an attempt, signed now. */
static apr_status_t sign(apr_array_header_t **headers, const s3up_aws_t *aws,
                         const s3up_aws_call_t *c, apr_pool_t *p)
{
    s3up_sigv4_req_t sreq = {0};
    apr_status_t rv;

    sreq.method = c->method;
    sreq.path = c->path;
    sreq.query = c->query;
    sreq.headers =
        c->headers ? apr_array_copy(p, c->headers) : apr_array_make(p, 8, sizeof(s3up_kv_t));
    if (!aws->creds) {
        /* A call made to get credentials: nothing to sign with. */
        *headers = sreq.headers;
        return APR_SUCCESS;
    }
    s3up_kv_add(sreq.headers, "host", c->host);
    sreq.payload_hash = c->payload_hash;
    sreq.region = aws->region;
    sreq.service = aws->service;
    sreq.now = aws->now();
    sreq.flags = aws->sign_flags;
    rv = s3up_sigv4_sign_headers(aws->signer, &sreq, aws->creds, p);
    *headers = sreq.headers;
    return rv;
}

/* The transport's request for an attempt of c. */
static void http_req_of(s3up_http_req_t *hreq, const s3up_aws_call_t *c,
                        apr_array_header_t *headers, apr_interval_time_t timeout)
{
    memset(hreq, 0, sizeof(*hreq));
    hreq->method = c->method;
    hreq->url = c->url;
    hreq->headers = headers;
    hreq->body = c->body;
    hreq->body_len = c->body_len;
    hreq->body_read = c->body_read;
    hreq->body_baton = c->body_baton;
    hreq->body_size = c->body_size;
    hreq->max_response = c->max_response;
    hreq->head = c->head;
    hreq->timeout = c->body_read ? 0 : timeout;
}

/* What the transport said of an attempt: NULL when an answer came. */
static s3up_error_t *sent(apr_status_t rv, const s3up_http_resp_t *resp, const char *detail,
                          const s3up_aws_t *aws, const s3up_aws_call_t *c, apr_pool_t *p)
{
    s3up_error_t *e;

    if (s3up_log_enabled(S3UP_LOG_DEBUG)) {
        /* One line per request (the path, never the query). */
        s3up_log(S3UP_LOG_DEBUG, rv, "%s %s %s %s: %d", aws->service, c->op, c->method, c->path,
                 rv == APR_SUCCESS ? resp->status : 0);
    }
    if (rv == APR_SUCCESS) {
        return NULL;
    }
    e = s3up_error_make(rv, 0, rv == S3UP_ETOOBIG ? "ResponseTooLarge" : "TransportError",
                        apr_psprintf(p, "%s: %s", c->op, detail ? detail : "no answer"), p);
    e->retryable = rv == S3UP_ETRANSPORT || rv == S3UP_ENOCONNECT;
    return e;
}

/* One attempt: APR_SUCCESS when an answer came; else *err says why not. */
static apr_status_t send_once(s3up_http_resp_t **resp, s3up_error_t **err, const s3up_aws_t *aws,
                              const s3up_aws_call_t *c, apr_array_header_t *headers,
                              apr_interval_time_t timeout, apr_pool_t *p)
{
    s3up_http_req_t hreq;
    const char *detail = NULL;
    apr_status_t rv;

    http_req_of(&hreq, c, headers, timeout);
    rv = s3up_http_perform(resp, &detail, aws->http, &hreq, p);
    *err = sent(rv, *resp, detail, aws, c, p);
    return rv;
}

/* May a failed attempt be sent again? Only what is safe to repeat: an
 * idempotent call, or one that surely changed nothing. */
static int may_repeat(const s3up_aws_call_t *c, const s3up_error_t *e)
{
    if (!e->retryable) {
        return 0;
    }
    return c->idempotent || e->status == S3UP_ENOCONNECT ||
           (c->changed_nothing && c->changed_nothing(e));
}

/* An error answer that is a fault, not an answer about the thing asked
 * for (not found, exists, a condition not met). */
static int is_fault(const s3up_error_t *e)
{
    switch (e->http_status) {
    case 304:
    case 404:
    case 409:
    case 412:
        return 0;
    default:
        return 1;
    }
}

apr_status_t s3up_aws_call(s3up_http_resp_t **out, const s3up_aws_t *aws, const s3up_aws_call_t *c,
                           s3up_error_t **err, apr_pool_t *p)
{
    int answered_before = 0;
    s3up_error_t *e = NULL;
    apr_interval_time_t budget = c->budget > 0 ? c->budget : aws->budget;
    apr_time_t start = aws->now();

    for (int n = 1;; n++) {
        s3up_http_resp_t *resp = NULL;
        apr_array_header_t *headers;
        apr_interval_time_t wait, spent;
        apr_status_t rv = sign(&headers, aws, c, p);

        if (rv != APR_SUCCESS) {
            return s3up_fail(err, rv, "SigningFailed", "the request could not be signed", p);
        }
        spent = aws->now() - start;
        rv = send_once(&resp, &e, aws, c, headers,
                       budget > 0 ? (spent < budget ? budget - spent : 1) : 0, p);
        if (rv == APR_SUCCESS) {
            e = c->read_answer(c, resp, p);
        }
        s3up_metrics_request(aws->metrics, c->op, rv != APR_SUCCESS || (e && is_fault(e)));
        if (!e) {
            *out = resp;
            return APR_SUCCESS;
        }
        e->retry_after = s3up_aws_retry_after(e, rv == APR_SUCCESS ? resp : NULL);
        if (e->status == S3UP_ECONFLICT && answered_before) {
            /* "It exists" after an attempt that failed without saying
             * whether it did anything: perhaps that attempt made it. */
            e->message = apr_psprintf(p,
                                      "%s (an earlier attempt failed with HTTP %d and may have "
                                      "done it)",
                                      e->message, answered_before);
        }
        if (n >= aws->max_attempts || !may_repeat(c, e)) {
            break;
        }
        if (e->http_status) {
            answered_before = e->http_status;
        }
        wait = s3up_backoff(aws->retry_base, aws->retry_cap, n, aws->random());
        spent = aws->now() - start;
        if (budget > 0 && !c->body_read && spent + wait >= budget) {
            s3up_log(S3UP_LOG_WARN, e->status,
                     "%s failed (%s, attempt %d), no time left to retry (%d ms spent)", c->op,
                     e->code, n, (int)apr_time_as_msec(spent));
            break;
        }
        s3up_log(S3UP_LOG_WARN, e->status, "%s failed (%s, attempt %d of %d), retrying in %d ms",
                 c->op, e->code, n, aws->max_attempts, (int)apr_time_as_msec(wait));
        aws->sleep(wait);
    }
    *err = e;
    return e->status;
}

void s3up_aws_call_all(s3up_http_resp_t **outs, apr_status_t *rvs, s3up_error_t **errs,
                       const s3up_aws_t *aws, const s3up_aws_call_t *const *calls, int n,
                       int at_once, apr_pool_t *p)
{
    apr_size_t m = (apr_size_t)(n > 0 ? n : 1);
    s3up_http_req_t *hreqs = apr_pcalloc(p, sizeof(*hreqs) * m);
    s3up_http_resp_t **resps = apr_pcalloc(p, sizeof(*resps) * m);
    const char **details = apr_pcalloc(p, sizeof(*details) * m);
    apr_status_t *trvs = apr_pcalloc(p, sizeof(*trvs) * m);

    int together = aws->http->ops->perform_all && n > 1 && at_once > 1;

    for (int i = 0; together && i < n; i++) {
        apr_array_header_t *headers;
        /* A call that cannot be signed goes alone, which says why. */
        together = sign(&headers, aws, calls[i], p) == APR_SUCCESS && !calls[i]->body_read;
        http_req_of(&hreqs[i], calls[i], headers, aws->budget);
    }
    if (!together) {
        for (int i = 0; i < n; i++) {
            rvs[i] = s3up_aws_call(&outs[i], aws, calls[i], &errs[i], p);
        }
        return;
    }
    aws->http->ops->perform_all(resps, trvs, details, aws->http, hreqs, n, at_once, p);
    for (int i = 0; i < n; i++) {
        s3up_error_t *e = sent(trvs[i], resps[i], details[i], aws, calls[i], p);
        if (!e) {
            e = calls[i]->read_answer(calls[i], resps[i], p);
        }
        s3up_metrics_request(aws->metrics, calls[i]->op,
                             e && (trvs[i] != APR_SUCCESS || is_fault(e)));
        if (!e) {
            outs[i] = resps[i];
            errs[i] = NULL;
            rvs[i] = APR_SUCCESS;
        } else if (may_repeat(calls[i], e) && aws->max_attempts > 1) {
            /* Again, alone, with the retry policy's waits. */
            rvs[i] = s3up_aws_call(&outs[i], aws, calls[i], &errs[i], p);
        } else {
            e->retry_after = s3up_aws_retry_after(e, trvs[i] == APR_SUCCESS ? resps[i] : NULL);
            errs[i] = e;
            rvs[i] = e->status;
        }
    }
}
