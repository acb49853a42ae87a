/*
 * Credentials in httpd: the shared AWS files are read with the
 * configuration (as root), each location's S3UpCredentials becomes a plan,
 * each process keeps one provider per plan that fetches, and every plan
 * that fetches is tried once at startup so that a broken source shows in
 * the error log before the first customer does.
 */
#ifndef MOD_S3UP_CREDS_H
#define MOD_S3UP_CREDS_H

#include <httpd.h>

#include "mod_s3up_config.h"
#include "s3up_creds.h"

/* post_config: fetch each plan of s3up_conf_creds_plans() once (one attempt, a few seconds
 * at most) and log what came of it. Never fails the start: the source may
 * come back, and meanwhile requests are answered 503. */
void s3up_creds_probe(server_rec *s, apr_pool_t *ptemp);

/* child_init: the process's providers. */
apr_status_t s3up_creds_child_init(apr_pool_t *pchild);

/* Credentials to sign this request's S3 calls with: OK, or the 503 reply's
 * DONE. */
int s3up_req_creds(const s3up_creds_t **out, request_rec *r, const s3up_dir_conf_t *dc);

#endif /* MOD_S3UP_CREDS_H */
