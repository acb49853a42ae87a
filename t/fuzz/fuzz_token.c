/*
 * What a browser sends back to be verified: link tokens, link cookies,
 * proxy part tokens, and the passcode form. Each is checked
 * against fixed keys; a forged value must never pass, and a value made
 * with the key must read back the same.
 */
#include "fuzz.h"
#include "s3up_token.h"
#include "s3up_util.h"

#define KEY "0123456789abcdef0123456789abcdef"

static void fuzz_one(const char *data, apr_size_t len, apr_pool_t *p)
{
    s3up_link_cookie_t *c, mine = {"link-id", NULL, 0};
    s3up_part_grant_t grant, g = {1024, 1};
    const char *made, *pieces[3];
    char *copy = apr_pstrmemdup(p, data, len);

    if (s3up_token_valid(data)) {
        touch(s3up_token_id(data, p));
    }
    if (s3up_token_cookie_read(&c, data, KEY, apr_time_now(), p) == APR_SUCCESS) {
        abort(); /* nothing made without the key verifies */
    }
    if (s3up_token_part_check(&grant, data, "k", "u", 1, apr_time_now(), KEY, p) == APR_SUCCESS) {
        abort();
    }
    /* Round trips with what the input says as the endpoint and key. */
    fuzz_split(pieces, 2, copy, '\n');
    mine.endpoint = pieces[0];
    mine.expires = apr_time_now() + apr_time_from_sec(60);
    if (s3up_token_cookie_make(&made, &mine, KEY, p) == APR_SUCCESS &&
        (s3up_token_cookie_read(&c, made, KEY, apr_time_now(), p) != APR_SUCCESS ||
         strcmp(c->endpoint, mine.endpoint))) {
        abort();
    }
    if (s3up_token_part_make(&made, pieces[0], "u", 7, &g, mine.expires, KEY, p) == APR_SUCCESS &&
        s3up_token_part_check(&grant, made, pieces[0], "u", 7, apr_time_now(), KEY, p) !=
            APR_SUCCESS) {
        abort();
    }
    touch(s3up_form_value(data, len, "passcode", p));
}
