/*
 * Credentials providers: static keys, the environment, secret files.
 */
#include <apr_env.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <openssl/crypto.h>

#include "s3up.h"
#include "s3up_creds.h"

/* A key goes into a header and an HMAC key: anything unprintable or a space
 * is a copy-and-paste accident, better refused than signed with. */
static int key_is_clean(const char *s)
{
    if (!s || !*s) {
        return 0;
    }
    for (; *s; s++) {
        if (apr_iscntrl(*s) || apr_isspace(*s)) {
            return 0;
        }
    }
    return 1;
}

apr_status_t s3up_creds_static(s3up_creds_t **out, const char *access_key, const char *secret_key,
                               apr_pool_t *p)
{
    s3up_creds_t *c;

    *out = NULL;
    if (!key_is_clean(access_key) || !key_is_clean(secret_key)) {
        return APR_EINVAL;
    }
    c = apr_pcalloc(p, sizeof(*c));
    c->access_key = apr_pstrdup(p, access_key);
    c->secret_key = apr_pstrdup(p, secret_key);
    *out = c;
    return APR_SUCCESS;
}

static const char *env_get(const char *name, apr_pool_t *p)
{
    char *value;

    if (apr_env_get(&value, name, p) != APR_SUCCESS || !*value) {
        return NULL;
    }
    return value;
}

apr_status_t s3up_creds_from_env(s3up_creds_t **out, apr_pool_t *p)
{
    const char *id = env_get("AWS_ACCESS_KEY_ID", p);
    const char *secret = env_get("AWS_SECRET_ACCESS_KEY", p);
    apr_status_t rv;

    *out = NULL;
    if (!id || !secret) {
        return APR_ENOENT;
    }
    rv = s3up_creds_static(out, id, secret, p);
    if (rv == APR_SUCCESS) {
        (*out)->session_token = env_get("AWS_SESSION_TOKEN", p);
    }
    return rv;
}

apr_status_t s3up_creds_read_secret_file(const char **secret, const char *path, apr_pool_t *p)
{
    char buf[S3UP_CREDS_SECRET_FILE_MAX + 1];
    apr_size_t len = sizeof(buf), start = 0;
    apr_file_t *f;
    apr_status_t rv;

    *secret = NULL;
    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_read_full(f, buf, sizeof(buf), &len);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return rv;
    }
    if (len > S3UP_CREDS_SECRET_FILE_MAX) {
        rv = S3UP_ETOOBIG;
    } else if (memchr(buf, '\0', len)) {
        rv = APR_EINVAL;
    } else {
        rv = APR_SUCCESS;
    }
    while (start < len && apr_isspace(buf[start])) {
        start++;
    }
    while (len > start && apr_isspace(buf[len - 1])) {
        len--;
    }
    if (rv == APR_SUCCESS && len == start) {
        rv = APR_EINVAL;
    }
    if (rv == APR_SUCCESS) {
        *secret = apr_pstrmemdup(p, buf + start, len - start);
    }
    /* The stack copy should not outlive this call. */
    OPENSSL_cleanse(buf, sizeof(buf));
    return rv;
}
