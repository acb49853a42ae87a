/*
 * Cognito user pools over the AWS JSON 1.1 protocol: POST / with
 * X-Amz-Target naming the operation, a JSON body, SigV4 with the generic
 * AWS rules (no x-amz-content-sha256, as botocore and aws-c-auth sign
 * cognito-idp), and errors as {"__type", "message"}.
 */
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "s3up_cognito.h"
#include "s3up_json.h"
#include "s3up_util.h"

#define SERVICE "cognito-idp"
#define TARGET_PREFIX "AWSCognitoIdentityProviderService."
#define CONTENT_TYPE "application/x-amz-json-1.1"
#define MAX_RESPONSE (64 * 1024)
#define POOL_ID_MAX 55
#define USERNAME_MAX 128

apr_status_t s3up_cognito_pool_region(const char **region, const char *user_pool_id, apr_pool_t *p)
{
    const char *sep = user_pool_id ? strchr(user_pool_id, '_') : NULL;
    const char *s;

    if (!sep || sep == user_pool_id || !sep[1] || strlen(user_pool_id) > POOL_ID_MAX ||
        *user_pool_id == '-' || sep[-1] == '-') {
        return APR_EINVAL;
    }
    for (s = user_pool_id; s < sep; s++) {
        if (!apr_islower(*s) && !apr_isdigit(*s) && *s != '-') {
            return APR_EINVAL;
        }
    }
    for (s = sep + 1; *s; s++) {
        if (!apr_isalnum(*s)) {
            return APR_EINVAL;
        }
    }
    *region = apr_pstrmemdup(p, user_pool_id, sep - user_pool_id);
    return APR_SUCCESS;
}

apr_status_t s3up_cognito_init(s3up_cognito_t *c, const char *user_pool_id, const char *server_url,
                               const s3up_creds_t *creds, s3up_sigv4_t *signer, s3up_http_t *http,
                               apr_pool_t *p)
{
    const char *region;

    if (s3up_cognito_pool_region(&region, user_pool_id, p) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    if (!server_url) {
        server_url = apr_pstrcat(p, "https://" SERVICE ".", region, ".amazonaws.com", NULL);
    }
    memset(c, 0, sizeof(*c));
    if (s3up_aws_server_parse(&c->server, server_url, p) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    c->user_pool_id = apr_pstrdup(p, user_pool_id);
    s3up_aws_init(&c->aws, SERVICE, region, creds, signer, http);
    /* The generic AWS rules, as botocore and aws-c-auth sign cognito-idp. */
    c->aws.sign_flags = S3UP_SIGV4_DOUBLE_ENCODE | S3UP_SIGV4_NORMALIZE | S3UP_SIGV4_NO_SHA256_HDR;
    c->aws.max_attempts = 3;
    c->aws.retry_cap = apr_time_from_sec(2);
    return APR_SUCCESS;
}

/* Cognito's special characters, less the quotes, backslash and backtick
 * that get mangled when a password is pasted into a shell, JSON or mail. */
#define SYMBOLS "^$*.[]{}()?-!@#%&/,><:;|_~+="
static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz"
                               "0123456789" SYMBOLS;
#define ALPHABET_LEN (sizeof(ALPHABET) - 1)
/* Bytes at or above this would favour the first characters: drawn again. */
#define UNBIASED_LIMIT (256 - 256 % ALPHABET_LEN)

static int has_every_class(const char *pw)
{
    int upper = 0, lower = 0, digit = 0, symbol = 0;
    for (; *pw; pw++) {
        upper |= apr_isupper(*pw);
        lower |= apr_islower(*pw);
        digit |= apr_isdigit(*pw);
        symbol |= strchr(SYMBOLS, *pw) != NULL;
    }
    return upper && lower && digit && symbol;
}

apr_status_t s3up_cognito_password(const char **out, apr_pool_t *p)
{
    unsigned char rnd[64];
    char pw[S3UP_COGNITO_PASSWORD_LEN + 1];
    apr_size_t used = sizeof(rnd);

    /* Whole passwords lacking a class are drawn again (about 1 in 9), so
     * every valid password stays equally likely. */
    for (int tries = 0; tries < 1000; tries++) {
        for (int n = 0; n < S3UP_COGNITO_PASSWORD_LEN;) {
            if (used == sizeof(rnd)) {
                if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
                    OPENSSL_cleanse(pw, sizeof(pw));
                    return APR_EGENERAL;
                }
                used = 0;
            }
            if (rnd[used] < UNBIASED_LIMIT) {
                pw[n++] = ALPHABET[rnd[used] % ALPHABET_LEN];
            }
            used++;
        }
        pw[S3UP_COGNITO_PASSWORD_LEN] = '\0';
        if (has_every_class(pw)) {
            *out = apr_pstrdup(p, pw);
            OPENSSL_cleanse(pw, sizeof(pw));
            OPENSSL_cleanse(rnd, sizeof(rnd));
            return APR_SUCCESS;
        }
    }
    OPENSSL_cleanse(pw, sizeof(pw));
    OPENSSL_cleanse(rnd, sizeof(rnd));
    return APR_EGENERAL;
}

/* "com.amazonaws.cognito#UsernameExistsException" and the header form
 * "UsernameExistsException:http://internal.amazon.com/..." name one code. */
static const char *error_code(const char *type, apr_pool_t *p)
{
    const char *hash = strrchr(type, '#');
    const char *colon;
    if (hash) {
        type = hash + 1;
    }
    colon = strchr(type, ':');
    return colon ? apr_pstrmemdup(p, type, colon - type) : type;
}

static int is_throttling(const s3up_error_t *e)
{
    return e->http_status == 429 || !strcmp(e->code, "ThrottlingException") ||
           !strcmp(e->code, "TooManyRequestsException");
}

/* The one place where Cognito's answers become our error type. */
static s3up_error_t *error_from_response(const char *op, const s3up_http_resp_t *resp,
                                         apr_pool_t *p)
{
    s3up_error_t *e = s3up_error_make(S3UP_ES3, resp->status, NULL, NULL, p);
    json_t *body = NULL;
    const char *type = NULL, *why;

    if (resp->body_len &&
        s3up_json_parse(&body, resp->body, resp->body_len, MAX_RESPONSE, &why, p) == APR_SUCCESS &&
        json_is_object(body)) {
        type = s3up_json_str(body, "__type");
        if (!type) {
            type = s3up_json_str(body, "code");
        }
        e->message = s3up_json_str(body, "message");
        if (!e->message) {
            e->message = s3up_json_str(body, "Message");
        }
    }
    if (!type) {
        type = apr_table_get(resp->headers, "x-amzn-ErrorType");
    }
    e->code = type && *type ? error_code(type, p)
                            : (resp->status >= 500 ? "InternalErrorException" : "UnknownError");
    if (!e->message || !*e->message) {
        e->message = apr_psprintf(p, "%s answered HTTP %d", op, resp->status);
    }
    e->request_id = apr_table_get(resp->headers, "x-amzn-RequestId");
    if (!strcmp(e->code, "UsernameExistsException")) {
        e->status = S3UP_ECONFLICT;
    } else if (!strcmp(e->code, "UserNotFoundException") ||
               !strcmp(e->code, "ResourceNotFoundException")) {
        e->status = S3UP_ENOTFOUND;
    }
    e->retryable = resp->status >= 500 || is_throttling(e);
    return e;
}

/* Cognito's reading of an answer: a 2xx is a success. */
static s3up_error_t *read_answer(const s3up_aws_call_t *c, const s3up_http_resp_t *resp,
                                 apr_pool_t *p)
{
    return resp->status < 300 ? NULL : error_from_response(c->op, resp, p);
}

/* Did the failed attempt leave Cognito unchanged, so that even a call that
 * is not idempotent may be sent again? Cognito said it was throttled or
 * failed. A 504 or a lost answer leaves it unknown. */
static int changed_nothing(const s3up_error_t *e)
{
    return e->http_status && (is_throttling(e) || (e->http_status >= 500 && e->http_status != 504));
}

/* One operation: the engine signs, sends and retries what is safe; the
 * answer is a JSON object. */
static apr_status_t cognito_call(json_t **out, const s3up_cognito_t *c, const char *op,
                                 const json_t *input, int idempotent, s3up_error_t **err,
                                 apr_pool_t *p)
{
    s3up_aws_call_t ac = {0};
    s3up_http_resp_t *resp;
    const char *why = NULL;
    apr_status_t rv;

    ac.op = op;
    ac.method = "POST";
    ac.path = "/";
    ac.host = c->server.host;
    ac.url = apr_pstrcat(p, c->server.origin, "/", NULL);
    ac.headers = apr_array_make(p, 4, sizeof(s3up_kv_t));
    s3up_kv_add(ac.headers, "content-type", CONTENT_TYPE);
    s3up_kv_add(ac.headers, "x-amz-target", apr_pstrcat(p, TARGET_PREFIX, op, NULL));
    ac.body = s3up_json_dump(input, p);
    ac.body_len = strlen(ac.body);
    ac.payload_hash = s3up_sha256_hex(ac.body, ac.body_len, p);
    ac.max_response = MAX_RESPONSE;
    ac.idempotent = idempotent;
    ac.read_answer = read_answer;
    ac.changed_nothing = changed_nothing;
    if ((rv = s3up_aws_call(&resp, &c->aws, &ac, err, p)) != APR_SUCCESS) {
        return rv;
    }
    rv = s3up_json_parse(out, resp->body, resp->body_len, MAX_RESPONSE, &why, p);
    if (rv != APR_SUCCESS || !json_is_object(*out)) {
        return s3up_fail(
            err, S3UP_EPARSE, "BadResponse",
            apr_psprintf(p, "%s: unreadable answer (%s)", op, why ? why : "not a JSON object"), p);
    }
    return APR_SUCCESS;
}

/* Cognito's patterns for these fields allow no blanks or control
 * characters; jansson refuses text that is not UTF-8. */
static int text_ok(const char *s, apr_size_t max)
{
    apr_size_t n = 0;
    for (; *s; s++, n++) {
        if ((unsigned char)*s <= 0x20 || *s == 0x7f) {
            return 0;
        }
    }
    return n > 0 && n <= max;
}

/* Seconds since the epoch, an integer or a fraction, as Cognito sends dates. */
static apr_time_t json_time(const json_t *v)
{
    return json_is_number(v) ? (apr_time_t)(json_number_value(v) * APR_USEC_PER_SEC) : 0;
}

/* A user as AdminCreateUser ("Attributes") or AdminGetUser
 * ("UserAttributes") describes it. */
static s3up_cognito_user_t *user_from_json(const json_t *obj, const char *attributes_name,
                                           apr_pool_t *p)
{
    s3up_cognito_user_t *u;
    const json_t *attrs = json_object_get(obj, attributes_name);
    const json_t *enabled = json_object_get(obj, "Enabled");
    const json_t *attr;
    size_t i;

    if (!json_is_object(obj) || !s3up_json_str(obj, "Username")) {
        return NULL;
    }
    u = apr_pcalloc(p, sizeof(*u));
    u->username = apr_pstrdup(p, s3up_json_str(obj, "Username"));
    u->status = apr_pstrdup(p, s3up_json_str(obj, "UserStatus"));
    u->enabled = !enabled || json_is_true(enabled);
    u->created = json_time(json_object_get(obj, "UserCreateDate"));
    u->attributes = apr_table_make(p, 4);
    json_array_foreach(attrs, i, attr)
    {
        const char *name = s3up_json_str(attr, "Name");
        const char *value = s3up_json_str(attr, "Value");
        if (name && value) {
            apr_table_set(u->attributes, name, value);
        }
    }
    return u;
}

apr_status_t s3up_cognito_admin_create_user(s3up_cognito_user_t **out, const s3up_cognito_t *c,
                                            const char *username, const char *temporary_password,
                                            const char *email, s3up_error_t **err, apr_pool_t *p)
{
    json_t *in, *answer = NULL, *u;
    apr_status_t rv;

    if (!username || !text_ok(username, USERNAME_MAX)) {
        return s3up_fail(err, APR_EINVAL, "InvalidParameterException", "bad username", p);
    }
    if (!temporary_password || !text_ok(temporary_password, 256)) {
        return s3up_fail(err, APR_EINVAL, "InvalidParameterException", "bad temporary password", p);
    }
    if (email && !text_ok(email, 2048)) {
        return s3up_fail(err, APR_EINVAL, "InvalidParameterException", "bad email", p);
    }
    in = s3up_json_own(json_object(), p);
    if (json_object_set_new(in, "UserPoolId", json_string(c->user_pool_id)) ||
        json_object_set_new(in, "Username", json_string(username)) ||
        json_object_set_new(in, "TemporaryPassword", json_string(temporary_password)) ||
        json_object_set_new(in, "MessageAction", json_string("SUPPRESS"))) {
        return s3up_fail(err, APR_EINVAL, "InvalidParameterException", "text is not UTF-8", p);
    }
    if (email) {
        json_t *value = json_string(email);
        if (!value) {
            return s3up_fail(err, APR_EINVAL, "InvalidParameterException", "email is not UTF-8", p);
        }
        json_object_set_new(in, "UserAttributes",
                            json_pack("[{s:s, s:o}]", "Name", "email", "Value", value));
    }
    rv = cognito_call(&answer, c, "AdminCreateUser", in, 0, err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    u = json_object_get(answer, "User");
    *out = user_from_json(u, "Attributes", p);
    if (!*out) {
        return s3up_fail(err, S3UP_EPARSE, "BadResponse", "AdminCreateUser: no User in the answer",
                         p);
    }
    return APR_SUCCESS;
}

apr_status_t s3up_cognito_admin_get_user(s3up_cognito_user_t **out, const s3up_cognito_t *c,
                                         const char *username, s3up_error_t **err, apr_pool_t *p)
{
    json_t *in, *answer = NULL;
    apr_status_t rv;

    if (!username || !text_ok(username, USERNAME_MAX)) {
        return s3up_fail(err, APR_EINVAL, "InvalidParameterException", "bad username", p);
    }
    in = s3up_json_own(json_object(), p);
    if (json_object_set_new(in, "UserPoolId", json_string(c->user_pool_id)) ||
        json_object_set_new(in, "Username", json_string(username))) {
        return s3up_fail(err, APR_EINVAL, "InvalidParameterException", "text is not UTF-8", p);
    }
    rv = cognito_call(&answer, c, "AdminGetUser", in, 1, err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *out = user_from_json(answer, "UserAttributes", p);
    if (!*out) {
        return s3up_fail(err, S3UP_EPARSE, "BadResponse", "AdminGetUser: no Username in the answer",
                         p);
    }
    return APR_SUCCESS;
}
