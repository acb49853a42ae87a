/*
 * JSON: the parser every request body and every record read from the
 * bucket goes through, and the endpoint record's reader.
 */
#include "fuzz.h"
#include "s3up_json.h"
#include "s3up_store.h"

static void fuzz_one(const char *data, apr_size_t len, apr_pool_t *p)
{
    json_t *j;
    const char *why;
    s3up_endpoint_t *ep;

    if (s3up_json_parse(&j, data, len, 64 * 1024, &why, p) == APR_SUCCESS) {
        touch(s3up_json_dump(j, p));
        if (json_is_object(j)) {
            touch(s3up_json_str(j, "filename"));
        }
    } else {
        touch(why);
    }
    if (s3up_store_endpoint_parse(&ep, data, len, p) == APR_SUCCESS) {
        touch(s3up_store_endpoint_json(ep, p));
        (void)s3up_store_endpoint_open(ep, apr_time_now());
    }
}
