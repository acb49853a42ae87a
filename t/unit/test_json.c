/*
 * jansson values owned by pools; parsing limits and errors.
 */
#include <string.h>

#include <apr_general.h>

#include "s3up_json.h"
#include "tap.h"

int main(void)
{
    apr_pool_t *p, *sub;
    json_t *j = NULL, *kept;
    const char *why = NULL;
    const char *text = "{\"filename\":\"a \\\"b\\\".txt\",\"n\":5}";

    apr_initialize();
    apr_pool_create(&p, NULL);

    is_int(s3up_json_parse(&j, text, strlen(text), 1024, &why, p), APR_SUCCESS, "parse");
    is_str(s3up_json_str(j, "filename"), "a \"b\".txt", "string member");
    ok(s3up_json_str(j, "n") == NULL, "non-string member is not a string");
    ok(s3up_json_str(j, "missing") == NULL, "missing member");
    is_str(s3up_json_dump(j, p), text, "dump round-trips in order");

    /* Dumps of every length about the first buffer's size, and far past it. */
    for (int n = 2030; n <= 2060; n++) {
        char *s = apr_palloc(p, n + 1);
        const char *d;
        memset(s, 'x', n);
        s[n] = '\0';
        d = s3up_json_dump(s3up_json_own(json_pack("{s:s}", "k", s), p), p);
        ok(d && strlen(d) == (size_t)n + 8 && !strncmp(d, "{\"k\":\"xx", 8) &&
               !strcmp(d + n + 6, "\"}"),
           "dump of %d bytes whole", n + 8);
    }
    {
        char *s = apr_palloc(p, 100001);
        const char *d;
        memset(s, 'y', 100000);
        s[100000] = '\0';
        d = s3up_json_dump(s3up_json_own(json_string(s), p), p);
        ok(d && strlen(d) == 100002 && d[0] == '"' && d[100001] == '"', "dump of 100 kB whole");
    }
    ok(s3up_json_dump(s3up_json_own(json_stringn_nocheck("a\xff", 2), p), p) == NULL,
       "invalid UTF-8: no dump");

    kept = s3up_json_own(s3up_json_string("https://h/b/k?X-Amz-Signature=ab"), p);
    is_str(json_string_value(kept), "https://h/b/k?X-Amz-Signature=ab", "ASCII string");
    kept = s3up_json_own(s3up_json_string("r\xc3\xa9sum\xc3\xa9"), p);
    is_str(json_string_value(kept), "r\xc3\xa9sum\xc3\xa9", "UTF-8 string");
    ok(s3up_json_string("ab\xff") == NULL, "a string that is not UTF-8: NULL");
    kept = s3up_json_own(s3up_json_string(""), p);
    ok(kept && json_string_length(kept) == 0, "empty string");

    is_int(s3up_json_parse(&j, text, strlen(text), 10, &why, p), S3UP_ETOOBIG, "size limit");
    is_int(s3up_json_parse(&j, "{\"a\":1,\"a\":2}", 13, 1024, &why, p), S3UP_EPARSE,
           "duplicate keys refused");
    is_int(s3up_json_parse(&j, "{\"a\":", 5, 1024, &why, p), S3UP_EPARSE, "truncated refused");
    ok(why && *why, "with a reason: %s", why);

    /* The pool holds the only reference: clearing it frees the value
     * (valgrind would report a leak otherwise). */
    apr_pool_create(&sub, p);
    kept = s3up_json_own(json_pack("{s:s}", "k", "v"), sub);
    is_int(kept->refcount, 1, "owned value has one reference");
    apr_pool_destroy(sub);

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
