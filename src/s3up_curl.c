/*
 * The libcurl transport behind s3up_http_t. The only file that knows curl.
 *
 * Connections, DNS answers and TLS sessions live in a curl share that every
 * handle of the process uses, so keep-alive connections to S3 are reused
 * across requests and threads.
 */
#include <curl/curl.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "s3up_http.h"

#define SHARE_LOCKS 8 /* above every curl_lock_data value we share */

struct s3up_curl_share_t {
    CURLSH *sh;
#if APR_HAS_THREADS
    apr_thread_mutex_t *locks[SHARE_LOCKS];
#endif
};

typedef struct curl_impl_t {
    s3up_curl_share_t *share;
    CURL *easy;
    char errbuf[CURL_ERROR_SIZE];
} curl_impl_t;

/* What one exchange collects while curl runs. */
typedef struct exchange_t {
    apr_pool_t *p;
    const s3up_http_req_t *req;
    s3up_http_resp_t *resp;
    char *buf;
    apr_size_t len, cap;
    int too_big;
    const char *mem_body; /* small in-memory request body */
    apr_size_t mem_off;
    apr_status_t read_rv;
} exchange_t;

#if APR_HAS_THREADS
static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *baton)
{
    s3up_curl_share_t *share = baton;
    (void)h;
    (void)access;
    if ((int)data < SHARE_LOCKS) {
        apr_thread_mutex_lock(share->locks[data]);
    }
}

static void share_unlock(CURL *h, curl_lock_data data, void *baton)
{
    s3up_curl_share_t *share = baton;
    (void)h;
    if ((int)data < SHARE_LOCKS) {
        apr_thread_mutex_unlock(share->locks[data]);
    }
}
#endif

static apr_status_t share_cleanup(void *data)
{
    s3up_curl_share_t *share = data;
    curl_share_cleanup(share->sh);
    return APR_SUCCESS;
}

apr_status_t s3up_curl_share_create(s3up_curl_share_t **out, apr_pool_t *pchild)
{
    s3up_curl_share_t *share = apr_pcalloc(pchild, sizeof(*share));

    /* Idempotent after the first call; done before threads start. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return APR_EGENERAL;
    }
    share->sh = curl_share_init();
    if (!share->sh) {
        return APR_ENOMEM;
    }
    apr_pool_cleanup_register(pchild, share, share_cleanup, apr_pool_cleanup_null);
#if APR_HAS_THREADS
    for (int i = 0; i < SHARE_LOCKS; i++) {
        apr_status_t rv =
            apr_thread_mutex_create(&share->locks[i], APR_THREAD_MUTEX_DEFAULT, pchild);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    curl_share_setopt(share->sh, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(share->sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(share->sh, CURLSHOPT_USERDATA, share);
#endif
    curl_share_setopt(share->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    *out = share;
    return APR_SUCCESS;
}

static size_t on_header(char *data, size_t size, size_t n, void *baton)
{
    exchange_t *x = baton;
    size_t len = size * n;
    const char *colon = memchr(data, ':', len);
    const char *end = data + len;

    if (!strncmp(data, "HTTP/", 5)) {
        /* A new response (after a 100 Continue or a redirect): start over. */
        apr_table_clear(x->resp->headers);
        return len;
    }
    if (colon) {
        const char *v = colon + 1;
        while (v < end && (*v == ' ' || *v == '\t')) {
            v++;
        }
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) {
            end--;
        }
        apr_table_addn(x->resp->headers, apr_pstrmemdup(x->p, data, colon - data),
                       apr_pstrmemdup(x->p, v, end - v));
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *baton)
{
    exchange_t *x = baton;
    size_t len = size * n;

    if (x->len + len > (x->req->max_response ? x->req->max_response : S3UP_HTTP_MAX_RESPONSE)) {
        x->too_big = 1;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    if (x->len + len + 1 > x->cap) {
        apr_size_t cap = x->cap ? x->cap : 4096;
        char *buf;
        while (cap < x->len + len + 1) {
            cap *= 2;
        }
        buf = apr_palloc(x->p, cap);
        if (x->len) {
            memcpy(buf, x->buf, x->len);
        }
        x->buf = buf;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, data, len);
    x->len += len;
    return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *baton)
{
    exchange_t *x = baton;
    size_t want = size * n;
    apr_size_t got = 0;

    if (x->req->body_read) {
        x->read_rv = x->req->body_read(x->req->body_baton, buf, want, &got, 0);
        return x->read_rv == APR_SUCCESS ? got : CURL_READFUNC_ABORT;
    }
    got = x->req->body_len - x->mem_off;
    if (got > want) {
        got = want;
    }
    memcpy(buf, x->mem_body + x->mem_off, got);
    x->mem_off += got;
    return got;
}

/* curl asks to start the body again (a retried connection, a redirect). */
static int on_seek(void *baton, curl_off_t offset, int origin)
{
    exchange_t *x = baton;
    apr_size_t none;

    if (offset != 0 || origin != SEEK_SET) {
        return CURL_SEEKFUNC_CANTSEEK;
    }
    if (x->req->body_read) {
        return x->req->body_read(x->req->body_baton, NULL, 0, &none, 1) == APR_SUCCESS
                   ? CURL_SEEKFUNC_OK
                   : CURL_SEEKFUNC_CANTSEEK;
    }
    x->mem_off = 0;
    return CURL_SEEKFUNC_OK;
}

static const CURLoption batons[] = {CURLOPT_HEADERDATA, CURLOPT_WRITEDATA, CURLOPT_READDATA,
                                    CURLOPT_SEEKDATA};

/* Make c ready for req, its callbacks writing into x; the header list
 * returned is freed once c is done. */
static struct curl_slist *exchange_setup(CURL *c, exchange_t *x, s3up_curl_share_t *share,
                                         char *errbuf, const s3up_http_t *h,
                                         const s3up_http_req_t *req, apr_pool_t *p)
{
    struct curl_slist *hdrs = NULL;
    const s3up_kv_t *kv = (const s3up_kv_t *)req->headers->elts;
    int has_body = req->body || req->body_read;
    apr_interval_time_t timeout = h->timeout;

    x->p = p;
    x->req = req;
    x->resp = apr_pcalloc(p, sizeof(*x->resp));
    x->resp->headers = apr_table_make(p, 16);
    x->mem_body = req->body;

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_SHARE, share->sh);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (req->timeout > 0 && (timeout <= 0 || req->timeout < timeout)) {
        timeout = req->timeout;
    }
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)apr_time_as_msec(h->connect_timeout));
    if (timeout > 0 && !req->body_read) {
        /* At least 1 ms: 0 would mean none. */
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                         apr_time_as_msec(timeout) > 0 ? (long)apr_time_as_msec(timeout) : 1L);
    } else {
        /* Streams of any length: give up only when the line goes quiet. */
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(
            c, CURLOPT_LOW_SPEED_TIME,
            (long)(apr_time_sec(h->stall_timeout) > 0 ? apr_time_sec(h->stall_timeout) : 1));
    }
    /* Every callback works on the exchange; the body's are used only with
     * CURLOPT_UPLOAD. */
    for (size_t i = 0; i < sizeof(batons) / sizeof(batons[0]); i++) {
        curl_easy_setopt(c, batons[i], x);
    }
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);

    if (req->head) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (has_body) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
        if (req->body_read) {
            curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
        }
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                         (curl_off_t)(req->body_read ? req->body_size : (apr_off_t)req->body_len));
    }
    if (!req->head && strcmp(req->method, has_body ? "PUT" : "GET")) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    }

    for (int i = 0; i < req->headers->nelts; i++) {
        /* curl writes Host from the URL, exactly as it was signed. */
        if (strcasecmp(kv[i].name, "host")) {
            hdrs = curl_slist_append(hdrs, apr_pstrcat(p, kv[i].name, ": ", kv[i].value, NULL));
        }
    }
    /* No 100-continue round trip, and none of curl's defaults we did not sign. */
    hdrs = curl_slist_append(hdrs, "Expect:");
    hdrs = curl_slist_append(hdrs, "Accept:");
    if (has_body) {
        hdrs = curl_slist_append(hdrs, "Transfer-Encoding:");
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    return hdrs;
}

/* The outcome of c's exchange, which ended with cc. */
static apr_status_t exchange_finish(s3up_http_resp_t **out, const char **detail, CURL *c,
                                    exchange_t *x, CURLcode cc, const char *errbuf, apr_pool_t *p)
{
    long status = 0, connects = 0;

    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
    if (x->too_big) {
        *detail = "response larger than allowed";
        return S3UP_ETOOBIG;
    }
    if (cc != CURLE_OK) {
        *detail = apr_psprintf(p, "%s%s%s", curl_easy_strerror(cc), errbuf[0] ? ": " : "", errbuf);
        if (x->read_rv != APR_SUCCESS) {
            return x->read_rv;
        }
        return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ? S3UP_ENOCONNECT
                                                                               : S3UP_ETRANSPORT;
    }
    x->resp->status = (int)status;
    x->resp->body = x->buf ? x->buf : "";
    x->resp->body_len = x->len;
    x->resp->reused = connects == 0;
    if (x->buf) {
        x->buf[x->len] = '\0';
    }
    *out = x->resp;
    return APR_SUCCESS;
}

static apr_status_t curl_perform(s3up_http_resp_t **out, const char **detail, s3up_http_t *h,
                                 const s3up_http_req_t *req, apr_pool_t *p)
{
    curl_impl_t *impl = h->impl;
    exchange_t x = {0};
    struct curl_slist *hdrs = exchange_setup(impl->easy, &x, impl->share, impl->errbuf, h, req, p);
    CURLcode cc = curl_easy_perform(impl->easy);

    curl_slist_free_all(hdrs);
    return exchange_finish(out, detail, impl->easy, &x, cc, impl->errbuf, p);
}

/* One exchange of curl_perform_all. */
typedef struct slot_t {
    CURL *easy;
    exchange_t x;
    struct curl_slist *hdrs;
    char errbuf[CURL_ERROR_SIZE];
    CURLcode cc;
} slot_t;

static apr_status_t multi_cleanup(void *data)
{
    curl_multi_cleanup(data);
    return APR_SUCCESS;
}

/* Exchanges at_once at a time through one curl multi handle, over the
 * share's connections. */
static void curl_perform_all(s3up_http_resp_t **resps, apr_status_t *rvs, const char **details,
                             s3up_http_t *h, const s3up_http_req_t *reqs, int n, int at_once,
                             apr_pool_t *p)
{
    curl_impl_t *impl = h->impl;
    CURLM *multi = curl_multi_init();
    slot_t *slots = apr_pcalloc(p, sizeof(*slots) * (apr_size_t)(at_once > 0 ? at_once : 1));

    if (!multi) {
        for (int i = 0; i < n; i++) {
            rvs[i] = curl_perform(&resps[i], &details[i], h, &reqs[i], p);
        }
        return;
    }
    apr_pool_cleanup_register(p, multi, multi_cleanup, apr_pool_cleanup_null);
    for (int from = 0; from < n; from += at_once) {
        int k = n - from < at_once ? n - from : at_once, running = 0;
        CURLMsg *msg;
        int left;
        for (int j = 0; j < k; j++) {
            slot_t *s = &slots[j];
            if (!s->easy && !(s->easy = curl_easy_init())) {
                rvs[from + j] = APR_ENOMEM;
                details[from + j] = "no curl handle";
                continue;
            }
            memset(&s->x, 0, sizeof(s->x));
            s->cc = CURLE_OK;
            s->hdrs = exchange_setup(s->easy, &s->x, impl->share, s->errbuf, h, &reqs[from + j], p);
            curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
            curl_multi_add_handle(multi, s->easy);
        }
        do {
            if (curl_multi_perform(multi, &running) != CURLM_OK) {
                break;
            }
            while ((msg = curl_multi_info_read(multi, &left))) {
                slot_t *s;
                if (msg->msg == CURLMSG_DONE &&
                    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s) ==
                        CURLE_OK) {
                    s->cc = msg->data.result;
                }
            }
        } while (running && curl_multi_poll(multi, NULL, 0, 1000, NULL) == CURLM_OK);
        for (int j = 0; j < k; j++) {
            slot_t *s = &slots[j];
            if (!s->easy) {
                continue;
            }
            curl_multi_remove_handle(multi, s->easy);
            curl_slist_free_all(s->hdrs);
            rvs[from + j] =
                exchange_finish(&resps[from + j], &details[from + j], s->easy, &s->x,
                                running ? CURLE_ABORTED_BY_CALLBACK : s->cc, s->errbuf, p);
        }
    }
    for (int j = 0; j < at_once; j++) {
        if (slots[j].easy) {
            curl_easy_cleanup(slots[j].easy);
        }
    }
}

static const s3up_http_ops_t curl_ops = {curl_perform, curl_perform_all};

static apr_status_t easy_cleanup(void *data)
{
    curl_easy_cleanup(data);
    return APR_SUCCESS;
}

apr_status_t s3up_curl_create(s3up_http_t **out, s3up_curl_share_t *share, apr_pool_t *p)
{
    s3up_http_t *h = apr_pcalloc(p, sizeof(*h));
    curl_impl_t *impl = apr_pcalloc(p, sizeof(*impl));

    impl->share = share;
    impl->easy = curl_easy_init();
    if (!impl->easy) {
        return APR_ENOMEM;
    }
    apr_pool_cleanup_register(p, impl->easy, easy_cleanup, apr_pool_cleanup_null);
    h->ops = &curl_ops;
    h->impl = impl;
    /* A store that stops answering must not hold an httpd worker for
     * long: it is answered 503 with Retry-After instead (s3up_aws.h). */
    h->connect_timeout = apr_time_from_sec(S3UP_HTTP_CONNECT_TIMEOUT);
    h->timeout = apr_time_from_sec(S3UP_HTTP_TIMEOUT);
    h->stall_timeout = apr_time_from_sec(S3UP_HTTP_STALL_TIMEOUT);
    *out = h;
    return APR_SUCCESS;
}
