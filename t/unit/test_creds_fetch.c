/*
 * Fetching credentials (STS web identity, the container endpoint, IMDSv2)
 * through the fake transport, and the provider that keeps them: cached,
 * refreshed before expiry, kept through a failed refresh while valid, one
 * fetch for many threads.
 */
#include <stdlib.h>

#include <apr_atomic.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "fake_http.h"
#include "s3up_creds.h"
#include "s3up_time.h"
#include "tap.h"

static s3up_http_t fake_http = {&fake_ops, NULL, 0, 0, 0};

static s3up_aws_t engine(int attempts)
{
    s3up_aws_t e;

    s3up_aws_init(&e, "sts", "us-east-1", NULL, NULL, &fake_http);
    e.now = fixed_now;
    e.sleep = record_sleep;
    e.random = no_jitter;
    e.max_attempts = attempts;
    return e;
}

static const char *temp_file(apr_pool_t *p, const char *name, const char *text)
{
    const char *dir, *path;
    apr_file_t *f;

    apr_temp_dir_get(&dir, p);
    path = apr_psprintf(p, "%s/s3up-test-%ld-%s", dir, (long)getpid(), name);
    apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE,
                  APR_FPROT_UREAD | APR_FPROT_UWRITE, p);
    apr_file_puts(text, f);
    apr_file_close(f);
    return path;
}

static const char *iso(apr_interval_time_t from_now, apr_pool_t *p)
{
    return s3up_time_iso8601(fake_clock + from_now, p);
}

static const char *json_creds(const char *id, apr_interval_time_t life, apr_pool_t *p)
{
    return apr_psprintf(p,
                        "{\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"secret-%s\","
                        "\"Token\":\"token-%s\",\"Expiration\":\"%s\"}",
                        id, id, id, iso(life, p));
}

static void test_web_identity(apr_pool_t *p)
{
    s3up_creds_plan_t plan = {0};
    s3up_aws_t e = engine(3);
    s3up_creds_t *c;
    s3up_error_t *err = NULL;
    const char *ok_answer = apr_psprintf(
        p,
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        "<AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>sub"
        "</SubjectFromWebIdentityToken><Credentials>"
        "<SessionToken>FwoGZXIvYXdz</SessionToken><SecretAccessKey>wJal/rXUtn</SecretAccessKey>"
        "<Expiration>%s</Expiration><AccessKeyId>ASIAEXAMPLE</AccessKeyId></Credentials>"
        "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
        iso(apr_time_from_sec(3600), p));

    plan.source = S3UP_CREDS_WEB_IDENTITY;
    plan.from = "web-identity";
    plan.url = "https://sts.eu-west-1.amazonaws.com";
    plan.role_arn = "arn:aws:iam::123456789012:role/up loads";
    plan.session_name = "mod_s3up";
    plan.token_file = temp_file(p, "web-token", "eyJhbGciOi.payload+/=.sig\n");

    script(1, BODY(200, ok_answer));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), APR_SUCCESS, "sts: fetched");
    is_str(c->access_key, "ASIAEXAMPLE", "sts: access key");
    is_str(c->secret_key, "wJal/rXUtn", "sts: secret");
    is_str(c->session_token, "FwoGZXIvYXdz", "sts: session token");
    ok(c->expires == fake_clock + apr_time_from_sec(3600), "sts: expiry");
    is_str(fake.method, "POST", "sts: POST");
    is_str(fake.url, "https://sts.eu-west-1.amazonaws.com/", "sts: the regional endpoint");
    is_str(apr_pstrmemdup(p, fake.body, fake.body_len),
           "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
           "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fup%20loads"
           "&RoleSessionName=mod_s3up&WebIdentityToken=eyJhbGciOi.payload%2B%2F%3D.sig",
           "sts: the form, encoded; the token read from its file, trimmed");
    ok(!sent_header("authorization") && !sent_header("x-amz-date"), "sts: nothing signed");
    is_str(sent_header("content-type"), "application/x-www-form-urlencoded; charset=utf-8",
           "sts: a form");

    script(1, BODY(400, "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken"
                        "</Code><Message>expired</Message></Error><RequestId>r-1</RequestId>"
                        "</ErrorResponse>"));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), S3UP_ES3, "sts: refused");
    is_str(err->code, "InvalidIdentityToken", "sts: STS's code");
    ok(strstr(err->message, "expired") != NULL, "sts: STS's message");
    is_str(err->request_id, "r-1", "sts: request id");
    is_int(fake.calls, 1, "sts: a refusal is not retried");

    script(2,
           BODY(400, "<ErrorResponse><Error><Code>IDPCommunicationError</Code></Error>"
                     "</ErrorResponse>"),
           BODY(200, ok_answer));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), APR_SUCCESS,
           "sts: IDPCommunicationError is retried");

    script(1, BODY(200, "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
                        "<Credentials><AccessKeyId>A</AccessKeyId></Credentials>"
                        "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), S3UP_EPARSE, "sts: missing fields");
    is_str(err->code, "BadResponse", "sts: ... a bad response");

    plan.token_file = "/nonexistent/s3up/token";
    script(0);
    ok(s3up_creds_fetch(&c, &plan, &e, &err, p) != APR_SUCCESS && fake.calls == 0,
       "sts: no token file, no call");
    ok(strstr(err->message, "cannot read the web identity token file '/nonexistent/s3up/token'"),
       "sts: ... naming the file");
}

static void test_container(apr_pool_t *p)
{
    s3up_creds_plan_t plan = {0};
    s3up_aws_t e = engine(2);
    s3up_creds_t *c;
    s3up_error_t *err = NULL;

    plan.source = S3UP_CREDS_ECS;
    plan.from = "the container credentials endpoint";
    plan.url = "http://169.254.170.23/v1/credentials";
    plan.token_file = temp_file(p, "ecs-token", "pod-identity-token\n");

    script(1, BODY(200, json_creds("ASIAECS", apr_time_from_sec(3600), p)));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), APR_SUCCESS, "ecs: fetched");
    is_str(c->access_key, "ASIAECS", "ecs: access key");
    is_str(c->session_token, "token-ASIAECS", "ecs: token");
    is_str(fake.method, "GET", "ecs: GET");
    is_str(fake.url, plan.url, "ecs: the URL");
    is_str(sent_header("authorization"), "pod-identity-token", "ecs: the token file's token");

    plan.token_file = NULL;
    plan.token = "inline-token";
    script(2, FAIL(S3UP_ETRANSPORT), BODY(200, json_creds("ASIA2", apr_time_from_sec(60), p)));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), APR_SUCCESS, "ecs: retried after no answer");
    is_str(sent_header("authorization"), "inline-token", "ecs: AWS_CONTAINER_AUTHORIZATION_TOKEN");

    script(1, BODY(403, "{\"code\":\"AccessDenied\",\"message\":\"bad token\"}"));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), S3UP_ES3, "ecs: refused");
    is_str(err->code, "AccessDenied", "ecs: its code");
    script(1, BODY(200, "{\"AccessKeyId\":\"A\"}"));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), S3UP_EPARSE, "ecs: no secret");
    script(1,
           BODY(200, "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"soon\"}"));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), S3UP_EPARSE, "ecs: an unreadable expiry");
    script(1, BODY(200, "not json"));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), S3UP_EPARSE, "ecs: not JSON");
    plan.token = "bad\r\nX-Injected: 1";
    script(0);
    ok(s3up_creds_fetch(&c, &plan, &e, &err, p) != APR_SUCCESS && fake.calls == 0,
       "ecs: a token with a line break is never sent");
}

static void test_imds(apr_pool_t *p)
{
    s3up_creds_plan_t plan = {0};
    s3up_aws_t e = engine(1);
    s3up_creds_t *c;
    s3up_error_t *err = NULL;
    const char *body = apr_psprintf(
        p,
        "{\"Code\":\"Success\",\"LastUpdated\":\"2025-11-29T10:00:00Z\",\"Type\":\"AWS-HMAC\","
        "\"AccessKeyId\":\"ASIAIMDS\",\"SecretAccessKey\":\"s\",\"Token\":\"t\",\"Expiration\":"
        "\"%s\"}",
        iso(apr_time_from_sec(6 * 3600), p));

    plan.source = S3UP_CREDS_IMDS;
    plan.from = "the instance metadata service";
    plan.url = "http://169.254.169.254";

    script(3, BODY(200, "session-token"), BODY(200, "portal-role\n"), BODY(200, body));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), APR_SUCCESS, "imds: fetched");
    is_int(fake.calls, 3, "imds: token, role, credentials");
    is_str(c->access_key, "ASIAIMDS", "imds: access key");
    is_str(fake.url, "http://169.254.169.254/latest/meta-data/iam/security-credentials/portal-role",
           "imds: the role's credentials");
    is_str(sent_header("x-aws-ec2-metadata-token"), "session-token", "imds: with the token");

    script(1, FAIL(S3UP_ENOCONNECT));
    s3up_creds_fetch(&c, &plan, &e, &err, p);
    is_str(fake.method, "PUT", "imds: the token is PUT for");
    is_str(sent_header("x-aws-ec2-metadata-token-ttl-seconds"), "21600", "imds: with its TTL");

    script(2, BODY(200, "session-token"), OK(404));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), S3UP_ES3, "imds: no role");
    ok(strstr(err->message, "no IAM role") != NULL, "imds: ... says so");
    script(3, BODY(200, "session-token"), BODY(200, "portal-role"),
           BODY(200, "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"Message\":\"denied\"}"));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), S3UP_ES3, "imds: Code other than Success");
    ok(strstr(err->message, "AssumeRoleUnauthorizedAccess") != NULL, "imds: ... shown");
    script(2, BODY(200, "session-token"), BODY(200, "../other"));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), S3UP_EPARSE, "imds: a role name with a slash");
    script(1, FAIL(S3UP_ENOCONNECT));
    is_int(s3up_creds_fetch(&c, &plan, &e, &err, p), S3UP_ENOCONNECT, "imds: nobody there");
}

static void test_provider(apr_pool_t *p)
{
    s3up_creds_plan_t plan = {0};
    s3up_aws_t e = engine(1);
    s3up_creds_provider_t *pv;
    s3up_creds_t *c;
    s3up_error_t *err = NULL;
    apr_time_t start = fake_clock;

    plan.source = S3UP_CREDS_ECS;
    plan.from = "the container credentials endpoint";
    plan.url = "http://127.0.0.1/creds";
    is_int(s3up_creds_provider_create(&pv, &plan, &e, p), APR_SUCCESS, "provider: made");
    script(2, BODY(200, json_creds("K1", apr_time_from_sec(3600), p)),
           BODY(200, json_creds("K2", apr_time_from_sec(3600), p)));
    is_int(fake.calls, 0, "provider: nothing fetched before it is asked");
    is_int(s3up_creds_provider_get(&c, pv, &err, p), APR_SUCCESS, "provider: first get fetches");
    is_str(c->access_key, "K1", "provider: K1");
    ok(c->expires == start + apr_time_from_sec(3600), "provider: expiry");
    fake_clock = start + apr_time_from_sec(44 * 60);
    s3up_creds_provider_get(&c, pv, &err, p);
    ok(fake.calls == 1 && !strcmp(c->access_key, "K1"), "provider: cached until 15 min before");
    fake_clock = start + apr_time_from_sec(46 * 60);
    s3up_creds_provider_get(&c, pv, &err, p);
    ok(fake.calls == 2 && !strcmp(c->access_key, "K2"), "provider: refreshed 15 min before");

    /* Short lives are refreshed halfway. */
    fake_clock += apr_time_from_sec(46 * 60); /* K2 is due */
    start = fake_clock;
    script(2, BODY(200, json_creds("S1", apr_time_from_sec(20), p)),
           BODY(200, json_creds("S2", apr_time_from_sec(31), p)));
    s3up_creds_provider_get(&c, pv, &err, p);
    is_str(c->access_key, "S1", "provider: S1 (20 s)");
    fake_clock = start + apr_time_from_sec(9);
    s3up_creds_provider_get(&c, pv, &err, p);
    is_str(c->access_key, "S1", "provider: kept for half its life");
    fake_clock = start + apr_time_from_sec(11);
    s3up_creds_provider_get(&c, pv, &err, p);
    is_str(c->access_key, "S2", "provider: refreshed after half its life");

    /* A refresh fails while the credentials in hand are valid. */
    start = fake_clock;
    script(2, OK(500), BODY(200, json_creds("S3", apr_time_from_sec(20), p)));
    fake_clock = start + apr_time_from_sec(11);
    is_int(s3up_creds_provider_get(&c, pv, &err, p), APR_SUCCESS,
           "provider: a failed refresh keeps valid credentials");
    ok(fake.calls == 1 && !strcmp(c->access_key, "S2"), "provider: ... S2");
    fake_clock = start + apr_time_from_sec(13);
    s3up_creds_provider_get(&c, pv, &err, p);
    is_int(fake.calls, 1, "provider: no new try within the retry pause");
    fake_clock = start + apr_time_from_sec(17);
    s3up_creds_provider_get(&c, pv, &err, p);
    ok(fake.calls == 2 && !strcmp(c->access_key, "S3"), "provider: tried again after it");

    /* The source fails and the credentials expire. */
    start = fake_clock;
    script(3, OK(500), OK(503), BODY(200, json_creds("S4", apr_time_from_sec(60), p)));
    fake_clock = start + apr_time_from_sec(25);
    is_int(s3up_creds_provider_get(&c, pv, &err, p), S3UP_ES3,
           "provider: expired and the source fails: an error");
    ok(c == NULL && strstr(err->message, "HTTP 500"), "provider: ... with the source's answer");
    fake_clock += apr_time_from_sec(1);
    is_int(s3up_creds_provider_get(&c, pv, &err, p), S3UP_ES3,
           "provider: the same error at once within the pause");
    is_int(fake.calls, 1, "provider: ... without asking the source");
    fake_clock += apr_time_from_sec(5);
    s3up_creds_provider_get(&c, pv, &err, p);
    fake_clock += apr_time_from_sec(5);
    is_int(s3up_creds_provider_get(&c, pv, &err, p), APR_SUCCESS, "provider: back");
    is_str(c->access_key, "S4", "provider: S4");

    /* Credentials that arrive expired (a clock that is wrong). */
    script(1, BODY(200, json_creds("OLD", -apr_time_from_sec(60), p)));
    fake_clock += apr_time_from_sec(30);
    is_int(s3up_creds_provider_get(&c, pv, &err, p), S3UP_ES3, "provider: expired on arrival");
    ok(strstr(err->message, "clock") != NULL, "provider: ... suspects the clock");
}

/* Many threads, one fetch: a transport that takes its time. */
static volatile apr_uint32_t slow_calls;

static apr_status_t slow_perform(s3up_http_resp_t **out, const char **detail, s3up_http_t *h,
                                 const s3up_http_req_t *req, apr_pool_t *p)
{
    s3up_http_resp_t *resp = apr_pcalloc(p, sizeof(*resp));
    (void)detail;
    (void)h;
    (void)req;

    apr_atomic_inc32(&slow_calls);
    apr_sleep(apr_time_from_msec(200));
    resp->status = 200;
    resp->headers = apr_table_make(p, 1);
    resp->body = apr_psprintf(p,
                              "{\"AccessKeyId\":\"T\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
                              "\"Expiration\":\"%s\"}",
                              s3up_time_iso8601(apr_time_now() + apr_time_from_sec(3600), p));
    resp->body_len = strlen(resp->body);
    *out = resp;
    return APR_SUCCESS;
}

static const s3up_http_ops_t slow_ops = {slow_perform, NULL};
static s3up_creds_provider_t *shared;
static volatile apr_uint32_t got;

static void *APR_THREAD_FUNC getter(apr_thread_t *t, void *data)
{
    apr_pool_t *p;
    s3up_creds_t *c;
    s3up_error_t *err;
    (void)data;

    apr_pool_create_unmanaged_ex(&p, NULL, NULL);
    if (s3up_creds_provider_get(&c, shared, &err, p) == APR_SUCCESS &&
        !strcmp(c->access_key, "T")) {
        apr_atomic_inc32(&got);
    }
    apr_pool_destroy(p);
    (void)t; /* no apr_thread_exit: its unwinding confuses AddressSanitizer */
    return NULL;
}

static void test_stampede(apr_pool_t *p)
{
    static s3up_http_t slow_http = {&slow_ops, NULL, 0, 0, 0};
    s3up_creds_plan_t plan = {0};
    s3up_aws_t e;
    apr_thread_t *threads[16];
    apr_status_t rv;

    s3up_aws_init(&e, "ecs", "us-east-1", NULL, NULL, &slow_http);
    plan.source = S3UP_CREDS_ECS;
    plan.from = "the container credentials endpoint";
    plan.url = "http://127.0.0.1/creds";
    s3up_creds_provider_create(&shared, &plan, &e, p);
    for (int i = 0; i < 16; i++) {
        apr_thread_create(&threads[i], NULL, getter, NULL, p);
    }
    for (int i = 0; i < 16; i++) {
        apr_thread_join(&rv, threads[i]);
    }
    is_int(got, 16, "stampede: 16 threads got credentials");
    is_int(slow_calls, 1, "stampede: from one fetch");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_web_identity(p);
    test_container(p);
    test_imds(p);
    test_provider(p);
    test_stampede(p);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
