/*
 * Share links through httpd (s3up_manage_share.c, s3up_store_shares.c)
 * over the in-memory S3 of fake_s3.h: made only for an existing customer
 * file, stored by the hash of their token, listed per endpoint with their
 * use count, each use a short presigned GET of the one key, refused once
 * expired or revoked, and a record that names another key opens nothing.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_manage.h"
#include "s3up_token.h"
#include "fake_s3.h"
#include "tap.h"

#define BUCKET "bkt"
#define FILE_KEY "uploads/acme/report.pdf"

static fake_bed_t bed;
static apr_pool_t *pool;
static const s3up_manage_conf_t conf = {"uploads/", 1 << 30, apr_time_from_sec(86400),
                                        1,          NULL,    NULL};
static s3up_principal_t ada = {"ada", "httpd", NULL, NULL};
static s3up_manage_t m = {&conf, &bed.s3, &bed.store, &ada};
/* Whoever follows an address: nobody signed in. */
static s3up_manage_t anyone = {&conf, &bed.s3, &bed.store, NULL};

static s3up_share_made_t *make(const char *key, int seconds)
{
    s3up_share_made_t *made = NULL;
    s3up_error_t *err = NULL;

    if (s3up_manage_share_create(&made, &m, key, apr_time_from_sec(seconds), &err, pool) !=
        APR_SUCCESS) {
        diag("share: %s", err ? err->message : "?");
    }
    return made;
}

static apr_status_t open_(const char **url, const char *token)
{
    s3up_share_t *share;
    s3up_error_t *err = NULL;

    *url = NULL;
    return s3up_manage_share_open(url, &share, &anyone, token, &err, pool);
}

static void test_make(void)
{
    s3up_share_made_t *made;
    s3up_manage_conf_t no_links = conf;
    s3up_manage_t plain = {&no_links, &bed.s3, &bed.store, &ada};
    s3up_error_t *err = NULL;
    const char *text;

    no_links.links = 0;
    made = make(FILE_KEY, 3600);
    ok(made && strlen(made->token) == S3UP_TOKEN_LEN && s3up_token_valid(made->token),
       "a share: a token of 256 random bits");
    ok(made && !strcmp(made->share->id, s3up_token_id(made->token, pool)) &&
           !strcmp(made->share->endpoint, "acme") &&
           made->share->expires == fake_bed_clock + apr_time_from_sec(3600),
       "its record: the token's hash, the endpoint, when it ends");
    text = made ? fake_s3_data(bed.f, BUCKET,
                               apr_pstrcat(pool, ".s3up/shares/", made->share->id, ".json", NULL))
                : NULL;
    ok(text && strstr(text, FILE_KEY) && !strstr(text, made->token),
       "stored under the state prefix, without the token");
    ok(s3up_manage_share_create(&made, &m, "uploads/acme/none.pdf", apr_time_from_sec(60), &err,
                                pool) == S3UP_ENOTFOUND,
       "a file that is not there: 404");
    ok(s3up_manage_share_create(&made, &m, ".s3up/endpoints/acme.json", apr_time_from_sec(60), &err,
                                pool) == S3UP_EINPUT &&
           s3up_manage_share_create(&made, &m, "uploads/acme/../../.s3up/x", apr_time_from_sec(60),
                                    &err, pool) == S3UP_EINPUT,
       "a state record or a climbing key: refused");
    ok(s3up_manage_share_create(&made, &m, FILE_KEY, apr_time_from_sec(59), &err, pool) ==
               S3UP_EINPUT &&
           s3up_manage_share_create(&made, &m, FILE_KEY, apr_time_from_sec(86401), &err, pool) ==
               S3UP_EINPUT,
       "under a minute or over S3UpShareMaxExpires: refused");
    ok(s3up_manage_share_create(&made, &plain, FILE_KEY, apr_time_from_sec(60), &err, pool) ==
           S3UP_EDENIED,
       "a server without S3UpLinkURL makes no short shares");
}

static void test_open(void)
{
    s3up_share_made_t *made = make(FILE_KEY, 600), *other = make(FILE_KEY, 600);
    apr_array_header_t *list = NULL;
    s3up_share_t *s;
    s3up_error_t *err = NULL;
    const char *url;

    ok(made && open_(&url, made->token) == APR_SUCCESS && url &&
           strstr(url, "/bkt/uploads/acme/report.pdf?") && strstr(url, "X-Amz-Expires=300") &&
           strstr(url, "attachment"),
       "followed: a 5-minute presigned GET of the shared key, as an attachment");
    open_(&url, made->token);
    ok(s3up_store_share_get(&s, &bed.store, made->share->id, 1, &err, pool) == APR_SUCCESS &&
           s->uses == 2 && s->last_used == fake_bed_clock,
       "each use counted, with when");
    ok(s3up_manage_shares(&list, &m, "acme", &err, pool) == APR_SUCCESS && list->nelts >= 2,
       "the endpoint's shares listed");
    for (int i = 0; list && i < list->nelts; i++) {
        s = APR_ARRAY_IDX(list, i, s3up_share_t *);
        if (!strcmp(s->id, made->share->id)) {
            is_int(s->uses, 2, "with their use count");
        }
    }
    ok(s3up_manage_shares(&list, &m, "other", &err, pool) == APR_SUCCESS && list->nelts == 0,
       "not another endpoint's");

    fake_bed_clock += apr_time_from_sec(598);
    ok(open_(&url, made->token) == APR_SUCCESS && strstr(url, "X-Amz-Expires=2&"),
       "two seconds before the end: a URL good for two seconds");
    fake_bed_clock += apr_time_from_sec(2);
    ok(open_(&url, made->token) == APR_TIMEUP && !url, "at its end: expired, no URL");

    ok(s3up_manage_share_revoke(&m, "other", other->share->id, &err, pool) == S3UP_ENOTFOUND,
       "another endpoint's share cannot be revoked through it");
    other = make(FILE_KEY, 600);
    ok(s3up_manage_share_revoke(&m, "acme", other->share->id, &err, pool) == APR_SUCCESS &&
           open_(&url, other->token) == S3UP_ENOTFOUND && !url,
       "revoked: gone");
    ok(open_(&url, "nope") == S3UP_ENOTFOUND && open_(&url, NULL) == S3UP_ENOTFOUND,
       "no token: nothing asked");
    fake_s3_reset_counts(bed.f);
    ok(open_(&url, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") == S3UP_ENOTFOUND,
       "an unknown token: 404");
    is_int(fake_s3_calls(bed.f, "GetObject"), 1, "(one lookup of its hash)");
}

/* A record changed in the bucket to name another key opens nothing. */
static void test_tampered(void)
{
    s3up_share_made_t *made = make(FILE_KEY, 600);
    const char *rkey = apr_pstrcat(pool, ".s3up/shares/", made->share->id, ".json", NULL);
    const char *bad[] = {"\"uploads/other/x.pdf\"", "\".s3up/endpoints/acme.json\"",
                         "\"uploads/acme/../other/x.pdf\""};
    const char *url;

    fake_s3_put_object(bed.f, BUCKET, "uploads/other/x.pdf", "x", 1, NULL);
    for (int i = 0; i < 3; i++) {
        const char *text = apr_pstrdup(pool, fake_s3_data(bed.f, BUCKET, rkey));
        const char *at = strstr(text, "\"uploads/acme/report.pdf\"");
        char *changed = apr_pstrcat(pool, apr_pstrndup(pool, text, at - text), bad[i],
                                    at + strlen("\"uploads/acme/report.pdf\""), NULL);
        fake_s3_put_object(bed.f, BUCKET, rkey, changed, strlen(changed), NULL);
        ok(open_(&url, made->token) == S3UP_ENOTFOUND && !url, "a record naming %s: opens nothing",
           bad[i]);
        fake_s3_put_object(bed.f, BUCKET, rkey, text, strlen(text), NULL);
    }
    fake_s3_put_object(bed.f, BUCKET, FILE_KEY ".gone", "x", 1, NULL);
    made = make(FILE_KEY ".gone", 600);
    fake_s3_remove(bed.f, BUCKET, FILE_KEY ".gone");
    ok(open_(&url, made->token) == S3UP_ENOTFOUND, "its file deleted: 404");
}

static void test_endpoint_delete(void)
{
    s3up_share_made_t *made = make(FILE_KEY, 600);
    s3up_error_t *err = NULL;
    const char *url;
    int deleted;

    ok(s3up_manage_delete(&deleted, &m, "acme", 0, &err, pool) == APR_SUCCESS &&
           open_(&url, made->token) == S3UP_ENOTFOUND,
       "an endpoint deleted with its files kept: its shares go");
}

int main(void)
{
    s3up_endpoint_spec_t spec = {0};
    s3up_created_t *c;
    s3up_error_t *err;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    fake_bed_init(&bed, BUCKET, pool);
    s3up_manage_create(&c, &m, "acme", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool);
    s3up_manage_create(&c, &m, "other", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool);
    fake_s3_put_object(bed.f, BUCKET, FILE_KEY, "pdf", 3, NULL);

    test_make();
    test_open();
    test_tampered();
    test_endpoint_delete();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
