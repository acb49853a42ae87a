/*
 * The admin routes (handler s3up-admin).
 */
#ifndef MOD_S3UP_ADMIN_H
#define MOD_S3UP_ADMIN_H

#include <httpd.h>

/* Handler "s3up-admin". */
int s3up_admin_handler(request_rec *r);

#endif /* MOD_S3UP_ADMIN_H */
