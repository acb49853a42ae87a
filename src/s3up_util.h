/*
 * Small helpers the core shares: SHA-256 and HMAC-SHA256 from OpenSSL
 * objects made once per process, hex, and RFC 3986 encoding as SigV4 wants
 * it (also right for URL paths and query values).
 */
#ifndef S3UP_UTIL_H
#define S3UP_UTIL_H

#include <openssl/evp.h>

#include "s3up.h"

/* The process's SHA-256 and a copy of its HMAC-SHA256 context (freed by
 * the caller with EVP_MAC_CTX_free), NULL when OpenSSL cannot give them.
 * EVP_sha256(), HMAC() or a digest set by name make OpenSSL 3 look the
 * algorithm up again, under its global lock, which threads signing at
 * once then wait on. */
const EVP_MD *s3up_util_sha256(void);
EVP_MAC_CTX *s3up_util_hmac_new(void);

/* Lower-case hex of len bytes. */
const char *s3up_hex(const unsigned char *bin, apr_size_t len, apr_pool_t *p);

/* Lower-case hex SHA-256 of data, in ctx when given (a context of the
 * caller's own: EVP_Digest() makes one per call and takes a reference on
 * the process's SHA-256, an atomic count that threads bounce between the
 * cores), else in a one-shot digest. NULL on failure. */
const char *s3up_sha256_hex_in(EVP_MD_CTX *ctx, const void *data, apr_size_t len, apr_pool_t *p);
const char *s3up_sha256_hex(const void *data, apr_size_t len, apr_pool_t *p);

/* HMAC-SHA256 of msg with key in ctx (from s3up_util_hmac_new); a NULL
 * key reuses the key ctx was last given. */
apr_status_t s3up_hmac_sha256_in(EVP_MAC_CTX *ctx, unsigned char out[32], const void *key,
                                 apr_size_t keylen, const void *msg, apr_size_t len);

/* HMAC-SHA256 of msg with key, for any thread. */
apr_status_t s3up_hmac_sha256(unsigned char out[32], const void *key, apr_size_t keylen,
                              const void *msg, apr_size_t len);

/* Everything but A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex); '/' is
 * kept when keep_slash is set. */
const char *s3up_uri_encode(const char *s, int keep_slash, apr_pool_t *p);

/* The value of field name in an application/x-www-form-urlencoded body of
 * len bytes ('+' is a space, %XX a byte), the first when it occurs more
 * than once. NULL when the field is absent, or its value holds a bad
 * escape or a NUL byte. */
const char *s3up_form_value(const char *body, apr_size_t len, const char *name, apr_pool_t *p);

#endif /* S3UP_UTIL_H */
