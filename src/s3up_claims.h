/*
 * Claims as mod_auth_openidc puts them in the environment: an array is
 * joined with a delimiter (OIDCClaimDelimiter, ',' by default) and a value
 * that holds the delimiter has it escaped with a backslash.
 */
#ifndef S3UP_CLAIMS_H
#define S3UP_CLAIMS_H

#include "s3up.h"

/* The values of one claim (const char *), in order. An empty claim has no
 * values; a backslash not before the delimiter is kept as it is. */
apr_array_header_t *s3up_claims_split(const char *claim, char delim, apr_pool_t *p);

/* Whether value is one of the claim's values (exact, case-sensitive). */
int s3up_claims_has(const char *claim, char delim, const char *value, apr_pool_t *p);

#endif /* S3UP_CLAIMS_H */
