/*
 * Credentials plans: the shared files, each source's requirements, and the
 * chain's order (the AWS SDKs'). Reads the process environment, which each
 * test sets.
 */
#include <stdlib.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_creds.h"
#include "tap.h"

static const char *const aws_vars[] = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_SESSION_NAME",
    "AWS_ENDPOINT_URL_STS",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    NULL,
};

static void clear_env(void)
{
    for (int i = 0; aws_vars[i]; i++) {
        unsetenv(aws_vars[i]);
    }
}

static const char *credentials_text = "# comment\n"
                                      "[default]\n"
                                      "aws_access_key_id = AKIDDEFAULT\n"
                                      "aws_secret_access_key = default-secret\n"
                                      "\n"
                                      "; another comment\n"
                                      "[work]\r\n"
                                      "aws_access_key_id=AKIDWORK\r\n"
                                      "aws_secret_access_key =  work/secret+=  \r\n"
                                      "aws_session_token = work-token\r\n"
                                      "[half]\n"
                                      "aws_access_key_id = AKIDHALF\n";

static const char *config_text = "[default]\n"
                                 "region = eu-west-1\n"
                                 "[profile work]\n"
                                 "aws_access_key_id = AKIDFROMCONFIG\n"
                                 "region = us-west-2\n"
                                 "s3 =\n"
                                 "  addressing_style = path\n"
                                 "[profile irsa]\n"
                                 "role_arn = arn:aws:iam::1:role/r\n"
                                 "web_identity_token_file = /run/token\n"
                                 "[profile assume]\n"
                                 "role_arn = arn:aws:iam::1:role/r\n"
                                 "source_profile = work\n"
                                 "[sso-session corp]\n"
                                 "sso_region = us-east-1\n"
                                 "[work]\n"
                                 "aws_secret_access_key = not-a-profile-in-the-config-file\n";

static s3up_creds_files_t *sample_files(apr_pool_t *p)
{
    s3up_creds_files_t *f = s3up_creds_files_make(p);
    const char *why;

    s3up_creds_files_add(f, credentials_text, 0, &why, p);
    s3up_creds_files_add(f, config_text, 1, &why, p);
    return f;
}

static void test_files(apr_pool_t *p)
{
    s3up_creds_files_t *f = sample_files(p), *bad;
    const char *why, *dir, *path;
    apr_file_t *fh;

    is_str(s3up_creds_files_get(f, "default", "aws_access_key_id"), "AKIDDEFAULT",
           "files: [default] of the credentials file");
    is_str(s3up_creds_files_get(f, "work", "aws_secret_access_key"),
           "work/secret+=", "files: value trimmed, CRLF lines");
    is_str(s3up_creds_files_get(f, "work", "aws_access_key_id"), "AKIDWORK",
           "files: the credentials file wins over the config file");
    is_str(s3up_creds_files_get(f, "work", "region"), "us-west-2",
           "files: [profile work] of the config file fills the rest");
    ok(s3up_creds_files_get(f, "work", "addressing_style") == NULL,
       "files: indented sub-settings are not settings of the profile");
    is_str(s3up_creds_files_get(f, "irsa", "web_identity_token_file"), "/run/token",
           "files: a profile only in the config file");
    ok(s3up_creds_files_get(f, "corp", "sso_region") == NULL &&
           s3up_creds_files_get(f, "sso-session corp", "sso_region") == NULL,
       "files: sections of the config file that are not profiles are no profiles");
    ok(s3up_creds_files_get(f, "nope", "aws_access_key_id") == NULL, "files: unknown profile");
    ok(s3up_creds_files_get(NULL, "work", "x") == NULL, "files: none read");

    bad = s3up_creds_files_make(p);
    is_int(s3up_creds_files_add(bad, "[a]\nkey = v\nno equals sign\n", 0, &why, p), APR_EINVAL,
           "files: a line that is no setting is refused");
    is_str(why, "line 3: neither a section, a setting nor a comment", "files: ... with its line");
    is_int(s3up_creds_files_add(bad, "key = v\n", 0, &why, p), APR_EINVAL,
           "files: a setting before any section");
    is_int(s3up_creds_files_add(bad, "[a\n", 0, &why, p), APR_EINVAL,
           "files: a section without its ']'");

    clear_env();
    apr_temp_dir_get(&dir, p);
    path = apr_psprintf(p, "%s/s3up-test-aws-%ld", dir, (long)getpid());
    apr_file_open(&fh, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE,
                  APR_FPROT_UREAD | APR_FPROT_UWRITE, p);
    apr_file_puts("[from-file]\naws_access_key_id = AKIDFILE\n", fh);
    apr_file_close(fh);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/s3up/config", 1);
    is_int(s3up_creds_files_load(&f, &why, p), APR_SUCCESS,
           "load: the named file, and a missing one is no error");
    is_str(s3up_creds_files_get(f, "from-file", "aws_access_key_id"), "AKIDFILE",
           "load: AWS_SHARED_CREDENTIALS_FILE is read");
    apr_file_open(&fh, path, APR_FOPEN_WRITE | APR_FOPEN_TRUNCATE, APR_FPROT_OS_DEFAULT, p);
    apr_file_puts("[x]\ngarbage\n", fh);
    apr_file_close(fh);
    is_int(s3up_creds_files_load(&f, &why, p), APR_EINVAL, "load: a malformed file fails");
    ok(why && strstr(why, path) && strstr(why, "line 2"), "load: ... naming the file and line");
    apr_file_remove(path, p);
    clear_env();
}

static const char *plan(s3up_creds_plan_t *out, s3up_creds_source_e source, const char *profile,
                        const s3up_creds_t *configured, apr_pool_t *p)
{
    s3up_creds_want_t want = {source, profile, configured, "eu-central-1", sample_files(p)};

    return s3up_creds_plan(out, &want, p);
}

static void test_sources(apr_pool_t *p)
{
    s3up_creds_plan_t pl;
    s3up_creds_t *configured;
    s3up_creds_source_e s;
    const char *why;

    is_int(s3up_creds_source_parse(&s, "Web-Identity"), APR_SUCCESS, "source: case ignored");
    is_int(s, S3UP_CREDS_WEB_IDENTITY, "source: web-identity");
    is_int(s3up_creds_source_parse(&s, "vault"), APR_EINVAL, "source: unknown word");
    is_str(s3up_creds_source_name(S3UP_CREDS_IMDS), "imds", "source: its name");

    clear_env();
    s3up_creds_static(&configured, "AKIDCONF", "conf-secret", p);
    ok(plan(&pl, S3UP_CREDS_STATIC, NULL, configured, p) == NULL &&
           pl.source == S3UP_CREDS_STATIC && pl.keys == configured,
       "static: the configured keys");
    why = plan(&pl, S3UP_CREDS_STATIC, NULL, NULL, p);
    ok(why && strstr(why, "S3UpCredentials static:"), "static: refused without keys");

    why = plan(&pl, S3UP_CREDS_ENV, NULL, configured, p);
    ok(why && strstr(why, "not both set"), "env: refused without AWS_* (configured keys unused)");
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    ok(plan(&pl, S3UP_CREDS_ENV, NULL, NULL, p) == NULL && !strcmp(pl.keys->access_key, "AKIDENV"),
       "env: the environment's keys");
    clear_env();

    ok(plan(&pl, S3UP_CREDS_PROFILE, "work", NULL, p) == NULL && pl.source == S3UP_CREDS_STATIC &&
           !strcmp(pl.keys->access_key, "AKIDWORK") &&
           !strcmp(pl.keys->session_token, "work-token"),
       "profile: keys and session token");
    ok(plan(&pl, S3UP_CREDS_PROFILE, "irsa", NULL, p) == NULL &&
           pl.source == S3UP_CREDS_WEB_IDENTITY && !strcmp(pl.token_file, "/run/token") &&
           !strcmp(pl.role_arn, "arn:aws:iam::1:role/r"),
       "profile: role_arn + web_identity_token_file is web identity");
    why = plan(&pl, S3UP_CREDS_PROFILE, "assume", NULL, p);
    ok(why && strstr(why, "source_profile or credential_source"),
       "profile: a role assumed from another profile is refused, saying why");
    why = plan(&pl, S3UP_CREDS_PROFILE, "half", NULL, p);
    ok(why && strstr(why, "needs both aws_access_key_id and aws_secret_access_key"),
       "profile: a key without its secret");
    why = plan(&pl, S3UP_CREDS_PROFILE, "nope", NULL, p);
    ok(why && strstr(why, "profile 'nope' is not in the shared"), "profile: unknown profile");
    setenv("AWS_PROFILE", "work", 1);
    ok(plan(&pl, S3UP_CREDS_PROFILE, NULL, NULL, p) == NULL &&
           !strcmp(pl.keys->access_key, "AKIDWORK"),
       "profile: AWS_PROFILE when no name is given (the chain's case)");
    clear_env();

    why = plan(&pl, S3UP_CREDS_WEB_IDENTITY, NULL, NULL, p);
    ok(why && strstr(why, "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE"),
       "web identity: refused without its variables");
    setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/x", 1);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token", 1);
    ok(plan(&pl, S3UP_CREDS_WEB_IDENTITY, NULL, NULL, p) == NULL, "web identity: planned");
    is_str(pl.url, "https://sts.eu-central-1.amazonaws.com",
           "web identity: the regional STS of S3UpRegion");
    is_str(pl.session_name, "mod_s3up", "web identity: a session name by default");
    setenv("AWS_REGION", "cn-north-1", 1);
    setenv("AWS_ROLE_SESSION_NAME", "portal-1", 1);
    plan(&pl, S3UP_CREDS_WEB_IDENTITY, NULL, NULL, p);
    is_str(pl.url, "https://sts.cn-north-1.amazonaws.com.cn",
           "web identity: AWS_REGION wins; China's domain");
    is_str(pl.session_name, "portal-1", "web identity: AWS_ROLE_SESSION_NAME");
    setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9000", 1);
    plan(&pl, S3UP_CREDS_WEB_IDENTITY, NULL, NULL, p);
    is_str(pl.url, "http://127.0.0.1:9000", "web identity: AWS_ENDPOINT_URL_STS");
    clear_env();

    why = plan(&pl, S3UP_CREDS_ECS, NULL, NULL, p);
    ok(why && strstr(why, "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
       "ecs: refused without its variables");
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/id", 1);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/ignored", 1);
    plan(&pl, S3UP_CREDS_ECS, NULL, NULL, p);
    is_str(pl.url, "http://169.254.170.2/v2/credentials/id",
           "ecs: the relative URI on ECS's address comes first");
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok", 1);
    static const char *const good[] = {
        "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1/credentials",
        "http://127.0.0.1:8080/c", "http://localhost/c", "https://creds.example.com/c"};
    for (int i = 0; i < 5; i++) {
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", good[i], 1);
        ok(plan(&pl, S3UP_CREDS_ECS, NULL, NULL, p) == NULL && !strcmp(pl.url, good[i]),
           "ecs: full URI %s allowed", good[i]);
    }
    is_str(pl.token, "tok", "ecs: AWS_CONTAINER_AUTHORIZATION_TOKEN");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/run/ecs-token", 1);
    plan(&pl, S3UP_CREDS_ECS, NULL, NULL, p);
    ok(pl.token == NULL && !strcmp(pl.token_file, "/run/ecs-token"),
       "ecs: the token file wins over the token");
    static const char *const bad[] = {"http://creds.example.com/c", "http://127.0.0.1.evil.com/c",
                                      "http://169.254.170.2.nip.io/", "ftp://127.0.0.1/c"};
    for (int i = 0; i < 4; i++) {
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", bad[i], 1);
        why = plan(&pl, S3UP_CREDS_ECS, NULL, NULL, p);
        ok(why != NULL, "ecs: full URI %s refused", bad[i]);
    }
    clear_env();

    ok(plan(&pl, S3UP_CREDS_IMDS, NULL, NULL, p) == NULL &&
           !strcmp(pl.url, "http://169.254.169.254"),
       "imds: the link-local address");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://[fd00:ec2::254]/", 1);
    plan(&pl, S3UP_CREDS_IMDS, NULL, NULL, p);
    is_str(pl.url, "http://[fd00:ec2::254]", "imds: AWS_EC2_METADATA_SERVICE_ENDPOINT, no slash");
    setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
    why = plan(&pl, S3UP_CREDS_IMDS, NULL, NULL, p);
    ok(why && strstr(why, "AWS_EC2_METADATA_DISABLED"), "imds: disabled");
    clear_env();
}

static void test_chain(apr_pool_t *p)
{
    s3up_creds_plan_t pl;
    s3up_creds_t *configured;
    s3up_creds_files_t *none = s3up_creds_files_make(p);
    s3up_creds_want_t want = {S3UP_CREDS_CHAIN, NULL, NULL, "us-east-1", none};
    const char *why;

    clear_env();
    s3up_creds_static(&configured, "AKIDCONF", "conf-secret", p);
    ok(s3up_creds_plan(&pl, &want, p) == NULL && pl.source == S3UP_CREDS_IMDS,
       "chain: nothing set up: instance metadata");
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/c", 1);
    ok(s3up_creds_plan(&pl, &want, p) == NULL && pl.source == S3UP_CREDS_ECS,
       "chain: the container endpoint before instance metadata");
    want.files = sample_files(p);
    ok(s3up_creds_plan(&pl, &want, p) == NULL && pl.source == S3UP_CREDS_STATIC &&
           !strcmp(pl.keys->access_key, "AKIDDEFAULT"),
       "chain: the default profile before the container endpoint");
    setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/x", 1);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token", 1);
    ok(s3up_creds_plan(&pl, &want, p) == NULL && pl.source == S3UP_CREDS_WEB_IDENTITY,
       "chain: web identity before the profile");
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    ok(s3up_creds_plan(&pl, &want, p) == NULL && !strcmp(pl.keys->access_key, "AKIDENV"),
       "chain: the environment's keys before web identity");
    want.configured = configured;
    ok(s3up_creds_plan(&pl, &want, p) == NULL && pl.keys == configured &&
           !strcmp(pl.from, "S3UpAccessKey"),
       "chain: S3UpAccessKey first");
    want.configured = NULL;
    unsetenv("AWS_SECRET_ACCESS_KEY");
    why = s3up_creds_plan(&pl, &want, p);
    ok(why && strstr(why, "S3UpCredentials chain:"),
       "chain: a source half set up is an error, not skipped");
    clear_env();
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    want.files = none;
    why = s3up_creds_plan(&pl, &want, p);
    ok(why && strstr(why, "no S3 credentials"), "chain: nothing at all");
    clear_env();
}

static void test_plan_key(apr_pool_t *p)
{
    s3up_creds_plan_t a = {0}, b;

    a.source = S3UP_CREDS_WEB_IDENTITY;
    a.url = "https://sts.us-east-1.amazonaws.com";
    a.role_arn = "arn:aws:iam::1:role/a";
    a.token_file = "/run/t";
    b = a;
    is_str(s3up_creds_plan_key(&a, p), s3up_creds_plan_key(&b, p), "key: same plan, same key");
    b.role_arn = "arn:aws:iam::1:role/b";
    ok(strcmp(s3up_creds_plan_key(&a, p), s3up_creds_plan_key(&b, p)), "key: another role");
    b = a;
    b.source = S3UP_CREDS_ECS;
    ok(strcmp(s3up_creds_plan_key(&a, p), s3up_creds_plan_key(&b, p)), "key: another source");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_files(p);
    test_sources(p);
    test_chain(p);
    test_plan_key(p);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
