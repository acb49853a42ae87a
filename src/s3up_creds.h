/*
 * Credentials: where they come from, and keeping temporary ones fresh.
 *
 * Sources (S3UpCredentials):
 *   static        S3UpAccessKey and the secret read from S3UpSecretKeyFile;
 *   env           AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
 *   profile NAME  a profile of the shared credentials and config files
 *                 (~/.aws/credentials and ~/.aws/config, or the files named by
 *                 AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE): its keys,
 *                 or its role_arn and web_identity_token_file;
 *   web-identity  AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, exchanged at
 *                 STS (AssumeRoleWithWebIdentity, regional endpoint);
 *   ecs           the container credentials endpoint of ECS and EKS Pod
 *                 Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI,
 *                 AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE);
 *   imds          the EC2 instance metadata service, IMDSv2;
 *   chain         the first of these that is set up, in the AWS SDKs' order:
 *                 S3UpAccessKey, env, web identity, the profile of AWS_PROFILE
 *                 (or "default") when the files have it, ecs, imds.
 *
 * A plan is what a source resolves to when httpd reads its configuration:
 * keys known from then on, or where to fetch them. A provider keeps a plan's
 * credentials for the threads of one process: it fetches them the first
 * time they are asked for, again before they expire, once however many
 * threads ask, and answers with the last error while the source fails.
 */
#ifndef S3UP_CREDS_H
#define S3UP_CREDS_H

#include "s3up_aws.h"
#include "s3up_sigv4.h"

/* Longest secret file we read: a secret is tens of bytes, a bigger file is
 * the wrong file. The same bound holds for web identity and container
 * tokens, which are a few kB. */
#define S3UP_CREDS_SECRET_FILE_MAX 4096
#define S3UP_CREDS_TOKEN_FILE_MAX 65536

/* Temporary credentials are fetched again this long before they expire (or
 * when half their lifetime is gone, if that is sooner), so that a URL signed
 * with them works for at least this long. */
#define S3UP_CREDS_REFRESH_BEFORE apr_time_from_sec(15 * 60)

/* After a failed fetch, the next try waits this long; meanwhile requests get
 * the same error at once instead of all waiting on a source that fails. */
#define S3UP_CREDS_RETRY_AFTER apr_time_from_sec(5)

typedef enum {
    S3UP_CREDS_CHAIN = 1,
    S3UP_CREDS_STATIC,
    S3UP_CREDS_ENV,
    S3UP_CREDS_PROFILE,
    S3UP_CREDS_WEB_IDENTITY,
    S3UP_CREDS_ECS,
    S3UP_CREDS_IMDS,
} s3up_creds_source_e;

/* "chain", "static", ... as S3UpCredentials spells them. */
const char *s3up_creds_source_name(s3up_creds_source_e source);

/* The source named (case ignored); APR_EINVAL for another word. */
apr_status_t s3up_creds_source_parse(s3up_creds_source_e *out, const char *name);

/* Credentials from an access key and its secret, which must both be
 * non-empty and free of whitespace and control characters (they end up in
 * the Authorization header and the signing key). APR_EINVAL otherwise. */
apr_status_t s3up_creds_static(s3up_creds_t **out, const char *access_key, const char *secret_key,
                               apr_pool_t *p);

/* Credentials from the process environment. APR_ENOENT when the access key
 * or the secret is missing or empty; an empty AWS_SESSION_TOKEN counts as
 * none. */
apr_status_t s3up_creds_from_env(s3up_creds_t **out, apr_pool_t *p);

/* The contents of a secret file with leading and trailing whitespace
 * removed. APR_EINVAL when nothing is left or the file holds a NUL byte,
 * S3UP_ETOOBIG above max bytes, APR's error when it cannot be read. The
 * contents are never logged. */
apr_status_t s3up_creds_read_file(const char **text, const char *path, apr_size_t max,
                                  apr_pool_t *p);
apr_status_t s3up_creds_read_secret_file(const char **secret, const char *path, apr_pool_t *p);

/* ------------------------------------------------------------------------
 * The shared credentials and config files.
 */

typedef struct s3up_creds_files_t s3up_creds_files_t;

s3up_creds_files_t *s3up_creds_files_make(apr_pool_t *p);

/* Adds the text of one file: the config file names its sections
 * "[profile NAME]" (and "[default]"), the credentials file "[NAME]"; a
 * setting of the credentials file wins. APR_EINVAL and *why ("line 3: ...")
 * for a line that is none of a section, a setting, a comment or an indented
 * sub-setting. */
apr_status_t s3up_creds_files_add(s3up_creds_files_t *files, const char *text, int config,
                                  const char **why, apr_pool_t *p);

/* Both files from where the AWS SDKs look: AWS_SHARED_CREDENTIALS_FILE and
 * AWS_CONFIG_FILE, else ~/.aws/credentials and ~/.aws/config. A file that
 * does not exist is no error; one that cannot be read or parsed is, with
 * *why naming it. */
apr_status_t s3up_creds_files_load(s3up_creds_files_t **out, const char **why, apr_pool_t *p);

/* A setting of a profile, or NULL. */
const char *s3up_creds_files_get(const s3up_creds_files_t *files, const char *profile,
                                 const char *name);

/* ------------------------------------------------------------------------
 * Plans.
 */

typedef struct s3up_creds_want_t {
    s3up_creds_source_e source;
    const char *profile;            /* profile NAME; NULL: AWS_PROFILE, else "default" */
    const s3up_creds_t *configured; /* S3UpAccessKey and its secret, or NULL */
    const char *region;             /* S3UpRegion, for STS when AWS_REGION is not set */
    const s3up_creds_files_t *files;
} s3up_creds_want_t;

typedef struct s3up_creds_plan_t {
    /* STATIC: keys known now (static, env, a profile's keys); else one of
     * WEB_IDENTITY, ECS, IMDS. */
    s3up_creds_source_e source;
    const char *from;         /* for messages: "S3UpAccessKey", "profile 'ci'", ... */
    const s3up_creds_t *keys; /* STATIC */
    const char *url;          /* STS endpoint, container URL, metadata service */
    const char *role_arn;     /* WEB_IDENTITY */
    const char *token_file;   /* WEB_IDENTITY; ECS when set */
    const char *session_name; /* WEB_IDENTITY */
    const char *token;        /* ECS when set */
} s3up_creds_plan_t;

/* NULL and *plan, or a sentence saying why the source cannot be used.
 * Reads the process environment; fetches nothing. */
const char *s3up_creds_plan(s3up_creds_plan_t *plan, const s3up_creds_want_t *want, apr_pool_t *p);

/* A short text that tells plans that fetch apart (source, url, role, token
 * file): two locations with the same text can share a provider. */
const char *s3up_creds_plan_key(const s3up_creds_plan_t *plan, apr_pool_t *p);

/* Fetch once: the plan's credentials (with their expiry) through engine's
 * transport, clock and retry policy; nothing is signed. */
apr_status_t s3up_creds_fetch(s3up_creds_t **out, const s3up_creds_plan_t *plan,
                              const s3up_aws_t *engine, s3up_error_t **err, apr_pool_t *p);

/* ------------------------------------------------------------------------
 * Providers.
 */

typedef struct s3up_creds_provider_t s3up_creds_provider_t;

/* A provider of plan's credentials, fetched through engine (copied; its
 * transport is used by one fetch at a time, and only by this provider).
 * Lives in p, which must outlive every thread that uses it. */
apr_status_t s3up_creds_provider_create(s3up_creds_provider_t **out, const s3up_creds_plan_t *plan,
                                        const s3up_aws_t *engine, apr_pool_t *p);

/* Credentials to sign with now, copied into p. Thread-safe. When they must
 * be fetched, one thread fetches and the others wait for it (or keep using
 * the ones in hand while those are still valid). S3UP_ETRANSPORT,
 * S3UP_ES3 or S3UP_EPARSE with *err when no valid credentials can be had. */
apr_status_t s3up_creds_provider_get(s3up_creds_t **out, s3up_creds_provider_t *pv,
                                     s3up_error_t **err, apr_pool_t *p);

#endif /* S3UP_CREDS_H */
