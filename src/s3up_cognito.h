/*
 * Amazon Cognito user pools, the little the admin portal needs: create a
 * user with a temporary password (AdminCreateUser) and read one back
 * (AdminGetUser), over the AWS JSON 1.1 protocol signed with SigV4
 * (service "cognito-idp", generic AWS rules). Every call returns
 * APR_SUCCESS, or an error status with *err describing it.
 */
#ifndef S3UP_COGNITO_H
#define S3UP_COGNITO_H

#include "s3up.h"
#include "s3up_aws.h"

#define S3UP_COGNITO_PASSWORD_LEN 20

/* A client for one user pool. Cheap to make; not shared between threads. */
typedef struct s3up_cognito_t {
    const char *user_pool_id; /* "us-east-1_AbC123" */
    s3up_aws_server_t server; /* "https://cognito-idp.us-east-1.amazonaws.com" */
    s3up_aws_t aws;           /* who signs, the clock and the retry policy */
} s3up_cognito_t;

/* The region of a user pool id "REGION_ID" (REGION: lower-case letters,
 * digits and inner '-'; ID: letters and digits; 55 chars at most).
 * APR_EINVAL for anything else. */
apr_status_t s3up_cognito_pool_region(const char **region, const char *user_pool_id, apr_pool_t *p);

/* Fill in c for user_pool_id. server_url NULL means AWS's
 * https://cognito-idp.REGION.amazonaws.com; another (cognito-local) must be
 * an http(s) URL without a path. Defaults: apr_time_now, apr_sleep,
 * 3 attempts, 100 ms base, 2 s cap. APR_EINVAL for a bad pool id or
 * server URL. */
apr_status_t s3up_cognito_init(s3up_cognito_t *c, const char *user_pool_id, const char *server_url,
                               const s3up_creds_t *creds, s3up_sigv4_t *signer, s3up_http_t *http,
                               apr_pool_t *p);

/* A strong temporary password of S3UP_COGNITO_PASSWORD_LEN characters that
 * Cognito's default policy accepts (upper, lower, digit and symbol, each at
 * least once), uniformly drawn from OpenSSL's RAND_bytes. */
apr_status_t s3up_cognito_password(const char **out, apr_pool_t *p);

typedef struct s3up_cognito_user_t {
    const char *username;
    const char *status; /* "FORCE_CHANGE_PASSWORD", "CONFIRMED", ... */
    int enabled;
    apr_time_t created;      /* UserCreateDate, 0 when not given */
    apr_table_t *attributes; /* "sub", "email", ... */
} s3up_cognito_user_t;

/* AdminCreateUser with MessageAction SUPPRESS (the admin hands the password
 * over; Cognito sends nothing). email, when not NULL, becomes the user's
 * email attribute. A taken username is S3UP_ECONFLICT. The call is not
 * idempotent: it is repeated only when nothing was sent, or when Cognito
 * answered it was throttled or failed (5xx) and so did not create. */
apr_status_t s3up_cognito_admin_create_user(s3up_cognito_user_t **out, const s3up_cognito_t *c,
                                            const char *username, const char *temporary_password,
                                            const char *email, s3up_error_t **err, apr_pool_t *p);

/* AdminGetUser. An unknown user is S3UP_ENOTFOUND. */
apr_status_t s3up_cognito_admin_get_user(s3up_cognito_user_t **out, const s3up_cognito_t *c,
                                         const char *username, s3up_error_t **err, apr_pool_t *p);

#endif /* S3UP_COGNITO_H */
