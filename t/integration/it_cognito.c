/*
 * Cognito users made by our client in cognito-local (npm), which this test
 * starts itself on a port of 127.0.0.1 the system picks and stops at the
 * end (t/lib/cognito.sh). What the client made is read back both with our
 * AdminGetUser and with the aws command, which shares no code with ours.
 *
 * cognito-local does not check signatures, nor the password policy, and
 * answers a temporary password with tokens rather than the
 * NEW_PASSWORD_REQUIRED challenge: test_cognito.c checks the signing
 * against botocore's, and the policy, without a server.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_cognito.h"
#include "s3up_json.h"
#include "tap.h"

static apr_pool_t *pool;
static char dir[] = "t/tmp/cognito.XXXXXX";
static int started;
static const char *aws_cmd;

static void stop(void)
{
    if (started) {
        started = 0;
        if (system(apr_psprintf(pool, "t/lib/cognito.sh stop '%s'", dir)) != 0) {
            diag("could not stop cognito-local (see %s)", dir);
        }
    }
}

/* Runs a shell command; returns its stdout, *rc its exit status. */
static char *run(const char *cmd, int *rc)
{
    FILE *f = popen(cmd, "r");
    apr_size_t cap = 65536, len = 0, n;
    char *buf = apr_palloc(pool, cap);
    int st;

    while (f && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            break;
        }
    }
    buf[len] = '\0';
    st = f ? pclose(f) : -1;
    *rc = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

/* One value of DIR/cognito.env. */
static const char *env_value(const char *env, const char *name)
{
    const char *at = strstr(env, apr_pstrcat(pool, name, "=", NULL));
    return at ? apr_pstrndup(pool, at + strlen(name) + 1, strcspn(at + strlen(name) + 1, "\n"))
              : NULL;
}

/* The aws command against cognito-local, as JSON (NULL when it failed;
 * *out_text then holds what it printed). */
static json_t *aws(const char *endpoint, const char *args, const char **out_text)
{
    int rc;
    const char *text =
        run(apr_psprintf(pool, "%s --endpoint-url %s --output json cognito-idp %s 2>&1", aws_cmd,
                         endpoint, args),
            &rc);
    json_t *j = NULL;
    const char *why;

    *out_text = text;
    if (rc != 0 || s3up_json_parse(&j, text, strlen(text), 1 << 20, &why, pool) != APR_SUCCESS) {
        return NULL;
    }
    return j;
}

int main(void)
{
    s3up_curl_share_t *share;
    s3up_http_t *http;
    s3up_sigv4_t *signer;
    s3up_cognito_t cg;
    s3up_creds_t creds = {"AKIDCOGNITOLOCAL", "not-checked-by-cognito-local", NULL, 0};
    s3up_cognito_user_t *u = NULL;
    s3up_error_t *err = NULL;
    const char *env, *endpoint, *pool_id, *password, *text;
    json_t *j;
    apr_status_t rv;
    int rc;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    if (access("t/lib/cognito.sh", X_OK) != 0) {
        printf("Bail out! run from the repository root (t/run does)\n");
        return 1;
    }
    aws_cmd = access("/usr/bin/aws", X_OK) == 0 ? "/usr/bin/aws" : "aws";
    /* The aws command reads no one's configuration, only these. */
    setenv("AWS_ACCESS_KEY_ID", creds.access_key, 1);
    setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key, 1);
    setenv("AWS_DEFAULT_REGION", "us-east-1", 1);
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_PROFILE");

    if (system("mkdir -p t/tmp") != 0 || !mkdtemp(dir)) {
        printf("Bail out! cannot make a folder under t/tmp\n");
        return 1;
    }
    atexit(stop);
    started = 1;
    text = run(apr_psprintf(pool, "t/lib/cognito.sh start '%s' 2>&1", dir), &rc);
    if (rc != 0) {
        printf("Bail out! cognito-local did not start: %s\n", text);
        return 1;
    }
    env = run(apr_psprintf(pool, "cat '%s/cognito.env'", dir), &rc);
    endpoint = env_value(env, "COGNITO_ENDPOINT");
    pool_id = env_value(env, "COGNITO_USER_POOL_ID");
    ok(endpoint && pool_id, "cognito-local at %s, user pool %s", endpoint ? endpoint : "?",
       pool_id ? pool_id : "?");
    if (!endpoint || !pool_id) {
        return done_testing();
    }

    s3up_curl_share_create(&share, pool);
    s3up_curl_create(&http, share, pool);
    http->connect_timeout = apr_time_from_sec(5);
    http->timeout = apr_time_from_sec(20);
    s3up_sigv4_create(&signer, pool);
    rv = s3up_cognito_init(&cg, pool_id, endpoint, &creds, signer, http, pool);
    is_int(rv, APR_SUCCESS, "client for the pool");
    is_str(cg.aws.region, "local", "region from cognito-local's pool id");

    is_int(s3up_cognito_password(&password, pool), APR_SUCCESS, "a temporary password");
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", password, "ops@example.com", &err, pool);
    if (!ok(rv == APR_SUCCESS, "AdminCreateUser acme")) {
        diag("%s: %s", err ? err->code : "?", err ? err->message : "?");
        return done_testing();
    }
    is_str(u->username, "acme", "the username is the endpoint id");
    is_str(u->status, "FORCE_CHANGE_PASSWORD", "status FORCE_CHANGE_PASSWORD");
    ok(u->created > apr_time_now() - apr_time_from_sec(300) &&
           u->created < apr_time_now() + apr_time_from_sec(300),
       "created just now");

    u = NULL;
    rv = s3up_cognito_admin_get_user(&u, &cg, "acme", &err, pool);
    ok(rv == APR_SUCCESS && u && !strcmp(u->username, "acme") &&
           !strcmp(u->status, "FORCE_CHANGE_PASSWORD") && u->enabled &&
           !strcmp(apr_table_get(u->attributes, "email"), "ops@example.com"),
       "our AdminGetUser: acme, FORCE_CHANGE_PASSWORD, enabled, email");

    j = aws(endpoint,
            apr_psprintf(pool, "admin-get-user --user-pool-id %s --username acme", pool_id), &text);
    if (!ok(j, "aws cognito-idp admin-get-user answers")) {
        diag("%s", text);
    } else {
        is_str(s3up_json_str(j, "Username"), "acme", "aws: Username");
        is_str(s3up_json_str(j, "UserStatus"), "FORCE_CHANGE_PASSWORD", "aws: UserStatus");
        ok(strstr(text, "ops@example.com") != NULL, "aws: the email attribute");
    }

    /* The password we hand out is the one Cognito keeps: cognito-local
     * checks it in ADMIN_USER_PASSWORD_AUTH (it needs an app client). */
    j = aws(endpoint,
            apr_psprintf(pool,
                         "create-user-pool-client --user-pool-id %s --client-name s3up-test "
                         "--explicit-auth-flows ALLOW_ADMIN_USER_PASSWORD_AUTH",
                         pool_id),
            &text);
    if (ok(j && s3up_json_str(json_object_get(j, "UserPoolClient"), "ClientId"),
           "aws: an app client to sign in with")) {
        const char *client_id = s3up_json_str(json_object_get(j, "UserPoolClient"), "ClientId");
        const char *auth = "admin-initiate-auth --user-pool-id %s --client-id %s --auth-flow "
                           "ADMIN_USER_PASSWORD_AUTH --auth-parameters "
                           "'{\"USERNAME\":\"acme\",\"PASSWORD\":\"%s\"}'";
        /* The password's symbols include neither quote nor backslash. */
        j = aws(endpoint, apr_psprintf(pool, auth, pool_id, client_id, password), &text);
        ok(j && json_object_get(j, "AuthenticationResult"),
           "aws: acme signs in with the temporary password");
        j = aws(endpoint, apr_psprintf(pool, auth, pool_id, client_id, "Wrong-Pass1!"), &text);
        ok(!j && strstr(text, "InvalidPasswordException"), "aws: a wrong password is refused");
    } else {
        diag("%s", text);
    }

    err = NULL;
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", password, NULL, &err, pool);
    is_int(rv, S3UP_ECONFLICT, "creating acme again is a conflict");
    ok(err && !strcmp(err->code, "UsernameExistsException") && err->http_status == 400 &&
           err->message && *err->message && !err->retryable,
       "with Cognito's code and message (%s: %s)", err ? err->code : "?", err ? err->message : "?");

    err = NULL;
    rv = s3up_cognito_admin_get_user(&u, &cg, "nobody", &err, pool);
    ok(rv == S3UP_ENOTFOUND && err && !strcmp(err->code, "UserNotFoundException"),
       "an unknown user is not found");

    if (s3up_cognito_init(&cg, "local_NoSuchPool", endpoint, &creds, signer, http, pool) ==
        APR_SUCCESS) {
        err = NULL;
        rv = s3up_cognito_admin_create_user(&u, &cg, "acme", password, NULL, &err, pool);
        ok(rv != APR_SUCCESS && err && err->http_status >= 400,
           "an unknown pool is an error (%s: %s)", err ? err->code : "?", err ? err->message : "?");
    }

    stop();
    if (!tap_failed) {
        if (system(apr_psprintf(pool, "rm -rf '%s'", dir)) != 0) {
            diag("could not remove %s", dir);
        }
    } else {
        diag("cognito-local's folder and log kept in %s", dir);
    }
    return done_testing();
}
