/*
 * At most so many at once per key, over a fixed table.
 */
#include <apr_strings.h>

#include "s3up_gate.h"

#define PROBE 8 /* slots looked at for one key */

typedef struct slot_t {
    char key[S3UP_LIMIT_KEY_MAX + 1]; /* "" when free */
    int in;
} slot_t;

struct s3up_gate_t {
    slot_t *slots;
    int n;
    s3up_limit_lock_fn *lock;
    void *baton;
};

apr_size_t s3up_gate_size(int slots)
{
    return sizeof(slot_t) * (apr_size_t)slots;
}

s3up_gate_t *s3up_gate_attach(void *mem, int slots, s3up_limit_lock_fn *lock, void *baton,
                              apr_pool_t *p)
{
    s3up_gate_t *g = apr_pcalloc(p, sizeof(*g));
    g->slots = mem;
    g->n = slots;
    g->lock = lock;
    g->baton = baton;
    return g;
}

static void hold(s3up_gate_t *g, int on)
{
    if (g->lock) {
        g->lock(g->baton, on);
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

/* key's slot; with take, a free one for it when it has none. */
static slot_t *find(s3up_gate_t *g, const char *key, int take)
{
    unsigned int h = hash(key);
    slot_t *spare = NULL;

    for (int i = 0; i < PROBE && i < g->n; i++) {
        slot_t *s = &g->slots[(h + i) % (unsigned int)g->n];
        if (s->key[0] && !strncmp(s->key, key, S3UP_LIMIT_KEY_MAX)) {
            return s;
        }
        if (!s->key[0] && !spare) {
            spare = s;
        }
    }
    if (take && spare) {
        apr_cpystrn(spare->key, key, sizeof(spare->key));
        spare->in = 0;
        return spare;
    }
    return NULL;
}

int s3up_gate_enter(s3up_gate_t *g, const char *key, int max)
{
    slot_t *s;
    int entered = 0;

    hold(g, 1);
    s = find(g, key, 1);
    if (s && s->in < max) {
        s->in++;
        entered = 1;
    }
    hold(g, 0);
    return entered;
}

void s3up_gate_leave(s3up_gate_t *g, const char *key)
{
    slot_t *s;

    hold(g, 1);
    s = find(g, key, 0);
    if (s && --s->in <= 0) {
        s->key[0] = '\0';
    }
    hold(g, 0);
}
