/*
 * Counters of the whole server, updated by atomic adds.
 */
#include <apr_atomic.h>
#include <apr_strings.h>

#include "s3up_metrics.h"
#include "s3up_time.h"

/* The operations counted by name; any other is "other". */
static const char *const ops[] = {
    "PutObject",
    "GetObject",
    "HeadObject",
    "DeleteObject",
    "ListObjectsV2",
    "CreateMultipartUpload",
    "UploadPart",
    "ListParts",
    "CompleteMultipartUpload",
    "AbortMultipartUpload",
    "ListMultipartUploads",
    "AdminCreateUser",
    "AdminGetUser",
    "AssumeRoleWithWebIdentity",
    "other",
};
#define N_OPS (sizeof(ops) / sizeof(ops[0]))

/* Upper bounds of the signing latency buckets, and how they are written. */
static const struct {
    apr_uint64_t usec;
    const char *seconds;
} bounds[] = {
    {50, "0.00005"},  {100, "0.0001"}, {250, "0.00025"}, {500, "0.0005"},  {1000, "0.001"},
    {2500, "0.0025"}, {5000, "0.005"}, {10000, "0.01"},  {25000, "0.025"}, {100000, "0.1"},
};
#define N_BOUNDS (sizeof(bounds) / sizeof(bounds[0]))

typedef struct table_t {
    volatile apr_uint64_t counters[S3UP_M_COUNTERS];
    volatile apr_uint64_t requests[N_OPS], errors[N_OPS];
    volatile apr_uint64_t signing[N_BOUNDS + 1]; /* the last: above every bound */
    volatile apr_uint64_t signing_usec;
    volatile apr_uint64_t creds_expire; /* Unix seconds; 0: none that expire */
} table_t;

struct s3up_metrics_t {
    table_t *t;
};

/* Names and help of the counters, in s3up_metric_e's order. */
static const struct {
    const char *json, *prom, *help;
} counters[S3UP_M_COUNTERS] = {
    {"uploads_started", "s3up_uploads_started_total",
     "Uploads started: multipart uploads created and POST forms given out."},
    {"uploads_completed", "s3up_uploads_completed_total", "Uploads that arrived whole."},
    {"uploads_aborted", "s3up_uploads_aborted_total", "Unfinished uploads aborted on request."},
    {"uploads_failed", "s3up_uploads_failed_total",
     "Uploads refused at completion (over a limit) or that S3 failed to complete."},
    {"bytes_completed", "s3up_bytes_completed_total", "Bytes of the uploads that arrived."},
    {"notifications_sent", "s3up_notifications_sent_total", "Arrival notifications delivered."},
    {"notifications_failed", "s3up_notifications_failed_total",
     "Arrival notifications given up after every retry."},
    {"passcode_locked", "s3up_passcode_locked_total",
     "Passcode tries turned away because the link was locked."},
    {"credentials_fetched", "s3up_credentials_fetched_total",
     "Temporary credentials fetched (STS, container endpoint, instance metadata)."},
    {"credentials_failed", "s3up_credentials_failed_total", "Fetches of credentials that failed."},
};

apr_size_t s3up_metrics_size(void)
{
    return sizeof(table_t);
}

s3up_metrics_t *s3up_metrics_attach(void *mem, apr_pool_t *p)
{
    s3up_metrics_t *m = apr_palloc(p, sizeof(*m));

    m->t = mem;
    return m;
}

void s3up_metrics_add(s3up_metrics_t *m, s3up_metric_e which, apr_uint64_t n)
{
    if (m && which < S3UP_M_COUNTERS) {
        apr_atomic_add64(&m->t->counters[which], n);
    }
}

void s3up_metrics_request(s3up_metrics_t *m, const char *op, int failed)
{
    apr_size_t i = 0;

    if (!m) {
        return;
    }
    while (i < N_OPS - 1 && strcmp(ops[i], op)) {
        i++;
    }
    apr_atomic_inc64(&m->t->requests[i]);
    if (failed) {
        apr_atomic_inc64(&m->t->errors[i]);
    }
}

void s3up_metrics_signing(s3up_metrics_t *m, apr_interval_time_t took)
{
    apr_uint64_t usec = took > 0 ? (apr_uint64_t)took : 0;
    apr_size_t i = 0;

    if (!m) {
        return;
    }
    while (i < N_BOUNDS && usec > bounds[i].usec) {
        i++;
    }
    apr_atomic_inc64(&m->t->signing[i]);
    apr_atomic_add64(&m->t->signing_usec, usec);
}

void s3up_metrics_creds(s3up_metrics_t *m, apr_time_t expires, int fetched)
{
    if (!m) {
        return;
    }
    if (fetched) {
        apr_atomic_set64(&m->t->creds_expire,
                         expires > 0 ? (apr_uint64_t)apr_time_sec(expires) : 0);
    }
    apr_atomic_inc64(&m->t->counters[fetched ? S3UP_M_CREDS_FETCHED : S3UP_M_CREDS_FAILED]);
}

static apr_uint64_t get(volatile apr_uint64_t *v)
{
    return apr_atomic_read64(v);
}

json_t *s3up_metrics_json(const s3up_metrics_t *m, apr_pool_t *p)
{
    table_t *t = m->t;
    json_t *out = json_object(), *requests = json_object(), *buckets = json_array();
    apr_uint64_t total = 0, expire = get(&t->creds_expire);

    for (int i = 0; i < S3UP_M_COUNTERS; i++) {
        json_object_set_new(out, counters[i].json, json_integer((json_int_t)get(&t->counters[i])));
    }
    for (apr_size_t i = 0; i < N_OPS; i++) {
        if (get(&t->requests[i])) {
            json_object_set_new(requests, ops[i],
                                json_pack("{s:I,s:I}", "requests", (json_int_t)get(&t->requests[i]),
                                          "errors", (json_int_t)get(&t->errors[i])));
        }
    }
    json_object_set_new(out, "requests", requests);
    for (apr_size_t i = 0; i <= N_BOUNDS; i++) {
        total += get(&t->signing[i]);
        json_array_append_new(
            buckets, json_pack("{s:o,s:I}", "le_seconds",
                               i < N_BOUNDS ? json_real(bounds[i].usec / 1e6) : json_null(),
                               "count", (json_int_t)total));
    }
    json_object_set_new(out, "signing",
                        json_pack("{s:I,s:f,s:o}", "count", (json_int_t)total, "sum_seconds",
                                  get(&t->signing_usec) / 1e6, "buckets", buckets));
    json_object_set_new(out, "credentials_expire",
                        expire ? json_string(s3up_time_iso8601(apr_time_from_sec(expire), p))
                               : json_null());
    return out;
}

/* One metric's HELP and TYPE lines. */
static void head(apr_array_header_t *out, const char *name, const char *type, const char *help,
                 apr_pool_t *p)
{
    APR_ARRAY_PUSH(out, const char *) =
        apr_psprintf(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(apr_array_header_t *out, const char *name, const char *labels,
                   apr_uint64_t value, apr_pool_t *p)
{
    APR_ARRAY_PUSH(out, const char *) =
        apr_psprintf(p, "%s%s %" APR_UINT64_T_FMT "\n", name, labels, value);
}

/* A counter by operation, for the operations that were asked for. */
static void by_operation(apr_array_header_t *out, table_t *t, volatile apr_uint64_t *values,
                         const char *name, const char *help, apr_pool_t *p)
{
    head(out, name, "counter", help, p);
    for (apr_size_t i = 0; i < N_OPS; i++) {
        if (get(&t->requests[i])) {
            sample(out, name, apr_psprintf(p, "{operation=\"%s\"}", ops[i]), get(&values[i]), p);
        }
    }
}

const char *s3up_metrics_prometheus(const s3up_metrics_t *m, apr_pool_t *p)
{
    table_t *t = m->t;
    apr_array_header_t *out = apr_array_make(p, 64, sizeof(const char *));
    apr_uint64_t total = 0, expire = get(&t->creds_expire);

    for (int i = 0; i < S3UP_M_COUNTERS; i++) {
        head(out, counters[i].prom, "counter", counters[i].help, p);
        sample(out, counters[i].prom, "", get(&t->counters[i]), p);
    }
    by_operation(out, t, t->requests, "s3up_s3_requests_total",
                 "Requests to S3 (and the other AWS services) by operation, retries included.", p);
    by_operation(out, t, t->errors, "s3up_s3_errors_total",
                 "Requests that got no answer, or an error other than not found or a failed "
                 "condition.",
                 p);
    head(out, "s3up_signing_seconds", "histogram",
         "Time to sign part URLs, one request (a part or a batch) each.", p);
    for (apr_size_t i = 0; i <= N_BOUNDS; i++) {
        total += get(&t->signing[i]);
        sample(out, "s3up_signing_seconds_bucket",
               apr_psprintf(p, "{le=\"%s\"}", i < N_BOUNDS ? bounds[i].seconds : "+Inf"), total, p);
    }
    APR_ARRAY_PUSH(out, const char *) = apr_psprintf(
        p, "s3up_signing_seconds_sum %.6f\ns3up_signing_seconds_count %" APR_UINT64_T_FMT "\n",
        get(&t->signing_usec) / 1e6, total);
    if (expire) {
        head(out, "s3up_credentials_expiry_timestamp_seconds", "gauge",
             "When the credentials in use expire (Unix time).", p);
        APR_ARRAY_PUSH(out, const char *) = apr_psprintf(
            p, "s3up_credentials_expiry_timestamp_seconds %" APR_UINT64_T_FMT "\n", expire);
    }
    return apr_array_pstrcat(p, out, 0);
}
