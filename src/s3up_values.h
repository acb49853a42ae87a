/*
 * The values of directives: sizes, durations, bucket and region names,
 * URLs and key prefixes. Each check answers NULL when the value is fine,
 * else why not, in words for the person who wrote it (the caller adds the
 * directive's name). The checks of words share one form, so that a
 * directive can name its check: *out is the value to keep (normalised
 * where the check says so).
 */
#ifndef S3UP_VALUES_H
#define S3UP_VALUES_H

#include "s3up.h"

/* Longest key prefix: S3 keys are at most 1024 bytes and the rest is
 * needed for the endpoint id and the customer's file name. */
#define S3UP_VALUES_PREFIX_MAX 256

/* "64M", "5T", "1048576": bytes, with a binary K, M, G or T suffix. */
const char *s3up_values_size(apr_int64_t *out, const char *arg, apr_pool_t *p);

/* "30s", "15m", "1h", "7d", "3600": seconds with an optional unit. */
const char *s3up_values_duration(apr_interval_time_t *out, const char *arg, apr_pool_t *p);

/* A whole number, digits only. */
const char *s3up_values_count(apr_int64_t *out, const char *arg, apr_pool_t *p);

/* A duration as the messages write it: "7d", "1h", "90s". */
const char *s3up_values_duration_text(apr_interval_time_t t, apr_pool_t *p);

/* Whether s holds a control character or a space. */
int s3up_values_blank(const char *s);

typedef const char *s3up_values_check_fn(const char **out, const char *arg, apr_pool_t *p);

/* S3's bucket naming rules (general purpose buckets): names that AWS would
 * refuse are refused, so a configuration that works against one store keeps
 * working against AWS. */
s3up_values_check_fn s3up_values_bucket;

/* A region: it goes into the credential scope, where '/' or a space would
 * break signing. */
s3up_values_check_fn s3up_values_region;

/* An http(s) URL of a server, without path, query or user info; *out is it
 * as "scheme://host[:port]". */
s3up_values_check_fn s3up_values_server_url;

/* An absolute http(s) URL, or a path on this host ("/upload/"). */
s3up_values_check_fn s3up_values_url_or_path;

/* An absolute http(s) URL, path and query allowed (a receiver's). */
s3up_values_check_fn s3up_values_http_url;

/* A URL or path as above, without trailing '/': links are URL/{token}. */
s3up_values_check_fn s3up_values_link_url;

/* An access key id, a claim name: one word of 1 to 128 characters. */
s3up_values_check_fn s3up_values_access_key;
s3up_values_check_fn s3up_values_claim;

/* A prefix of environment variables (letters, digits, '_', '-'; may be
 * empty). */
s3up_values_check_fn s3up_values_env_prefix;

/* A Cognito user pool id: REGION_ID, like eu-west-1_AbC123. */
s3up_values_check_fn s3up_values_user_pool;

/* An S3 storage class: upper-case letters, digits and '_' (STANDARD_IA,
 * GLACIER_IR, or a class a store defines, like RGW's placement classes). */
s3up_values_check_fn s3up_values_storage_class;

/* A KMS key: its id, ARN or alias ("alias/name"), as S3 takes it. */
s3up_values_check_fn s3up_values_kms_key;

/* A key prefix: relative, no empty, '.' or '..' segments, no control
 * characters or '\'; *out has the trailing '/' a folder needs. */
s3up_values_check_fn s3up_values_prefix;

/* Files and state share the bucket; neither prefix may contain the other,
 * or customers could write (or list) endpoint records. */
const char *s3up_values_prefixes_apart(const char *prefix, const char *state_prefix, apr_pool_t *p);

#endif /* S3UP_VALUES_H */
