/*
 * Claim values as mod_auth_openidc joins and escapes them.
 */
#include <apr_general.h>

#include "s3up_claims.h"
#include "tap.h"

static const char *joined(apr_array_header_t *v, apr_pool_t *p)
{
    return apr_array_pstrcat(p, v, '|');
}

int main(void)
{
    apr_pool_t *p;
    apr_array_header_t *v;

    apr_initialize();
    apr_pool_create(&p, NULL);

    v = s3up_claims_split("s3up-admins,staff", ',', p);
    is_int(v->nelts, 2, "two values");
    is_str(joined(v, p), "s3up-admins|staff", "split on the delimiter");

    v = s3up_claims_split("a\\,b,c", ',', p);
    is_str(joined(v, p), "a,b|c", "escaped delimiter stays in its value");

    v = s3up_claims_split("C:\\dir,x", ',', p);
    is_str(joined(v, p), "C:\\dir|x", "other backslashes kept");

    v = s3up_claims_split("", ',', p);
    is_int(v->nelts, 0, "empty claim: no values");
    v = s3up_claims_split(NULL, ',', p);
    is_int(v->nelts, 0, "absent claim: no values");

    v = s3up_claims_split("a,,b,", ',', p);
    is_str(joined(v, p), "a||b|", "empty values kept in place");

    v = s3up_claims_split("Zoë Ångström;ops", ';', p);
    is_str(joined(v, p), "Zoë Ångström|ops", "UTF-8 and another delimiter");

    ok(s3up_claims_has("customers,s3up-admins", ',', "s3up-admins", p), "has a member value");
    ok(!s3up_claims_has("customers,s3up-admins-x", ',', "s3up-admins", p), "no prefix match");
    ok(!s3up_claims_has("a\\,s3up-admins", ',', "s3up-admins", p),
       "an escaped delimiter does not start a value");

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
