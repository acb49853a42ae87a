/*
 * mod_s3up configuration: the directive table, create/merge of the
 * per-directory and per-server settings, and getters that apply defaults.
 *
 * Settings allowed in a <Location> live in s3up_dir_conf_t (set at server
 * level they land in the server's default directory config, which httpd
 * merges under every section). Settings for a whole server live in
 * s3up_srv_conf_t. Fields start "unset" (NULL or S3UP_CONF_UNSET); merge
 * takes the more specific value when it is set; defaults are applied only
 * by the getters, so a merged config still knows what was configured.
 */
#ifndef MOD_S3UP_CONFIG_H
#define MOD_S3UP_CONFIG_H

#include <apr_hash.h>

#include <httpd.h>
#include <http_config.h>

#include "s3up_s3.h"
#include "s3up_creds.h"
#include "s3up_sigv4.h"

#define S3UP_CONF_UNSET (-1)

/* The defaults the getters apply. */
#define S3UP_DEFAULT_REGION "us-east-1"
#define S3UP_DEFAULT_PREFIX "uploads/"
#define S3UP_DEFAULT_STATE_PREFIX ".s3up/"
#define S3UP_DEFAULT_PART_SIZE ((apr_off_t)64 * 1024 * 1024)
#define S3UP_DEFAULT_PRESIGN_EXPIRES apr_time_from_sec(3600)
#define S3UP_DEFAULT_SHARE_MAX apr_time_from_sec(7 * 86400)
#define S3UP_DEFAULT_CACHE_TTL apr_time_from_sec(30)
#define S3UP_DEFAULT_MAX_UNFINISHED 100
#define S3UP_DEFAULT_USER_CLAIM "REMOTE_USER"
#define S3UP_DEFAULT_CLAIM_PREFIX "OIDC_CLAIM_"
#ifndef S3UP_DEFAULT_DOCUMENT_ROOT
#define S3UP_DEFAULT_DOCUMENT_ROOT "/usr/share/mod_s3up/htdocs"
#endif

typedef enum {
    S3UP_MODE_DIRECT = 1,
    S3UP_MODE_PROXY,
} s3up_upload_mode_e;

/*
 * The structs, their create and merge, are generated from these lists, and
 * t/unit/test_mod_config.c walks the same lists: a field added here is
 * created unset, merged and checked without anyone remembering to extend
 * create, merge or the test. X(kind, type, field, directive that sets it);
 * kind is PTR (unset: NULL) or NUM (unset: S3UP_CONF_UNSET).
 */
#define S3UP_DIR_FIELDS(X)                                                                         \
    X(PTR, const char *, bucket, "S3UpBucket")                                                     \
    X(PTR, const char *, region, "S3UpRegion")                                                     \
    X(PTR, const char *, s3_server, "S3UpEndpoint") /* the S3 server: scheme://host[:port] */      \
    X(NUM, int, path_style, "S3UpPathStyle")                                                       \
    X(NUM, int, creds_source, "S3UpCredentials")           /* s3up_creds_source_e */               \
    X(PTR, const char *, creds_profile, "S3UpCredentials") /* profile NAME */                      \
    X(PTR, const char *, access_key, "S3UpAccessKey")                                              \
    X(PTR, const char *, secret_key_file, "S3UpSecretKeyFile")                                     \
    X(PTR, const char *, secret_key, "S3UpSecretKeyFile") /* the file's contents */                \
    X(PTR, const char *, prefix, "S3UpPrefix")            /* ends with '/' */                      \
    X(PTR, const char *, state_prefix, "S3UpStatePrefix")                                          \
    X(NUM, apr_off_t, part_size, "S3UpPartSize")                                                   \
    X(NUM, apr_off_t, max_file_size, "S3UpMaxFileSize")                                            \
    X(NUM, apr_interval_time_t, presign_expires, "S3UpPresignExpires")                             \
    X(NUM, apr_interval_time_t, share_max_expires, "S3UpShareMaxExpires")                          \
    X(PTR, const char *, user_claim, "S3UpUserClaim")                                              \
    X(PTR, const char *, claim_prefix, "S3UpClaimPrefix")                                          \
    X(NUM, int, upload_mode, "S3UpUploadMode") /* s3up_upload_mode_e */                            \
    X(NUM, int, parts_in_flight, "S3UpPartsInFlight")                                              \
    X(NUM, int, max_unfinished, "S3UpMaxUnfinished")                                               \
    X(PTR, const char *, sse, "S3UpServerSideEncryption")         /* "AES256" or "aws:kms" */      \
    X(PTR, const char *, sse_kms_key, "S3UpServerSideEncryption") /* aws:kms's key, or "" */       \
    X(PTR, const char *, storage_class, "S3UpStorageClass")

#define S3UP_SRV_FIELDS(X)                                                                         \
    X(PTR, const char *, secret_file, "S3UpSecretFile")                                            \
    X(PTR, const char *, secret, "S3UpSecretFile") /* the file's contents: the HMAC key */         \
    X(NUM, apr_interval_time_t, cache_ttl, "S3UpCacheTTL")                                         \
    X(PTR, const char *, cognito_user_pool, "S3UpCognitoUserPool")                                 \
    X(PTR, const char *, cognito_server, "S3UpCognitoEndpoint")                                    \
    X(PTR, const char *, document_root, "S3UpDocumentRoot")                                        \
    X(PTR, const char *, portal_url, "S3UpPortalURL")                                              \
    X(PTR, const char *, link_url, "S3UpLinkURL")                                                  \
    X(PTR, const char *, notify_url, "S3UpNotifyURL")                                              \
    X(PTR, const char *, notify_secret_file, "S3UpNotifySecretFile")                               \
    X(PTR, const char *, notify_secret, "S3UpNotifySecretFile") /* the file's contents */

#define S3UP_CONF_FIELD(kind, type, field, directive) type field;

typedef struct s3up_dir_conf_t {
    S3UP_DIR_FIELDS(S3UP_CONF_FIELD)
} s3up_dir_conf_t;

typedef struct s3up_srv_conf_t {
    S3UP_SRV_FIELDS(S3UP_CONF_FIELD)
} s3up_srv_conf_t;

/* The shortest S3UpSecretFile key: an HMAC key should be a full block of
 * randomness (e.g. `openssl rand -hex 32`). */
#define S3UP_SECRET_MIN_LEN 32

extern const command_rec s3up_cmds[];

void *s3up_conf_create_dir(apr_pool_t *p, char *dir);
void *s3up_conf_merge_dir(apr_pool_t *p, void *basev, void *addv);
void *s3up_conf_create_srv(apr_pool_t *p, server_rec *s);
void *s3up_conf_merge_srv(apr_pool_t *p, void *basev, void *addv);

/* The server's settings (never NULL once the module is loaded). */
s3up_srv_conf_t *s3up_conf_srv(server_rec *s);

/* Getters: the configured value, or the default. */
const char *s3up_conf_bucket(const s3up_dir_conf_t *dc); /* NULL: not configured */
const char *s3up_conf_region(const s3up_dir_conf_t *dc);
const char *s3up_conf_s3_server(const s3up_dir_conf_t *dc, apr_pool_t *p);
int s3up_conf_path_style(const s3up_dir_conf_t *dc);
s3up_creds_source_e s3up_conf_creds_source(const s3up_dir_conf_t *dc);
const char *s3up_conf_prefix(const s3up_dir_conf_t *dc);
const char *s3up_conf_state_prefix(const s3up_dir_conf_t *dc);
apr_off_t s3up_conf_part_size(const s3up_dir_conf_t *dc);
apr_off_t s3up_conf_max_file_size(const s3up_dir_conf_t *dc);
apr_interval_time_t s3up_conf_presign_expires(const s3up_dir_conf_t *dc);
apr_interval_time_t s3up_conf_share_max_expires(const s3up_dir_conf_t *dc);
const char *s3up_conf_user_claim(const s3up_dir_conf_t *dc);
const char *s3up_conf_claim_prefix(const s3up_dir_conf_t *dc);
s3up_upload_mode_e s3up_conf_upload_mode(const s3up_dir_conf_t *dc);
int s3up_conf_parts_in_flight(const s3up_dir_conf_t *dc);
int s3up_conf_max_unfinished(const s3up_dir_conf_t *dc);
/* How uploaded objects are stored: encryption and storage class. */
s3up_s3_storage_t s3up_conf_storage(const s3up_dir_conf_t *dc);

const char *s3up_conf_secret(const s3up_srv_conf_t *sc); /* NULL: not configured */
apr_interval_time_t s3up_conf_cache_ttl(const s3up_srv_conf_t *sc);
const char *s3up_conf_cognito_user_pool(const s3up_srv_conf_t *sc);
const char *s3up_conf_cognito_server(const s3up_srv_conf_t *sc); /* NULL: AWS's */
const char *s3up_conf_document_root(const s3up_srv_conf_t *sc);
const char *s3up_conf_portal_url(const s3up_srv_conf_t *sc);
const char *s3up_conf_link_url(const s3up_srv_conf_t *sc);
/* Where arrivals are notified, and the key they are signed with: 1 when
 * both are set (configtest refuses one without the other). */
int s3up_conf_notify(const char **url, const char **secret, const s3up_srv_conf_t *sc);

/* check_config: read the shared AWS credentials and config files anew (as
 * root, like the rest of the configuration; the children keep what was
 * read). */
void s3up_conf_creds_load(apr_pool_t *pconf);

/* The credentials plan of a location, or a message naming what to set;
 * never includes a secret. */
const char *s3up_conf_creds_plan(s3up_creds_plan_t *plan, const s3up_dir_conf_t *dc, apr_pool_t *p);

/* The plans that fetch credentials (plan key -> s3up_creds_plan_t) among
 * the locations the last check_config passed. */
apr_hash_t *s3up_conf_creds_plans(void);

/* The checks that need the whole picture of a location served by one of
 * our handlers ("s3up-upload", "s3up-drop", "s3up-admin"):
 * merged is the configuration as httpd merges it for the location, own is
 * what the section itself sets (NULL if nothing), sc the server's. NULL
 * when fine, else a message naming the directive to fix. */
const char *s3up_conf_check_location(const s3up_dir_conf_t *merged, const s3up_dir_conf_t *own,
                                     const s3up_srv_conf_t *sc, const char *handler, apr_pool_t *p);

#endif /* MOD_S3UP_CONFIG_H */
