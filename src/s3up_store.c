/*
 * Endpoint and link records and the member index in the bucket, with a
 * cache; the record primitives the other store files share.
 */
#include <stdlib.h>

#include <apr_atomic.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "s3up_json.h"
#include "s3up_keys.h"
#include "s3up_sigv4.h"
#include "s3up_token.h"
#include "s3up_store.h"
#include "s3up_store_records.h"
#include "s3up_xml.h"
#include "s3up_util.h"
#include "s3up_time.h"

#define RECORD_MAX S3UP_RECORD_MAX

/* Bounds of the cache: records that exist, and answers that a record does
 * not. Anyone can ask for records that do not exist (random link tokens),
 * so those answers are kept apart and, when there are too many, dropped
 * alone: they never push out a record that exists. */
#define CACHE_ENTRIES 4096
#define CACHE_NEGATIVES 1024
/* Folder listings are large (a line per file): only a few are kept. */
#define CACHE_LISTINGS 8
#define LISTING_CKEY "l:"
/* Facts about objects that never change (what a file's metadata says, for
 * its key, ETag and time): many small ones, kept long, whatever is
 * written to the state meanwhile. */
#define CACHE_FACTS 20000
#define FACT_CKEY "f:"
#define FACT_TTL apr_time_from_sec(86400)

#if APR_HAS_THREADS
/* A record being read from S3 after a miss: the other readers of it wait
 * for this answer instead of each asking S3 for it at once. */
typedef struct reading_t {
    char *key;   /* the cache key, malloc'd like the rest */
    int waiters; /* the last one to leave frees it */
    int done;
    s3up_error_t failed; /* status APR_SUCCESS: the answer is in the cache */
} reading_t;
#endif

/* A cached answer: the record text (or member list), as S3 gave it. */
typedef struct entry_t {
    char *key;  /* the hash key, malloc'd like everything here */
    char *text; /* NULL when S3 said there is none */
    char *etag; /* malloc'd */
    apr_time_t fetched;
    apr_uint32_t generation; /* of the store when it was read */
    apr_uint64_t serial;     /* names this entry: a memo of what was parsed from it */
    apr_time_t refreshing;   /* when a reader began to read it again early; 0: none */
} entry_t;

struct s3up_store_cache_t {
    /* "r:{bucket}/{key}" records, "i:{bucket}/{prefix}" index listings,
     * "l:{bucket}/{prefix}" folder listings, "f:{bucket}/{name}" facts
     * -> entry_t */
    apr_hash_t *entries;
    /* Bumped by every write; an entry read before the last write is stale.
     * Shared memory when httpd shares it between its processes. */
    volatile apr_uint32_t *generation;
    apr_uint32_t own_generation;
    s3up_board_t *board; /* folder listings left for the other processes */
    apr_uint64_t serials;
    int negatives; /* entries whose text is NULL */
    int listings;  /* "l:" entries */
    int facts;     /* "f:" entries */
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *read_done; /* a reading_t is done */
    apr_hash_t *reading;          /* cache key -> reading_t */
#endif
};

/* Locks (on) or unlocks the cache for this process's threads. */
static void hold(s3up_store_cache_t *c, int on)
{
#if APR_HAS_THREADS
    (on ? apr_thread_mutex_lock : apr_thread_mutex_unlock)(c->lock);
#else
    (void)c;
    (void)on;
#endif
}

static void entry_free(entry_t *e)
{
    free(e->key);
    free(e->text);
    free(e->etag);
    free(e);
}

static int is_listing(const char *key)
{
    return !strncmp(key, LISTING_CKEY, sizeof(LISTING_CKEY) - 1);
}

static int is_fact(const char *key)
{
    return !strncmp(key, FACT_CKEY, sizeof(FACT_CKEY) - 1);
}

static void entry_remove(s3up_store_cache_t *c, entry_t *e)
{
    apr_hash_set(c->entries, e->key, APR_HASH_KEY_STRING, NULL);
    c->negatives -= e->text == NULL;
    c->listings -= is_listing(e->key);
    c->facts -= is_fact(e->key);
    entry_free(e);
}

typedef enum { CLEAR_ALL, CLEAR_NEGATIVES, CLEAR_LISTINGS, CLEAR_FACTS } clear_e;

/* Every entry, or every answer that a record is absent, or every folder
 * listing, or every fact. */
static void cache_clear(s3up_store_cache_t *c, clear_e what)
{
    apr_hash_index_t *hi;
    /* APR allows removing the current entry while iterating. */
    for (hi = apr_hash_first(NULL, c->entries); hi; hi = apr_hash_next(hi)) {
        entry_t *e = apr_hash_this_val(hi);
        if (what == CLEAR_ALL || (what == CLEAR_NEGATIVES && !e->text) ||
            (what == CLEAR_LISTINGS && is_listing(e->key)) ||
            (what == CLEAR_FACTS && is_fact(e->key))) {
            entry_remove(c, e);
        }
    }
}

static apr_status_t cache_cleanup(void *data)
{
    cache_clear(data, CLEAR_ALL);
    return APR_SUCCESS;
}

apr_status_t s3up_store_cache_create(s3up_store_cache_t **out, apr_pool_t *pchild)
{
    s3up_store_cache_t *c = apr_pcalloc(pchild, sizeof(*c));

    c->entries = apr_hash_make(pchild);
    c->generation = &c->own_generation;
#if APR_HAS_THREADS
    {
        apr_status_t rv = apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, pchild);
        if (rv == APR_SUCCESS) {
            rv = apr_thread_cond_create(&c->read_done, pchild);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        c->reading = apr_hash_make(pchild);
    }
#endif
    apr_pool_cleanup_register(pchild, c, cache_cleanup, apr_pool_cleanup_null);
    *out = c;
    return APR_SUCCESS;
}

s3up_store_memo_t *s3up_store_memo_create(apr_pool_t *p)
{
    s3up_store_memo_t *m = apr_pcalloc(p, sizeof(*m));
    apr_pool_create(&m->ep.pool, p);
    apr_pool_create(&m->res.pool, p);
    return m;
}

s3up_store_memo_slot_t *s3up_memo_slot(void **kept, s3up_store_memo_slot_t *slot,
                                       const s3up_store_t *st, apr_uint64_t serial)
{
    *kept = NULL;
    if (!slot || !serial) {
        return NULL;
    }
    if (slot->serial == serial && slot->cache == st->cache) {
        *kept = slot->value;
    } else {
        apr_pool_clear(slot->pool);
        slot->serial = 0;
    }
    return slot;
}

void s3up_memo_keep(s3up_store_memo_slot_t *slot, const s3up_store_t *st, apr_uint64_t serial,
                    void *value)
{
    slot->value = value;
    slot->serial = serial;
    slot->cache = st->cache;
}

void s3up_store_cache_share(s3up_store_cache_t *c, volatile apr_uint32_t *generation)
{
    c->generation = generation;
}

void s3up_store_cache_board(s3up_store_cache_t *c, s3up_board_t *board)
{
    c->board = board;
}

/* A fresh cached entry copied into p: 1 if found (text NULL = known absent).
 * With refresh given, the first reader in the TTL's last quarter is told
 * to read the record again (*refresh = 1), while the other readers keep
 * using the entry until it expires: a record that every thread of a busy
 * process reads is asked for by one of them, not by all at its expiry
 * (each would hold its worker for the answer). */
static int cache_get(s3up_store_cache_t *c, const char *key, apr_time_t now,
                     apr_interval_time_t ttl, const char **text, const char **etag,
                     apr_uint64_t *serial, int *refresh, apr_pool_t *p)
{
    entry_t *e;
    int hit = 0;

    if (refresh) {
        *refresh = 0;
    }
    if (ttl <= 0) {
        return 0;
    }
    hold(c, 1);
    e = apr_hash_get(c->entries, key, APR_HASH_KEY_STRING);
    if (e && now - e->fetched < ttl && now >= e->fetched &&
        (is_fact(key) || e->generation == apr_atomic_read32(c->generation))) {
        *text = e->text ? apr_pstrdup(p, e->text) : NULL;
        *etag = e->etag ? apr_pstrdup(p, e->etag) : NULL;
        if (serial) {
            *serial = e->serial;
        }
        if (refresh && now - e->fetched >= ttl - ttl / 4 && !e->refreshing) {
            e->refreshing = now;
            *refresh = 1;
        }
        hit = 1;
    }
    hold(c, 0);
    return hit;
}

static void cache_drop_locked(s3up_store_cache_t *c, const char *key)
{
    entry_t *old = apr_hash_get(c->entries, key, APR_HASH_KEY_STRING);
    if (old) {
        entry_remove(c, old);
    }
}

/* generation: the store's, read before the record was. */
static void cache_set(s3up_store_cache_t *c, const char *key, const char *text, const char *etag,
                      apr_time_t now, apr_uint32_t generation)
{
    entry_t *e = calloc(1, sizeof(*e));

    e->generation = generation;
    e->key = strdup(key);
    e->text = text ? strdup(text) : NULL;
    e->etag = etag ? strdup(etag) : NULL;
    e->fetched = now;
    hold(c, 1);
    e->serial = ++c->serials;
    cache_drop_locked(c, key);
    /* Bounded memory: start over rather than track ages. */
    if (is_listing(key)) {
        if (c->listings >= CACHE_LISTINGS) {
            cache_clear(c, CLEAR_LISTINGS);
        }
    } else if (is_fact(key)) {
        if (c->facts >= CACHE_FACTS) {
            cache_clear(c, CLEAR_FACTS);
        }
    } else if (!text && c->negatives >= CACHE_NEGATIVES) {
        cache_clear(c, CLEAR_NEGATIVES);
    } else if (text && (int)apr_hash_count(c->entries) - c->negatives - c->listings - c->facts >=
                           CACHE_ENTRIES) {
        cache_clear(c, CLEAR_ALL);
    }
    c->negatives += text == NULL;
    c->listings += is_listing(key);
    c->facts += is_fact(key);
    apr_hash_set(c->entries, e->key, APR_HASH_KEY_STRING, e);
    hold(c, 0);
}

/* After a write: key is forgotten here, and every process's cache entries
 * older than the write are too. */
static void cache_drop(s3up_store_cache_t *c, const char *key)
{
    apr_atomic_inc32(c->generation);
    hold(c, 1);
    cache_drop_locked(c, key);
    hold(c, 0);
}

const char *s3up_record_hash(const char *s, apr_pool_t *p)
{
    return s3up_sha256_hex(s, strlen(s), p);
}

static const char *who_hash(const char *who, apr_pool_t *p)
{
    return s3up_record_hash(who, p);
}

static const char *record_key(const s3up_store_t *st, const char *id, apr_pool_t *p)
{
    return apr_pstrcat(p, st->prefix, "endpoints/", id, ".json", NULL);
}

static const char *member_prefix(const s3up_store_t *st, const char *who, apr_pool_t *p)
{
    return apr_pstrcat(p, st->prefix, "members/", who_hash(who, p), "/", NULL);
}

/* Cache keys name the bucket too: one cache serves every location. */
static const char *record_ckey(const s3up_store_t *st, const char *key, apr_pool_t *p)
{
    return apr_pstrcat(p, "r:", st->s3->loc->bucket, "/", key, NULL);
}

static const char *index_ckey(const s3up_store_t *st, const char *prefix, apr_pool_t *p)
{
    return apr_pstrcat(p, "i:", st->s3->loc->bucket, "/", prefix, NULL);
}

static const char *listing_ckey(const s3up_store_t *st, const char *prefix, apr_pool_t *p)
{
    return apr_pstrcat(p, LISTING_CKEY, st->s3->loc->bucket, "/", prefix, NULL);
}

int s3up_store_listing_get(const char **text, s3up_store_t *st, const char *prefix, apr_pool_t *p)
{
    const char *etag, *ckey = listing_ckey(st, prefix, p);
    apr_time_t now = st->s3->aws.now(), listed;
    apr_uint32_t generation = apr_atomic_read32(st->cache->generation);

    if (cache_get(st->cache, ckey, now, st->ttl, text, &etag, NULL, NULL, p) && *text) {
        return 1;
    }
    /* Another process's, made in the TTL and since the last write. */
    if (st->ttl > 0 && st->cache->board &&
        s3up_board_get(text, &listed, st->cache->board, ckey, now - st->ttl, generation, p)) {
        cache_set(st->cache, ckey, *text, NULL, listed, generation);
        return 1;
    }
    return 0;
}

void s3up_store_listing_put(s3up_store_t *st, const char *prefix, const char *text,
                            apr_time_t listed, apr_pool_t *p)
{
    const char *ckey = listing_ckey(st, prefix, p);
    apr_uint32_t generation = apr_atomic_read32(st->cache->generation);

    if (st->ttl > 0) {
        cache_set(st->cache, ckey, text, NULL, listed, generation);
        if (st->cache->board) {
            s3up_board_put(st->cache->board, ckey, text, listed, generation);
        }
    }
}

static const char *note_ckey(const s3up_store_t *st, const char *name, apr_pool_t *p)
{
    return apr_pstrcat(p, "n:", st->s3->loc->bucket, "/", name, NULL);
}

int s3up_store_note_get(const char **text, s3up_store_t *st, const char *name, apr_pool_t *p)
{
    const char *etag;

    return cache_get(st->cache, note_ckey(st, name, p), st->s3->aws.now(), st->ttl, text, &etag,
                     NULL, NULL, p) &&
           *text;
}

void s3up_store_note_put(s3up_store_t *st, const char *name, const char *text, apr_pool_t *p)
{
    if (st->ttl > 0) {
        cache_set(st->cache, note_ckey(st, name, p), text, NULL, st->s3->aws.now(),
                  apr_atomic_read32(st->cache->generation));
    }
}

static const char *fact_ckey(const s3up_store_t *st, const char *name, apr_pool_t *p)
{
    return apr_pstrcat(p, FACT_CKEY, st->s3->loc->bucket, "/", name, NULL);
}

int s3up_store_fact_get(const char **text, s3up_store_t *st, const char *name, apr_pool_t *p)
{
    const char *etag;

    return cache_get(st->cache, fact_ckey(st, name, p), st->s3->aws.now(), FACT_TTL, text, &etag,
                     NULL, NULL, p) &&
           *text;
}

void s3up_store_fact_put(s3up_store_t *st, const char *name, const char *text, apr_pool_t *p)
{
    cache_set(st->cache, fact_ckey(st, name, p), text, NULL, st->s3->aws.now(),
              apr_atomic_read32(st->cache->generation));
}

static void cached_forget(s3up_store_t *st, const char *key, apr_pool_t *p)
{
    cache_drop(st->cache, record_ckey(st, key, p));
}

void s3up_record_forget(s3up_store_t *st, const char *key, apr_pool_t *p)
{
    cached_forget(st, key, p);
}

static void cached_set(s3up_store_t *st, const char *key, const char *text, const char *etag,
                       apr_pool_t *p)
{
    cache_drop(st->cache, record_ckey(st, key, p));
    cache_set(st->cache, record_ckey(st, key, p), text, etag, st->s3->aws.now(),
              apr_atomic_read32(st->cache->generation));
}

void s3up_record_forget_here(s3up_store_t *st, const char *key)
{
    apr_pool_t *p;

    apr_pool_create(&p, NULL);
    hold(st->cache, 1);
    cache_drop_locked(st->cache, record_ckey(st, key, p));
    hold(st->cache, 0);
    apr_pool_destroy(p);
}

static void index_forget(s3up_store_t *st, const char *prefix, apr_pool_t *p)
{
    cache_drop(st->cache, index_ckey(st, prefix, p));
}

void s3up_record_index_forget(s3up_store_t *st, const char *prefix, apr_pool_t *p)
{
    index_forget(st, prefix, p);
}

static void forget(s3up_store_t *st, const char *id, const char *who)
{
    apr_pool_t *p;

    apr_pool_create(&p, NULL);
    if (id) {
        cached_forget(st, record_key(st, id, p), p);
    }
    if (who) {
        index_forget(st, member_prefix(st, who, p), p);
    }
    apr_pool_destroy(p);
}

int s3up_store_id_valid(const char *id)
{
    apr_size_t n = id ? strlen(id) : 0;

    if (n < 1 || n > 63 || id[0] == '-' || id[n - 1] == '-') {
        return 0;
    }
    for (apr_size_t i = 0; i < n; i++) {
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '-')) {
            return 0;
        }
    }
    return 1;
}

const char *s3up_store_endpoint_json(const s3up_endpoint_t *ep, apr_pool_t *p)
{
    json_t *j = s3up_json_own(json_object(), p);
    json_t *members = json_array();

    for (int i = 0; ep->members && i < ep->members->nelts; i++) {
        json_array_append_new(members, json_string(APR_ARRAY_IDX(ep->members, i, const char *)));
    }
    json_object_set_new(j, "id", json_string(ep->id));
    json_object_set_new(j, "prefix", json_string(ep->prefix));
    json_object_set_new(j, "members", members);
    json_object_set_new(j, "created", json_string(s3up_time_iso8601(ep->created, p)));
    json_object_set_new(j, "created_by",
                        ep->created_by ? json_string(ep->created_by) : json_null());
    json_object_set_new(j, "expires",
                        ep->expires ? json_string(s3up_time_iso8601(ep->expires, p)) : json_null());
    json_object_set_new(j, "max_file_size",
                        ep->max_file_size ? json_integer((json_int_t)ep->max_file_size)
                                          : json_null());
    json_object_set_new(j, "status", json_string(ep->status ? ep->status : S3UP_ENDPOINT_ACTIVE));
    json_object_set_new(j, "note", json_string(ep->note ? ep->note : ""));
    return s3up_json_dump(j, p);
}

apr_status_t s3up_record_time(apr_time_t *out, const json_t *v)
{
    *out = 0;
    if (!v || json_is_null(v)) {
        return APR_SUCCESS;
    }
    if (!json_is_string(v)) {
        return S3UP_EPARSE;
    }
    return s3up_time_parse(out, json_string_value(v));
}

apr_status_t s3up_store_endpoint_parse(s3up_endpoint_t **out, const char *text, apr_size_t len,
                                       apr_pool_t *p)
{
    s3up_endpoint_t *ep = apr_pcalloc(p, sizeof(*ep));
    json_t *j, *members, *size;
    const char *why;
    size_t i;
    json_t *m;

    if (s3up_json_parse(&j, text, len, RECORD_MAX, &why, p) != APR_SUCCESS || !json_is_object(j)) {
        return S3UP_EPARSE;
    }
    ep->id = apr_pstrdup(p, s3up_json_str(j, "id") ? s3up_json_str(j, "id") : "");
    ep->prefix = apr_pstrdup(p, s3up_json_str(j, "prefix") ? s3up_json_str(j, "prefix") : "");
    ep->created_by = s3up_json_str(j, "created_by");
    ep->created_by = ep->created_by ? apr_pstrdup(p, ep->created_by) : NULL;
    ep->status = apr_pstrdup(p, s3up_json_str(j, "status") ? s3up_json_str(j, "status")
                                                           : S3UP_ENDPOINT_ACTIVE);
    ep->note = apr_pstrdup(p, s3up_json_str(j, "note") ? s3up_json_str(j, "note") : "");
    if (!s3up_store_id_valid(ep->id) || !*ep->prefix ||
        s3up_record_time(&ep->created, json_object_get(j, "created")) != APR_SUCCESS ||
        s3up_record_time(&ep->expires, json_object_get(j, "expires")) != APR_SUCCESS) {
        return S3UP_EPARSE;
    }
    size = json_object_get(j, "max_file_size");
    if (size && !json_is_null(size)) {
        if (!json_is_integer(size) || json_integer_value(size) < 0) {
            return S3UP_EPARSE;
        }
        ep->max_file_size = (apr_off_t)json_integer_value(size);
    }
    ep->members = apr_array_make(p, 4, sizeof(const char *));
    members = json_object_get(j, "members");
    json_array_foreach(members, i, m)
    {
        if (json_is_string(m)) {
            APR_ARRAY_PUSH(ep->members, const char *) = apr_pstrdup(p, json_string_value(m));
        }
    }
    *out = ep;
    return APR_SUCCESS;
}

int s3up_store_endpoint_open(const s3up_endpoint_t *ep, apr_time_t now)
{
    return !strcmp(ep->status, S3UP_ENDPOINT_ACTIVE) && (!ep->expires || now < ep->expires);
}

s3up_error_t *s3up_record_error(apr_status_t status, const char *code, const char *message,
                                apr_pool_t *p)
{
    return s3up_error_make(status, 0, code, message, p);
}

static s3up_error_t *not_found(const char *code, const char *message, apr_pool_t *p)
{
    return s3up_record_error(S3UP_ENOTFOUND, code, message, p);
}

#if APR_HAS_THREADS
static void reading_free(reading_t *r)
{
    free(r->key);
    free((char *)r->failed.code);
    free((char *)r->failed.message);
    free(r);
}
#endif

/* After a miss of key: 0 when this reader is the one to ask S3 (it then
 * calls read_end), 1 when another was asking and has answered: the answer
 * is in the cache, or *failed (in p) says why there is none. */
static int read_wait(s3up_store_cache_t *c, const char *key, s3up_error_t **failed, apr_pool_t *p)
{
#if APR_HAS_THREADS
    reading_t *r;

    *failed = NULL;
    hold(c, 1);
    r = apr_hash_get(c->reading, key, APR_HASH_KEY_STRING);
    if (!r) {
        r = calloc(1, sizeof(*r));
        r->key = strdup(key);
        apr_hash_set(c->reading, r->key, APR_HASH_KEY_STRING, r);
        hold(c, 0);
        return 0;
    }
    r->waiters++;
    while (!r->done) {
        apr_thread_cond_wait(c->read_done, c->lock);
    }
    if (r->failed.status != APR_SUCCESS) {
        *failed = apr_pmemdup(p, &r->failed, sizeof(r->failed));
        (*failed)->code = apr_pstrdup(p, r->failed.code);
        (*failed)->message = apr_pstrdup(p, r->failed.message);
        (*failed)->request_id = NULL;
    }
    if (--r->waiters == 0) {
        reading_free(r);
    }
    hold(c, 0);
    return 1;
#else
    (void)c;
    (void)key;
    (void)p;
    *failed = NULL;
    return 0;
#endif
}

/* The end of this reader's read of key (failed: why it has no answer, or
 * NULL): its waiters are woken. */
static void read_end(s3up_store_cache_t *c, const char *key, const s3up_error_t *failed)
{
#if APR_HAS_THREADS
    reading_t *r;

    hold(c, 1);
    r = apr_hash_get(c->reading, key, APR_HASH_KEY_STRING);
    if (r) {
        apr_hash_set(c->reading, r->key, APR_HASH_KEY_STRING, NULL);
        r->done = 1;
        if (failed) {
            r->failed = *failed;
            r->failed.code = strdup(failed->code ? failed->code : "StoreError");
            r->failed.message = strdup(failed->message ? failed->message : "");
        }
        if (r->waiters) {
            apr_thread_cond_broadcast(c->read_done);
        } else {
            reading_free(r);
        }
    }
    hold(c, 0);
#else
    (void)c;
    (void)key;
    (void)failed;
#endif
}

apr_status_t s3up_record_get(const char **text, const char **etag, apr_uint64_t *serial,
                             s3up_store_t *st, const char *key, int fresh, s3up_error_t **err,
                             apr_pool_t *p)
{
    apr_uint64_t ignored;
    const char *ckey = record_ckey(st, key, p);
    apr_time_t now = st->s3->aws.now();
    apr_uint32_t generation = apr_atomic_read32(st->cache->generation);
    int refresh = 0, asking = 0;
    s3up_error_t *e;
    s3up_body_t *body;
    apr_status_t rv;

    if (!serial) {
        serial = &ignored;
    }
    *text = *etag = NULL;
    *serial = 0;
    if (!fresh && cache_get(st->cache, ckey, now, st->ttl, text, etag, serial, &refresh, p) &&
        !refresh) {
        return *text ? APR_SUCCESS : S3UP_ENOTFOUND;
    }
    if (!fresh && !refresh && st->ttl > 0) {
        if (read_wait(st->cache, ckey, &e, p)) {
            if (e) {
                *err = e;
                return e->status;
            }
            if (cache_get(st->cache, ckey, st->s3->aws.now(), st->ttl, text, etag, serial, NULL,
                          p)) {
                return *text ? APR_SUCCESS : S3UP_ENOTFOUND;
            }
        } else {
            asking = 1;
        }
    }
    rv = s3up_s3_get(&body, st->s3, key, RECORD_MAX, &e, p);
    if (rv == S3UP_ENOTFOUND) {
        *text = *etag = NULL;
        cache_set(st->cache, ckey, NULL, NULL, now, generation);
    } else if (rv == APR_SUCCESS) {
        *text = body->data;
        *etag = body->object->etag;
        *serial = 0;
        cache_set(st->cache, ckey, *text, *etag, now, generation);
    }
    if (asking) {
        read_end(st->cache, ckey, rv == APR_SUCCESS || rv == S3UP_ENOTFOUND ? NULL : e);
    }
    if (rv != APR_SUCCESS && rv != S3UP_ENOTFOUND) {
        if (refresh) {
            /* The copy in hand has not expired: keep to it. */
            return *text ? APR_SUCCESS : S3UP_ENOTFOUND;
        }
        *err = e;
        return rv;
    }
    return *text ? APR_SUCCESS : S3UP_ENOTFOUND;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An index being listed: the names under its prefix that pass valid. */
typedef struct {
    apr_array_header_t *found;
    apr_size_t skip; /* the prefix's length */
    int (*valid)(const char *);
} listing_t;

static apr_status_t add_name(void *baton, const char *k, const void *item)
{
    listing_t *l = baton;

    (void)item;
    if (strlen(k) > l->skip && l->valid(k + l->skip)) {
        APR_ARRAY_PUSH(l->found, const char *) = k + l->skip;
    }
    return APR_SUCCESS;
}

/* The ids of a cached index's text. */
static apr_array_header_t *index_ids(const char *text, apr_pool_t *p)
{
    apr_array_header_t *ids = apr_array_make(p, 4, sizeof(const char *));
    char *last, *id, *copy = apr_pstrdup(p, text ? text : "");

    for (id = apr_strtok(copy, "\n", &last); id; id = apr_strtok(NULL, "\n", &last)) {
        APR_ARRAY_PUSH(ids, const char *) = id;
    }
    return ids;
}

/* The names of the empty objects under an index prefix that pass valid,
 * sorted, from the cache while fresh. */
static apr_status_t cached_index(apr_array_header_t **ids, s3up_store_t *st, const char *prefix,
                                 int (*valid)(const char *), s3up_error_t **err, apr_pool_t *p)
{
    const char *ckey = index_ckey(st, prefix, p);
    const char *text = NULL, *etag = NULL;
    apr_array_header_t *found = apr_array_make(p, 4, sizeof(const char *));
    apr_time_t now = st->s3->aws.now();
    apr_uint32_t generation = apr_atomic_read32(st->cache->generation);
    listing_t listing = {found, strlen(prefix), valid};
    int asking = 0;
    apr_status_t rv;

    if (cache_get(st->cache, ckey, now, st->ttl, &text, &etag, NULL, NULL, p)) {
        *ids = index_ids(text, p);
        return APR_SUCCESS;
    }
    if (st->ttl > 0) {
        /* As for a record: one thread lists, the others wait for it. */
        if (read_wait(st->cache, ckey, err, p)) {
            if (*err) {
                return (*err)->status;
            }
            if (cache_get(st->cache, ckey, st->s3->aws.now(), st->ttl, &text, &etag, NULL, NULL,
                          p)) {
                *ids = index_ids(text, p);
                return APR_SUCCESS;
            }
        } else {
            asking = 1;
        }
    }
    rv = s3up_s3_each(st->s3, S3UP_S3_OBJECTS, prefix, 0, NULL, add_name, &listing, err, p);
    if (rv == APR_SUCCESS) {
        qsort(found->elts, found->nelts, sizeof(const char *), cmp_str);
        cache_set(st->cache, ckey, apr_array_pstrcat(p, found, '\n'), NULL, now, generation);
    }
    if (asking) {
        read_end(st->cache, ckey, rv == APR_SUCCESS ? NULL : *err);
    }
    *ids = found;
    return rv;
}

apr_status_t s3up_record_index(apr_array_header_t **ids, s3up_store_t *st, const char *prefix,
                               int (*valid)(const char *), s3up_error_t **err, apr_pool_t *p)
{
    return cached_index(ids, st, prefix, valid, err, p);
}

/* A record of the id's key: S3UP_ENOTFOUND, with code and message, when
 * the id is not valid (nothing is asked) or no such record is stored. */
static apr_status_t record_of(const char **text, const char **etag, apr_uint64_t *serial,
                              s3up_store_t *st, int valid, const char *key, const char *code,
                              const char *message, s3up_error_t **err, apr_pool_t *p)
{
    apr_status_t rv = S3UP_ENOTFOUND;

    if (valid) {
        rv = s3up_record_get(text, etag, serial, st, key, 0, err, p);
    }
    if (rv == S3UP_ENOTFOUND) {
        *err = not_found(code, message, p);
    }
    return rv;
}

/* A copy of ep, strings and all, in p. */
static s3up_endpoint_t *endpoint_copy(const s3up_endpoint_t *ep, apr_pool_t *p)
{
    s3up_endpoint_t *out = apr_pmemdup(p, ep, sizeof(*ep));

    out->id = apr_pstrdup(p, ep->id);
    out->prefix = apr_pstrdup(p, ep->prefix);
    out->created_by = apr_pstrdup(p, ep->created_by);
    out->status = apr_pstrdup(p, ep->status);
    out->note = apr_pstrdup(p, ep->note);
    out->etag = apr_pstrdup(p, ep->etag);
    out->members = apr_array_make(p, ep->members->nelts, sizeof(const char *));
    for (int i = 0; i < ep->members->nelts; i++) {
        APR_ARRAY_PUSH(out->members, const char *) =
            apr_pstrdup(p, APR_ARRAY_IDX(ep->members, i, const char *));
    }
    return out;
}

apr_status_t s3up_store_endpoint_get(s3up_endpoint_t **out, s3up_store_t *st, const char *id,
                                     s3up_error_t **err, apr_pool_t *p)
{
    const char *text, *etag;
    apr_uint64_t serial;
    s3up_store_memo_slot_t *slot;
    s3up_endpoint_t *ep;
    void *kept;
    apr_status_t rv;

    rv = record_of(&text, &etag, &serial, st, s3up_store_id_valid(id), record_key(st, id, p),
                   "NoSuchEndpoint",
                   s3up_store_id_valid(id) ? apr_psprintf(p, "there is no endpoint '%s'", id)
                                           : "no such endpoint",
                   err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    slot = s3up_memo_slot(&kept, st->memo ? &st->memo->ep : NULL, st, serial);
    if (!(ep = kept)) {
        apr_pool_t *pool = slot ? slot->pool : p;
        if ((rv = s3up_store_endpoint_parse(&ep, text, strlen(text), pool)) != APR_SUCCESS) {
            *err = s3up_record_error(
                rv, "BadRecord", apr_psprintf(p, "the record of endpoint '%s' cannot be read", id),
                p);
            return rv;
        }
        ep->etag = apr_pstrdup(pool, etag);
        if (slot) {
            s3up_memo_keep(slot, st, serial, ep);
        }
    }
    /* The memo's, copied whole: its next parse must not touch what this
     * request holds. */
    *out = slot ? endpoint_copy(ep, p) : ep;
    return APR_SUCCESS;
}

apr_status_t s3up_record_put(const char **etag, s3up_store_t *st, const char *key, const char *text,
                             const s3up_put_cond_t *cond, s3up_error_t **err, apr_pool_t *p)
{
    s3up_body_t *now;
    s3up_error_t *e2;
    apr_status_t rv;

    rv = s3up_s3_put(etag, st->s3, key, text, strlen(text), "application/json", cond, err, p);
    if (rv != S3UP_ES3 || (*err)->http_status < 500) {
        return rv;
    }
    if (s3up_s3_get(&now, st->s3, key, RECORD_MAX, &e2, p) != APR_SUCCESS) {
        return rv;
    }
    if (now->len == strlen(text) && !memcmp(now->data, text, now->len)) {
        if (etag) {
            *etag = now->object->etag;
        }
        return APR_SUCCESS;
    }
    (*err)->status = S3UP_ECONFLICT;
    (*err)->code = "Conflict";
    (*err)->message = "changed by someone else meanwhile";
    return S3UP_ECONFLICT;
}

apr_status_t s3up_store_endpoint_put(s3up_store_t *st, s3up_endpoint_t *ep, s3up_error_t **err,
                                     apr_pool_t *p)
{
    const char *text = s3up_store_endpoint_json(ep, p);
    s3up_put_cond_t cond = {ep->etag == NULL, ep->etag};
    const char *etag = NULL;
    apr_status_t rv;

    rv = s3up_record_put(&etag, st, record_key(st, ep->id, p), text, &cond, err, p);
    if (rv != APR_SUCCESS) {
        /* Whatever we held may be stale now. */
        cached_forget(st, record_key(st, ep->id, p), p);
        return rv;
    }
    ep->etag = etag;
    cached_set(st, record_key(st, ep->id, p), text, etag, p);
    return APR_SUCCESS;
}

apr_status_t s3up_store_endpoint_ids(apr_array_header_t **ids, const char **next, s3up_store_t *st,
                                     const char *q, const char *cursor, int max, s3up_error_t **err,
                                     apr_pool_t *p)
{
    const char *dir = apr_pstrcat(p, st->prefix, "endpoints/", NULL);
    apr_size_t n = strlen(dir);
    s3up_object_page_t *page;
    apr_status_t rv;

    rv = s3up_s3_list_objects(&page, st->s3, apr_pstrcat(p, dir, q ? q : "", NULL), NULL, cursor,
                              max, err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *ids = apr_array_make(p, page->objects->nelts, sizeof(const char *));
    for (int i = 0; i < page->objects->nelts; i++) {
        const char *k = APR_ARRAY_IDX(page->objects, i, s3up_object_t).key + n;
        apr_size_t len = strlen(k);
        const char *id =
            len > 5 && !strcmp(k + len - 5, ".json") ? apr_pstrndup(p, k, len - 5) : NULL;
        if (id && s3up_store_id_valid(id)) {
            APR_ARRAY_PUSH(*ids, const char *) = id;
        }
    }
    *next = page->truncated ? page->next_token : NULL;
    return APR_SUCCESS;
}

apr_status_t s3up_store_endpoint_delete(s3up_store_t *st, const char *id, s3up_error_t **err,
                                        apr_pool_t *p)
{
    apr_status_t rv = s3up_s3_delete(st->s3, record_key(st, id, p), err, p);

    forget(st, id, NULL);
    return rv;
}

const char *s3up_store_file_key(const char *files, const char *id, const char *path, apr_pool_t *p)
{
    return apr_pstrcat(p, files, id, "/", path, NULL);
}

apr_status_t s3up_store_file_key_split(const char **id, const char **path, const char *files,
                                       const char *key, apr_pool_t *p)
{
    apr_size_t n = strlen(files);
    const char *slash;

    if (!key || strncmp(key, files, n) || !(slash = strchr(key + n, '/'))) {
        return APR_EINVAL;
    }
    *id = apr_pstrmemdup(p, key + n, slash - (key + n));
    *path = slash + 1;
    return s3up_store_id_valid(*id) ? APR_SUCCESS : APR_EINVAL;
}

apr_status_t s3up_store_member_endpoints(apr_array_header_t **ids, s3up_store_t *st,
                                         const char *who, s3up_error_t **err, apr_pool_t *p)
{
    return cached_index(ids, st, member_prefix(st, who, p), s3up_store_id_valid, err, p);
}

apr_status_t s3up_store_member_add(s3up_store_t *st, const char *who, const char *id,
                                   s3up_error_t **err, apr_pool_t *p)
{
    apr_status_t rv = s3up_s3_put(NULL, st->s3, apr_pstrcat(p, member_prefix(st, who, p), id, NULL),
                                  "", 0, NULL, NULL, err, p);
    forget(st, NULL, who);
    return rv;
}

apr_status_t s3up_store_member_remove(s3up_store_t *st, const char *who, const char *id,
                                      s3up_error_t **err, apr_pool_t *p)
{
    apr_status_t rv =
        s3up_s3_delete(st->s3, apr_pstrcat(p, member_prefix(st, who, p), id, NULL), err, p);
    forget(st, NULL, who);
    return rv;
}

static int link_id_valid(const char *id)
{
    return strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64;
}

static const char *link_key(const s3up_store_t *st, const char *id, apr_pool_t *p)
{
    return apr_pstrcat(p, st->prefix, "links/", id, ".json", NULL);
}

static const char *link_index(const s3up_store_t *st, const char *endpoint, apr_pool_t *p)
{
    return apr_pstrcat(p, st->prefix, "endpoint-links/", endpoint, "/", NULL);
}

apr_status_t s3up_store_link_get(s3up_link_t **out, s3up_store_t *st, const char *id,
                                 s3up_error_t **err, apr_pool_t *p)
{
    const char *text, *etag, *why;
    apr_uint64_t serial;
    s3up_link_t *l;
    json_t *j;
    apr_status_t rv;

    rv = record_of(&text, &etag, &serial, st, link_id_valid(id), link_key(st, id, p), "NoSuchLink",
                   "no such upload link", err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    l = apr_pcalloc(p, sizeof(*l));
    if (s3up_json_parse(&j, text, strlen(text), RECORD_MAX, &why, p) != APR_SUCCESS ||
        !s3up_json_str(j, "endpoint") || !s3up_store_id_valid(s3up_json_str(j, "endpoint")) ||
        s3up_record_time(&l->created, json_object_get(j, "created")) != APR_SUCCESS ||
        s3up_record_time(&l->expires, json_object_get(j, "expires")) != APR_SUCCESS) {
        *err = apr_pcalloc(p, sizeof(**err));
        (*err)->status = S3UP_EPARSE;
        (*err)->code = "BadRecord";
        (*err)->message = "the record of an upload link cannot be read";
        return S3UP_EPARSE;
    }
    l->id = apr_pstrdup(p, id);
    l->endpoint = apr_pstrdup(p, s3up_json_str(j, "endpoint"));
    l->created_by = s3up_json_str(j, "created_by");
    l->created_by = l->created_by ? apr_pstrdup(p, l->created_by) : NULL;
    l->passcode_hash = s3up_json_str(j, "passcode_hash");
    l->passcode_hash = l->passcode_hash ? apr_pstrdup(p, l->passcode_hash) : NULL;
    l->label = s3up_json_str(j, "label");
    l->label = l->label ? apr_pstrdup(p, l->label) : NULL;
    *out = l;
    return APR_SUCCESS;
}

apr_status_t s3up_store_link_put(s3up_store_t *st, const s3up_link_t *link, s3up_error_t **err,
                                 apr_pool_t *p)
{
    json_t *j = s3up_json_own(json_object(), p);
    s3up_put_cond_t create = {1, NULL};
    const char *text;
    apr_status_t rv;

    json_object_set_new(j, "id", json_string(link->id));
    json_object_set_new(j, "endpoint", json_string(link->endpoint));
    json_object_set_new(j, "created", json_string(s3up_time_iso8601(link->created, p)));
    json_object_set_new(j, "created_by",
                        link->created_by ? json_string(link->created_by) : json_null());
    json_object_set_new(j, "expires",
                        link->expires ? json_string(s3up_time_iso8601(link->expires, p))
                                      : json_null());
    json_object_set_new(j, "passcode_hash",
                        link->passcode_hash ? json_string(link->passcode_hash) : json_null());
    json_object_set_new(j, "label", link->label ? json_string(link->label) : json_null());
    text = s3up_json_dump(j, p);
    rv = s3up_record_put(NULL, st, link_key(st, link->id, p), text, &create, err, p);
    if (rv == APR_SUCCESS) {
        rv = s3up_s3_put(NULL, st->s3,
                         apr_pstrcat(p, link_index(st, link->endpoint, p), link->id, NULL), "", 0,
                         NULL, NULL, err, p);
    }
    cached_forget(st, link_key(st, link->id, p), p);
    index_forget(st, link_index(st, link->endpoint, p), p);
    return rv;
}

apr_status_t s3up_record_delete_indexed(s3up_store_t *st, const char *key, const char *index,
                                        const char *id, s3up_error_t **err, apr_pool_t *p)
{
    apr_status_t rv = s3up_s3_delete(st->s3, key, err, p);

    if (rv == APR_SUCCESS) {
        rv = s3up_s3_delete(st->s3, apr_pstrcat(p, index, id, NULL), err, p);
    }
    cached_forget(st, key, p);
    index_forget(st, index, p);
    return rv;
}

apr_status_t s3up_store_link_delete(s3up_store_t *st, const s3up_link_t *link, s3up_error_t **err,
                                    apr_pool_t *p)
{
    return s3up_record_delete_indexed(st, link_key(st, link->id, p),
                                      link_index(st, link->endpoint, p), link->id, err, p);
}

apr_status_t s3up_store_endpoint_links(apr_array_header_t **ids, s3up_store_t *st,
                                       const char *endpoint, s3up_error_t **err, apr_pool_t *p)
{
    return cached_index(ids, st, link_index(st, endpoint, p), link_id_valid, err, p);
}
