/*
 * Endpoint records and the member index, kept in the bucket under the
 * state prefix (DESIGN.md §5), read through a per-process cache:
 *   {state}endpoints/{id}.json            the endpoint record
 *   {state}members/{sha256(who)}/{id}     empty: who may use endpoint id
 * Every node sharing the bucket sees a change within the cache TTL; the
 * node that made it sees it at once.
 */
#ifndef S3UP_STORE_H
#define S3UP_STORE_H

#include "s3up_s3.h"

#define S3UP_ENDPOINT_ACTIVE "active"
#define S3UP_ENDPOINT_REVOKED "revoked"

typedef struct s3up_endpoint_t {
    const char *id;
    const char *prefix;          /* where its files go: "uploads/acme/" */
    apr_array_header_t *members; /* const char *: values of S3UpUserClaim */
    apr_time_t created;
    const char *created_by;
    apr_time_t expires;      /* 0: never */
    apr_off_t max_file_size; /* 0: the server's limit */
    const char *status;      /* S3UP_ENDPOINT_ACTIVE or _REVOKED */
    const char *note;
    const char *etag; /* of the stored record, for conditional updates */
} s3up_endpoint_t;

/* The cache: one per process, thread-safe, shared by every bucket and
 * state prefix, bounded in size. */
typedef struct s3up_store_cache_t s3up_store_cache_t;
apr_status_t s3up_store_cache_create(s3up_store_cache_t **out, apr_pool_t *pchild);

/* Let caches of several processes see each other's writes at once: every
 * write bumps *generation (shared memory, zeroed, made before the
 * processes fork), and an entry read before the last write is not used.
 * Other servers sharing the bucket still see a write after the TTL. */
void s3up_store_cache_share(s3up_store_cache_t *c, volatile apr_uint32_t *generation);

/* The endpoint last parsed on a connection, kept while the cache entry it
 * came from lasts: part signing asks for the same endpoint over and over,
 * and need not parse its JSON each time. One thread at a time. */
typedef struct s3up_store_memo_t {
    apr_pool_t *pool;
    const s3up_store_cache_t *cache;
    apr_uint64_t serial; /* of the cache entry; 0: none */
    s3up_endpoint_t *ep;
} s3up_store_memo_t;

s3up_store_memo_t *s3up_store_memo_create(apr_pool_t *p);

/* The state of one bucket as a request sees it. */
typedef struct s3up_store_t {
    s3up_store_cache_t *cache;
    s3up_s3_t *s3;
    const char *prefix;      /* S3UpStatePrefix: ".s3up/" */
    apr_interval_time_t ttl; /* S3UpCacheTTL; 0 reads the bucket every time */
    s3up_store_memo_t *memo; /* the connection's, or NULL */
} s3up_store_t;

/* Endpoint ids: 1-63 of a-z 0-9 '-', not starting or ending with '-'. */
int s3up_store_id_valid(const char *id);

/* S3UP_ENOTFOUND when there is no such endpoint. */
apr_status_t s3up_store_endpoint_get(s3up_endpoint_t **out, s3up_store_t *st, const char *id,
                                     s3up_error_t **err, apr_pool_t *p);

/* Create (ep->etag NULL: fails with S3UP_ECONFLICT if the id is taken) or
 * replace the version ep->etag names (S3UP_ECONFLICT if it changed since).
 * ep->etag is updated. The member index is not touched. */
apr_status_t s3up_store_endpoint_put(s3up_store_t *st, s3up_endpoint_t *ep, s3up_error_t **err,
                                     apr_pool_t *p);

/* Ids of the endpoints who is a member of (const char *), sorted. */
apr_status_t s3up_store_member_endpoints(apr_array_header_t **ids, s3up_store_t *st,
                                         const char *who, s3up_error_t **err, apr_pool_t *p);

apr_status_t s3up_store_member_add(s3up_store_t *st, const char *who, const char *id,
                                   s3up_error_t **err, apr_pool_t *p);
apr_status_t s3up_store_member_remove(s3up_store_t *st, const char *who, const char *id,
                                      s3up_error_t **err, apr_pool_t *p);

/* The record as stored, and back. */
const char *s3up_store_endpoint_json(const s3up_endpoint_t *ep, apr_pool_t *p);
apr_status_t s3up_store_endpoint_parse(s3up_endpoint_t **out, const char *text, apr_size_t len,
                                       apr_pool_t *p);

/* Whether uploads may go to ep at time now (active and not expired). */
int s3up_store_endpoint_open(const s3up_endpoint_t *ep, apr_time_t now);

/* Upload links: {state}links/{id}.json, id = sha256(token) (the token is
 * never stored), and the index {state}endpoint-links/{endpoint}/{id}. */
typedef struct s3up_link_t {
    const char *id;
    const char *endpoint;
    apr_time_t created;
    const char *created_by;
    apr_time_t expires;        /* 0: as long as the endpoint */
    const char *passcode_hash; /* bcrypt, or NULL for none */
} s3up_link_t;

/* S3UP_ENOTFOUND for an unknown (or revoked: deleted) link. */
apr_status_t s3up_store_link_get(s3up_link_t **out, s3up_store_t *st, const char *id,
                                 s3up_error_t **err, apr_pool_t *p);
/* Create: the record, then its index entry. */
apr_status_t s3up_store_link_put(s3up_store_t *st, const s3up_link_t *link, s3up_error_t **err,
                                 apr_pool_t *p);
/* Revoke: the record goes first, so the link stops working even if the
 * index entry cannot be removed. */
apr_status_t s3up_store_link_delete(s3up_store_t *st, const s3up_link_t *link, s3up_error_t **err,
                                    apr_pool_t *p);
/* The ids of an endpoint's links, sorted. */
apr_status_t s3up_store_endpoint_links(apr_array_header_t **ids, s3up_store_t *st,
                                       const char *endpoint, s3up_error_t **err, apr_pool_t *p);

/* Name reservations: two uploads of one name at the same time must both
 * survive, and S3 cannot refuse a completing upload whose key exists. So
 * a new upload first reserves its key under {state}reservations/, with a
 * create-only write, and takes the key only if no object has it yet.
 *
 * Reserve key until expires: S3UP_ECONFLICT while someone else's
 * reservation holds it (an expired one is taken over). */
apr_status_t s3up_store_reserve(s3up_store_t *st, const char *key, apr_time_t expires,
                                s3up_error_t **err, apr_pool_t *p);
apr_status_t s3up_store_release(s3up_store_t *st, const char *key, s3up_error_t **err,
                                apr_pool_t *p);

/* A free key for dir + relpath: relpath itself, else "name (1).ext",
 * "name (2).ext", ... reserved until expires. */
apr_status_t s3up_store_claim_key(const char **key, s3up_store_t *st, const char *dir,
                                  const char *relpath, apr_time_t expires, s3up_error_t **err,
                                  apr_pool_t *p);

/* Forget what the cache holds for this endpoint / this person. */
void s3up_store_forget(s3up_store_t *st, const char *id, const char *who);

#endif /* S3UP_STORE_H */
