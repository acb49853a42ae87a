/*
 * Upload-link tokens and signed link cookies.
 */
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <apr_md5.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "s3up_sigv4.h"
#include "s3up_token.h"
#include "s3up_util.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const char *base64url(const unsigned char *data, apr_size_t len, apr_pool_t *p)
{
    char *out = apr_palloc(p, (len * 4) / 3 + 4), *w = out;
    apr_size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        *w++ = b64url[data[i] >> 2];
        *w++ = b64url[((data[i] & 3) << 4) | (data[i + 1] >> 4)];
        *w++ = b64url[((data[i + 1] & 15) << 2) | (data[i + 2] >> 6)];
        *w++ = b64url[data[i + 2] & 63];
    }
    if (i < len) {
        *w++ = b64url[data[i] >> 2];
        if (i + 1 < len) {
            *w++ = b64url[((data[i] & 3) << 4) | (data[i + 1] >> 4)];
            *w++ = b64url[(data[i + 1] & 15) << 2];
        } else {
            *w++ = b64url[(data[i] & 3) << 4];
        }
    }
    *w = '\0';
    return out;
}

apr_status_t s3up_token_new(const char **token, apr_pool_t *p)
{
    unsigned char raw[32];

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return APR_EGENERAL;
    }
    *token = base64url(raw, sizeof(raw), p);
    OPENSSL_cleanse(raw, sizeof(raw));
    return APR_SUCCESS;
}

int s3up_token_valid(const char *s)
{
    apr_size_t n = s ? strlen(s) : 0;
    return n == S3UP_TOKEN_LEN && strspn(s, b64url) == n;
}

const char *s3up_token_id(const char *token, apr_pool_t *p)
{
    return s3up_sha256_hex(token, strlen(token), p);
}

static const char *cookie_mac(const char *payload, const char *key, apr_pool_t *p)
{
    unsigned char mac[32];

    if (s3up_hmac_sha256(mac, key, strlen(key), payload, strlen(payload)) != APR_SUCCESS) {
        return NULL;
    }
    return base64url(mac, sizeof(mac), p);
}

/* Longest cookie value read (and so made). */
#define COOKIE_MAX 512

/* A field of the cookie: not empty, no '.', and only what a cookie value
 * may hold (RFC 6265's cookie-octet: printable ASCII but for space, '"',
 * ',', ';' and '\\'). */
static int cookie_field_ok(const char *s)
{
    if (!s || !*s) {
        return 0;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || strchr("\".,;\\", c)) {
            return 0;
        }
    }
    return 1;
}

apr_status_t s3up_token_cookie_make(const char **value, const s3up_link_cookie_t *c,
                                    const char *key, apr_pool_t *p)
{
    const char *payload, *mac;

    if (!key || !*key || !cookie_field_ok(c->link_id) || !cookie_field_ok(c->endpoint) ||
        apr_time_sec(c->expires) <= 0) {
        return APR_EINVAL;
    }
    payload = apr_psprintf(p, "v1.%s.%s.%" APR_INT64_T_FMT, c->link_id, c->endpoint,
                           (apr_int64_t)apr_time_sec(c->expires));
    mac = cookie_mac(payload, key, p);
    if (!mac) {
        return APR_EGENERAL;
    }
    *value = apr_pstrcat(p, payload, ".", mac, NULL);
    /* What is made must read back: s3up_token_cookie_read takes 512 at most. */
    return strlen(*value) <= COOKIE_MAX ? APR_SUCCESS : APR_EINVAL;
}

apr_status_t s3up_token_cookie_read(s3up_link_cookie_t **out, const char *value, const char *key,
                                    apr_time_t now, apr_pool_t *p)
{
    const char *dot = value ? strrchr(value, '.') : NULL;
    const char *payload, *want;
    char *parts, *version, *id, *endpoint, *expires, *end, *last;
    s3up_link_cookie_t *c;
    apr_int64_t secs;

    if (!dot || !key || !*key || strlen(value) > COOKIE_MAX) {
        return APR_EINVAL;
    }
    payload = apr_pstrmemdup(p, value, dot - value);
    want = cookie_mac(payload, key, p);
    /* Constant time: a mismatch must not say how much of it matched. */
    if (!want || strlen(want) != strlen(dot + 1) ||
        CRYPTO_memcmp(want, dot + 1, strlen(want)) != 0) {
        return APR_EINVAL;
    }
    parts = apr_pstrdup(p, payload);
    version = apr_strtok(parts, ".", &last);
    id = apr_strtok(NULL, ".", &last);
    endpoint = apr_strtok(NULL, ".", &last);
    expires = apr_strtok(NULL, ".", &last);
    if (!version || strcmp(version, "v1") || !id || !endpoint || !expires ||
        apr_strtok(NULL, ".", &last)) {
        return APR_EINVAL;
    }
    secs = apr_strtoi64(expires, &end, 10);
    if (*end || secs <= 0) {
        return APR_EINVAL;
    }
    c = apr_pcalloc(p, sizeof(*c));
    c->link_id = id;
    c->endpoint = endpoint;
    c->expires = apr_time_from_sec(secs);
    if (now >= c->expires) {
        return APR_TIMEUP;
    }
    *out = c;
    return APR_SUCCESS;
}

static const char *part_mac(const char *key, const char *upload_id, int part,
                            const s3up_part_grant_t *g, apr_int64_t expires, const char *secret,
                            apr_pool_t *p)
{
    return cookie_mac(
        apr_psprintf(p, "part2\n%" APR_INT64_T_FMT "\n%c%" APR_INT64_T_FMT "\n%s\n%d\n%s", expires,
                     g->exact ? '=' : '<', (apr_int64_t)g->bytes, upload_id, part, key),
        secret, p);
}

apr_status_t s3up_token_part_make(const char **token, const char *key, const char *upload_id,
                                  int part, const s3up_part_grant_t *grant, apr_time_t expires,
                                  const char *secret, apr_pool_t *p)
{
    apr_int64_t secs = apr_time_sec(expires);
    const char *mac;

    if (!secret || !*secret || !key || !upload_id || grant->bytes < 0) {
        return APR_EINVAL;
    }
    mac = part_mac(key, upload_id, part, grant, secs, secret, p);
    if (!mac) {
        return APR_EGENERAL;
    }
    *token = apr_psprintf(p, "%" APR_INT64_T_FMT ".%c%" APR_INT64_T_FMT ".%s", secs,
                          grant->exact ? '=' : '<', (apr_int64_t)grant->bytes, mac);
    return APR_SUCCESS;
}

apr_status_t s3up_token_part_check(s3up_part_grant_t *grant, const char *token, const char *key,
                                   const char *upload_id, int part, apr_time_t now,
                                   const char *secret, apr_pool_t *p)
{
    s3up_part_grant_t g;
    apr_int64_t expires;
    char *end, *end2;
    const char *want;

    if (!token || !key || !upload_id || !secret || !*secret || strlen(token) > 128) {
        return APR_EINVAL;
    }
    expires = apr_strtoi64(token, &end, 10);
    if (*end != '.' || expires <= 0 || (end[1] != '=' && end[1] != '<') || !apr_isdigit(end[2])) {
        return APR_EINVAL;
    }
    g.exact = end[1] == '=';
    g.bytes = (apr_off_t)apr_strtoi64(end + 2, &end2, 10);
    if (*end2 != '.' || g.bytes < 0) {
        return APR_EINVAL;
    }
    want = part_mac(key, upload_id, part, &g, expires, secret, p);
    if (!want || strlen(want) != strlen(end2 + 1) ||
        CRYPTO_memcmp(want, end2 + 1, strlen(want)) != 0) {
        return APR_EINVAL;
    }
    if (now >= apr_time_from_sec(expires)) {
        return APR_TIMEUP;
    }
    *grant = g;
    return APR_SUCCESS;
}

/* 2^11 rounds: tens of milliseconds a guess. */
#define BCRYPT_COST 11

apr_status_t s3up_token_passcode_hash(const char **hash, const char *passcode, apr_pool_t *p)
{
    unsigned char salt[16];
    char *out = apr_palloc(p, 64);
    apr_status_t rv;

    if (!passcode || !*passcode || RAND_bytes(salt, sizeof(salt)) != 1) {
        return APR_EINVAL;
    }
    rv = apr_bcrypt_encode(passcode, BCRYPT_COST, salt, sizeof(salt), out, 64);
    if (rv == APR_SUCCESS) {
        *hash = out;
    }
    return rv;
}

int s3up_token_passcode_ok(const char *hash, const char *passcode)
{
    return hash && passcode && !strncmp(hash, "$2y$", 4) &&
           apr_password_validate(passcode, hash) == APR_SUCCESS;
}
