/*
 * What the files of the uploads service share (not for use outside it).
 */
#ifndef S3UP_UPLOADS_INT_H
#define S3UP_UPLOADS_INT_H

#include "s3up_uploads.h"

/* An error of the service's own: status, our code, a message. */
s3up_error_t *s3up_uploads_error(apr_status_t status, const char *code, apr_pool_t *p,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The one answer for every key the caller may not touch. */
apr_status_t s3up_uploads_outside(s3up_error_t **err, apr_pool_t *p);

#endif /* S3UP_UPLOADS_INT_H */
