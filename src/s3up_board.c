/*
 * Texts left by one process for the others, in fixed slots.
 */
#include <apr_strings.h>

#include "s3up_board.h"

typedef struct slot_t {
    char name[S3UP_BOARD_NAME_MAX + 1]; /* "" when free */
    apr_time_t made;
    apr_uint32_t generation;
    apr_size_t len;
    /* then text_max bytes of text */
} slot_t;

struct s3up_board_t {
    char *mem;
    int slots;
    apr_size_t text_max, stride;
    s3up_board_lock_fn *lock;
    void *baton;
};

/* A slot and its text, aligned as a slot_t must be. */
static apr_size_t stride_of(apr_size_t text_max)
{
    return APR_ALIGN_DEFAULT(sizeof(slot_t) + text_max);
}

apr_size_t s3up_board_size(int slots, apr_size_t text_max)
{
    return stride_of(text_max) * (apr_size_t)slots;
}

void s3up_board_clear(void *mem, int slots, apr_size_t text_max)
{
    for (int i = 0; i < slots; i++) {
        memset((char *)mem + stride_of(text_max) * (apr_size_t)i, 0, sizeof(slot_t));
    }
}

s3up_board_t *s3up_board_attach(void *mem, int slots, apr_size_t text_max, s3up_board_lock_fn *lock,
                                void *baton, apr_pool_t *p)
{
    s3up_board_t *b = apr_palloc(p, sizeof(*b));

    *b = (s3up_board_t){mem, slots, text_max, stride_of(text_max), lock, baton};
    return b;
}

static slot_t *slot(const s3up_board_t *b, int i)
{
    return (slot_t *)(b->mem + b->stride * (apr_size_t)i);
}

static char *text_of(slot_t *s)
{
    return (char *)(s + 1);
}

static void hold(const s3up_board_t *b, int on)
{
    if (b->lock) {
        b->lock(b->baton, on);
    }
}

/* name's slot, or NULL. Under the lock. */
static slot_t *find(const s3up_board_t *b, const char *name)
{
    for (int i = 0; i < b->slots; i++) {
        if (!strcmp(slot(b, i)->name, name)) {
            return slot(b, i);
        }
    }
    return NULL;
}

int s3up_board_put(s3up_board_t *b, const char *name, const char *text, apr_time_t made,
                   apr_uint32_t generation)
{
    apr_size_t len = strlen(text);
    slot_t *s;

    if (!*name || strlen(name) > S3UP_BOARD_NAME_MAX || len > b->text_max) {
        return 0;
    }
    hold(b, 1);
    if (!(s = find(b, name))) {
        s = slot(b, 0);
        for (int i = 1; i < b->slots && *s->name; i++) {
            if (!*slot(b, i)->name || slot(b, i)->made < s->made) {
                s = slot(b, i);
            }
        }
    }
    apr_cpystrn(s->name, name, sizeof(s->name));
    s->made = made;
    s->generation = generation;
    s->len = len;
    memcpy(text_of(s), text, len);
    hold(b, 0);
    return 1;
}

int s3up_board_get(const char **text, apr_time_t *made, s3up_board_t *b, const char *name,
                   apr_time_t since, apr_uint32_t generation, apr_pool_t *p)
{
    slot_t *s;
    int found = 0;

    if (!*name || strlen(name) > S3UP_BOARD_NAME_MAX) {
        return 0;
    }
    hold(b, 1);
    if ((s = find(b, name)) && s->made >= since && s->generation == generation) {
        *text = apr_pstrmemdup(p, text_of(s), s->len);
        *made = s->made;
        found = 1;
    }
    hold(b, 0);
    return found;
}
