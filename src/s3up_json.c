/*
 * jansson values tied to APR pools.
 */
#include <stdlib.h>

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

const char *s3up_json_dump(const json_t *j, apr_pool_t *p)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    const char *copy;

    if (!text) {
        return NULL;
    }
    copy = apr_pstrdup(p, text);
    free(text);
    return copy;
}

const char *s3up_json_str(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}
