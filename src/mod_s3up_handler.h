/*
 * The one handler entry: every request to a location of ours comes here,
 * takes the steps all handlers share (the location's path, its folder form,
 * an endpoint chosen by e/{id}/) and goes on to its handler's serve
 * function. The handler names are defined here, once.
 */
#ifndef MOD_S3UP_HANDLER_H
#define MOD_S3UP_HANDLER_H

#include <httpd.h>

#include "mod_s3up_config.h"

/* A request as every handler first sees it. */
typedef struct s3up_call_t {
    request_rec *r;
    const s3up_dir_conf_t *dc;
    const char *base;   /* the location's URL path, no trailing '/' ("" for "/") */
    const char *path;   /* below base (and below e/{id}/), no leading '/' */
    const char *chosen; /* the {id} of e/{id}/, or NULL */
} s3up_call_t;

typedef int s3up_serve_fn(const s3up_call_t *call);

/* The hook: DECLINED for a handler not ours. */
int s3up_handler(request_rec *r);

/* Whether name is one of our handlers (configtest checks their locations). */
int s3up_handler_is_ours(const char *name);

/* Whether name is a handler that serves S3 (the status handler does not:
 * configtest checks only the others' S3 settings). */
int s3up_handler_uses_s3(const char *name);

/* The handlers' serve functions (mod_s3up_upload.c, _drop.c, _admin.c,
 * _status.c). */
s3up_serve_fn s3up_upload_serve, s3up_drop_serve, s3up_admin_serve, s3up_status_serve;

#endif /* MOD_S3UP_HANDLER_H */
