/*
 * Upload links (handler s3up-drop).
 */
#ifndef MOD_S3UP_DROP_H
#define MOD_S3UP_DROP_H

#include <httpd.h>

/* The passcode tries of this server, shared by httpd's processes: its mutex is
 * registered in pre_config, its memory made in post_config, and each
 * child attaches in child_init. */
void s3up_drop_pre_config(apr_pool_t *pconf);
apr_status_t s3up_drop_post_config(apr_pool_t *pconf, server_rec *s);
apr_status_t s3up_drop_init(apr_pool_t *pchild);

/* Forget this server's count of a link's passcode tries (an admin's
 * unlock). */
void s3up_drop_unlock(const char *link_id);

#endif /* MOD_S3UP_DROP_H */
