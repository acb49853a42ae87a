/*
 * Who is calling: claims that httpd's authentication left in the request.
 */
#include <apr_strings.h>

#include <http_core.h>
#include <http_log.h>

#include "mod_s3up_identity.h"
#include "mod_s3up_request.h"

APLOG_USE_MODULE(s3up);

int s3up_identity(const s3up_principal_t **who, request_rec *r, const s3up_dir_conf_t *dc)
{
    const char *claim = s3up_conf_user_claim(dc);
    const char *type = ap_auth_type(r);
    s3up_principal_t *p;
    const char *name;

    *who = NULL;
    /* mod_auth_openidc with OIDCUnAuthAction pass leaves r->user "". */
    if (!r->user || !*r->user) {
        return OK;
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
        return OK;
    }
    if (!s3up_principal_name_ok(name)) {
        /* httpd escapes what it writes to the error log: the bytes show as
         * they came. */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      S3UP_LOGNO(0105) "refused an identity (%s) that is not valid UTF-8, holds "
                                       "control characters or is over %d bytes: \"%s\"",
                      claim, S3UP_PRINCIPAL_NAME_MAX, apr_pstrndup(r->pool, name, 300));
        return s3up_reply_error(r, HTTP_FORBIDDEN, "Forbidden",
                                "your sign-in name cannot be used here: ask your administrator");
    }
    p = apr_pcalloc(r->pool, sizeof(*p));
    p->name = name;
    p->via = type && !strcasecmp(type, "openid-connect") ? "oidc" : "httpd";
    *who = p;
    return OK;
}
