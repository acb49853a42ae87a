/*
 * Endpoint records: their JSON, id rules, and the cache in front of the
 * bucket (served from memory within the TTL, asked again after it, and
 * forgotten by the node that writes).
 */
#include <apr_atomic.h>
#include <apr_general.h>
#include <apr_thread_proc.h>

#include "fake_http.h"
#include "fake_s3.h"
#include "s3up_sigv4.h"
#include "s3up_store.h"
#include "s3up_xml.h"
#include "tap.h"
#include "s3up_util.h"

static s3up_s3_loc_t loc;
static s3up_creds_t creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, 0};
static s3up_http_t http = {&fake_ops, NULL, 0, 0, 0};

static const char *record =
    "{\"id\":\"acme\",\"prefix\":\"uploads/acme/\",\"members\":[\"alice\",\"bob@x.org\"],"
    "\"created\":\"2026-11-01T10:00:00Z\",\"created_by\":\"admin\",\"expires\":null,"
    "\"max_file_size\":1073741824,\"status\":\"active\",\"note\":\"Acme \\\"Corp\\\"\"}";

static void test_ids(void)
{
    ok(s3up_store_id_valid("acme"), "acme is an id");
    ok(s3up_store_id_valid("a-1-b"), "digits and dashes inside");
    ok(!s3up_store_id_valid(""), "empty is not");
    ok(!s3up_store_id_valid("-a"), "leading dash is not");
    ok(!s3up_store_id_valid("a-"), "trailing dash is not");
    ok(!s3up_store_id_valid("Acme"), "upper case is not");
    ok(!s3up_store_id_valid("a/b"), "slash is not");
    ok(!s3up_store_id_valid("a.b"), "dot is not");
    ok(!s3up_store_id_valid("../x"), "traversal is not");
    ok(s3up_store_id_valid("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0"),
       "63 characters is");
    ok(!s3up_store_id_valid("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01"),
       "64 characters is not");
}

static void test_json(apr_pool_t *p)
{
    s3up_endpoint_t *ep, *again;

    ok(s3up_store_endpoint_parse(&ep, record, strlen(record), p) == APR_SUCCESS, "record parses");
    is_str(ep->id, "acme", "id");
    is_str(ep->prefix, "uploads/acme/", "prefix");
    is_int(ep->members->nelts, 2, "members");
    is_str(APR_ARRAY_IDX(ep->members, 1, const char *), "bob@x.org", "second member");
    is_int(ep->max_file_size, 1073741824, "limit");
    is_int(ep->expires, 0, "no expiry");
    is_int(apr_time_sec(ep->created), 1793527200, "created time");
    is_str(ep->note, "Acme \"Corp\"", "note with quotes");
    ok(s3up_store_endpoint_open(ep, fixed_now()), "active and not expired: open");

    ep->expires = fixed_now() - 1;
    ok(!s3up_store_endpoint_open(ep, fixed_now()), "expired: closed");
    ep->expires = fixed_now() + apr_time_from_sec(3600);
    ep->status = S3UP_ENDPOINT_REVOKED;
    ok(!s3up_store_endpoint_open(ep, fixed_now()), "revoked: closed");

    {
        const char *text = s3up_store_endpoint_json(ep, p);
        ok(s3up_store_endpoint_parse(&again, text, strlen(text), p) == APR_SUCCESS &&
               !strcmp(again->status, "revoked") &&
               apr_time_sec(again->expires) == apr_time_sec(ep->expires) &&
               again->members->nelts == 2 && !strcmp(again->note, ep->note),
           "a record written and read back is the same");
    }
    ok(s3up_store_endpoint_parse(&again, "{\"id\":\"../x\",\"prefix\":\"u/\"}", 28, p) ==
           S3UP_EPARSE,
       "a record with a bad id is refused");
    ok(s3up_store_endpoint_parse(&again, "[1]", 3, p) == S3UP_EPARSE, "not an object");
    ok(s3up_store_endpoint_parse(&again,
                                 "{\"id\":\"a\",\"prefix\":\"u/\",\"max_file_size\":\"big\"}", 45,
                                 p) == S3UP_EPARSE,
       "a non-numeric limit is refused");
}

static void test_cache(apr_pool_t *p)
{
    s3up_store_cache_t *cache;
    s3up_store_t store, *st = &store;
    s3up_s3_t s3;
    s3up_sigv4_t *signer;
    s3up_endpoint_t *ep;
    s3up_error_t *err = NULL;
    apr_array_header_t *ids;
    apr_status_t rv;

    s3up_sigv4_create(&signer, p);
    s3up_s3_init(&s3, &loc, &creds, signer, &http);
    s3.aws.now = fixed_now;
    s3.aws.sleep = record_sleep;
    s3.aws.max_attempts = 1;
    s3up_store_cache_create(&cache, p);
    store = (s3up_store_t){cache, &s3, ".s3up/", apr_time_from_sec(30), NULL};

    script(1, ((fake_answer_t){APR_SUCCESS, 200, record, NULL, "\"v1\""}));
    rv = s3up_store_endpoint_get(&ep, st, "acme", &err, p);
    ok(rv == APR_SUCCESS && !strcmp(ep->etag, "\"v1\""), "first read asks S3");
    is_str(fake.url, "http://127.0.0.1:7480/bkt/.s3up/endpoints/acme.json", "record key");

    script(0);
    fake_clock += apr_time_from_sec(20);
    rv = s3up_store_endpoint_get(&ep, st, "acme", &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 0 && !strcmp(ep->etag, "\"v1\""),
       "within the TTL: from the cache");

    script(1, ((fake_answer_t){APR_SUCCESS, 200, record, NULL, "\"v2\""}));
    fake_clock += apr_time_from_sec(3);
    rv = s3up_store_endpoint_get(&ep, st, "acme", &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 1 && !strcmp(ep->etag, "\"v2\""),
       "in the TTL's last quarter: the first reader asks S3 again before the expiry");

    script(1, BODY(503, "<Error><Code>SlowDown</Code></Error>"));
    fake_clock += apr_time_from_sec(25);
    rv = s3up_store_endpoint_get(&ep, st, "acme", &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 1 && !strcmp(ep->etag, "\"v2\""),
       "an early read that fails keeps to the copy, which has not expired");
    script(0);
    fake_clock += apr_time_from_sec(1);
    rv = s3up_store_endpoint_get(&ep, st, "acme", &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 0 && !strcmp(ep->etag, "\"v2\""),
       "one early read per entry: the next reader takes the copy");

    script(1, ((fake_answer_t){APR_SUCCESS, 200, record, NULL, "\"v2\""}));
    fake_clock += apr_time_from_sec(5);
    rv = s3up_store_endpoint_get(&ep, st, "acme", &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 1 && !strcmp(ep->etag, "\"v2\""),
       "after the TTL: asked again");

    script(1, ((fake_answer_t){APR_SUCCESS, 200, NULL, NULL, "\"v3\""}));
    ep->status = S3UP_ENDPOINT_REVOKED;
    rv = s3up_store_endpoint_put(st, ep, &err, p);
    ok(rv == APR_SUCCESS && !strcmp(sent_header("if-match"), "v2"),
       "update is conditional on the version read");
    script(0);
    rv = s3up_store_endpoint_get(&ep, st, "acme", &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 0 && !strcmp(ep->status, "revoked"),
       "the writing node sees its change at once");

    script(1, BODY(404, "<Error><Code>NoSuchKey</Code></Error>"));
    rv = s3up_store_endpoint_get(&ep, st, "nope", &err, p);
    ok(rv == S3UP_ENOTFOUND && !strcmp(err->code, "NoSuchEndpoint"), "unknown endpoint");
    script(0);
    rv = s3up_store_endpoint_get(&ep, st, "nope", &err, p);
    ok(rv == S3UP_ENOTFOUND && fake.calls == 0, "absence is cached too");

    script(0);
    rv = s3up_store_endpoint_get(&ep, st, "../etc", &err, p);
    ok(rv == S3UP_ENOTFOUND && fake.calls == 0, "a bad id never reaches S3");

    script(1, BODY(200, "<ListBucketResult><IsTruncated>false</IsTruncated>"
                        "<Contents><Key>.s3up/members/"
                        "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90/zeta"
                        "</Key><Size>0</Size></Contents>"
                        "<Contents><Key>.s3up/members/"
                        "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90/acme"
                        "</Key><Size>0</Size></Contents></ListBucketResult>"));
    rv = s3up_store_member_endpoints(&ids, st, "alice", &err, p);
    ok(rv == APR_SUCCESS && ids->nelts == 2 && !strcmp(APR_ARRAY_IDX(ids, 0, const char *), "acme"),
       "member index listed and sorted");
    ok(strstr(fake.url,
              "prefix=.s3up%2Fmembers%2F"
              "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90%2F") != NULL,
       "listed under sha256(who)");
    script(0);
    rv = s3up_store_member_endpoints(&ids, st, "alice", &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 0 && ids->nelts == 2, "member list cached");
    script(1, OK(200));
    s3up_store_member_add(st, "alice", "beta", &err, p);
    script(1, BODY(200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"));
    rv = s3up_store_member_endpoints(&ids, st, "alice", &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 1, "adding a member forgets the cached list");

    {
        /* Two processes' caches sharing one write counter (shared memory
         * in httpd): a write through one is seen by the other at once. */
        static volatile apr_uint32_t generation;
        s3up_store_cache_t *other_cache;
        s3up_store_t other;

        s3up_store_cache_share(cache, &generation);
        s3up_store_cache_create(&other_cache, p);
        s3up_store_cache_share(other_cache, &generation);
        other = (s3up_store_t){other_cache, &s3, ".s3up/", apr_time_from_sec(30), NULL};

        script(1, ((fake_answer_t){APR_SUCCESS, 200, record, NULL, "\"v7\""}));
        s3up_store_endpoint_get(&ep, &other, "acme", &err, p);
        script(0);
        rv = s3up_store_endpoint_get(&ep, &other, "acme", &err, p);
        ok(rv == APR_SUCCESS && fake.calls == 0, "the other process caches the record");
        script(1, OK(200));
        s3up_store_member_add(st, "carol", "acme", &err, p);
        script(1, ((fake_answer_t){APR_SUCCESS, 200, record, NULL, "\"v8\""}));
        rv = s3up_store_endpoint_get(&ep, &other, "acme", &err, p);
        ok(rv == APR_SUCCESS && fake.calls == 1 && !strcmp(ep->etag, "\"v8\""),
           "after a write through this one, the other reads the bucket again");
    }
}

/* Two processes' caches with one board (shared memory in httpd): a folder
 * listed by one is read by the other from the board, within the TTL and
 * until the next write. */
static void test_board(apr_pool_t *p)
{
    static volatile apr_uint32_t generation;
    const apr_size_t text_max = 4096;
    void *mem = apr_palloc(p, s3up_board_size(2, text_max));
    s3up_board_t *board;
    s3up_store_cache_t *one, *two;
    s3up_store_t a, b;
    s3up_s3_t s3;
    s3up_sigv4_t *signer;
    s3up_error_t *err = NULL;
    const char *text = NULL;

    s3up_board_clear(mem, 2, text_max);
    board = s3up_board_attach(mem, 2, text_max, NULL, NULL, p);
    s3up_sigv4_create(&signer, p);
    s3up_s3_init(&s3, &loc, &creds, signer, &http);
    s3.aws.now = fixed_now;
    s3.aws.max_attempts = 1;
    s3up_store_cache_create(&one, p);
    s3up_store_cache_create(&two, p);
    s3up_store_cache_share(one, &generation);
    s3up_store_cache_share(two, &generation);
    a = (s3up_store_t){one, &s3, ".s3up/", apr_time_from_sec(30), NULL};
    b = (s3up_store_t){two, &s3, ".s3up/", apr_time_from_sec(30), NULL};

    ok(!s3up_store_listing_get(&text, &b, "uploads/acme/", p),
       "without a board, the other process has no listing");
    s3up_store_cache_board(one, board);
    s3up_store_cache_board(two, board);
    s3up_store_listing_put(&a, "uploads/acme/", "1\nuploads/acme/x\t1\t0\t\"e\"", fixed_now(), p);
    ok(s3up_store_listing_get(&text, &b, "uploads/acme/", p) &&
           !strcmp(text, "1\nuploads/acme/x\t1\t0\t\"e\""),
       "with one: the other takes the listing the first left");
    ok(!s3up_store_listing_get(&text, &b, "uploads/other/", p), "(only that folder's)");
    s3up_store_listing_put(&a, "uploads/old/", "1\n", fixed_now() - apr_time_from_sec(31), p);
    ok(!s3up_store_listing_get(&text, &b, "uploads/old/", p), "not one older than the TTL");
    script(1, OK(200));
    s3up_store_member_add(&b, "carol", "acme", &err, p);
    ok(!s3up_store_listing_get(&text, &b, "uploads/acme/", p),
       "nor one made before a write (here through the other process)");
}

/* A connection's memo of the last endpoint parsed: the same answers as
 * without it, and never older than the cache entry behind it. */
/* The same for an upload's reservation, which part signing reads each time. */
static void test_memo_reservation(s3up_store_t *st, apr_pool_t *p)
{
    static const char *res = "{\"key\":\"uploads/acme/a.bin\",\"endpoint\":\"acme\","
                             "\"owner\":\"alice\",\"upload_id\":\"%s\",\"size\":10,"
                             "\"part_size\":5,\"expires\":\"2030-01-01T00:00:00Z\","
                             "\"nonce\":\"n1\"}";
    s3up_reservation_t *r, *again;
    s3up_error_t *err = NULL;

    script(1, ((fake_answer_t){APR_SUCCESS, 200, apr_psprintf(p, res, "u1"), NULL, "\"r1\""}));
    s3up_store_reservation_get(&r, st, "uploads/acme/a.bin", "u1", &err, p);
    script(0);
    ok(s3up_store_reservation_get(&r, st, "uploads/acme/a.bin", "u1", &err, p) == APR_SUCCESS &&
           s3up_store_reservation_get(&again, st, "uploads/acme/a.bin", "u1", &err, p) ==
               APR_SUCCESS &&
           fake.calls == 0,
       "a reservation from the memo");
    ok(r != again && !strcmp(again->upload_id, "u1") && !strcmp(again->owner, "alice") &&
           again->size == 10 && again->part_size == 5 && !strcmp(again->etag, "\"r1\""),
       "a copy of its own for each caller, equal to the record");
    r->upload_id = "changed";
    s3up_store_reservation_get(&again, st, "uploads/acme/a.bin", "u1", &err, p);
    ok(!strcmp(again->upload_id, "u1"), "a caller's changes do not reach the memo");
    script(2, ((fake_answer_t){APR_SUCCESS, 200, apr_psprintf(p, res, "u2"), NULL, "\"r2\""}),
           ((fake_answer_t){APR_SUCCESS, 200, apr_psprintf(p, res, "u2"), NULL, "\"r2\""}));
    ok(s3up_store_reservation_get(&again, st, "uploads/acme/a.bin", "u2", &err, p) == APR_SUCCESS &&
           !strcmp(again->upload_id, "u2"),
       "asked for another upload: read again, and that one's");
    script(1, ((fake_answer_t){APR_SUCCESS, 200,
                               "{\"key\":\"uploads/acme/zzzzzzzzzzzz.bin\",\"endpoint\":\"xx\","
                               "\"owner\":\"bob\",\"upload_id\":\"v9\",\"expires\":"
                               "\"2030-01-01T00:00:00Z\",\"nonce\":\"n9\"}",
                               NULL, "\"z1\""}));
    s3up_store_reservation_get(&again, st, "uploads/acme/zzzzzzzzzzzz.bin", NULL, &err, p);
    s3up_store_reservation_get(&r, st, "uploads/acme/a.bin", "u2", &err, p);
    s3up_store_reservation_get(&r, st, "uploads/acme/a.bin", "u2", &err, p); /* from the memo */
    s3up_store_reservation_get(&again, st, "uploads/acme/zzzzzzzzzzzz.bin", NULL, &err, p);
    ok(!strcmp(r->upload_id, "u2") && !strcmp(r->owner, "alice") &&
           !strcmp(r->key, "uploads/acme/a.bin") && !strcmp(again->owner, "bob"),
       "a reservation from the memo stays whole after another is read");
}

/* One request reading two endpoints (the admin's list): the first, taken
 * from the memo, must outlive the memo's next parse. */
static void test_memo_two(s3up_store_t *st, apr_pool_t *p)
{
    const char *beta = "{\"id\":\"beta\",\"prefix\":\"uploads/beta-longer-prefix/\","
                       "\"members\":[\"carol-with-a-long-name\"],\"created\":"
                       "\"2026-11-02T10:00:00Z\",\"created_by\":\"root\",\"expires\":null,"
                       "\"max_file_size\":1,\"status\":\"revoked\",\"note\":\"B\"}";
    s3up_endpoint_t *first, *second;
    s3up_error_t *err = NULL;

    fake_clock += apr_time_from_sec(60);
    script(2, ((fake_answer_t){APR_SUCCESS, 200, record, NULL, "\"m3\""}),
           ((fake_answer_t){APR_SUCCESS, 200, beta, NULL, "\"b1\""}));
    s3up_store_endpoint_get(&first, st, "acme", &err, p); /* both read, then cached */
    s3up_store_endpoint_get(&second, st, "beta", &err, p);
    s3up_store_endpoint_get(&first, st, "acme", &err, p);  /* acme parsed into the memo */
    s3up_store_endpoint_get(&first, st, "acme", &err, p);  /* from the memo */
    s3up_store_endpoint_get(&second, st, "beta", &err, p); /* beta into the memo */
    ok(first && second && !strcmp(first->id, "acme") && !strcmp(first->prefix, "uploads/acme/") &&
           !strcmp(first->status, "active") &&
           !strcmp(APR_ARRAY_IDX(first->members, 0, const char *), "alice") &&
           !strcmp(second->id, "beta"),
       "an endpoint from the memo stays whole after another is read");
}

static void test_memo(apr_pool_t *p)
{
    s3up_store_cache_t *cache;
    s3up_store_t store;
    s3up_s3_t s3;
    s3up_sigv4_t *signer;
    s3up_endpoint_t *ep, *again;
    s3up_error_t *err = NULL;

    s3up_sigv4_create(&signer, p);
    s3up_s3_init(&s3, &loc, &creds, signer, &http);
    s3.aws.now = fixed_now;
    s3.aws.max_attempts = 1;
    s3up_store_cache_create(&cache, p);
    store = (s3up_store_t){cache, &s3, ".s3up/", apr_time_from_sec(30), s3up_store_memo_create(p)};

    script(1, ((fake_answer_t){APR_SUCCESS, 200, record, NULL, "\"m1\""}));
    s3up_store_endpoint_get(&ep, &store, "acme", &err, p);
    script(0);
    ok(s3up_store_endpoint_get(&ep, &store, "acme", &err, p) == APR_SUCCESS &&
           s3up_store_endpoint_get(&again, &store, "acme", &err, p) == APR_SUCCESS,
       "from the memo");
    ok(ep != again && ep->members != again->members && !strcmp(again->id, "acme") &&
           again->members->nelts == 2 && !strcmp(again->etag, "\"m1\""),
       "each caller gets its own copy, equal to the record");
    ep->status = "changed";
    APR_ARRAY_PUSH(ep->members, const char *) = "someone";
    s3up_store_endpoint_get(&again, &store, "acme", &err, p);
    ok(!strcmp(again->status, "active") && again->members->nelts == 2,
       "a caller's changes do not reach the memo");

    script(1, OK(200));
    s3up_store_member_add(&store, "dave", "acme", &err, p);
    script(1, ((fake_answer_t){APR_SUCCESS, 200, record, NULL, "\"m2\""}));
    s3up_store_endpoint_get(&again, &store, "acme", &err, p);
    ok(fake.calls == 1 && !strcmp(again->etag, "\"m2\""), "after a write: read and parsed anew");
    script(1, BODY(404, "<Error><Code>NoSuchKey</Code></Error>"));
    fake_clock += apr_time_from_sec(31);
    ok(s3up_store_endpoint_get(&again, &store, "acme", &err, p) == S3UP_ENOTFOUND,
       "a record gone after the TTL is gone, memo or not");
    test_memo_two(&store, p);
    test_memo_reservation(&store, p);
}

/* Answers that a record does not exist are kept apart: anyone can ask
 * for links that do not exist, and none of that may push a record that
 * exists out of the cache. */
static void test_negatives(apr_pool_t *p)
{
    fake_s3_t *f = fake_s3_create(p);
    s3up_http_t h;
    s3up_store_cache_t *cache;
    s3up_store_t st;
    s3up_s3_t s3;
    s3up_sigv4_t *signer;
    s3up_endpoint_t *ep;
    s3up_link_t *link;
    s3up_error_t *err = NULL;
    int absent = 0;

    fake_s3_attach(f, &h);
    s3up_sigv4_create(&signer, p);
    s3up_s3_init(&s3, &loc, &creds, signer, &h);
    s3.aws.now = fixed_now;
    s3up_store_cache_create(&cache, p);
    st = (s3up_store_t){cache, &s3, ".s3up/", apr_time_from_sec(300), NULL};
    fake_s3_put_object(f, "bkt", ".s3up/endpoints/acme.json", record, strlen(record), NULL);

    ok(s3up_store_endpoint_get(&ep, &st, "acme", &err, p) == APR_SUCCESS, "a record read");
    fake_s3_reset_counts(f);
    for (int i = 0; i < 5000; i++) {
        const char *id = s3up_sha256_hex(&i, sizeof(i), p);
        absent += s3up_store_link_get(&link, &st, id, &err, p) == S3UP_ENOTFOUND;
    }
    is_int(absent, 5000, "5,000 random links: none exists");
    is_int(fake_s3_calls(f, NULL), 5000, "each cost one lookup");
    fake_s3_reset_counts(f);
    ok(s3up_store_endpoint_get(&ep, &st, "acme", &err, p) == APR_SUCCESS &&
           fake_s3_calls(f, NULL) == 0,
       "the record is still served from the cache");
    {
        int last = 4999;
        ok(s3up_store_link_get(&link, &st, s3up_sha256_hex(&last, sizeof(last), p), &err, p) ==
                   S3UP_ENOTFOUND &&
               fake_s3_calls(f, NULL) == 0,
           "a recent absent link is known absent from the cache");
    }
}

#if APR_HAS_THREADS
/* A store that takes 50 ms to answer, and counts what it is asked. */
static volatile apr_uint32_t slow_calls;
static apr_status_t slow_status = 200;
static const char *slow_listing =
    "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>.s3up/members/"
    "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90/acme"
    "</Key><Size>0</Size></Contents></ListBucketResult>";

static apr_status_t slow_perform(s3up_http_resp_t **out, const char **detail, s3up_http_t *h,
                                 const s3up_http_req_t *req, apr_pool_t *p)
{
    s3up_http_resp_t *resp = apr_pcalloc(p, sizeof(*resp));

    (void)detail;
    (void)h;
    apr_atomic_inc32(&slow_calls);
    apr_sleep(apr_time_from_msec(50));
    resp->status = slow_status;
    resp->headers = apr_table_make(p, 1);
    apr_table_set(resp->headers, "ETag", "\"v1\"");
    resp->body = slow_status != 200                ? "<Error><Code>AccessDenied</Code></Error>"
                 : strstr(req->url, "list-type=2") ? slow_listing
                                                   : record;
    resp->body_len = strlen(resp->body);
    *out = resp;
    return APR_SUCCESS;
}

static const s3up_http_ops_t slow_ops = {slow_perform, NULL};

typedef struct reader_t {
    s3up_store_t *st;
    int index; /* lists alice's endpoints rather than reading acme's record */
    apr_status_t rv;
} reader_t;

static void *APR_THREAD_FUNC read_record(apr_thread_t *t, void *data)
{
    reader_t *rd = data;
    apr_pool_t *p;
    s3up_sigv4_t *signer;
    s3up_http_t slow = {&slow_ops, NULL, 0, 0, 0};
    s3up_s3_t s3;
    s3up_store_t st = *rd->st;
    s3up_endpoint_t *ep;
    s3up_error_t *err;

    apr_pool_create(&p, NULL);
    s3up_sigv4_create(&signer, p);
    s3up_s3_init(&s3, &loc, &creds, signer, &slow);
    s3.aws.now = apr_time_now;
    s3.aws.max_attempts = 1;
    st.s3 = &s3;
    if (rd->index) {
        apr_array_header_t *ids;
        rd->rv = s3up_store_member_endpoints(&ids, &st, "alice", &err, p);
        if (rd->rv == APR_SUCCESS &&
            (ids->nelts != 1 || strcmp(APR_ARRAY_IDX(ids, 0, const char *), "acme"))) {
            rd->rv = APR_EGENERAL;
        }
    } else {
        rd->rv = s3up_store_endpoint_get(&ep, &st, "acme", &err, p);
    }
    apr_pool_destroy(p);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* Threads of one process reading the same record (or listing the same
 * index) at once: ask S3 once (the others would each hold an httpd worker
 * for the answer). */
static void read_together(int index, apr_status_t status, apr_status_t want, const char *what,
                          apr_pool_t *p)
{
    enum { READERS = 8 };
    s3up_store_cache_t *cache;
    s3up_store_t st = {NULL, NULL, ".s3up/", apr_time_from_sec(30), NULL};
    apr_thread_t *threads[READERS];
    reader_t readers[READERS];
    apr_status_t ignored;
    int same = 1;

    s3up_store_cache_create(&cache, p);
    st.cache = cache;
    slow_calls = 0;
    slow_status = status;
    for (int i = 0; i < READERS; i++) {
        readers[i] = (reader_t){&st, index, -1};
        apr_thread_create(&threads[i], NULL, read_record, &readers[i], p);
    }
    for (int i = 0; i < READERS; i++) {
        apr_thread_join(&ignored, threads[i]);
        same = same && readers[i].rv == want;
    }
    ok(same && slow_calls == 1, "%s", what);
    if (slow_calls != 1) {
        diag("S3 was asked %u times", slow_calls);
    }
}

static void test_read_once(apr_pool_t *p)
{
    read_together(0, 200, APR_SUCCESS,
                  "8 threads missing one record at once: S3 asked once, all answered", p);
    read_together(0, 403, S3UP_ES3, "and when S3 refuses, all 8 get its refusal from one request",
                  p);
    read_together(1, 200, APR_SUCCESS,
                  "8 threads missing one member index at once: listed once, all answered", p);
    read_together(1, 403, S3UP_ES3, "and when S3 refuses the listing, all 8 get its refusal", p);
}
#endif

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    s3up_xml_init();
    s3up_s3_loc_init(&loc, "http://127.0.0.1:7480", "us-east-1", "bkt", 1, p);

    test_ids();
    test_json(p);
    test_cache(p);
    test_memo(p);
    test_board(p);
    test_negatives(p);
#if APR_HAS_THREADS
    test_read_once(p);
#endif

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
