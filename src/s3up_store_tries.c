/*
 * Passcode tries counted in the bucket, so that every server sharing it
 * counts the same tries: {state}tries/{link id}.json = {count, since}.
 *
 * A try is counted by a conditional write of count + 1 over the version
 * read, before the passcode is verified: of tries racing each other, only
 * as many as the count allows can win a write, whatever the concurrency.
 */
#include <apr_strings.h>

#include "s3up_json.h"
#include "s3up_store.h"
#include "s3up_store_records.h"
#include "s3up_token.h"
#include "s3up_time.h"

/* Writes lost to other tries before this one gives up (and is not
 * verified). Each lost write means another try was counted, so a few
 * rounds reach the limit under any flood. */
#define WRITE_ROUNDS 8

static const char *tries_key(const s3up_store_t *st, const char *link_id, apr_pool_t *p)
{
    return apr_pstrcat(p, st->prefix, "tries/", link_id, ".json", NULL);
}

/* The record's count; a missing or unreadable record counts nothing. */
static void tries_parse(s3up_tries_t *out, const char *text, apr_pool_t *p)
{
    const char *why;
    json_t *j;

    out->count = 0;
    out->since = 0;
    if (text && s3up_json_parse(&j, text, strlen(text), S3UP_RECORD_MAX, &why, p) == APR_SUCCESS &&
        json_is_integer(json_object_get(j, "count")) &&
        s3up_record_time(&out->since, json_object_get(j, "since")) == APR_SUCCESS) {
        json_int_t n = json_integer_value(json_object_get(j, "count"));
        out->count = n < 0 ? 0 : n > 1000000 ? 1000000 : (int)n;
    }
}

static apr_status_t tries_read(s3up_tries_t *out, const char **etag, s3up_store_t *st,
                               const char *key, s3up_error_t **err, apr_pool_t *p)
{
    const char *text = NULL;
    apr_status_t rv = s3up_record_get(&text, etag, NULL, st, key, 1, err, p);

    if (rv == S3UP_ENOTFOUND) {
        *etag = NULL;
        rv = APR_SUCCESS;
    }
    tries_parse(out, rv == APR_SUCCESS ? text : NULL, p);
    return rv;
}

apr_status_t s3up_store_try_take(apr_interval_time_t *wait, s3up_store_t *st, const char *link_id,
                                 int max, apr_interval_time_t window, s3up_error_t **err,
                                 apr_pool_t *p)
{
    const char *key = tries_key(st, link_id, p);

    for (int round = 0; round < WRITE_ROUNDS; round++) {
        apr_time_t now = st->s3->aws.now();
        s3up_put_cond_t cond = {0, NULL};
        const char *etag, *text, *nonce;
        s3up_tries_t t;
        apr_status_t rv = tries_read(&t, &etag, st, key, err, p);

        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (now - t.since >= window || t.since > now) {
            t.count = 0;
            t.since = now;
        }
        if (t.count >= max) {
            *wait = t.since + window - now;
            *err = s3up_record_error(S3UP_ELIMIT, "TooManyTries", "too many tries", p);
            return S3UP_ELIMIT;
        }
        /* Each write's text is its own (the nonce): when S3 does not tell
         * whether a racing write took, reading it back does. */
        if (s3up_token_new(&nonce, p) != APR_SUCCESS) {
            return s3up_fail(err, APR_EGENERAL, "NoRandomness", "no randomness for a nonce", p);
        }
        text = apr_psprintf(p, "{\"count\":%d,\"since\":\"%s\",\"nonce\":\"%s\"}", t.count + 1,
                            s3up_time_iso8601(t.since, p), nonce);
        cond.if_none_match = etag == NULL;
        cond.if_match = etag;
        rv = s3up_record_put(NULL, st, key, text, &cond, err, p);
        if (rv != S3UP_ECONFLICT) {
            return rv;
        }
    }
    *err = s3up_record_error(S3UP_ECONFLICT, "Busy", "too many tries at once", p);
    return S3UP_ECONFLICT;
}

apr_status_t s3up_store_tries_get(s3up_tries_t *out, s3up_store_t *st, const char *link_id,
                                  apr_interval_time_t window, s3up_error_t **err, apr_pool_t *p)
{
    const char *etag;
    apr_time_t now = st->s3->aws.now();
    apr_status_t rv = tries_read(out, &etag, st, tries_key(st, link_id, p), err, p);

    if (rv == APR_SUCCESS && (now - out->since >= window || out->since > now)) {
        out->count = 0;
        out->since = 0;
    }
    return rv;
}

apr_status_t s3up_store_tries_clear(s3up_store_t *st, const char *link_id, s3up_error_t **err,
                                    apr_pool_t *p)
{
    return s3up_s3_delete(st->s3, tries_key(st, link_id, p), err, p);
}
