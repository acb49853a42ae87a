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

static apr_pool_t *pool;

static void length_is(apr_off_t file_size, apr_off_t part_size, int n, apr_off_t want,
                      const char *what)
{
    apr_off_t got = -1;
    apr_status_t rv = s3up_keys_part_length(&got, file_size, part_size, n);
    ok(rv == APR_SUCCESS && got == want,
       "%s: part %d is %" APR_OFF_T_FMT " bytes (got %d, %" APR_OFF_T_FMT ")", what, n, want, rv,
       got);
}

static void length_refused(apr_off_t file_size, apr_off_t part_size, int n, const char *what)
{
    apr_off_t got = 77;
    ok(s3up_keys_part_length(&got, file_size, part_size, n) == APR_EINVAL && got == 77,
       "%s: refused", what);
}

/* Every part of every plan: lengths add up to the file, and only the last
 * may be short. */
static void test_part_lengths(void)
{
    const apr_off_t sizes[] = {0, 1, 5 * MIB, 5 * MIB + 1, 64 * MIB * 3 - 7, 10000 * 64 * MIB + 1};

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        apr_off_t part_size, sum = 0, len;
        int parts, fine = 1;
        s3up_keys_plan(&part_size, &parts, sizes[i], 64 * MIB);
        for (int n = 1; n <= parts; n++) {
            fine = fine && s3up_keys_part_length(&len, sizes[i], part_size, n) == APR_SUCCESS &&
                   (n == parts || len == part_size) && len <= part_size;
            sum += len;
        }
        ok(fine && sum == sizes[i], "a file of %" APR_OFF_T_FMT " bytes: %d parts add up", sizes[i],
           parts);
        length_refused(sizes[i], part_size, parts + 1, "past the last part");
    }
    length_is(0, 64 * MIB, 1, 0, "empty file");
    length_is(11 * MIB + 123, 5 * MIB, 3, MIB + 123, "the short last part");
    length_is(10 * MIB, 5 * MIB, 2, 5 * MIB, "a last part of full size");
    length_refused(10 * MIB, 5 * MIB, 0, "part 0");
    length_refused(-1, 5 * MIB, 1, "negative file size");
    length_refused(10 * MIB, 5 * MIB - 1, 1, "part size under 5 MiB");
    length_refused(10 * MIB, 5 * GIB + 1, 1, "part size over 5 GiB");
    length_refused(10001 * 5 * MIB, 5 * MIB, 1, "a plan of more than 10,000 parts");
}

static void relpath_is(const char *name, const char *want, const char *what)
{
    const char *got = NULL, *why = NULL;
    apr_status_t rv = s3up_keys_relpath(&got, name, &why, pool);
    if (rv != APR_SUCCESS) {
        ok(0, "%s", what);
        diag("refused: %s", why);
        return;
    }
    is_str(got, want, "%s", what);
}

static void relpath_refused(const char *name, const char *why_part, const char *what)
{
    const char *got = NULL, *why = "";
    apr_status_t rv = s3up_keys_relpath(&got, name, &why, pool);
    ok(rv == APR_EINVAL && strstr(why, why_part), "%s (%s)", what, rv ? why : got);
}

static void test_relpath(void)
{
    char seg[300], path[900];

    relpath_is("report.pdf", "report.pdf", "a plain name is kept");
    relpath_is("Zoë's Q3 (final) #2 + 50%.xlsx", "Zoë's Q3 (final) #2 + 50%.xlsx",
               "unicode and punctuation are kept");
    relpath_is("folder/sub/file.txt", "folder/sub/file.txt", "folder uploads keep their path");
    relpath_is("/etc/passwd", "etc/passwd", "absolute paths become relative");
    relpath_is("a//b/./c", "a/b/c", "empty and . segments go");
    relpath_is("C:\\Users\\me\\x.bin", "C:/Users/me/x.bin", "backslashes are separators");
    relpath_is("..hidden/..x", "..hidden/..x", "dots inside names are fine");
    relpath_refused("../../other/x", "..", "parent segments are refused");
    relpath_refused("a/../../b", "..", "parent segments in the middle are refused");
    relpath_refused("a\\..\\b", "..", "parent segments with backslashes are refused");
    relpath_refused("bad\x01name", "control", "C0 control characters are refused");
    relpath_refused("bad\x7fname", "control", "DEL is refused");
    relpath_refused("bad\xc2\x85name", "control", "C1 controls (NEL) are refused");
    relpath_refused("line\nbreak", "control", "newlines are refused");
    relpath_refused("bad\xff", "UTF-8", "invalid UTF-8 is refused");
    relpath_refused("\xc0\xaf", "UTF-8", "overlong UTF-8 is refused");
    relpath_refused("\xed\xa0\x80", "UTF-8", "UTF-16 surrogates are refused");
    relpath_refused("\xe2\x82", "UTF-8", "truncated UTF-8 is refused");
    relpath_refused("", "empty", "an empty name is refused");
    relpath_refused("/./", "empty", "a name of nothing but separators is refused");
    memset(seg, 'a', 256);
    seg[256] = '\0';
    relpath_refused(seg, "255", "a 256-byte name is refused");
    seg[255] = '\0';
    relpath_is(seg, seg, "a 255-byte name is kept");
    for (int i = 0; i < 4; i++) {
        memcpy(path + i * 201, seg, 200);
        path[i * 201 + 200] = '/';
    }
    path[803] = '\0';
    relpath_refused(path, "800", "a path over 800 bytes is refused");

    is_str(s3up_keys_numbered("report.pdf", 0, pool), "report.pdf", "first name as it is");
    is_str(s3up_keys_numbered("report.pdf", 2, pool), "report (2).pdf",
           "number before the extension");
    is_str(s3up_keys_numbered("a.b/README", 1, pool), "a.b/README (1)", "no extension");
    is_str(s3up_keys_numbered("dir/.env", 1, pool), "dir/.env (1)", "dot file");
    is_str(s3up_keys_numbered("x.tar.gz", 3, pool), "x.tar (3).gz", "last extension only");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_relpath();
    test_part_lengths();

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
