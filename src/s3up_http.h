/*
 * The transport: one function table in front of libcurl (s3up_curl.c is
 * the only file that knows curl), so unit tests can put their own in.
 */
#ifndef S3UP_HTTP_H
#define S3UP_HTTP_H

#include "s3up.h"

/* Streaming request body: fill buf with up to len bytes, set *nread (0 at
 * the end). Must be able to start over from byte 0 when rewind is set (a
 * retry); return APR_ENOTIMPL from a rewind that cannot. */
typedef apr_status_t s3up_http_read_fn(void *baton, char *buf, apr_size_t len, apr_size_t *nread,
                                       int rewind);

#define S3UP_HTTP_MAX_RESPONSE (1024 * 1024)

/* The libcurl transport's defaults, in seconds: connecting, one whole
 * exchange, and a streamed body's longest silence. */
#define S3UP_HTTP_CONNECT_TIMEOUT 3
#define S3UP_HTTP_TIMEOUT 10
#define S3UP_HTTP_STALL_TIMEOUT 20

typedef struct s3up_http_req_t {
    const char *method;
    const char *url;             /* absolute, already encoded */
    apr_array_header_t *headers; /* s3up_kv_t, signed */
    const char *body;            /* a small body in memory, or NULL ... */
    apr_size_t body_len;
    /* ... or a streamed one of body_size bytes. A streamed body has no
     * total timeout (it may take hours): only a line that stalls for
     * stall_timeout ends it. */
    s3up_http_read_fn *body_read;
    void *body_baton;
    apr_off_t body_size;
    apr_size_t max_response; /* longest body to keep, more is S3UP_ETOOBIG;
                                0 means S3UP_HTTP_MAX_RESPONSE */
    int head;                /* HEAD: no body will come */
    /* This exchange's whole time when shorter than the transport's own
     * (what is left of a call's budget); 0: the transport's. */
    apr_interval_time_t timeout;
} s3up_http_req_t;

typedef struct s3up_http_resp_t {
    int status;
    apr_table_t *headers; /* names as S3 sent them; lookups ignore case */
    const char *body;     /* NUL-terminated, body_len bytes before the NUL */
    apr_size_t body_len;
    int reused; /* went over a connection kept from before */
} s3up_http_resp_t;

typedef struct s3up_http_t s3up_http_t;

typedef struct s3up_http_ops_t {
    /* One exchange, no retries. APR_SUCCESS whenever an HTTP answer came,
     * whatever its status; when none did, S3UP_ENOCONNECT (nothing was sent,
     * safe to repeat) or S3UP_ETRANSPORT, with *detail saying why. */
    apr_status_t (*perform)(s3up_http_resp_t **resp, const char **detail, s3up_http_t *h,
                            const s3up_http_req_t *req, apr_pool_t *p);
    /* n exchanges, at most at_once of them in flight together, each as
     * perform would answer it in rvs[i], resps[i], details[i]. For small
     * requests without a streamed body. NULL: the transport has none, and
     * callers perform them one after another. */
    void (*perform_all)(s3up_http_resp_t **resps, apr_status_t *rvs, const char **details,
                        s3up_http_t *h, const s3up_http_req_t *reqs, int n, int at_once,
                        apr_pool_t *p);
} s3up_http_ops_t;

struct s3up_http_t {
    const s3up_http_ops_t *ops;
    void *impl; /* the transport's own state */
    apr_interval_time_t connect_timeout;
    apr_interval_time_t timeout; /* whole exchange, 0 for none */
    /* A streamed body: how long the line may carry nothing before the
     * exchange is given up. */
    apr_interval_time_t stall_timeout;
};

/* The libcurl transport. Connections (and DNS, TLS sessions) are shared by
 * every s3up_http_t made from one share; a share lives in a process pool
 * and is thread-safe. */
typedef struct s3up_curl_share_t s3up_curl_share_t;
apr_status_t s3up_curl_share_create(s3up_curl_share_t **out, apr_pool_t *pchild);
apr_status_t s3up_curl_create(s3up_http_t **out, s3up_curl_share_t *share, apr_pool_t *p);

static inline apr_status_t s3up_http_perform(s3up_http_resp_t **resp, const char **detail,
                                             s3up_http_t *h, const s3up_http_req_t *req,
                                             apr_pool_t *p)
{
    return h->ops->perform(resp, detail, h, req, p);
}

#endif /* S3UP_HTTP_H */
