/*
 * A provider keeps one plan's credentials for the threads of a process.
 *
 * Fetched credentials live in a pool of their own (one per fetch, made
 * without a parent so that no other thread's pool is touched); callers get
 * a copy in their pool under the lock, so the old pool can go as soon as a
 * new fetch lands. One thread fetches at a time: the others keep using the
 * credentials in hand while they are valid, or wait for that fetch.
 */
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "s3up.h"
#include "s3up_creds.h"
#include "s3up_time.h"

struct s3up_creds_provider_t {
    s3up_creds_plan_t plan;
    s3up_aws_t engine;
    apr_pool_t *held;          /* pool of creds */
    const s3up_creds_t *creds; /* in hand, or NULL */
    apr_time_t refresh_at;     /* fetch again from then on; 0: never */
    apr_pool_t *failed;        /* pool of error */
    const s3up_error_t *error; /* of the last fetch, when it failed */
    apr_time_t retry_at;       /* no fetch before then after a failure */
    int fetching;
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *done;
#endif
};

static void drop_pool(apr_pool_t **pool)
{
    if (*pool) {
        apr_pool_destroy(*pool);
        *pool = NULL;
    }
}

static apr_status_t provider_cleanup(void *data)
{
    s3up_creds_provider_t *pv = data;

    drop_pool(&pv->held);
    drop_pool(&pv->failed);
    return APR_SUCCESS;
}

apr_status_t s3up_creds_provider_create(s3up_creds_provider_t **out, const s3up_creds_plan_t *plan,
                                        const s3up_aws_t *engine, apr_pool_t *p)
{
    s3up_creds_provider_t *pv = apr_pcalloc(p, sizeof(*pv));
    apr_status_t rv = APR_SUCCESS;

    pv->plan = *plan;
    pv->engine = *engine;
    pv->engine.creds = NULL;
#if APR_HAS_THREADS
    rv = apr_thread_mutex_create(&pv->lock, APR_THREAD_MUTEX_DEFAULT, p);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_cond_create(&pv->done, p);
    }
#endif
    apr_pool_cleanup_register(p, pv, provider_cleanup, apr_pool_cleanup_null);
    *out = rv == APR_SUCCESS ? pv : NULL;
    return rv;
}

static void lock(s3up_creds_provider_t *pv)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(pv->lock);
#else
    (void)pv;
#endif
}

static void unlock(s3up_creds_provider_t *pv)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(pv->lock);
#else
    (void)pv;
#endif
}

static int valid(const s3up_creds_t *c, apr_time_t now)
{
    return c && (!c->expires || now < c->expires);
}

static s3up_creds_t *copy_creds(const s3up_creds_t *c, apr_pool_t *p)
{
    s3up_creds_t *out = apr_palloc(p, sizeof(*out));

    out->access_key = apr_pstrdup(p, c->access_key);
    out->secret_key = apr_pstrdup(p, c->secret_key);
    out->session_token = c->session_token ? apr_pstrdup(p, c->session_token) : NULL;
    out->expires = c->expires;
    return out;
}

static apr_status_t copy_error(s3up_error_t **err, const s3up_error_t *e, apr_pool_t *p)
{
    *err = s3up_error_make(e->status, e->http_status, apr_pstrdup(p, e->code),
                           apr_pstrdup(p, e->message), p);
    (*err)->request_id = e->request_id ? apr_pstrdup(p, e->request_id) : NULL;
    return e->status;
}

/* When credentials fetched at now should be fetched again: 15 minutes
 * before they expire, or halfway through their life if that is sooner. */
static apr_time_t refresh_time(const s3up_creds_t *c, apr_time_t now)
{
    apr_interval_time_t life, before;

    if (!c->expires) {
        return 0;
    }
    life = c->expires - now;
    before = life / 2 < S3UP_CREDS_REFRESH_BEFORE ? life / 2 : S3UP_CREDS_REFRESH_BEFORE;
    return c->expires - before;
}

/* One fetch, made with the lock released; its outcome stored with the lock
 * held again. */
static void fetch(s3up_creds_provider_t *pv)
{
    apr_pool_t *fp;
    s3up_creds_t *c = NULL;
    s3up_error_t *e = NULL;
    apr_status_t rv;
    apr_time_t now;

    pv->fetching = 1;
    unlock(pv);
    rv = apr_pool_create_unmanaged_ex(&fp, NULL, NULL);
    if (rv == APR_SUCCESS) {
        rv = s3up_creds_fetch(&c, &pv->plan, &pv->engine, &e, fp);
        now = pv->engine.now();
        if (rv == APR_SUCCESS && !valid(c, now)) {
            rv = s3up_failf(&e, S3UP_ES3, "CredentialsExpired", fp,
                            "%s gave credentials that expired at %s; is this machine's clock "
                            "right?",
                            pv->plan.from, s3up_time_iso8601(c->expires, fp));
        }
    } else {
        now = pv->engine.now();
    }
    lock(pv);
    pv->fetching = 0;
    if (rv == APR_SUCCESS) {
        drop_pool(&pv->held);
        drop_pool(&pv->failed);
        pv->held = fp;
        pv->creds = c;
        pv->error = NULL;
        pv->refresh_at = refresh_time(c, now);
        pv->retry_at = 0;
        s3up_metrics_creds(pv->engine.metrics, c->expires, 1);
        s3up_log(S3UP_LOG_INFO, 0, "credentials from %s, expiring %s", pv->plan.from,
                 c->expires ? s3up_time_iso8601(c->expires, fp) : "never");
    } else {
        if (!fp) {
            apr_pool_create_unmanaged_ex(&fp, NULL, NULL);
            e = s3up_error_make(rv, 0, "CredentialsUnavailable", "out of memory", fp);
        }
        drop_pool(&pv->failed);
        pv->failed = fp;
        pv->error = e;
        pv->retry_at = now + S3UP_CREDS_RETRY_AFTER;
        s3up_metrics_creds(pv->engine.metrics, 0, 0);
        s3up_log(valid(pv->creds, now) ? S3UP_LOG_WARN : S3UP_LOG_ERR, e->status,
                 "no credentials from %s: %s (%s)%s", pv->plan.from, e->message, e->code,
                 valid(pv->creds, now) ? "; the ones in hand are still valid" : "");
    }
#if APR_HAS_THREADS
    apr_thread_cond_broadcast(pv->done);
#endif
}

apr_status_t s3up_creds_provider_get(s3up_creds_t **out, s3up_creds_provider_t *pv,
                                     s3up_error_t **err, apr_pool_t *p)
{
    apr_status_t rv;
    apr_time_t now;

    *out = NULL;
    lock(pv);
    for (;;) {
        now = pv->engine.now();
        if (pv->creds && (!pv->refresh_at || now < pv->refresh_at)) {
            break; /* fresh */
        }
        if (pv->fetching || now < pv->retry_at) {
            if (valid(pv->creds, now)) {
                break; /* due for a refresh, but still good */
            }
            if (!pv->fetching) {
                break; /* failed a moment ago: the same error */
            }
#if APR_HAS_THREADS
            apr_thread_cond_wait(pv->done, pv->lock);
            continue;
#endif
        }
        fetch(pv);
        now = pv->engine.now();
        break;
    }
    if (valid(pv->creds, now)) {
        *out = copy_creds(pv->creds, p);
        rv = APR_SUCCESS;
    } else if (pv->error) {
        rv = copy_error(err, pv->error, p);
    } else {
        rv = s3up_failf(err, S3UP_ES3, "CredentialsExpired", p,
                        "the credentials from %s expired and none came since", pv->plan.from);
    }
    unlock(pv);
    return rv;
}
