/*
 * Who is calling, as the core sees them: a person named by what httpd's
 * authentication supplied, or the holder of an upload link.
 */
#ifndef S3UP_PRINCIPAL_H
#define S3UP_PRINCIPAL_H

#include "s3up.h"

typedef struct s3up_principal_t {
    const char *name;          /* the value of S3UpUserClaim: what member lists hold */
    const char *via;           /* "oidc" (mod_auth_openidc), "httpd" (any other), "link" */
    const char *link_id;       /* "link": the link's id */
    const char *link_endpoint; /* "link": the one endpoint it opens */
} s3up_principal_t;

#define S3UP_PRINCIPAL_NAME_MAX 256

/* Whether name can name a person: 1 to 256 bytes of valid UTF-8 without
 * control characters (C0, DEL, C1). Anything else from an identity
 * provider is refused, not repaired: two spellings of one name would be
 * two people. */
int s3up_principal_name_ok(const char *name);

#endif /* S3UP_PRINCIPAL_H */
