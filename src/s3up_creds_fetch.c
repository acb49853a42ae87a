/*
 * Fetching temporary credentials: STS AssumeRoleWithWebIdentity, the
 * container credentials endpoint (ECS, EKS Pod Identity) and the EC2
 * instance metadata service (IMDSv2). Every call goes through the AWS call
 * engine, unsigned, with its retries.
 */
#include <apr_lib.h>
#include <apr_strings.h>

#include "s3up.h"
#include "s3up_creds.h"
#include "s3up_json.h"
#include "s3up_time.h"
#include "s3up_util.h"
#include "s3up_xml.h"

/* Credentials answers are a few kB. */
#define MAX_ANSWER (64 * 1024)

/* Six hours, the longest IMDS allows: one token serves a fetch. */
#define IMDS_TOKEN_TTL "21600"

static s3up_error_t *answer_error(const s3up_aws_call_t *c, const s3up_http_resp_t *resp,
                                  apr_pool_t *p)
{
    s3up_error_t *e = s3up_error_make(S3UP_ES3, resp->status, NULL, NULL, p);
    json_t *body;
    const char *why;

    if (!strcmp(c->op, "AssumeRoleWithWebIdentity")) {
        s3up_xml_parse_sts_error(e, resp->body, resp->body_len, p);
    } else if (resp->body_len &&
               s3up_json_parse(&body, resp->body, resp->body_len, MAX_ANSWER, &why, p) ==
                   APR_SUCCESS &&
               json_is_object(body)) {
        e->code = s3up_json_str(body, "code");
        e->message = s3up_json_str(body, "message");
    }
    if (!e->code || !*e->code) {
        e->code = resp->status == 404 ? "NotFound" : "CredentialsUnavailable";
    }
    e->message = apr_psprintf(p, "%s answered HTTP %d%s%s", c->op, resp->status,
                              e->message && *e->message ? ": " : "",
                              e->message && *e->message ? e->message : "");
    /* STS says IDPCommunicationError when the identity provider did not
     * answer it: worth trying again, as a 5xx or being throttled is. */
    e->retryable = resp->status >= 500 || resp->status == 429 ||
                   !strcmp(e->code, "IDPCommunicationError") || !strcmp(e->code, "Throttling");
    return e;
}

static s3up_error_t *read_answer(const s3up_aws_call_t *c, const s3up_http_resp_t *resp,
                                 apr_pool_t *p)
{
    return resp->status >= 200 && resp->status < 300 ? NULL : answer_error(c, resp, p);
}

/* One unsigned call to url (absolute, with its path). */
static apr_status_t call(s3up_http_resp_t **resp, const s3up_aws_t *engine, const char *op,
                         const char *method, const char *url, apr_array_header_t *headers,
                         const char *body, s3up_error_t **err, apr_pool_t *p)
{
    s3up_aws_call_t c = {0};
    const char *rest = strstr(url, "://");

    c.op = op;
    c.method = method;
    c.url = url;
    c.path = rest ? rest + 3 + strcspn(rest + 3, "/") : url;
    c.path = *c.path ? c.path : "/";
    c.headers = headers;
    c.body = body;
    c.body_len = body ? strlen(body) : 0;
    c.max_response = MAX_ANSWER;
    c.idempotent = 1; /* nothing here changes anything */
    c.read_answer = read_answer;
    return s3up_aws_call(resp, engine, &c, err, p);
}

static apr_status_t unreadable(s3up_error_t **err, const char *what, apr_pool_t *p)
{
    return s3up_failf(err, S3UP_EPARSE, "BadResponse", p,
                      "%s: the answer holds no usable credentials", what);
}

/* Keys from a JSON answer of the container endpoint or IMDS. */
static apr_status_t from_json(s3up_creds_t **out, const s3up_http_resp_t *resp, const char *what,
                              s3up_error_t **err, apr_pool_t *p)
{
    json_t *j;
    const char *why, *code, *expiration;
    s3up_creds_t *c;

    if (s3up_json_parse(&j, resp->body, resp->body_len, MAX_ANSWER, &why, p) != APR_SUCCESS ||
        !json_is_object(j)) {
        return unreadable(err, what, p);
    }
    code = s3up_json_str(j, "Code");
    if (code && strcmp(code, "Success")) {
        return s3up_failf(err, S3UP_ES3, "CredentialsUnavailable", p, "%s: %s (%s)", what, code,
                          s3up_json_str(j, "Message") ? s3up_json_str(j, "Message") : "-");
    }
    expiration = s3up_json_str(j, "Expiration");
    if (s3up_creds_static(&c, s3up_json_str(j, "AccessKeyId"), s3up_json_str(j, "SecretAccessKey"),
                          p) != APR_SUCCESS ||
        (expiration && s3up_time_parse(&c->expires, expiration) != APR_SUCCESS)) {
        return unreadable(err, what, p);
    }
    c->session_token = s3up_json_str(j, "Token");
    if (c->session_token && !*c->session_token) {
        c->session_token = NULL;
    }
    *out = c;
    return APR_SUCCESS;
}

static apr_status_t token_from_file(const char **token, const char *path, const char *what,
                                    s3up_error_t **err, apr_pool_t *p)
{
    apr_status_t rv = s3up_creds_read_file(token, path, S3UP_CREDS_TOKEN_FILE_MAX, p);

    if (rv != APR_SUCCESS) {
        return s3up_failf(err, rv, "CredentialsUnavailable", p, "cannot read the %s '%s': %s", what,
                          path,
                          rv == S3UP_ETOOBIG ? "too large"
                          : rv == APR_EINVAL ? "empty"
                                             : s3up_strerror(rv, p));
    }
    return APR_SUCCESS;
}

static apr_status_t web_identity(s3up_creds_t **out, const s3up_creds_plan_t *plan,
                                 const s3up_aws_t *engine, s3up_error_t **err, apr_pool_t *p)
{
    const char *token, *body;
    apr_array_header_t *headers = apr_array_make(p, 2, sizeof(s3up_kv_t));
    s3up_http_resp_t *resp;
    s3up_creds_t *c, *keys;
    apr_status_t rv;

    if ((rv = token_from_file(&token, plan->token_file, "web identity token file", err, p))) {
        return rv;
    }
    body = apr_pstrcat(p, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=",
                       s3up_uri_encode(plan->role_arn, 0, p),
                       "&RoleSessionName=", s3up_uri_encode(plan->session_name, 0, p),
                       "&WebIdentityToken=", s3up_uri_encode(token, 0, p), NULL);
    s3up_kv_add(headers, "content-type", "application/x-www-form-urlencoded; charset=utf-8");
    rv = call(&resp, engine, "AssumeRoleWithWebIdentity", "POST",
              apr_pstrcat(p, plan->url, plan->url[strlen(plan->url) - 1] == '/' ? "" : "/", NULL),
              headers, body, err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (s3up_xml_parse_sts_credentials(&c, resp->body, resp->body_len, p) != APR_SUCCESS ||
        s3up_creds_static(&keys, c->access_key, c->secret_key, p) != APR_SUCCESS) {
        return unreadable(err, "AssumeRoleWithWebIdentity", p);
    }
    *out = c;
    return APR_SUCCESS;
}

static apr_status_t container(s3up_creds_t **out, const s3up_creds_plan_t *plan,
                              const s3up_aws_t *engine, s3up_error_t **err, apr_pool_t *p)
{
    apr_array_header_t *headers = apr_array_make(p, 2, sizeof(s3up_kv_t));
    const char *token = plan->token;
    s3up_http_resp_t *resp;
    apr_status_t rv;

    if (plan->token_file && (rv = token_from_file(&token, plan->token_file,
                                                  "container authorization token file", err, p))) {
        return rv;
    }
    if (token) {
        if (strpbrk(token, "\r\n")) {
            return s3up_fail(err, APR_EINVAL, "CredentialsUnavailable",
                             "the container authorization token holds a line break", p);
        }
        s3up_kv_add(headers, "authorization", token);
    }
    rv = call(&resp, engine, "ContainerCredentials", "GET", plan->url, headers, NULL, err, p);
    return rv ? rv : from_json(out, resp, "the container credentials endpoint", err, p);
}

static apr_status_t imds(s3up_creds_t **out, const s3up_creds_plan_t *plan,
                         const s3up_aws_t *engine, s3up_error_t **err, apr_pool_t *p)
{
    const char *base =
        apr_pstrcat(p, plan->url, "/latest/meta-data/iam/security-credentials/", NULL);
    apr_array_header_t *headers = apr_array_make(p, 2, sizeof(s3up_kv_t));
    s3up_http_resp_t *resp;
    const char *role;
    apr_status_t rv;

    s3up_kv_add(headers, "x-aws-ec2-metadata-token-ttl-seconds", IMDS_TOKEN_TTL);
    rv = call(&resp, engine, "MetadataToken", "PUT",
              apr_pstrcat(p, plan->url, "/latest/api/token", NULL), headers, "", err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!resp->body_len || strpbrk(resp->body, "\r\n")) {
        return unreadable(err, "the instance metadata token", p);
    }
    headers = apr_array_make(p, 2, sizeof(s3up_kv_t));
    s3up_kv_add(headers, "x-aws-ec2-metadata-token", resp->body);
    rv = call(&resp, engine, "MetadataRole", "GET", base, headers, NULL, err, p);
    if (rv != APR_SUCCESS) {
        if (*err && (*err)->http_status == 404) {
            (*err)->message = "this instance has no IAM role (instance profile) attached";
        }
        return rv;
    }
    role = apr_pstrmemdup(p, resp->body, strcspn(resp->body, "\r\n"));
    if (!*role || strpbrk(role, "/?#% ")) {
        return unreadable(err, "the instance metadata role name", p);
    }
    rv = call(&resp, engine, "MetadataCredentials", "GET", apr_pstrcat(p, base, role, NULL),
              headers, NULL, err, p);
    return rv ? rv : from_json(out, resp, "the instance metadata service", err, p);
}

apr_status_t s3up_creds_fetch(s3up_creds_t **out, const s3up_creds_plan_t *plan,
                              const s3up_aws_t *engine, s3up_error_t **err, apr_pool_t *p)
{
    s3up_aws_t unsigned_engine = *engine;

    *out = NULL;
    unsigned_engine.creds = NULL;
    switch (plan->source) {
    case S3UP_CREDS_STATIC:
        *out = apr_pmemdup(p, plan->keys, sizeof(*plan->keys));
        return APR_SUCCESS;
    case S3UP_CREDS_WEB_IDENTITY:
        unsigned_engine.service = "sts";
        return web_identity(out, plan, &unsigned_engine, err, p);
    case S3UP_CREDS_ECS:
        unsigned_engine.service = "ecs";
        return container(out, plan, &unsigned_engine, err, p);
    case S3UP_CREDS_IMDS:
        unsigned_engine.service = "imds";
        return imds(out, plan, &unsigned_engine, err, p);
    default:
        return s3up_fail(err, APR_EINVAL, "CredentialsUnavailable", "not a source to fetch from",
                         p);
    }
}
