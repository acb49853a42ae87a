/*
 * Who is calling. Identity comes only from what httpd's authentication put
 * in r->user and r->subprocess_env (mod_auth_openidc, mellon, Basic...),
 * never from a request header.
 */
#ifndef MOD_S3UP_IDENTITY_H
#define MOD_S3UP_IDENTITY_H

#include <httpd.h>

#include "mod_s3up_config.h"

typedef struct s3up_principal_t {
    const char *name;          /* the value of S3UpUserClaim: what member lists hold */
    const char *via;           /* "oidc" (mod_auth_openidc), "httpd" (any other), "link" */
    const char *link_endpoint; /* "link": the one endpoint it opens */
} s3up_principal_t;

/* The signed-in person, or NULL: no authenticated r->user, or the claim
 * S3UpUserClaim names is missing or empty. */
const s3up_principal_t *s3up_identity(request_rec *r, const s3up_dir_conf_t *dc);

#endif /* MOD_S3UP_IDENTITY_H */
