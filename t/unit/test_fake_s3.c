/*
 * The in-memory S3 of fake_s3.h, driven only through the real client
 * (s3up_s3_*): if these pass, a service test built on the fake talks to
 * something that answers as Ceph RGW does.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_s3.h"
#include "s3up_xml.h"
#include "fake_s3.h"
#include "tap.h"

#define MIB (1024 * 1024)

static s3up_s3_loc_t loc;
static s3up_creds_t creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, 0};
static s3up_http_t http;
static int sleeps;
static apr_time_t test_clock;

static apr_time_t test_now(void)
{
    return test_clock;
}

static void record_sleep(apr_interval_time_t t)
{
    (void)t;
    sleeps++;
}

/* A client whose every request goes to f. */
static s3up_s3_t client(fake_s3_t *f, apr_pool_t *p)
{
    s3up_s3_t s3;
    s3up_sigv4_t *signer;

    fake_s3_attach(f, &http);
    s3up_sigv4_create(&signer, p);
    s3up_s3_init(&s3, &loc, &creds, signer, &http);
    s3.aws.now = fake_s3_fixed_now;
    s3.aws.sleep = record_sleep;
    s3.aws.random = fake_bed_no_jitter;
    return s3;
}

/* A streamed request body over a string, which may claim more than it has. */
typedef struct stream_t {
    const char *data;
    apr_size_t len, off;
} stream_t;

static apr_status_t stream_read(void *baton, char *buf, apr_size_t len, apr_size_t *nread,
                                int rewind)
{
    stream_t *s = baton;

    if (rewind) {
        s->off = 0;
        return APR_SUCCESS;
    }
    *nread = s->len - s->off < len ? s->len - s->off : len;
    memcpy(buf, s->data + s->off, *nread);
    s->off += *nread;
    return APR_SUCCESS;
}

static const char *code_of(const s3up_error_t *err)
{
    return err ? err->code : NULL;
}

static void test_objects(apr_pool_t *p)
{
    fake_s3_t *f = fake_s3_create(p);
    s3up_s3_t s3 = client(f, p);
    s3up_error_t *err = NULL;
    s3up_body_t *body = NULL;
    s3up_object_t *obj = NULL;
    apr_table_t *meta = apr_table_make(p, 2);
    const char *etag = NULL, *etag2 = NULL;
    apr_status_t rv;

    fake_s3_put_object(f, "bkt", "seeded", "x", 1, NULL);
    rv = s3up_s3_head(&obj, &s3, "seeded", &err, p);
    ok(rv == APR_SUCCESS && obj->last_modified == fake_s3_fixed_now(),
       "the clock is fixed until a test sets it");

    test_clock = apr_time_from_sec(1767225600); /* 2026-01-01T00:00:00Z */
    fake_s3_set_clock(f, test_now);
    rv = s3up_s3_put(&etag, &s3, "dir/a b+c%.txt", "hello", 5, "text/plain", NULL, &err, p);
    is_int(rv, APR_SUCCESS, "PutObject succeeds");
    ok(etag && strlen(etag) == 34 && etag[0] == '"' && etag[33] == '"', "ETag is quoted hex (%s)",
       etag ? etag : "none");
    ok(fake_s3_has(f, "bkt", "dir/a b+c%.txt"), "stored under the decoded key");
    is_str(fake_s3_data(f, "bkt", "dir/a b+c%.txt"), "hello", "stored bytes");

    rv = s3up_s3_get(&body, &s3, "dir/a b+c%.txt", 1024, &err, p);
    is_int(rv, APR_SUCCESS, "GetObject succeeds");
    ok(body && body->len == 5 && !memcmp(body->data, "hello", 5), "GET gives the body back");
    is_str(body->object->etag, etag, "GET: same ETag");
    is_str(body->object->content_type, "text/plain", "GET: content type kept");
    is_int(body->object->size, 5, "GET: Content-Length");
    ok(body->object->last_modified == test_clock, "GET: Last-Modified from the clock");

    rv = s3up_s3_head(&obj, &s3, "dir/a b+c%.txt", &err, p);
    ok(rv == APR_SUCCESS && obj->size == 5 && !strcmp(obj->etag, etag) &&
           !strcmp(obj->content_type, "text/plain") && obj->last_modified == test_clock,
       "HEAD: size, ETag, type, time");

    rv = s3up_s3_put(&etag2, &s3, "dir/a b+c%.txt", "hello", 5, NULL, NULL, &err, p);
    ok(rv == APR_SUCCESS && etag2 && strcmp(etag, etag2), "a new write gets a new ETag");
    rv = s3up_s3_head(&obj, &s3, "dir/a b+c%.txt", &err, p);
    is_str(rv == APR_SUCCESS ? obj->content_type : NULL, "binary/octet-stream",
           "no content type sent: S3's default");

    rv = s3up_s3_put(NULL, &s3, "bin", "a\0b", 3, NULL, NULL, &err, p);
    if (rv == APR_SUCCESS) {
        rv = s3up_s3_get(&body, &s3, "bin", 1024, &err, p);
    }
    ok(rv == APR_SUCCESS && body->len == 3 && !memcmp(body->data, "a\0b", 3),
       "binary body kept whole");
    rv = s3up_s3_get(&body, &s3, "dir/a b+c%.txt", 4, &err, p);
    is_int(rv, S3UP_ETOOBIG, "GET over max_len is too big");

    apr_table_set(meta, "Owner", "alice");
    fake_s3_put_object(f, "bkt", "seeded", "{}", 2, meta);
    rv = s3up_s3_get(&body, &s3, "seeded", 1024, &err, p);
    ok(rv == APR_SUCCESS && body->len == 2, "a seeded object is served");
    is_str(apr_table_get(body->object->meta, "owner"), "alice", "seeded metadata as x-amz-meta-");
    ok(!fake_s3_has(f, "other", "seeded"), "buckets are apart");

    rv = s3up_s3_delete(&s3, "dir/a b+c%.txt", &err, p);
    ok(rv == APR_SUCCESS && !fake_s3_has(f, "bkt", "dir/a b+c%.txt"), "DeleteObject removes");
    rv = s3up_s3_delete(&s3, "dir/a b+c%.txt", &err, p);
    is_int(rv, APR_SUCCESS, "DeleteObject of a missing key succeeds (204)");
    rv = s3up_s3_head(&obj, &s3, "dir/a b+c%.txt", &err, p);
    ok(rv == S3UP_ENOTFOUND && err->http_status == 404, "HEAD of a missing key: 404");
    is_str(code_of(err), "NoSuchKey", "HEAD 404 has no body; the client names it");
    rv = s3up_s3_get(&body, &s3, "dir/a b+c%.txt", 1024, &err, p);
    is_int(rv, S3UP_ENOTFOUND, "GET of a missing key: not found");
    is_str(code_of(err), "NoSuchKey", "GET 404 carries NoSuchKey");
    ok(err->request_id && !strncmp(err->request_id, "tx", 2), "error has a request id (%s)",
       err->request_id ? err->request_id : "none");
    is_int(fake_s3_data(f, "bkt", "dir/a b+c%.txt") == NULL, 1, "no data once deleted");
}

static void test_conditional_puts(apr_pool_t *p)
{
    fake_s3_t *f = fake_s3_create(p);
    s3up_s3_t s3 = client(f, p);
    s3up_error_t *err = NULL;
    s3up_put_cond_t create_only = {1, NULL}, match = {0, NULL};
    const char *v1 = NULL, *v2 = NULL, *v3 = NULL;
    apr_status_t rv;

    rv = s3up_s3_put(&v1, &s3, "doc", "v1", 2, NULL, &create_only, &err, p);
    is_int(rv, APR_SUCCESS, "create-only on a new key succeeds");
    rv = s3up_s3_put(NULL, &s3, "doc", "v2", 2, NULL, &create_only, &err, p);
    is_int(rv, S3UP_ECONFLICT, "create-only twice: the second conflicts");
    ok(err->http_status == 412 && !strcmp(err->code, "PreconditionFailed"),
       "as 412 PreconditionFailed (%d %s)", err->http_status, err->code);
    is_str(fake_s3_data(f, "bkt", "doc"), "v1", "the first write stays");

    match.if_match = v1;
    rv = s3up_s3_put(&v2, &s3, "doc", "v2", 2, NULL, &match, &err, p);
    is_int(rv, APR_SUCCESS, "If-Match with the current ETag replaces");
    is_str(fake_s3_data(f, "bkt", "doc"), "v2", "replaced");
    rv = s3up_s3_put(NULL, &s3, "doc", "v3", 2, NULL, &match, &err, p);
    is_int(rv, S3UP_ECONFLICT, "If-Match with a stale ETag conflicts");

    /* The client takes one pair of quotes off: a doubly quoted ETag goes out
     * quoted, which RGW never matches. */
    match.if_match = apr_pstrcat(p, "\"", v2, "\"", NULL);
    rv = s3up_s3_put(NULL, &s3, "doc", "v3", 2, NULL, &match, &err, p);
    is_int(rv, S3UP_ECONFLICT, "a quoted If-Match fails even when equal (RGW)");
    match.if_match = apr_pstrndup(p, v2 + 1, strlen(v2) - 2);
    rv = s3up_s3_put(&v3, &s3, "doc", "v3", 2, NULL, &match, &err, p);
    is_int(rv, APR_SUCCESS, "a bare If-Match is taken as is");
    is_str(fake_s3_data(f, "bkt", "doc"), "v3", "replaced again");
    rv = s3up_s3_put(NULL, &s3, "absent", "x", 1, NULL, &match, &err, p);
    is_int(rv, S3UP_ECONFLICT, "If-Match on a missing key conflicts");
    ok(!fake_s3_has(f, "bkt", "absent"), "and writes nothing");

    fake_s3_reset_counts(f);
    fake_s3_lose_answer_next(f, "PutObject");
    rv = s3up_s3_put(NULL, &s3, "lost", "x", 1, NULL, &create_only, &err, p);
    ok(rv == S3UP_ETRANSPORT && fake_s3_calls(f, "PutObject") == 1,
       "create-only with a lost answer is not repeated (calls=%d)", fake_s3_calls(f, "PutObject"));
    ok(fake_s3_has(f, "bkt", "lost"), "though the write was carried out");
    rv = s3up_s3_put(NULL, &s3, "lost", "x", 1, NULL, &create_only, &err, p);
    is_int(rv, S3UP_ECONFLICT, "which is why repeating it would conflict");

    fake_s3_reset_counts(f);
    fake_s3_drop_next(f, "PutObject");
    rv = s3up_s3_put(NULL, &s3, "dropped", "x", 1, NULL, &create_only, &err, p);
    ok(rv == S3UP_ETRANSPORT && !fake_s3_has(f, "bkt", "dropped"),
       "a dropped request writes nothing");
    fake_s3_lose_answer_next(f, "PutObject");
    rv = s3up_s3_put(NULL, &s3, "plain", "x", 1, NULL, NULL, &err, p);
    ok(rv == APR_SUCCESS && fake_s3_calls(f, "PutObject") == 3,
       "an unconditional put is repeated after a lost answer (calls=%d)",
       fake_s3_calls(f, "PutObject"));
}

static void test_list_objects(apr_pool_t *p)
{
    fake_s3_t *f = fake_s3_create(p);
    s3up_s3_t s3 = client(f, p);
    s3up_error_t *err = NULL;
    s3up_object_page_t *page = NULL;
    const char *token = NULL, *prev = "";
    const char *sizes = "", *seen = "";
    int pages = 0, total = 0, sorted = 1;
    apr_status_t rv;

    for (int i = 2499; i >= 0; i--) {
        char key[32];
        apr_snprintf(key, sizeof(key), "many/%04d", i);
        fake_s3_put_object(f, "bkt", key, "12345", 5, NULL);
    }
    fake_s3_put_object(f, "bkt", "other/x", "", 0, NULL);
    do {
        rv = s3up_s3_list_objects(&page, &s3, "many/", NULL, token, 1000, &err, p);
        if (rv != APR_SUCCESS) {
            break;
        }
        pages++;
        sizes = apr_psprintf(p, "%s%d,", sizes, page->objects->nelts);
        for (int i = 0; i < page->objects->nelts; i++) {
            const char *key = APR_ARRAY_IDX(page->objects, i, s3up_object_t).key;
            sorted = sorted && strcmp(prev, key) < 0;
            prev = key;
        }
        total += page->objects->nelts;
        token = page->next_token;
    } while (page->truncated && pages < 10);
    is_int(rv, APR_SUCCESS, "ListObjectsV2 pages succeed");
    is_int(pages, 3, "2,500 keys at max-keys 1000: three pages");
    is_str(sizes, "1000,1000,500,", "page sizes");
    is_int(total, 2500, "every key once");
    ok(sorted, "keys in order, none repeated");
    is_int(fake_s3_calls(f, "ListObjectsV2"), 3, "three ListObjectsV2 calls");

    rv = s3up_s3_list_objects(&page, &s3, NULL, NULL, NULL, 0, &err, p);
    ok(rv == APR_SUCCESS && page->objects->nelts == 1000 && page->truncated && page->next_token,
       "max-keys defaults to 1000");
    rv = s3up_s3_list_objects(&page, &s3, "many/0001", NULL, NULL, 0, &err, p);
    if (ok(rv == APR_SUCCESS && page->objects->nelts == 1, "a prefix selects")) {
        const s3up_object_t *o = &APR_ARRAY_IDX(page->objects, 0, s3up_object_t);
        ok(!strcmp(o->key, "many/0001") && o->size == 5 && o->etag && o->etag[0] == '"' &&
               o->last_modified == fake_s3_fixed_now() && !page->truncated,
           "Contents: Key, Size, quoted ETag, LastModified");
    }

    fake_s3_put_object(f, "bkt", "d/a.txt", "", 0, NULL);
    fake_s3_put_object(f, "bkt", "d/sub1/x", "", 0, NULL);
    fake_s3_put_object(f, "bkt", "d/sub1/y", "", 0, NULL);
    fake_s3_put_object(f, "bkt", "d/sub2/z", "", 0, NULL);
    fake_s3_put_object(f, "bkt", "d/z.txt", "", 0, NULL);
    rv = s3up_s3_list_objects(&page, &s3, "d/", "/", NULL, 0, &err, p);
    ok(rv == APR_SUCCESS && page->objects->nelts == 2 && page->prefixes->nelts == 2 &&
           !page->truncated,
       "a delimiter rolls keys up into CommonPrefixes");
    if (rv == APR_SUCCESS && page->prefixes->nelts == 2) {
        is_str(APR_ARRAY_IDX(page->prefixes, 0, const char *), "d/sub1/", "first prefix");
        is_str(APR_ARRAY_IDX(page->prefixes, 1, const char *), "d/sub2/", "second prefix");
    }
    token = NULL;
    pages = 0;
    do {
        rv = s3up_s3_list_objects(&page, &s3, "d/", "/", token, 1, &err, p);
        for (int i = 0; rv == APR_SUCCESS && i < page->objects->nelts; i++) {
            seen =
                apr_pstrcat(p, seen, APR_ARRAY_IDX(page->objects, i, s3up_object_t).key, ",", NULL);
        }
        for (int i = 0; rv == APR_SUCCESS && i < page->prefixes->nelts; i++) {
            seen = apr_pstrcat(p, seen, APR_ARRAY_IDX(page->prefixes, i, const char *), ",", NULL);
        }
        token = rv == APR_SUCCESS ? page->next_token : NULL;
    } while (rv == APR_SUCCESS && page->truncated && ++pages < 10);
    is_str(seen, "d/a.txt,d/sub1/,d/sub2/,d/z.txt,",
           "paging one entry at a time passes each CommonPrefix once");

    fake_s3_put_object(f, "bkt", "s/a", "", 0, NULL);
    fake_s3_put_object(f, "bkt", "s/\xc3\xa9", "", 0, NULL);
    fake_s3_put_object(f, "bkt", "s/a&b<c>", "", 0, NULL);
    fake_s3_put_object(f, "bkt", "s/B", "", 0, NULL);
    fake_s3_put_object(f, "bkt", "s/_", "", 0, NULL);
    rv = s3up_s3_list_objects(&page, &s3, "s/", NULL, NULL, 0, &err, p);
    seen = "";
    for (int i = 0; rv == APR_SUCCESS && i < page->objects->nelts; i++) {
        seen = apr_pstrcat(p, seen, APR_ARRAY_IDX(page->objects, i, s3up_object_t).key, " ", NULL);
    }
    is_str(seen, "s/B s/_ s/a s/a&b<c> s/\xc3\xa9 ", "bytewise order, XML escaped and read back");
}

static void test_multipart(apr_pool_t *p)
{
    fake_s3_t *f = fake_s3_create(p);
    s3up_s3_t s3 = client(f, p);
    s3up_error_t *err = NULL;
    apr_table_t *meta = apr_table_make(p, 2);
    apr_array_header_t *parts = NULL;
    s3up_complete_t *done = NULL;
    s3up_object_t *obj = NULL;
    stream_t tail = {"tail-bytes", 10, 0};
    const char *id = NULL, *part_etag = NULL;
    apr_status_t rv;

    test_clock = apr_time_from_sec(1767225600);
    fake_s3_set_clock(f, test_now);
    apr_table_set(meta, "origin", "browser");
    rv = s3up_s3_create_multipart(&id, &s3, "big/file.bin", "video/mp4", meta, &err, p);
    is_int(rv, APR_SUCCESS, "CreateMultipartUpload succeeds");
    ok(id && !strncmp(id, "2~", 2), "upload id looks like RGW's (%s)", id ? id : "none");
    is_int(fake_s3_upload_count(f), 1, "one upload open");

    fake_s3_add_part(f, id, 1, 5 * MIB);
    fake_s3_add_part(f, id, 2, 5 * MIB);
    rv = s3up_s3_upload_part(&part_etag, &s3, "big/file.bin", id, 3, stream_read, &tail, 10, &err,
                             p);
    is_int(rv, APR_SUCCESS, "UploadPart with a streamed body");
    ok(part_etag && part_etag[0] == '"', "UploadPart answers an ETag");
    is_int(tail.off, 10, "the whole stream was read");

    rv = s3up_s3_list_parts(&parts, &s3, "big/file.bin", id, &err, p);
    if (ok(rv == APR_SUCCESS && parts->nelts == 3, "ListParts: three parts")) {
        const s3up_part_t *pt = (const s3up_part_t *)parts->elts;
        ok(pt[0].number == 1 && pt[0].size == 5 * MIB && pt[1].number == 2 && pt[2].number == 3 &&
               pt[2].size == 10,
           "numbers and sizes");
        is_str(pt[2].etag, part_etag, "the streamed part's ETag");
        ok(pt[0].last_modified == test_clock, "LastModified from the clock");
    }

    rv = s3up_s3_complete(&done, &s3, "big/file.bin", id, parts, &err, p);
    is_int(rv, APR_SUCCESS, "CompleteMultipartUpload succeeds");
    ok(done && !strcmp(done->etag, "") && !strcmp(done->key, "big/file.bin") &&
           !strcmp(done->bucket, "bkt"),
       "the answer has an empty ETag, like Ceph 16");
    rv = s3up_s3_head(&obj, &s3, "big/file.bin", &err, p);
    is_int(rv, APR_SUCCESS, "the object exists");
    is_int(obj->size, 10 * MIB + 10, "its size is the sum of the parts");
    is_str(obj->content_type, "video/mp4", "content type from the upload");
    is_str(apr_table_get(obj->meta, "origin"), "browser", "metadata from the upload");
    ok(obj->etag && strlen(obj->etag) > 4 && !strcmp(obj->etag + strlen(obj->etag) - 3, "-3\""),
       "multipart ETag ends in -3 (%s)", obj->etag ? obj->etag : "none");
    is_int(fake_s3_size(f, "bkt", "big/file.bin"), 10 * MIB + 10, "fake_s3_size agrees");
    is_int(fake_s3_upload_count(f), 0, "the upload is gone");

    rv = s3up_s3_list_parts(&parts, &s3, "big/file.bin", id, &err, p);
    ok(rv == S3UP_ENOTFOUND && !strcmp(err->code, "NoSuchKey"),
       "ListParts of a finished upload: NoSuchKey, as RGW");
    rv = s3up_s3_complete(&done, &s3, "big/file.bin", id, parts, &err, p);
    ok(rv == S3UP_ENOTFOUND && !strcmp(err->code, "NoSuchUpload"),
       "completing again: NoSuchUpload, as RGW 16");
    rv = s3up_s3_abort(&s3, "big/file.bin", id, &err, p);
    ok(rv == S3UP_ENOTFOUND && !strcmp(err->code, "NoSuchUpload"), "abort after complete: 404");
}

static void test_multipart_errors(apr_pool_t *p)
{
    fake_s3_t *f = fake_s3_create(p);
    s3up_s3_t s3 = client(f, p);
    s3up_error_t *err = NULL;
    apr_array_header_t *parts = NULL;
    s3up_complete_t *done = NULL;
    stream_t short_body = {"0123456789", 10, 0};
    const char *id = NULL, *id2 = NULL, *etag = NULL;
    s3up_part_t wanted[2];
    apr_array_header_t *list = apr_array_make(p, 2, sizeof(s3up_part_t));
    apr_status_t rv;

    s3up_s3_create_multipart(&id, &s3, "e/x", NULL, NULL, &err, p);
    fake_s3_add_part(f, id, 1, 100);
    fake_s3_add_part(f, id, 2, 100);
    rv = s3up_s3_list_parts(&parts, &s3, "e/x", id, &err, p);
    is_int(rv, APR_SUCCESS, "two small parts listed");
    wanted[0] = APR_ARRAY_IDX(parts, 0, s3up_part_t);
    wanted[1] = APR_ARRAY_IDX(parts, 1, s3up_part_t);

    APR_ARRAY_PUSH(list, s3up_part_t) = wanted[0];
    APR_ARRAY_PUSH(list, s3up_part_t) = (s3up_part_t){2, "\"0123abcd\"", 0, 0};
    rv = s3up_s3_complete(&done, &s3, "e/x", id, list, &err, p);
    ok(rv == S3UP_ES3 && err->http_status == 400 && !strcmp(err->code, "InvalidPart"),
       "a wrong ETag is an InvalidPart (%s)", code_of(err));
    APR_ARRAY_IDX(list, 1, s3up_part_t) = (s3up_part_t){3, wanted[1].etag, 0, 0};
    rv = s3up_s3_complete(&done, &s3, "e/x", id, list, &err, p);
    ok(rv == S3UP_ES3 && !strcmp(err->code, "InvalidPart"), "a missing part is an InvalidPart");
    rv = s3up_s3_complete(&done, &s3, "e/x", id, parts, &err, p);
    ok(rv == S3UP_ES3 && !strcmp(err->code, "EntityTooSmall"),
       "a part under 5 MiB but the last is EntityTooSmall (%s)", code_of(err));
    rv = s3up_s3_complete(&done, &s3, "e/other", id, parts, &err, p);
    ok(rv == S3UP_ENOTFOUND && !strcmp(err->code, "NoSuchUpload"),
       "an upload id under another key is no upload");

    /* Quotes in the part list are normalised, whichever form comes. */
    APR_ARRAY_IDX(list, 0, s3up_part_t).etag = apr_pstrndup(p, wanted[0].etag + 1, 32);
    APR_ARRAY_IDX(list, 1, s3up_part_t) = wanted[1];
    fake_s3_set_min_part_size(f, 1);
    rv = s3up_s3_complete(&done, &s3, "e/x", id, list, &err, p);
    is_int(rv, APR_SUCCESS, "with a smaller minimum, bare and quoted ETags complete");
    is_int(fake_s3_size(f, "bkt", "e/x"), 200, "size 200");

    rv = s3up_s3_upload_part(&etag, &s3, "e/x", "2~nope", 1, stream_read, &short_body, 10, &err, p);
    ok(rv == S3UP_ENOTFOUND && !strcmp(err->code, "NoSuchUpload"),
       "UploadPart to an unknown upload: NoSuchUpload");
    s3up_s3_create_multipart(&id2, &s3, "e/y", NULL, NULL, &err, p);
    rv = s3up_s3_upload_part(&etag, &s3, "e/y", id2, 1, stream_read, &short_body, 20, &err, p);
    is_int(rv, S3UP_ETRANSPORT, "a stream shorter than its size ends the exchange");

    rv = s3up_s3_abort(&s3, "e/y", id2, &err, p);
    ok(rv == APR_SUCCESS && fake_s3_upload_count(f) == 0, "AbortMultipartUpload removes it");
    rv = s3up_s3_list_parts(&parts, &s3, "e/y", id2, &err, p);
    ok(rv == S3UP_ENOTFOUND && !strcmp(err->code, "NoSuchKey"), "ListParts after abort: NoSuchKey");
    rv = s3up_s3_abort(&s3, "e/y", id2, &err, p);
    ok(rv == S3UP_ENOTFOUND && !strcmp(err->code, "NoSuchUpload"), "abort twice: NoSuchUpload");
    fake_s3_add_part(f, id2, 1, 1);
    is_int(fake_s3_upload_count(f), 0, "a part for a gone upload is not kept");
}

static void test_list_parts_paging(apr_pool_t *p)
{
    fake_s3_t *f = fake_s3_create(p);
    s3up_s3_t s3 = client(f, p);
    s3up_error_t *err = NULL;
    apr_array_header_t *parts = NULL;
    const char *id = NULL;
    int in_order = 1;
    apr_status_t rv;

    s3up_s3_create_multipart(&id, &s3, "huge", NULL, NULL, &err, p);
    for (int n = 2500; n >= 1; n--) {
        fake_s3_add_part(f, id, n, 5 * MIB);
    }
    fake_s3_add_part(f, id, 7, 1);
    fake_s3_reset_counts(f);
    rv = s3up_s3_list_parts(&parts, &s3, "huge", id, &err, p);
    ok(rv == APR_SUCCESS && parts->nelts == 2500, "2,500 parts listed");
    for (int i = 0; rv == APR_SUCCESS && i < parts->nelts; i++) {
        in_order = in_order && APR_ARRAY_IDX(parts, i, s3up_part_t).number == i + 1;
    }
    ok(in_order, "by part number");
    is_int(fake_s3_calls(f, "ListParts"), 3, "in three pages of 1000");
    is_int(rv == APR_SUCCESS ? APR_ARRAY_IDX(parts, 6, s3up_part_t).size : -1, 1,
           "a part sent again replaces the first");
}

static void test_list_uploads(apr_pool_t *p)
{
    static const char *const keys[] = {"u/b", "u/a", "u/a", "u/c", "other"};
    fake_s3_t *f = fake_s3_create(p);
    s3up_s3_t s3 = client(f, p);
    s3up_error_t *err = NULL;
    s3up_upload_page_t *page = NULL;
    const char *ids[5];
    apr_time_t t0 = apr_time_from_sec(1767225600);
    apr_status_t rv;

    fake_s3_set_clock(f, test_now);
    for (int i = 0; i < 5; i++) {
        test_clock = t0 + apr_time_from_sec(i);
        s3up_s3_create_multipart(&ids[i], &s3, keys[i], NULL, NULL, &err, p);
    }
    fake_s3_reset_counts(f);
    rv = s3up_s3_list_uploads(&page, &s3, "u/", NULL, NULL, 2, &err, p);
    if (ok(rv == APR_SUCCESS && page->uploads->nelts == 2 && page->truncated,
           "first page: two uploads, truncated")) {
        const s3up_upload_t *u = (const s3up_upload_t *)page->uploads->elts;
        ok(!strcmp(u[0].key, "u/a") && !strcmp(u[0].upload_id, ids[1]) &&
               !strcmp(u[1].upload_id, ids[2]),
           "sorted by key, then by initiation");
        ok(u[0].initiated == t0 + apr_time_from_sec(1) &&
               u[1].initiated == t0 + apr_time_from_sec(2),
           "Initiated from the clock");
        is_str(page->next_key_marker, "u/a", "NextKeyMarker");
        is_str(page->next_upload_id_marker, ids[2], "NextUploadIdMarker");
        rv = s3up_s3_list_uploads(&page, &s3, "u/", page->next_key_marker,
                                  page->next_upload_id_marker, 2, &err, p);
        ok(rv == APR_SUCCESS && page->uploads->nelts == 2 && !page->truncated &&
               !strcmp(APR_ARRAY_IDX(page->uploads, 0, s3up_upload_t).key, "u/b") &&
               !strcmp(APR_ARRAY_IDX(page->uploads, 1, s3up_upload_t).key, "u/c"),
           "second page from the markers: the rest");
    }
    is_int(fake_s3_calls(f, "ListMultipartUploads"), 2, "two ListMultipartUploads calls");

    rv = s3up_s3_list_uploads(&page, &s3, "u/", "u/a", NULL, 0, &err, p);
    ok(rv == APR_SUCCESS && page->uploads->nelts == 2 &&
           !strcmp(APR_ARRAY_IDX(page->uploads, 0, s3up_upload_t).key, "u/b"),
       "a key-marker alone skips that key's uploads");
    rv = s3up_s3_list_uploads(&page, &s3, NULL, NULL, NULL, 0, &err, p);
    ok(rv == APR_SUCCESS && page->uploads->nelts == 5 && !page->truncated &&
           !strcmp(APR_ARRAY_IDX(page->uploads, 0, s3up_upload_t).key, "other"),
       "no prefix: all five, bytewise by key");
}

static void test_faults(apr_pool_t *p)
{
    fake_s3_t *f = fake_s3_create(p);
    s3up_s3_t s3 = client(f, p);
    s3up_error_t *err = NULL;
    s3up_object_t *obj = NULL;
    s3up_body_t *body = NULL;
    s3up_object_page_t *page = NULL;
    const char *id = NULL;
    apr_status_t rv;

    fake_s3_put_object(f, "bkt", "k", "data", 4, NULL);
    sleeps = 0;
    fake_s3_fail_next(f, "HeadObject", 503, "SlowDown");
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    ok(rv == APR_SUCCESS && fake_s3_calls(f, "HeadObject") == 2 && sleeps == 1,
       "503 SlowDown, then success after one backoff (calls=%d, sleeps=%d)",
       fake_s3_calls(f, "HeadObject"), sleeps);

    fake_s3_fail_next(f, "GetObject", 503, "SlowDown");
    fake_s3_fail_next(f, "GetObject", 500, "InternalError");
    rv = s3up_s3_get(&body, &s3, "k", 1024, &err, p);
    ok(rv == APR_SUCCESS && body->len == 4 && fake_s3_calls(f, "GetObject") == 3,
       "faults queue: two failures, then the body");

    fake_s3_fail_next(f, "GetObject", 403, "AccessDenied");
    rv = s3up_s3_get(&body, &s3, "k", 1024, &err, p);
    ok(rv == S3UP_ES3 && err->http_status == 403 && fake_s3_calls(f, "GetObject") == 4,
       "403 is not retried");
    is_str(code_of(err), "AccessDenied", "the injected code comes back from the XML body");
    ok(err->message && *err->message && err->request_id, "with a message and a request id");

    s3.aws.max_attempts = 2;
    fake_s3_fail_next(f, "HeadObject", 503, "SlowDown");
    fake_s3_fail_next(f, "HeadObject", 503, "SlowDown");
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    ok(rv == S3UP_ES3 && err->http_status == 503 && err->retryable &&
           fake_s3_calls(f, "HeadObject") == 4,
       "max_attempts 2: gives up after two 503s");

    s3.aws.max_attempts = 4;
    fake_s3_drop_next(f, "ListObjectsV2");
    rv = s3up_s3_list_objects(&page, &s3, NULL, NULL, NULL, 0, &err, p);
    ok(rv == APR_SUCCESS && page->objects->nelts == 1 && fake_s3_calls(f, "ListObjectsV2") == 2,
       "a dropped list is repeated");

    fake_s3_fail_next(f, "CreateMultipartUpload", 500, "InternalError");
    rv = s3up_s3_create_multipart(&id, &s3, "m", NULL, NULL, &err, p);
    ok(rv == S3UP_ES3 && fake_s3_calls(f, "CreateMultipartUpload") == 1 &&
           fake_s3_upload_count(f) == 0,
       "CreateMultipartUpload is not repeated after a 500, and the failure made no upload");
    fake_s3_fail_next(f, "CreateMultipartUpload", 503, "SlowDown");
    rv = s3up_s3_create_multipart(&id, &s3, "m", NULL, NULL, &err, p);
    ok(rv == APR_SUCCESS && fake_s3_calls(f, "CreateMultipartUpload") == 3 &&
           fake_s3_upload_count(f) == 1,
       "but it is after a 503 SlowDown (turned away: nothing made), and makes one upload");
    s3up_s3_abort(&s3, "m", id, &err, p);

    s3up_s3_create_multipart(&id, &s3, "m", NULL, NULL, &err, p);
    fake_s3_add_part(f, id, 1, 1);
    {
        apr_array_header_t *parts = NULL;
        s3up_complete_t *done = NULL;
        s3up_s3_list_parts(&parts, &s3, "m", id, &err, p);
        fake_s3_fail_next(f, "CompleteMultipartUpload", 500, "InternalError");
        rv = s3up_s3_complete(&done, &s3, "m", id, parts, &err, p);
        ok(rv == APR_SUCCESS && fake_s3_calls(f, "CompleteMultipartUpload") == 2 &&
               fake_s3_has(f, "bkt", "m"),
           "CompleteMultipartUpload is repeated after a 500");

        /* RGW 16 forgets a completed upload: a retry after a lost answer
         * finds none, though the object is there. */
        s3up_s3_create_multipart(&id, &s3, "m2", NULL, NULL, &err, p);
        fake_s3_add_part(f, id, 1, 1);
        s3up_s3_list_parts(&parts, &s3, "m2", id, &err, p);
        fake_s3_lose_answer_next(f, "CompleteMultipartUpload");
        rv = s3up_s3_complete(&done, &s3, "m2", id, parts, &err, p);
        ok(rv == S3UP_ENOTFOUND && !strcmp(err->code, "NoSuchUpload") &&
               fake_s3_has(f, "bkt", "m2"),
           "a complete whose answer was lost is retried into NoSuchUpload, object made");
    }

    fake_s3_fail_next(f, "PutObject", 500, "InternalError");
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    ok(rv == APR_SUCCESS, "a fault waits for its own operation");
    rv = s3up_s3_put(NULL, &s3, "k", "new", 3, NULL, NULL, &err, p);
    ok(rv == APR_SUCCESS && fake_s3_calls(f, "PutObject") == 2,
       "and hits it: the unconditional put is repeated");
}

static void test_counts(apr_pool_t *p)
{
    fake_s3_t *f = fake_s3_create(p);
    s3up_s3_t s3 = client(f, p);
    s3up_error_t *err = NULL;
    s3up_object_t *obj;
    s3up_body_t *body;
    s3up_object_page_t *opage;
    s3up_upload_page_t *upage;
    apr_array_header_t *parts = NULL;
    s3up_complete_t *done;
    stream_t one = {"1", 1, 0};
    const char *id = NULL, *id2 = NULL, *etag;
    static const char *const ops[] = {"PutObject",
                                      "GetObject",
                                      "HeadObject",
                                      "DeleteObject",
                                      "ListObjectsV2",
                                      "CreateMultipartUpload",
                                      "UploadPart",
                                      "ListParts",
                                      "CompleteMultipartUpload",
                                      "AbortMultipartUpload",
                                      "ListMultipartUploads"};
    int all_one = 1;

    s3up_s3_put(NULL, &s3, "k", "v", 1, NULL, NULL, &err, p);
    s3up_s3_get(&body, &s3, "k", 16, &err, p);
    s3up_s3_head(&obj, &s3, "k", &err, p);
    s3up_s3_delete(&s3, "k", &err, p);
    s3up_s3_list_objects(&opage, &s3, NULL, NULL, NULL, 0, &err, p);
    s3up_s3_create_multipart(&id, &s3, "m", NULL, NULL, &err, p);
    s3up_s3_upload_part(&etag, &s3, "m", id, 1, stream_read, &one, 1, &err, p);
    s3up_s3_list_parts(&parts, &s3, "m", id, &err, p);
    s3up_s3_complete(&done, &s3, "m", id, parts, &err, p);
    s3up_s3_list_uploads(&upage, &s3, NULL, NULL, NULL, 0, &err, p);
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(ops[i], "AbortMultipartUpload") && fake_s3_calls(f, ops[i]) != 1) {
            diag("%s: %d calls", ops[i], fake_s3_calls(f, ops[i]));
            all_one = 0;
        }
    }
    ok(all_one, "one call counted under each operation's AWS name");
    is_int(fake_s3_calls(f, "AbortMultipartUpload"), 0, "none for what was not called");
    is_int(fake_s3_calls(f, NULL), 10, "ten requests in all");
    fake_s3_reset_counts(f);
    s3up_s3_create_multipart(&id2, &s3, "a", NULL, NULL, &err, p);
    s3up_s3_abort(&s3, "a", id2, &err, p);
    ok(fake_s3_calls(f, NULL) == 2 && fake_s3_calls(f, "AbortMultipartUpload") == 1 &&
           fake_s3_calls(f, "PutObject") == 0,
       "reset starts the counts again");
}

/* Many writes through a request pool that is cleared each time: the store
 * stays right (and, with sub-pools per object, its pool stays small). */
static void test_many_calls(apr_pool_t *p)
{
    fake_s3_t *f = fake_s3_create(p);
    s3up_s3_t s3 = client(f, p);
    s3up_error_t *err = NULL;
    apr_pool_t *iter;
    int failures = 0;

    apr_pool_create(&iter, p);
    for (int i = 0; i < 3000; i++) {
        const char *data;
        apr_pool_clear(iter);
        data = apr_psprintf(iter, "value %d", i);
        failures += s3up_s3_put(NULL, &s3, i % 2 ? "odd" : "even", data, strlen(data), NULL, NULL,
                                &err, iter) != APR_SUCCESS;
        if (i % 3 == 0) {
            failures += s3up_s3_delete(&s3, "even", &err, iter) != APR_SUCCESS;
        }
    }
    apr_pool_destroy(iter);
    is_int(failures, 0, "3,000 writes and 1,000 deletes succeed");
    is_str(fake_s3_data(f, "bkt", "odd"), "value 2999", "the last write wins");
    is_str(fake_s3_data(f, "bkt", "even"), "value 2998", "a write after a delete stands");
    is_int(fake_s3_calls(f, "DeleteObject"), 1000, "every delete counted");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    s3up_xml_init();
    s3up_s3_loc_init(&loc, "http://127.0.0.1:1", "us-east-1", "bkt", 1, p);

    test_objects(p);
    test_conditional_puts(p);
    test_list_objects(p);
    test_multipart(p);
    test_multipart_errors(p);
    test_list_parts_paging(p);
    test_list_uploads(p);
    test_faults(p);
    test_counts(p);
    test_many_calls(p);

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
