/*
 * SHA-256, HMAC-SHA256, hex and RFC 3986 encoding for the whole core.
 */
#include <string.h>

#include <apr_strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "s3up_util.h"

static const char hex_digits[] = "0123456789abcdef";

const char *s3up_hex(const unsigned char *bin, apr_size_t len, apr_pool_t *p)
{
    char *out = apr_palloc(p, len * 2 + 1);
    apr_size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = hex_digits[bin[i] >> 4];
        out[2 * i + 1] = hex_digits[bin[i] & 0x0f];
    }
    out[len * 2] = '\0';
    return out;
}

/* Made once per process and kept until it ends. */
static CRYPTO_ONCE crypto_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_MD *sha256_md;
static EVP_MAC_CTX *hmac_template;

static void crypto_make(void)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    OSSL_PARAM params[2];

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (mac && (hmac_template = EVP_MAC_CTX_new(mac)) &&
        !EVP_MAC_CTX_set_params(hmac_template, params)) {
        EVP_MAC_CTX_free(hmac_template);
        hmac_template = NULL;
    }
    EVP_MAC_free(mac); /* the context holds its own reference */
}

static int crypto_ready(void)
{
    return CRYPTO_THREAD_run_once(&crypto_once, crypto_make) && sha256_md && hmac_template;
}

const EVP_MD *s3up_util_sha256(void)
{
    return crypto_ready() ? sha256_md : NULL;
}

EVP_MAC_CTX *s3up_util_hmac_new(void)
{
    return crypto_ready() ? EVP_MAC_CTX_dup(hmac_template) : NULL;
}

const char *s3up_sha256_hex_in(EVP_MD_CTX *ctx, const void *data, apr_size_t len, apr_pool_t *p)
{
    unsigned char md[32];
    int done = crypto_ready() &&
               (ctx ? EVP_DigestInit_ex(ctx, sha256_md, NULL) && EVP_DigestUpdate(ctx, data, len) &&
                          EVP_DigestFinal_ex(ctx, md, NULL)
                    : EVP_Digest(data, len, md, NULL, sha256_md, NULL));

    return done ? s3up_hex(md, sizeof(md), p) : NULL;
}

const char *s3up_sha256_hex(const void *data, apr_size_t len, apr_pool_t *p)
{
    return s3up_sha256_hex_in(NULL, data, len, p);
}

apr_status_t s3up_hmac_sha256_in(EVP_MAC_CTX *ctx, unsigned char out[32], const void *key,
                                 apr_size_t keylen, const void *msg, apr_size_t len)
{
    size_t outlen = 0;

    if (!EVP_MAC_init(ctx, key, keylen, NULL) || !EVP_MAC_update(ctx, msg, len) ||
        !EVP_MAC_final(ctx, out, &outlen, 32) || outlen != 32) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t s3up_hmac_sha256(unsigned char out[32], const void *key, apr_size_t keylen,
                              const void *msg, apr_size_t len)
{
    EVP_MAC_CTX *ctx = s3up_util_hmac_new();
    apr_status_t rv;

    if (!ctx) {
        return APR_ENOMEM;
    }
    rv = s3up_hmac_sha256_in(ctx, out, key, keylen, msg, len);
    EVP_MAC_CTX_free(ctx);
    return rv;
}

/* Characters never encoded: 1 unreserved, 2 '/' (kept on request). */
static const unsigned char keep_chars[256] = {
    ['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['-'] = 1,
    ['.'] = 1,         ['_'] = 1,         ['~'] = 1,         ['/'] = 2,
};

const char *s3up_uri_encode(const char *s, int keep_slash, apr_pool_t *p)
{
    static const char upper[] = "0123456789ABCDEF";
    const unsigned char *c = (const unsigned char *)s;
    unsigned char keep = keep_slash ? 3 : 1;
    /* Sized for the worst case: one pass, no counting. */
    char *out = apr_palloc(p, 3 * strlen(s) + 1), *o = out;

    for (; *c; c++) {
        if (keep_chars[*c] & keep) {
            *o++ = (char)*c;
        } else {
            *o++ = '%';
            *o++ = upper[*c >> 4];
            *o++ = upper[*c & 0x0f];
        }
    }
    *o = '\0';
    return out;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
        return (c | 0x20) - 'a' + 10;
    }
    return -1;
}

/* The decoded form of s[0..len), or NULL for a bad escape or a NUL. */
static const char *form_decode(const char *s, apr_size_t len, apr_pool_t *p)
{
    char *out = apr_palloc(p, len + 1), *o = out;

    for (apr_size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] != '%') {
            *o++ = s[i];
        } else if (i + 2 < len && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            *o++ = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            return NULL;
        }
        if (o[-1] == '\0') {
            return NULL;
        }
    }
    *o = '\0';
    return out;
}

const char *s3up_form_value(const char *body, apr_size_t len, const char *name, apr_pool_t *p)
{
    apr_size_t nlen = strlen(name), i = 0;

    while (i < len) {
        const char *pair = body + i;
        const char *amp = memchr(pair, '&', len - i);
        apr_size_t plen = amp ? (apr_size_t)(amp - pair) : len - i;

        if (plen > nlen && !memcmp(pair, name, nlen) && pair[nlen] == '=') {
            return form_decode(pair + nlen + 1, plen - nlen - 1, p);
        }
        i += plen + 1;
    }
    return NULL;
}
