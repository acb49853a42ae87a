/*
 * Arrival notifications (S3UpNotifyURL): one worker thread per distinct
 * receiver in each child, made in child_init, stopped with the child.
 */
#ifndef MOD_S3UP_NOTIFY_H
#define MOD_S3UP_NOTIFY_H

#include <httpd.h>

#include "s3up_notify.h"

apr_status_t s3up_notify_child_init(apr_pool_t *pchild, server_rec *s);

/* Queue the event of a file that arrived through r, when r's server
 * notifies. Never waits. */
void s3up_notify_arrival(request_rec *r, const s3up_arrival_t *a);

#endif /* MOD_S3UP_NOTIFY_H */
