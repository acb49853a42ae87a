/*
 * Credentials: static keys, the environment, secret files.
 */
#include <stdlib.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_creds.h"
#include "tap.h"

static const char *write_file(apr_pool_t *p, const char *name, const char *data, apr_size_t len)
{
    const char *dir, *path;
    apr_file_t *f;

    apr_temp_dir_get(&dir, p);
    path = apr_psprintf(p, "%s/s3up-test-creds-%ld-%s", dir, (long)getpid(), name);
    if (apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE,
                      APR_FPROT_UREAD | APR_FPROT_UWRITE, p) != APR_SUCCESS) {
        return NULL;
    }
    apr_file_write_full(f, data, len, NULL);
    apr_file_close(f);
    return path;
}

static void test_static(apr_pool_t *p)
{
    s3up_creds_t *c;

    is_int(s3up_creds_static(&c, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", p),
           APR_SUCCESS, "static: accepted");
    is_str(c->access_key, "AKIDEXAMPLE", "static: access key");
    is_str(c->secret_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "static: secret");
    ok(c->session_token == NULL && c->expires == 0, "static: no token, never expires");

    is_int(s3up_creds_static(&c, "", "s", p), APR_EINVAL, "static: empty access key refused");
    ok(c == NULL, "static: no result on error");
    is_int(s3up_creds_static(&c, "AKID", NULL, p), APR_EINVAL, "static: missing secret refused");
    is_int(s3up_creds_static(&c, "AKID EXAMPLE", "s", p), APR_EINVAL,
           "static: space in access key refused");
    is_int(s3up_creds_static(&c, "AKID", "se\x01cret", p), APR_EINVAL,
           "static: control character in secret refused");
}

static void test_env(apr_pool_t *p)
{
    s3up_creds_t *c;

    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
    is_int(s3up_creds_from_env(&c, p), APR_ENOENT, "env: nothing set");

    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    is_int(s3up_creds_from_env(&c, p), APR_ENOENT, "env: secret missing");
    setenv("AWS_SECRET_ACCESS_KEY", "", 1);
    is_int(s3up_creds_from_env(&c, p), APR_ENOENT, "env: empty secret counts as missing");

    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    is_int(s3up_creds_from_env(&c, p), APR_SUCCESS, "env: keys set");
    is_str(c->access_key, "AKIDENV", "env: access key");
    is_str(c->secret_key, "envsecret", "env: secret");
    ok(c->session_token == NULL, "env: no session token");

    setenv("AWS_SESSION_TOKEN", "", 1);
    s3up_creds_from_env(&c, p);
    ok(c->session_token == NULL, "env: empty session token counts as none");
    setenv("AWS_SESSION_TOKEN", "tok", 1);
    s3up_creds_from_env(&c, p);
    is_str(c->session_token, "tok", "env: session token");

    unsetenv("AWS_ACCESS_KEY_ID");
    is_int(s3up_creds_from_env(&c, p), APR_ENOENT, "env: access key missing");
}

static void test_secret_file(apr_pool_t *p)
{
    const char *path, *secret;
    char big[S3UP_CREDS_SECRET_FILE_MAX + 1];

    path = write_file(p, "good", "  s3cr3t/+=\r\n\n", 14);
    is_int(s3up_creds_read_secret_file(&secret, path, p), APR_SUCCESS, "file: read");
    is_str(secret, "s3cr3t/+=", "file: whitespace trimmed");
    apr_file_remove(path, p);

    path = write_file(p, "blank", " \n\t\n", 4);
    is_int(s3up_creds_read_secret_file(&secret, path, p), APR_EINVAL, "file: blank refused");
    ok(secret == NULL, "file: no result on error");
    apr_file_remove(path, p);

    path = write_file(p, "empty", "", 0);
    is_int(s3up_creds_read_secret_file(&secret, path, p), APR_EINVAL, "file: empty refused");
    apr_file_remove(path, p);

    path = write_file(p, "nul", "ab\0cd", 5);
    is_int(s3up_creds_read_secret_file(&secret, path, p), APR_EINVAL, "file: NUL byte refused");
    apr_file_remove(path, p);

    memset(big, 'x', sizeof(big));
    path = write_file(p, "big", big, sizeof(big) - 1);
    is_int(s3up_creds_read_secret_file(&secret, path, p), APR_SUCCESS, "file: at the limit");
    is_int(strlen(secret), sizeof(big) - 1, "file: all of it");
    apr_file_remove(path, p);
    path = write_file(p, "big", big, sizeof(big));
    is_int(s3up_creds_read_secret_file(&secret, path, p), S3UP_ETOOBIG, "file: over the limit");
    apr_file_remove(path, p);

    ok(APR_STATUS_IS_ENOENT(s3up_creds_read_secret_file(&secret, "/nonexistent/s3up", p)),
       "file: missing file is ENOENT");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_static(p);
    test_env(p);
    test_secret_file(p);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
