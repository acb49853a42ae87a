/*
 * The customer routes, shared by the handlers that serve them: s3up-upload
 * (people signed in), s3up-drop (upload links) and s3up-admin (an admin
 * uploading into a customer's folder through /e/{endpoint}/).
 */
#ifndef MOD_S3UP_UPLOAD_H
#define MOD_S3UP_UPLOAD_H

#include <httpd.h>

#include "mod_s3up_config.h"
#include "mod_s3up_handler.h"
#include "mod_s3up_identity.h"
#include "s3up_s3.h"
#include "s3up_store.h"
#include "s3up_uploads.h"

typedef struct s3up_upload_ctx_t {
    request_rec *r;
    const s3up_dir_conf_t *dc;
    const s3up_principal_t *who; /* NULL: nobody signed in */
    int is_admin;                /* may write into any endpoint */
    int by_link;                 /* s3up-drop: only an upload link lets one in */
    const char *base;            /* the location's URL path, no trailing '/' */
    const char *chosen;          /* the endpoint of /e/{id}/, or NULL */
    s3up_s3_t *s3;               /* NULL: made by s3up_upload_dispatch */
    s3up_store_t store;
    s3up_uploads_conf_t conf; /* filled by s3up_upload_dispatch, */
    s3up_uploads_t svc;       /* as is the service over them */
} s3up_upload_ctx_t;

/* A context for call's request, with r, dc, base and chosen filled in. */
s3up_upload_ctx_t *s3up_upload_ctx(const s3up_call_t *call);

/* Whether path (below the location, no leading '/') is an API route. */
int s3up_upload_is_api(const char *path);

/* Run the API route at path for up (who, base and chosen filled in). */
int s3up_upload_dispatch(s3up_upload_ctx_t *up, const char *path);

#endif /* MOD_S3UP_UPLOAD_H */
