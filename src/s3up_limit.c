/*
 * Failed-try limits, per process.
 */
#include <stdlib.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "s3up_limit.h"

#define ENTRIES_MAX 10000

typedef struct tries_t {
    char *key;
    int failures;
    apr_time_t start; /* of the window */
} tries_t;

struct s3up_limit_t {
    int max;
    apr_interval_time_t window;
    apr_hash_t *keys;
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
};

static void lock(s3up_limit_t *l)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(l->lock);
#else
    (void)l;
#endif
}

static void unlock(s3up_limit_t *l)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(l->lock);
#else
    (void)l;
#endif
}

static void drop(s3up_limit_t *l, tries_t *t)
{
    apr_hash_set(l->keys, t->key, APR_HASH_KEY_STRING, NULL);
    free(t->key);
    free(t);
}

/* Forget the windows that have ended (all, if `all`). */
static void sweep(s3up_limit_t *l, apr_time_t now, int all)
{
    apr_hash_index_t *hi;
    for (hi = apr_hash_first(NULL, l->keys); hi; hi = apr_hash_next(hi)) {
        tries_t *t = apr_hash_this_val(hi);
        if (all || now - t->start >= l->window) {
            drop(l, t);
        }
    }
}

static apr_status_t limit_cleanup(void *data)
{
    sweep(data, 0, 1);
    return APR_SUCCESS;
}

apr_status_t s3up_limit_create(s3up_limit_t **out, int max, apr_interval_time_t window,
                               apr_pool_t *pchild)
{
    s3up_limit_t *l = apr_pcalloc(pchild, sizeof(*l));

    l->max = max;
    l->window = window;
    l->keys = apr_hash_make(pchild);
#if APR_HAS_THREADS
    {
        apr_status_t rv = apr_thread_mutex_create(&l->lock, APR_THREAD_MUTEX_DEFAULT, pchild);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
#endif
    apr_pool_cleanup_register(pchild, l, limit_cleanup, apr_pool_cleanup_null);
    *out = l;
    return APR_SUCCESS;
}

apr_interval_time_t s3up_limit_wait(s3up_limit_t *l, const char *key, apr_time_t now)
{
    apr_interval_time_t wait = 0;
    tries_t *t;

    lock(l);
    t = apr_hash_get(l->keys, key, APR_HASH_KEY_STRING);
    if (t && now - t->start >= l->window) {
        drop(l, t);
    } else if (t && t->failures >= l->max) {
        wait = t->start + l->window - now;
    }
    unlock(l);
    return wait;
}

void s3up_limit_fail(s3up_limit_t *l, const char *key, apr_time_t now)
{
    tries_t *t;

    lock(l);
    t = apr_hash_get(l->keys, key, APR_HASH_KEY_STRING);
    if (t && now - t->start >= l->window) {
        drop(l, t);
        t = NULL;
    }
    if (!t) {
        if (apr_hash_count(l->keys) >= ENTRIES_MAX) {
            sweep(l, now, 0);
        }
        if (apr_hash_count(l->keys) >= ENTRIES_MAX) {
            sweep(l, now, 1);
        }
        t = calloc(1, sizeof(*t));
        t->key = strdup(key);
        t->start = now;
        apr_hash_set(l->keys, t->key, APR_HASH_KEY_STRING, t);
    }
    t->failures++;
    unlock(l);
}

void s3up_limit_clear(s3up_limit_t *l, const char *key)
{
    tries_t *t;

    lock(l);
    t = apr_hash_get(l->keys, key, APR_HASH_KEY_STRING);
    if (t) {
        drop(l, t);
    }
    unlock(l);
}
