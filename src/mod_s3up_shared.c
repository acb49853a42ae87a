/*
 * What httpd's processes share: a counter, limits and a board of folder
 * listings behind global mutexes.
 */
#include <apr_global_mutex.h>
#include <apr_shm.h>
#include <util_mutex.h>

#include "mod_s3up_shared.h"
#include "s3up_store.h"

typedef struct table_t {
    const char *name; /* of the mutex, for httpd's Mutex directive */
    int slots, max;
    apr_interval_time_t window;
    apr_shm_t *shm;
    apr_global_mutex_t *mutex;
    s3up_limit_t *limit;
} table_t;

/* Passcode tries are also counted in the bucket, where every server
 * sharing it counts the same tries; here a flood at this server is turned
 * away without asking S3. */
static table_t tries = {.name = "s3up-limit",
                        .slots = 4096,
                        .max = S3UP_PASSCODE_TRIES,
                        .window = S3UP_PASSCODE_WINDOW};
static table_t parts = {.name = "s3up-gate", .slots = 1024};
static table_t *const tables[] = {&tries, &parts};
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

/* Folder listings of the admin file list: a few of up to 10,000 files of
 * average names (~1.5 MiB); the texts' pages are used only when written. */
#define BOARD_SLOTS 4
#define BOARD_TEXT_MAX (3 * 1024 * 1024)
static struct {
    apr_shm_t *shm;
    apr_global_mutex_t *mutex;
    s3up_board_t *board;
} listings;
#define BOARD_MUTEX "s3up-board"

static apr_shm_t *generation, *counters;
static s3up_metrics_t *metrics;

void s3up_shared_pre_config(apr_pool_t *pconf)
{
    for (apr_size_t i = 0; i < N_TABLES; i++) {
        ap_mutex_register(pconf, tables[i]->name, NULL, APR_LOCK_DEFAULT, 0);
    }
    ap_mutex_register(pconf, BOARD_MUTEX, NULL, APR_LOCK_DEFAULT, 0);
}

static apr_status_t shm_zeroed(apr_shm_t **shm, apr_size_t size, apr_pool_t *pconf)
{
    apr_status_t rv = apr_shm_create(shm, size, NULL, pconf);

    if (rv == APR_SUCCESS) {
        memset(apr_shm_baseaddr_get(*shm), 0, size);
    }
    return rv;
}

apr_status_t s3up_shared_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_status_t rv = shm_zeroed(&generation, sizeof(apr_uint32_t), pconf);

    if (rv == APR_SUCCESS) {
        rv = shm_zeroed(&counters, s3up_metrics_size(), pconf);
    }

    for (apr_size_t i = 0; rv == APR_SUCCESS && i < N_TABLES; i++) {
        table_t *t = tables[i];
        if ((rv = shm_zeroed(&t->shm, s3up_limit_size(t->slots), pconf)) == APR_SUCCESS) {
            rv = ap_global_mutex_create(&t->mutex, NULL, t->name, NULL, s, pconf, 0);
        }
    }
    if (rv == APR_SUCCESS &&
        (rv = apr_shm_create(&listings.shm, s3up_board_size(BOARD_SLOTS, BOARD_TEXT_MAX), NULL,
                             pconf)) == APR_SUCCESS) {
        s3up_board_clear(apr_shm_baseaddr_get(listings.shm), BOARD_SLOTS, BOARD_TEXT_MAX);
        rv = ap_global_mutex_create(&listings.mutex, NULL, BOARD_MUTEX, NULL, s, pconf, 0);
    }
    return rv;
}

/* The lock of a table or the board: baton is its global mutex, as
 * child_init attached it. */
static void lock(void *mutex, int on)
{
    if (on) {
        apr_global_mutex_lock(mutex);
    } else {
        apr_global_mutex_unlock(mutex);
    }
}

apr_status_t s3up_shared_child_init(apr_pool_t *pchild)
{
    apr_status_t rv = APR_SUCCESS;

    if (counters) {
        metrics = s3up_metrics_attach(apr_shm_baseaddr_get(counters), pchild);
    }

    for (apr_size_t i = 0; rv == APR_SUCCESS && i < N_TABLES; i++) {
        table_t *t = tables[i];
        if (!t->shm) {
            continue; /* post_config did not run (a config test) */
        }
        rv = apr_global_mutex_child_init(&t->mutex, apr_global_mutex_lockfile(t->mutex), pchild);
        if (rv == APR_SUCCESS) {
            t->limit = s3up_limit_attach(apr_shm_baseaddr_get(t->shm), t->slots, t->max, t->window,
                                         lock, t->mutex, pchild);
        }
    }
    if (rv == APR_SUCCESS && listings.shm &&
        (rv = apr_global_mutex_child_init(
             &listings.mutex, apr_global_mutex_lockfile(listings.mutex), pchild)) == APR_SUCCESS) {
        listings.board = s3up_board_attach(apr_shm_baseaddr_get(listings.shm), BOARD_SLOTS,
                                           BOARD_TEXT_MAX, lock, listings.mutex, pchild);
    }
    return rv;
}

s3up_board_t *s3up_shared_listings(void)
{
    return listings.board;
}

apr_uint32_t *s3up_shared_generation(void)
{
    return generation ? apr_shm_baseaddr_get(generation) : NULL;
}

s3up_metrics_t *s3up_shared_metrics(void)
{
    return metrics;
}

s3up_limit_t *s3up_shared_tries(void)
{
    return tries.limit;
}

s3up_limit_t *s3up_shared_parts(void)
{
    return parts.limit;
}
