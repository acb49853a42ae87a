/*
 * Every S3 operation of the core, end to end against the Ceph RGW that
 * t/run started (S3UP_TEST_* in the environment). Part PUTs, presigned GETs
 * and POST-policy uploads go through the curl command, not our code, so
 * they prove the URLs work for any client.
 */
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <openssl/evp.h>

#include "s3up_s3.h"
#include "s3up_xml.h"
#include "tap.h"

#define MiB (1024 * 1024)

static apr_pool_t *pool;
static const char *tmpdir;
static const char *prefix;
static s3up_curl_share_t *share;
static s3up_sigv4_t *signer;
static s3up_creds_t creds;
static s3up_s3_loc_t loc;

static const char *env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        printf("Bail out! %s is not set: run integration tests through t/run\n", name);
        exit(1);
    }
    return v;
}

static s3up_s3_t client(const s3up_s3_loc_t *l, const s3up_creds_t *c)
{
    s3up_s3_t s3;
    s3up_http_t *http;
    s3up_curl_create(&http, share, pool);
    s3up_s3_init(&s3, l, c, signer, http);
    return s3;
}

static const char *sha256(const void *data, apr_size_t len)
{
    unsigned char md[32];
    unsigned int n = 0;
    char *hex = apr_palloc(pool, 65);
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        sprintf(hex + 2 * i, "%02x", md[i]);
    }
    return hex;
}

/* Runs a shell command, returns its stdout (NUL-terminated). */
static char *run(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    apr_size_t cap = 65536, len = 0, n;
    char *buf = malloc(cap);
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            buf = realloc(buf, cap *= 2);
        }
    }
    buf[len] = '\0';
    pclose(f);
    return buf;
}

static const char *write_file(const char *name, apr_size_t len, unsigned seed, char **data)
{
    const char *path = apr_pstrcat(pool, tmpdir, "/", name, NULL);
    char *buf = malloc(len);
    FILE *f = fopen(path, "wb");
    for (apr_size_t i = 0; i < len; i++) {
        seed = seed * 1103515245 + 12345;
        buf[i] = (char)(seed >> 16);
    }
    fwrite(buf, 1, len, f);
    fclose(f);
    *data = buf;
    return path;
}

static const char *key(const char *name)
{
    return apr_pstrcat(pool, prefix, name, NULL);
}

static void test_objects(void)
{
    s3up_s3_t s3 = client(&loc, &creds);
    s3up_error_t *err = NULL;
    s3up_put_cond_t create_only = {1, NULL}, replace = {0, NULL};
    s3up_object_t *obj;
    s3up_body_t *body;
    const char *etag, *etag2;
    const char *k = key("state/rec ord+1.json");
    apr_status_t rv;

    rv = s3up_s3_put(&etag, &s3, k, "{\"a\":1}", 7, "application/json", &create_only, &err, pool);
    ok(rv == APR_SUCCESS && etag, "PutObject If-None-Match:* creates a new key");
    rv = s3up_s3_put(NULL, &s3, k, "{\"a\":2}", 7, "application/json", &create_only, &err, pool);
    is_int(rv, S3UP_ECONFLICT, "PutObject If-None-Match:* on an existing key is a conflict");

    rv = s3up_s3_head(&obj, &s3, k, &err, pool);
    ok(rv == APR_SUCCESS && obj->size == 7 && !strcmp(obj->etag, etag),
       "HeadObject: size and ETag");
    is_str(obj->content_type, "application/json", "HeadObject: content type");

    replace.if_match = etag;
    rv = s3up_s3_put(&etag2, &s3, k, "{\"a\":3}", 7, "application/json", &replace, &err, pool);
    is_int(rv, APR_SUCCESS, "PutObject If-Match with the current ETag replaces");
    rv = s3up_s3_put(NULL, &s3, k, "{\"a\":4}", 7, "application/json", &replace, &err, pool);
    is_int(rv, S3UP_ECONFLICT, "PutObject If-Match with a stale ETag is a conflict");

    rv = s3up_s3_get(&body, &s3, k, 1024, &err, pool);
    ok(rv == APR_SUCCESS && body->len == 7 && !memcmp(body->data, "{\"a\":3}", 7),
       "GetObject returns the bytes of the last successful write");
    rv = s3up_s3_get(&body, &s3, k, 3, &err, pool);
    is_int(rv, S3UP_ETOOBIG, "GetObject over max_len is refused");

    rv = s3up_s3_delete(&s3, k, &err, pool);
    is_int(rv, APR_SUCCESS, "DeleteObject");
    rv = s3up_s3_head(&obj, &s3, k, &err, pool);
    ok(rv == S3UP_ENOTFOUND && !strcmp(err->code, "NoSuchKey"), "HeadObject after delete: %s",
       err ? err->code : "-");
    rv = s3up_s3_get(&body, &s3, k, 1024, &err, pool);
    ok(rv == S3UP_ENOTFOUND && !strcmp(err->code, "NoSuchKey"),
       "GetObject after delete: NoSuchKey (%s)", err ? err->code : "-");
}

/* HEADs sent together through curl's multi interface (s3up_s3_head_all),
 * over the connections of the share. */
static void test_head_all(void)
{
    s3up_s3_t s3 = client(&loc, &creds);
    enum { N = 40 };
    const char *keys[N];
    s3up_object_t *objs[N];
    apr_status_t rvs[N];
    s3up_error_t *errs[N];
    s3up_error_t *err = NULL;
    int good = 0, sized = 0;

    for (int i = 0; i < N; i++) {
        keys[i] = key(apr_psprintf(pool, "heads/f%02d", i));
        /* Every fourth key is absent. */
        if (i % 4 && s3up_s3_put(NULL, &s3, keys[i], "0123456789", (apr_size_t)(i % 10),
                                 "text/plain", NULL, &err, pool) != APR_SUCCESS) {
            diag("put %s: %s", keys[i], err ? err->message : "?");
        }
    }
    s3up_s3_head_all(objs, rvs, errs, &s3, keys, N, 8, pool);
    for (int i = 0; i < N; i++) {
        if (i % 4 == 0) {
            good += rvs[i] == S3UP_ENOTFOUND && !objs[i];
            continue;
        }
        good += rvs[i] == APR_SUCCESS && objs[i] && !strcmp(objs[i]->content_type, "text/plain");
        sized += rvs[i] == APR_SUCCESS && objs[i]->size == i % 10;
    }
    is_int(good, N, "HeadObject of 40 keys, 8 at a time: each answered as alone (absent: 404)");
    is_int(sized, N - N / 4, "each with its own object's size");
    s3up_s3_head_all(objs, rvs, errs, &s3, keys + 1, 1, 8, pool);
    ok(rvs[0] == APR_SUCCESS && objs[0] && objs[0]->size == 1, "one key: the plain way");
}

static void test_listing(void)
{
    s3up_s3_t s3 = client(&loc, &creds);
    s3up_error_t *err = NULL;
    s3up_object_page_t *page;
    const char *token = NULL;
    const char *names[] = {"list/a", "list/b", "list/c d", "list/e/1", "list/e/2"};
    int pages = 0, seen = 0;
    apr_status_t rv;

    for (int i = 0; i < 5; i++) {
        s3up_s3_put(NULL, &s3, key(names[i]), "x", 1, NULL, NULL, &err, pool);
    }
    do {
        rv = s3up_s3_list_objects(&page, &s3, key("list/"), NULL, token, 2, &err, pool);
        if (rv != APR_SUCCESS) {
            break;
        }
        pages++;
        seen += page->objects->nelts;
        token = page->truncated ? page->next_token : NULL;
    } while (token);
    ok(rv == APR_SUCCESS && pages == 3 && seen == 5,
       "ListObjectsV2 pages of 2 with continuation: %d pages, %d keys", pages, seen);

    rv = s3up_s3_list_objects(&page, &s3, key("list/"), "/", NULL, 1000, &err, pool);
    ok(rv == APR_SUCCESS && page->objects->nelts == 3 && page->prefixes->nelts == 1 &&
           !strcmp(APR_ARRAY_IDX(page->prefixes, 0, const char *), key("list/e/")),
       "ListObjectsV2 with a delimiter: 3 keys and the prefix list/e/");
    ok(rv == APR_SUCCESS &&
           !strcmp(APR_ARRAY_IDX(page->objects, 2, s3up_object_t).key, key("list/c d")) &&
           APR_ARRAY_IDX(page->objects, 2, s3up_object_t).size == 1,
       "listed key with a space and its size");
}

/* PUT a file to a presigned URL with the curl command; returns the ETag. */
static const char *curl_put(const char *url, const char *file)
{
    char *out = run(apr_psprintf(pool,
                                 "curl -sS -o /dev/null -D - -X PUT --data-binary @'%s' '%s' | "
                                 "tr -d '\\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p'",
                                 file, url));
    char *nl = strchr(out, '\n');
    if (nl) {
        *nl = '\0';
    }
    return *out ? apr_pstrdup(pool, out) : NULL;
}

static void test_multipart(void)
{
    s3up_s3_t s3 = client(&loc, &creds);
    s3up_error_t *err = NULL;
    const apr_size_t sizes[3] = {5 * MiB, 5 * MiB, 1 * MiB + 17};
    apr_array_header_t *parts = apr_array_make(pool, 3, sizeof(s3up_part_t)), *listed;
    apr_table_t *meta = apr_table_make(pool, 2);
    char *whole = malloc(sizes[0] + sizes[1] + sizes[2]);
    apr_size_t off = 0;
    const char *k = key("big/ünïcode file (1).bin");
    const char *upload_id = NULL, *url;
    s3up_upload_page_t *uploads;
    s3up_complete_t *done;
    s3up_object_t *obj;
    s3up_body_t *body;
    apr_status_t rv;
    int found = 0, put_ok = 1;

    apr_table_set(meta, "uploaded-by", "alice@example.com");
    rv = s3up_s3_create_multipart(&upload_id, &s3, k, "application/octet-stream", meta, &err, pool);
    ok(rv == APR_SUCCESS && upload_id && *upload_id, "CreateMultipartUpload");
    if (rv != APR_SUCCESS) {
        diag("%s: %s", err->code, err->message);
        return;
    }

    for (int i = 0; i < 3; i++) {
        char *data;
        const char *file = write_file(apr_psprintf(pool, "part%d", i), sizes[i], 7 + i, &data);
        s3up_part_t *part = apr_array_push(parts);
        memcpy(whole + off, data, sizes[i]);
        off += sizes[i];
        free(data);
        rv = s3up_s3_presign_upload_part(&url, &s3, k, upload_id, i + 1, (apr_off_t)sizes[i],
                                         apr_time_from_sec(600), pool);
        part->number = i + 1;
        part->etag = rv == APR_SUCCESS ? curl_put(url, file) : NULL;
        put_ok = put_ok && part->etag;
    }
    ok(put_ok, "curl PUT 3 parts to presigned UploadPart URLs, each answered with an ETag");

    rv = s3up_s3_list_parts(&listed, &s3, k, upload_id, &err, pool);
    ok(rv == APR_SUCCESS && listed->nelts == 3 &&
           APR_ARRAY_IDX(listed, 2, s3up_part_t).size == (apr_off_t)sizes[2] &&
           !strcmp(APR_ARRAY_IDX(listed, 0, s3up_part_t).etag,
                   APR_ARRAY_IDX(parts, 0, s3up_part_t).etag),
       "ListParts: 3 parts with their sizes and ETags");

    rv = s3up_s3_list_uploads(&uploads, &s3, key("big/"), NULL, NULL, 1000, &err, pool);
    for (int i = 0; rv == APR_SUCCESS && i < uploads->uploads->nelts; i++) {
        s3up_upload_t *u = &APR_ARRAY_IDX(uploads->uploads, i, s3up_upload_t);
        found += !strcmp(u->upload_id, upload_id) && !strcmp(u->key, k) && u->initiated > 0;
    }
    ok(found == 1, "ListMultipartUploads shows the unfinished upload");

    /* Unquoted ETags, as browsers sometimes send them back. */
    APR_ARRAY_IDX(parts, 1, s3up_part_t).etag =
        apr_pstrndup(pool, APR_ARRAY_IDX(parts, 1, s3up_part_t).etag + 1,
                     strlen(APR_ARRAY_IDX(parts, 1, s3up_part_t).etag) - 2);
    rv = s3up_s3_complete(&done, &s3, k, upload_id, parts, &err, pool);
    ok(rv == APR_SUCCESS, "CompleteMultipartUpload (one ETag sent unquoted)");
    if (rv != APR_SUCCESS) {
        diag("%s: %s", err->code, err->message);
    }

    rv = s3up_s3_head(&obj, &s3, k, &err, pool);
    ok(rv == APR_SUCCESS && obj->size == (apr_off_t)off && strstr(obj->etag, "-3"),
       "HeadObject: whole size and a 3-part ETag (%s)", rv == APR_SUCCESS ? obj->etag : "-");
    is_str(rv == APR_SUCCESS ? apr_table_get(obj->meta, "uploaded-by") : NULL, "alice@example.com",
           "metadata set at create is on the object");

    rv = s3up_s3_get(&body, &s3, k, 12 * MiB, &err, pool);
    is_str(rv == APR_SUCCESS ? sha256(body->data, body->len) : "get failed", sha256(whole, off),
           "object's sha256 equals the source's");
    free(whole);

    rv = s3up_s3_list_uploads(&uploads, &s3, key("big/"), NULL, NULL, 1000, &err, pool);
    ok(rv == APR_SUCCESS && uploads->uploads->nelts == 0, "no unfinished upload left");

    rv = s3up_s3_presign_get(&url, &s3, k, "attachment; filename*=UTF-8''%C3%BCn.bin",
                             apr_time_from_sec(300), pool);
    {
        char *out = run(apr_psprintf(pool,
                                     "curl -sS -D %s/hdr -o %s/got '%s' && sha256sum < %s/got | "
                                     "cut -c1-64 && tr -d '\\r' < %s/hdr | "
                                     "grep -i '^content-disposition'",
                                     tmpdir, tmpdir, url, tmpdir, tmpdir));
        ok(strstr(out, sha256(body->data, body->len)) != NULL,
           "curl GET of a presigned URL returns the object");
        ok(strstr(out, "attachment; filename*=UTF-8''%C3%BCn.bin") != NULL,
           "presigned GET answers with the asked Content-Disposition");
        free(out);
    }
}

static void test_abort(void)
{
    s3up_s3_t s3 = client(&loc, &creds);
    s3up_error_t *err = NULL;
    s3up_upload_page_t *uploads;
    apr_array_header_t *listed;
    const char *upload_id;
    apr_status_t rv;

    rv = s3up_s3_create_multipart(&upload_id, &s3, key("aborted/x"), NULL, NULL, &err, pool);
    rv = rv == APR_SUCCESS ? s3up_s3_abort(&s3, key("aborted/x"), upload_id, &err, pool) : rv;
    is_int(rv, APR_SUCCESS, "AbortMultipartUpload");
    rv = s3up_s3_list_uploads(&uploads, &s3, key("aborted/"), NULL, NULL, 1000, &err, pool);
    ok(rv == APR_SUCCESS && uploads->uploads->nelts == 0, "aborted upload no longer listed");
    rv = s3up_s3_list_parts(&listed, &s3, key("aborted/x"), upload_id, &err, pool);
    ok(rv == S3UP_ENOTFOUND, "ListParts after abort: not found (%s)", err ? err->code : "-");
}

static void test_post_policy(void)
{
    s3up_s3_t s3 = client(&loc, &creds);
    s3up_post_t *post;
    s3up_error_t *err = NULL;
    s3up_object_t *obj;
    char *data, *out;
    const char *file = write_file("small", 3000, 3, &data);
    const char *form = "";
    const s3up_kv_t *kv;

    free(data);
    if (s3up_s3_post_policy(&post, &s3, key("post/small.txt"), 4096, "text/plain", NULL,
                            apr_time_from_sec(300), pool) != APR_SUCCESS) {
        ok(0, "post policy made");
        return;
    }
    kv = (const s3up_kv_t *)post->fields->elts;
    for (int i = 0; i < post->fields->nelts; i++) {
        form = apr_psprintf(pool, "%s -F '%s=%s'", form, kv[i].name, kv[i].value);
    }
    out = run(apr_psprintf(pool, "curl -sS -o /dev/null -w '%%{http_code}' %s -F file=@%s '%s'",
                           form, file, post->url));
    ok(atoi(out) == 204 || atoi(out) == 200 || atoi(out) == 201,
       "browser-style POST upload accepted (HTTP %s)", out);
    free(out);
    ok(s3up_s3_head(&obj, &s3, key("post/small.txt"), &err, pool) == APR_SUCCESS &&
           obj->size == 3000,
       "POSTed object stored under the pinned key");

    file = write_file("toobig", 5000, 4, &data);
    free(data);
    out = run(apr_psprintf(pool, "curl -sS -w ' %%{http_code}' %s -F file=@%s '%s'", form, file,
                           post->url));
    ok(strstr(out, "EntityTooLarge") && strstr(out, " 400"),
       "content-length-range enforced by S3: %s", out);
    free(out);

    out = run(apr_psprintf(pool, "curl -sS -w ' %%{http_code}' %s -F key=%s -F file=@%s '%s'", form,
                           key("post/elsewhere"), file, post->url));
    ok(strstr(out, " 403") != NULL, "another key than the pinned one refused");
    free(out);
}

static void test_wrong_secret(void)
{
    s3up_creds_t bad = creds;
    s3up_s3_t s3;
    s3up_error_t *err = NULL;
    s3up_object_page_t *page;
    apr_status_t rv;

    bad.secret_key = "not-the-secret-not-the-secret-xx";
    s3 = client(&loc, &bad);
    rv = s3up_s3_list_objects(&page, &s3, prefix, NULL, NULL, 10, &err, pool);
    ok(rv == S3UP_ES3 && err->http_status == 403 && !strcmp(err->code, "SignatureDoesNotMatch"),
       "a wrong secret is a clear SignatureDoesNotMatch (%s %d)", err ? err->code : "-",
       err ? err->http_status : 0);
    ok(err && !err->retryable, "and not retried");
}

/* A TCP relay to RGW that only starts listening after a delay: S3 is
 * unreachable for a moment, then back. */
static pid_t relay_start(int port, int target_port, int delay_ms)
{
    pid_t pid = fork();
    if (pid != 0) {
        return pid;
    }
    setpgid(0, 0); /* one group with the children that carry connections */
    usleep(delay_ms * 1000);
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 16)) {
        _exit(1);
    }
    signal(SIGCHLD, SIG_IGN);
    for (;;) {
        int c = accept(ls, NULL, NULL), s;
        if (c < 0 || fork() != 0) {
            close(c);
            continue;
        }
        s = socket(AF_INET, SOCK_STREAM, 0);
        a.sin_port = htons(target_port);
        if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
            _exit(1);
        }
        for (;;) {
            struct pollfd fds[2] = {{c, POLLIN, 0}, {s, POLLIN, 0}};
            char buf[65536];
            if (poll(fds, 2, 10000) <= 0) {
                _exit(0);
            }
            for (int i = 0; i < 2; i++) {
                if (fds[i].revents) {
                    ssize_t n = read(fds[i].fd, buf, sizeof(buf));
                    if (n <= 0 || write(fds[1 - i].fd, buf, n) != n) {
                        _exit(0);
                    }
                }
            }
        }
    }
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0), port;
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, (struct sockaddr *)&a, sizeof(a));
    getsockname(s, (struct sockaddr *)&a, &len);
    port = ntohs(a.sin_port);
    close(s);
    return port;
}

static void test_transport(void)
{
    s3up_http_t *h1, *h2;
    s3up_http_req_t req = {0};
    s3up_http_resp_t *resp = NULL;
    const char *detail = NULL;
    apr_status_t rv1, rv2;
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    int silent = socket(AF_INET, SOCK_STREAM, 0);

    s3up_curl_create(&h1, share, pool);
    s3up_curl_create(&h2, share, pool);
    req.method = "GET";
    req.url = apr_pstrcat(pool, loc.origin, "/", NULL);
    req.headers = apr_array_make(pool, 1, sizeof(s3up_kv_t));
    rv1 = s3up_http_perform(&resp, &detail, h1, &req, pool);
    rv2 = s3up_http_perform(&resp, &detail, h2, &req, pool);
    ok(rv1 == APR_SUCCESS && rv2 == APR_SUCCESS && resp->reused,
       "a second handle of the same share reuses the kept-alive connection");

    /* Accepts connections in the kernel, never answers. */
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(silent, (struct sockaddr *)&a, sizeof(a));
    listen(silent, 4);
    getsockname(silent, (struct sockaddr *)&a, &len);
    req.url = apr_psprintf(pool, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    h1->timeout = apr_time_from_msec(300);
    rv1 = s3up_http_perform(&resp, &detail, h1, &req, pool);
    ok(rv1 == S3UP_ETRANSPORT && detail && strstr(detail, "imeout"),
       "a server that never answers: timeout after 300 ms (%s)", detail ? detail : "-");
    close(silent);
}

static int slept;
static void counting_sleep(apr_interval_time_t t)
{
    slept++;
    apr_sleep(t);
}

static void test_retry_unreachable(void)
{
    s3up_s3_loc_t relay;
    s3up_s3_t s3;
    s3up_error_t *err = NULL;
    s3up_object_page_t *page;
    apr_uri_t u;
    int port = free_port();
    pid_t pid;
    apr_status_t rv;

    apr_uri_parse(pool, loc.server.url, &u);
    s3up_s3_loc_init(&relay, apr_psprintf(pool, "http://127.0.0.1:%d", port), loc.region,
                     loc.bucket, 1, pool);
    pid = relay_start(port, u.port, 600);
    s3 = client(&relay, &creds);
    s3.aws.sleep = counting_sleep;
    s3.aws.max_attempts = 6;
    s3.aws.retry_base = apr_time_from_msec(200);
    rv = s3up_s3_list_objects(&page, &s3, prefix, NULL, NULL, 10, &err, pool);
    ok(rv == APR_SUCCESS && slept >= 1,
       "S3 unreachable for 0.6 s: the call retried %d times and succeeded", slept);
    if (rv != APR_SUCCESS) {
        diag("%s: %s", err->code, err->message);
    }
    kill(-pid, SIGTERM);
    waitpid(pid, NULL, 0);

    slept = 0;
    s3.aws.max_attempts = 3;
    s3.aws.retry_base = apr_time_from_msec(10);
    rv = s3up_s3_list_objects(&page, &s3, prefix, NULL, NULL, 10, &err, pool);
    ok(rv == S3UP_ENOCONNECT && slept == 2,
       "S3 down for good: bounded attempts (%d retries), then a clear error: %s", slept,
       err ? err->message : "-");
}

int main(void)
{
    char tmpl[] = "/tmp/it_s3_ops.XXXXXX";

    apr_initialize();
    apr_pool_create(&pool, NULL);
    s3up_xml_init();
    tmpdir = mkdtemp(tmpl);

    creds.access_key = env("S3UP_TEST_ACCESS_KEY");
    creds.secret_key = env("S3UP_TEST_SECRET_KEY");
    if (s3up_s3_loc_init(&loc, env("S3UP_TEST_ENDPOINT"), env("S3UP_TEST_REGION"),
                         env("S3UP_TEST_BUCKET"), 1, pool) != APR_SUCCESS) {
        printf("Bail out! bad S3UP_TEST_ENDPOINT\n");
        return 1;
    }
    prefix = apr_psprintf(pool, "it-s3-ops/%d-%ld/", (int)getpid(), (long)time(NULL));
    s3up_curl_share_create(&share, pool);
    s3up_sigv4_create(&signer, pool);

    test_objects();
    test_head_all();
    test_listing();
    test_multipart();
    test_abort();
    test_post_policy();
    test_wrong_secret();
    test_transport();
    test_retry_unreachable();

    run(apr_psprintf(pool, "rm -rf '%s'", tmpdir));
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
