/*
 * S3 rules of the SigV4 signer against botocore's S3 client: presigned
 * UploadPart URLs for hundreds of awkward keys, Authorization headers of
 * PutObject / UploadPart, and POST policies, with and without a session
 * token, at the same fixed time with the same credentials.
 *
 * botocore's answers come from t/unit/sigv4_botocore.py, run here with
 * Debian's /usr/bin/python3 (python3-botocore); without botocore the whole
 * file is skipped.
 */
#include <sys/wait.h>
#include <unistd.h>

#include <apr_base64.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <jansson.h>

#include "s3up_sigv4.h"
#include "tap.h"
#include "s3up_util.h"
#include "s3up_time.h"

#define PYTHON "/usr/bin/python3"
#define DRIVER "t/unit/sigv4_botocore.py"

/* The driver's standard output, or NULL when it failed (then *why says how). */
static char *run_driver(const char *args, const char **why, apr_pool_t *p)
{
    const char *cmd = apr_pstrcat(p, PYTHON " " DRIVER " ", args, NULL);
    apr_size_t len = 0, cap = 1 << 20, n;
    char *buf = malloc(cap), *out;
    FILE *f = popen(cmd, "r");
    int status;

    if (!f || !buf) {
        free(buf);
        *why = apr_psprintf(p, "cannot run %s", cmd);
        return NULL;
    }
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                break;
            }
            buf = bigger;
        }
    }
    status = pclose(f);
    buf[len] = '\0';
    out = apr_pstrmemdup(p, buf, len);
    free(buf);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        *why = apr_psprintf(p, "%s exited with status %d", cmd, status);
        return NULL;
    }
    return out;
}

static const char *jstr(json_t *o, const char *name, apr_pool_t *p)
{
    const char *v = json_string_value(json_object_get(o, name));
    return v ? apr_pstrdup(p, v) : NULL;
}

static int strp_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A query's pairs as sent (still encoded), sorted; X-Amz-Signature apart. */
static const char *sorted_pairs(const char *qs, const char **signature, apr_pool_t *p)
{
    apr_array_header_t *parts = apr_array_make(p, 8, sizeof(char *));
    char *copy = apr_pstrdup(p, qs), *pair, *state;

    *signature = NULL;
    for (pair = apr_strtok(copy, "&", &state); pair; pair = apr_strtok(NULL, "&", &state)) {
        if (!strncmp(pair, "X-Amz-Signature=", 16)) {
            *signature = pair + 16;
            continue;
        }
        APR_ARRAY_PUSH(parts, char *) = pair;
    }
    qsort(parts->elts, parts->nelts, sizeof(char *), strp_cmp);
    return apr_array_pstrcat(p, parts, '&');
}

static int hexval(char c)
{
    return apr_isdigit(c) ? c - '0' : apr_tolower(c) - 'a' + 10;
}

static char *pct_decode(const char *s, apr_size_t len, apr_pool_t *p)
{
    char *out = apr_palloc(p, len + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && apr_isxdigit(s[i + 1]) && apr_isxdigit(s[i + 2])) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* "http://host:port/path?query" split; query pairs decoded. */
static void split_url(const char *url, const char **host, const char **path,
                      apr_array_header_t **query, const char **raw_query, apr_pool_t *p)
{
    const char *h = strstr(url, "://"), *slash, *q;

    h = h ? h + 3 : url;
    slash = strchr(h, '/');
    slash = slash ? slash : h + strlen(h);
    q = strchr(slash, '?');
    *host = apr_pstrndup(p, h, slash - h);
    *path = apr_pstrndup(p, slash, q ? (apr_size_t)(q - slash) : strlen(slash));
    *raw_query = q ? apr_pstrdup(p, q + 1) : "";
    *query = apr_array_make(p, 4, sizeof(s3up_kv_t));
    if (q) {
        char *copy = apr_pstrdup(p, q + 1), *pair, *state;
        for (pair = apr_strtok(copy, "&", &state); pair; pair = apr_strtok(NULL, "&", &state)) {
            char *eq = strchr(pair, '=');
            s3up_kv_add(*query, pct_decode(pair, eq ? (apr_size_t)(eq - pair) : strlen(pair), p),
                        eq ? pct_decode(eq + 1, strlen(eq + 1), p) : "");
        }
    }
}

/* A label for a key in test names: printable ASCII, shortened. */
static const char *label(const char *key, apr_pool_t *p)
{
    apr_size_t n = strlen(key), i;
    char *out = apr_pstrndup(p, key, n > 40 ? 40 : n);

    for (i = 0; out[i]; i++) {
        if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f || out[i] == '#') {
            out[i] = '?';
        }
    }
    return n > 40 ? apr_psprintf(p, "%s... (%" APR_SIZE_T_FMT " bytes)", out, n) : out;
}

typedef struct ctx_t {
    s3up_sigv4_t *signer;
    s3up_creds_t creds, creds_token;
    apr_time_t now;
    const char *host, *bucket, *region;
} ctx_t;

static void presign_case(ctx_t *c, json_t *tc, apr_pool_t *p)
{
    const char *key = jstr(tc, "key", p), *signer = jstr(tc, "signer", p);
    const char *want_host, *want_path, *want_raw, *want_pairs, *want_sig, *got_pairs, *got_sig;
    const char *query = NULL, *name;
    apr_array_header_t *want_query;
    s3up_sigv4_req_t req = {0};
    apr_status_t rv;

    name = apr_psprintf(p, "presign [%s] %s'%s'", signer,
                        json_is_true(json_object_get(tc, "token")) ? "token " : "", label(key, p));
    split_url(jstr(tc, "url", p), &want_host, &want_path, &want_query, &want_raw, p);
    req.method = "PUT";
    req.path = apr_pstrcat(p, "/", c->bucket, "/", s3up_uri_encode(key, 1, p), NULL);
    req.query = apr_array_make(p, 2, sizeof(s3up_kv_t));
    s3up_kv_add(req.query, "partNumber",
                apr_psprintf(p, "%" APR_INT64_T_FMT,
                             (apr_int64_t)json_integer_value(json_object_get(tc, "part"))));
    s3up_kv_add(req.query, "uploadId", jstr(tc, "upload_id", p));
    req.headers = apr_array_make(p, 1, sizeof(s3up_kv_t));
    s3up_kv_add(req.headers, "host", c->host);
    req.region = c->region;
    req.service = "s3";
    req.now = c->now;
    rv = s3up_sigv4_presign(
        &query, c->signer, &req,
        json_is_true(json_object_get(tc, "token")) ? &c->creds_token : &c->creds,
        apr_time_from_sec(json_integer_value(json_object_get(tc, "expires"))), p);
    if (!ok(rv == APR_SUCCESS, "%s: presigned", name)) {
        return;
    }
    is_str(req.path, want_path, "%s: URL path", name);
    want_pairs = sorted_pairs(want_raw, &want_sig, p);
    got_pairs = sorted_pairs(query, &got_sig, p);
    is_str(got_pairs, want_pairs, "%s: query (any order)", name);
    is_str(got_sig, want_sig, "%s: signature", name);
}

static void header_case(ctx_t *c, json_t *tc, apr_pool_t *p)
{
    const char *url = jstr(tc, "url", p), *signer = jstr(tc, "signer", p), *name;
    const char *host, *raw;
    json_t *hdrs = json_object_get(tc, "headers"), *h;
    s3up_sigv4_req_t req = {0};
    apr_array_header_t *want = apr_array_make(p, 8, sizeof(s3up_kv_t));
    size_t i;
    apr_status_t rv;

    name = apr_psprintf(p, "header [%s] %s%s %s", signer,
                        json_is_true(json_object_get(tc, "token")) ? "token " : "",
                        jstr(tc, "method", p), label(url + 21, p));
    split_url(url, &host, &req.path, &req.query, &raw, p);
    req.method = jstr(tc, "method", p);
    req.headers = apr_array_make(p, 8, sizeof(s3up_kv_t));
    json_array_foreach(hdrs, i, h)
    {
        const char *hn = apr_pstrdup(p, json_string_value(json_array_get(h, 0)));
        const char *hv = apr_pstrdup(p, json_string_value(json_array_get(h, 1)));
        s3up_kv_add(want, hn, hv);
        /* The signer adds these itself. */
        if (strcasecmp(hn, "x-amz-date") && strcasecmp(hn, "x-amz-content-sha256") &&
            strcasecmp(hn, "x-amz-security-token")) {
            s3up_kv_add(req.headers, hn, hv);
        }
    }
    req.payload_hash = jstr(tc, "body_sha256", p);
    req.region = c->region;
    req.service = "s3";
    req.now = c->now;
    rv = s3up_sigv4_sign_headers(
        c->signer, &req, json_is_true(json_object_get(tc, "token")) ? &c->creds_token : &c->creds,
        p);
    if (!ok(rv == APR_SUCCESS, "%s: signed", name)) {
        return;
    }
    is_str(s3up_kv_get(req.headers, "authorization"), jstr(tc, "authorization", p),
           "%s: Authorization", name);
    is_str(s3up_kv_get(req.headers, "x-amz-content-sha256"),
           s3up_kv_get(want, "x-amz-content-sha256"), "%s: x-amz-content-sha256", name);
    is_str(s3up_kv_get(req.headers, "x-amz-security-token"),
           s3up_kv_get(want, "x-amz-security-token"), "%s: x-amz-security-token", name);
}

static json_t *decode_policy(const char *b64, apr_pool_t *p)
{
    char *json = apr_palloc(p, apr_base64_decode_len(b64) + 1);
    int n = apr_base64_decode(json, b64);

    json[n] = '\0';
    return json_loads(json, 0, NULL);
}

static const char *field(const apr_array_header_t *fields, const char *name)
{
    return fields ? s3up_kv_get(fields, name) : NULL;
}

/* Signs one botocore POST case; appends what botocore is to sign again. */
static void post_case(ctx_t *c, json_t *tc, json_t *resign, apr_pool_t *p)
{
    int token = json_is_true(json_object_get(tc, "token"));
    json_int_t expires = json_integer_value(json_object_get(tc, "expires"));
    json_t *bfields = json_object_get(tc, "fields");
    const char *conditions = jstr(tc, "conditions", p), *policy, *name;
    apr_array_header_t *fields = NULL;
    json_t *ours, *theirs, *conds;
    apr_status_t rv;
    size_t n;

    name = apr_psprintf(p, "post %s%s", token ? "token " : "", label(conditions, p));
    rv = s3up_sigv4_post_policy(&fields, c->signer, conditions, c->now + apr_time_from_sec(expires),
                                c->region, c->now, token ? &c->creds_token : &c->creds, p);
    if (!ok(rv == APR_SUCCESS && fields, "%s: signed", name)) {
        return;
    }
    policy = field(fields, "policy");
    ours = policy ? decode_policy(policy, p) : NULL;
    theirs = decode_policy(jstr(tc, "policy", p), p);
    ok(ours && theirs && json_equal(ours, theirs), "%s: policy JSON equals botocore's", name);
    conds = json_object_get(ours, "conditions");
    n = json_array_size(conds);
    is_str(json_string_value(json_object_get(ours, "expiration")),
           json_string_value(json_object_get(theirs, "expiration")), "%s: expiration", name);
    is_str(json_string_value(
               json_object_get(json_array_get(conds, n - (token ? 4 : 3)), "x-amz-algorithm")),
           "AWS4-HMAC-SHA256", "%s: algorithm condition after the caller's", name);
    is_str(json_string_value(json_object_get(json_array_get(conds, n - 1),
                                             token ? "x-amz-security-token" : "x-amz-date")),
           token ? c->creds_token.session_token : s3up_time_amz(c->now, p), "%s: last condition",
           name);
    json_decref(ours);
    json_decref(theirs);

    is_str(field(fields, "x-amz-credential"),
           json_string_value(json_object_get(bfields, "x-amz-credential")),
           "%s: x-amz-credential field", name);
    is_str(field(fields, "x-amz-date"), json_string_value(json_object_get(bfields, "x-amz-date")),
           "%s: x-amz-date field", name);
    is_str(field(fields, "x-amz-security-token"),
           json_string_value(json_object_get(bfields, "x-amz-security-token")),
           "%s: x-amz-security-token field", name);
    if (json_is_true(json_object_get(tc, "exact"))) {
        /* An ASCII policy is laid out exactly as Python's json.dumps does. */
        is_str(policy, jstr(tc, "policy", p), "%s: policy bytes equal botocore's", name);
        is_str(field(fields, "x-amz-signature"), jstr(tc, "signature", p),
               "%s: signature equals botocore's", name);
    }
    json_array_append_new(resign,
                          json_pack("{s:s, s:s, s:s, s:b, s:s}", "policy", policy, "amz_date",
                                    field(fields, "x-amz-date"), "region", c->region, "token",
                                    token, "signature", field(fields, "x-amz-signature")));
}

/* botocore's S3 POST signer run over our own policies. */
static void check_resigned(json_t *resign, apr_pool_t *p)
{
    const char *tmpdir = NULL, *why = NULL, *out;
    char *path;
    apr_file_t *f;
    char *dump = json_dumps(resign, 0);
    json_t *sigs, *item;
    size_t i;

    apr_temp_dir_get(&tmpdir, p);
    path = apr_pstrcat(p, tmpdir, "/s3up-sigv4-XXXXXX", NULL);
    if (!ok(dump &&
                apr_file_mktemp(&f, path, APR_FOPEN_CREATE | APR_FOPEN_WRITE | APR_FOPEN_EXCL, p) ==
                    APR_SUCCESS &&
                apr_file_write_full(f, dump, strlen(dump), NULL) == APR_SUCCESS &&
                apr_file_close(f) == APR_SUCCESS,
            "our POST policies written to %s", path)) {
        free(dump);
        return;
    }
    free(dump);
    out = run_driver(apr_pstrcat(p, "post-sign ", path, NULL), &why, p);
    apr_file_remove(path, p);
    sigs = out ? json_loads(out, 0, NULL) : NULL;
    if (!ok(json_array_size(sigs) == json_array_size(resign), "botocore signed our policies")) {
        diag("%s", why ? why : "(no answer)");
    }
    json_array_foreach(resign, i, item)
    {
        is_str(json_string_value(json_object_get(item, "signature")),
               json_string_value(json_array_get(sigs, i)),
               "post #%zu: our signature is botocore's over our policy bytes", i);
    }
    json_decref(sigs);
}

int main(void)
{
    apr_pool_t *p, *cp;
    const char *why = NULL, *out, *endpoint;
    json_t *all, *tc, *resign;
    char *signers;
    ctx_t c = {0};
    size_t i;

    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    if (access(PYTHON, X_OK) != 0) {
        return skip_all(PYTHON " not found (Debian's python3 with python3-botocore)");
    }
    out = run_driver("cases", &why, p);
    all = out ? json_loads(out, 0, NULL) : NULL;
    if (json_is_string(json_object_get(all, "skip"))) {
        return skip_all(
            apr_pstrcat(p, PYTHON ": ", json_string_value(json_object_get(all, "skip")), NULL));
    }
    if (!ok(json_is_object(all), "botocore's cases read from " DRIVER)) {
        diag("%s", why ? why : "the driver's output is not JSON");
        return done_testing();
    }
    signers = json_dumps(json_object_get(all, "signers"), JSON_COMPACT);
    diag("botocore %s, signers %s", json_string_value(json_object_get(all, "botocore")),
         signers ? signers : "?");
    free(signers);

    s3up_sigv4_create(&c.signer, p);
    c.creds.access_key = jstr(all, "access_key", p);
    c.creds.secret_key = jstr(all, "secret_key", p);
    c.creds_token = c.creds;
    c.creds_token.session_token = jstr(all, "session_token", p);
    c.now = apr_time_from_sec(json_integer_value(json_object_get(all, "now")));
    endpoint = jstr(all, "endpoint", p);
    c.host = strstr(endpoint, "://") ? strstr(endpoint, "://") + 3 : endpoint;
    c.bucket = jstr(all, "bucket", p);
    c.region = jstr(all, "region", p);

    ok(json_array_size(json_object_get(all, "presign")) >=
           200 * json_array_size(json_object_get(all, "signers")),
       "at least 200 keys presigned by each botocore signer (%zu cases)",
       json_array_size(json_object_get(all, "presign")));
    apr_pool_create(&cp, p);
    json_array_foreach(json_object_get(all, "presign"), i, tc)
    {
        presign_case(&c, tc, cp);
        apr_pool_clear(cp);
    }
    json_array_foreach(json_object_get(all, "headers"), i, tc)
    {
        header_case(&c, tc, cp);
        apr_pool_clear(cp);
    }
    resign = json_array();
    json_array_foreach(json_object_get(all, "post"), i, tc)
    {
        post_case(&c, tc, resign, p);
    }
    check_resigned(resign, p);
    json_decref(resign);
    json_decref(all);
    return done_testing();
}
