/*
 * mod_s3up configuration: one setter per directive (validating, so that
 * `apachectl configtest` names the bad directive), create with unset
 * markers, one merge line per field, defaults in the getters.
 */
#include <errno.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include <httpd.h>
#include <http_config.h>

#include "s3up.h"
#include "s3up_creds.h"
#include "s3up_keys.h"
#include "mod_s3up_config.h"
#include "s3up_values.h"

extern module AP_MODULE_DECLARE_DATA s3up_module;

#define SECS(n) apr_time_from_sec(n)
#define DAY SECS(86400)

/* S3 refuses presigned URLs valid for more than 7 days. */
#define PRESIGN_MAX SECS(7 * 86400)
#define CACHE_TTL_MAX DAY

/* ------------------------------------------------------------------------
 * create / merge
 */

void *s3up_conf_create_dir(apr_pool_t *p, char *dir)
{
    s3up_dir_conf_t *dc = apr_pcalloc(p, sizeof(*dc));

    (void)dir;
    /* pcalloc leaves every pointer NULL, which is "unset"; numbers need
     * their marker because 0 can be a configured value. */
    dc->path_style = S3UP_CONF_UNSET;
    dc->creds_source = S3UP_CONF_UNSET;
    dc->part_size = S3UP_CONF_UNSET;
    dc->max_file_size = S3UP_CONF_UNSET;
    dc->presign_expires = S3UP_CONF_UNSET;
    dc->share_max_expires = S3UP_CONF_UNSET;
    dc->upload_mode = S3UP_CONF_UNSET;
    dc->parts_in_flight = S3UP_CONF_UNSET;
    dc->max_unfinished = S3UP_CONF_UNSET;
    return dc;
}

#define MERGE_PTR(f) n->f = add->f ? add->f : base->f
#define MERGE_NUM(f) n->f = add->f != S3UP_CONF_UNSET ? add->f : base->f

void *s3up_conf_merge_dir(apr_pool_t *p, void *basev, void *addv)
{
    const s3up_dir_conf_t *base = basev, *add = addv;
    s3up_dir_conf_t *n = apr_pcalloc(p, sizeof(*n));

    MERGE_PTR(bucket);
    MERGE_PTR(region);
    MERGE_PTR(s3_server);
    MERGE_NUM(path_style);
    MERGE_NUM(creds_source);
    MERGE_PTR(access_key);
    MERGE_PTR(secret_key_file);
    MERGE_PTR(secret_key);
    MERGE_PTR(prefix);
    MERGE_PTR(state_prefix);
    MERGE_NUM(part_size);
    MERGE_NUM(max_file_size);
    MERGE_NUM(presign_expires);
    MERGE_NUM(share_max_expires);
    MERGE_PTR(user_claim);
    MERGE_PTR(claim_prefix);
    MERGE_NUM(upload_mode);
    MERGE_NUM(parts_in_flight);
    MERGE_NUM(max_unfinished);
    return n;
}

void *s3up_conf_create_srv(apr_pool_t *p, server_rec *s)
{
    s3up_srv_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    (void)s;
    sc->cache_ttl = S3UP_CONF_UNSET;
    return sc;
}

void *s3up_conf_merge_srv(apr_pool_t *p, void *basev, void *addv)
{
    const s3up_srv_conf_t *base = basev, *add = addv;
    s3up_srv_conf_t *n = apr_pcalloc(p, sizeof(*n));

    MERGE_PTR(secret_file);
    MERGE_PTR(secret);
    MERGE_NUM(cache_ttl);
    MERGE_PTR(cognito_user_pool);
    MERGE_PTR(cognito_server);
    MERGE_PTR(document_root);
    MERGE_PTR(portal_url);
    MERGE_PTR(link_url);
    return n;
}

s3up_srv_conf_t *s3up_conf_srv(server_rec *s)
{
    return ap_get_module_config(s->module_config, &s3up_module);
}

/* Reads a secret file at config time (as root). The message names the
 * file, never its contents. */
static const char *read_secret(const char **out, cmd_parms *cmd, const char *path)
{
    apr_status_t rv = s3up_creds_read_secret_file(out, path, cmd->pool);

    if (rv == APR_EINVAL) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is empty (or not a text file); it must hold "
                            "the secret",
                            cmd->cmd->name, path);
    }
    if (rv == S3UP_ETOOBIG) {
        return apr_psprintf(cmd->pool, "%s: '%s' is larger than %d bytes; is it the right file?",
                            cmd->cmd->name, path, S3UP_CREDS_SECRET_FILE_MAX);
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: cannot read '%s': %s", cmd->cmd->name, path,
                            s3up_strerror(rv, cmd->pool));
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * setters
 */

#define FAIL(cmd, reason) apr_pstrcat((cmd)->pool, (cmd)->cmd->name, ": ", (reason), NULL)

/* Server-wide directives are accepted in sections by the table only so
 * that this check can say where they belong (httpd's own wording varies
 * between versions). */
static const char *server_only(cmd_parms *cmd)
{
    if (ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name,
                           " is server-wide: it cannot be set in <Location>, <Directory>, "
                           "<Files> or <If>; put it in the server config or a <VirtualHost>",
                           NULL);
    }
    return NULL;
}

static const char *s3up_cmd_bucket_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;
    const char *err = s3up_values_bucket(arg, cmd->pool);

    if (err) {
        return FAIL(cmd, err);
    }
    dc->bucket = arg;
    return NULL;
}

static const char *s3up_cmd_region_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;
    const char *err = s3up_values_region(arg, cmd->pool);

    if (err) {
        return FAIL(cmd, err);
    }
    dc->region = arg;
    return NULL;
}

static const char *s3up_cmd_s3_server_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;
    const char *err = s3up_values_server_url(&dc->s3_server, arg, cmd->pool);

    return err ? FAIL(cmd, err) : NULL;
}

static const char *s3up_cmd_path_style_set(cmd_parms *cmd, void *dcv, int flag)
{
    s3up_dir_conf_t *dc = dcv;

    (void)cmd;
    dc->path_style = flag;
    return NULL;
}

static const char *s3up_cmd_creds_source_set(cmd_parms *cmd, void *dcv, const char *source,
                                             const char *name)
{
    s3up_dir_conf_t *dc = dcv;
    int takes_name = !strcasecmp(source, "profile");

    if (takes_name && !name) {
        return FAIL(cmd, "'profile' needs a profile name: S3UpCredentials profile NAME");
    }
    if (!takes_name && name) {
        return FAIL(cmd, apr_psprintf(cmd->pool, "'%s' takes no argument", source));
    }
    if (!strcasecmp(source, "chain")) {
        dc->creds_source = S3UP_CREDS_CHAIN;
    } else if (!strcasecmp(source, "static")) {
        dc->creds_source = S3UP_CREDS_STATIC;
    } else if (!strcasecmp(source, "env")) {
        dc->creds_source = S3UP_CREDS_ENV;
    } else if (takes_name || !strcasecmp(source, "web-identity") || !strcasecmp(source, "ecs") ||
               !strcasecmp(source, "imds")) {
        return FAIL(cmd, apr_psprintf(cmd->pool,
                                      "'%s' is not supported yet by this version of mod_s3up; "
                                      "use static (S3UpAccessKey + S3UpSecretKeyFile), env or "
                                      "chain",
                                      source));
    } else {
        return FAIL(cmd, apr_psprintf(cmd->pool,
                                      "unknown source '%s'; use chain, static, env, "
                                      "profile NAME, web-identity, ecs or imds",
                                      source));
    }
    return NULL;
}

static const char *s3up_cmd_access_key_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;

    if (!*arg || strlen(arg) > 128 || s3up_values_blank(arg)) {
        return FAIL(cmd, "not an access key id (1 to 128 characters, no spaces)");
    }
    dc->access_key = arg;
    return NULL;
}

static const char *s3up_cmd_secret_key_file_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;
    const char *path = ap_server_root_relative(cmd->pool, arg), *secret, *err;
    s3up_creds_t *probe;

    if (!path) {
        return FAIL(cmd, apr_psprintf(cmd->pool, "'%s' is not a valid path", arg));
    }
    if ((err = read_secret(&secret, cmd, path))) {
        return err;
    }
    if (s3up_creds_static(&probe, "probe", secret, cmd->pool) != APR_SUCCESS) {
        return FAIL(cmd, apr_psprintf(cmd->pool,
                                      "'%s' holds spaces or control characters inside the "
                                      "key; it must hold the secret access key only",
                                      path));
    }
    dc->secret_key_file = path;
    dc->secret_key = secret;
    return NULL;
}

static const char *s3up_cmd_prefix_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;
    const char *prefix, *err = s3up_values_prefix(&prefix, arg, cmd->pool);

    if (err) {
        return FAIL(cmd, err);
    }
    if (dc->state_prefix &&
        (err = s3up_values_prefixes_apart(prefix, dc->state_prefix, cmd->pool))) {
        return FAIL(cmd, err);
    }
    dc->prefix = prefix;
    return NULL;
}

static const char *s3up_cmd_state_prefix_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;
    const char *prefix, *err = s3up_values_prefix(&prefix, arg, cmd->pool);

    if (err) {
        return FAIL(cmd, err);
    }
    if (dc->prefix && (err = s3up_values_prefixes_apart(dc->prefix, prefix, cmd->pool))) {
        return FAIL(cmd, err);
    }
    dc->state_prefix = prefix;
    return NULL;
}

static const char *s3up_cmd_part_size_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;
    apr_off_t size = 0;
    const char *err = s3up_values_size(&size, arg, cmd->pool);

    if (err) {
        return FAIL(cmd, err);
    }
    if (size < S3UP_PART_SIZE_MIN || size > S3UP_PART_SIZE_MAX) {
        return FAIL(cmd, apr_psprintf(cmd->pool, "'%s' is outside S3's part sizes, 5M to 5G", arg));
    }
    dc->part_size = size;
    return NULL;
}

static const char *s3up_cmd_max_file_size_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;
    apr_off_t size = 0;
    const char *err = s3up_values_size(&size, arg, cmd->pool);

    if (err) {
        return FAIL(cmd, err);
    }
    if (size < 1 || size > S3UP_OBJECT_SIZE_MAX) {
        return FAIL(
            cmd, apr_psprintf(cmd->pool, "'%s' is outside 1 byte to 5T, S3's largest object", arg));
    }
    dc->max_file_size = size;
    return NULL;
}

/* A duration within [lo, hi], or the message saying why not. */
static const char *duration_in(apr_interval_time_t *out, cmd_parms *cmd, const char *arg,
                               apr_interval_time_t lo, apr_interval_time_t hi, const char *why)
{
    apr_interval_time_t t = 0;
    const char *err = s3up_values_duration(&t, arg, cmd->pool);

    if (err) {
        return FAIL(cmd, err);
    }
    if (t < lo || t > hi) {
        return FAIL(cmd, apr_psprintf(cmd->pool, "'%s' is outside %s to %s%s", arg,
                                      s3up_values_duration_text(lo, cmd->pool),
                                      s3up_values_duration_text(hi, cmd->pool), why));
    }
    *out = t;
    return NULL;
}

static const char *s3up_cmd_presign_expires_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;

    return duration_in(&dc->presign_expires, cmd, arg, SECS(1), PRESIGN_MAX,
                       " (S3 refuses presigned URLs valid longer than 7 days)");
}

static const char *s3up_cmd_share_max_expires_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;

    return duration_in(&dc->share_max_expires, cmd, arg, SECS(1), PRESIGN_MAX,
                       " (S3 refuses presigned URLs valid longer than 7 days)");
}

static const char *s3up_cmd_user_claim_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;

    if (!*arg || strlen(arg) > 128 || s3up_values_blank(arg)) {
        return FAIL(cmd, "not a claim name (like email or preferred_username)");
    }
    dc->user_claim = arg;
    return NULL;
}

static const char *s3up_cmd_claim_prefix_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;
    const char *c;

    /* Empty is allowed: mod_auth_openidc's OIDCClaimPrefix may be "". */
    for (c = arg; *c; c++) {
        if (!(apr_isalnum(*c) || *c == '_' || *c == '-')) {
            return FAIL(cmd, apr_psprintf(cmd->pool,
                                          "'%s' is not an environment variable prefix "
                                          "(letters, digits, '_' and '-')",
                                          arg));
        }
    }
    dc->claim_prefix = arg;
    return NULL;
}

static const char *s3up_cmd_upload_mode_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;

    if (!strcasecmp(arg, "direct")) {
        dc->upload_mode = S3UP_MODE_DIRECT;
    } else if (!strcasecmp(arg, "proxy")) {
        dc->upload_mode = S3UP_MODE_PROXY;
    } else {
        return FAIL(cmd, apr_psprintf(cmd->pool, "'%s' is neither direct nor proxy", arg));
    }
    return NULL;
}

static const char *s3up_cmd_parts_in_flight_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;
    char *end;
    long n = strtol(arg, &end, 10);

    if (!apr_isdigit(*arg) || *end || n < 1 || n > 32) {
        return FAIL(cmd, apr_psprintf(cmd->pool, "'%s' is not a number from 1 to 32", arg));
    }
    dc->parts_in_flight = (int)n;
    return NULL;
}

static const char *s3up_cmd_max_unfinished_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;
    char *end;
    long n = strtol(arg, &end, 10);

    if (!apr_isdigit(*arg) || *end || n < 1 || n > 10000) {
        return FAIL(cmd, apr_psprintf(cmd->pool, "'%s' is not a number from 1 to 10000", arg));
    }
    dc->max_unfinished = (int)n;
    return NULL;
}

static const char *s3up_cmd_secret_file_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_srv_conf_t *sc = s3up_conf_srv(cmd->server);
    const char *path, *secret, *err;

    (void)dcv;
    if ((err = server_only(cmd))) {
        return err;
    }
    if (!(path = ap_server_root_relative(cmd->pool, arg))) {
        return FAIL(cmd, apr_psprintf(cmd->pool, "'%s' is not a valid path", arg));
    }
    if ((err = read_secret(&secret, cmd, path))) {
        return err;
    }
    if (strlen(secret) < S3UP_SECRET_MIN_LEN) {
        return FAIL(cmd, apr_psprintf(cmd->pool,
                                      "'%s' holds fewer than %d characters; make one with "
                                      "`openssl rand -hex 32 > %s`",
                                      path, S3UP_SECRET_MIN_LEN, path));
    }
    sc->secret_file = path;
    sc->secret = secret;
    return NULL;
}

static const char *s3up_cmd_cache_ttl_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_srv_conf_t *sc = s3up_conf_srv(cmd->server);
    const char *err;

    (void)dcv;
    if ((err = server_only(cmd))) {
        return err;
    }
    return duration_in(&sc->cache_ttl, cmd, arg, 0, CACHE_TTL_MAX,
                       " (longer would hide revoked endpoints for too long)");
}

static const char *s3up_cmd_cognito_user_pool_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_srv_conf_t *sc = s3up_conf_srv(cmd->server);
    const char *err, *u = strchr(arg, '_'), *c;
    int ok = u && u > arg && u[1] && strlen(arg) <= 55;

    (void)dcv;
    if ((err = server_only(cmd))) {
        return err;
    }
    /* AWS's pattern: [\w-]+_[0-9a-zA-Z]+ (REGION_ID, like eu-west-1_AbC123). */
    for (c = arg; ok && c < u; c++) {
        ok = apr_isalnum(*c) || *c == '_' || *c == '-';
    }
    for (c = u ? u + 1 : arg; ok && *c; c++) {
        ok = apr_isalnum(*c);
    }
    if (!ok) {
        return FAIL(cmd, apr_psprintf(cmd->pool,
                                      "'%s' is not a user pool id (like eu-west-1_AbC123)", arg));
    }
    sc->cognito_user_pool = arg;
    return NULL;
}

static const char *s3up_cmd_cognito_server_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_srv_conf_t *sc = s3up_conf_srv(cmd->server);
    const char *err;

    (void)dcv;
    if ((err = server_only(cmd))) {
        return err;
    }
    err = s3up_values_server_url(&sc->cognito_server, arg, cmd->pool);
    return err ? FAIL(cmd, err) : NULL;
}

static const char *s3up_cmd_document_root_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_srv_conf_t *sc = s3up_conf_srv(cmd->server);
    const char *err, *path = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t fi;

    (void)dcv;
    if ((err = server_only(cmd))) {
        return err;
    }
    if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS ||
        fi.filetype != APR_DIR) {
        return FAIL(cmd, apr_psprintf(cmd->pool, "'%s' is not a directory", arg));
    }
    sc->document_root = path;
    return NULL;
}

static const char *s3up_cmd_portal_url_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_srv_conf_t *sc = s3up_conf_srv(cmd->server);
    const char *err;

    (void)dcv;
    if ((err = server_only(cmd))) {
        return err;
    }
    if ((err = s3up_values_url_or_path(arg, cmd->pool))) {
        return FAIL(cmd, err);
    }
    sc->portal_url = arg;
    return NULL;
}

static const char *s3up_cmd_link_url_set(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_srv_conf_t *sc = s3up_conf_srv(cmd->server);
    char *url;
    const char *err;
    apr_size_t len;

    (void)dcv;
    if ((err = server_only(cmd))) {
        return err;
    }
    if ((err = s3up_values_url_or_path(arg, cmd->pool))) {
        return FAIL(cmd, err);
    }
    /* Links are S3UpLinkURL/{token}: keep exactly one slash between. */
    url = apr_pstrdup(cmd->pool, arg);
    for (len = strlen(url); len > 1 && url[len - 1] == '/'; len--) {
        url[len - 1] = '\0';
    }
    sc->link_url = url;
    return NULL;
}

/* ------------------------------------------------------------------------
 * the directive table
 */

/* Server and <Location>/<Directory>, never .htaccess: a bucket or a key is
 * the server admin's choice. */
#define WHERE_DIR RSRC_CONF | ACCESS_CONF
/* Server-wide ones are also accepted in sections by the table so that
 * server_only() can refuse them with a message saying where they belong;
 * their setters ignore the directory config they are handed. */
#define WHERE_SRV RSRC_CONF | ACCESS_CONF

const command_rec s3up_cmds[] = {
    AP_INIT_TAKE1("S3UpBucket", s3up_cmd_bucket_set, NULL, WHERE_DIR,
                  "the S3 bucket uploads and state go to"),
    AP_INIT_TAKE1("S3UpRegion", s3up_cmd_region_set, NULL, WHERE_DIR,
                  "the region requests are signed for (default us-east-1)"),
    AP_INIT_TAKE1("S3UpEndpoint", s3up_cmd_s3_server_set, NULL, WHERE_DIR,
                  "the S3 server, an http(s) URL without path (default "
                  "https://s3.REGION.amazonaws.com)"),
    AP_INIT_FLAG("S3UpPathStyle", s3up_cmd_path_style_set, NULL, WHERE_DIR,
                 "On: https://host/bucket/key; Off: https://bucket.host/key (default Off for AWS, "
                 "On for a custom endpoint)"),
    AP_INIT_TAKE12("S3UpCredentials", s3up_cmd_creds_source_set, NULL, WHERE_DIR,
                   "where credentials come from: chain (default), static, env, profile NAME, "
                   "web-identity, ecs or imds"),
    AP_INIT_TAKE1("S3UpAccessKey", s3up_cmd_access_key_set, NULL, WHERE_DIR,
                  "the access key id for static credentials"),
    AP_INIT_TAKE1("S3UpSecretKeyFile", s3up_cmd_secret_key_file_set, NULL, WHERE_DIR,
                  "a file holding the secret access key (read at startup, may be root-only)"),
    AP_INIT_TAKE1("S3UpPrefix", s3up_cmd_prefix_set, NULL, WHERE_DIR,
                  "key prefix of received files (default uploads/)"),
    AP_INIT_TAKE1("S3UpStatePrefix", s3up_cmd_state_prefix_set, NULL, WHERE_DIR,
                  "key prefix of endpoint and link records, outside S3UpPrefix (default .s3up/)"),
    AP_INIT_TAKE1("S3UpPartSize", s3up_cmd_part_size_set, NULL, WHERE_DIR,
                  "multipart part size, 5M to 5G (default 64M; grows to stay within 10,000 "
                  "parts)"),
    AP_INIT_TAKE1("S3UpMaxFileSize", s3up_cmd_max_file_size_set, NULL, WHERE_DIR,
                  "largest file accepted, up to 5T (default 5T)"),
    AP_INIT_TAKE1("S3UpPresignExpires", s3up_cmd_presign_expires_set, NULL, WHERE_DIR,
                  "lifetime of presigned part URLs, 1s to 7d (default 1h)"),
    AP_INIT_TAKE1("S3UpShareMaxExpires", s3up_cmd_share_max_expires_set, NULL, WHERE_DIR,
                  "longest share link an admin may make, up to 7d (default 7d)"),
    AP_INIT_TAKE1("S3UpUserClaim", s3up_cmd_user_claim_set, NULL, WHERE_DIR,
                  "claim naming the signed-in person (default REMOTE_USER)"),
    AP_INIT_TAKE1("S3UpClaimPrefix", s3up_cmd_claim_prefix_set, NULL, WHERE_DIR,
                  "prefix of claims in the environment (default OIDC_CLAIM_)"),
    AP_INIT_TAKE1("S3UpPartsInFlight", s3up_cmd_parts_in_flight_set, NULL, WHERE_DIR,
                  "how many parts of one file the portal sends at once (default 4)"),
    AP_INIT_TAKE1("S3UpMaxUnfinished", s3up_cmd_max_unfinished_set, NULL, WHERE_DIR,
                  "unfinished uploads one person or link may hold in an endpoint (default 100)"),
    AP_INIT_TAKE1("S3UpUploadMode", s3up_cmd_upload_mode_set, NULL, WHERE_DIR,
                  "direct: browsers PUT parts to S3; proxy: through httpd (default direct)"),
    AP_INIT_TAKE1("S3UpSecretFile", s3up_cmd_secret_file_set, NULL, WHERE_SRV,
                  "a file holding the HMAC key for link cookies and proxy tokens (server-wide)"),
    AP_INIT_TAKE1("S3UpCacheTTL", s3up_cmd_cache_ttl_set, NULL, WHERE_SRV,
                  "how long a record read from the bucket is trusted (default 30s; "
                  "server-wide)"),
    AP_INIT_TAKE1("S3UpCognitoUserPool", s3up_cmd_cognito_user_pool_set, NULL, WHERE_SRV,
                  "Cognito user pool id for creating customer accounts (server-wide)"),
    AP_INIT_TAKE1("S3UpCognitoEndpoint", s3up_cmd_cognito_server_set, NULL, WHERE_SRV,
                  "the Cognito API, an http(s) URL without path (default "
                  "https://cognito-idp.REGION.amazonaws.com; server-wide)"),
    AP_INIT_TAKE1("S3UpDocumentRoot", s3up_cmd_document_root_set, NULL, WHERE_SRV,
                  "directory of the portal pages (server-wide)"),
    AP_INIT_TAKE1("S3UpPortalURL", s3up_cmd_portal_url_set, NULL, WHERE_SRV,
                  "the customer portal's address, a URL or a path (server-wide)"),
    AP_INIT_TAKE1("S3UpLinkURL", s3up_cmd_link_url_set, NULL, WHERE_SRV,
                  "the s3up-drop location's address; links are S3UpLinkURL/{token} "
                  "(server-wide)"),
    {NULL},
};

/* ------------------------------------------------------------------------
 * getters
 */

const char *s3up_conf_bucket(const s3up_dir_conf_t *dc)
{
    return dc->bucket;
}

const char *s3up_conf_region(const s3up_dir_conf_t *dc)
{
    return dc->region ? dc->region : S3UP_DEFAULT_REGION;
}

const char *s3up_conf_s3_server(const s3up_dir_conf_t *dc, apr_pool_t *p)
{
    if (dc->s3_server) {
        return dc->s3_server;
    }
    return apr_pstrcat(p, "https://s3.", s3up_conf_region(dc), ".amazonaws.com", NULL);
}

/* AWS wants virtual-hosted style; other stores (RGW, MinIO on an address)
 * usually have no wildcard DNS for bucket host names. */
static int server_is_aws(const char *endpoint)
{
    const char *suffix = ".amazonaws.com";
    const char *host = strstr(endpoint, "://") + 3;
    apr_size_t len = strcspn(host, ":"), n = strlen(suffix);

    return len > n && !strncasecmp(host + len - n, suffix, n);
}

int s3up_conf_path_style(const s3up_dir_conf_t *dc)
{
    if (dc->path_style != S3UP_CONF_UNSET) {
        return dc->path_style;
    }
    return dc->s3_server && !server_is_aws(dc->s3_server);
}

s3up_creds_source_e s3up_conf_creds_source(const s3up_dir_conf_t *dc)
{
    return dc->creds_source != S3UP_CONF_UNSET ? dc->creds_source : S3UP_CREDS_CHAIN;
}

const char *s3up_conf_prefix(const s3up_dir_conf_t *dc)
{
    return dc->prefix ? dc->prefix : S3UP_DEFAULT_PREFIX;
}

const char *s3up_conf_state_prefix(const s3up_dir_conf_t *dc)
{
    return dc->state_prefix ? dc->state_prefix : S3UP_DEFAULT_STATE_PREFIX;
}

apr_off_t s3up_conf_part_size(const s3up_dir_conf_t *dc)
{
    return dc->part_size != S3UP_CONF_UNSET ? dc->part_size : S3UP_DEFAULT_PART_SIZE;
}

apr_off_t s3up_conf_max_file_size(const s3up_dir_conf_t *dc)
{
    return dc->max_file_size != S3UP_CONF_UNSET ? dc->max_file_size : S3UP_OBJECT_SIZE_MAX;
}

apr_interval_time_t s3up_conf_presign_expires(const s3up_dir_conf_t *dc)
{
    return dc->presign_expires != S3UP_CONF_UNSET ? dc->presign_expires
                                                  : S3UP_DEFAULT_PRESIGN_EXPIRES;
}

apr_interval_time_t s3up_conf_share_max_expires(const s3up_dir_conf_t *dc)
{
    return dc->share_max_expires != S3UP_CONF_UNSET ? dc->share_max_expires
                                                    : S3UP_DEFAULT_SHARE_MAX;
}

const char *s3up_conf_user_claim(const s3up_dir_conf_t *dc)
{
    return dc->user_claim ? dc->user_claim : S3UP_DEFAULT_USER_CLAIM;
}

const char *s3up_conf_claim_prefix(const s3up_dir_conf_t *dc)
{
    return dc->claim_prefix ? dc->claim_prefix : S3UP_DEFAULT_CLAIM_PREFIX;
}

int s3up_conf_parts_in_flight(const s3up_dir_conf_t *dc)
{
    return dc->parts_in_flight != S3UP_CONF_UNSET ? dc->parts_in_flight : 4;
}

int s3up_conf_max_unfinished(const s3up_dir_conf_t *dc)
{
    return dc->max_unfinished != S3UP_CONF_UNSET ? dc->max_unfinished : S3UP_DEFAULT_MAX_UNFINISHED;
}

s3up_upload_mode_e s3up_conf_upload_mode(const s3up_dir_conf_t *dc)
{
    return dc->upload_mode != S3UP_CONF_UNSET ? dc->upload_mode : S3UP_MODE_DIRECT;
}

const char *s3up_conf_secret(const s3up_srv_conf_t *sc)
{
    return sc->secret;
}

apr_interval_time_t s3up_conf_cache_ttl(const s3up_srv_conf_t *sc)
{
    return sc->cache_ttl != S3UP_CONF_UNSET ? sc->cache_ttl : S3UP_DEFAULT_CACHE_TTL;
}

const char *s3up_conf_cognito_user_pool(const s3up_srv_conf_t *sc)
{
    return sc->cognito_user_pool;
}

const char *s3up_conf_cognito_server(const s3up_srv_conf_t *sc)
{
    return sc->cognito_server;
}

const char *s3up_conf_document_root(const s3up_srv_conf_t *sc)
{
    return sc->document_root ? sc->document_root : S3UP_DEFAULT_DOCUMENT_ROOT;
}

const char *s3up_conf_portal_url(const s3up_srv_conf_t *sc)
{
    return sc->portal_url;
}

const char *s3up_conf_link_url(const s3up_srv_conf_t *sc)
{
    return sc->link_url;
}

/* ------------------------------------------------------------------------
 * checks of a merged location
 */

static const char *static_creds(s3up_creds_t **creds, const s3up_dir_conf_t *dc, const char *why,
                                apr_pool_t *p)
{
    if (!dc->access_key || !dc->secret_key) {
        return apr_psprintf(p,
                            "%s needs both S3UpAccessKey and S3UpSecretKeyFile, but %s is not "
                            "set",
                            why, dc->access_key ? "S3UpSecretKeyFile" : "S3UpAccessKey");
    }
    if (s3up_creds_static(creds, dc->access_key, dc->secret_key, p) != APR_SUCCESS) {
        return apr_psprintf(p, "%s: S3UpAccessKey or S3UpSecretKeyFile is not usable", why);
    }
    return NULL;
}

const char *s3up_conf_creds(s3up_creds_t **creds, const s3up_dir_conf_t *dc, apr_pool_t *p)
{
    *creds = NULL;
    switch (s3up_conf_creds_source(dc)) {
    case S3UP_CREDS_STATIC:
        return static_creds(creds, dc, "S3UpCredentials static", p);
    case S3UP_CREDS_ENV:
        if (s3up_creds_from_env(creds, p) != APR_SUCCESS) {
            return "S3UpCredentials env: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both "
                   "set in httpd's environment";
        }
        return NULL;
    case S3UP_CREDS_CHAIN:
        if (dc->access_key || dc->secret_key) {
            return static_creds(creds, dc, "S3UpCredentials chain with static keys", p);
        }
        if (s3up_creds_from_env(creds, p) != APR_SUCCESS) {
            return "no S3 credentials: set S3UpAccessKey and S3UpSecretKeyFile, or "
                   "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in httpd's environment "
                   "(S3UpCredentials chain)";
        }
        return NULL;
    }
    return "S3UpCredentials: unknown source";
}

const char *s3up_conf_check_location(const s3up_dir_conf_t *merged, const s3up_dir_conf_t *own,
                                     const s3up_srv_conf_t *sc, const char *handler, apr_pool_t *p)
{
    s3up_creds_t *creds;
    const char *err;
    int drop = !strcmp(handler, "s3up-drop");

    if (own && !own->access_key != !own->secret_key_file) {
        /* Merged field by field, a key from here and a secret from the
         * server would never match: they go together. */
        return apr_psprintf(p, "%s is set here without %s: set both in the same section",
                            own->access_key ? "S3UpAccessKey" : "S3UpSecretKeyFile",
                            own->access_key ? "S3UpSecretKeyFile" : "S3UpAccessKey");
    }
    if (!merged->bucket) {
        return apr_psprintf(p, "S3UpBucket is not set; SetHandler %s needs a bucket", handler);
    }
    if ((err = s3up_conf_creds(&creds, merged, p))) {
        return err;
    }
    if ((err = s3up_values_prefixes_apart(s3up_conf_prefix(merged), s3up_conf_state_prefix(merged),
                                          p))) {
        return err;
    }
    if (!sc->secret && drop) {
        return "S3UpSecretFile is not set; SetHandler s3up-drop needs it to sign link cookies";
    }
    if (!sc->secret && s3up_conf_upload_mode(merged) == S3UP_MODE_PROXY) {
        return apr_psprintf(p,
                            "S3UpSecretFile is not set; S3UpUploadMode proxy needs it to sign "
                            "part tokens (SetHandler %s)",
                            handler);
    }
    return NULL;
}
