/*
 * Uploads in the bucket's state: reservations of keys bound to their
 * multipart upload, each owner's unfinished uploads, what a link was used
 * for. s3up_store.h says what each record means.
 */
#include <apr_strings.h>

#include "s3up_json.h"
#include "s3up_store.h"
#include "s3up_store_records.h"
#include "s3up_token.h"
#include "s3up_time.h"

/* Owners are named in keys by this many hex digits of their sha256. */
#define OWNER_ID_LEN 32

static const char *reservation_key(const s3up_store_t *st, const char *key, apr_pool_t *p)
{
    return apr_pstrcat(p, st->prefix, "reservations/", s3up_record_hash(key, p), NULL);
}

static const char *owner_id(const char *owner, apr_pool_t *p)
{
    return apr_pstrndup(p, s3up_record_hash(owner, p), OWNER_ID_LEN);
}

static const char *unfinished_prefix(const s3up_store_t *st, const char *endpoint,
                                     const char *owner, apr_pool_t *p)
{
    return apr_pstrcat(p, st->prefix, "unfinished/", endpoint, "/", owner_id(owner, p), "/", NULL);
}

static const char *resumable_key(const s3up_store_t *st, const char *endpoint, const char *owner,
                                 const char *match, apr_pool_t *p)
{
    return apr_pstrcat(p, st->prefix, "resumable/", endpoint, "/", owner_id(owner, p), "/", match,
                       NULL);
}

/* A match names a key only as 64 hex digits (what the uploads service makes). */
static int match_ok(const char *m)
{
    if (!m || strlen(m) != 64) {
        return 0;
    }
    for (; *m; m++) {
        if (!((*m >= '0' && *m <= '9') || (*m >= 'a' && *m <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

static const char *owned_prefix(const s3up_store_t *st, const char *endpoint, const char *owner,
                                apr_pool_t *p)
{
    return apr_pstrcat(p, st->prefix, "owned/", endpoint, "/", owner_id(owner, p), "/", NULL);
}

static json_t *opt_string(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *opt_size(apr_off_t n)
{
    return n >= 0 ? json_integer((json_int_t)n) : json_null();
}

static const char *reservation_json(const s3up_reservation_t *res, apr_pool_t *p)
{
    json_t *j = s3up_json_own(json_object(), p);

    json_object_set_new(j, "key", json_string(res->key));
    json_object_set_new(j, "endpoint", json_string(res->endpoint));
    json_object_set_new(j, "owner", json_string(res->owner));
    json_object_set_new(j, "upload_id", opt_string(res->upload_id));
    json_object_set_new(j, "size", opt_size(res->size));
    json_object_set_new(j, "part_size", opt_size(res->size >= 0 ? res->part_size : -1));
    json_object_set_new(j, "expires", json_string(s3up_time_iso8601(res->expires, p)));
    json_object_set_new(j, "nonce", json_string(res->nonce));
    if (res->match) {
        json_object_set_new(j, "match", json_string(res->match));
    }
    return s3up_json_dump(j, p);
}

static apr_status_t opt_off(apr_off_t *out, const json_t *v, apr_off_t none)
{
    if (!v || json_is_null(v)) {
        *out = none;
        return APR_SUCCESS;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return S3UP_EPARSE;
    }
    *out = (apr_off_t)json_integer_value(v);
    return APR_SUCCESS;
}

/* A record as stored; the strings are copied into p. */
static apr_status_t reservation_parse(s3up_reservation_t **out, const char *text, const char *etag,
                                      apr_pool_t *p)
{
    s3up_reservation_t *res = apr_pcalloc(p, sizeof(*res));
    const char *why;
    json_t *j;

    if (s3up_json_parse(&j, text, strlen(text), S3UP_RECORD_MAX, &why, p) != APR_SUCCESS ||
        !json_is_object(j) || !s3up_json_str(j, "key") || !s3up_json_str(j, "nonce") ||
        s3up_record_time(&res->expires, json_object_get(j, "expires")) != APR_SUCCESS ||
        opt_off(&res->size, json_object_get(j, "size"), -1) != APR_SUCCESS ||
        opt_off(&res->part_size, json_object_get(j, "part_size"), 0) != APR_SUCCESS) {
        return S3UP_EPARSE;
    }
    res->key = apr_pstrdup(p, s3up_json_str(j, "key"));
    res->nonce = apr_pstrdup(p, s3up_json_str(j, "nonce"));
    /* Reservations written before they named their upload have no owner:
     * they match nobody. */
    res->endpoint =
        apr_pstrdup(p, s3up_json_str(j, "endpoint") ? s3up_json_str(j, "endpoint") : "");
    res->owner = apr_pstrdup(p, s3up_json_str(j, "owner") ? s3up_json_str(j, "owner") : "");
    res->upload_id =
        s3up_json_str(j, "upload_id") ? apr_pstrdup(p, s3up_json_str(j, "upload_id")) : NULL;
    res->etag = etag ? apr_pstrdup(p, etag) : NULL;
    res->match =
        match_ok(s3up_json_str(j, "match")) ? apr_pstrdup(p, s3up_json_str(j, "match")) : NULL;
    *out = res;
    return APR_SUCCESS;
}

static s3up_error_t *reserved_error(apr_pool_t *p)
{
    return s3up_record_error(S3UP_ECONFLICT, "Reserved", "another upload holds this name", p);
}

apr_status_t s3up_store_reserve(s3up_store_t *st, s3up_reservation_t *res, s3up_error_t **err,
                                apr_pool_t *p)
{
    const char *rkey = reservation_key(st, res->key, p), *text, *held_text, *held_etag;
    s3up_put_cond_t create = {1, NULL}, take_over = {0, NULL};
    s3up_reservation_t *held;
    apr_status_t rv;

    /* Each reservation's text is its own, so that a write whose outcome S3
     * did not tell can be recognised, and an ending can tell whose it is. */
    if (s3up_token_new(&res->nonce, p) != APR_SUCCESS) {
        return s3up_fail(err, APR_EGENERAL, "NoRandomness", "no randomness for a nonce", p);
    }
    text = reservation_json(res, p);
    rv = s3up_record_put(&res->etag, st, rkey, text, &create, err, p);
    if (rv != S3UP_ECONFLICT) {
        return rv;
    }
    rv = s3up_record_get(&held_text, &held_etag, NULL, st, rkey, 1, err, p);
    if (rv == S3UP_ENOTFOUND) {
        /* Ended meanwhile: once more from the start. */
        return s3up_record_put(&res->etag, st, rkey, text, &create, err, p);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (reservation_parse(&held, held_text, held_etag, p) == APR_SUCCESS &&
        held->expires > st->s3->aws.now()) {
        *err = reserved_error(p);
        return S3UP_ECONFLICT;
    }
    /* Expired (or unreadable, which no writer of ours leaves): taken over,
     * unless someone else takes it first. */
    take_over.if_match = held_etag;
    return s3up_record_put(&res->etag, st, rkey, text, &take_over, err, p);
}

apr_status_t s3up_store_reservation_bind(s3up_store_t *st, s3up_reservation_t *res,
                                         const char *upload_id, s3up_error_t **err, apr_pool_t *p)
{
    const char *rkey = reservation_key(st, res->key, p);
    s3up_put_cond_t replace = {0, res->etag};
    apr_status_t rv;

    res->upload_id = upload_id;
    rv = s3up_record_put(&res->etag, st, rkey, reservation_json(res, p), &replace, err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    s3up_record_forget_here(st, rkey);
    rv = s3up_s3_put(NULL, st->s3,
                     apr_pstrcat(p, unfinished_prefix(st, res->endpoint, res->owner, p),
                                 s3up_record_hash(res->key, p), NULL),
                     "", 0, NULL, NULL, err, p);
    if (rv != APR_SUCCESS || !match_ok(res->match)) {
        return rv;
    }
    return s3up_s3_put(NULL, st->s3, resumable_key(st, res->endpoint, res->owner, res->match, p),
                       res->key, strlen(res->key), "text/plain", NULL, err, p);
}

/* A copy of res, strings and all, in p. */
static s3up_reservation_t *reservation_copy(const s3up_reservation_t *res, apr_pool_t *p)
{
    s3up_reservation_t *out = apr_pmemdup(p, res, sizeof(*res));

    out->key = apr_pstrdup(p, res->key);
    out->endpoint = apr_pstrdup(p, res->endpoint);
    out->owner = apr_pstrdup(p, res->owner);
    out->upload_id = apr_pstrdup(p, res->upload_id);
    out->nonce = apr_pstrdup(p, res->nonce);
    out->etag = apr_pstrdup(p, res->etag);
    out->match = apr_pstrdup(p, res->match);
    return out;
}

/* The reservation parsed from the cache entry `serial` on this connection
 * before, else parsed now (into the connection's memo when there is one);
 * the memo's is copied whole (its next parse must not touch what this
 * request holds). */
static apr_status_t reservation_of(s3up_reservation_t **out, s3up_store_t *st, const char *text,
                                   const char *etag, apr_uint64_t serial, apr_pool_t *p)
{
    void *kept;
    s3up_store_memo_slot_t *slot =
        s3up_memo_slot(&kept, st->memo ? &st->memo->res : NULL, st, serial);
    s3up_reservation_t *res = kept;
    apr_status_t rv;

    if (!res) {
        if ((rv = reservation_parse(&res, text, etag, slot ? slot->pool : p)) != APR_SUCCESS) {
            return rv;
        }
        if (slot) {
            s3up_memo_keep(slot, st, serial, res);
        }
    }
    *out = slot ? reservation_copy(res, p) : res;
    return APR_SUCCESS;
}

apr_status_t s3up_store_reservation_get(s3up_reservation_t **out, s3up_store_t *st, const char *key,
                                        const char *upload_id, s3up_error_t **err, apr_pool_t *p)
{
    const char *rkey = reservation_key(st, key, p), *text, *etag;
    apr_uint64_t serial;
    apr_status_t rv;

    /* A copy read before its upload was bound, or before the key passed to
     * another upload, names another upload (or none): then S3 tells. */
    for (int fresh = 0; fresh < 2; fresh++) {
        rv = s3up_record_get(&text, &etag, &serial, st, rkey, fresh, err, p);
        if (rv == S3UP_ENOTFOUND && !fresh && upload_id) {
            continue;
        }
        if (rv == S3UP_ENOTFOUND) {
            *err = s3up_record_error(rv, "NoSuchUpload", "no upload holds this key", p);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (reservation_of(out, st, text, etag, serial, p) != APR_SUCCESS ||
            strcmp((*out)->key, key)) {
            return s3up_fail(err, S3UP_EPARSE, "BadRecord", "an upload record cannot be read", p);
        }
        if (!upload_id || ((*out)->upload_id && !strcmp((*out)->upload_id, upload_id))) {
            return APR_SUCCESS;
        }
    }
    return APR_SUCCESS;
}

apr_status_t s3up_store_reservation_end(s3up_store_t *st, const s3up_reservation_t *res,
                                        s3up_error_t **err, apr_pool_t *p)
{
    const char *rkey = reservation_key(st, res->key, p);
    s3up_reservation_t *now;
    apr_status_t rv;

    rv = s3up_store_reservation_get(&now, st, res->key, NULL, err, p);
    if (rv == S3UP_ENOTFOUND) {
        rv = APR_SUCCESS;
    } else if (rv == APR_SUCCESS && !strcmp(now->nonce, res->nonce)) {
        /* S3 has no conditional delete here: between this read and the
         * delete, only res's own upload could change the record, and it
         * is ending. */
        rv = s3up_s3_delete(st->s3, rkey, err, p);
    }
    s3up_record_forget_here(st, rkey);
    if (rv == APR_SUCCESS && res->upload_id) {
        rv = s3up_s3_delete(st->s3,
                            apr_pstrcat(p, unfinished_prefix(st, res->endpoint, res->owner, p),
                                        s3up_record_hash(res->key, p), NULL),
                            err, p);
    }
    if (rv == APR_SUCCESS && res->upload_id && match_ok(res->match)) {
        rv = s3up_s3_delete(st->s3, resumable_key(st, res->endpoint, res->owner, res->match, p),
                            err, p);
    }
    return rv;
}

apr_status_t s3up_store_resumable(const char **key, s3up_store_t *st, const char *endpoint,
                                  const char *owner, const char *match, s3up_error_t **err,
                                  apr_pool_t *p)
{
    const char *text, *etag;
    apr_status_t rv;

    if (!match_ok(match)) {
        *err = s3up_record_error(S3UP_ENOTFOUND, "NoSuchUpload", "no upload of this file", p);
        return S3UP_ENOTFOUND;
    }
    rv = s3up_record_get(&text, &etag, NULL, st, resumable_key(st, endpoint, owner, match, p), 1,
                         err, p);
    if (rv == S3UP_ENOTFOUND) {
        *err = s3up_record_error(rv, "NoSuchUpload", "no upload of this file", p);
    }
    if (rv == APR_SUCCESS) {
        *key = text;
    }
    return rv;
}

/* Whether the unfinished-upload entry named hash (a reservation's name)
 * still stands for an upload of owner's. */
static int entry_live(s3up_store_t *st, const char *hash, const char *owner, apr_pool_t *p)
{
    const char *text, *etag;
    s3up_reservation_t *res;
    s3up_error_t *err;

    return s3up_record_get(&text, &etag, NULL, st,
                           apr_pstrcat(p, st->prefix, "reservations/", hash, NULL), 1, &err,
                           p) == APR_SUCCESS &&
           reservation_parse(&res, text, etag, p) == APR_SUCCESS && res->upload_id &&
           !strcmp(res->owner, owner) && res->expires > st->s3->aws.now();
}

apr_status_t s3up_store_unfinished(int *count, s3up_store_t *st, const char *endpoint,
                                   const char *owner, int limit, s3up_error_t **err, apr_pool_t *p)
{
    const char *prefix = unfinished_prefix(st, endpoint, owner, p);
    const char *token = NULL;
    apr_size_t n = strlen(prefix);
    int live = 0;

    do {
        s3up_object_page_t *page;
        apr_status_t rv = s3up_s3_list_objects(&page, st->s3, prefix, NULL, token, limit, err, p);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (!token && (!page->truncated && page->objects->nelts < limit)) {
            *count = page->objects->nelts;
            return APR_SUCCESS;
        }
        /* At the limit: what still counts. Bounded, as the entries of
         * ended uploads are removed on the way. */
        for (int i = 0; i < page->objects->nelts && live < limit; i++) {
            const char *k = APR_ARRAY_IDX(page->objects, i, s3up_object_t).key;
            if (entry_live(st, k + n, owner, p)) {
                live++;
            } else if ((rv = s3up_s3_delete(st->s3, k, err, p)) != APR_SUCCESS) {
                return rv;
            }
        }
        token = page->truncated && live < limit ? page->next_token : NULL;
    } while (token);
    *count = live;
    return APR_SUCCESS;
}

apr_status_t s3up_store_arrival_note(s3up_store_t *st, const char *key, const char *etag,
                                     s3up_error_t **err, apr_pool_t *p)
{
    s3up_put_cond_t create = {1, NULL};

    return s3up_s3_put(NULL, st->s3,
                       apr_pstrcat(p, st->prefix, "arrived/", s3up_record_hash(key, p), NULL),
                       etag ? etag : "", etag ? strlen(etag) : 0, "text/plain", &create, err, p);
}

apr_status_t s3up_store_owned_add(s3up_store_t *st, const char *endpoint, const char *owner,
                                  const char *relpath, s3up_error_t **err, apr_pool_t *p)
{
    return s3up_s3_put(NULL, st->s3,
                       apr_pstrcat(p, owned_prefix(st, endpoint, owner, p), relpath, NULL), "", 0,
                       NULL, NULL, err, p);
}

apr_status_t s3up_store_owned_list(apr_array_header_t **relpaths, const char **next,
                                   s3up_store_t *st, const char *endpoint, const char *owner,
                                   const char *cursor, int max, s3up_error_t **err, apr_pool_t *p)
{
    const char *prefix = owned_prefix(st, endpoint, owner, p);
    apr_size_t n = strlen(prefix);
    s3up_object_page_t *page;
    apr_status_t rv;

    rv = s3up_s3_list_objects(&page, st->s3, prefix, NULL, cursor, max, err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *relpaths = apr_array_make(p, page->objects->nelts, sizeof(const char *));
    for (int i = 0; i < page->objects->nelts; i++) {
        APR_ARRAY_PUSH(*relpaths, const char *) =
            APR_ARRAY_IDX(page->objects, i, s3up_object_t).key + n;
    }
    *next = page->truncated ? page->next_token : NULL;
    return APR_SUCCESS;
}
