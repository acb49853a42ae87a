/*
 * jansson values tied to APR pools.
 */
#include <apr_strings.h>

#include "s3up_json.h"

static apr_status_t json_release(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

json_t *s3up_json_own(json_t *j, apr_pool_t *p)
{
    if (j) {
        apr_pool_cleanup_register(p, j, json_release, apr_pool_cleanup_null);
    }
    return j;
}

apr_status_t s3up_json_parse(json_t **out, const char *text, apr_size_t len, apr_size_t max,
                             const char **why, apr_pool_t *p)
{
    json_error_t e;
    json_t *j;

    if (len > max) {
        *why = apr_psprintf(p, "more than %" APR_SIZE_T_FMT " bytes", max);
        return S3UP_ETOOBIG;
    }
    j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    if (!j) {
        *why = apr_psprintf(p, "%s at line %d, column %d", e.text, e.line, e.column);
        return S3UP_EPARSE;
    }
    *out = s3up_json_own(j, p);
    return APR_SUCCESS;
}

/* Written straight into pool memory: json_dumps() would grow a heap buffer
 * by doubling from 16 bytes, then we would copy it. Most answers fit the
 * first guess; a bigger one is dumped again at its size. */
#define DUMP_GUESS 2048

const char *s3up_json_dump(const json_t *j, apr_pool_t *p)
{
    const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY;
    char *text = apr_palloc(p, DUMP_GUESS);
    size_t len = json_dumpb(j, text, DUMP_GUESS - 1, flags);

    if (!len) {
        return NULL; /* invalid UTF-8, or a value that is no JSON */
    }
    if (len >= DUMP_GUESS) {
        text = apr_palloc(p, len + 1);
        if (json_dumpb(j, text, len, flags) != len) {
            return NULL;
        }
    }
    text[len] = '\0';
    return text;
}

json_t *s3up_json_string(const char *s)
{
    const unsigned char *c = (const unsigned char *)s;

    while (*c && *c < 0x80) {
        c++;
    }
    return *c ? json_string(s) : json_stringn_nocheck(s, (size_t)(c - (const unsigned char *)s));
}

const char *s3up_json_str(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}
