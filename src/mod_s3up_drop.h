/*
 * Upload links (handler s3up-drop).
 */
#ifndef MOD_S3UP_DROP_H
#define MOD_S3UP_DROP_H

#include <httpd.h>

/* Forget this server's count of a link's passcode tries (an admin's
 * unlock). */
void s3up_drop_unlock(const char *link_id);

#endif /* MOD_S3UP_DROP_H */
