/*
 * SigV4 signer against the AWS signing test suite (aws-c-auth's v4 cases),
 * compared stage by stage for both header signing and query presigning,
 * plus the stages' own rules: encoding, dates, the signing-key cache.
 *
 * The suite is read from $S3UP_VECTORS, else from
 * ../shared/vectors/aws-signing-test-suite/v4 (run from the repo root).
 */
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <jansson.h>

#include "s3up_sigv4.h"
#include "tap.h"
#include "s3up_util.h"
#include "s3up_time.h"

#define SUITE_DEFAULT "../shared/vectors/aws-signing-test-suite/v4"

/* A vector file's text with the CRs removed, or NULL. */
static char *slurp(const char *dir, const char *name, apr_pool_t *p)
{
    const char *path = apr_pstrcat(p, dir, "/", name, NULL);
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;
    char *buf, *r, *w;

    if (apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p) != APR_SUCCESS) {
        return NULL;
    }
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        apr_file_close(f);
        return NULL;
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    if (n && apr_file_read_full(f, buf, n, &n) != APR_SUCCESS) {
        apr_file_close(f);
        return NULL;
    }
    apr_file_close(f);
    buf[n] = '\0';
    for (r = w = buf; *r; r++) {
        if (*r != '\r') {
            *w++ = *r;
        }
    }
    *w = '\0';
    return buf;
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

/* "a=1&b=%2F" -> decoded pairs, skipping X-Amz-Signature (returned apart). */
static apr_array_header_t *parse_query(const char *qs, const char **signature, apr_pool_t *p)
{
    apr_array_header_t *kvs = apr_array_make(p, 8, sizeof(s3up_kv_t));
    char *copy = apr_pstrdup(p, qs), *pair, *state;

    for (pair = apr_strtok(copy, "&", &state); pair; pair = apr_strtok(NULL, "&", &state)) {
        char *eq = strchr(pair, '=');
        const char *name = pct_decode(pair, eq ? (apr_size_t)(eq - pair) : strlen(pair), p);
        const char *value = eq ? pct_decode(eq + 1, strlen(eq + 1), p) : "";
        if (signature && !strcmp(name, "X-Amz-Signature")) {
            *signature = value;
            continue;
        }
        s3up_kv_add(kvs, name, value);
    }
    return kvs;
}

static int strp_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The query's pairs decoded, encoded the SigV4 way and sorted, so two
 * spellings and orders of the same pairs compare equal. A pair named
 * drop is left out. */
static const char *sorted_pairs(const char *qs, const char *drop, apr_pool_t *p)
{
    const char *sig = NULL;
    apr_array_header_t *kvs = parse_query(qs, &sig, p);
    apr_array_header_t *parts = apr_array_make(p, 8, sizeof(char *));
    int i;

    if (sig) {
        s3up_kv_add(kvs, "X-Amz-Signature", sig);
    }
    for (i = 0; i < kvs->nelts; i++) {
        const s3up_kv_t *kv = &APR_ARRAY_IDX(kvs, i, s3up_kv_t);
        if (drop && !strcmp(kv->name, drop)) {
            continue;
        }
        APR_ARRAY_PUSH(parts, const char *) = apr_pstrcat(p, s3up_uri_encode(kv->name, 0, p), "=",
                                                          s3up_uri_encode(kv->value, 0, p), NULL);
    }
    qsort(parts->elts, parts->nelts, sizeof(char *), strp_cmp);
    return apr_array_pstrcat(p, parts, '&');
}

typedef struct vreq_t {
    const char *method, *path, *body;
    apr_array_header_t *query, *headers;
} vreq_t;

/* request.txt: request line, headers (obs-folded lines joined with a space,
 * as a server would), a blank line, the body. */
static int parse_request(vreq_t *v, char *text, apr_pool_t *p)
{
    char *line = text, *next, *sp1, *sp2, *q;
    s3up_kv_t *last = NULL;

    v->headers = apr_array_make(p, 8, sizeof(s3up_kv_t));
    v->body = "";
    next = strchr(line, '\n');
    if (next) {
        *next++ = '\0';
    }
    sp1 = strchr(line, ' ');
    sp2 = strrchr(line, ' ');
    if (!sp1 || sp1 == sp2) {
        return 0;
    }
    v->method = apr_pstrndup(p, line, sp1 - line);
    *sp2 = '\0';
    q = strchr(sp1 + 1, '?');
    v->path = apr_pstrndup(p, sp1 + 1, q ? (apr_size_t)(q - sp1 - 1) : strlen(sp1 + 1));
    v->query = parse_query(q ? q + 1 : "", NULL, p);

    while ((line = next) != NULL) {
        next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }
        if (!*line) {
            v->body = next ? next : "";
            break;
        }
        if ((*line == ' ' || *line == '\t') && last) {
            last->value = apr_pstrcat(p, last->value, " ", line, NULL);
            continue;
        }
        q = strchr(line, ':');
        if (!q) {
            return 0;
        }
        *q = '\0';
        s3up_kv_add(v->headers, line, q + 1);
        last = &APR_ARRAY_IDX(v->headers, v->headers->nelts - 1, s3up_kv_t);
    }
    return 1;
}

/* The value after "Authorization:" in a signed-request file. */
static const char *authorization_of(const char *signed_request, apr_pool_t *p)
{
    const char *a = strstr(signed_request, "\nAuthorization:");
    const char *end;

    if (!a) {
        return NULL;
    }
    a += strlen("\nAuthorization:");
    end = strchr(a, '\n');
    return apr_pstrndup(p, a, end ? (apr_size_t)(end - a) : strlen(a));
}

/* The query of a signed-request file's request line. */
static const char *query_of(const char *signed_request, apr_pool_t *p)
{
    const char *q = strchr(signed_request, '?');
    const char *end = q ? strchr(q, ' ') : NULL;

    return q && end ? apr_pstrndup(p, q + 1, end - q - 1) : "";
}

static apr_time_t parse_timestamp(const char *ts)
{
    apr_time_exp_t tm;
    apr_time_t t = 0;

    memset(&tm, 0, sizeof(tm));
    if (sscanf(ts, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6) {
        return 0;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    apr_time_exp_gmt_get(&t, &tm);
    return t;
}

/* Stages 2-4 for a canonical request, each compared with the vector. */
static void check_stages(s3up_sigv4_t *s, const char *dir, const char *form, const char *case_name,
                         const char *cr, const s3up_sigv4_req_t *req, const s3up_creds_t *creds,
                         const char *sent_signature, apr_pool_t *p)
{
    const char *amz_date = s3up_time_amz(req->now, p), *sts = NULL, *sig = NULL;
    const char *date = apr_pstrndup(p, amz_date, 8);
    const char *scope =
        apr_pstrcat(p, date, "/", req->region, "/", req->service, "/aws4_request", NULL);
    const char *want_sig = slurp(dir, apr_pstrcat(p, form, "-signature.txt", NULL), p);
    unsigned char key[32];

    is_str(cr, slurp(dir, apr_pstrcat(p, form, "-canonical-request.txt", NULL), p),
           "%s %s: canonical request", case_name, form);
    s3up_sigv4_string_to_sign(&sts, amz_date, scope, cr, p);
    is_str(sts, slurp(dir, apr_pstrcat(p, form, "-string-to-sign.txt", NULL), p),
           "%s %s: string to sign", case_name, form);
    if (s3up_sigv4_signing_key(s, key, creds->secret_key, date, req->region, req->service) ==
        APR_SUCCESS) {
        s3up_sigv4_signature(&sig, s, key, sts, p);
    }
    is_str(sig, want_sig, "%s %s: signature from the stages", case_name, form);
    is_str(sent_signature, want_sig, "%s %s: signature sent", case_name, form);
}

static void run_case(s3up_sigv4_t *s, const char *suite, const char *name, apr_pool_t *p)
{
    const char *dir = apr_pstrcat(p, suite, "/", name, NULL);
    char *ctx_text = slurp(dir, "context.json", p), *req_text = slurp(dir, "request.txt", p);
    json_t *ctx = ctx_text ? json_loads(ctx_text, 0, NULL) : NULL;
    json_t *c;
    s3up_creds_t creds = {0};
    s3up_sigv4_req_t req = {0}, hreq, qreq;
    vreq_t v = {0};
    const char *cr = NULL, *query = NULL, *sig = NULL, *auth, *want_query;
    apr_status_t rv;
    long expires;
    int omit_token;

    if (!ok(ctx && req_text && parse_request(&v, req_text, p), "%s: context and request read",
            name)) {
        json_decref(ctx);
        return;
    }
    c = json_object_get(ctx, "credentials");
    creds.access_key = apr_pstrdup(p, json_string_value(json_object_get(c, "access_key_id")));
    creds.secret_key = apr_pstrdup(p, json_string_value(json_object_get(c, "secret_access_key")));
    if (json_string_value(json_object_get(c, "token"))) {
        creds.session_token = apr_pstrdup(p, json_string_value(json_object_get(c, "token")));
    }
    omit_token = json_is_true(json_object_get(ctx, "omit_session_token"));
    if (omit_token) {
        /* The case adds the token after signing: it is not in any stage. */
        diag("%s: the session token is attached after signing, so it is not signed", name);
        creds.session_token = NULL;
    }
    req.method = v.method;
    req.path = v.path;
    req.query = v.query;
    req.region = apr_pstrdup(p, json_string_value(json_object_get(ctx, "region")));
    req.service = apr_pstrdup(p, json_string_value(json_object_get(ctx, "service")));
    req.now = parse_timestamp(json_string_value(json_object_get(ctx, "timestamp")));
    req.payload_hash = s3up_sha256_hex(v.body, strlen(v.body), p);
    req.flags = S3UP_SIGV4_DOUBLE_ENCODE;
    if (json_is_true(json_object_get(ctx, "normalize"))) {
        req.flags |= S3UP_SIGV4_NORMALIZE;
    }
    /* Only the cases that sign the body send x-amz-content-sha256. */
    if (!json_is_true(json_object_get(ctx, "sign_body"))) {
        req.flags |= S3UP_SIGV4_NO_SHA256_HDR;
    }
    expires = (long)json_integer_value(json_object_get(ctx, "expiration_in_seconds"));
    json_decref(ctx);

    /* Header signing: sign, then rebuild the stages from the signed request. */
    hreq = req;
    hreq.headers = apr_array_copy(p, v.headers);
    rv = s3up_sigv4_sign_headers(s, &hreq, &creds, p);
    is_int(rv, APR_SUCCESS, "%s header: signed", name);
    auth = s3up_kv_get(hreq.headers, "authorization");
    is_str(auth, authorization_of(slurp(dir, "header-signed-request.txt", p), p),
           "%s header: Authorization", name);
    s3up_sigv4_canonical_request(&cr, NULL, &hreq, p);
    check_stages(s, dir, "header", name, cr, &hreq, &creds,
                 auth && strstr(auth, "Signature=") ? strstr(auth, "Signature=") + 10 : NULL, p);

    /* Query presigning: the stages again from the query it produced. */
    qreq = req;
    qreq.headers = apr_array_copy(p, v.headers);
    rv = s3up_sigv4_presign(&query, s, &qreq, &creds, apr_time_from_sec(expires), p);
    is_int(rv, APR_SUCCESS, "%s query: presigned", name);
    want_query = query_of(slurp(dir, "query-signed-request.txt", p), p);
    is_str(query ? sorted_pairs(query, NULL, p) : NULL,
           sorted_pairs(want_query, omit_token ? "X-Amz-Security-Token" : NULL, p),
           "%s query: the query string (any order)", name);
    qreq.query = parse_query(query ? query : "", &sig, p);
    cr = NULL;
    s3up_sigv4_canonical_request(&cr, NULL, &qreq, p);
    check_stages(s, dir, "query", name, cr, &qreq, &creds, sig, p);
}

static int run_suite(const char *suite, apr_pool_t *p)
{
    apr_array_header_t *names = apr_array_make(p, 64, sizeof(char *));
    apr_dir_t *d;
    apr_finfo_t fi;
    s3up_sigv4_t *s;
    int i;

    if (apr_dir_open(&d, suite, p) != APR_SUCCESS) {
        return 0;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        if (fi.filetype == APR_DIR && fi.name[0] != '.') {
            APR_ARRAY_PUSH(names, char *) = apr_pstrdup(p, fi.name);
        }
    }
    apr_dir_close(d);
    qsort(names->elts, names->nelts, sizeof(char *), strp_cmp);
    ok(names->nelts > 0, "the suite at %s has cases (%d)", suite, names->nelts);
    s3up_sigv4_create(&s, p);
    for (i = 0; i < names->nelts; i++) {
        apr_pool_t *cp;
        apr_pool_create(&cp, p);
        run_case(s, suite, APR_ARRAY_IDX(names, i, char *), cp);
        apr_pool_destroy(cp);
    }
    return 1;
}

static void test_encoding(apr_pool_t *p)
{
    is_str(s3up_uri_encode("a b/c~d_e-f.g+h%i", 0, p), "a%20b%2Fc~d_e-f.g%2Bh%25i",
           "uri_encode: reserved characters, '/' encoded");
    is_str(s3up_uri_encode("/a b//c", 1, p), "/a%20b//c", "uri_encode: '/' kept");
    is_str(s3up_uri_encode("\xe1\x88\xb4", 0, p), "%E1%88%B4",
           "uri_encode: UTF-8 bytes, upper-case hex");
    is_str(s3up_uri_encode("", 1, p), "", "uri_encode: empty");
    is_str(s3up_time_amz(apr_time_from_sec(1440938160), p), "20150830T123600Z",
           "amz_date of 2015-08-30T12:36:00Z");
    is_str(s3up_sha256_hex("", 0, p), S3UP_SIGV4_EMPTY_SHA256, "sha256 of nothing");
}

static const char *hex32(const unsigned char b[32], apr_pool_t *p)
{
    char *out = apr_palloc(p, 65);
    for (int i = 0; i < 32; i++) {
        apr_snprintf(out + 2 * i, 3, "%02x", b[i]);
    }
    return out;
}

/* RFC 4231 test cases 2 and 6 (a key longer than the block is hashed first). */
static void test_hmac(apr_pool_t *p)
{
    unsigned char mac[32], key[131];
    const char *msg6 = "Test Using Larger Than Block-Size Key - Hash Key First";

    memset(key, 0xaa, sizeof(key));
    is_int(s3up_hmac_sha256(mac, "Jefe", 4, "what do ya want for nothing?", 28), APR_SUCCESS,
           "hmac_sha256: RFC 4231 case 2");
    is_str(hex32(mac, p), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
           "... the MAC");
    is_int(s3up_hmac_sha256(mac, key, sizeof(key), msg6, strlen(msg6)), APR_SUCCESS,
           "hmac_sha256: RFC 4231 case 6, used again");
    is_str(hex32(mac, p), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
           "... the MAC");
}

/* S3 rules: the path is signed exactly as given, never normalised. */
static void test_s3_path(apr_pool_t *p)
{
    s3up_sigv4_req_t req = {0};
    const char *cr = NULL, *names = NULL;

    req.method = "PUT";
    req.path = "/bucket/a/../b//c%20d/./e";
    req.headers = apr_array_make(p, 2, sizeof(s3up_kv_t));
    s3up_kv_add(req.headers, "Host", "127.0.0.1:7480");
    s3up_kv_add(req.headers, "Authorization", "old");
    is_int(s3up_sigv4_canonical_request(&cr, &names, &req, p), APR_SUCCESS,
           "canonical request with S3 rules");
    is_str(
        cr,
        "PUT\n/bucket/a/../b//c%20d/./e\n\nhost:127.0.0.1:7480\n\nhost\n" S3UP_SIGV4_EMPTY_SHA256,
        "S3 path as given; Authorization never signed");
    req.flags = S3UP_SIGV4_NORMALIZE;
    s3up_sigv4_canonical_request(&cr, &names, &req, p);
    is_str(strchr(cr, '\n'),
           "\n/bucket/b/c%20d/e\n\nhost:127.0.0.1:7480\n\nhost\n" S3UP_SIGV4_EMPTY_SHA256,
           "NORMALIZE removes dot segments and empty segments");
}

static void test_signing_key(apr_pool_t *p)
{
    /* AWS documentation's example of deriving a signing key. */
    const char *secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    unsigned char k1[32], k2[32], k3[32];
    char got[65];
    s3up_sigv4_t *s;
    apr_pool_t *sp;
    int i;

    apr_pool_create(&sp, p);
    is_int(s3up_sigv4_create(&s, sp), APR_SUCCESS, "signer created");
    s3up_sigv4_signing_key(s, k1, secret, "20120215", "us-east-1", "iam");
    for (i = 0; i < 32; i++) {
        apr_snprintf(got + 2 * i, 3, "%02x", k1[i]);
    }
    is_str(got, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d",
           "signing key of the AWS documentation example");
    s3up_sigv4_signing_key(s, k2, secret, "20120215", "us-east-1", "iam");
    ok(!memcmp(k1, k2, 32), "same inputs: same key (from the cache)");
    s3up_sigv4_signing_key(s, k3, secret, "20120216", "us-east-1", "iam");
    ok(memcmp(k1, k3, 32), "another date: another key");
    s3up_sigv4_signing_key(s, k3, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ", "20120215",
                           "us-east-1", "iam");
    ok(memcmp(k1, k3, 32), "another secret, same date: another key");
    s3up_sigv4_signing_key(s, k3, secret, "20120215", "eu-west-1", "iam");
    ok(memcmp(k1, k3, 32), "another region: another key");
    s3up_sigv4_signing_key(s, k3, secret, "20120215", "us-east-1", "s3");
    ok(memcmp(k1, k3, 32), "another service: another key");
    s3up_sigv4_signing_key(s, k3, secret, "20120215", "us-east-1", "iam");
    ok(!memcmp(k1, k3, 32), "first inputs again: first key");
    /* Two tuples of the same bytes split otherwise are not the same one. */
    s3up_sigv4_signing_key(s, k1, "secretA", "20120215", "us-east-1", "iam");
    s3up_sigv4_signing_key(s, k2, "secret", "A20120215", "us-east-1", "iam");
    s3up_sigv4_signing_key(s, k3, "secretA", "20120215", "us-east-1", "iam");
    ok(memcmp(k1, k2, 32) && !memcmp(k1, k3, 32), "a byte moved from secret to date: another key");
    s3up_sigv4_signing_key(s, k2, "secretA", "20120215", "us-east-", "1iam");
    ok(memcmp(k1, k2, 32), "a byte moved from region to service: another key");
    apr_pool_destroy(sp);
}

/* Signing twice with one signer gives the same answer; a token is in both
 * forms; a second signing replaces the first's headers. */
static void test_sign_forms(apr_pool_t *p)
{
    s3up_creds_t creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "TOK/EN+=", 0};
    s3up_sigv4_req_t req = {0};
    const char *q1 = NULL, *q2 = NULL, *a1;
    s3up_sigv4_t *s;
    int i, n = 0;

    s3up_sigv4_create(&s, p);
    req.method = "PUT";
    req.path = "/bucket/key";
    req.region = "us-east-1";
    req.service = "s3";
    req.now = apr_time_from_sec(1440938160);
    req.headers = apr_array_make(p, 4, sizeof(s3up_kv_t));
    s3up_kv_add(req.headers, "host", "127.0.0.1:7480");
    s3up_sigv4_presign(&q1, s, &req, &creds, apr_time_from_sec(3600), p);
    s3up_sigv4_presign(&q2, s, &req, &creds, apr_time_from_sec(3600), p);
    ok(q1 && q2 && !strcmp(q1, q2), "presigning twice: the same URL");
    ok(q1 && strstr(q1, "&X-Amz-Security-Token=TOK%2FEN%2B%3D&"), "query form carries the token");
    ok(q1 && strstr(q1, "X-Amz-SignedHeaders=host&"), "query form signs only host");
    is_int(s3up_sigv4_presign(&q2, s, &req, &creds, apr_time_from_sec(604801), p), APR_EINVAL,
           "presigning for more than 7 days is refused");
    is_int(s3up_sigv4_presign(&q2, s, &req, &creds, 0, p), APR_EINVAL,
           "presigning for 0 seconds is refused");

    is_int(s3up_sigv4_sign_headers(s, &req, &creds, p), APR_SUCCESS, "header signing");
    is_str(s3up_kv_get(req.headers, "x-amz-security-token"),
           "TOK/EN+=", "header form carries the token");
    is_str(s3up_kv_get(req.headers, "x-amz-content-sha256"), S3UP_SIGV4_EMPTY_SHA256,
           "S3 rules: x-amz-content-sha256 sent");
    a1 = s3up_kv_get(req.headers, "authorization");
    ok(a1 && strstr(a1, "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
       "the token and the payload hash are signed");
    s3up_sigv4_sign_headers(s, &req, &creds, p);
    for (i = 0; i < req.headers->nelts; i++) {
        n += !strcasecmp(APR_ARRAY_IDX(req.headers, i, s3up_kv_t).name, "authorization");
    }
    is_int(n, 1, "signing again replaces the Authorization header");
    is_str(s3up_kv_get(req.headers, "authorization"), a1, "and gives the same one");

    creds.session_token = NULL;
    s3up_sigv4_presign(&q1, s, &req, &creds, apr_time_from_sec(3600), p);
    ok(q1 && !strstr(q1, "Security-Token"), "no token, none in the query");
}

int main(void)
{
    const char *suite = getenv("S3UP_VECTORS");
    apr_pool_t *p;

    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    if (!suite || !*suite) {
        suite = SUITE_DEFAULT;
    }
    test_encoding(p);
    test_hmac(p);
    test_s3_path(p);
    test_signing_key(p);
    test_sign_forms(p);
    {
        /* The suite lives in shared/, beside the repository, not in it. */
        apr_finfo_t fi;
        if (apr_stat(&fi, suite, APR_FINFO_TYPE, p) == APR_SUCCESS && fi.filetype == APR_DIR) {
            run_suite(suite, p);
        } else {
            skip(apr_psprintf(p, "AWS signing test suite not found at %s (set S3UP_VECTORS)",
                              suite));
        }
    }
    return done_testing();
}
