/*
 * Claim parsing: delimiters and escapes.
 */
#include <apr_strings.h>

#include "s3up_claims.h"

apr_array_header_t *s3up_claims_split(const char *claim, char delim, apr_pool_t *p)
{
    apr_array_header_t *values = apr_array_make(p, 4, sizeof(const char *));
    apr_size_t len = claim ? strlen(claim) : 0;
    char *buf, *w;

    if (!len) {
        return values;
    }
    buf = w = apr_palloc(p, len + 1);
    for (const char *c = claim;; c++) {
        if (*c == '\\' && c[1] == delim) {
            *w++ = *++c;
        } else if (*c == delim || !*c) {
            *w++ = '\0';
            APR_ARRAY_PUSH(values, const char *) = buf;
            buf = w;
            if (!*c) {
                break;
            }
        } else {
            *w++ = *c;
        }
    }
    return values;
}

int s3up_claims_has(const char *claim, char delim, const char *value, apr_pool_t *p)
{
    apr_array_header_t *values = s3up_claims_split(claim, delim, p);
    for (int i = 0; i < values->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(values, i, const char *), value)) {
            return 1;
        }
    }
    return 0;
}
