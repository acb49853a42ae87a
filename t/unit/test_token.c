/*
 * Upload-link tokens and signed link cookies: format, tampering, expiry.
 */
#include <apr_general.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "s3up_token.h"
#include "tap.h"

#define KEY "0123456789abcdef0123456789abcdef-test-key"

int main(void)
{
    apr_pool_t *p;
    apr_hash_t *seen;
    const char *token, *value;
    s3up_link_cookie_t c, *got = NULL;
    apr_time_t now = apr_time_from_sec(1800000000);
    int distinct = 1, valid = 1;

    apr_initialize();
    apr_pool_create(&p, NULL);
    seen = apr_hash_make(p);

    for (int i = 0; i < 1000; i++) {
        s3up_token_new(&token, p);
        valid = valid && s3up_token_valid(token);
        distinct = distinct && !apr_hash_get(seen, token, APR_HASH_KEY_STRING);
        apr_hash_set(seen, token, APR_HASH_KEY_STRING, token);
    }
    ok(valid, "1,000 tokens: 43 base64url characters each");
    ok(distinct, "1,000 tokens: all different");
    ok(!s3up_token_valid("short"), "a short string is not a token");
    ok(!s3up_token_valid("abcdefghijklmnopqrstuvwxyzabcdefghijklmnop."), "a dot is not in a token");
    ok(!s3up_token_valid("app.js"), "an asset name is not a token");
    is_str(s3up_token_id("abc", p),
           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
           "the link id is the token's sha256");

    c.link_id = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    c.endpoint = "acme";
    c.expires = now + apr_time_from_sec(3600);
    ok(s3up_token_cookie_make(&value, &c, KEY, p) == APR_SUCCESS, "cookie made");
    ok(!strncmp(value, "v1.ba7816bf", 11) && strstr(value, ".acme.1800003600."),
       "cookie carries version, link, endpoint, expiry: %s", value);
    ok(s3up_token_cookie_read(&got, value, KEY, now, p) == APR_SUCCESS && got &&
           !strcmp(got->link_id, c.link_id) && !strcmp(got->endpoint, "acme") &&
           got->expires == c.expires,
       "cookie read back");

    {
        int refused = 1;
        for (size_t i = 0; i < strlen(value); i++) {
            char *t = apr_pstrdup(p, value);
            t[i] = t[i] == 'a' ? 'b' : 'a';
            if (t[i] == value[i]) {
                continue;
            }
            refused = refused && s3up_token_cookie_read(&got, t, KEY, now, p) != APR_SUCCESS;
        }
        ok(refused, "changing any one character is refused");
    }
    is_int(s3up_token_cookie_read(&got, value, KEY "x", now, p), APR_EINVAL,
           "another key is refused");
    is_int(s3up_token_cookie_read(&got, value, KEY, c.expires, p), APR_TIMEUP,
           "an expired cookie is refused");
    is_int(s3up_token_cookie_read(&got, "v1.a.b.c", KEY, now, p), APR_EINVAL, "no signature");
    is_int(s3up_token_cookie_read(&got, "", KEY, now, p), APR_EINVAL, "empty");
    is_int(s3up_token_cookie_read(&got, NULL, KEY, now, p), APR_EINVAL, "absent");
    {
        /* The same signature moved onto another endpoint. */
        const char *mac = strrchr(value, '.');
        const char *moved = apr_psprintf(p, "v1.%s.other.1800003600%s", c.link_id, mac);
        is_int(s3up_token_cookie_read(&got, moved, KEY, now, p), APR_EINVAL,
               "a signature does not carry over to another endpoint");
    }
    c.endpoint = "a.b";
    is_int(s3up_token_cookie_make(&value, &c, KEY, p), APR_EINVAL, "a dot in a field is refused");
    c.endpoint = "acme";
    is_int(s3up_token_cookie_make(&value, &c, "", p), APR_EINVAL, "an empty key is refused");
    /* Found by t/fuzz/fuzz_token: what is made must read back. */
    {
        static const char *const bad[] = {"",     "a b",  "a;b",         "a,b",
                                          "a\"b", "a\\b", "caf\xc3\xa9", "tab\t"};
        for (int i = 0; i < 8; i++) {
            c.endpoint = bad[i];
            is_int(s3up_token_cookie_make(&value, &c, KEY, p), APR_EINVAL,
                   "an endpoint no cookie can carry is refused (%d)", i);
        }
        c.endpoint = apr_pstrcat(p, apr_psprintf(p, "%0400d", 0), NULL);
        is_int(s3up_token_cookie_make(&value, &c, KEY, p), APR_EINVAL,
               "a cookie longer than the reader takes is not made");
        c.endpoint = "acme";
    }

    {
        const char *hash, *hash2;
        ok(s3up_token_passcode_hash(&hash, "4711 open sesame", p) == APR_SUCCESS &&
               !strncmp(hash, "$2y$11$", 7),
           "passcode hashed with bcrypt: %s", hash);
        ok(!strstr(hash, "sesame"), "the hash does not hold the passcode");
        ok(s3up_token_passcode_ok(hash, "4711 open sesame"), "the right passcode matches");
        ok(!s3up_token_passcode_ok(hash, "4711 open sesame "), "a wrong passcode does not");
        ok(!s3up_token_passcode_ok(hash, ""), "an empty passcode does not");
        s3up_token_passcode_hash(&hash2, "4711 open sesame", p);
        ok(strcmp(hash, hash2) != 0, "each hash has its own salt");
        ok(!s3up_token_passcode_ok("plain", "plain"),
           "a stored value that is no bcrypt hash never matches");
        is_int(s3up_token_passcode_hash(&hash, "", p), APR_EINVAL, "an empty passcode is refused");
    }

    {
        const char *t;
        s3up_part_grant_t up_to = {64 * 1024 * 1024, 0}, exactly = {5242880, 1}, g = {0, 0};
        ok(s3up_token_part_make(&t, "uploads/acme/a b.bin", "2~x", 3, &up_to,
                                now + apr_time_from_sec(60), KEY, p) == APR_SUCCESS,
           "part token made: %s", t);
        ok(s3up_token_part_check(&g, t, "uploads/acme/a b.bin", "2~x", 3, now, KEY, p) ==
                   APR_SUCCESS &&
               g.bytes == 64 * 1024 * 1024 && !g.exact,
           "part token checks out, with its byte limit");
        is_int(s3up_token_part_check(&g, t, "uploads/acme/a b.bin", "2~x", 4, now, KEY, p),
               APR_EINVAL, "another part number is refused");
        is_int(s3up_token_part_check(&g, t, "uploads/acme/other.bin", "2~x", 3, now, KEY, p),
               APR_EINVAL, "another key is refused");
        is_int(s3up_token_part_check(&g, t, "uploads/acme/a b.bin", "2~y", 3, now, KEY, p),
               APR_EINVAL, "another upload is refused");
        is_int(s3up_token_part_check(&g, t, "uploads/acme/a b.bin", "2~x", 3,
                                     now + apr_time_from_sec(61), KEY, p),
               APR_TIMEUP, "an expired part token is refused");
        {
            /* A bigger limit written into the token does not carry the signature. */
            char *raised = apr_pstrdup(p, t);
            char *dot = strchr(raised, '.');
            dot[2] = '9';
            is_int(s3up_token_part_check(&g, raised, "uploads/acme/a b.bin", "2~x", 3, now, KEY, p),
                   APR_EINVAL, "a raised byte limit is refused");
        }
        ok(s3up_token_part_make(&t, "k", "u", 1, &exactly, now + apr_time_from_sec(60), KEY, p) ==
                   APR_SUCCESS &&
               strstr(t, ".=5242880.") &&
               s3up_token_part_check(&g, t, "k", "u", 1, now, KEY, p) == APR_SUCCESS && g.exact &&
               g.bytes == 5242880,
           "an exact size is carried as such: %s", t);
        {
            /* "Exactly" turned into "at most" does not carry the signature. */
            char *loose = apr_pstrdup(p, t);
            strchr(loose, '=')[0] = '<';
            is_int(s3up_token_part_check(&g, loose, "k", "u", 1, now, KEY, p), APR_EINVAL,
                   "an exact size loosened to a limit is refused");
        }
        is_int(s3up_token_part_check(&g, "garbage", "k", "u", 1, now, KEY, p), APR_EINVAL,
               "garbage is refused");
        is_int(s3up_token_part_check(&g, "1.5.x", "k", "u", 1, now, KEY, p), APR_EINVAL,
               "a token without its size kind is refused");
    }

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
