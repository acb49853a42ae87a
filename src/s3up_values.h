/*
 * The values of directives: sizes, durations, bucket and region names,
 * URLs and key prefixes. Each check answers NULL when the value is fine,
 * else why not, in words for the person who wrote it (the caller adds the
 * directive's name).
 */
#ifndef S3UP_VALUES_H
#define S3UP_VALUES_H

#include "s3up.h"

/* Longest key prefix: S3 keys are at most 1024 bytes and the rest is
 * needed for the endpoint id and the customer's file name. */
#define S3UP_VALUES_PREFIX_MAX 256

/* "64M", "5T", "1048576": bytes, with a binary K, M, G or T suffix. */
const char *s3up_values_size(apr_off_t *out, const char *arg, apr_pool_t *p);

/* "30s", "15m", "1h", "7d", "3600": seconds with an optional unit. */
const char *s3up_values_duration(apr_interval_time_t *out, const char *arg, apr_pool_t *p);

/* A duration as the messages write it: "7d", "1h", "90s". */
const char *s3up_values_duration_text(apr_interval_time_t t, apr_pool_t *p);

/* Whether s holds a control character or a space. */
int s3up_values_blank(const char *s);

/* S3's bucket naming rules (general purpose buckets): names that AWS would
 * refuse are refused, so a configuration that works against one store keeps
 * working against AWS. */
const char *s3up_values_bucket(const char *b, apr_pool_t *p);

/* A region: it goes into the credential scope, where '/' or a space would
 * break signing. */
const char *s3up_values_region(const char *r, apr_pool_t *p);

/* An http(s) URL of a server, without path, query or user info; *out is it
 * as "scheme://host[:port]". */
const char *s3up_values_server_url(const char **out, const char *arg, apr_pool_t *p);

/* An absolute http(s) URL, or a path on this host ("/upload/"). */
const char *s3up_values_url_or_path(const char *arg, apr_pool_t *p);

/* A key prefix: relative, no empty, '.' or '..' segments, no control
 * characters or '\'; *out has the trailing '/' a folder needs. */
const char *s3up_values_prefix(const char **out, const char *arg, apr_pool_t *p);

/* Files and state share the bucket; neither prefix may contain the other,
 * or customers could write (or list) endpoint records. */
const char *s3up_values_prefixes_apart(const char *prefix, const char *state_prefix, apr_pool_t *p);

#endif /* S3UP_VALUES_H */
