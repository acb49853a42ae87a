/*
 * The uploads service (s3up_uploads.c, s3up_uploads_parts.c) over the
 * in-memory S3 of fake_s3.h: who may use which endpoint, names and their
 * reservations, part URLs signed for exact lengths, the end of an upload,
 * the limit on unfinished uploads, what a link holder sees, and the
 * number of S3 calls each costs.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_keys.h"
#include "s3up_uploads.h"
#include "fake_s3.h"
#include "tap.h"
#include "s3up_util.h"

#define MIB S3UP_MIB
#define BUCKET "bkt"

static fake_bed_t bed;
static apr_pool_t *pool;
static const s3up_uploads_conf_t conf = {
    "uploads/", 64 * MIB, 10 * 1024 * MIB, 3, apr_time_from_sec(3600), 0, NULL,
};
static const s3up_uploads_conf_t conf_secret = {
    "uploads/",
    64 * MIB,
    10 * 1024 * MIB,
    3,
    apr_time_from_sec(3600),
    0,
    "0123456789abcdef0123456789abcdef",
};

static s3up_principal_t alice = {"alice", "httpd", NULL, NULL};
static s3up_principal_t carol = {"carol", "httpd", NULL, NULL};
static s3up_principal_t mallory = {"mallory", "httpd", NULL, NULL};
static s3up_principal_t linked = {"link:0123456789ab", "link", "0123456789ab", "acme"};

static s3up_uploads_t as(const s3up_principal_t *who, const s3up_uploads_conf_t *c)
{
    s3up_uploads_t u = {c, &bed.s3, &bed.store, who, 0, NULL, "http://portal.test/upload"};
    return u;
}

static void endpoint(const char *id, const char *members, apr_off_t max, const char *status)
{
    s3up_endpoint_t ep = {0}, *old;
    s3up_error_t *err;
    char *list = apr_pstrdup(pool, members), *m, *last;

    if (s3up_store_endpoint_get(&old, &bed.store, id, &err, pool) == APR_SUCCESS) {
        ep.etag = old->etag; /* a change of the record */
    }

    ep.id = id;
    ep.prefix = apr_pstrcat(pool, "uploads/", id, "/", NULL);
    ep.members = apr_array_make(pool, 2, sizeof(const char *));
    for (m = apr_strtok(list, ",", &last); m; m = apr_strtok(NULL, ",", &last)) {
        APR_ARRAY_PUSH(ep.members, const char *) = m;
    }
    ep.created = fake_bed_clock;
    ep.max_file_size = max;
    ep.status = status;
    ep.note = "";
    if (s3up_store_endpoint_put(&bed.store, &ep, &err, pool) != APR_SUCCESS) {
        bail_out("endpoint %s: %s", id, err->message);
    }
}

static s3up_endpoint_t *get_endpoint(s3up_uploads_t *u, const char *id)
{
    s3up_endpoint_t *ep = NULL;
    s3up_error_t *err;
    if (s3up_uploads_endpoint(&ep, u, id, 1, &err, pool) != APR_SUCCESS) {
        bail_out("endpoint %s: %s", id, err->message);
    }
    return ep;
}

static s3up_started_t *start(s3up_uploads_t *u, const char *ep_id, const char *name, apr_off_t size,
                             apr_status_t want)
{
    s3up_file_t file = {name, NULL, "application/pdf", size, NULL};
    s3up_started_t *s = NULL;
    s3up_error_t *err = NULL;
    apr_status_t rv = s3up_uploads_start(&s, u, get_endpoint(u, ep_id), &file, &err, pool);
    if (rv != want) {
        diag("start %s: %d %s", name, rv, err ? err->message : "");
    }
    return rv == APR_SUCCESS ? s : NULL;
}

static apr_array_header_t *numbers(int from, int to)
{
    apr_array_header_t *a = apr_array_make(pool, 4, sizeof(int));
    for (int n = from; n <= to; n++) {
        APR_ARRAY_PUSH(a, int) = n;
    }
    return a;
}

/* Part 1 of s, of size bytes, "PUT" (the fake takes it as a browser's),
 * and the upload completed: the status, with *done. */
static apr_status_t put_and_complete(s3up_finished_t **done, s3up_uploads_t *u,
                                     const s3up_started_t *s, apr_off_t size)
{
    apr_array_header_t *parts = apr_array_make(pool, 1, sizeof(s3up_part_t)), *listed;
    s3up_error_t *err = NULL;
    s3up_part_t *part;

    fake_s3_add_part(bed.f, s->upload_id, 1, size);
    if (s3up_uploads_parts(&listed, u, s->key, s->upload_id, &err, pool) != APR_SUCCESS) {
        bail_out("parts of %s: %s", s->key, err->message);
    }
    part = apr_array_push(parts);
    part->number = 1;
    part->etag = APR_ARRAY_IDX(listed, 0, s3up_part_t).etag;
    return s3up_uploads_complete(done, u, s->key, s->upload_id, parts, &err, pool);
}

/* The content-length a part URL is signed for, from its query. */
static int signs_length(const char *url)
{
    return strstr(url, "X-Amz-SignedHeaders=content-length%3Bhost") != NULL;
}

static void test_access(void)
{
    s3up_uploads_t u = as(&alice, &conf), m = as(&mallory, &conf), l = as(&linked, &conf);
    s3up_endpoint_t *ep;
    s3up_error_t *e1 = NULL, *e2 = NULL;
    apr_status_t r1, r2;

    ok(s3up_uploads_endpoint(&ep, &u, "acme", 1, &e1, pool) == APR_SUCCESS, "a member may use it");
    r1 = s3up_uploads_endpoint(&ep, &m, "acme", 0, &e1, pool);
    r2 = s3up_uploads_endpoint(&ep, &m, "no-such", 0, &e2, pool);
    ok(r1 == S3UP_ENOTFOUND && r2 == S3UP_ENOTFOUND && !strcmp(e1->code, e2->code) &&
           !strcmp(e1->code, "NoSuchEndpoint"),
       "a foreign endpoint and an unknown one answer alike (%s, %s)", e1->code, e2->code);
    ok(strstr(e1->message, "'acme'") && strstr(e2->message, "'no-such'") &&
           !strcmp(e1->message + strlen("there is no upload endpoint 'acme'"),
                   e2->message + strlen("there is no upload endpoint 'no-such'")),
       "and say the same words: %s / %s", e1->message, e2->message);
    r1 = s3up_uploads_endpoint(&ep, &m, "shut", 1, &e1, pool);
    ok(r1 == S3UP_ENOTFOUND && !strcmp(e1->code, "NoSuchEndpoint"),
       "a closed endpoint of someone else's: as unknown too");
    r1 = s3up_uploads_endpoint(&ep, &u, "shut", 1, &e1, pool);
    ok(r1 == S3UP_EDENIED && !strcmp(e1->code, "EndpointRevoked"),
       "a closed endpoint of one's own: says it is closed");
    ok(s3up_uploads_endpoint(&ep, &u, "shut", 0, &e1, pool) == APR_SUCCESS,
       "and may still be read (listing, cancelling)");
    ok(s3up_uploads_endpoint(&ep, &l, "acme", 1, &e1, pool) == APR_SUCCESS &&
           s3up_uploads_endpoint(&ep, &l, "other", 1, &e2, pool) == S3UP_ENOTFOUND,
       "a link opens its one endpoint only");

    r1 = s3up_uploads_key_endpoint(&ep, &m, "uploads/acme/x.pdf", 1, &e1, pool);
    r2 = s3up_uploads_key_endpoint(&ep, &m, "uploads/no-such/x.pdf", 1, &e2, pool);
    ok(r1 == S3UP_EDENIED && r2 == S3UP_EDENIED && !strcmp(e1->code, "InvalidKey") &&
           !strcmp(e1->message, e2->message),
       "keys in a foreign and in an unknown endpoint: one answer");
    r1 = s3up_uploads_key_endpoint(&ep, &u, "uploads/acme/../other/x.pdf", 1, &e1, pool);
    r2 = s3up_uploads_key_endpoint(&ep, &u, ".s3up/endpoints/acme.json", 1, &e2, pool);
    ok(r1 == S3UP_EDENIED && r2 == S3UP_EDENIED && !strcmp(e1->message, e2->message),
       "a climbing key and a state key: the same answer");
}

static void test_start_and_sign(void)
{
    s3up_uploads_t u = as(&alice, &conf), c = as(&carol, &conf), admin = as(&mallory, &conf);
    apr_off_t size = 2 * 64 * MIB + 123;
    s3up_started_t *s;
    apr_array_header_t *urls;
    s3up_error_t *err = NULL;
    s3up_reservation_t *res;
    int calls;

    admin.is_admin = 1;
    fake_s3_reset_counts(bed.f);
    s = start(&u, "acme", "contract.pdf", size, APR_SUCCESS);
    ok(s && !strcmp(s->key, "uploads/acme/contract.pdf") && s->part_size == 64 * MIB &&
           !s->through_httpd,
       "a file of declared size: its key, and parts of the server's size straight to S3");
    calls = fake_s3_calls(bed.f, NULL);
    ok(calls <= 8, "starting costs %d S3 calls", calls);
    ok(s3up_store_reservation_get(&res, &bed.store, s->key, s->upload_id, &err, pool) ==
               APR_SUCCESS &&
           !strcmp(res->upload_id, s->upload_id) && !strcmp(res->owner, "alice") &&
           res->size == size && res->part_size == 64 * MIB,
       "its name is reserved for this upload, with its owner and sizes");

    ok(s3up_uploads_sign(&urls, &u, s->key, s->upload_id, numbers(1, 3), &err, pool) ==
               APR_SUCCESS &&
           urls->nelts == 3,
       "three parts signed");
    ok(signs_length(APR_ARRAY_IDX(urls, 0, const char *)) &&
           signs_length(APR_ARRAY_IDX(urls, 2, const char *)),
       "each part URL signs its length");
    is_int(s3up_uploads_sign(&urls, &u, s->key, s->upload_id, numbers(4, 4), &err, pool),
           S3UP_EINPUT, "a part past the end of the file is refused");
    is_int(s3up_uploads_sign(&urls, &c, s->key, s->upload_id, numbers(1, 1), &err, pool),
           S3UP_EDENIED, "a non-member: the key is outside their endpoints");
    endpoint("acme", "alice,carol", 0, S3UP_ENDPOINT_ACTIVE);
    is_int(s3up_uploads_sign(&urls, &c, s->key, s->upload_id, numbers(1, 1), &err, pool),
           S3UP_ENOTFOUND, "another member: no such upload of theirs");
    ok(!strcmp(err->code, "NoSuchUpload"), "(NoSuchUpload)");
    is_int(s3up_uploads_sign(&urls, &u, s->key, "BOGUS", numbers(1, 1), &err, pool), S3UP_ENOTFOUND,
           "another upload id for the key: no such upload");
    is_int(s3up_uploads_sign(&urls, &admin, s->key, s->upload_id, numbers(1, 1), &err, pool),
           APR_SUCCESS, "an admin may sign any upload's parts");

    {
        /* Lengths, read back from the URLs the way S3 would check them. */
        apr_off_t want[3] = {64 * MIB, 64 * MIB, 123};
        int fine = 1;
        for (int n = 1; n <= 3; n++) {
            apr_off_t len;
            fine = fine &&
                   s3up_keys_part_length(&len, res->size, res->part_size, n) == APR_SUCCESS &&
                   len == want[n - 1];
        }
        ok(fine, "part lengths: 64 MiB, 64 MiB, 123 bytes");
    }
}

static void test_bogus_abort(void)
{
    s3up_uploads_t u = as(&alice, &conf), c = as(&carol, &conf);
    s3up_started_t *first, *second;
    s3up_reservation_t *res;
    s3up_error_t *err = NULL;

    first = start(&u, "acme", "bogus.pdf", 10 * MIB, APR_SUCCESS);
    is_int(s3up_uploads_abort(&c, first->key, "BOGUS", &err, pool), S3UP_ENOTFOUND,
           "an abort naming another upload: no such upload");
    ok(s3up_store_reservation_get(&res, &bed.store, first->key, first->upload_id, &err, pool) ==
               APR_SUCCESS &&
           !strcmp(res->upload_id, first->upload_id),
       "and the name stays reserved for the first upload");
    is_int(s3up_uploads_abort(&c, first->key, first->upload_id, &err, pool), S3UP_ENOTFOUND,
           "another member cannot abort it either");
    is_int(fake_s3_upload_count(bed.f) > 0, 1, "the upload is still there");
    second = start(&c, "acme", "bogus.pdf", 10 * MIB, APR_SUCCESS);
    ok(second && !strcmp(second->key, "uploads/acme/bogus (1).pdf"),
       "a second upload of the name gets another key: %s", second ? second->key : "-");

    fake_s3_fail_next(bed.f, "AbortMultipartUpload", 503, "SlowDown");
    fake_s3_fail_next(bed.f, "AbortMultipartUpload", 503, "SlowDown");
    fake_s3_fail_next(bed.f, "AbortMultipartUpload", 503, "SlowDown");
    fake_s3_fail_next(bed.f, "AbortMultipartUpload", 503, "SlowDown");
    ok(s3up_uploads_abort(&u, first->key, first->upload_id, &err, pool) == S3UP_ES3,
       "an abort that fails at S3 fails");
    ok(s3up_store_reservation_get(&res, &bed.store, first->key, first->upload_id, &err, pool) ==
           APR_SUCCESS,
       "and frees nothing");
    ok(s3up_uploads_abort(&u, first->key, first->upload_id, &err, pool) == APR_SUCCESS,
       "the owner's abort");
    ok(s3up_store_reservation_get(&res, &bed.store, first->key, NULL, &err, pool) == S3UP_ENOTFOUND,
       "frees the name");
}

static void test_names_bounded(void)
{
    s3up_uploads_t u = as(&alice, &conf);
    s3up_started_t *s;
    int calls;

    fake_s3_put_object(bed.f, BUCKET, "uploads/acme/report.txt", "x", 1, NULL);
    for (int n = 1; n < 60; n++) {
        fake_s3_put_object(bed.f, BUCKET, apr_psprintf(pool, "uploads/acme/report (%d).txt", n),
                           "x", 1, NULL);
    }
    fake_s3_put_object(bed.f, BUCKET, "uploads/acme/report-other.txt", "x", 1, NULL);
    fake_s3_reset_counts(bed.f);
    s = start(&u, "acme", "report.txt", 10, APR_SUCCESS);
    calls = fake_s3_calls(bed.f, NULL);
    ok(s && !strcmp(s->key, "uploads/acme/report (60).txt"), "60 taken: the 61st name, %s",
       s ? s->key : "-");
    ok(calls <= 10, "found with %d S3 calls, not one per taken name", calls);
    is_int(fake_s3_calls(bed.f, "ListObjectsV2"), 2,
           "(one listing of the names, one of unfinished)");
}

static void test_unfinished_limit(void)
{
    s3up_uploads_t u = as(&alice, &conf), c = as(&carol, &conf);
    s3up_started_t *s[3];
    s3up_error_t *err = NULL;
    s3up_file_t file = {"more.bin", NULL, NULL, 10 * MIB, NULL};
    s3up_started_t *more;
    apr_status_t rv;

    endpoint("lim", "alice,carol", 0, S3UP_ENDPOINT_ACTIVE);
    for (int i = 0; i < 3; i++) {
        s[i] = start(&u, "lim", apr_psprintf(pool, "f%d.bin", i), 10 * MIB, APR_SUCCESS);
    }
    rv = s3up_uploads_start(&more, &u, get_endpoint(&u, "lim"), &file, &err, pool);
    ok(rv == S3UP_ELIMIT && !strcmp(err->code, "TooManyUploads"),
       "S3UpMaxUnfinished (3) reached: TooManyUploads (%s)", err ? err->message : "");
    ok(start(&c, "lim", "carols.bin", 10 * MIB, APR_SUCCESS) != NULL,
       "another person is counted apart");
    ok(s3up_uploads_abort(&u, s[0]->key, s[0]->upload_id, &err, pool) == APR_SUCCESS &&
           s3up_uploads_start(&more, &u, get_endpoint(&u, "lim"), &file, &err, pool) == APR_SUCCESS,
       "an abort makes room for one more");
    {
        /* An upload whose reservation has gone (ended by hand, or taken
         * over after it expired) no longer counts once the limit is
         * reached: its entry is removed. */
        const char *rkey = apr_pstrcat(pool, ".s3up/reservations/",
                                       s3up_sha256_hex(s[1]->key, strlen(s[1]->key), pool), NULL);
        s3up_error_t *e2;
        ok(fake_s3_has(bed.f, BUCKET, rkey), "(the reservation is where the store says)");
        s3up_s3_delete(&bed.s3, rkey, &e2, pool);
        file.filename = "again.bin";
        ok(s3up_uploads_start(&more, &u, get_endpoint(&u, "lim"), &file, &err, pool) == APR_SUCCESS,
           "an entry whose reservation is gone no longer counts");
        file.filename = "once-more.bin";
        ok(s3up_uploads_start(&more, &u, get_endpoint(&u, "lim"), &file, &err, pool) == S3UP_ELIMIT,
           "three live uploads again: refused");
    }
}

static void test_complete(void)
{
    s3up_uploads_t u = as(&alice, &conf);
    s3up_started_t *s = start(&u, "acme", "done.bin", 6 * MIB, APR_SUCCESS);
    apr_array_header_t *parts = apr_array_make(pool, 1, sizeof(s3up_part_t));
    s3up_finished_t *done;
    s3up_reservation_t *res;
    s3up_error_t *err = NULL;

    ok(put_and_complete(&done, &u, s, 6 * MIB) == APR_SUCCESS && done->size == 6 * MIB &&
           !done->again && !strcmp(done->endpoint, "acme"),
       "completed: its size and endpoint");
    ok(s3up_store_reservation_get(&res, &bed.store, s->key, NULL, &err, pool) == S3UP_ENOTFOUND,
       "the reservation ended with it");
    APR_ARRAY_PUSH(parts, s3up_part_t) = (s3up_part_t){1, "\"x\"", 0, 0};
    ok(s3up_uploads_complete(&done, &u, s->key, s->upload_id, parts, &err, pool) == APR_SUCCESS &&
           done->again,
       "completing again (an answer lost on the way): the same answer");
}

static void test_too_large(void)
{
    s3up_uploads_t u = as(&alice, &conf);
    s3up_started_t *s;
    s3up_finished_t *done;

    endpoint("tiny", "alice", 8 * MIB, S3UP_ENDPOINT_ACTIVE);
    start(&u, "tiny", "big.bin", 9 * MIB, S3UP_ETOOBIG);
    s = start(&u, "tiny", "small.bin", 6 * MIB, APR_SUCCESS);
    /* A part of another length than signed: S3 would refuse it; say it
     * did not, and the sum still guards the limit. */
    ok(put_and_complete(&done, &u, s, 9 * MIB) == S3UP_ETOOBIG && done->size == 9 * MIB,
       "over the endpoint's limit at complete: refused");
    ok(!fake_s3_has(bed.f, BUCKET, s->key), "and not kept");
}

/* What S3 made of the parts is measured again after completing: here the
 * object comes out bigger than the parts listed (parts replaced meanwhile,
 * which S3 would refuse for their signed length; say it did not). */
static void grow_object(fake_s3_t *fs, void *baton)
{
    static char big[9 * 1024 * 1024];
    fake_s3_put_object(fs, BUCKET, baton, big, sizeof(big), NULL);
}

static void test_larger_after_complete(void)
{
    s3up_uploads_t u = as(&alice, &conf);
    s3up_finished_t *done;
    s3up_started_t *s;
    s3up_reservation_t *res;
    s3up_error_t *err = NULL;

    s = start(&u, "tiny", "grows.bin", 6 * MIB, APR_SUCCESS);
    fake_s3_after_next(bed.f, "CompleteMultipartUpload", grow_object, (void *)s->key);
    ok(put_and_complete(&done, &u, s, 6 * MIB) == S3UP_ETOOBIG && done->size == 9 * MIB,
       "an object bigger than its endpoint's limit after completing: refused");
    ok(!fake_s3_has(bed.f, BUCKET, s->key), "and deleted, not kept");
    ok(s3up_store_reservation_get(&res, &bed.store, s->key, NULL, &err, pool) == S3UP_ENOTFOUND,
       "its name freed");
}

static void test_no_size(void)
{
    s3up_uploads_t plain = as(&alice, &conf), keyed = as(&alice, &conf_secret);
    s3up_started_t *s;
    apr_array_header_t *urls;
    s3up_error_t *err = NULL;

    start(&plain, "acme", "nosize.bin", -1, S3UP_EINPUT);
    s = start(&keyed, "acme", "nosize.bin", -1, APR_SUCCESS);
    ok(s && s->through_httpd && s->part_size == 0,
       "no declared size, S3UpSecretFile set: parts go through httpd");
    if (s3up_uploads_sign(&urls, &keyed, s->key, s->upload_id, numbers(1, 2), &err, pool) !=
        APR_SUCCESS) {
        bail_out("signing a part of no declared size: %s", err->message);
    }
    ok(!strncmp(APR_ARRAY_IDX(urls, 1, const char *), "http://portal.test/upload/s3/multipart/",
                39) &&
           strstr(APR_ARRAY_IDX(urls, 1, const char *), "/2/data?key=") &&
           strstr(APR_ARRAY_IDX(urls, 1, const char *), "&t="),
       "its part URLs are httpd's, with a token: %s", APR_ARRAY_IDX(urls, 1, const char *));
    ok(strstr(APR_ARRAY_IDX(urls, 0, const char *), ".%3C") ||
           strstr(APR_ARRAY_IDX(urls, 0, const char *), ".<"),
       "a token for at most the limit");
}

static void test_link_files(void)
{
    s3up_uploads_t l = as(&linked, &conf), u = as(&alice, &conf);
    s3up_object_page_t *page;
    s3up_error_t *err = NULL;
    s3up_started_t *s;
    apr_table_t *meta = apr_table_make(pool, 1);
    s3up_finished_t *done;

    s = start(&l, "acme", "from-link.bin", 6 * MIB, APR_SUCCESS);
    put_and_complete(&done, &l, s, 6 * MIB);
    /* A name noted for the link whose file someone else put there. */
    apr_table_set(meta, "uploaded-by", "alice");
    fake_s3_put_object(bed.f, BUCKET, "uploads/acme/taken-later.bin", "x", 1, meta);
    s3up_store_owned_add(&bed.store, "acme", linked.name, "taken-later.bin", &err, pool);
    if (s3up_uploads_files(&page, &l, get_endpoint(&l, "acme"), NULL, &err, pool) != APR_SUCCESS) {
        bail_out("a link holder's files: %s", err->message);
    }
    ok(page->objects->nelts == 1 &&
           !strcmp(APR_ARRAY_IDX(page->objects, 0, s3up_object_t).key,
                   "uploads/acme/from-link.bin") &&
           APR_ARRAY_IDX(page->objects, 0, s3up_object_t).size == 6 * MIB,
       "a link holder lists only what came through the link (%d files)", page->objects->nelts);
    if (s3up_uploads_files(&page, &u, get_endpoint(&u, "acme"), NULL, &err, pool) != APR_SUCCESS) {
        bail_out("a member's files: %s", err->message);
    }
    ok(page->objects->nelts > 2, "a member lists the folder (%d files)", page->objects->nelts);
}

static void test_tries(void)
{
    apr_interval_time_t wait = 0;
    s3up_error_t *err = NULL;
    s3up_tries_t t;
    const char *id = "4f1c";
    int taken = 0;

    for (int i = 0; i < 8; i++) {
        taken += s3up_store_try_take(&wait, &bed.store, id, 5, apr_time_from_sec(900), &err,
                                     pool) == APR_SUCCESS;
    }
    is_int(taken, 5, "5 tries counted, the rest refused");
    ok(s3up_store_try_take(&wait, &bed.store, id, 5, apr_time_from_sec(900), &err, pool) ==
               S3UP_ELIMIT &&
           wait == apr_time_from_sec(900),
       "the next waits for the window's end");
    ok(s3up_store_tries_get(&t, &bed.store, id, apr_time_from_sec(900), &err, pool) ==
               APR_SUCCESS &&
           t.count == 5,
       "the count can be read (the admin page)");
    /* Another server's write lands between our read and our write. */
    fake_s3_fail_next(bed.f, "PutObject", 412, "PreconditionFailed");
    s3up_store_tries_clear(&bed.store, id, &err, pool);
    ok(s3up_store_try_take(&wait, &bed.store, id, 5, apr_time_from_sec(900), &err, pool) ==
           APR_SUCCESS,
       "cleared, and a write lost to a racing try: read again and counted");
    ok(s3up_store_tries_get(&t, &bed.store, id, apr_time_from_sec(900), &err, pool) ==
               APR_SUCCESS &&
           t.count == 1,
       "counted once");
    fake_bed_clock += apr_time_from_sec(901);
    ok(s3up_store_tries_get(&t, &bed.store, id, apr_time_from_sec(900), &err, pool) ==
               APR_SUCCESS &&
           t.count == 0,
       "the window over: nothing counted");
}

#define FP_A "sha256-head-tail:0123456789abcdef0123456789abcdef"
#define FP_B "sha256-head-tail:fedcba9876543210fedcba9876543210"

static s3up_started_t *start_fp(s3up_uploads_t *u, const char *ep_id, const char *name,
                                const char *fp, apr_status_t want)
{
    s3up_file_t file = {name, NULL, NULL, 200 * MIB, fp};
    s3up_started_t *s = NULL;
    s3up_error_t *err = NULL;
    apr_status_t rv = s3up_uploads_start(&s, u, get_endpoint(u, ep_id), &file, &err, pool);
    if (rv != want) {
        diag("start %s: %d %s", name, rv, err ? err->message : "");
    }
    return rv == APR_SUCCESS ? s : NULL;
}

static void test_resume(void)
{
    s3up_uploads_t a = as(&alice, &conf_secret), c = as(&carol, &conf_secret),
                   m = as(&mallory, &conf_secret), l = as(&linked, &conf_secret);
    s3up_started_t *first, *again, *other, *s;
    s3up_error_t *err = NULL;
    s3up_file_t bad = {"scan.bin", NULL, NULL, 200 * MIB, "short"};

    endpoint("res", "alice,carol", 0, S3UP_ENDPOINT_ACTIVE);
    endpoint("res2", "mallory", 0, S3UP_ENDPOINT_ACTIVE);
    endpoint("res3", "alice", 0, S3UP_ENDPOINT_ACTIVE);
    first = start_fp(&a, "res", "scan.bin", FP_A, APR_SUCCESS);
    ok(first && !first->resumed && !strcmp(first->key, "uploads/res/scan.bin"),
       "a first upload with a fingerprint starts anew");
    if (!first) {
        return;
    }
    fake_s3_add_part(bed.f, first->upload_id, 1, 64 * MIB);
    fake_s3_add_part(bed.f, first->upload_id, 2, 64 * MIB);
    fake_s3_reset_counts(bed.f);
    again = start_fp(&a, "res", "scan.bin", FP_A, APR_SUCCESS);
    ok(again && again->resumed && !strcmp(again->key, first->key) &&
           !strcmp(again->upload_id, first->upload_id) && again->part_size == first->part_size,
       "the same person, the same file (path, size, fingerprint), from another browser: the "
       "same upload is continued");
    ok(again && again->parts && again->parts->nelts == 2 &&
           APR_ARRAY_IDX(again->parts, 1, s3up_part_t).number == 2,
       "with the parts S3 holds (%d)", again && again->parts ? again->parts->nelts : -1);
    is_int(fake_s3_calls(bed.f, "CreateMultipartUpload"), 0, "no new multipart upload");

    other = start_fp(&a, "res", "scan.bin", FP_B, APR_SUCCESS);
    ok(other && !other->resumed && !strcmp(other->key, "uploads/res/scan (1).bin"),
       "another fingerprint is another file: a new upload, a numbered name");
    s = start_fp(&c, "res", "scan.bin", FP_A, APR_SUCCESS);
    ok(s && !s->resumed && strcmp(s->upload_id, first->upload_id),
       "another member of the endpoint, with the same fingerprint: their own new upload (%s)",
       s ? s->key : "-");
    s = start_fp(&l, "acme", "scan.bin", FP_A, APR_SUCCESS);
    ok(s && !s->resumed && strcmp(s->upload_id, first->upload_id),
       "a link holder with the same fingerprint: their own new upload");
    s = start_fp(&m, "res2", "scan.bin", FP_A, APR_SUCCESS);
    ok(s && !s->resumed && !strncmp(s->key, "uploads/res2/", 13),
       "another person in their own endpoint: their own new upload, in their folder");
    s = start_fp(&a, "res3", "scan.bin", FP_A, APR_SUCCESS);
    ok(s && !s->resumed, "the same person in another endpoint: a new upload there");

    ok(s3up_uploads_start(&s, &a, get_endpoint(&a, "res"), &bad, &err, pool) == S3UP_EINPUT &&
           !strcmp(err->code, "BadRequest"),
       "a malformed fingerprint: BadRequest (%s)", err ? err->message : "");

    {
        s3up_finished_t *done;
        apr_array_header_t *parts = apr_array_make(pool, 4, sizeof(s3up_part_t)), *listed;
        err = NULL;
        fake_s3_add_part(bed.f, first->upload_id, 3, 200 * MIB - 128 * MIB);
        s3up_uploads_parts(&listed, &a, first->key, first->upload_id, &err, pool);
        for (int i = 0; i < listed->nelts; i++) {
            *(s3up_part_t *)apr_array_push(parts) = APR_ARRAY_IDX(listed, i, s3up_part_t);
        }
        ok(s3up_uploads_complete(&done, &a, first->key, first->upload_id, parts, &err, pool) ==
               APR_SUCCESS,
           "the continued upload completes (%s)", err ? err->message : "");
    }
    s = start_fp(&a, "res", "scan.bin", FP_A, APR_SUCCESS);
    ok(s && !s->resumed && strcmp(s->upload_id, first->upload_id),
       "once complete, the same file again is a new upload (%s)", s ? s->key : "-");

    other = start_fp(&a, "res", "lost.bin", FP_A, APR_SUCCESS);
    if (other) {
        s3up_s3_abort(&bed.s3, other->key, other->upload_id, &err, pool);
    }
    s = start_fp(&a, "res", "lost.bin", FP_A, APR_SUCCESS);
    ok(s && !s->resumed && !strcmp(s->key, "uploads/res/lost.bin"),
       "an upload S3 no longer has is not continued, and its name is free again (%s)",
       s ? s->key : "-");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    fake_bed_init(&bed, BUCKET, pool);

    endpoint("acme", "alice", 0, S3UP_ENDPOINT_ACTIVE);
    endpoint("other", "mallory", 0, S3UP_ENDPOINT_ACTIVE);
    endpoint("shut", "alice", 0, S3UP_ENDPOINT_REVOKED);

    test_access();
    test_start_and_sign();
    test_bogus_abort();
    test_names_bounded();
    test_unfinished_limit();
    test_complete();
    test_too_large();
    test_larger_after_complete();
    test_no_size();
    test_link_files();
    test_tries();
    test_resume();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
