/*
 * s3up_xml: S3 response parsing and the CompleteMultipartUpload body.
 * Samples live in t/unit/data/xml/ (run from the repo root); short or
 * generated inputs are inline.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_file_io.h>

#include <libxml/parser.h>

#include "tap.h"
#include "s3up_xml.h"
#include "s3up_time.h"

#define DATA "t/unit/data/xml/"
#define T(secs) apr_time_from_sec(secs)
#define TIB(n) ((apr_off_t)(n) << 40)
#define GIB(n) ((apr_off_t)(n) << 30)
/* A string literal and its length. */
#define LIT(s) s, (sizeof(s) - 1)

typedef struct sample_t {
    const char *data;
    apr_size_t len;
} sample_t;

static apr_pool_t *pool;

static sample_t load(const char *name)
{
    sample_t s = {NULL, 0};
    char *data;
    apr_size_t len;
    apr_file_t *f;
    apr_finfo_t fi;
    const char *path = apr_pstrcat(pool, DATA, name, NULL);

    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, pool) != APR_SUCCESS ||
        apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        printf("Bail out! cannot read %s (run from the repo root)\n", path);
        exit(255);
    }
    len = (apr_size_t)fi.size;
    data = apr_palloc(pool, len + 1);
    apr_file_read_full(f, data, len, &len);
    apr_file_close(f);
    data[len] = '\0';
    s.data = data;
    s.len = len;
    return s;
}

static const char *rvs(apr_status_t rv)
{
    return s3up_strerror(rv, pool);
}

#define is_rv(got, want, ...)                                                                      \
    do {                                                                                           \
        apr_status_t gr_ = (got), wr_ = (want);                                                    \
        if (!ok(gr_ == wr_, __VA_ARGS__))                                                          \
            printf("#          got: %d (%s)\n#     expected: %d (%s)\n", gr_, rvs(gr_), wr_,       \
                   rvs(wr_));                                                                      \
    } while (0)

/* Every parser behind one signature, for the inputs all must refuse. */
typedef apr_status_t parse_fn(const char *body, apr_size_t len, apr_pool_t *p);

static apr_status_t p_error(const char *body, apr_size_t len, apr_pool_t *p)
{
    s3up_error_t e = {0};
    return s3up_xml_parse_error(&e, body, len, p);
}

static apr_status_t p_initiate(const char *body, apr_size_t len, apr_pool_t *p)
{
    const char *id;
    return s3up_xml_parse_initiate(&id, body, len, p);
}

static apr_status_t p_list_parts(const char *body, apr_size_t len, apr_pool_t *p)
{
    s3up_part_page_t *page;
    return s3up_xml_parse_list_parts(&page, body, len, p);
}

static apr_status_t p_complete(const char *body, apr_size_t len, apr_pool_t *p)
{
    s3up_complete_t *done;
    s3up_error_t *err = NULL;
    return s3up_xml_parse_complete(&done, &err, body, len, p);
}

static apr_status_t p_list_uploads(const char *body, apr_size_t len, apr_pool_t *p)
{
    s3up_upload_page_t *page;
    return s3up_xml_parse_list_uploads(&page, body, len, p);
}

static apr_status_t p_list_objects(const char *body, apr_size_t len, apr_pool_t *p)
{
    s3up_object_page_t *page;
    return s3up_xml_parse_list_objects(&page, body, len, p);
}

static const struct {
    const char *name;
    parse_fn *fn;
} parsers[] = {
    {"parse_error", p_error},
    {"parse_initiate", p_initiate},
    {"parse_list_parts", p_list_parts},
    {"parse_complete", p_complete},
    {"parse_list_uploads", p_list_uploads},
    {"parse_list_objects", p_list_objects},
};
#define NPARSERS (int)(sizeof(parsers) / sizeof(parsers[0]))

/* Every parser refuses body with want; one line per input, naming the
 * parsers that did not. */
static void all_refuse(const char *what, const char *body, apr_size_t len, apr_status_t want)
{
    apr_pool_t *p;
    const char *bad = "";
    int i;

    apr_pool_create(&p, pool);
    for (i = 0; i < NPARSERS; i++) {
        apr_status_t rv = parsers[i].fn(body, len, p);
        if (rv != want) {
            bad = apr_psprintf(pool, "%s %s->%d (%s)", bad, parsers[i].name, rv, rvs(rv));
        }
    }
    apr_pool_destroy(p);
    if (!ok(!*bad, "%s: every parser says %s", what, rvs(want))) {
        diag("got:%s", bad);
    }
}

static void test_initiate(void)
{
    sample_t s = load("initiate.xml");
    const char *id = NULL;

    is_rv(s3up_xml_parse_initiate(&id, s.data, s.len, pool), APR_SUCCESS, "initiate parses");
    is_str(id, "2~VXBsb2FkSWQtZXhhbXBsZS0x.abc_DEF-ghi", "initiate: UploadId");

    id = "untouched";
    is_rv(s3up_xml_parse_initiate(&id,
                                  LIT("<InitiateMultipartUploadResult><UploadId/>"
                                      "</InitiateMultipartUploadResult>"),
                                  pool),
          S3UP_EPARSE, "initiate: empty UploadId refused");
    is_str(id, "untouched", "initiate: output untouched on failure");
}

static void test_list_parts(void)
{
    sample_t s1 = load("list_parts_page1.xml"), s2 = load("list_parts_page2.xml");
    s3up_part_page_t *page = NULL;
    const s3up_part_t *pt;

    is_rv(s3up_xml_parse_list_parts(&page, s1.data, s1.len, pool), APR_SUCCESS,
          "list parts page 1 parses");
    if (!page) {
        return;
    }
    is_int(page->parts->nelts, 3, "page 1: three parts");
    is_int(page->truncated, 1, "page 1: IsTruncated");
    is_int(page->next_marker, 3, "page 1: NextPartNumberMarker");
    pt = (const s3up_part_t *)page->parts->elts;
    is_int(pt[0].number, 1, "part 1: PartNumber");
    is_str(pt[0].etag, "\"7778aef83f66abc1fa1e8477f296d394\"", "part 1: ETag keeps its quotes");
    is_int(pt[0].size, GIB(5), "part 1: 5 GiB Size (past 32 bits)");
    is_int(pt[0].last_modified, T(1795950093), "part 1: LastModified");
    is_int(pt[1].number, 2, "part 2: elements in another order, unknown ones skipped");
    is_int(pt[1].last_modified, T(1795950093 + 1) + 123000, "part 2: milliseconds kept");
    is_int(pt[2].last_modified, T(1795950095), "part 3: time without milliseconds");

    page = NULL;
    is_rv(s3up_xml_parse_list_parts(&page, s2.data, s2.len, pool), APR_SUCCESS,
          "list parts page 2 (no namespace) parses");
    if (!page) {
        return;
    }
    is_int(page->truncated, 0, "page 2: not truncated");
    is_int(page->next_marker, 10000, "page 2: NextPartNumberMarker 10000");
    is_int(page->parts->nelts, 1, "page 2: one part");
    is_int(APR_ARRAY_IDX(page->parts, 0, s3up_part_t).number, 10000, "page 2: part 10000");
    is_int(APR_ARRAY_IDX(page->parts, 0, s3up_part_t).size, 1, "page 2: Size 1");

    page = NULL;
    is_rv(s3up_xml_parse_list_parts(&page, LIT("<ListPartsResult/>"), pool), APR_SUCCESS,
          "list parts: empty result");
    ok(page && page->parts->nelts == 0 && !page->truncated && page->next_marker == 0,
       "empty result: no parts, not truncated, marker 0");
}

static void test_list_uploads(void)
{
    sample_t s = load("list_uploads.xml"), e = load("list_uploads_empty.xml");
    s3up_upload_page_t *page = NULL;
    const s3up_upload_t *up;

    is_rv(s3up_xml_parse_list_uploads(&page, s.data, s.len, pool), APR_SUCCESS,
          "list uploads parses");
    if (!page) {
        return;
    }
    is_int(page->uploads->nelts, 2, "two uploads");
    is_int(page->truncated, 1, "IsTruncated");
    is_str(page->next_key_marker, "uploads/acme/r&d.tar", "NextKeyMarker unescaped");
    is_str(page->next_upload_id_marker, "2~upload-two", "NextUploadIdMarker");
    up = (const s3up_upload_t *)page->uploads->elts;
    is_str(up[0].key, "uploads/acme/big.iso", "upload 1: Key");
    is_str(up[0].upload_id, "2~upload-one", "upload 1: UploadId (not Initiator's ID)");
    is_int(up[0].initiated, T(1795910399), "upload 1: Initiated");
    is_str(up[1].key, "uploads/acme/r&d.tar", "upload 2: Key");
    is_int(up[1].initiated, T(1795910400), "upload 2: Initiated without milliseconds");

    page = NULL;
    is_rv(s3up_xml_parse_list_uploads(&page, e.data, e.len, pool), APR_SUCCESS,
          "last page of uploads parses");
    if (!page) {
        return;
    }
    is_int(page->uploads->nelts, 0, "last page: no uploads");
    is_int(page->truncated, 0, "last page: not truncated");
    is_str(page->next_key_marker, NULL, "last page: empty NextKeyMarker is NULL");
    is_str(page->next_upload_id_marker, NULL, "last page: empty NextUploadIdMarker is NULL");
}

static void test_list_objects(void)
{
    sample_t s = load("list_objects.xml"), l = load("list_objects_last.xml");
    s3up_object_page_t *page = NULL;
    const s3up_object_t *o;

    is_rv(s3up_xml_parse_list_objects(&page, s.data, s.len, pool), APR_SUCCESS,
          "list objects parses");
    if (!page) {
        return;
    }
    is_int(page->objects->nelts, 4, "four objects");
    is_int(page->truncated, 1, "IsTruncated");
    is_str(page->next_token, "1w41l63U0xa8q7smH50vCxyTQqdxo69O3EmK28Bi5PcROI4wI/EyIJg==",
           "NextContinuationToken (not ContinuationToken)");
    o = (const s3up_object_t *)page->objects->elts;
    is_str(o[0].key, "uploads/acme/disk image.iso", "object 1: Key with a space");
    is_int(o[0].size, TIB(5), "object 1: 5 TiB Size");
    is_str(o[0].etag, "\"0b1f2f4c4f6e1a0d1c1b5e1f5a0d5b7e-81920\"", "object 1: ETag");
    is_int(o[0].last_modified, T(1795950093), "object 1: LastModified");
    ok(!o[0].content_type && !o[0].meta, "object 1: no content type or meta from a listing");
    is_str(o[1].key,
           "uploads/acme/Bericht f\xc3\xbcr M\xc3\xbcller & S\xc3\xb6hne <final> \"v2\" 'ok'.pdf",
           "object 2: escaped and non-ASCII Key");
    is_str(o[1].etag, "\"9b2cf535f27731c974343645a3985328\"", "object 2: &quot; ETag");
    is_int(o[1].size, 0, "object 2: Size 0");
    is_str(o[2].key,
           "uploads/acme/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xe5\x86\x99\xe7\x9c\x9f "
           "\xf0\x9f\x98\x80&.jpg",
           "object 3: CJK and a character reference beyond the BMP");
    is_int(o[2].last_modified, T(1795950095) + 500000, "object 3: .5 seconds");
    is_str(o[3].key, "uploads/acme/<cdata> & more", "object 4: CDATA Key");
    is_str(o[3].etag, NULL, "object 4: no ETag");
    is_int(o[3].last_modified, 0, "object 4: no LastModified");
    is_int(page->prefixes->nelts, 2, "two CommonPrefixes");
    if (page->prefixes->nelts == 2) {
        is_str(APR_ARRAY_IDX(page->prefixes, 0, const char *), "uploads/acme/photos/", "prefix 1");
        is_str(APR_ARRAY_IDX(page->prefixes, 1, const char *), "uploads/acme/r&d/",
               "prefix 2 unescaped");
    }

    page = NULL;
    is_rv(s3up_xml_parse_list_objects(&page, l.data, l.len, pool), APR_SUCCESS,
          "last page of objects parses");
    ok(page && page->objects->nelts == 0 && page->prefixes->nelts == 0 && !page->truncated &&
           !page->next_token,
       "last page: empty, not truncated, no token");

    {
        static const char *no_prefix = "<ListBucketResult><CommonPrefixes></CommonPrefixes>"
                                       "</ListBucketResult>";
        static const char *empty_key =
            "<ListBucketResult><Contents><Key></Key><Size>1</Size></Contents></ListBucketResult>";
        is_rv(s3up_xml_parse_list_objects(&page, no_prefix, strlen(no_prefix), pool), S3UP_EPARSE,
              "CommonPrefixes without a Prefix: refused, no NULL folder");
        is_rv(s3up_xml_parse_list_objects(&page, empty_key, strlen(empty_key), pool), S3UP_EPARSE,
              "an object with an empty Key: refused");
    }
}

static void test_complete(void)
{
    sample_t s = load("complete.xml"), c = load("complete_ceph_empty_etag.xml"),
             e = load("complete_200_error.xml");
    s3up_complete_t *done = NULL;
    s3up_error_t *err = NULL;

    is_rv(s3up_xml_parse_complete(&done, &err, s.data, s.len, pool), APR_SUCCESS,
          "complete parses");
    if (!done) {
        return;
    }
    is_str(done->location, "https://s3up-test.s3.eu-central-1.amazonaws.com/uploads/acme/big.iso",
           "complete: Location");
    is_str(done->bucket, "s3up-test", "complete: Bucket");
    is_str(done->key, "uploads/acme/big.iso", "complete: Key");
    is_str(done->etag, "\"3858f62230ac3c915f300c664312c11f-9\"", "complete: ETag");
    ok(err == NULL, "complete: no error");

    done = NULL;
    is_rv(s3up_xml_parse_complete(&done, &err, c.data, c.len, pool), APR_SUCCESS,
          "Ceph's complete with <ETag></ETag> parses");
    is_str(done ? done->etag : NULL, "", "Ceph: empty ETag is \"\"");

    done = NULL;
    is_rv(s3up_xml_parse_complete(&done, &err, LIT("<CompleteMultipartUploadResult/>"), pool),
          APR_SUCCESS, "complete without any field parses");
    is_str(done ? done->etag : NULL, "", "no ETag element: etag \"\"");

    done = NULL;
    is_rv(s3up_xml_parse_complete(&done, &err, e.data, e.len, pool), S3UP_ES3,
          "200 with <Error> (after keep-alive white space) is S3UP_ES3");
    ok(done == NULL, "200 with <Error>: no result");
    if (!ok(err != NULL, "200 with <Error>: err filled")) {
        return;
    }
    is_int(err->status, S3UP_ES3, "err->status");
    is_int(err->http_status, 200, "err->http_status");
    is_str(err->code, "InternalError", "err->code");
    is_str(err->message, "We encountered an internal error. Please try again.", "err->message");
    is_str(err->request_id, "656c76696e6727732072657175657374", "err->request_id");
    is_int(err->retryable, 1, "InternalError is retryable");

    {
        static const struct {
            const char *code;
            int retryable;
        } codes[] = {{"SlowDown", 1},     {"ServiceUnavailable", 1}, {"InvalidPart", 0},
                     {"NoSuchUpload", 0}, {"EntityTooSmall", 0},     {"InvalidPartOrder", 0}};
        unsigned i;
        for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
            const char *body = apr_psprintf(pool, "<Error><Code>%s</Code></Error>", codes[i].code);
            err = NULL;
            is_rv(s3up_xml_parse_complete(&done, &err, body, strlen(body), pool), S3UP_ES3,
                  "complete: 200 with %s", codes[i].code);
            is_int(err ? err->retryable : -1, codes[i].retryable, "%s retryable?", codes[i].code);
        }
    }
    is_rv(s3up_xml_parse_complete(&done, NULL, e.data, e.len, pool), S3UP_ES3,
          "complete: err may be NULL");
    err = NULL;
    is_rv(s3up_xml_parse_complete(&done, &err, LIT("<Error><Message>m</Message></Error>"), pool),
          S3UP_EPARSE, "complete: <Error> without Code is unreadable");
    ok(err == NULL, "... and err is not set");
}

static void test_error(void)
{
    sample_t s = load("error_no_such_upload.xml"), c = load("error_ceph_ns.xml");
    s3up_error_t err = {S3UP_ES3, 404, NULL, NULL, NULL, 0, 0};

    is_rv(s3up_xml_parse_error(&err, s.data, s.len, pool), APR_SUCCESS, "error parses");
    is_str(err.code, "NoSuchUpload", "error: Code");
    is_str(err.message,
           "The specified upload does not exist. The upload ID may be invalid, or the upload "
           "may have been aborted or completed.",
           "error: Message");
    is_str(err.request_id, "4442587FB7D0A2F9", "error: RequestId");
    ok(err.status == S3UP_ES3 && err.http_status == 404 && err.retryable == 0,
       "error: status, http_status, retryable left alone");

    is_rv(s3up_xml_parse_error(&err, c.data, c.len, pool), APR_SUCCESS,
          "Ceph error in the S3 namespace parses");
    is_str(err.code, "NoSuchKey", "Ceph error: Code");
    is_str(err.message, NULL, "Ceph error: no Message");
    is_str(err.request_id, "tx00000a1b2c3d4e5f60718-00674a1b2c-1234-default",
           "Ceph error: RequestId");

    err.code = "kept";
    is_rv(s3up_xml_parse_error(&err, LIT("<Error><Code></Code></Error>"), pool), S3UP_EPARSE,
          "error with empty Code refused");
    is_str(err.code, "kept", "refused error leaves err alone");
    is_rv(s3up_xml_parse_error(&err, LIT("<Err><Code>X</Code></Err>"), pool), S3UP_EPARSE,
          "<Err> is not <Error>");
}

static void test_time(void)
{
    static const struct {
        const char *in;
        apr_time_t want;
    } good[] = {
        {"2026-11-29T11:01:33.000Z", 1795950093 * APR_USEC_PER_SEC},
        {"2026-11-29T11:01:33Z", 1795950093 * APR_USEC_PER_SEC},
        {"2026-11-29T11:01:33.7Z", 1795950093 * APR_USEC_PER_SEC + 700000},
        {"2026-11-29T11:01:33.123456789Z", 1795950093 * APR_USEC_PER_SEC + 123456},
        {"1970-01-01T00:00:00Z", 0},
        {"2024-02-29T12:00:00.000Z", 1709208000 * APR_USEC_PER_SEC},
        {"9999-12-31T23:59:59Z", 253402300799 * APR_USEC_PER_SEC},
    };
    static const char *const bad[] = {
        "",
        "2026-11-29",
        "2026-11-29T11:01:33",
        "2026-11-29T11:01:33.Z",
        "2026-11-29T11:01:33.000",
        "2026-11-29T11:01:33.000+00:00",
        "2026-11-29T11:01:33.000ZZ",
        "2026-11-29 11:01:33Z",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "2026-11-29T24:00:00Z",
        "2026-11-29T11:60:00Z",
        "2026-11-29T11:01:60Z",
        "2026-1-29T11:01:33Z",
        "+026-11-29T11:01:33Z",
        "Sun, 29 Nov 2026 11:01:33 GMT",
    };
    unsigned i;
    apr_time_t t;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        t = -1;
        is_rv(s3up_time_parse(&t, good[i].in), APR_SUCCESS, "time '%s' parses", good[i].in);
        is_int(t, good[i].want, "time '%s' value", good[i].in);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_rv(s3up_time_parse(&t, bad[i]), S3UP_EPARSE, "time '%s' refused", bad[i]);
    }
    is_rv(s3up_time_parse(&t, NULL), S3UP_EPARSE, "time NULL refused");
}

/* Values S3 would never send: each makes the whole answer unreadable. */
#define PARTS(x) "<ListPartsResult>" x "</ListPartsResult>"
#define PART(x) PARTS("<Part>" x "</Part>")
#define OBJECT(x) "<ListBucketResult><Contents>" x "</Contents></ListBucketResult>"
#define UPLOAD(x) "<ListMultipartUploadsResult><Upload>" x "</Upload></ListMultipartUploadsResult>"

static void test_bad_values(void)
{
    static const struct {
        const char *what, *body;
        parse_fn *fn;
    } cases[] = {
        {"non-numeric Size", PART("<PartNumber>1</PartNumber><ETag>a</ETag><Size>12k</Size>"),
         p_list_parts},
        {"negative Size", OBJECT("<Key>k</Key><Size>-1</Size>"), p_list_objects},
        {"empty Size", OBJECT("<Key>k</Key><Size></Size>"), p_list_objects},
        {"Size past 64 bits", OBJECT("<Key>k</Key><Size>9223372036854775808</Size>"),
         p_list_objects},
        {"Size as hex", OBJECT("<Key>k</Key><Size>0x10</Size>"), p_list_objects},
        {"Size with a fraction", OBJECT("<Key>k</Key><Size>1.5</Size>"), p_list_objects},
        {"missing Size", OBJECT("<Key>k</Key>"), p_list_objects},
        {"missing Key", OBJECT("<Size>1</Size>"), p_list_objects},
        {"PartNumber 0", PART("<PartNumber>0</PartNumber><ETag>a</ETag><Size>1</Size>"),
         p_list_parts},
        {"PartNumber 10001", PART("<PartNumber>10001</PartNumber><ETag>a</ETag><Size>1</Size>"),
         p_list_parts},
        {"PartNumber 2^32+1",
         PART("<PartNumber>4294967297</PartNumber><ETag>a</ETag><Size>1</Size>"), p_list_parts},
        {"Part without Size", PART("<PartNumber>1</PartNumber><ETag>a</ETag>"), p_list_parts},
        {"Part without ETag", PART("<PartNumber>1</PartNumber><Size>1</Size>"), p_list_parts},
        {"Part without PartNumber", PART("<ETag>a</ETag><Size>1</Size>"), p_list_parts},
        {"bad NextPartNumberMarker", PARTS("<NextPartNumberMarker>x</NextPartNumberMarker>"),
         p_list_parts},
        {"IsTruncated maybe", PARTS("<IsTruncated>maybe</IsTruncated>"), p_list_parts},
        {"IsTruncated TRUE", "<ListBucketResult><IsTruncated>TRUE</IsTruncated></ListBucketResult>",
         p_list_objects},
        {"bad LastModified",
         OBJECT("<Key>k</Key><Size>1</Size><LastModified>yesterday</LastModified>"),
         p_list_objects},
        {"bad Initiated",
         UPLOAD("<Key>k</Key><UploadId>u</UploadId><Initiated>2026-02-30T00:00:00Z</Initiated>"),
         p_list_uploads},
        {"Upload without UploadId", UPLOAD("<Key>k</Key>"), p_list_uploads},
        {"Initiate without UploadId",
         "<InitiateMultipartUploadResult><Key>k</Key></InitiateMultipartUploadResult>", p_initiate},
    };
    unsigned i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_rv(cases[i].fn(cases[i].body, strlen(cases[i].body), pool), S3UP_EPARSE, "%s refused",
              cases[i].what);
    }

    {
        const char *body = "<ListPartsResult><IsTruncated>\n  true\n</IsTruncated>"
                           "<Part><PartNumber> 7 </PartNumber><ETag>\"a\"</ETag>"
                           "<Size>\t9223372036854775807</Size></Part></ListPartsResult>";
        s3up_part_page_t *page = NULL;
        is_rv(s3up_xml_parse_list_parts(&page, body, strlen(body), pool), APR_SUCCESS,
              "white space around numbers and booleans is tolerated");
        ok(page && page->truncated && page->parts->nelts == 1 &&
               APR_ARRAY_IDX(page->parts, 0, s3up_part_t).number == 7 &&
               APR_ARRAY_IDX(page->parts, 0, s3up_part_t).size == APR_INT64_MAX,
           "... values read: truncated, part 7, largest 64-bit Size");
    }
    {
        const char *body = "<x:ListBucketResult xmlns:x=\"urn:other\"><x:Contents><x:Key> "
                           "k </x:Key><x:Size>1</x:Size></x:Contents><Other><Contents/></Other>"
                           "</x:ListBucketResult>";
        s3up_object_page_t *page = NULL;
        is_rv(s3up_xml_parse_list_objects(&page, body, strlen(body), pool), APR_SUCCESS,
              "prefixed elements are matched by local name");
        is_str(page && page->objects->nelts == 1
                   ? APR_ARRAY_IDX(page->objects, 0, s3up_object_t).key
                   : NULL,
               " k ", "... Key keeps its spaces; nested unknown elements skipped");
    }
}

/* The last debug line of the core, to see why an input was refused. */
static char last_log[1024];

static void capture_log(void *baton, int level, apr_status_t rv, const char *msg)
{
    (void)baton;
    (void)level;
    (void)rv;
    apr_cpystrn(last_log, msg, sizeof(last_log));
}

/* DOCTYPEs are refused outright: no entity is declared, expanded or fetched. */
static void test_hostile(void)
{
    static const char *const files[] = {"hostile_xxe_passwd.xml", "hostile_xxe_parameter.xml",
                                        "hostile_external_dtd.xml", "hostile_billion_laughs.xml",
                                        "hostile_internal_entity.xml"};
    static const char *const inline_docs[] = {
        "<!DOCTYPE Error><Error><Code>X</Code></Error>",
        "<?xml version=\"1.0\"?><!DOCTYPE Error [<!ELEMENT Error ANY>]><Error><Code>X</Code>"
        "</Error>",
        "<Error><Code>&xxe;</Code></Error>",
        "<Error><Code>&#0;</Code></Error>",
        "<?xml version=\"1.0\"?><?xml-stylesheet href=\"http://127.0.0.1:9/x.xsl\"?><Error>"
        "<Code>&undefined;</Code></Error>",
    };
    unsigned i;

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        sample_t s = load(files[i]);
        apr_time_t start = apr_time_now();
        all_refuse(files[i], s.data, s.len, S3UP_EPARSE);
        ok(apr_time_now() - start < apr_time_from_sec(1), "%s: refused quickly", files[i]);
        last_log[0] = '\0';
        s3up_log_set(capture_log, NULL, S3UP_LOG_DEBUG);
        p_error(s.data, s.len, pool);
        s3up_log_set(NULL, NULL, 0);
        is_str(last_log, "xml: refused a DOCTYPE (no DTDs, no entities)",
               "%s: refused for its DOCTYPE, before any declaration", files[i]);
    }
    for (i = 0; i < sizeof(inline_docs) / sizeof(inline_docs[0]); i++) {
        all_refuse(inline_docs[i], inline_docs[i], strlen(inline_docs[i]), S3UP_EPARSE);
    }
    s3up_log_set(capture_log, NULL, S3UP_LOG_DEBUG);
    p_error(LIT("<Error><Code>&xxe;</Code></Error>"), pool);
    s3up_log_set(NULL, NULL, 0);
    is_str(last_log, "xml: unreadable answer: Entity 'xxe' not defined (line 1)",
           "an undeclared entity: libxml2's reason is logged at debug level");

    {
        sample_t s = load("hostile_xxe_passwd.xml");
        s3up_error_t err = {0, 0, "sentinel", "sentinel", "sentinel", 0, 0};
        s3up_error_t *cerr = NULL;
        s3up_complete_t *done = NULL;

        is_rv(s3up_xml_parse_error(&err, s.data, s.len, pool), S3UP_EPARSE,
              "XXE to /etc/passwd: parse_error refuses");
        ok(!strcmp(err.code, "sentinel") && !strcmp(err.message, "sentinel"),
           "XXE: nothing of the file reaches err");
        s = load("hostile_internal_entity.xml");
        is_rv(s3up_xml_parse_complete(&done, &cerr, s.data, s.len, pool), S3UP_EPARSE,
              "internal entity in a Complete result refused");
        ok(!done && !cerr, "... no result, no error filled");
    }
}

/* Cut every valid sample at every byte before its last '>': each prefix is
 * S3UP_EPARSE, never a crash and never a half result. */
static void test_truncated(void)
{
    static const struct {
        const char *file;
        parse_fn *fn;
    } samples[] = {
        {"initiate.xml", p_initiate},
        {"list_parts_page1.xml", p_list_parts},
        {"list_parts_page2.xml", p_list_parts},
        {"list_uploads.xml", p_list_uploads},
        {"list_uploads_empty.xml", p_list_uploads},
        {"list_objects.xml", p_list_objects},
        {"list_objects_last.xml", p_list_objects},
        {"complete.xml", p_complete},
        {"complete_ceph_empty_etag.xml", p_complete},
        {"complete_200_error.xml", p_complete},
        {"error_no_such_upload.xml", p_error},
        {"error_ceph_ns.xml", p_error},
    };
    unsigned i;
    apr_pool_t *p;

    apr_pool_create(&p, pool);
    for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        sample_t s = load(samples[i].file);
        apr_size_t end = s.len, cut, bad_cut = 0;
        apr_status_t rv, bad_rv = APR_SUCCESS;
        int fails = 0;

        while (end > 0 && s.data[end - 1] != '>') {
            end--;
        }
        for (cut = 0; cut < end; cut++) {
            /* A copy of exactly cut bytes, so a read past it is valgrind's to see. */
            char *copy = malloc(cut ? cut : 1);
            memcpy(copy, s.data, cut);
            rv = samples[i].fn(copy, cut, p);
            free(copy);
            apr_pool_clear(p);
            if (rv != S3UP_EPARSE && !fails++) {
                bad_cut = cut;
                bad_rv = rv;
            }
        }
        if (!ok(!fails, "%s cut at each of %lu offsets: S3UP_EPARSE every time", samples[i].file,
                (unsigned long)end)) {
            diag("%d cuts answered otherwise; first at %lu: %d (%s)", fails, (unsigned long)bad_cut,
                 bad_rv, rvs(bad_rv));
        }
        rv = samples[i].fn(s.data, s.len, p);
        ok(rv == APR_SUCCESS || rv == S3UP_ES3, "%s whole: accepted (%s)", samples[i].file,
           rvs(rv));
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
}

static void test_not_xml(void)
{
    static const char binary[] = {'<', 'E', 0, 'r', '>', (char)0xff, (char)0xfe, 0, 0};
    sample_t parts = load("list_parts_page1.xml"), error = load("error_no_such_upload.xml");

    all_refuse("empty input", LIT(""), S3UP_EPARSE);
    all_refuse("NULL input", NULL, 0, S3UP_EPARSE);
    all_refuse("white space only", LIT(" \r\n\t "), S3UP_EPARSE);
    all_refuse("plain text", LIT("Internal Server Error"), S3UP_EPARSE);
    all_refuse("JSON", LIT("{\"error\":\"InternalError\"}"), S3UP_EPARSE);
    all_refuse("HTML", LIT("<html><body><h1>502 Bad Gateway</h1></body></html>"), S3UP_EPARSE);
    all_refuse("binary with NULs", binary, sizeof(binary), S3UP_EPARSE);
    all_refuse("two roots", LIT("<Error><Code>A</Code></Error><Error><Code>B</Code></Error>"),
               S3UP_EPARSE);
    all_refuse("mismatched tags", LIT("<ListPartsResult><Part></ListPartsResult></Part>"),
               S3UP_EPARSE);
    all_refuse("bad UTF-8", LIT("<Error><Code>\xc3\x28</Code></Error>"), S3UP_EPARSE);
    all_refuse("UTF-16 declared on 8-bit text",
               LIT("<?xml version=\"1.0\" encoding=\"UTF-16\"?><Error><Code>A</Code></Error>"),
               S3UP_EPARSE);
    all_refuse("unknown encoding",
               LIT("<?xml version=\"1.0\" encoding=\"x-nope\"?><Error><Code>A</Code></Error>"),
               S3UP_EPARSE);
    /* libxml2 reports these through no parser context: they must not reach stderr either.
     * (iconv converts both without loading a module, which valgrind would flag in ld.so.) */
    all_refuse("bytes invalid in the declared ANSI_X3.4-1968",
               LIT("<?xml version=\"1.0\" encoding=\"ANSI_X3.4-1968\"?><Error><Code>\xff\xfe"
                   "</Code></Error>"),
               S3UP_EPARSE);
    all_refuse("bytes invalid in the declared UCS-4",
               LIT("<?xml version=\"1.0\" encoding=\"UCS-4\"?><Error><Code>\xff\xfe\x80</Code>"
                   "</Error>"),
               S3UP_EPARSE);

    is_rv(p_list_objects(parts.data, parts.len, pool), S3UP_EPARSE,
          "wrong root: ListPartsResult given to parse_list_objects");
    is_rv(p_list_parts(error.data, error.len, pool), S3UP_EPARSE,
          "wrong root: Error given to parse_list_parts");
    is_rv(p_error(parts.data, parts.len, pool), S3UP_EPARSE,
          "wrong root: ListPartsResult given to parse_error");
    is_rv(p_complete(parts.data, parts.len, pool), S3UP_EPARSE,
          "wrong root: ListPartsResult given to parse_complete");
    is_rv(p_initiate(LIT("<Error><Code>A</Code></Error>"), pool), S3UP_EPARSE,
          "wrong root: Error given to parse_initiate");
}

static void other_handler(void *ctx, xmlErrorPtr error)
{
    (void)error;
    ++*(int *)ctx;
}

/* The caller's own libxml2 error handler (another module in the same
 * process) is put back after each parse. */
static void test_handler_restored(void)
{
    int calls = 0;

    xmlSetStructuredErrorFunc(&calls, other_handler);
    p_error(LIT("<?xml version=\"1.0\" encoding=\"UCS-4\"?><Error>\xff\xfe\x80</Error>"), pool);
    ok(xmlStructuredError == other_handler && xmlStructuredErrorContext == &calls,
       "the thread's structured error handler is restored");
    is_int(calls, 0, "... and was not called for our parse");
    xmlSetStructuredErrorFunc(NULL, NULL);
}

static void test_size_limit(void)
{
    const char *head = "<ListPartsResult><!--", *tail = "--></ListPartsResult>";
    apr_size_t hl = strlen(head), tl = strlen(tail);
    char *big = malloc(S3UP_XML_MAX + 1);
    s3up_part_page_t *page = NULL;

    memcpy(big, head, hl);
    memset(big + hl, 'x', S3UP_XML_MAX - hl - tl);
    memcpy(big + S3UP_XML_MAX - tl, tail, tl);
    is_rv(s3up_xml_parse_list_parts(&page, big, S3UP_XML_MAX, pool), APR_SUCCESS,
          "exactly S3UP_XML_MAX bytes parse");
    big[S3UP_XML_MAX] = ' ';
    all_refuse("S3UP_XML_MAX + 1 bytes", big, S3UP_XML_MAX + 1, S3UP_ETOOBIG);
    all_refuse("a huge length", big, (apr_size_t)1 << 40, S3UP_ETOOBIG);
    free(big);
}

static apr_array_header_t *parts_of(int n, const int *numbers, const char *const *etags)
{
    apr_array_header_t *a = apr_array_make(pool, n, sizeof(s3up_part_t));
    int i;
    for (i = 0; i < n; i++) {
        s3up_part_t *pt = apr_array_push(a);
        memset(pt, 0, sizeof(*pt));
        pt->number = numbers[i];
        pt->etag = etags[i];
    }
    return a;
}

#define NS "http://s3.amazonaws.com/doc/2006-03-01/"

static void test_build_complete(void)
{
    static const int numbers[] = {3, 1, 2};
    static const char *const etags[] = {"\"ccc\"", "aaa", "&quot;bbb&quot;"};
    apr_array_header_t *parts = parts_of(3, numbers, etags);
    const char *xml = NULL;
    unsigned i;

    is_rv(s3up_xml_build_complete(&xml, parts, pool), APR_SUCCESS, "build complete");
    is_str(xml,
           "<CompleteMultipartUpload xmlns=\"" NS "\">"
           "<Part><PartNumber>1</PartNumber><ETag>\"aaa\"</ETag></Part>"
           "<Part><PartNumber>2</PartNumber><ETag>\"bbb\"</ETag></Part>"
           "<Part><PartNumber>3</PartNumber><ETag>\"ccc\"</ETag></Part>"
           "</CompleteMultipartUpload>",
           "build complete: sorted, one pair of quotes each");
    ok(APR_ARRAY_IDX(parts, 0, s3up_part_t).number == 3 &&
           APR_ARRAY_IDX(parts, 1, s3up_part_t).number == 1 &&
           !strcmp(APR_ARRAY_IDX(parts, 2, s3up_part_t).etag, "&quot;bbb&quot;"),
       "build complete: the caller's array is untouched");

    {
        static const char *const variants[] = {
            "abc",       "\"abc\"",     "&quot;abc&quot;", "\"\"abc\"\"",
            " \"abc\" ", "&quot;abc\"", "\"abc&quot;",     "&quot;&quot;abc&quot;&quot;",
            "abc\"",     "\"abc",
        };
        for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
            static const int one[] = {1};
            xml = NULL;
            is_rv(s3up_xml_build_complete(&xml, parts_of(1, one, &variants[i]), pool), APR_SUCCESS,
                  "ETag '%s' accepted", variants[i]);
            is_str(xml,
                   "<CompleteMultipartUpload xmlns=\"" NS "\"><Part><PartNumber>1</PartNumber>"
                   "<ETag>\"abc\"</ETag></Part></CompleteMultipartUpload>",
                   "ETag '%s' normalised to \"abc\"", variants[i]);
        }
    }
    {
        static const int one[] = {1};
        static const char *const amp[] = {"a&b<c>d'e-1"};
        is_rv(s3up_xml_build_complete(&xml, parts_of(1, one, amp), pool), APR_SUCCESS,
              "ETag with XML specials accepted");
        is_str(xml,
               "<CompleteMultipartUpload xmlns=\"" NS "\"><Part><PartNumber>1</PartNumber>"
               "<ETag>\"a&amp;b&lt;c&gt;d'e-1\"</ETag></Part></CompleteMultipartUpload>",
               "ETag text escaped by libxml2");
    }
    {
        static const struct {
            const char *what;
            int n;
            int numbers[3];
            const char *etags[3];
        } bad[] = {
            {"duplicate part numbers", 3, {1, 2, 1}, {"a", "b", "c"}},
            {"part number 0", 1, {0}, {"a"}},
            {"part number -1", 2, {-1, 1}, {"a", "b"}},
            {"part number 10001", 2, {1, 10001}, {"a", "b"}},
            {"empty list", 0, {0}, {NULL}},
            {"NULL ETag", 1, {1}, {NULL}},
            {"empty ETag", 1, {1}, {""}},
            {"only quotes", 1, {1}, {"\"\""}},
            {"only &quot;s", 1, {1}, {"&quot;&quot;"}},
            {"quote inside", 1, {1}, {"a\"b"}},
            {"space inside", 1, {1}, {"a b"}},
            {"newline inside", 1, {1}, {"ab\n</ETag><Part>"}},
            {"non-ASCII", 1, {1}, {"\xc3\xa9t\xc3\xa9"}},
        };
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            xml = "untouched";
            is_rv(s3up_xml_build_complete(&xml, parts_of(bad[i].n, bad[i].numbers, bad[i].etags),
                                          pool),
                  APR_EINVAL, "build complete: %s refused", bad[i].what);
            is_str(xml, "untouched", "build complete: %s leaves *xml alone", bad[i].what);
        }
        is_rv(s3up_xml_build_complete(&xml, NULL, pool), APR_EINVAL,
              "build complete: NULL array refused");
    }
    {
        apr_array_header_t *many = apr_array_make(pool, S3UP_PARTS_MAX, sizeof(s3up_part_t));
        xmlDoc *doc;
        xmlNode *n;
        int count = 0, prev = 0, ordered = 1;

        for (i = 0; i < S3UP_PARTS_MAX; i++) {
            s3up_part_t *pt = apr_array_push(many);
            memset(pt, 0, sizeof(*pt));
            pt->number = S3UP_PARTS_MAX - (int)i;
            pt->etag = apr_psprintf(pool, "\"%032x\"", i);
        }
        is_rv(s3up_xml_build_complete(&xml, many, pool), APR_SUCCESS,
              "build complete: 10000 parts in reverse");
        doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
        for (n = doc ? xmlDocGetRootElement(doc)->children : NULL; n; n = n->next) {
            int num = atoi((const char *)n->children->children->content);
            ordered &= num == prev + 1;
            prev = num;
            count++;
        }
        xmlFreeDoc(doc);
        ok(count == S3UP_PARTS_MAX && ordered, "... libxml2 reads back 10000 parts in order");
        APR_ARRAY_PUSH(many, s3up_part_t) = APR_ARRAY_IDX(many, 0, s3up_part_t);
        is_rv(s3up_xml_build_complete(&xml, many, pool), APR_EINVAL,
              "build complete: 10001 parts refused");
    }
}

/* Run f with stderr sent to a temporary file; say whether anything came. */
static void quiet_stderr(const char *what, void (*f)(void))
{
    FILE *tmp = tmpfile();
    int saved = dup(2);
    struct stat st;
    long size;

    fflush(stderr);
    dup2(fileno(tmp), 2);
    f();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fstat(fileno(tmp), &st);
    size = (long)st.st_size;
    if (!ok(size == 0, "%s: nothing written to stderr", what)) {
        char buf[512];
        size_t n;
        rewind(tmp);
        n = fread(buf, 1, sizeof(buf) - 1, tmp);
        buf[n] = '\0';
        diag("stderr had %ld bytes, starting: %s", size, buf);
    }
    fclose(tmp);
}

int main(void)
{
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    s3up_xml_init();

    test_initiate();
    test_list_parts();
    test_list_uploads();
    test_list_objects();
    test_complete();
    test_error();
    test_time();
    test_bad_values();
    quiet_stderr("hostile documents", test_hostile);
    quiet_stderr("truncated documents", test_truncated);
    quiet_stderr("not XML", test_not_xml);
    test_handler_restored();
    test_size_limit();
    test_build_complete();

    apr_pool_destroy(pool);
    xmlCleanupParser();
    return done_testing();
}
