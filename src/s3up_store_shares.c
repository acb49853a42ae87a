/*
 * Share links in the bucket's state: one record per share, named by the
 * sha256 of its token, and an index per endpoint. s3up_store.h says what
 * each record means.
 */
#include <apr_strings.h>

#include "s3up_json.h"
#include "s3up_store.h"
#include "s3up_store_records.h"
#include "s3up_time.h"

/* Uses racing one another: each retries this many times. */
#define USE_TRIES 4

static int share_id_valid(const char *id)
{
    return id && strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64;
}

static const char *share_key(const s3up_store_t *st, const char *id, apr_pool_t *p)
{
    return apr_pstrcat(p, st->prefix, "shares/", id, ".json", NULL);
}

static const char *share_index(const s3up_store_t *st, const char *endpoint, apr_pool_t *p)
{
    return apr_pstrcat(p, st->prefix, "endpoint-shares/", endpoint, "/", NULL);
}

static const char *share_json(const s3up_share_t *s, apr_pool_t *p)
{
    json_t *j = s3up_json_own(json_object(), p);

    json_object_set_new(j, "id", json_string(s->id));
    json_object_set_new(j, "key", json_string(s->key));
    json_object_set_new(j, "endpoint", json_string(s->endpoint));
    json_object_set_new(j, "created", json_string(s3up_time_iso8601(s->created, p)));
    json_object_set_new(j, "created_by", s->created_by ? json_string(s->created_by) : json_null());
    json_object_set_new(j, "expires", json_string(s3up_time_iso8601(s->expires, p)));
    json_object_set_new(j, "uses", json_integer(s->uses));
    json_object_set_new(j, "last_used",
                        s->last_used ? json_string(s3up_time_iso8601(s->last_used, p))
                                     : json_null());
    return s3up_json_dump(j, p);
}

static apr_status_t share_parse(s3up_share_t **out, const char *id, const char *text,
                                const char *etag, s3up_error_t **err, apr_pool_t *p)
{
    s3up_share_t *s = apr_pcalloc(p, sizeof(*s));
    const char *why;
    json_t *j;

    if (s3up_json_parse(&j, text, strlen(text), S3UP_RECORD_MAX, &why, p) != APR_SUCCESS ||
        !s3up_json_str(j, "key") || !s3up_store_id_valid(s3up_json_str(j, "endpoint")) ||
        !json_is_integer(json_object_get(j, "uses")) ||
        s3up_record_time(&s->created, json_object_get(j, "created")) != APR_SUCCESS ||
        s3up_record_time(&s->expires, json_object_get(j, "expires")) != APR_SUCCESS ||
        s3up_record_time(&s->last_used, json_object_get(j, "last_used")) != APR_SUCCESS ||
        !s->expires) {
        *err =
            s3up_record_error(S3UP_EPARSE, "BadRecord", "the record of a share cannot be read", p);
        return S3UP_EPARSE;
    }
    s->id = apr_pstrdup(p, id);
    s->key = apr_pstrdup(p, s3up_json_str(j, "key"));
    s->endpoint = apr_pstrdup(p, s3up_json_str(j, "endpoint"));
    s->created_by = s3up_json_str(j, "created_by");
    s->created_by = s->created_by ? apr_pstrdup(p, s->created_by) : NULL;
    s->uses = (int)json_integer_value(json_object_get(j, "uses"));
    s->etag = etag ? apr_pstrdup(p, etag) : NULL;
    *out = s;
    return APR_SUCCESS;
}

apr_status_t s3up_store_share_get(s3up_share_t **out, s3up_store_t *st, const char *id, int fresh,
                                  s3up_error_t **err, apr_pool_t *p)
{
    const char *text, *etag;
    apr_status_t rv = S3UP_ENOTFOUND;

    if (share_id_valid(id)) {
        rv = s3up_record_get(&text, &etag, NULL, st, share_key(st, id, p), fresh, err, p);
    }
    if (rv == S3UP_ENOTFOUND) {
        *err = s3up_record_error(rv, "NoSuchShare", "no such share", p);
        return rv;
    }
    return rv == APR_SUCCESS ? share_parse(out, id, text, etag, err, p) : rv;
}

apr_status_t s3up_store_share_put(s3up_store_t *st, const s3up_share_t *share, s3up_error_t **err,
                                  apr_pool_t *p)
{
    s3up_put_cond_t create = {1, NULL};
    apr_status_t rv;

    rv = s3up_record_put(NULL, st, share_key(st, share->id, p), share_json(share, p), &create, err,
                         p);
    if (rv == APR_SUCCESS) {
        rv = s3up_s3_put(NULL, st->s3,
                         apr_pstrcat(p, share_index(st, share->endpoint, p), share->id, NULL), "",
                         0, NULL, NULL, err, p);
    }
    s3up_record_forget(st, share_key(st, share->id, p), p);
    s3up_record_index_forget(st, share_index(st, share->endpoint, p), p);
    return rv;
}

apr_status_t s3up_store_share_used(s3up_store_t *st, s3up_share_t *share, apr_time_t now,
                                   s3up_error_t **err, apr_pool_t *p)
{
    const char *key = share_key(st, share->id, p);
    apr_status_t rv = APR_EGENERAL;

    for (int i = 0; i < USE_TRIES; i++) {
        s3up_put_cond_t cond = {0, share->etag};
        s3up_share_t *now_is;

        share->uses++;
        share->last_used = now;
        rv = s3up_record_put(&share->etag, st, key, share_json(share, p), &cond, err, p);
        if (rv != S3UP_ECONFLICT) {
            break;
        }
        /* Another use won: count on top of it. */
        if ((rv = s3up_store_share_get(&now_is, st, share->id, 1, err, p)) != APR_SUCCESS) {
            break;
        }
        *share = *now_is;
    }
    s3up_record_forget(st, key, p);
    return rv;
}

apr_status_t s3up_store_share_delete(s3up_store_t *st, const s3up_share_t *share,
                                     s3up_error_t **err, apr_pool_t *p)
{
    return s3up_record_delete_indexed(st, share_key(st, share->id, p),
                                      share_index(st, share->endpoint, p), share->id, err, p);
}

apr_status_t s3up_store_endpoint_shares(apr_array_header_t **ids, s3up_store_t *st,
                                        const char *endpoint, s3up_error_t **err, apr_pool_t *p)
{
    return s3up_record_index(ids, st, share_index(st, endpoint, p), share_id_valid, err, p);
}
