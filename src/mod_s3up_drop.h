/*
 * Upload links (handler s3up-drop).
 */
#ifndef MOD_S3UP_DROP_H
#define MOD_S3UP_DROP_H

#include <httpd.h>

/* Per process, in child_init: the wrong-passcode limit. */
apr_status_t s3up_drop_init(apr_pool_t *pchild);

/* Handler "s3up-drop". */
int s3up_drop_handler(request_rec *r);

#endif /* MOD_S3UP_DROP_H */
