/*
 * S3 operations with the transport replaced through its function table:
 * what goes out (URL, method, signed headers, body), how answers and errors
 * come back, and which failures are retried how often.
 */
#include <apr_base64.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_s3.h"
#include "s3up_xml.h"
#include "fake_http.h"
#include "tap.h"

static s3up_s3_loc_t loc;
static s3up_creds_t creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, 0};
static s3up_http_t http = {&fake_ops, NULL, 0, 0, 0};

static s3up_s3_t client(apr_pool_t *p)
{
    s3up_s3_t s3;
    s3up_sigv4_t *signer;
    s3up_sigv4_create(&signer, p);
    s3up_s3_init(&s3, &loc, &creds, signer, &http);
    s3.aws.now = fixed_now;
    s3.aws.sleep = record_sleep;
    s3.aws.random = no_jitter;
    return s3;
}

static void test_locations(apr_pool_t *p)
{
    s3up_s3_loc_t l;

    ok(s3up_s3_loc_init(&l, "http://127.0.0.1:7480", "us-east-1", "bkt", 1, p) == APR_SUCCESS,
       "path-style loc");
    is_str(l.host, "127.0.0.1:7480", "host keeps a non-default port");
    is_str(s3up_s3_url(&l, "a b/c+d", p), "http://127.0.0.1:7480/bkt/a%20b/c%2Bd",
           "key encoded once, slashes kept");
    is_str(s3up_s3_url(&l, NULL, p), "http://127.0.0.1:7480/bkt", "bucket URL");

    ok(s3up_s3_loc_init(&l, "https://s3.eu-west-1.amazonaws.com:443/", "eu-west-1", "bkt", 0, p) ==
           APR_SUCCESS,
       "virtual-hosted loc");
    is_str(l.host, "bkt.s3.eu-west-1.amazonaws.com", "default port left out of Host");
    is_str(s3up_s3_url(&l, "k", p), "https://bkt.s3.eu-west-1.amazonaws.com/k",
           "virtual-hosted URL");

    ok(s3up_s3_loc_init(&l, "http://[::1]:9000", "r", "b", 1, p) == APR_SUCCESS &&
           !strcmp(l.host, "[::1]:9000"),
       "IPv6 literal keeps its brackets");
    ok(s3up_s3_loc_init(&l, "ftp://x", "r", "b", 1, p) == APR_EINVAL, "ftp refused");
    ok(s3up_s3_loc_init(&l, "http://x/path", "r", "b", 1, p) == APR_EINVAL, "path refused");
    ok(s3up_s3_loc_init(&l, "http://u:pw@x", "r", "b", 1, p) == APR_EINVAL, "user info refused");
    ok(s3up_s3_loc_init(&l, "http://x?q=1", "r", "b", 1, p) == APR_EINVAL, "query refused");
    ok(s3up_s3_loc_init(&l, "not a url", "r", "b", 1, p) == APR_EINVAL, "garbage refused");
}

static void test_put_request(apr_pool_t *p)
{
    s3up_s3_t s3 = client(p);
    s3up_error_t *err = NULL;
    s3up_put_cond_t cond = {1, NULL};
    const char *etag = NULL;
    apr_status_t rv;

    script(1, ((fake_answer_t){APR_SUCCESS, 200, NULL, NULL, "\"abc\""}));
    rv = s3up_s3_put(&etag, &s3, ".s3up/endpoints/acme.json", "{}", 2, "application/json", &cond,
                     &err, p);
    is_int(rv, APR_SUCCESS, "put succeeds");
    is_str(fake.method, "PUT", "put method");
    is_str(fake.url, "http://127.0.0.1:7480/bkt/.s3up/endpoints/acme.json", "put URL");
    is_str(sent_header("x-amz-content-sha256"),
           "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
           "payload hash of the body is signed");
    ok(sent_header("authorization") &&
           strstr(sent_header("authorization"), "Credential=AKIDEXAMPLE/20251129/us-east-1/s3/"),
       "authorization header with the scope");
    is_str(sent_header("if-none-match"), "*", "create-only condition sent");
    is_str(sent_header("content-type"), "application/json", "content type sent");
    is_str(etag, "\"abc\"", "ETag returned");

    cond = (s3up_put_cond_t){0, "\"abc\""};
    script(1, OK(200));
    s3up_s3_put(NULL, &s3, "k", "x", 1, NULL, &cond, &err, p);
    is_str(sent_header("if-match"), "abc", "If-Match sent without quotes (Ceph needs it)");

    script(1, BODY(412, "<Error><Code>PreconditionFailed</Code><Message>At least one of the "
                        "pre-conditions you specified did not hold</Message></Error>"));
    rv = s3up_s3_put(NULL, &s3, "k", "x", 1, NULL, &cond, &err, p);
    is_int(rv, S3UP_ECONFLICT, "failed condition is a conflict");
    is_str(err ? err->code : NULL, "PreconditionFailed", "with S3's code");

    cond = (s3up_put_cond_t){1, NULL};
    script(2, FAIL(S3UP_ETRANSPORT), OK(200));
    rv = s3up_s3_put(NULL, &s3, "k", "x", 1, NULL, &cond, &err, p);
    ok(rv == S3UP_ETRANSPORT && fake.calls == 1,
       "conditional put not repeated after a lost answer (calls=%d)", fake.calls);
}

static void test_retries(apr_pool_t *p)
{
    s3up_s3_t s3 = client(p);
    s3up_error_t *err = NULL;
    s3up_object_t *obj;
    const char *upload_id;
    apr_status_t rv;

    script(3,
           BODY(503, "<Error><Code>SlowDown</Code><Message>Reduce your request "
                     "rate</Message></Error>"),
           FAIL(S3UP_ETRANSPORT), ((fake_answer_t){APR_SUCCESS, 200, NULL, NULL, "\"e\""}));
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    is_int(rv, APR_SUCCESS, "head succeeds after SlowDown and a network error");
    is_int(fake.calls, 3, "three attempts");
    is_int(fake.sleeps, 2, "two backoffs");
    ok(fake.slept[0] == apr_time_from_msec(50) && fake.slept[1] == apr_time_from_msec(100),
       "backoff doubles (%" APR_TIME_T_FMT ", %" APR_TIME_T_FMT " us)", fake.slept[0],
       fake.slept[1]);

    script(6, FAIL(S3UP_ETRANSPORT), FAIL(S3UP_ETRANSPORT), FAIL(S3UP_ETRANSPORT),
           FAIL(S3UP_ETRANSPORT), FAIL(S3UP_ETRANSPORT), OK(200));
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    ok(rv == S3UP_ETRANSPORT && fake.calls == 4, "gives up after max_attempts (calls=%d)",
       fake.calls);
    ok(err && err->retryable && !strcmp(err->code, "TransportError"),
       "transport error reported as such");

    script(2,
           BODY(403, "<Error><Code>SignatureDoesNotMatch</Code><Message>sig</Message>"
                     "<RequestId>tx1</RequestId></Error>"),
           OK(200));
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    ok(rv == S3UP_ES3 && fake.calls == 1, "403 is not retried");
    is_str(err->code, "SignatureDoesNotMatch", "S3 code kept");
    is_str(err->request_id, "tx1", "request id kept");
    is_int(err->http_status, 403, "HTTP status kept");

    script(2, BODY(500, "<Error><Code>InternalError</Code></Error>"),
           BODY(200, "<InitiateMultipartUploadResult><UploadId>u1</UploadId>"
                     "</InitiateMultipartUploadResult>"));
    rv = s3up_s3_create_multipart(&upload_id, &s3, "k", NULL, NULL, &err, p);
    ok(rv == S3UP_ES3 && fake.calls == 1, "create (not idempotent) not repeated after a 500");

    /* Found by t/integration/faults.t: SlowDown turned away a create that
     * was never retried. */
    script(3, BODY(503, "<Error><Code>SlowDown</Code></Error>"),
           BODY(503, "<Error><Code>ServiceUnavailable</Code></Error>"),
           BODY(200, "<InitiateMultipartUploadResult><UploadId>u2</UploadId>"
                     "</InitiateMultipartUploadResult>"));
    rv = s3up_s3_create_multipart(&upload_id, &s3, "k", NULL, NULL, &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 3,
       "create repeated after 503s: S3 turned it away, nothing was made");
    script(2, BODY(504, "<Error><Code>GatewayTimeout</Code></Error>"),
           BODY(200, "<InitiateMultipartUploadResult><UploadId>u3</UploadId>"
                     "</InitiateMultipartUploadResult>"));
    rv = s3up_s3_create_multipart(&upload_id, &s3, "k", NULL, NULL, &err, p);
    ok(rv == S3UP_ES3 && fake.calls == 1, "but not after a 504: it may have been made");

    script(2, FAIL(S3UP_ENOCONNECT),
           BODY(200, "<InitiateMultipartUploadResult><UploadId>u1</UploadId>"
                     "</InitiateMultipartUploadResult>"));
    rv = s3up_s3_create_multipart(&upload_id, &s3, "k", NULL, NULL, &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 2, "create repeated when nothing was sent");
    is_str(upload_id, "u1", "upload id");
    is_str(fake.method, "POST", "create is a POST");
    is_str(fake.url, "http://127.0.0.1:7480/bkt/k?uploads=", "create URL");
}

static void test_errors(apr_pool_t *p)
{
    s3up_s3_t s3 = client(p);
    s3up_error_t *err = NULL;
    s3up_object_t *obj;
    s3up_complete_t *done;
    apr_array_header_t *parts = apr_array_make(p, 2, sizeof(s3up_part_t));
    apr_status_t rv;

    script(1, ((fake_answer_t){APR_SUCCESS, 404, NULL, "req-9", NULL}));
    rv = s3up_s3_head(&obj, &s3, "missing", &err, p);
    is_int(rv, S3UP_ENOTFOUND, "HEAD 404 is not found");
    is_str(err->code, "NoSuchKey", "HEAD 404 gets NoSuchKey (no body to read)");
    is_str(err->request_id, "req-9", "request id from the header");

    script(1, BODY(404, "<Error><Code>NoSuchUpload</Code><Message>The specified upload does "
                        "not exist.</Message></Error>"));
    rv = s3up_s3_abort(&s3, "k", "u1", &err, p);
    is_int(rv, S3UP_ENOTFOUND, "abort of an unknown upload is not found");
    is_str(err->code, "NoSuchUpload", "code NoSuchUpload");
    is_str(fake.method, "DELETE", "abort is a DELETE");

    ((s3up_part_t *)apr_array_push(parts))->number = 2;
    APR_ARRAY_IDX(parts, 0, s3up_part_t).etag = "b";
    ((s3up_part_t *)apr_array_push(parts))->number = 1;
    APR_ARRAY_IDX(parts, 1, s3up_part_t).etag = "\"a\"";

    script(2,
           BODY(200, "<Error><Code>InternalError</Code><Message>We encountered an internal "
                     "error. Please try again.</Message></Error>"),
           BODY(200, "<CompleteMultipartUploadResult><Location>http://x/bkt/k</Location>"
                     "<Bucket>bkt</Bucket><Key>k</Key><ETag>\"e-2\"</ETag>"
                     "</CompleteMultipartUploadResult>"));
    rv = s3up_s3_complete(&done, &s3, "k", "u1", parts, &err, p);
    ok(rv == APR_SUCCESS && fake.calls == 2, "200 with InternalError body is retried");
    is_str(done->etag, "\"e-2\"", "complete result read");
    ok(fake.body && strstr(fake.body, "<PartNumber>1</PartNumber>") <
                        strstr(fake.body, "<PartNumber>2</PartNumber>"),
       "parts sent in order");

    script(1, BODY(200, "<Error><Code>EntityTooSmall</Code><Message>Your proposed upload is "
                        "smaller than the minimum allowed object size.</Message></Error>"));
    rv = s3up_s3_complete(&done, &s3, "k", "u1", parts, &err, p);
    is_int(rv, S3UP_ES3, "200 with an error body is an error");
    is_str(err->code, "EntityTooSmall", "its code kept");
    is_int(fake.calls, 1, "and not retried");

    script(1, BODY(200, "<CompleteMultipartUploadResult>"));
    rv = s3up_s3_complete(&done, &s3, "k", "u1", parts, &err, p);
    ok(rv == S3UP_EPARSE && !strcmp(err->code, "BadResponse"), "truncated answer is a parse error");

    script(1, BODY(503, "not xml at all"));
    s3.aws.max_attempts = 1;
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    ok(rv == S3UP_ES3 && !strcmp(err->code, "ServiceUnavailable") && err->retryable,
       "unreadable error body: code from the status");
}

static void test_list_parts(apr_pool_t *p)
{
    s3up_s3_t s3 = client(p);
    s3up_error_t *err = NULL;
    apr_array_header_t *parts;
    apr_status_t rv;

    script(2,
           BODY(200, "<ListPartsResult><IsTruncated>true</IsTruncated>"
                     "<NextPartNumberMarker>1</NextPartNumberMarker>"
                     "<Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag><Size>5242880</Size>"
                     "<LastModified>2026-11-29T10:00:00.000Z</LastModified></Part>"
                     "</ListPartsResult>"),
           BODY(200, "<ListPartsResult><IsTruncated>false</IsTruncated>"
                     "<Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag><Size>7</Size>"
                     "<LastModified>2026-11-29T10:00:01.000Z</LastModified></Part>"
                     "</ListPartsResult>"));
    rv = s3up_s3_list_parts(&parts, &s3, "k", "u1", &err, p);
    is_int(rv, APR_SUCCESS, "list parts over two pages");
    is_int(parts->nelts, 2, "both pages' parts");
    ok(strstr(fake.url, "part-number-marker=1") != NULL, "second page asked from the marker");

    script(2,
           BODY(200, "<ListPartsResult><IsTruncated>true</IsTruncated>"
                     "<NextPartNumberMarker>0</NextPartNumberMarker></ListPartsResult>"),
           BODY(200, "<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>"));
    rv = s3up_s3_list_parts(&parts, &s3, "k", "u1", &err, p);
    ok(rv == S3UP_EPARSE && fake.calls == 1, "a marker that does not advance stops paging");
}

static void test_presign(apr_pool_t *p)
{
    s3up_s3_t s3 = client(p);
    const char *url;

    script(0);
    ok(s3up_s3_presign_upload_part(&url, &s3, "uploads/acme/a b.bin", "u+1", 7, 5242880,
                                   apr_time_from_sec(3600), p) == APR_SUCCESS,
       "presign a part");
    ok(strstr(url, "X-Amz-SignedHeaders=content-length%3Bhost&") != NULL,
       "the part's length is signed with the host: %s", url);
    ok(!strncmp(url, "http://127.0.0.1:7480/bkt/uploads/acme/a%20b.bin?", 49), "part URL path: %s",
       url);
    ok(strstr(url, "partNumber=7") && strstr(url, "uploadId=u%2B1") &&
           strstr(url, "X-Amz-Expires=3600") && strstr(url, "X-Amz-Signature="),
       "part URL query");
    is_int(fake.calls, 0, "presigning makes no network call");
    ok(s3up_s3_presign_upload_part(&url, &s3, "k", "u", 0, 1, apr_time_from_sec(60), p) ==
           APR_EINVAL,
       "part 0 refused");
    ok(s3up_s3_presign_upload_part(&url, &s3, "k", "u", 10001, 1, apr_time_from_sec(60), p) ==
           APR_EINVAL,
       "part 10001 refused");
    ok(s3up_s3_presign_upload_part(&url, &s3, "k", "u", 1, -1, apr_time_from_sec(60), p) ==
           APR_EINVAL,
       "a part without a length refused");
    ok(s3up_s3_presign_upload_part(&url, &s3, "k", "u", 1, 0, apr_time_from_sec(60), p) ==
               APR_SUCCESS &&
           strstr(url, "content-length%3Bhost"),
       "an empty part (of an empty file) is signed for 0 bytes");
    ok(s3up_s3_presign_upload_part(&url, &s3, "k", "u", 1, 1, apr_time_from_sec(8 * 86400), p) ==
           APR_EINVAL,
       "more than 7 days refused");
    ok(s3up_s3_presign_get(&url, &s3, "k", "attachment; filename=\"x y\"", apr_time_from_sec(60),
                           p) == APR_SUCCESS &&
           strstr(url, "response-content-disposition=attachment%3B%20filename%3D%22x%20y%22"),
       "presigned GET carries the disposition");
}

static void test_post_policy(apr_pool_t *p)
{
    s3up_s3_t s3 = client(p);
    s3up_post_t *post;
    apr_table_t *meta = apr_table_make(p, 2);

    apr_table_set(meta, "uploaded-by", "alice@example.com");
    ok(s3up_s3_post_policy(&post, &s3, "uploads/acme/x.txt", 1024, "text/plain", meta,
                           apr_time_from_sec(600), p) == APR_SUCCESS,
       "post policy made");
    is_str(post->url, "http://127.0.0.1:7480/bkt/", "bucket URL ending in /");
    is_str(s3up_kv_get(post->fields, "key"), "uploads/acme/x.txt", "key field");
    is_str(s3up_kv_get(post->fields, "x-amz-meta-uploaded-by"), "alice@example.com",
           "metadata field");
    ok(s3up_kv_get(post->fields, "policy") && s3up_kv_get(post->fields, "x-amz-signature"),
       "policy and signature fields");
    is_int(post->expires, fixed_now() + apr_time_from_sec(600), "expiry");
}

/* Encryption on every write, the storage class on files only, all signed;
 * a POST policy requires them as fields (botocore's JSON layout). */
#define KMS_COND "{\"x-amz-server-side-encryption-aws-kms-key-id\": \"alias/uploads\"}"
#define CLASS_COND "{\"x-amz-storage-class\": \"STANDARD_IA\"}"
static void test_storage(apr_pool_t *p)
{
    s3up_s3_t s3 = client(p);
    s3up_error_t *err = NULL;
    const char *upload_id = NULL, *auth, *policy;
    s3up_post_t *post;
    apr_size_t len;
    char *json;

    s3.storage = (s3up_s3_storage_t){"aws:kms", "alias/uploads", "STANDARD_IA"};
    script(1, BODY(200, "<InitiateMultipartUploadResult><UploadId>u1</UploadId>"
                        "</InitiateMultipartUploadResult>"));
    s3up_s3_create_multipart(&upload_id, &s3, "uploads/a/f", NULL, NULL, &err, p);
    is_str(sent_header("x-amz-server-side-encryption"), "aws:kms", "create: SSE header");
    is_str(sent_header("x-amz-server-side-encryption-aws-kms-key-id"), "alias/uploads",
           "create: the KMS key");
    is_str(sent_header("x-amz-storage-class"), "STANDARD_IA", "create: the storage class");
    auth = sent_header("authorization");
    ok(auth &&
           strstr(auth, "x-amz-server-side-encryption;x-amz-server-side-encryption-aws-kms-key-id;"
                        "x-amz-storage-class"),
       "create: all three are signed");

    script(1, OK(200));
    s3up_s3_put(NULL, &s3, ".s3up/endpoints/a.json", "{}", 2, NULL, NULL, &err, p);
    is_str(sent_header("x-amz-server-side-encryption"), "aws:kms", "a record: encrypted too");
    is_str(sent_header("x-amz-storage-class"), NULL, "a record: the bucket's storage class");

    ok(s3up_s3_post_policy(&post, &s3, "uploads/a/g", 10, NULL, NULL, apr_time_from_sec(60), p) ==
           APR_SUCCESS,
       "post policy made");
    is_str(s3up_kv_get(post->fields, "x-amz-server-side-encryption"), "aws:kms", "POST: SSE field");
    is_str(s3up_kv_get(post->fields, "x-amz-storage-class"), "STANDARD_IA",
           "POST: storage class field");
    policy = s3up_kv_get(post->fields, "policy");
    json = policy ? apr_palloc(p, apr_base64_decode_len(policy) + 1) : NULL;
    len = json ? (apr_size_t)apr_base64_decode(json, policy) : 0;
    ok(json && memmem(json, len, KMS_COND, strlen(KMS_COND)) &&
           memmem(json, len, CLASS_COND, strlen(CLASS_COND)),
       "POST: the policy requires them");

    s3.storage = (s3up_s3_storage_t){"AES256", NULL, NULL};
    script(1, OK(200));
    s3up_s3_put(NULL, &s3, "k", "x", 1, NULL, NULL, &err, p);
    ok(!strcmp(sent_header("x-amz-server-side-encryption"), "AES256") &&
           !sent_header("x-amz-server-side-encryption-aws-kms-key-id"),
       "AES256 alone");
}

/* A sleep that lets the fake clock move on, as a real one does. */
static void sleep_on_clock(apr_interval_time_t t)
{
    record_sleep(t);
    fake_clock += t;
}

/* A store that stops answering: every attempt and wait of a call fits in
 * its budget, each attempt getting what is left as its timeout, and the
 * error says how long a client should wait. */
static void test_budget(apr_pool_t *p)
{
    s3up_s3_t s3 = client(p);
    apr_time_t was = fake_clock;
    apr_interval_time_t budget = apr_time_from_sec(S3UP_AWS_BUDGET);
    s3up_error_t *err = NULL;
    s3up_object_t *obj;
    apr_status_t rv;

    s3.aws.sleep = sleep_on_clock;
    is_int(apr_time_sec(s3.aws.budget), S3UP_AWS_BUDGET, "a call's default budget");
    ok(S3UP_AWS_BUDGET <= 15, "is seconds, not minutes (%d s)", S3UP_AWS_BUDGET);

    /* Each attempt times out after the transport's 10 s. */
    script(4, FAIL(S3UP_ETRANSPORT), FAIL(S3UP_ETRANSPORT), FAIL(S3UP_ETRANSPORT), OK(200));
    fake.takes[0] = apr_time_from_sec(S3UP_HTTP_TIMEOUT);
    fake.takes[1] = apr_time_from_sec(2);
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    is_int(rv, S3UP_ETRANSPORT, "a stalled store: the call fails");
    is_int(fake.calls, 2, "... after one retry that fits in the budget");
    is_int(fake.timeouts[0], budget, "the first attempt may take the whole budget");
    ok(fake.timeouts[1] > 0 && fake.timeouts[1] <= budget - apr_time_from_sec(S3UP_HTTP_TIMEOUT),
       "the retry gets what is left (%" APR_TIME_T_FMT " us)", fake.timeouts[1]);
    ok(fake_clock - was <= budget, "the call took at most its budget (%" APR_TIME_T_FMT " us)",
       fake_clock - was);
    is_int(err->retry_after, 5, "no answer: Retry-After 5 s");

    /* A budget spent before the first backoff: no retry at all. */
    was = fake_clock;
    script(2, FAIL(S3UP_ETRANSPORT), OK(200));
    fake.takes[0] = budget;
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    ok(rv == S3UP_ETRANSPORT && fake.calls == 1, "no time left: not retried (calls=%d)",
       fake.calls);

    /* A call with a budget of its own. */
    script(1, FAIL(S3UP_ETRANSPORT));
    {
        apr_array_header_t *parts = apr_array_make(p, 1, sizeof(s3up_part_t));
        s3up_part_t *part = apr_array_push(parts);
        s3up_complete_t *done;
        part->number = 1;
        part->etag = "e";
        s3.aws.max_attempts = 1;
        s3up_s3_complete(&done, &s3, "k", "u", parts, &err, p);
        s3.aws.max_attempts = 4;
    }
    is_int(fake.timeouts[0], apr_time_from_sec(S3UP_S3_COMPLETE_BUDGET),
           "CompleteMultipartUpload has a longer budget");

    /* Busy: S3's own Retry-After is passed on, within bounds. */
    s3.aws.max_attempts = 1;
    script(1, BODY(503, "<Error><Code>SlowDown</Code></Error>"));
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    is_int(err->retry_after, 2, "busy without Retry-After: 2 s");
    script(1, BODY(503, "<Error><Code>SlowDown</Code></Error>"));
    fake.retry_after = "7";
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    is_int(err->retry_after, 7, "S3's Retry-After: 7 s");
    script(1, BODY(503, "<Error><Code>SlowDown</Code></Error>"));
    fake.retry_after = "86400";
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    is_int(err->retry_after, S3UP_AWS_RETRY_AFTER_MAX, "... at most a minute");
    script(1, BODY(503, "<Error><Code>SlowDown</Code></Error>"));
    fake.retry_after = "Wed, 21 Oct 2015 07:28:00 GMT";
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    is_int(err->retry_after, 2, "a date is not read: 2 s");
    script(1, BODY(403, "<Error><Code>AccessDenied</Code></Error>"));
    rv = s3up_s3_head(&obj, &s3, "k", &err, p);
    is_int(err->retry_after, 0, "a refusal: no Retry-After");
    (void)rv;
    fake_clock = was;
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    s3up_xml_init();
    s3up_s3_loc_init(&loc, "http://127.0.0.1:7480", "us-east-1", "bkt", 1, p);

    test_locations(p);
    test_put_request(p);
    test_retries(p);
    test_budget(p);
    test_errors(p);
    test_list_parts(p);
    test_presign(p);
    test_post_policy(p);
    test_storage(p);

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
