/*
 * What the files of the admins' service share (not for use outside it).
 */
#ifndef S3UP_MANAGE_INT_H
#define S3UP_MANAGE_INT_H

#include "s3up_manage.h"

/* Endpoint id: S3UP_ENOTFOUND "NoSuchEndpoint" when there is none. */
apr_status_t s3up_manage_endpoint(s3up_endpoint_t **ep, s3up_manage_t *m, const char *id,
                                  s3up_error_t **err, apr_pool_t *p);

/* Every unfinished upload under prefix aborted (its name freed), every
 * object deleted; *removed counts both. */
apr_status_t s3up_manage_empty(int *removed, s3up_manage_t *m, const char *prefix,
                               s3up_error_t **err, apr_pool_t *p);

/* A key an admin may touch: a file below S3UpPrefix, in an endpoint's
 * folder, with a path the key policy would produce ("InvalidKey" else). */
apr_status_t s3up_manage_file_key(s3up_manage_t *m, const char *key, s3up_error_t **err,
                                  apr_pool_t *p);

/* A presigned GET of key, as an attachment with its name, for life. */
apr_status_t s3up_manage_presign(const char **url, s3up_manage_t *m, const char *key,
                                 apr_interval_time_t life, s3up_error_t **err, apr_pool_t *p);

/* Whether key may be shared (a file of an endpoint, there now) for life
 * (60 s to S3UpShareMaxExpires): APR_SUCCESS, or why not. */
apr_status_t s3up_manage_share_check(s3up_manage_t *m, const char *key, apr_interval_time_t life,
                                     s3up_error_t **err, apr_pool_t *p);

#endif /* S3UP_MANAGE_INT_H */
