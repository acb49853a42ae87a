/*
 * Upload-link tokens and the signed cookie that a link (and its passcode)
 * turns into. A token is 256 random bits, shown once; only its sha256 is
 * stored (the link id). The cookie is HMAC-SHA256-signed with the key of
 * S3UpSecretFile:
 *     v1.{link id}.{endpoint}.{expires, unix seconds}.{base64url(hmac)}
 */
#ifndef S3UP_TOKEN_H
#define S3UP_TOKEN_H

#include "s3up.h"

#define S3UP_TOKEN_LEN 43 /* base64url of 32 bytes, unpadded */

/* A new token: 32 random bytes, base64url. */
apr_status_t s3up_token_new(const char **token, apr_pool_t *p);

/* Whether s looks like a token (length and alphabet): cheap, before any
 * lookup. */
int s3up_token_valid(const char *s);

/* The link id of a token: lower-case hex sha256. */
const char *s3up_token_id(const char *token, apr_pool_t *p);

typedef struct s3up_link_cookie_t {
    const char *link_id;
    const char *endpoint;
    apr_time_t expires;
} s3up_link_cookie_t;

/* The cookie value for a link, signed with key. */
apr_status_t s3up_token_cookie_make(const char **value, const s3up_link_cookie_t *c,
                                    const char *key, apr_pool_t *p);

/* Verify and read a cookie value: APR_EINVAL when malformed or its
 * signature does not match, APR_TIMEUP when it has expired at now. */
apr_status_t s3up_token_cookie_read(s3up_link_cookie_t **out, const char *value, const char *key,
                                    apr_time_t now, apr_pool_t *p);

/* A part's upload URL through httpd (proxy mode, or an upload of no
 * declared size) carries a token instead of a signature for S3,
 * "{expires}.{=|<}{bytes}.{base64url(hmac)}" over the upload, the part
 * number, the key and the size: "=" when the part must be exactly that
 * many bytes, "<" when at most. Signed with the S3UpSecretFile key. */
typedef struct s3up_part_grant_t {
    apr_off_t bytes;
    int exact; /* bytes exactly, else at most */
} s3up_part_grant_t;

apr_status_t s3up_token_part_make(const char **token, const char *key, const char *upload_id,
                                  int part, const s3up_part_grant_t *grant, apr_time_t expires,
                                  const char *secret, apr_pool_t *p);

/* APR_SUCCESS and *grant when token is this part's and unexpired;
 * APR_EINVAL when it is not, APR_TIMEUP when it expired. */
apr_status_t s3up_token_part_check(s3up_part_grant_t *grant, const char *token, const char *key,
                                   const char *upload_id, int part, apr_time_t now,
                                   const char *secret, apr_pool_t *p);

/* A passcode's bcrypt hash (APR's), for the link record. */
apr_status_t s3up_token_passcode_hash(const char **hash, const char *passcode, apr_pool_t *p);

/* Whether passcode matches hash. */
int s3up_token_passcode_ok(const char *hash, const char *passcode);

#endif /* S3UP_TOKEN_H */
