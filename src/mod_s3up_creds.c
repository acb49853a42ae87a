/*
 * Credentials in httpd: the shared files, plans, the startup probe and a
 * provider per plan in each process.
 */
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_s3up_creds.h"
#include "mod_s3up_request.h"
#include "mod_s3up_shared.h"
#include "s3up_time.h"

APLOG_USE_MODULE(s3up);

/* Fetching credentials is quick or broken: a metadata service answers in
 * milliseconds, STS in well under a second. */
#define CONNECT_TIMEOUT apr_time_from_sec(1)
#define FETCH_TIMEOUT apr_time_from_sec(5)
#define FETCH_ATTEMPTS 3

/* Each process's providers. */
static struct {
    apr_pool_t *pool;
    s3up_curl_share_t *share;
    apr_hash_t *providers; /* plan key -> s3up_creds_provider_t */
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
} kept;

/* The engine a provider fetches through: its own transport, quick
 * timeouts, a few attempts. */
static apr_status_t make_engine(s3up_aws_t *engine, s3up_curl_share_t *share, int attempts,
                                apr_pool_t *p)
{
    s3up_http_t *http;
    apr_status_t rv = s3up_curl_create(&http, share, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    http->connect_timeout = CONNECT_TIMEOUT;
    http->timeout = FETCH_TIMEOUT;
    s3up_aws_init(engine, "sts", "us-east-1", NULL, NULL, http);
    engine->max_attempts = attempts;
    engine->metrics = s3up_shared_metrics();
    return APR_SUCCESS;
}

void s3up_creds_probe(server_rec *s, apr_pool_t *ptemp)
{
    s3up_curl_share_t *share;
    s3up_aws_t engine;

    apr_hash_t *to_probe = s3up_conf_creds_plans();

    if (!to_probe || !apr_hash_count(to_probe) ||
        s3up_curl_share_create(&share, ptemp) != APR_SUCCESS ||
        make_engine(&engine, share, 1, ptemp) != APR_SUCCESS) {
        return;
    }
    engine.metrics = NULL; /* the children count their own */
    for (apr_hash_index_t *hi = apr_hash_first(ptemp, to_probe); hi; hi = apr_hash_next(hi)) {
        const s3up_creds_plan_t *plan = apr_hash_this_val(hi);
        s3up_creds_t *c;
        s3up_error_t *e = NULL;
        apr_status_t rv = s3up_creds_fetch(&c, plan, &engine, &e, ptemp);

        if (rv == APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                         S3UP_LOGNO(0106) "S3UpCredentials: credentials from %s, expiring %s",
                         plan->from, c->expires ? s3up_time_iso8601(c->expires, ptemp) : "never");
        } else {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                         S3UP_LOGNO(0107) "S3UpCredentials: no credentials from %s: %s (%s); "
                                          "requests that need S3 are answered 503 until they "
                                          "can be had",
                         plan->from, e->message, e->code);
        }
    }
}

apr_status_t s3up_creds_child_init(apr_pool_t *pchild)
{
    apr_status_t rv;

    kept.pool = pchild;
    kept.providers = apr_hash_make(pchild);
    if ((rv = s3up_curl_share_create(&kept.share, pchild)) != APR_SUCCESS) {
        return rv;
    }
#if APR_HAS_THREADS
    rv = apr_thread_mutex_create(&kept.lock, APR_THREAD_MUTEX_DEFAULT, pchild);
#endif
    return rv;
}

/* The process's provider of plan, made on first use. */
static s3up_creds_provider_t *provider_for(const s3up_creds_plan_t *plan, apr_pool_t *p)
{
    const char *key = s3up_creds_plan_key(plan, p);
    s3up_creds_provider_t *pv;

#if APR_HAS_THREADS
    apr_thread_mutex_lock(kept.lock);
#endif
    pv = apr_hash_get(kept.providers, key, APR_HASH_KEY_STRING);
    if (!pv) {
        s3up_creds_plan_t *copy = apr_pcalloc(kept.pool, sizeof(*copy));
        s3up_aws_t engine;

        /* The plan's strings live in the request's pool: copy them. */
        copy->source = plan->source;
        copy->from = apr_pstrdup(kept.pool, plan->from);
        copy->url = apr_pstrdup(kept.pool, plan->url);
        copy->role_arn = apr_pstrdup(kept.pool, plan->role_arn);
        copy->token_file = apr_pstrdup(kept.pool, plan->token_file);
        copy->session_name = apr_pstrdup(kept.pool, plan->session_name);
        copy->token = apr_pstrdup(kept.pool, plan->token);
        if (make_engine(&engine, kept.share, FETCH_ATTEMPTS, kept.pool) == APR_SUCCESS &&
            s3up_creds_provider_create(&pv, copy, &engine, kept.pool) == APR_SUCCESS) {
            apr_hash_set(kept.providers, apr_pstrdup(kept.pool, key), APR_HASH_KEY_STRING, pv);
        }
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(kept.lock);
#endif
    return pv;
}

int s3up_req_creds(const s3up_creds_t **out, request_rec *r, const s3up_dir_conf_t *dc)
{
    s3up_creds_plan_t plan;
    s3up_creds_provider_t *pv;
    s3up_creds_t *creds;
    s3up_error_t *err = NULL;
    const char *why = s3up_conf_creds_plan(&plan, dc, r->pool);

    if (why) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, S3UP_LOGNO(0201) "no S3 access: %s", why);
        return s3up_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "StoreUnavailable",
                                "the store is not reachable from this server");
    }
    if (plan.source == S3UP_CREDS_STATIC) {
        *out = plan.keys;
        return OK;
    }
    if (!kept.providers || !(pv = provider_for(&plan, r->pool))) {
        return s3up_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "StoreUnavailable",
                                "the credentials provider could not be set up");
    }
    if (s3up_creds_provider_get(&creds, pv, &err, r->pool) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      S3UP_LOGNO(0201) "no S3 access: no credentials from %s: %s (%s)", plan.from,
                      err->message, err->code);
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_itoa(r->pool, (int)apr_time_sec(S3UP_CREDS_RETRY_AFTER)));
        return s3up_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "StoreUnavailable",
                                "the store's credentials cannot be had at the moment; try again "
                                "shortly");
    }
    *out = creds;
    return OK;
}
