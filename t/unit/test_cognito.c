/*
 * Cognito with the transport replaced through its function table: the
 * exact request (its signature equal to botocore's for the same request and
 * time), the parsed answers, the error mapping and what is retried, pool
 * ids, and the temporary passwords.
 */
#include <apr_general.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "s3up_cognito.h"
#include "fake_http.h"
#include "tap.h"

#define POOL "us-east-1_AbC123"
#define LOCAL "http://127.0.0.1:9229"
#define PASSWORD "Tmp-Pass1{x}"

static s3up_creds_t creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, 0};
static s3up_creds_t token_creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                   "FwoGZXIvYXdzEBYaDH+/==example//session+token", 0};

/* The fake answers with x-amz-request-id; Cognito's JSON protocol uses
 * x-amzn-RequestId (and may name the error in x-amzn-ErrorType). */
static const char *error_type_header;

static apr_status_t json_perform(s3up_http_resp_t **out, const char **detail, s3up_http_t *h,
                                 const s3up_http_req_t *req, apr_pool_t *p)
{
    apr_status_t rv = fake_perform(out, detail, h, req, p);
    if (rv == APR_SUCCESS) {
        const char *id = apr_table_get((*out)->headers, "x-amz-request-id");
        if (id) {
            apr_table_unset((*out)->headers, "x-amz-request-id");
            apr_table_set((*out)->headers, "x-amzn-RequestId", id);
        }
        if (error_type_header) {
            apr_table_set((*out)->headers, "x-amzn-ErrorType", error_type_header);
        }
    }
    return rv;
}

static const s3up_http_ops_t json_ops = {json_perform, NULL};
static s3up_http_t http = {&json_ops, NULL, 0, 0, 0};

static s3up_cognito_t client(const char *endpoint, const s3up_creds_t *c, apr_pool_t *p)
{
    s3up_cognito_t cg;
    s3up_sigv4_t *signer;
    s3up_sigv4_create(&signer, p);
    if (s3up_cognito_init(&cg, POOL, endpoint, c, signer, &http, p) != APR_SUCCESS) {
        printf("Bail out! s3up_cognito_init failed\n");
        exit(1);
    }
    cg.aws.now = fixed_now;
    cg.aws.sleep = record_sleep;
    cg.aws.random = no_jitter;
    return cg;
}

#define ANSWER(status, body, id) ((fake_answer_t){APR_SUCCESS, (status), (body), (id), NULL})
#define JSON_ERROR(status, type, msg)                                                              \
    BODY(status, "{\"__type\":\"" type "\",\"message\":\"" msg "\"}")

static const char *CREATED =
    "{\"User\":{\"Username\":\"acme\",\"Attributes\":[{\"Name\":\"sub\",\"Value\":"
    "\"7d0a1c1e-0000-4000-8000-000000000001\"},{\"Name\":\"email\",\"Value\":\"ops@example.com\"}],"
    "\"UserCreateDate\":1764414000.25,\"UserLastModifiedDate\":1764414000.25,\"Enabled\":true,"
    "\"UserStatus\":\"FORCE_CHANGE_PASSWORD\"}}";

/* A test name on one line: control and non-ASCII bytes as \xNN. */
static const char *printable(const char *s, apr_pool_t *p)
{
    char *out = apr_palloc(p, 4 * strlen(s) + 1), *o = out;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        o += ch >= 0x20 && ch < 0x7f ? sprintf(o, "%c", ch) : sprintf(o, "\\x%02x", ch);
    }
    *o = '\0';
    return out;
}

static void test_pool_ids(apr_pool_t *p)
{
    static const char *bad[] = {"",
                                "us-east-1",
                                "_AbC123",
                                "us-east-1_",
                                "US-EAST-1_AbC123",
                                "us east-1_AbC123",
                                "us-east-1_AbC-123",
                                "us-east-1_AbC_123",
                                "-us-east-1_AbC123",
                                "us-east-1-_AbC123",
                                "us-east-1_AbC123\n",
                                "us-east-1_AbC12\xc3\xa9",
                                "us-east-1_AbCdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"};
    const char *region = NULL;
    s3up_cognito_t cg;

    ok(s3up_cognito_pool_region(&region, POOL, p) == APR_SUCCESS, "a pool id parses");
    is_str(region, "us-east-1", "region from the pool id");
    ok(s3up_cognito_pool_region(&region, "local_7Xy9AbCd", p) == APR_SUCCESS &&
           !strcmp(region, "local"),
       "cognito-local's pool ids parse (region 'local')");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_int(s3up_cognito_pool_region(&region, bad[i], p), APR_EINVAL, "bad pool id '%s' refused",
               printable(bad[i], p));
    }
    is_int(s3up_cognito_pool_region(&region, NULL, p), APR_EINVAL, "no pool id refused");

    ok(s3up_cognito_init(&cg, "eu-west-2_Xyz", NULL, &creds, NULL, &http, p) == APR_SUCCESS,
       "init with AWS's server");
    is_str(cg.server.url, "https://cognito-idp.eu-west-2.amazonaws.com", "default server");
    is_str(cg.server.host, "cognito-idp.eu-west-2.amazonaws.com", "default Host");
    is_str(cg.aws.region, "eu-west-2", "client's region");
    ok(s3up_cognito_init(&cg, POOL, "http://127.0.0.1:9229/", &creds, NULL, &http, p) ==
               APR_SUCCESS &&
           !strcmp(cg.server.origin, LOCAL) && !strcmp(cg.server.host, "127.0.0.1:9229"),
       "a local endpoint keeps its port in Host");
    is_int(s3up_cognito_init(&cg, "bad", NULL, &creds, NULL, &http, p), APR_EINVAL,
           "init refuses a bad pool id");
    is_int(s3up_cognito_init(&cg, POOL, "http://x/path", &creds, NULL, &http, p), APR_EINVAL,
           "init refuses an endpoint with a path");
    is_int(s3up_cognito_init(&cg, POOL, "ftp://x", &creds, NULL, &http, p), APR_EINVAL,
           "init refuses a non-http endpoint");
}

/* The Authorization values come from botocore 1.29 (Debian's
 * python3-botocore), both its Python SigV4Auth and the CRT one (aws-c-auth)
 * agreeing, signing this very request (URL, the two headers, the body
 * bytes) for service cognito-idp, us-east-1, at 2025-11-29T11:00:00Z. Like
 * the AWS SDKs, neither sends nor signs x-amz-content-sha256 here. */
#define BODY_CREATE                                                                                \
    "{\"UserPoolId\":\"" POOL "\",\"Username\":\"acme\",\"TemporaryPassword\":\"" PASSWORD         \
    "\",\"MessageAction\":\"SUPPRESS\",\"UserAttributes\":[{\"Name\":\"email\",\"Value\":"         \
    "\"ops@example.com\"}]}"
#define BOTOCORE_LOCAL                                                                             \
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251129/us-east-1/cognito-idp/aws4_request, "        \
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "                                    \
    "Signature=5f5627d4b456f6cb349acc86342b6ab233c39826a3c7f05a15061f8c2ad315c2"
#define BOTOCORE_AWS_TOKEN                                                                         \
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251129/us-east-1/cognito-idp/aws4_request, "        \
    "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "               \
    "Signature=ddcbf2a23d954ae3eedb369b4db8040b501370b9cbab731190d4cd84ece84a4d"

static void test_create_request(apr_pool_t *p)
{
    s3up_cognito_t cg = client(LOCAL, &creds, p);
    s3up_cognito_user_t *u = NULL;
    s3up_error_t *err = NULL;
    apr_status_t rv;

    script(1, BODY(200, CREATED));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, "ops@example.com", &err, p);
    is_int(rv, APR_SUCCESS, "AdminCreateUser succeeds");
    is_str(fake.method, "POST", "method");
    is_str(fake.url, LOCAL "/", "URL is the endpoint's root");
    is_str(sent_header("x-amz-target"), "AWSCognitoIdentityProviderService.AdminCreateUser",
           "target header");
    is_str(sent_header("content-type"), "application/x-amz-json-1.1", "content type");
    is_str(sent_header("host"), "127.0.0.1:9229", "Host signed as curl sends it");
    is_str(sent_header("x-amz-date"), "20251129T110000Z", "signing time");
    ok(!sent_header("x-amz-content-sha256"), "no x-amz-content-sha256 (generic AWS rules)");
    ok(!sent_header("x-amz-security-token"), "no token header without a token");
    ok(fake.body && fake.body_len == strlen(BODY_CREATE) &&
           !memcmp(fake.body, BODY_CREATE, fake.body_len),
       "JSON body exactly");
    if (fake.body && strcmp(fake.body, BODY_CREATE)) {
        diag("got: %.*s", (int)fake.body_len, fake.body);
    }
    ok(sent_header("authorization") &&
           strstr(sent_header("authorization"), "/20251129/us-east-1/cognito-idp/aws4_request,"),
       "credential scope .../cognito-idp/aws4_request");
    is_str(sent_header("authorization"), BOTOCORE_LOCAL, "Authorization equals botocore's");

    ok(u != NULL, "a user came back");
    if (u) {
        is_str(u->username, "acme", "User.Username");
        is_str(u->status, "FORCE_CHANGE_PASSWORD", "User.UserStatus");
        is_int(u->created, APR_INT64_C(1764414000250000), "User.UserCreateDate (fractional s)");
        ok(u->enabled, "User.Enabled");
        is_str(apr_table_get(u->attributes, "email"), "ops@example.com", "email attribute");
        ok(apr_table_get(u->attributes, "sub") != NULL, "sub attribute");
    }

    cg = client(NULL, &token_creds, p);
    script(1, BODY(200, CREATED));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, "ops@example.com", &err, p);
    is_int(rv, APR_SUCCESS, "AdminCreateUser with a session token");
    is_str(fake.url, "https://cognito-idp.us-east-1.amazonaws.com/", "AWS's regional endpoint");
    is_str(sent_header("x-amz-security-token"), token_creds.session_token, "token header sent");
    is_str(sent_header("authorization"), BOTOCORE_AWS_TOKEN,
           "Authorization with a token equals botocore's");

    cg = client(LOCAL, &creds, p);
    script(1, BODY(200, "{\"User\":{\"Username\":\"acme\",\"UserStatus\":"
                        "\"FORCE_CHANGE_PASSWORD\",\"UserCreateDate\":1764414000}}"));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == APR_SUCCESS && fake.body && !strstr(fake.body, "UserAttributes"),
       "without an email no UserAttributes are sent");
    ok(rv == APR_SUCCESS && u->created == APR_INT64_C(1764414000) * APR_USEC_PER_SEC &&
           apr_is_empty_table(u->attributes),
       "integer UserCreateDate, no attributes");
}

static void test_get_user(apr_pool_t *p)
{
    s3up_cognito_t cg = client(LOCAL, &creds, p);
    s3up_cognito_user_t *u = NULL;
    s3up_error_t *err = NULL;
    apr_status_t rv;

    script(1, BODY(200, "{\"Username\":\"acme\",\"UserAttributes\":[{\"Name\":\"email\","
                        "\"Value\":\"ops@example.com\"}],\"UserCreateDate\":1764414000,"
                        "\"Enabled\":false,\"UserStatus\":\"CONFIRMED\"}"));
    rv = s3up_cognito_admin_get_user(&u, &cg, "acme", &err, p);
    is_int(rv, APR_SUCCESS, "AdminGetUser succeeds");
    is_str(sent_header("x-amz-target"), "AWSCognitoIdentityProviderService.AdminGetUser",
           "AdminGetUser target");
    ok(fake.body && !strcmp(fake.body, "{\"UserPoolId\":\"" POOL "\",\"Username\":\"acme\"}"),
       "AdminGetUser body");
    ok(u && !strcmp(u->username, "acme") && !strcmp(u->status, "CONFIRMED") && !u->enabled &&
           !strcmp(apr_table_get(u->attributes, "email"), "ops@example.com"),
       "AdminGetUser answer parsed (UserAttributes, Enabled false)");

    script(1, ANSWER(400,
                     "{\"__type\":\"UserNotFoundException\",\"message\":\"User does not "
                     "exist.\"}",
                     "req-1"));
    rv = s3up_cognito_admin_get_user(&u, &cg, "nobody", &err, p);
    is_int(rv, S3UP_ENOTFOUND, "unknown user is not found");
    ok(err && !strcmp(err->code, "UserNotFoundException") &&
           !strcmp(err->message, "User does not exist.") && err->http_status == 400 &&
           err->request_id && !strcmp(err->request_id, "req-1") && !err->retryable,
       "with code, message, status and x-amzn-RequestId");

    script(3, FAIL(S3UP_ETRANSPORT), JSON_ERROR(500, "InternalErrorException", "boom"),
           BODY(200, "{\"Username\":\"acme\",\"UserStatus\":\"CONFIRMED\"}"));
    rv = s3up_cognito_admin_get_user(&u, &cg, "acme", &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 3,
       "AdminGetUser (idempotent) retried after a lost answer and a 500 (calls=%d)", fake.calls);
}

static void test_errors(apr_pool_t *p)
{
    s3up_cognito_t cg = client(LOCAL, &creds, p);
    s3up_cognito_user_t *u = NULL;
    s3up_error_t *err = NULL;
    apr_status_t rv;

    script(2, JSON_ERROR(400, "UsernameExistsException", "User account already exists"),
           BODY(200, CREATED));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    is_int(rv, S3UP_ECONFLICT, "UsernameExistsException is a conflict");
    ok(err && !strcmp(err->code, "UsernameExistsException") &&
           !strcmp(err->message, "User account already exists") && !err->retryable &&
           fake.calls == 1,
       "with Cognito's code and message, not retried");

    script(1, BODY(400, "{\"__type\":\"com.amazonaws.cognito.identity.idp.model#"
                        "UsernameExistsException\",\"Message\":\"taken\"}"));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == S3UP_ECONFLICT && !strcmp(err->code, "UsernameExistsException") &&
           !strcmp(err->message, "taken"),
       "namespace before '#' stripped, 'Message' read");

    error_type_header = "UsernameExistsException:http://internal.amazon.com/coral/x/";
    script(1, OK(400));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    error_type_header = NULL;
    ok(rv == S3UP_ECONFLICT && !strcmp(err->code, "UsernameExistsException") &&
           strstr(err->message, "HTTP 400"),
       "code from x-amzn-ErrorType when the body is empty");

    script(1, JSON_ERROR(400, "InvalidPasswordException",
                         "Password does not conform to policy: Password must have symbols"));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == S3UP_ES3 && !strcmp(err->code, "InvalidPasswordException") && !err->retryable &&
           strstr(err->message, "symbols") && fake.calls == 1,
       "InvalidPasswordException: an error, not retried");

    script(1, JSON_ERROR(400, "NotAuthorizedException", "Access denied"));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == S3UP_ES3 && !strcmp(err->code, "NotAuthorizedException") && !err->retryable,
       "NotAuthorizedException: an error, not retried");

    script(1, JSON_ERROR(400, "ResourceNotFoundException",
                         "User pool us-east-1_AbC123 does "
                         "not exist."));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    is_int(rv, S3UP_ENOTFOUND, "unknown pool is not found");

    script(1, BODY(502, "<html>Bad Gateway</html>"));
    cg.aws.max_attempts = 1;
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    cg.aws.max_attempts = 3;
    ok(rv == S3UP_ES3 && !strcmp(err->code, "InternalErrorException") && err->retryable &&
           err->http_status == 502,
       "a 5xx without a JSON body has a code and is retryable");

    script(1, BODY(200, "not json"));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == S3UP_EPARSE && !strcmp(err->code, "BadResponse"), "unreadable answer");

    script(1, BODY(200, "{}"));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == S3UP_EPARSE, "answer without User");
}

static void test_retries(apr_pool_t *p)
{
    s3up_cognito_t cg = client(LOCAL, &creds, p);
    s3up_cognito_user_t *u = NULL;
    s3up_error_t *err = NULL;
    apr_status_t rv;

    script(2, JSON_ERROR(500, "InternalErrorException", "try again"), BODY(200, CREATED));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 2 && fake.sleeps == 1,
       "a 500 is retried (calls=%d, sleeps=%d)", fake.calls, fake.sleeps);
    is_int(fake.slept[0], apr_time_from_msec(50), "first backoff: half of 100 ms, no jitter");

    script(4, JSON_ERROR(500, "InternalErrorException", "a"),
           JSON_ERROR(503, "InternalErrorException", "b"),
           JSON_ERROR(500, "InternalErrorException", "c"), BODY(200, CREATED));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == S3UP_ES3 && fake.calls == 3 && err->retryable && !strcmp(err->message, "c"),
       "bounded: gives up after 3 attempts with the last error (calls=%d)", fake.calls);
    ok(fake.sleeps == 2 && fake.slept[1] == apr_time_from_msec(100), "backoff doubles");

    script(2, JSON_ERROR(400, "TooManyRequestsException", "Rate exceeded"), BODY(200, CREATED));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 2, "TooManyRequestsException retried");

    script(2, JSON_ERROR(400, "ThrottlingException", "Rate exceeded"), BODY(200, CREATED));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 2, "ThrottlingException retried");

    script(2, FAIL(S3UP_ENOCONNECT), BODY(200, CREATED));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 2, "no connection (nothing sent): retried");

    script(2, FAIL(S3UP_ETRANSPORT), BODY(200, CREATED));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == S3UP_ETRANSPORT && fake.calls == 1 && !strcmp(err->code, "TransportError"),
       "lost answer: AdminCreateUser not repeated (calls=%d)", fake.calls);

    script(2, BODY(504, ""), BODY(200, CREATED));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == S3UP_ES3 && fake.calls == 1, "gateway timeout (outcome unknown): not repeated");

    script(2, JSON_ERROR(500, "InternalErrorException", "x"),
           JSON_ERROR(400, "UsernameExistsException", "User account already exists"));
    rv = s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    ok(rv == S3UP_ECONFLICT && strstr(err->message, "earlier attempt failed with HTTP 500"),
       "a conflict after a retried 500 says the first attempt may have created it");
}

static int log_leaked;
static void log_check(void *baton, int level, apr_status_t rv, const char *msg)
{
    (void)baton, (void)level, (void)rv;
    log_leaked |=
        strstr(msg, PASSWORD) || strstr(msg, "Signature") || strstr(msg, creds.secret_key);
}

static void test_inputs(apr_pool_t *p)
{
    s3up_cognito_t cg = client(LOCAL, &creds, p);
    s3up_cognito_user_t *u = NULL;
    s3up_error_t *err = NULL;
    char long_name[130];
    static const char *bad[] = {"", "a b", "a\tb", "a\nb", "a\x7f", "\xff\xfe"};

    memset(long_name, 'a', 129);
    long_name[129] = '\0';
    script(0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_int(s3up_cognito_admin_create_user(&u, &cg, bad[i], PASSWORD, NULL, &err, p), APR_EINVAL,
               "bad username '%s' refused", printable(bad[i], p));
    }
    is_int(s3up_cognito_admin_create_user(&u, &cg, long_name, PASSWORD, NULL, &err, p), APR_EINVAL,
           "129-byte username refused");
    long_name[128] = '\0';
    script(1, BODY(200, CREATED));
    is_int(s3up_cognito_admin_create_user(&u, &cg, long_name, PASSWORD, NULL, &err, p), APR_SUCCESS,
           "128-byte username accepted");
    script(0);
    is_int(s3up_cognito_admin_create_user(&u, &cg, "acme", "pass word", NULL, &err, p), APR_EINVAL,
           "password with a blank refused");
    is_int(s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, "a\xff@x", &err, p),
           APR_EINVAL, "email not UTF-8 refused");
    is_int(s3up_cognito_admin_get_user(&u, &cg, "", &err, p), APR_EINVAL,
           "AdminGetUser: empty username refused");
    is_int(fake.calls, 0, "nothing sent for bad input");

    s3up_log_set(log_check, NULL, S3UP_LOG_DEBUG);
    script(3, JSON_ERROR(500, "InternalErrorException", "x"), FAIL(S3UP_ENOCONNECT),
           BODY(200, CREATED));
    s3up_cognito_admin_create_user(&u, &cg, "acme", PASSWORD, NULL, &err, p);
    s3up_log_set(NULL, NULL, 0);
    ok(fake.calls == 3 && !log_leaked, "retries logged without the password or signature");
}

static int in_set(char ch, const char *set)
{
    return ch && strchr(set, ch) != NULL;
}

static void test_passwords(apr_pool_t *p)
{
    /* Cognito's special characters, from its password policy documentation. */
    static const char cognito_symbols[] = "^$*.[]{}()?-\"!@#%&/\\,><':;|_~`+=";
    apr_hash_t *seen = apr_hash_make(p);
    int counts[256] = {0};
    int bad_len = 0, bad_char = 0, missing = 0, dups = 0, rarest = 1000000, kinds = 0;

    for (int i = 0; i < 1000; i++) {
        const char *pw = NULL;
        int up = 0, lo = 0, dg = 0, sy = 0;
        if (s3up_cognito_password(&pw, p) != APR_SUCCESS || !pw) {
            ok(0, "password #%d generated", i);
            return;
        }
        bad_len += strlen(pw) != S3UP_COGNITO_PASSWORD_LEN;
        for (const char *c = pw; *c; c++) {
            up |= apr_isupper(*c) && apr_isascii(*c);
            lo |= apr_islower(*c) && apr_isascii(*c);
            dg |= apr_isdigit(*c) && apr_isascii(*c);
            sy |= in_set(*c, cognito_symbols);
            bad_char += !(apr_isascii(*c) && apr_isalnum(*c)) && !in_set(*c, cognito_symbols);
            counts[(unsigned char)*c]++;
        }
        missing += !(up && lo && dg && sy);
        dups += apr_hash_get(seen, pw, APR_HASH_KEY_STRING) != NULL;
        apr_hash_set(seen, pw, APR_HASH_KEY_STRING, pw);
    }
    is_int(bad_len, 0, "1000 passwords of %d characters", S3UP_COGNITO_PASSWORD_LEN);
    is_int(bad_char, 0, "only letters, digits and Cognito's special characters");
    is_int(missing, 0, "every password has upper, lower, digit and symbol");
    is_int(dups, 0, "all distinct");
    for (int c = 0; c < 256; c++) {
        if (counts[c]) {
            kinds++;
            rarest = counts[c] < rarest ? counts[c] : rarest;
        }
    }
    /* 90 characters, 20,000 drawn: about 222 each; well under 100 would
     * mean a skewed draw. */
    is_int(kinds, 90, "every character of the alphabet is used");
    ok(rarest > 100, "no character is rare (rarest seen %d times)", rarest);
    ok(!counts['"'] && !counts['\''] && !counts['\\'] && !counts['`'] && !counts[' '],
       "no quotes, backslash, backtick or blank (they break when pasted)");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_pool_ids(p);
    test_create_request(p);
    test_get_user(p);
    test_errors(p);
    test_retries(p);
    test_inputs(p);
    test_passwords(p);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
