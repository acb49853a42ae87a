/*
 * Names from the outside: file names turned into object keys, identities,
 * claims with their delimiters, and the size/duration/count values of the
 * directives. The first byte picks the claim delimiter.
 */
#include "fuzz.h"
#include "s3up_claims.h"
#include "s3up_keys.h"
#include "s3up_principal.h"
#include "s3up_values.h"

static void fuzz_one(const char *data, apr_size_t len, apr_pool_t *p)
{
    const char *key, *why;
    apr_array_header_t *parts;
    apr_int64_t n;
    apr_interval_time_t t;
    char delim = len ? data[0] : ',';

    if (s3up_keys_relpath(&key, data, &why, p) == APR_SUCCESS) {
        /* What is accepted is clean text of clean segments. */
        char *segs = apr_pstrdup(p, key), *seg, *last;
        if (!*key || !s3up_keys_text_ok(key) || key[0] == '/' || strstr(key, "//") ||
            key[strlen(key) - 1] == '/') {
            abort();
        }
        for (seg = apr_strtok(segs, "/", &last); seg; seg = apr_strtok(NULL, "/", &last)) {
            if (!strcmp(seg, ".") || !strcmp(seg, "..")) {
                abort();
            }
        }
        touch(s3up_keys_numbered(key, 12, p));
    } else {
        touch(why);
    }
    (void)s3up_principal_name_ok(data);
    parts = s3up_claims_split(len ? data + 1 : data, delim, p);
    for (int i = 0; parts && i < parts->nelts; i++) {
        touch(APR_ARRAY_IDX(parts, i, const char *));
    }
    (void)s3up_claims_has(len ? data + 1 : data, delim, "admins", p);
    touch(s3up_values_size(&n, data, p));
    touch(s3up_values_duration(&t, data, p));
    touch(s3up_values_count(&n, data, p));
}
