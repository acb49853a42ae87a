/*
 * Share links through this server: made, listed and revoked by admins,
 * followed by anyone who has the address.
 */
#include <apr_strings.h>

#include "s3up_manage.h"
#include "s3up_manage_int.h"
#include "s3up_token.h"

/* Each use's presigned GET lives this long: it is followed at once, and a
 * download that outlasts it keeps going (S3 checks a signature when the
 * request starts). */
#define OPEN_EXPIRES apr_time_from_sec(300)
#define SHARES_MAX 500

apr_status_t s3up_manage_share_create(s3up_share_made_t **out, s3up_manage_t *m, const char *key,
                                      apr_interval_time_t life, s3up_error_t **err, apr_pool_t *p)
{
    s3up_share_made_t *made = apr_pcalloc(p, sizeof(*made));
    s3up_share_t *s = apr_pcalloc(p, sizeof(*s));
    const char *path;
    apr_status_t rv;

    if (!m->conf->links) {
        return s3up_failf(err, S3UP_EDENIED, "Conflict", p,
                          "share links need S3UpLinkURL and S3UpSecretFile on this server "
                          "(a presigned address can still be made: \"raw\": true)");
    }
    if ((rv = s3up_manage_share_check(m, key, life, err, p)) != APR_SUCCESS) {
        return rv;
    }
    if (s3up_token_new(&made->token, p) != APR_SUCCESS) {
        return s3up_fail(err, APR_EGENERAL, "StoreError", "the share could not be made", p);
    }
    s3up_store_file_key_split(&s->endpoint, &path, m->conf->prefix, key, p);
    s->id = s3up_token_id(made->token, p);
    s->key = key;
    s->created = m->s3->aws.now();
    s->created_by = m->who ? m->who->name : NULL;
    s->expires = s->created + life;
    if ((rv = s3up_store_share_put(m->store, s, err, p)) != APR_SUCCESS) {
        return rv;
    }
    made->share = s;
    *out = made;
    return APR_SUCCESS;
}

static int newest_first(const void *a, const void *b)
{
    apr_time_t x = (*(s3up_share_t *const *)a)->created, y = (*(s3up_share_t *const *)b)->created;
    return x < y ? 1 : x > y ? -1 : 0;
}

apr_status_t s3up_manage_shares(apr_array_header_t **out, s3up_manage_t *m, const char *id,
                                s3up_error_t **err, apr_pool_t *p)
{
    s3up_endpoint_t *ep;
    apr_array_header_t *ids;
    apr_status_t rv;

    if ((rv = s3up_manage_endpoint(&ep, m, id, err, p)) != APR_SUCCESS ||
        (rv = s3up_store_endpoint_shares(&ids, m->store, id, err, p)) != APR_SUCCESS) {
        return rv;
    }
    *out = apr_array_make(p, ids->nelts, sizeof(s3up_share_t *));
    for (int i = 0; i < ids->nelts && i < SHARES_MAX; i++) {
        s3up_share_t *s;
        s3up_error_t *ignored;
        /* One revoked meanwhile, or another endpoint's, is left out. */
        if (s3up_store_share_get(&s, m->store, APR_ARRAY_IDX(ids, i, const char *), 0, &ignored,
                                 p) == APR_SUCCESS &&
            !strcmp(s->endpoint, id)) {
            APR_ARRAY_PUSH(*out, s3up_share_t *) = s;
        }
    }
    qsort((*out)->elts, (*out)->nelts, sizeof(s3up_share_t *), newest_first);
    return APR_SUCCESS;
}

apr_status_t s3up_manage_share_revoke(s3up_manage_t *m, const char *id, const char *share_id,
                                      s3up_error_t **err, apr_pool_t *p)
{
    s3up_share_t *s;
    apr_status_t rv = s3up_store_share_get(&s, m->store, share_id, 1, err, p);

    if (rv == S3UP_ENOTFOUND || (rv == APR_SUCCESS && strcmp(s->endpoint, id))) {
        return s3up_failf(err, S3UP_ENOTFOUND, "NoSuchShare", p, "endpoint '%s' has no such share",
                          s3up_store_id_valid(id) ? id : "");
    }
    return rv == APR_SUCCESS ? s3up_store_share_delete(m->store, s, err, p) : rv;
}

apr_status_t s3up_manage_share_open(const char **url, s3up_share_t **share, s3up_manage_t *m,
                                    const char *token, s3up_error_t **err, apr_pool_t *p)
{
    apr_time_t now = m->s3->aws.now();
    apr_interval_time_t life;
    const char *id, *path;
    s3up_object_t *obj;
    s3up_share_t *s;
    s3up_error_t *ignored;
    apr_status_t rv;

    *share = NULL;
    if (!token || !s3up_token_valid(token)) {
        return s3up_fail(err, S3UP_ENOTFOUND, "NoSuchShare", "no such share", p);
    }
    /* Looked up by the token's hash: nothing is compared with the token. */
    if ((rv = s3up_store_share_get(&s, m->store, s3up_token_id(token, p), 1, err, p)) !=
        APR_SUCCESS) {
        return rv;
    }
    *share = s;
    if (now >= s->expires) {
        return s3up_fail(err, APR_TIMEUP, "ShareExpired", "this share has expired", p);
    }
    /* The record must name a customer's file of its own endpoint. */
    if (s3up_manage_file_key(m, s->key, err, p) != APR_SUCCESS ||
        s3up_store_file_key_split(&id, &path, m->conf->prefix, s->key, p) != APR_SUCCESS ||
        strcmp(id, s->endpoint)) {
        return s3up_fail(err, S3UP_ENOTFOUND, "NoSuchShare", "no such share", p);
    }
    rv = s3up_s3_head(&obj, m->s3, s->key, err, p);
    if (rv == S3UP_ENOTFOUND) {
        return s3up_fail(err, rv, "NoSuchShare", "the shared file is gone", p);
    }
    life = s->expires - now < OPEN_EXPIRES ? s->expires - now : OPEN_EXPIRES;
    if (rv != APR_SUCCESS ||
        (rv = s3up_manage_presign(url, m, s->key,
                                  life < apr_time_from_sec(1) ? apr_time_from_sec(1) : life, err,
                                  p)) != APR_SUCCESS) {
        return rv;
    }
    /* A use that cannot be counted still downloads; the caller logs it. */
    s3up_store_share_used(m->store, s, now, &ignored, p);
    return APR_SUCCESS;
}
