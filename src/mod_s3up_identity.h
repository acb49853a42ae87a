/*
 * Who is calling. Identity comes only from what httpd's authentication put
 * in r->user and r->subprocess_env (mod_auth_openidc, mellon, Basic...),
 * never from a request header.
 */
#ifndef MOD_S3UP_IDENTITY_H
#define MOD_S3UP_IDENTITY_H

#include <httpd.h>

#include "mod_s3up_config.h"
#include "s3up_principal.h"

/* The signed-in person: OK and *who set, or *who NULL when nobody is (no
 * authenticated r->user, or the claim S3UpUserClaim names is missing or
 * empty). A name that is no valid UTF-8, or holds control characters, is
 * refused: logged, and answered 403 (the reply's DONE is returned). */
int s3up_identity(const s3up_principal_t **who, request_rec *r, const s3up_dir_conf_t *dc);

#endif /* MOD_S3UP_IDENTITY_H */
