/*
 * AWS Signature Version 4 in stages (canonical request, string to sign,
 * signing key, signature), for header signing, query presigning and S3 POST
 * policies. S3's rules are the default; the generic AWS rules are flags.
 */
#include <string.h>

#include <apr_base64.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "s3up_sigv4.h"
#include "s3up_time.h"
#include "s3up_util.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

/* Longest presigned URL lifetime SigV4 accepts: 7 days. */
#define PRESIGN_MAX_SECONDS 604800

struct s3up_sigv4_t {
    EVP_MAC_CTX *ctx;     /* copies of the process's HMAC-SHA256 context */
    EVP_MAC_CTX *sig_ctx; /* keyed with cache_key: stage 4 skips re-keying */
    EVP_MD_CTX *md;
    /* The signing key of the last (secret, date, region, service), and
     * that tuple ("secret\0date\0region\0service\0"), compared with the next
     * one's parts: cheaper than hashing them for every signature. The secret
     * is in the process's configuration anyway; this copy is wiped when the
     * signer goes, or the tuple changes. */
    char *cache_id; /* NULL: no key cached */
    apr_size_t cache_id_len;
    unsigned char cache_key[32];
};

static apr_status_t signer_cleanup(void *data)
{
    s3up_sigv4_t *s = data;

    OPENSSL_cleanse(s->cache_key, sizeof(s->cache_key));
    OPENSSL_clear_free(s->cache_id, s->cache_id_len);
    s->cache_id = NULL;
    s->cache_id_len = 0;
    EVP_MAC_CTX_free(s->ctx);
    EVP_MAC_CTX_free(s->sig_ctx);
    EVP_MD_CTX_free(s->md);
    s->ctx = NULL;
    s->sig_ctx = NULL;
    s->md = NULL;
    return APR_SUCCESS;
}

apr_status_t s3up_sigv4_create(s3up_sigv4_t **out, apr_pool_t *p)
{
    s3up_sigv4_t *s = apr_pcalloc(p, sizeof(*s));

    *out = NULL;
    apr_pool_cleanup_register(p, s, signer_cleanup, apr_pool_cleanup_null);
    /* The digest is set in the copies; each HMAC then only re-keys them. */
    if (!s3up_util_sha256() || !(s->md = EVP_MD_CTX_new()) || !(s->ctx = s3up_util_hmac_new()) ||
        !(s->sig_ctx = s3up_util_hmac_new())) {
        return APR_EGENERAL;
    }
    *out = s;
    return APR_SUCCESS;
}

/* Dot segments removed and empty segments dropped, as botocore and
 * aws-c-auth do for every service but S3. A trailing '/' stays. */
static const char *normalize_path(const char *path, apr_pool_t *p)
{
    apr_size_t len = strlen(path);
    const char **segs = apr_palloc(p, (len / 2 + 1) * sizeof(*segs));
    char *copy = apr_pstrdup(p, path), *seg, *state;
    char *out, *o;
    int n = 0, i;

    for (seg = apr_strtok(copy, "/", &state); seg; seg = apr_strtok(NULL, "/", &state)) {
        if (!strcmp(seg, ".")) {
            continue;
        }
        if (!strcmp(seg, "..")) {
            n -= n > 0;
            continue;
        }
        segs[n++] = seg;
    }
    o = out = apr_palloc(p, len + 2);
    if (path[0] == '/') {
        *o++ = '/';
    }
    for (i = 0; i < n; i++) {
        apr_size_t l = strlen(segs[i]);
        if (i) {
            *o++ = '/';
        }
        memcpy(o, segs[i], l);
        o += l;
    }
    if (n && len && path[len - 1] == '/') {
        *o++ = '/';
    }
    *o = '\0';
    return out;
}

static const char *canonical_path(const s3up_sigv4_req_t *req, apr_pool_t *p)
{
    const char *path = req->path[0] ? req->path : "/";

    if (req->flags & S3UP_SIGV4_NORMALIZE) {
        path = normalize_path(path, p);
        if (!path[0]) {
            path = "/";
        }
    }
    if (req->flags & S3UP_SIGV4_DOUBLE_ENCODE) {
        path = s3up_uri_encode(path, 1, p);
    }
    return path;
}

static int kv_cmp(const void *a, const void *b)
{
    const s3up_kv_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    return c ? c : strcmp(x->value, y->value);
}

/* Names and values encoded, sorted by encoded name then value. */
static const char *canonical_query(const apr_array_header_t *query, apr_pool_t *p)
{
    const s3up_kv_t *in;
    s3up_kv_t *enc;
    struct iovec *vec;
    int i, n;

    if (!query || !query->nelts) {
        return "";
    }
    in = (const s3up_kv_t *)query->elts;
    n = query->nelts;
    enc = apr_palloc(p, n * sizeof(*enc));
    for (i = 0; i < n; i++) {
        enc[i].name = s3up_uri_encode(in[i].name, 0, p);
        enc[i].value = s3up_uri_encode(in[i].value ? in[i].value : "", 0, p);
    }
    qsort(enc, n, sizeof(*enc), kv_cmp);
    vec = apr_palloc(p, 4 * n * sizeof(*vec));
    for (i = 0; i < n; i++) {
        vec[4 * i].iov_base = (void *)(i ? "&" : "");
        vec[4 * i].iov_len = i ? 1 : 0;
        vec[4 * i + 1].iov_base = (void *)enc[i].name;
        vec[4 * i + 1].iov_len = strlen(enc[i].name);
        vec[4 * i + 2].iov_base = (void *)"=";
        vec[4 * i + 2].iov_len = 1;
        vec[4 * i + 3].iov_base = (void *)enc[i].value;
        vec[4 * i + 3].iov_len = strlen(enc[i].value);
    }
    return apr_pstrcatv(p, vec, 4 * n, NULL);
}

typedef struct canon_hdr_t {
    const char *name; /* lower case */
    const char *value;
    int order; /* position in the request: duplicates keep it */
} canon_hdr_t;

static int hdr_cmp(const void *a, const void *b)
{
    const canon_hdr_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    return c ? c : x->order - y->order;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Leading and trailing white space removed, inner runs made one space. */
static const char *trim_all(const char *v, apr_pool_t *p)
{
    char *out = apr_palloc(p, strlen(v) + 1), *o = out;
    int pending = 0;

    for (; *v; v++) {
        if (is_space(*v)) {
            pending = o != out;
            continue;
        }
        if (pending) {
            *o++ = ' ';
            pending = 0;
        }
        *o++ = *v;
    }
    *o = '\0';
    return out;
}

/* The canonical headers block ("name:value\n" each) and the signed header
 * list. Authorization is never signed: it carries the signature. */
static apr_status_t canonical_headers(const char **block, const char **signed_headers,
                                      const apr_array_header_t *headers, apr_pool_t *p)
{
    const s3up_kv_t *in = (const s3up_kv_t *)headers->elts;
    canon_hdr_t *h = apr_palloc(p, (headers->nelts + 1) * sizeof(*h));
    apr_array_header_t *blk = apr_array_make(p, 4 * headers->nelts + 1, sizeof(char *));
    apr_array_header_t *names = apr_array_make(p, headers->nelts + 1, sizeof(char *));
    int i, n = 0;

    for (i = 0; i < headers->nelts; i++) {
        char *name, *c;
        if (!in[i].name || !in[i].name[0] || !in[i].value) {
            return APR_EINVAL;
        }
        if (!strcasecmp(in[i].name, "authorization")) {
            continue;
        }
        name = apr_pstrdup(p, in[i].name);
        for (c = name; *c; c++) {
            *c = apr_tolower(*c);
        }
        h[n].name = name;
        h[n].value = trim_all(in[i].value, p);
        h[n].order = i;
        n++;
    }
    qsort(h, n, sizeof(*h), hdr_cmp);
    for (i = 0; i < n; i++) {
        int dup = i > 0 && !strcmp(h[i].name, h[i - 1].name);
        if (dup) {
            APR_ARRAY_PUSH(blk, const char *) = ",";
        } else {
            if (i) {
                APR_ARRAY_PUSH(blk, const char *) = "\n";
            }
            APR_ARRAY_PUSH(blk, const char *) = h[i].name;
            APR_ARRAY_PUSH(blk, const char *) = ":";
            APR_ARRAY_PUSH(names, const char *) = h[i].name;
        }
        APR_ARRAY_PUSH(blk, const char *) = h[i].value;
    }
    if (n) {
        APR_ARRAY_PUSH(blk, const char *) = "\n";
    }
    *block = apr_array_pstrcat(p, blk, 0);
    *signed_headers = apr_array_pstrcat(p, names, ';');
    return APR_SUCCESS;
}

static apr_status_t check_req(const s3up_sigv4_req_t *req)
{
    if (!req || !req->method || !req->path || !req->headers || !req->region || !req->service ||
        !req->region[0] || !req->service[0]) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static const char *build_canonical_request(const s3up_sigv4_req_t *req, const char *query,
                                           const char *block, const char *names, apr_pool_t *p)
{
    return apr_pstrcat(p, req->method, "\n", canonical_path(req, p), "\n", query, "\n", block, "\n",
                       names, "\n", req->payload_hash ? req->payload_hash : S3UP_SIGV4_EMPTY_SHA256,
                       NULL);
}

apr_status_t s3up_sigv4_canonical_request(const char **out, const char **signed_headers,
                                          const s3up_sigv4_req_t *req, apr_pool_t *p)
{
    const char *block, *names;
    apr_status_t rv;

    if (!req || !req->method || !req->path || !req->headers) {
        return APR_EINVAL;
    }
    rv = canonical_headers(&block, &names, req->headers, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *out = build_canonical_request(req, canonical_query(req->query, p), block, names, p);
    if (signed_headers) {
        *signed_headers = names;
    }
    return APR_SUCCESS;
}

static const char *string_to_sign(const char *amz_date, const char *scope, const char *hash,
                                  apr_pool_t *p)
{
    return hash ? apr_pstrcat(p, ALGORITHM "\n", amz_date, "\n", scope, "\n", hash, NULL) : NULL;
}

apr_status_t s3up_sigv4_string_to_sign(const char **out, const char *amz_date, const char *scope,
                                       const char *canonical_request, apr_pool_t *p)
{
    *out = string_to_sign(amz_date, scope,
                          s3up_sha256_hex(canonical_request, strlen(canonical_request), p), p);
    return *out ? APR_SUCCESS : APR_EGENERAL;
}

/* Whether the cached tuple is these parts (of len bytes in all). */
static int cached_tuple_is(const s3up_sigv4_t *s, const char *const parts[4],
                           const apr_size_t lens[4], apr_size_t len)
{
    apr_size_t off = 0;
    int differ = 0;

    if (!s->cache_id || len != s->cache_id_len) {
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        differ |= CRYPTO_memcmp(s->cache_id + off, parts[i], lens[i]);
        off += lens[i];
    }
    return !differ;
}

apr_status_t s3up_sigv4_signing_key(s3up_sigv4_t *s, unsigned char key[32], const char *secret,
                                    const char *date, const char *region, const char *service)
{
    const char *parts[4] = {secret, date, region, service};
    apr_size_t lens[4], slen, idlen = 0;
    unsigned char k[32];
    char *kdate, *id;
    apr_status_t rv;
    int i;

    if (!secret || !date || !region || !service) {
        return APR_EINVAL;
    }
    for (i = 0; i < 4; i++) {
        lens[i] = strlen(parts[i]) + 1; /* with its NUL: no two tuples read alike */
        idlen += lens[i];
    }
    if (cached_tuple_is(s, parts, lens, idlen)) {
        memcpy(key, s->cache_key, 32);
        return APR_SUCCESS;
    }
    OPENSSL_clear_free(s->cache_id, s->cache_id_len);
    s->cache_id = NULL;
    s->cache_id_len = 0;
    slen = lens[0] - 1;

    /* "AWS4" + secret, wiped when freed. */
    kdate = OPENSSL_malloc(slen + 5);
    if (!kdate) {
        return APR_ENOMEM;
    }
    memcpy(kdate, "AWS4", 4);
    memcpy(kdate + 4, secret, slen + 1);
    rv = s3up_hmac_sha256_in(s->ctx, k, kdate, slen + 4, date, strlen(date));
    OPENSSL_clear_free(kdate, slen + 5);
    if (rv == APR_SUCCESS) {
        rv = s3up_hmac_sha256_in(s->ctx, k, k, 32, region, strlen(region));
    }
    if (rv == APR_SUCCESS) {
        rv = s3up_hmac_sha256_in(s->ctx, k, k, 32, service, strlen(service));
    }
    if (rv == APR_SUCCESS) {
        rv = s3up_hmac_sha256_in(s->ctx, k, k, 32, "aws4_request", 12);
    }
    /* Keying sig_ctx now lets every signature with this key skip it. */
    if (rv == APR_SUCCESS && !EVP_MAC_init(s->sig_ctx, k, sizeof(k), NULL)) {
        rv = APR_EGENERAL;
    }
    if (rv == APR_SUCCESS && !(id = OPENSSL_malloc(idlen))) {
        rv = APR_ENOMEM;
    }
    if (rv == APR_SUCCESS) {
        char *o = id;
        for (i = 0; i < 4; i++) {
            memcpy(o, parts[i], lens[i]);
            o += lens[i];
        }
        s->cache_id = id;
        s->cache_id_len = idlen;
        memcpy(s->cache_key, k, sizeof(k));
        memcpy(key, k, sizeof(k));
    }
    OPENSSL_cleanse(k, sizeof(k));
    return rv;
}

apr_status_t s3up_sigv4_signature(const char **out, s3up_sigv4_t *s, const unsigned char key[32],
                                  const char *string_to_sign, apr_pool_t *p)
{
    unsigned char mac[32];
    apr_size_t len = strlen(string_to_sign);
    apr_status_t rv;

    if (s->cache_id && !CRYPTO_memcmp(key, s->cache_key, 32)) {
        rv = s3up_hmac_sha256_in(s->sig_ctx, mac, NULL, 0, string_to_sign, len);
    } else {
        rv = s3up_hmac_sha256_in(s->ctx, mac, key, 32, string_to_sign, len);
    }

    if (rv == APR_SUCCESS) {
        *out = s3up_hex(mac, sizeof(mac), p);
    }
    return rv;
}

/* Scope, signing key and signature for a canonical request. */
static apr_status_t sign(const char **signature, const char **scope, s3up_sigv4_t *s,
                         const char *amz_date, const char *region, const char *service,
                         const s3up_creds_t *creds, const char *canonical_request, apr_pool_t *p)
{
    char date[9];
    unsigned char key[32];
    const char *sts;
    apr_status_t rv;

    apr_cpystrn(date, amz_date, sizeof(date));
    *scope = apr_pstrcat(p, date, "/", region, "/", service, "/aws4_request", NULL);
    sts = string_to_sign(amz_date, *scope,
                         s3up_sha256_hex_in(s->md, canonical_request, strlen(canonical_request), p),
                         p);
    rv = sts ? s3up_sigv4_signing_key(s, key, creds->secret_key, date, region, service)
             : APR_EGENERAL;
    if (rv == APR_SUCCESS) {
        rv = s3up_sigv4_signature(signature, s, key, sts, p);
        OPENSSL_cleanse(key, sizeof(key));
    }
    return rv;
}

static int check_creds(const s3up_creds_t *creds)
{
    return creds && creds->access_key && creds->access_key[0] && creds->secret_key &&
           creds->secret_key[0];
}

/* Drops headers a previous signing added, so signing again replaces them. */
static void remove_auth_headers(apr_array_header_t *headers)
{
    s3up_kv_t *kv = (s3up_kv_t *)headers->elts;
    int i, n = 0;

    for (i = 0; i < headers->nelts; i++) {
        const char *name = kv[i].name ? kv[i].name : "";
        if (!strcasecmp(name, "authorization") || !strcasecmp(name, "x-amz-date") ||
            !strcasecmp(name, "x-amz-content-sha256") ||
            !strcasecmp(name, "x-amz-security-token")) {
            continue;
        }
        kv[n++] = kv[i];
    }
    headers->nelts = n;
}

apr_status_t s3up_sigv4_sign_headers(s3up_sigv4_t *s, s3up_sigv4_req_t *req,
                                     const s3up_creds_t *creds, apr_pool_t *p)
{
    const char *amz_date, *cr, *names, *scope, *sig;
    apr_status_t rv;

    if (check_req(req) != APR_SUCCESS || !check_creds(creds)) {
        return APR_EINVAL;
    }
    amz_date = s3up_time_amz(req->now, p);
    remove_auth_headers(req->headers);
    s3up_kv_add(req->headers, "x-amz-date", amz_date);
    if (!(req->flags & S3UP_SIGV4_NO_SHA256_HDR)) {
        s3up_kv_add(req->headers, "x-amz-content-sha256",
                    req->payload_hash ? req->payload_hash : S3UP_SIGV4_EMPTY_SHA256);
    }
    if (creds->session_token && creds->session_token[0]) {
        s3up_kv_add(req->headers, "x-amz-security-token", creds->session_token);
    }
    rv = s3up_sigv4_canonical_request(&cr, &names, req, p);
    if (rv == APR_SUCCESS) {
        rv = sign(&sig, &scope, s, amz_date, req->region, req->service, creds, cr, p);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    s3up_kv_add(req->headers, "authorization",
                apr_pstrcat(p, ALGORITHM " Credential=", creds->access_key, "/", scope,
                            ", SignedHeaders=", names, ", Signature=", sig, NULL));
    return APR_SUCCESS;
}

apr_status_t s3up_sigv4_presign(const char **query, s3up_sigv4_t *s, const s3up_sigv4_req_t *req,
                                const s3up_creds_t *creds, apr_interval_time_t expires,
                                apr_pool_t *p)
{
    s3up_sigv4_req_t r;
    const char *amz_date, *block, *names, *cq, *cr, *scope, *sig;
    apr_time_t secs = apr_time_sec(expires);
    apr_status_t rv;

    if (check_req(req) != APR_SUCCESS || !check_creds(creds) || secs < 1 ||
        secs > PRESIGN_MAX_SECONDS) {
        return APR_EINVAL;
    }
    rv = canonical_headers(&block, &names, req->headers, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    r = *req;
    r.query =
        req->query ? apr_array_copy_hdr(p, req->query) : apr_array_make(p, 6, sizeof(s3up_kv_t));
    r.payload_hash = req->payload_hash ? req->payload_hash : S3UP_SIGV4_UNSIGNED_PAYLOAD;
    amz_date = s3up_time_amz(req->now, p);
    s3up_kv_add(r.query, "X-Amz-Algorithm", ALGORITHM);
    s3up_kv_add(r.query, "X-Amz-Credential",
                apr_pstrcat(p, creds->access_key, "/", apr_pstrndup(p, amz_date, 8), "/",
                            req->region, "/", req->service, "/aws4_request", NULL));
    s3up_kv_add(r.query, "X-Amz-Date", amz_date);
    s3up_kv_add(r.query, "X-Amz-Expires", apr_psprintf(p, "%" APR_TIME_T_FMT, secs));
    s3up_kv_add(r.query, "X-Amz-SignedHeaders", names);
    if (creds->session_token && creds->session_token[0]) {
        s3up_kv_add(r.query, "X-Amz-Security-Token", creds->session_token);
    }
    cq = canonical_query(r.query, p);
    cr = build_canonical_request(&r, cq, block, names, p);
    rv = sign(&sig, &scope, s, amz_date, r.region, r.service, creds, cr, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* The canonical query is also a valid query string to send. */
    *query = apr_pstrcat(p, cq, "&X-Amz-Signature=", sig, NULL);
    return APR_SUCCESS;
}

/* Appends {name: value}; non-zero on failure. */
static int add_condition(json_t *conditions, const char *name, const char *value)
{
    json_t *c = json_object();

    if (!c || json_object_set_new(c, name, json_string(value))) {
        json_decref(c);
        return 1;
    }
    return json_array_append_new(conditions, c);
}

apr_status_t s3up_sigv4_post_policy(apr_array_header_t **fields, s3up_sigv4_t *s,
                                    const char *conditions_json, apr_time_t expiration,
                                    const char *region, apr_time_t now, const s3up_creds_t *creds,
                                    apr_pool_t *p)
{
    const char *amz_date, *credential, *token, *sig;
    char date[9], *dump, *b64;
    unsigned char key[32];
    json_t *policy = NULL, *conditions;
    apr_array_header_t *f;
    apr_size_t len;
    apr_status_t rv;
    int failed;

    if (!check_creds(creds) || !region || !region[0] || expiration <= now) {
        return APR_EINVAL;
    }
    conditions =
        conditions_json ? json_loads(conditions_json, JSON_REJECT_DUPLICATES, NULL) : json_array();
    if (!json_is_array(conditions)) {
        json_decref(conditions);
        return APR_EINVAL;
    }
    amz_date = s3up_time_amz(now, p);
    apr_cpystrn(date, amz_date, sizeof(date));
    credential =
        apr_pstrcat(p, creds->access_key, "/", date, "/", region, "/s3/aws4_request", NULL);
    token = creds->session_token && creds->session_token[0] ? creds->session_token : NULL;

    policy = json_object();
    failed =
        !policy ||
        json_object_set_new(policy, "expiration", json_string(s3up_time_iso8601(expiration, p))) ||
        json_object_set(policy, "conditions", conditions) ||
        add_condition(conditions, "x-amz-algorithm", ALGORITHM) ||
        add_condition(conditions, "x-amz-credential", credential) ||
        add_condition(conditions, "x-amz-date", amz_date) ||
        (token && add_condition(conditions, "x-amz-security-token", token));
    json_decref(conditions);
    /* Python's json.dumps layout (", " and ": "), so an ASCII policy is
     * byte for byte the one botocore would make. */
    dump = failed ? NULL : json_dumps(policy, JSON_PRESERVE_ORDER);
    json_decref(policy);
    if (!dump) {
        return APR_ENOMEM;
    }
    len = strlen(dump);
    b64 = apr_palloc(p, apr_base64_encode_len((int)len));
    apr_base64_encode(b64, dump, (int)len);
    free(dump);

    rv = s3up_sigv4_signing_key(s, key, creds->secret_key, date, region, "s3");
    if (rv == APR_SUCCESS) {
        rv = s3up_sigv4_signature(&sig, s, key, b64, p);
        OPENSSL_cleanse(key, sizeof(key));
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    f = apr_array_make(p, 6, sizeof(s3up_kv_t));
    s3up_kv_add(f, "policy", b64);
    s3up_kv_add(f, "x-amz-algorithm", ALGORITHM);
    s3up_kv_add(f, "x-amz-credential", credential);
    s3up_kv_add(f, "x-amz-date", amz_date);
    if (token) {
        s3up_kv_add(f, "x-amz-security-token", token);
    }
    s3up_kv_add(f, "x-amz-signature", sig);
    *fields = f;
    return APR_SUCCESS;
}
