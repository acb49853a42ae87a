/*
 * Part-size planning at S3's edges: 5 MiB..5 GiB parts, 10,000 parts,
 * 5 TiB objects.
 */
#include <apr_general.h>

#include "s3up_keys.h"
#include "tap.h"

#define MIB S3UP_MIB
#define GIB (1024 * MIB)
#define TIB (1024 * GIB)

static void plan_is(apr_off_t file_size, apr_off_t configured, apr_off_t want_size, int want_parts,
                    const char *what)
{
    apr_off_t size = -1;
    int parts = -1;
    apr_status_t rv = s3up_keys_plan(&size, &parts, file_size, configured);

    is_int(rv, APR_SUCCESS, "%s: planned", what);
    is_int(size, want_size, "%s: part size", what);
    is_int(parts, want_parts, "%s: parts", what);
    ok((apr_off_t)parts * size >= file_size, "%s: parts cover the file", what);
    ok(parts <= S3UP_PARTS_MAX, "%s: at most 10,000 parts", what);
}

static void plan_fails(apr_off_t file_size, apr_status_t want, const char *what)
{
    apr_off_t size = 77;
    int parts = 77;

    is_int(s3up_keys_plan(&size, &parts, file_size, 64 * MIB), want, "%s: refused", what);
    ok(size == 77 && parts == 77, "%s: outputs untouched", what);
}

int main(void)
{
    apr_initialize();

    plan_is(0, 64 * MIB, 64 * MIB, 1, "empty file");
    plan_is(1, 64 * MIB, 64 * MIB, 1, "one byte");
    plan_is(64 * MIB, 64 * MIB, 64 * MIB, 1, "exactly one part");
    plan_is(64 * MIB + 1, 64 * MIB, 64 * MIB, 2, "one part and a byte");
    plan_is(10000 * 64 * MIB, 64 * MIB, 64 * MIB, 10000, "exactly 10,000 parts");
    plan_is(10000 * 64 * MIB + 1, 64 * MIB, 65 * MIB, 9847, "10,000 parts and a byte: 65 MiB");
    plan_is(10000 * 5 * MIB + 1, 1, 6 * MIB, 8334, "tiny configured size grows past 5 MiB");

    /* 5 TiB / 10,000 = 524.288 MiB, so whole-MiB growth lands on 525. */
    plan_is(5 * TIB, 64 * MIB, 525 * MIB, 9987, "5 TiB");
    plan_is(5 * TIB, 5 * GIB, 5 * GIB, 1024, "5 TiB in 5 GiB parts");
    plan_fails(5 * TIB + 1, S3UP_ETOOBIG, "5 TiB and a byte");
    plan_fails(-1, APR_EINVAL, "negative size");

    plan_is(100 * MIB, 1 * MIB, 5 * MIB, 20, "configured below 5 MiB: 5 MiB");
    plan_is(100 * MIB, 0, 5 * MIB, 20, "configured 0: 5 MiB");
    plan_is(11 * GIB, 6 * GIB, 5 * GIB, 3, "configured above 5 GiB: 5 GiB");
    plan_is(5 * MIB + 1, 5 * MIB + 1, 5 * MIB + 1, 1, "odd configured size kept when it fits");

    apr_terminate();
    return done_testing();
}
