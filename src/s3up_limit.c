/*
 * Try limits over a fixed table.
 */
#include <apr_strings.h>

#include "s3up_limit.h"

#define PROBE 8 /* slots looked at for one key */

typedef struct slot_t {
    char key[S3UP_LIMIT_KEY_MAX + 1]; /* "" when free */
    int failures;                     /* tries, counted before they are verified */
    apr_time_t start;                 /* of the window */
} slot_t;

struct s3up_limit_t {
    slot_t *slots;
    int n, max;
    apr_interval_time_t window;
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
    s3up_limit_t *l = apr_pcalloc(p, sizeof(*l));
    l->slots = mem;
    l->n = slots;
    l->max = max;
    l->window = window;
    l->lock = lock;
    l->baton = baton;
    return l;
}

static void hold(s3up_limit_t *l, int on)
{
    if (l->lock) {
        l->lock(l->baton, on);
    }
}

static unsigned int hash(const char *key)
{
    unsigned int h = 2166136261u; /* FNV-1a, over what a slot keeps */
    for (int i = 0; *key && i < S3UP_LIMIT_KEY_MAX; key++, i++) {
        h = (h ^ (unsigned char)*key) * 16777619u;
    }
    return h;
}

/* key's slot, or NULL; with `take`, a slot for it (free, expired, or the
 * oldest nearby). */
static slot_t *find(s3up_limit_t *l, const char *key, apr_time_t now, int take)
{
    unsigned int h = hash(key);
    slot_t *reusable = NULL, *oldest = NULL, *spare;

    for (int i = 0; i < PROBE && i < l->n; i++) {
        slot_t *s = &l->slots[(h + i) % (unsigned int)l->n];
        /* Keys are kept cut to S3UP_LIMIT_KEY_MAX: compare that much. */
        if (s->key[0] && !strncmp(s->key, key, S3UP_LIMIT_KEY_MAX)) {
            return s;
        }
        if (!s->key[0] || now - s->start >= l->window) {
            reusable = reusable ? reusable : s;
        } else if (!oldest || s->start < oldest->start) {
            oldest = s;
        }
    }
    spare = reusable ? reusable : oldest;
    if (!take || !spare) {
        return NULL;
    }
    apr_cpystrn(spare->key, key, sizeof(spare->key));
    spare->failures = 0;
    spare->start = now;
    return spare;
}

apr_interval_time_t s3up_limit_wait(s3up_limit_t *l, const char *key, apr_time_t now)
{
    apr_interval_time_t wait = 0;
    slot_t *s;

    hold(l, 1);
    s = find(l, key, now, 0);
    if (s && now - s->start < l->window && s->failures >= l->max) {
        wait = s->start + l->window - now;
    }
    hold(l, 0);
    return wait;
}

apr_interval_time_t s3up_limit_take(s3up_limit_t *l, const char *key, apr_time_t now)
{
    apr_interval_time_t wait = 0;
    slot_t *s;

    hold(l, 1);
    s = find(l, key, now, 1);
    if (now - s->start >= l->window) {
        s->failures = 0;
        s->start = now;
    }
    if (s->failures >= l->max) {
        wait = s->start + l->window - now;
    } else {
        s->failures++;
    }
    hold(l, 0);
    return wait;
}

void s3up_limit_block(s3up_limit_t *l, const char *key, apr_time_t until, apr_time_t now)
{
    slot_t *s;

    hold(l, 1);
    s = find(l, key, now, 1);
    if (s) {
        s->failures = l->max;
        s->start = until - l->window;
    }
    hold(l, 0);
}

void s3up_limit_clear(s3up_limit_t *l, const char *key)
{
    slot_t *s;

    hold(l, 1);
    s = find(l, key, 0, 0);
    if (s) {
        s->key[0] = '\0';
    }
    hold(l, 0);
}
