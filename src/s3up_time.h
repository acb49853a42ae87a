/*
 * Times as text: ISO 8601 in UTC (records, JSON answers, S3's XML) and
 * SigV4's compact form.
 */
#ifndef S3UP_TIME_H
#define S3UP_TIME_H

#include "s3up.h"

/* t as "2026-11-29T11:01:33Z" (whole seconds). */
const char *s3up_time_iso8601(apr_time_t t, apr_pool_t *p);

/* t as "20150830T123600Z", SigV4's X-Amz-Date; its first 8 characters are
 * the date of the credential scope. */
const char *s3up_time_amz(apr_time_t t, apr_pool_t *p);

/* "2026-11-29T11:01:33Z" or with a fraction ("...33.123Z"), UTC only:
 * S3UP_EPARSE for anything else, or an impossible date. */
apr_status_t s3up_time_parse(apr_time_t *out, const char *s);

#endif /* S3UP_TIME_H */
