/*
 * What the admin route files share (handler s3up-admin): one request's
 * state, and its audit line.
 */
#ifndef MOD_S3UP_ADMIN_H
#define MOD_S3UP_ADMIN_H

#include <httpd.h>

#include "mod_s3up_config.h"
#include "s3up_manage.h"

typedef struct admin_t {
    request_rec *r;
    const s3up_dir_conf_t *dc;
    const s3up_srv_conf_t *sc;
    const s3up_principal_t *who;
    s3up_s3_t *s3;
    s3up_store_t store;
    s3up_manage_conf_t conf;
    s3up_manage_t m; /* the service, over the above */
} admin_t;

/* One line per admin action (S3UP0401): who, what, where, how it ended;
 * and S3UP_USER, S3UP_ENDPOINT, S3UP_KEY for access logs. */
void s3up_admin_audit(admin_t *a, const char *action, const char *endpoint, const char *key,
                      const char *outcome);

/* A failed action: logged, and answered. */
int s3up_admin_failed(admin_t *a, const char *action, const char *endpoint, const char *key,
                      const s3up_error_t *err, const char *notfound_code);

/* Routes of mod_s3up_admin_files.c. */
int s3up_admin_files(void *ctx, const char *const *arg);
int s3up_admin_share(void *ctx, const char *const *arg);
int s3up_admin_shares(void *ctx, const char *const *arg);
int s3up_admin_share_revoke(void *ctx, const char *const *arg);

#endif /* MOD_S3UP_ADMIN_H */
