/*
 * Credentials: static keys, the environment, token and secret files, and
 * what each S3UpCredentials source resolves to (its plan).
 */
#include <arpa/inet.h>

#include <apr_env.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <openssl/crypto.h>

#include "s3up.h"
#include "s3up_creds.h"

static const char *const source_names[] = {
    [S3UP_CREDS_CHAIN] = "chain",
    [S3UP_CREDS_STATIC] = "static",
    [S3UP_CREDS_ENV] = "env",
    [S3UP_CREDS_PROFILE] = "profile",
    [S3UP_CREDS_WEB_IDENTITY] = "web-identity",
    [S3UP_CREDS_ECS] = "ecs",
    [S3UP_CREDS_IMDS] = "imds",
};
#define N_SOURCES (sizeof(source_names) / sizeof(source_names[0]))

const char *s3up_creds_source_name(s3up_creds_source_e source)
{
    return source > 0 && (apr_size_t)source < N_SOURCES ? source_names[source] : "unknown";
}

apr_status_t s3up_creds_source_parse(s3up_creds_source_e *out, const char *name)
{
    for (apr_size_t i = 1; i < N_SOURCES; i++) {
        if (!strcasecmp(name, source_names[i])) {
            *out = (s3up_creds_source_e)i;
            return APR_SUCCESS;
        }
    }
    return APR_EINVAL;
}

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

apr_status_t s3up_creds_read_file(const char **text, const char *path, apr_size_t max,
                                  apr_pool_t *p)
{
    char *buf = apr_palloc(p, max + 1);
    apr_size_t len = max + 1, start = 0;
    apr_file_t *f;
    apr_status_t rv;

    *text = NULL;
    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_read_full(f, buf, max + 1, &len);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        OPENSSL_cleanse(buf, max + 1);
        return rv;
    }
    if (len > max) {
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
        *text = apr_pstrmemdup(p, buf + start, len - start);
    }
    /* The pool's copy should not outlive this call. */
    OPENSSL_cleanse(buf, max + 1);
    return rv;
}

apr_status_t s3up_creds_read_secret_file(const char **secret, const char *path, apr_pool_t *p)
{
    return s3up_creds_read_file(secret, path, S3UP_CREDS_SECRET_FILE_MAX, p);
}

/* ------------------------------------------------------------------------
 * plans
 */

#define ECS_HOST "http://169.254.170.2"
#define IMDS_URL "http://169.254.169.254"

static const char *plan_keys(s3up_creds_plan_t *plan, const s3up_creds_t *keys, const char *from)
{
    plan->source = S3UP_CREDS_STATIC;
    plan->keys = keys;
    plan->from = from;
    return NULL;
}

static const char *plan_env(s3up_creds_plan_t *plan, apr_pool_t *p)
{
    s3up_creds_t *keys;
    apr_status_t rv = s3up_creds_from_env(&keys, p);

    if (rv == APR_ENOENT) {
        return "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set in httpd's "
               "environment";
    }
    if (rv != APR_SUCCESS) {
        return "AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY holds spaces or control characters";
    }
    return plan_keys(plan, keys, "the environment (AWS_ACCESS_KEY_ID)");
}

/* STS of the region: the regional endpoint, as the SDKs use by default. */
static const char *sts_url(const char *region, apr_pool_t *p)
{
    const char *url = env_get("AWS_ENDPOINT_URL_STS", p);
    const char *r = env_get("AWS_REGION", p);

    if (url) {
        return url;
    }
    if (!r) {
        r = env_get("AWS_DEFAULT_REGION", p);
    }
    if (!r) {
        r = region;
    }
    if (!r || !*r) {
        return "https://sts.amazonaws.com";
    }
    return apr_psprintf(p, "https://sts.%s.amazonaws.com%s", r, strncmp(r, "cn-", 3) ? "" : ".cn");
}

static const char *plan_web_identity(s3up_creds_plan_t *plan, const char *role_arn,
                                     const char *token_file, const char *from, const char *region,
                                     apr_pool_t *p)
{
    const char *session = env_get("AWS_ROLE_SESSION_NAME", p);

    if (!role_arn || !token_file) {
        /* A profile comes here with both (plan_profile checks): only the
         * environment can lack one. */
        return apr_psprintf(p,
                            "%s needs both AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE in "
                            "httpd's environment",
                            from);
    }
    plan->source = S3UP_CREDS_WEB_IDENTITY;
    plan->from = from;
    plan->role_arn = role_arn;
    plan->token_file = token_file;
    plan->session_name = session ? session : "mod_s3up";
    plan->url = sts_url(region, p);
    return NULL;
}

static const char *plan_profile(s3up_creds_plan_t *plan, const s3up_creds_want_t *want,
                                apr_pool_t *p)
{
    const char *name = want->profile ? want->profile : env_get("AWS_PROFILE", p);
    const char *id, *secret, *role;
    const char *from;
    s3up_creds_t *keys;

    if (!name) {
        name = "default";
    }
    from = apr_psprintf(p, "profile '%s'", name);
    id = s3up_creds_files_get(want->files, name, "aws_access_key_id");
    secret = s3up_creds_files_get(want->files, name, "aws_secret_access_key");
    role = s3up_creds_files_get(want->files, name, "role_arn");
    if (id || secret) {
        if (s3up_creds_static(&keys, id, secret, p) != APR_SUCCESS) {
            return apr_psprintf(p,
                                "%s needs both aws_access_key_id and aws_secret_access_key, "
                                "without spaces",
                                from);
        }
        keys->session_token = s3up_creds_files_get(want->files, name, "aws_session_token");
        return plan_keys(plan, keys, from);
    }
    if (role) {
        const char *token_file = s3up_creds_files_get(want->files, name, "web_identity_token_file");
        if (!token_file) {
            return apr_psprintf(p,
                                "%s assumes a role with source_profile or credential_source, "
                                "which mod_s3up does not do; give the profile keys, or "
                                "role_arn with web_identity_token_file",
                                from);
        }
        return plan_web_identity(plan, role, token_file, from, want->region, p);
    }
    return apr_psprintf(p,
                        "%s is not in the shared credentials or config file (or has neither "
                        "keys nor role_arn)",
                        from);
}

/* Whether a container URL may be plain http: only to the link-local
 * addresses of ECS and EKS Pod Identity, or this machine, as the SDKs say. */
static int container_host_ok(const char *url, apr_pool_t *p)
{
    static const char *const hosts[] = {"169.254.170.2", "169.254.170.23", "[fd00:ec2::23]",
                                        "127.0.0.1",     "localhost",      "[::1]"};
    const char *host, *end;
    struct in_addr v4;

    if (!strncasecmp(url, "https://", 8)) {
        return 1;
    }
    if (strncasecmp(url, "http://", 7)) {
        return 0;
    }
    host = url + 7;
    end = host + strcspn(host, "/?#");
    if (*host == '[') {
        const char *close = memchr(host, ']', (apr_size_t)(end - host));
        end = close ? close + 1 : end;
    } else {
        end = host + strcspn(host, ":/?#");
    }
    host = apr_pstrmemdup(p, host, (apr_size_t)(end - host));
    for (apr_size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        if (!strcasecmp(host, hosts[i])) {
            return 1;
        }
    }
    /* Any address of 127.0.0.0/8, written as an address. */
    return inet_pton(AF_INET, host, &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

static const char *plan_ecs(s3up_creds_plan_t *plan, apr_pool_t *p)
{
    const char *full = env_get("AWS_CONTAINER_CREDENTIALS_FULL_URI", p);
    const char *rel = env_get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", p);

    if (rel) {
        plan->url = apr_pstrcat(p, ECS_HOST, *rel == '/' ? "" : "/", rel, NULL);
    } else if (full) {
        if (!container_host_ok(full, p)) {
            return apr_psprintf(p,
                                "AWS_CONTAINER_CREDENTIALS_FULL_URI '%s' is plain http to a host "
                                "other than the container endpoints or this machine",
                                full);
        }
        plan->url = full;
    } else {
        return "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
               "AWS_CONTAINER_CREDENTIALS_FULL_URI is set in httpd's environment";
    }
    plan->source = S3UP_CREDS_ECS;
    plan->from = "the container credentials endpoint";
    plan->token_file = env_get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", p);
    plan->token = plan->token_file ? NULL : env_get("AWS_CONTAINER_AUTHORIZATION_TOKEN", p);
    return NULL;
}

static const char *plan_imds(s3up_creds_plan_t *plan, apr_pool_t *p)
{
    const char *off = env_get("AWS_EC2_METADATA_DISABLED", p);
    const char *url = env_get("AWS_EC2_METADATA_SERVICE_ENDPOINT", p);

    if (off && !strcasecmp(off, "true")) {
        return "AWS_EC2_METADATA_DISABLED is true";
    }
    plan->source = S3UP_CREDS_IMDS;
    plan->from = "the instance metadata service";
    plan->url = url ? url : IMDS_URL;
    while (*plan->url && plan->url[strlen(plan->url) - 1] == '/') {
        plan->url = apr_pstrndup(p, plan->url, strlen(plan->url) - 1);
    }
    return NULL;
}

static int profile_exists(const s3up_creds_want_t *want, apr_pool_t *p)
{
    const char *name = want->profile ? want->profile : env_get("AWS_PROFILE", p);
    const char *keys[] = {"aws_access_key_id", "aws_secret_access_key", "role_arn"};

    for (apr_size_t i = 0; i < 3; i++) {
        if (s3up_creds_files_get(want->files, name ? name : "default", keys[i])) {
            return 1;
        }
    }
    return 0;
}

/* The chain: the first source that is set up decides; if it is set up
 * wrongly, that is the error (not a silent fall to the next). */
static const char *plan_chain(s3up_creds_plan_t *plan, const s3up_creds_want_t *want, apr_pool_t *p)
{
    if (want->configured) {
        return plan_keys(plan, want->configured, "S3UpAccessKey");
    }
    if (env_get("AWS_ACCESS_KEY_ID", p) || env_get("AWS_SECRET_ACCESS_KEY", p)) {
        return plan_env(plan, p);
    }
    if (env_get("AWS_WEB_IDENTITY_TOKEN_FILE", p)) {
        return plan_web_identity(plan, env_get("AWS_ROLE_ARN", p),
                                 env_get("AWS_WEB_IDENTITY_TOKEN_FILE", p), "web-identity",
                                 want->region, p);
    }
    if (profile_exists(want, p)) {
        return plan_profile(plan, want, p);
    }
    if (env_get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", p) ||
        env_get("AWS_CONTAINER_CREDENTIALS_FULL_URI", p)) {
        return plan_ecs(plan, p);
    }
    if (plan_imds(plan, p)) {
        return "no S3 credentials: none of S3UpAccessKey, AWS_ACCESS_KEY_ID, "
               "AWS_WEB_IDENTITY_TOKEN_FILE, a profile in the shared files or "
               "AWS_CONTAINER_CREDENTIALS_* is set, and AWS_EC2_METADATA_DISABLED is true";
    }
    return NULL;
}

const char *s3up_creds_plan(s3up_creds_plan_t *plan, const s3up_creds_want_t *want, apr_pool_t *p)
{
    const char *why = NULL;

    memset(plan, 0, sizeof(*plan));
    switch (want->source) {
    case S3UP_CREDS_CHAIN:
        why = plan_chain(plan, want, p);
        break;
    case S3UP_CREDS_STATIC:
        why = want->configured ? plan_keys(plan, want->configured, "S3UpAccessKey")
                               : "S3UpAccessKey and S3UpSecretKeyFile are not both set";
        break;
    case S3UP_CREDS_ENV:
        why = plan_env(plan, p);
        break;
    case S3UP_CREDS_PROFILE:
        why = plan_profile(plan, want, p);
        break;
    case S3UP_CREDS_WEB_IDENTITY:
        why = plan_web_identity(plan, env_get("AWS_ROLE_ARN", p),
                                env_get("AWS_WEB_IDENTITY_TOKEN_FILE", p), "web-identity",
                                want->region, p);
        break;
    case S3UP_CREDS_ECS:
        why = plan_ecs(plan, p);
        break;
    case S3UP_CREDS_IMDS:
        why = plan_imds(plan, p);
        break;
    default:
        why = "unknown source";
    }
    if (why) {
        return apr_psprintf(p, "S3UpCredentials %s: %s", s3up_creds_source_name(want->source), why);
    }
    return NULL;
}

const char *s3up_creds_plan_key(const s3up_creds_plan_t *plan, apr_pool_t *p)
{
    return apr_pstrcat(p, s3up_creds_source_name(plan->source), " ", plan->url ? plan->url : "-",
                       " ", plan->role_arn ? plan->role_arn : "-", " ",
                       plan->token_file ? plan->token_file : "-", NULL);
}
