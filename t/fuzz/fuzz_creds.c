/*
 * The AWS shared credentials and config files (read as root when httpd
 * starts): the first byte says which of the two the rest is.
 */
#include "fuzz.h"
#include "s3up_creds.h"

static void fuzz_one(const char *data, apr_size_t len, apr_pool_t *p)
{
    s3up_creds_files_t *f = s3up_creds_files_make(p);
    const char *why;
    int config = len && (data[0] & 1);

    if (s3up_creds_files_add(f, len ? data + 1 : data, config, &why, p) == APR_SUCCESS) {
        static const char *const names[] = {"default", "work", "a", ""};
        for (int i = 0; i < 4; i++) {
            touch(s3up_creds_files_get(f, names[i], "aws_access_key_id"));
            touch(s3up_creds_files_get(f, names[i], "role_arn"));
        }
    } else if (!why) {
        abort(); /* a refusal says why */
    }
}
