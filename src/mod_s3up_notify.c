/*
 * Arrival notifications: the workers of a child.
 */
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include <httpd.h>
#include <http_log.h>

#include "mod_s3up_config.h"
#include "mod_s3up_notify.h"
#include "mod_s3up_shared.h"
#include "s3up_util.h"

APLOG_USE_MODULE(s3up);

/* server_rec -> its notifier, for the servers that notify. */
static apr_hash_t *by_server;

#define QUEUE_CAPACITY 1000

#if APR_HAS_THREADS
typedef struct worker_t {
    s3up_notifier_t *n;
    apr_thread_t *thread;
} worker_t;

static void *APR_THREAD_FUNC work(apr_thread_t *t, void *data)
{
    s3up_notifier_run(((worker_t *)data)->n);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* With the child: stop the worker, wait for it. */
static apr_status_t stop(void *data)
{
    worker_t *w = data;
    apr_status_t ignored;

    s3up_notifier_stop(w->n);
    apr_thread_join(&ignored, w->thread);
    return APR_SUCCESS;
}

/* One worker for url and secret, with its own connection to the receiver. */
static apr_status_t start(s3up_notifier_t **out, const char *url, const char *secret,
                          apr_pool_t *pchild)
{
    worker_t *w = apr_pcalloc(pchild, sizeof(*w));
    s3up_curl_share_t *share;
    s3up_http_t *http;
    apr_status_t rv;

    if ((rv = s3up_curl_share_create(&share, pchild)) != APR_SUCCESS ||
        (rv = s3up_curl_create(&http, share, pchild)) != APR_SUCCESS ||
        (rv = s3up_notifier_create(&w->n, url, secret, http, s3up_shared_metrics(), QUEUE_CAPACITY,
                                   pchild)) != APR_SUCCESS ||
        (rv = apr_thread_create(&w->thread, NULL, work, w, pchild)) != APR_SUCCESS) {
        return rv;
    }
    apr_pool_cleanup_register(pchild, w, stop, apr_pool_cleanup_null);
    *out = w->n;
    return APR_SUCCESS;
}
#endif

apr_status_t s3up_notify_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_hash_t *by_receiver = apr_hash_make(pchild);

    by_server = apr_hash_make(pchild);
    for (; s; s = s->next) {
        const char *url, *secret, *id;
        s3up_notifier_t *n;
        apr_status_t rv = APR_ENOTIMPL;

        if (!s3up_conf_notify(&url, &secret, s3up_conf_srv(s))) {
            continue;
        }
        id = apr_pstrcat(pchild, url, " ", s3up_sha256_hex(secret, strlen(secret), pchild), NULL);
        if (!(n = apr_hash_get(by_receiver, id, APR_HASH_KEY_STRING))) {
#if APR_HAS_THREADS
            rv = start(&n, url, secret, pchild);
#endif
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                             S3UP_LOGNO(0601) "arrivals cannot be notified to %s: no worker", url);
                continue;
            }
            apr_hash_set(by_receiver, id, APR_HASH_KEY_STRING, n);
        }
        {
            server_rec **k = apr_palloc(pchild, sizeof(*k));
            *k = s;
            apr_hash_set(by_server, k, sizeof(*k), n); /* keyed by the pointer */
        }
    }
    return APR_SUCCESS;
}

void s3up_notify_arrival(request_rec *r, const s3up_arrival_t *a)
{
    s3up_notifier_t *n = by_server ? apr_hash_get(by_server, &r->server, sizeof(r->server)) : NULL;
    unsigned char raw[16];
    const char *body;

    if (!n) {
        return;
    }
    apr_generate_random_bytes(raw, sizeof(raw));
    body = s3up_notify_event(a, s3up_hex(raw, sizeof(raw), r->pool), r->pool);
    if (body) {
        s3up_notifier_post(n, body);
    }
}
