/*
 * Who is calling: claims that httpd's authentication left in the request.
 */
#include <apr_strings.h>

#include <http_core.h>

#include "mod_s3up_identity.h"

const s3up_principal_t *s3up_identity(request_rec *r, const s3up_dir_conf_t *dc)
{
    const char *claim = s3up_conf_user_claim(dc);
    const char *type = ap_auth_type(r);
    s3up_principal_t *who;
    const char *name;

    /* mod_auth_openidc with OIDCUnAuthAction pass leaves r->user "". */
    if (!r->user || !*r->user) {
        return NULL;
    }
    if (!strcmp(claim, "REMOTE_USER")) {
        name = r->user;
    } else {
        /* The environment, filled by the authentication module; request
         * headers of the same name never get there. */
        name = apr_table_get(r->subprocess_env,
                             apr_pstrcat(r->pool, s3up_conf_claim_prefix(dc), claim, NULL));
    }
    if (!name || !*name) {
        return NULL;
    }
    who = apr_pcalloc(r->pool, sizeof(*who));
    who->name = name;
    who->via = type && !strcasecmp(type, "openid-connect") ? "oidc" : "httpd";
    return who;
}
