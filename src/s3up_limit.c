/*
 * Counts per key over a fixed table: tries in a window, or what is in at
 * once.
 */
#include <apr_strings.h>

#include "s3up_limit.h"

#define PROBE 8 /* slots looked at for one key */

typedef struct slot_t {
    char key[S3UP_LIMIT_KEY_MAX + 1]; /* "" when free */
    int count;                        /* tries (counted before they are verified), or in */
    apr_time_t start;                 /* of the window */
} slot_t;

struct s3up_limit_t {
    slot_t *slots;
    int n, max;
    apr_interval_time_t window; /* 0: counts what is in */
    s3up_limit_lock_fn *lock;
    void *baton;
};

apr_size_t s3up_limit_size(int slots)
{
    return sizeof(slot_t) * (apr_size_t)slots;
}

s3up_limit_t *s3up_limit_attach(void *mem, int slots, int max, apr_interval_time_t window,
                                s3up_limit_lock_fn *lock, void *baton, apr_pool_t *p)
{
    s3up_limit_t *l = apr_palloc(p, sizeof(*l));

    *l = (s3up_limit_t){mem, slots, max, window, lock, baton};
    return l;
}

static unsigned int hash(const char *key)
{
    unsigned int h = 2166136261u; /* FNV-1a, over what a slot keeps */
    for (int i = 0; *key && i < S3UP_LIMIT_KEY_MAX; key++, i++) {
        h = (h ^ (unsigned char)*key) * 16777619u;
    }
    return h;
}

static int expired(const s3up_limit_t *l, const slot_t *s, apr_time_t now)
{
    return l->window && now - s->start >= l->window;
}

/* Locks the table and finds key's slot, or NULL; with `take`, a slot for
 * it (free, expired, or in a window the oldest nearby). unlock() ends it. */
static slot_t *find_locked(s3up_limit_t *l, const char *key, apr_time_t now, int take)
{
    unsigned int h = hash(key);
    slot_t *reusable = NULL, *oldest = NULL, *spare;

    if (l->lock) {
        l->lock(l->baton, 1);
    }
    for (int i = 0; i < PROBE && i < l->n; i++) {
        slot_t *s = &l->slots[(h + i) % (unsigned int)l->n];
        /* Keys are kept cut to S3UP_LIMIT_KEY_MAX: compare that much. */
        if (s->key[0] && !strncmp(s->key, key, S3UP_LIMIT_KEY_MAX)) {
            return s;
        }
        if (!s->key[0] || expired(l, s, now)) {
            reusable = reusable ? reusable : s;
        } else if (l->window && (!oldest || s->start < oldest->start)) {
            oldest = s;
        }
    }
    spare = reusable ? reusable : oldest;
    if (!take || !spare) {
        return NULL;
    }
    apr_cpystrn(spare->key, key, sizeof(spare->key));
    spare->count = 0;
    spare->start = now;
    return spare;
}

static void unlock(s3up_limit_t *l)
{
    if (l->lock) {
        l->lock(l->baton, 0);
    }
}

/* Counts one more for key unless max are counted: 0, else how long to
 * wait (in a window) or 1. */
static apr_interval_time_t count(s3up_limit_t *l, const char *key, int max, apr_time_t now)
{
    slot_t *s = find_locked(l, key, now, 1);
    apr_interval_time_t wait = 1;

    if (s && expired(l, s, now)) {
        s->count = 0;
        s->start = now;
    }
    if (s && s->count >= max) {
        wait = l->window ? s->start + l->window - now : 1;
    } else if (s) {
        s->count++;
        wait = 0;
    }
    unlock(l);
    return wait;
}

apr_interval_time_t s3up_limit_take(s3up_limit_t *l, const char *key, apr_time_t now)
{
    return count(l, key, l->max, now);
}

int s3up_limit_enter(s3up_limit_t *l, const char *key, int max)
{
    return count(l, key, max, 0) == 0;
}

apr_interval_time_t s3up_limit_wait(s3up_limit_t *l, const char *key, apr_time_t now)
{
    slot_t *s = find_locked(l, key, now, 0);
    apr_interval_time_t wait = 0;

    if (s && !expired(l, s, now) && s->count >= l->max) {
        wait = s->start + l->window - now;
    }
    unlock(l);
    return wait;
}

void s3up_limit_block(s3up_limit_t *l, const char *key, apr_time_t until, apr_time_t now)
{
    slot_t *s = find_locked(l, key, now, 1);

    if (s) {
        s->count = l->max;
        s->start = until - l->window;
    }
    unlock(l);
}

/* Frees key's slot when what it counts is done with: all of it (clear) or
 * one that leaves. */
static void release(s3up_limit_t *l, const char *key, int all)
{
    slot_t *s = find_locked(l, key, 0, 0);

    if (s && (all || --s->count <= 0)) {
        s->key[0] = '\0';
    }
    unlock(l);
}

void s3up_limit_clear(s3up_limit_t *l, const char *key)
{
    release(l, key, 1);
}

void s3up_limit_leave(s3up_limit_t *l, const char *key)
{
    release(l, key, 0);
}
