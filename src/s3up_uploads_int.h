/*
 * What the files of the uploads service share (not for use outside it).
 */
#ifndef S3UP_UPLOADS_INT_H
#define S3UP_UPLOADS_INT_H

#include "s3up_uploads.h"

/* The one answer for every key the caller may not touch. */
apr_status_t s3up_uploads_outside(s3up_error_t **err, apr_pool_t *p);

#endif /* S3UP_UPLOADS_INT_H */
