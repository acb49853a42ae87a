/*
 * Endpoint records and the member index, kept in the bucket under the
 * state prefix (docs/design.md), read through a per-process cache:
 *   {state}endpoints/{id}.json            the endpoint record
 *   {state}members/{sha256(who)}/{id}     empty: who may use endpoint id
 * Every node sharing the bucket sees a change within the cache TTL; the
 * node that made it sees it at once.
 */
#ifndef S3UP_STORE_H
#define S3UP_STORE_H

#include "s3up_board.h"
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

/* Leave the folder listings this cache keeps on board too (shared memory),
 * and take those of the other processes (s3up_store_listing_get). */
void s3up_store_cache_board(s3up_store_cache_t *c, s3up_board_t *board);

/* What was last parsed on a connection from one kind of record, kept
 * while the cache entry it came from lasts: part signing asks for the same
 * endpoint and upload reservation over and over, and need not parse their
 * JSON each time. One thread at a time. */
typedef struct s3up_store_memo_slot_t {
    apr_pool_t *pool; /* what value points into */
    const s3up_store_cache_t *cache;
    apr_uint64_t serial; /* of the cache entry; 0: none */
    void *value;
} s3up_store_memo_slot_t;

typedef struct s3up_store_memo_t {
    s3up_store_memo_slot_t ep;  /* s3up_endpoint_t */
    s3up_store_memo_slot_t res; /* struct s3up_reservation_t */
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

/* A folder's listing (text of the caller's making) kept in this process's
 * cache, and on the board when there is one, for the TTL from `listed`
 * (and until the next write), so the admin file list's later pages need
 * not list the folder again, in whichever process. A few folders at most
 * (when one more comes, all are dropped); 0 from get when none is kept. */
int s3up_store_listing_get(const char **text, s3up_store_t *st, const char *prefix, apr_pool_t *p);
void s3up_store_listing_put(s3up_store_t *st, const char *prefix, const char *text,
                            apr_time_t listed, apr_pool_t *p);

/* A fact that never changes for its name (what a file's metadata says,
 * named by its key, ETag and time), kept in this process's cache for a
 * day, whatever is written meanwhile; 20,000 at most (when one more
 * comes, all are dropped). 0 from get when none is kept. */
int s3up_store_fact_get(const char **text, s3up_store_t *st, const char *name, apr_pool_t *p);
void s3up_store_fact_put(s3up_store_t *st, const char *name, const char *text, apr_pool_t *p);

/* A note this process keeps for itself (what it last did with an object
 * of the bucket, say) for the TTL and until the next write; 0 from get
 * when there is none. */
int s3up_store_note_get(const char **text, s3up_store_t *st, const char *name, apr_pool_t *p);
void s3up_store_note_put(s3up_store_t *st, const char *name, const char *text, apr_pool_t *p);

/* The facts of an endpoint's files kept in the bucket too, so that a file
 * is asked once by any process of any node sharing it, not once by each:
 *   {state}facts/{id}.json   {"facts": {"{name}": "{text}", ...}}
 * Texts are "{a}\n{b}", one line break. load puts every fact of the
 * object into this process's cache, unless this process read or wrote the
 * object within the TTL (a missing or unreadable object holds none: its
 * facts are then asked again). save writes the object whole, with the
 * facts this process knows of the given names (const char *; NULL entries
 * skipped), which must be every file of the endpoint, as a fact missing
 * from them is dropped: when `finish` is set (the listing's last page),
 * else when that is a quarter more than the object held when this process
 * last read or wrote it, so that a folder walked page by page is written
 * 17 times for 100 pages of 100, not once a page. Two saves at once keep one of them;
 * what the other knew is asked again later. Best effort: a failed save is
 * no error. */
void s3up_store_facts_load(s3up_store_t *st, const char *id, apr_pool_t *p);
void s3up_store_facts_save(s3up_store_t *st, const char *id, const apr_array_header_t *names,
                           int finish, apr_pool_t *p);
apr_status_t s3up_store_facts_delete(s3up_store_t *st, const char *id, s3up_error_t **err,
                                     apr_pool_t *p);

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

/* A page (up to max) of endpoint ids in order, those starting with q (may
 * be NULL), after cursor (NULL: from the start); *next the next page's
 * cursor, or NULL. */
apr_status_t s3up_store_endpoint_ids(apr_array_header_t **ids, const char **next, s3up_store_t *st,
                                     const char *q, const char *cursor, int max, s3up_error_t **err,
                                     apr_pool_t *p);

/* The record goes, and every process here forgets it at once. */
apr_status_t s3up_store_endpoint_delete(s3up_store_t *st, const char *id, s3up_error_t **err,
                                        apr_pool_t *p);

/* Files of an endpoint lie at {files}{id}/{path} (files: S3UpPrefix). */
const char *s3up_store_file_key(const char *files, const char *id, const char *path, apr_pool_t *p);
/* The endpoint id and path of such a key: APR_EINVAL when key lies
 * elsewhere, or the id is no endpoint id. The path is not checked. */
apr_status_t s3up_store_file_key_split(const char **id, const char **path, const char *files,
                                       const char *key, apr_pool_t *p);

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
    const char *label;         /* whom or what it is for, or NULL */
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

/* Uploads and their names (s3up_store_uploads.c).
 *
 * Two uploads of one name at the same time must both survive, and S3
 * cannot refuse a completing upload whose key exists. So a new upload first
 * reserves its key under {state}reservations/{sha256(key)} with a
 * create-only write, and takes the key only if no object has it yet. The
 * reservation is then bound to its multipart upload: it says who started
 * it, the declared size and the part size (from which part URLs are signed
 * for each part's exact length), and it ends only with its own upload.
 *
 * {state}unfinished/{endpoint}/{owner id}/{sha256(key)} lists each person's
 * (or link's) unfinished multipart uploads in an endpoint, so they can be
 * counted with one listing; {state}owned/{endpoint}/{owner id}/{relpath}
 * lists the files a link was used for. The owner id is the first 32 hex
 * digits of sha256(owner).
 *
 * {state}resumable/{endpoint}/{owner id}/{match} names the key of an
 * owner's unfinished upload of one file, found again by what identifies
 * the file (res->match, from its path, size and the client's fingerprint):
 * another browser of the same owner continues that upload rather than
 * starting a numbered copy. Only the owner's own folder is looked in. */
typedef struct s3up_reservation_t {
    const char *key;
    const char *endpoint;
    const char *owner;     /* the principal's name */
    const char *upload_id; /* NULL until bound (never, for a form POST) */
    apr_off_t size;        /* declared file size; -1 when none was */
    apr_off_t part_size;   /* with a declared size; else 0 */
    apr_time_t expires;
    const char *nonce; /* makes each reservation's text its own */
    const char *etag;  /* of the stored record */
    const char *match; /* 64 hex digits identifying the file for resuming, or NULL */
} s3up_reservation_t;

/* Reserve res->key (res->nonce and res->etag are set): S3UP_ECONFLICT
 * while another unexpired reservation holds it (an expired one is taken
 * over). */
apr_status_t s3up_store_reserve(s3up_store_t *st, s3up_reservation_t *res, s3up_error_t **err,
                                apr_pool_t *p);

/* Bind res to its multipart upload: the record names upload_id, the
 * owner's unfinished uploads in the endpoint count it, and one with a
 * match can be found again by it (s3up_store_resumable). */
apr_status_t s3up_store_reservation_bind(s3up_store_t *st, s3up_reservation_t *res,
                                         const char *upload_id, s3up_error_t **err, apr_pool_t *p);

/* The reservation of key: from the cache while it names upload_id (NULL:
 * any), else read from S3. S3UP_ENOTFOUND when there is none. */
apr_status_t s3up_store_reservation_get(s3up_reservation_t **out, s3up_store_t *st, const char *key,
                                        const char *upload_id, s3up_error_t **err, apr_pool_t *p);

/* res's upload ended (completed or aborted), or never started: the record
 * goes if it is still res's own (same nonce; another upload may have taken
 * an expired one over), and so do its unfinished-upload and resumable
 * entries. */
apr_status_t s3up_store_reservation_end(s3up_store_t *st, const s3up_reservation_t *res,
                                        s3up_error_t **err, apr_pool_t *p);

/* The key of owner's unfinished upload in endpoint that match names
 * (S3UP_ENOTFOUND, *err set, when none): only a hint, to be checked against
 * the key's reservation. */
apr_status_t s3up_store_resumable(const char **key, s3up_store_t *st, const char *endpoint,
                                  const char *owner, const char *match, s3up_error_t **err,
                                  apr_pool_t *p);

/* How many unfinished uploads owner holds in endpoint, counted up to
 * limit. When the count reaches limit, entries whose reservation has ended,
 * expired or passed to someone else are removed and not counted. */
apr_status_t s3up_store_unfinished(int *count, s3up_store_t *st, const char *endpoint,
                                   const char *owner, int limit, s3up_error_t **err, apr_pool_t *p);

/* Arrivals: {state}arrived/{hash of key} notes that a file sent in one
 * POST was confirmed, so it is announced once. S3UP_ECONFLICT when it was
 * noted before. */
apr_status_t s3up_store_arrival_note(s3up_store_t *st, const char *key, const char *etag,
                                     s3up_error_t **err, apr_pool_t *p);

/* Note that owner (a link) was given relpath in endpoint's folder. */
apr_status_t s3up_store_owned_add(s3up_store_t *st, const char *endpoint, const char *owner,
                                  const char *relpath, s3up_error_t **err, apr_pool_t *p);

/* A page (up to max) of the relpaths noted for owner in endpoint, sorted,
 * after cursor (NULL: from the start); *next is the cursor of the next
 * page, or NULL. */
apr_status_t s3up_store_owned_list(apr_array_header_t **relpaths, const char **next,
                                   s3up_store_t *st, const char *endpoint, const char *owner,
                                   const char *cursor, int max, s3up_error_t **err, apr_pool_t *p);

/* Passcode tries (s3up_store_tries.c): {state}tries/{link id}.json counts
 * the tries of a link's passcode in a window, where every server sharing
 * the bucket sees them. A try is counted before it is verified. */
#define S3UP_PASSCODE_TRIES 5
#define S3UP_PASSCODE_WINDOW apr_time_from_sec(15 * 60)

typedef struct s3up_tries_t {
    int count;
    apr_time_t since; /* start of the window */
} s3up_tries_t;

/* Count one try: APR_SUCCESS when it may be verified; S3UP_ELIMIT with
 * *wait set when max tries were counted in window already; S3UP_ECONFLICT
 * when the count could not be written for other tries racing it (the try
 * must not be verified; it may be sent again at once). */
apr_status_t s3up_store_try_take(apr_interval_time_t *wait, s3up_store_t *st, const char *link_id,
                                 int max, apr_interval_time_t window, s3up_error_t **err,
                                 apr_pool_t *p);

/* The tries counted now (count 0 when none, or the window is over). */
apr_status_t s3up_store_tries_get(s3up_tries_t *out, s3up_store_t *st, const char *link_id,
                                  apr_interval_time_t window, s3up_error_t **err, apr_pool_t *p);

/* Forget the tries (a passcode that was right, or an admin's unlock). */
apr_status_t s3up_store_tries_clear(s3up_store_t *st, const char *link_id, s3up_error_t **err,
                                    apr_pool_t *p);

/* Share links (s3up_store_shares.c): {state}shares/{id}.json, id =
 * sha256(token) (the token is never stored), and the index
 * {state}endpoint-shares/{endpoint}/{id}. */
typedef struct s3up_share_t {
    const char *id;
    const char *key; /* the one file it opens */
    const char *endpoint;
    apr_time_t created;
    const char *created_by;
    apr_time_t expires;
    int uses;
    apr_time_t last_used; /* 0: never */
    const char *etag;     /* of the stored record */
} s3up_share_t;

/* S3UP_ENOTFOUND for an unknown (or revoked: deleted) share. fresh reads
 * the bucket, not the cache: a share revoked on another server stops at
 * once. */
apr_status_t s3up_store_share_get(s3up_share_t **out, s3up_store_t *st, const char *id, int fresh,
                                  s3up_error_t **err, apr_pool_t *p);
/* Create: the record, then its index entry. */
apr_status_t s3up_store_share_put(s3up_store_t *st, const s3up_share_t *share, s3up_error_t **err,
                                  apr_pool_t *p);
/* Count one use at now (the version share->etag names; a few retries when
 * other uses race it). */
apr_status_t s3up_store_share_used(s3up_store_t *st, s3up_share_t *share, apr_time_t now,
                                   s3up_error_t **err, apr_pool_t *p);
/* Revoke: the record goes first, then its index entry. */
apr_status_t s3up_store_share_delete(s3up_store_t *st, const s3up_share_t *share,
                                     s3up_error_t **err, apr_pool_t *p);
/* The ids of an endpoint's shares, sorted. */
apr_status_t s3up_store_endpoint_shares(apr_array_header_t **ids, s3up_store_t *st,
                                        const char *endpoint, s3up_error_t **err, apr_pool_t *p);

#endif /* S3UP_STORE_H */
