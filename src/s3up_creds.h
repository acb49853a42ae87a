/*
 * Credentials providers. This version knows two sources:
 *   static - an access key from the configuration and a secret read from a
 *            file (httpd reads its configuration as root, so a 0600 file
 *            owned by root works and the secret never sits in httpd.conf);
 *   env    - AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *            of the process environment.
 * Every result lives in the pool passed in.
 */
#ifndef S3UP_CREDS_H
#define S3UP_CREDS_H

#include "s3up_sigv4.h"

/* Longest secret file we read: a secret is tens of bytes, a bigger file is
 * the wrong file. */
#define S3UP_CREDS_SECRET_FILE_MAX 4096

/* Credentials from an access key and its secret, which must both be
 * non-empty and free of whitespace and control characters (they end up in
 * the Authorization header and the signing key). APR_EINVAL otherwise. */
apr_status_t s3up_creds_static(s3up_creds_t **out, const char *access_key, const char *secret_key,
                               apr_pool_t *p);

/* Credentials from the process environment. APR_ENOENT when the access key
 * or the secret is missing or empty; an empty AWS_SESSION_TOKEN counts as
 * none. */
apr_status_t s3up_creds_from_env(s3up_creds_t **out, apr_pool_t *p);

/* The contents of a secret file with leading and trailing whitespace
 * removed. APR_EINVAL when nothing is left or the file holds a NUL byte,
 * S3UP_ETOOBIG above S3UP_CREDS_SECRET_FILE_MAX bytes, APR's error when it
 * cannot be read. The contents are never logged. */
apr_status_t s3up_creds_read_secret_file(const char **secret, const char *path, apr_pool_t *p);

#endif /* S3UP_CREDS_H */
