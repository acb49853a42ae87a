/*
 * mod_s3up configuration: one setter per directive (validating, so that
 * `apachectl configtest` names the bad directive), create with unset
 * markers, one merge line per field, defaults in the getters.
 */
#include <errno.h>

#include <apr_hash.h>
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

/* ------------------------------------------------------------------------
 * create / merge, from the field lists
 */

/* pcalloc leaves every pointer NULL, which is "unset"; numbers need their
 * marker because 0 can be a configured value. */
#define UNSET_PTR(f)
#define UNSET_NUM(f) c->f = S3UP_CONF_UNSET;
#define UNSET(kind, type, f, directive) UNSET_##kind(f)

#define MERGE_PTR(f) n->f = add->f ? add->f : base->f;
#define MERGE_NUM(f) n->f = add->f != S3UP_CONF_UNSET ? add->f : base->f;
#define MERGE(kind, type, f, directive) MERGE_##kind(f)

/* s3up_conf_create_dir/_srv and s3up_conf_merge_dir/_srv. */
#define CREATE_AND_MERGE(name, conf_t, FIELDS, where_t)                                            \
    void *s3up_conf_create_##name(apr_pool_t *p, where_t where)                                    \
    {                                                                                              \
        conf_t *c = apr_pcalloc(p, sizeof(*c));                                                    \
        (void)where;                                                                               \
        FIELDS(UNSET)                                                                              \
        return c;                                                                                  \
    }                                                                                              \
    void *s3up_conf_merge_##name(apr_pool_t *p, void *basev, void *addv)                           \
    {                                                                                              \
        const conf_t *base = basev, *add = addv;                                                   \
        conf_t *n = apr_pcalloc(p, sizeof(*n));                                                    \
        FIELDS(MERGE)                                                                              \
        return n;                                                                                  \
    }

CREATE_AND_MERGE(dir, s3up_dir_conf_t, S3UP_DIR_FIELDS, char *)
CREATE_AND_MERGE(srv, s3up_srv_conf_t, S3UP_SRV_FIELDS, server_rec *)

s3up_srv_conf_t *s3up_conf_srv(server_rec *s)
{
    return ap_get_module_config(s->module_config, &s3up_module);
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

/* What most directives set, and how the value is checked: httpd hands it
 * to the setter as cmd->info, as it does to its own ap_set_*_slot. */
typedef enum { WORD, SIZE, DURATION, COUNT } slot_kind_e;

typedef struct {
    slot_kind_e kind;
    int server_wide;             /* the field is s3up_srv_conf_t's */
    apr_size_t offset;           /* of the field */
    s3up_values_check_fn *check; /* WORD */
    apr_int64_t lo, hi;          /* the others: the range taken */
    const char *range;           /* how messages say that range */
} slot_t;

#define DIR_SLOT(kind, field, ...)                                                                 \
    (&(slot_t){kind, 0, APR_OFFSETOF(s3up_dir_conf_t, field), __VA_ARGS__})
#define SRV_SLOT(kind, field, ...)                                                                 \
    (&(slot_t){kind, 1, APR_OFFSETOF(s3up_srv_conf_t, field), __VA_ARGS__})

static const char *set_slot(cmd_parms *cmd, void *dcv, const char *arg)
{
    const slot_t *s = cmd->info;
    char *conf = dcv;
    apr_int64_t n = 0;
    const char *word, *err = NULL;

    if (s->server_wide) {
        if ((err = server_only(cmd))) {
            return err;
        }
        conf = (char *)s3up_conf_srv(cmd->server);
    }
    switch (s->kind) {
    case WORD:
        if ((err = s->check(&word, arg, cmd->pool))) {
            return FAIL(cmd, err);
        }
        *(const char **)(conf + s->offset) = word;
        return NULL;
    case SIZE:
        err = s3up_values_size(&n, arg, cmd->pool);
        break;
    case DURATION:
        err = s3up_values_duration(&n, arg, cmd->pool);
        break;
    case COUNT:
        err = s3up_values_count(&n, arg, cmd->pool);
        break;
    }
    if (!err && (n < s->lo || n > s->hi)) {
        err = apr_psprintf(cmd->pool, "'%s' is outside %s", arg, s->range);
    }
    if (err) {
        return FAIL(cmd, err);
    }
    if (s->kind == SIZE) {
        *(apr_off_t *)(conf + s->offset) = (apr_off_t)n;
    } else if (s->kind == DURATION) {
        *(apr_interval_time_t *)(conf + s->offset) = n;
    } else {
        *(int *)(conf + s->offset) = (int)n;
    }
    return NULL;
}

/* Reads a secret file at config time (as root) into *secret; *path is the
 * file's full name. The message names the file, never its contents. */
static const char *read_secret(const char **path, const char **secret, cmd_parms *cmd,
                               const char *arg)
{
    apr_status_t rv;

    if (!(*path = ap_server_root_relative(cmd->pool, arg))) {
        return FAIL(cmd, apr_psprintf(cmd->pool, "'%s' is not a valid path", arg));
    }
    rv = s3up_creds_read_secret_file(secret, *path, cmd->pool);
    if (rv == APR_EINVAL) {
        return FAIL(cmd, apr_psprintf(cmd->pool,
                                      "'%s' is empty (or not a text file); it must hold the "
                                      "secret",
                                      *path));
    }
    if (rv == S3UP_ETOOBIG) {
        return FAIL(cmd,
                    apr_psprintf(cmd->pool, "'%s' is larger than %d bytes; is it the right file?",
                                 *path, S3UP_CREDS_SECRET_FILE_MAX));
    }
    if (rv != APR_SUCCESS) {
        return FAIL(cmd, apr_psprintf(cmd->pool, "cannot read '%s': %s", *path,
                                      s3up_strerror(rv, cmd->pool)));
    }
    return NULL;
}

static const char *set_path_style(cmd_parms *cmd, void *dcv, int flag)
{
    (void)cmd;
    ((s3up_dir_conf_t *)dcv)->path_style = flag;
    return NULL;
}

static const char *set_creds_source(cmd_parms *cmd, void *dcv, const char *source, const char *name)
{
    s3up_dir_conf_t *dc = dcv;
    s3up_creds_source_e which;

    if (s3up_creds_source_parse(&which, source) != APR_SUCCESS) {
        return FAIL(cmd, apr_psprintf(cmd->pool,
                                      "unknown source '%s'; use chain, static, env, "
                                      "profile NAME, web-identity, ecs or imds",
                                      source));
    }
    if (which == S3UP_CREDS_PROFILE && !name) {
        return FAIL(cmd, "'profile' needs a profile name: S3UpCredentials profile NAME");
    }
    if (which != S3UP_CREDS_PROFILE && name) {
        return FAIL(cmd, apr_psprintf(cmd->pool, "'%s' takes no argument", source));
    }
    dc->creds_source = which;
    /* Set by every S3UpCredentials, so that both merge as one. */
    dc->creds_profile = name ? name : "";
    return NULL;
}

static const char *set_secret_key_file(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;
    const char *path, *secret, *err = read_secret(&path, &secret, cmd, arg);
    s3up_creds_t *probe;

    if (err) {
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

/* S3UpPrefix and S3UpStatePrefix: each is checked against the other when
 * that one is already set here (and again once merged). */
static const char *set_prefix(cmd_parms *cmd, void *dcv, const char *arg)
{
    s3up_dir_conf_t *dc = dcv;
    const slot_t *s = cmd->info;
    int state = s->offset == APR_OFFSETOF(s3up_dir_conf_t, state_prefix);
    const char *prefix, *err = s3up_values_prefix(&prefix, arg, cmd->pool);

    if (!err && (state ? dc->prefix : dc->state_prefix)) {
        err = s3up_values_prefixes_apart(state ? dc->prefix : prefix,
                                         state ? prefix : dc->state_prefix, cmd->pool);
    }
    if (err) {
        return FAIL(cmd, err);
    }
    *(state ? &dc->state_prefix : &dc->prefix) = prefix;
    return NULL;
}

static const char *set_sse(cmd_parms *cmd, void *dcv, const char *mode, const char *key)
{
    s3up_dir_conf_t *dc = dcv;
    const char *err = NULL;

    if (!strcmp(mode, "AES256") && key) {
        err = "AES256 takes no key (S3 manages it); for a KMS key use aws:kms KEY_ID";
    } else if (!strcmp(mode, "aws:kms")) {
        err = key ? s3up_values_kms_key(&key, key, cmd->pool) : NULL;
    } else if (strcmp(mode, "AES256")) {
        err = apr_psprintf(cmd->pool, "'%s' is neither AES256 nor aws:kms", mode);
    }
    if (err) {
        return FAIL(cmd, err);
    }
    dc->sse = mode;
    dc->sse_kms_key = key ? key : ""; /* set, so a key from above is not merged in */
    return NULL;
}

static const char *set_upload_mode(cmd_parms *cmd, void *dcv, const char *arg)
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

/* An HMAC key file (S3UpSecretFile, S3UpNotifySecretFile): its path and
 * contents go to the fields the table names (offsets in s3up_srv_conf_t). */
typedef struct {
    apr_size_t file, secret;
} key_slot_t;

static const char *set_key_file(cmd_parms *cmd, void *dcv, const char *arg)
{
    const key_slot_t *k = cmd->info;
    char *sc = (char *)s3up_conf_srv(cmd->server);
    const char *path, *secret, *err;

    (void)dcv;
    if ((err = server_only(cmd)) || (err = read_secret(&path, &secret, cmd, arg))) {
        return err;
    }
    if (strlen(secret) < S3UP_SECRET_MIN_LEN) {
        return FAIL(cmd, apr_psprintf(cmd->pool,
                                      "'%s' holds fewer than %d characters; make one with "
                                      "`openssl rand -hex 32 > %s`",
                                      path, S3UP_SECRET_MIN_LEN, path));
    }
    *(const char **)(sc + k->file) = path;
    *(const char **)(sc + k->secret) = secret;
    return NULL;
}

#define KEY_SLOT(file_field, secret_field)                                                         \
    (&(key_slot_t){APR_OFFSETOF(s3up_srv_conf_t, file_field),                                      \
                   APR_OFFSETOF(s3up_srv_conf_t, secret_field)})

static const char *set_document_root(cmd_parms *cmd, void *dcv, const char *arg)
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

#define SECS(n) ((apr_int64_t)apr_time_from_sec(n))
#define PRESIGN_RANGE "1s to 7d (S3 refuses presigned URLs valid longer than 7 days)"

/* Directives that set one field: a word a check takes, or a number (SIZE,
 * DURATION, COUNT) within [l, h], which messages call r. */
#define DIR_WORD(name, field, chk, help)                                                           \
    AP_INIT_TAKE1(name, set_slot, DIR_SLOT(WORD, field, .check = chk), WHERE_DIR, help)
#define SRV_WORD(name, field, chk, help)                                                           \
    AP_INIT_TAKE1(name, set_slot, SRV_SLOT(WORD, field, .check = chk), WHERE_SRV, help)
#define DIR_NUMBER(name, kind, field, l, h, r, help)                                               \
    AP_INIT_TAKE1(name, set_slot, DIR_SLOT(kind, field, .lo = l, .hi = h, .range = r), WHERE_DIR,  \
                  help)

const command_rec s3up_cmds[] = {
    DIR_WORD("S3UpBucket", bucket, s3up_values_bucket, "the S3 bucket uploads and state go to"),
    DIR_WORD("S3UpRegion", region, s3up_values_region,
             "the region requests are signed for (default us-east-1)"),
    DIR_WORD(
        "S3UpEndpoint", s3_server, s3up_values_server_url,
        "the S3 server, an http(s) URL without path (default https://s3.REGION.amazonaws.com)"),
    AP_INIT_FLAG("S3UpPathStyle", set_path_style, NULL, WHERE_DIR,
                 "On: https://host/bucket/key; Off: https://bucket.host/key (default Off for AWS, "
                 "On for another S3 server)"),
    AP_INIT_TAKE12("S3UpCredentials", set_creds_source, NULL, WHERE_DIR,
                   "where credentials come from: chain (default), static, env, profile NAME, "
                   "web-identity, ecs or imds"),
    DIR_WORD("S3UpAccessKey", access_key, s3up_values_access_key,
             "the access key id for static credentials"),
    AP_INIT_TAKE1("S3UpSecretKeyFile", set_secret_key_file, NULL, WHERE_DIR,
                  "a file holding the secret access key (read at startup, may be root-only)"),
    AP_INIT_TAKE1("S3UpPrefix", set_prefix, DIR_SLOT(WORD, prefix, .check = s3up_values_prefix),
                  WHERE_DIR, "key prefix of received files (default uploads/)"),
    AP_INIT_TAKE1("S3UpStatePrefix", set_prefix,
                  DIR_SLOT(WORD, state_prefix, .check = s3up_values_prefix), WHERE_DIR,
                  "key prefix of endpoint and link records, outside S3UpPrefix (default .s3up/)"),
    DIR_NUMBER("S3UpPartSize", SIZE, part_size, S3UP_PART_SIZE_MIN, S3UP_PART_SIZE_MAX,
               "S3's part sizes, 5M to 5G",
               "multipart part size, 5M to 5G (default 64M; grows to stay within 10,000 parts)"),
    DIR_NUMBER("S3UpMaxFileSize", SIZE, max_file_size, 1, S3UP_OBJECT_SIZE_MAX,
               "1 byte to 5T, S3's largest object", "largest file accepted, up to 5T (default 5T)"),
    DIR_NUMBER("S3UpPresignExpires", DURATION, presign_expires, SECS(1), SECS(7 * 86400),
               PRESIGN_RANGE, "lifetime of presigned part URLs, 1s to 7d (default 1h)"),
    DIR_NUMBER("S3UpShareMaxExpires", DURATION, share_max_expires, SECS(1), SECS(7 * 86400),
               PRESIGN_RANGE, "longest share link an admin may make, up to 7d (default 7d)"),
    DIR_WORD("S3UpUserClaim", user_claim, s3up_values_claim,
             "claim naming the signed-in person (default REMOTE_USER)"),
    DIR_WORD("S3UpClaimPrefix", claim_prefix, s3up_values_env_prefix,
             "prefix of claims in the environment (default OIDC_CLAIM_)"),
    DIR_NUMBER("S3UpPartsInFlight", COUNT, parts_in_flight, 1, 32, "1 to 32",
               "how many parts of one file the portal sends at once (default 4)"),
    DIR_NUMBER("S3UpMaxUnfinished", COUNT, max_unfinished, 1, 10000, "1 to 10000",
               "unfinished uploads one person or link may hold in an endpoint (default 100)"),
    AP_INIT_TAKE12("S3UpServerSideEncryption", set_sse, NULL, WHERE_DIR,
                   "server-side encryption of every object written: AES256, or aws:kms with an "
                   "optional KMS key id (default: the bucket's)"),
    DIR_WORD("S3UpStorageClass", storage_class, s3up_values_storage_class,
             "storage class of uploaded files, like STANDARD_IA (default: the bucket's)"),
    AP_INIT_TAKE1("S3UpUploadMode", set_upload_mode, NULL, WHERE_DIR,
                  "direct: browsers PUT parts to S3; proxy: through httpd (default direct)"),
    AP_INIT_TAKE1("S3UpSecretFile", set_key_file, KEY_SLOT(secret_file, secret), WHERE_SRV,
                  "a file holding the HMAC key for link cookies and proxy tokens (server-wide)"),
    AP_INIT_TAKE1("S3UpCacheTTL", set_slot,
                  SRV_SLOT(DURATION, cache_ttl, .lo = 0, .hi = SECS(86400),
                           .range = "0s to 1d (longer would hide revoked endpoints for too long)"),
                  WHERE_SRV,
                  "how long a record read from the bucket is trusted (default 30s; server-wide)"),
    SRV_WORD("S3UpCognitoUserPool", cognito_user_pool, s3up_values_user_pool,
             "Cognito user pool id for creating customer accounts (server-wide)"),
    SRV_WORD("S3UpCognitoEndpoint", cognito_server, s3up_values_server_url,
             "the Cognito API, an http(s) URL without path (default "
             "https://cognito-idp.REGION.amazonaws.com; server-wide)"),
    AP_INIT_TAKE1("S3UpDocumentRoot", set_document_root, NULL, WHERE_SRV,
                  "directory of the portal pages (server-wide)"),
    SRV_WORD("S3UpPortalURL", portal_url, s3up_values_url_or_path,
             "the customer portal's address, a URL or a path (server-wide)"),
    SRV_WORD("S3UpNotifyURL", notify_url, s3up_values_http_url,
             "where a signed JSON event is POSTed for every file that arrives (server-wide)"),
    AP_INIT_TAKE1("S3UpNotifySecretFile", set_key_file, KEY_SLOT(notify_secret_file, notify_secret),
                  WHERE_SRV,
                  "a file holding the HMAC key that signs arrival notifications (server-wide)"),
    SRV_WORD("S3UpLinkURL", link_url, s3up_values_link_url,
             "the s3up-drop location's address; links are S3UpLinkURL/{token} (server-wide)"),
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
static int server_is_aws(const char *server)
{
    const char *suffix = ".amazonaws.com";
    const char *host = strstr(server, "://") + 3;
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

s3up_s3_storage_t s3up_conf_storage(const s3up_dir_conf_t *dc)
{
    s3up_s3_storage_t st = {dc->sse, NULL, dc->storage_class};

    st.kms_key_id = dc->sse_kms_key && *dc->sse_kms_key ? dc->sse_kms_key : NULL;
    return st;
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

int s3up_conf_notify(const char **url, const char **secret, const s3up_srv_conf_t *sc)
{
    *url = sc->notify_url;
    *secret = sc->notify_secret;
    return *url && *secret;
}

/* ------------------------------------------------------------------------
 * checks of a merged location
 */

/* ------------------------------------------------------------------------
 * credentials: the shared AWS files and each location's plan
 */

/* Read with the configuration, inherited by the children. */
static s3up_creds_files_t *files;
static const char *files_error;
static apr_hash_t *to_probe; /* plan key -> s3up_creds_plan_t, in pconf */
static apr_pool_t *conf_pool;

void s3up_conf_creds_load(apr_pool_t *pconf)
{
    conf_pool = pconf;
    to_probe = apr_hash_make(pconf);
    files_error = NULL;
    if (s3up_creds_files_load(&files, &files_error, pconf) != APR_SUCCESS) {
        files_error = apr_pstrcat(pconf, "the shared AWS files: ", files_error, NULL);
    }
}

const char *s3up_conf_creds_plan(s3up_creds_plan_t *plan, const s3up_dir_conf_t *dc, apr_pool_t *p)
{
    s3up_creds_want_t want = {0};
    s3up_creds_t *configured = NULL;
    const char *why;

    want.source = s3up_conf_creds_source(dc);
    want.profile = dc->creds_profile && *dc->creds_profile ? dc->creds_profile : NULL;
    want.region = s3up_conf_region(dc);
    want.files = files;
    if (dc->access_key && dc->secret_key) {
        if (s3up_creds_static(&configured, dc->access_key, dc->secret_key, p) != APR_SUCCESS) {
            return "S3UpAccessKey or S3UpSecretKeyFile is not usable";
        }
        want.configured = configured;
    } else if (want.source == S3UP_CREDS_STATIC) {
        return apr_psprintf(p,
                            "S3UpCredentials static needs both S3UpAccessKey and "
                            "S3UpSecretKeyFile, but %s is not set",
                            dc->access_key ? "S3UpSecretKeyFile" : "S3UpAccessKey");
    }
    why = s3up_creds_plan(plan, &want, p);
    if (why && files_error &&
        (want.source == S3UP_CREDS_PROFILE || want.source == S3UP_CREDS_CHAIN)) {
        return apr_pstrcat(p, why, "; and ", files_error, NULL);
    }
    return why;
}

static void remember(const s3up_creds_plan_t *plan)
{
    const char *key;

    if (!to_probe || plan->source == S3UP_CREDS_STATIC) {
        return;
    }
    key = s3up_creds_plan_key(plan, conf_pool);
    if (!apr_hash_get(to_probe, key, APR_HASH_KEY_STRING)) {
        apr_hash_set(to_probe, key, APR_HASH_KEY_STRING,
                     apr_pmemdup(conf_pool, plan, sizeof(*plan)));
    }
}

apr_hash_t *s3up_conf_creds_plans(void)
{
    return to_probe;
}

static int is_directory(const char *path, apr_pool_t *p)
{
    apr_finfo_t fi;

    return apr_stat(&fi, path, APR_FINFO_TYPE, p) == APR_SUCCESS && fi.filetype == APR_DIR;
}

const char *s3up_conf_check_location(const s3up_dir_conf_t *merged, const s3up_dir_conf_t *own,
                                     const s3up_srv_conf_t *sc, const char *handler, apr_pool_t *p)
{
    s3up_creds_plan_t plan;
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
    if ((err = s3up_conf_creds_plan(&plan, merged, p))) {
        return err;
    }
    remember(&plan);
    if ((err = s3up_values_prefixes_apart(s3up_conf_prefix(merged), s3up_conf_state_prefix(merged),
                                          p))) {
        return err;
    }
    if (!sc->notify_url != !sc->notify_secret) {
        return sc->notify_url ? "S3UpNotifyURL is set without S3UpNotifySecretFile: arrivals "
                                "are notified signed, so set both"
                              : "S3UpNotifySecretFile is set without S3UpNotifyURL";
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
    /* The pages: a configured S3UpDocumentRoot was checked when it was read,
     * the default is checked here, where a handler will serve from it. */
    if (!sc->document_root && !is_directory(S3UP_DEFAULT_DOCUMENT_ROOT, p)) {
        return "S3UpDocumentRoot is not set and its default, " S3UP_DEFAULT_DOCUMENT_ROOT
               ", is not a directory: install the pages there (make install, or the package) "
               "or set S3UpDocumentRoot to their folder";
    }
    return NULL;
}
