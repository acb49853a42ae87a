/*
 * Shared helpers of the core: name/value pairs, the log bridge, error text.
 */
#include <stdarg.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "s3up.h"

s3up_error_t *s3up_error_make(apr_status_t status, int http_status, const char *code,
                              const char *message, apr_pool_t *p)
{
    s3up_error_t *e = apr_pcalloc(p, sizeof(*e));
    e->status = status;
    e->http_status = http_status;
    e->code = code;
    e->message = message;
    return e;
}

apr_status_t s3up_fail(s3up_error_t **err, apr_status_t status, const char *code,
                       const char *message, apr_pool_t *p)
{
    *err = s3up_error_make(status, 0, code, message, p);
    return status;
}

apr_status_t s3up_failf(s3up_error_t **err, apr_status_t status, const char *code, apr_pool_t *p,
                        const char *fmt, ...)
{
    va_list ap;
    const char *message;

    va_start(ap, fmt);
    message = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    *err = s3up_error_make(status, 0, code, message, p);
    return status;
}

void s3up_kv_add(apr_array_header_t *kvs, const char *name, const char *value)
{
    s3up_kv_t *kv = apr_array_push(kvs);
    kv->name = name;
    kv->value = value;
}

const char *s3up_kv_get(const apr_array_header_t *kvs, const char *name)
{
    const s3up_kv_t *kv = (const s3up_kv_t *)kvs->elts;
    int i;
    for (i = 0; i < kvs->nelts; i++) {
        if (!strcasecmp(kv[i].name, name)) {
            return kv[i].value;
        }
    }
    return NULL;
}

static s3up_log_fn *log_fn;
static void *log_baton;
static int log_max = -1;

void s3up_log_set(s3up_log_fn *fn, void *baton, int max_level)
{
    log_fn = fn;
    log_baton = baton;
    log_max = fn ? max_level : -1;
}

int s3up_log_enabled(int level)
{
    return level <= log_max;
}

void s3up_log(int level, apr_status_t rv, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    if (!s3up_log_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    apr_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_fn(log_baton, level, rv, buf);
}

const char *s3up_strerror(apr_status_t rv, apr_pool_t *p)
{
    char buf[256];

    switch (rv) {
    case S3UP_ES3:
        return "S3 answered with an error";
    case S3UP_ETRANSPORT:
        return "S3 could not be reached";
    case S3UP_EPARSE:
        return "S3's answer could not be read";
    case S3UP_ETOOBIG:
        return "too large";
    case S3UP_ECONFLICT:
        return "changed by someone else meanwhile";
    case S3UP_ENOTFOUND:
        return "not found";
    case S3UP_ENOCONNECT:
        return "S3 refused the connection";
    case S3UP_ELIMIT:
        return "a limit was reached";
    case S3UP_EINPUT:
        return "not acceptable input";
    case S3UP_EDENIED:
        return "not allowed";
    default:
        return apr_pstrdup(p, apr_strerror(rv, buf, sizeof(buf)));
    }
}

apr_interval_time_t s3up_backoff(apr_interval_time_t base, apr_interval_time_t cap, int attempt,
                                 apr_uint32_t random)
{
    apr_interval_time_t ceiling = base;
    for (int i = 1; i < attempt && ceiling < cap; i++) {
        ceiling *= 2;
    }
    if (ceiling > cap) {
        ceiling = cap;
    }
    return ceiling / 2 + (apr_interval_time_t)(random % (apr_uint32_t)(ceiling / 2 + 1));
}

apr_time_t s3up_clock_now(void)
{
    return apr_time_now();
}

void s3up_clock_sleep(apr_interval_time_t t)
{
    apr_sleep(t);
}

apr_uint32_t s3up_random32(void)
{
    apr_uint32_t r = 0;
    apr_generate_random_bytes((unsigned char *)&r, sizeof(r));
    return r;
}
