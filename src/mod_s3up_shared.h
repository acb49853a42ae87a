/*
 * What httpd's processes share, made before they fork: the store's write
 * counter (a change made through one process is seen by all at once), the
 * server's counters (s3up-status), two limits in shared memory behind global mutexes (the
 * passcode tries of this server, and the parts of each upload being passed on to S3), and a board
 * of folder listings (12 MiB of address space, used as listings are left). The mutexes are
 * registered in pre_config, the memory made in post_config, and each child attaches in
 * child_init.
 */
#ifndef MOD_S3UP_SHARED_H
#define MOD_S3UP_SHARED_H

#include <httpd.h>

#include "s3up_board.h"
#include "s3up_limit.h"
#include "s3up_metrics.h"

void s3up_shared_pre_config(apr_pool_t *pconf);
apr_status_t s3up_shared_post_config(apr_pool_t *pconf, server_rec *s);
apr_status_t s3up_shared_child_init(apr_pool_t *pchild);

/* NULL until child_init has attached them. */
apr_uint32_t *s3up_shared_generation(void);
s3up_metrics_t *s3up_shared_metrics(void);
s3up_limit_t *s3up_shared_tries(void);    /* passcode tries per link */
s3up_limit_t *s3up_shared_parts(void);    /* parts on their way, per upload */
s3up_board_t *s3up_shared_listings(void); /* folder listings, for the admin file list */

#endif /* MOD_S3UP_SHARED_H */
