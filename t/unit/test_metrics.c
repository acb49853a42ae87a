/*
 * The server's counters: adds, requests by operation, the signing latency
 * histogram, and how both readings (JSON, Prometheus text) show them.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_metrics.h"
#include "tap.h"

static json_int_t at(json_t *o, const char *path)
{
    char *copy = strdup(path), *last, *name;
    json_t *v = o;

    for (name = apr_strtok(copy, ".", &last); name && v; name = apr_strtok(NULL, ".", &last)) {
        v = json_object_get(v, name);
    }
    free(copy);
    return v ? json_integer_value(v) : -1;
}

int main(void)
{
    apr_pool_t *p;
    s3up_metrics_t *m;
    json_t *j;
    const char *text;

    apr_initialize();
    apr_pool_create(&p, NULL);
    m = s3up_metrics_attach(apr_pcalloc(p, s3up_metrics_size()), p);

    s3up_metrics_add(NULL, S3UP_M_UPLOADS_STARTED, 1);
    s3up_metrics_request(NULL, "PutObject", 1);
    s3up_metrics_signing(NULL, 10);
    s3up_metrics_creds(NULL, 1, 1);
    ok(1, "no counters (NULL): nothing counted, nothing broken");

    s3up_metrics_add(m, S3UP_M_UPLOADS_STARTED, 2);
    s3up_metrics_add(m, S3UP_M_UPLOADS_COMPLETED, 1);
    s3up_metrics_add(m, S3UP_M_BYTES_COMPLETED, 5ULL << 40);
    s3up_metrics_add(m, S3UP_M_COUNTERS, 7); /* out of range: ignored */
    s3up_metrics_request(m, "PutObject", 0);
    s3up_metrics_request(m, "PutObject", 1);
    s3up_metrics_request(m, "HeadObject", 0);
    s3up_metrics_request(m, "SomethingNew", 1);
    s3up_metrics_signing(m, 40);     /* <= 50 us */
    s3up_metrics_signing(m, 50);     /* <= 50 us: bounds are inclusive */
    s3up_metrics_signing(m, 700);    /* <= 1 ms */
    s3up_metrics_signing(m, 900000); /* above every bound */

    j = s3up_metrics_json(m, p);
    is_int(at(j, "uploads_started"), 2, "JSON: uploads started");
    is_int(at(j, "uploads_completed"), 1, "JSON: completed");
    is_int(at(j, "bytes_completed"), (json_int_t)(5LL << 40), "JSON: 5 TiB of bytes, no overflow");
    is_int(at(j, "uploads_failed"), 0, "JSON: nothing failed");
    is_int(at(j, "requests.PutObject.requests"), 2, "JSON: PutObject requests");
    is_int(at(j, "requests.PutObject.errors"), 1, "JSON: PutObject errors");
    is_int(at(j, "requests.HeadObject.errors"), 0, "JSON: HeadObject without errors");
    is_int(at(j, "requests.other.requests"), 1, "JSON: an unknown operation counts as other");
    ok(!json_object_get(json_object_get(j, "requests"), "GetObject"),
       "JSON: operations never asked for are left out");
    is_int(at(j, "signing.count"), 4, "JSON: four signings");
    ok(json_is_null(json_object_get(j, "credentials_expire")), "JSON: no expiry to show");
    {
        json_t *b = json_object_get(json_object_get(j, "signing"), "buckets");
        is_int(json_integer_value(json_object_get(json_array_get(b, 0), "count")), 2,
               "JSON: two in the first bucket (cumulative)");
        is_int(json_integer_value(json_object_get(json_array_get(b, 4), "count")), 3,
               "JSON: three up to 1 ms");
        ok(json_is_null(json_object_get(json_array_get(b, json_array_size(b) - 1), "le_seconds")),
           "JSON: the last bucket has no bound");
    }
    json_decref(j);

    s3up_metrics_creds(m, 0, 0);
    s3up_metrics_creds(m, apr_time_from_sec(1800000000), 1);
    s3up_metrics_creds(m, 0, 0); /* a failure leaves the expiry of what is in hand */
    text = s3up_metrics_prometheus(m, p);
    ok(strstr(text, "# TYPE s3up_uploads_started_total counter\ns3up_uploads_started_total 2\n") !=
           NULL,
       "Prometheus: a counter with its TYPE");
    ok(strstr(text, "s3up_bytes_completed_total 5497558138880\n") != NULL,
       "Prometheus: bytes as a whole number");
    ok(strstr(text, "s3up_s3_requests_total{operation=\"PutObject\"} 2\n") &&
           strstr(text, "s3up_s3_errors_total{operation=\"PutObject\"} 1\n") &&
           strstr(text, "s3up_s3_errors_total{operation=\"other\"} 1\n"),
       "Prometheus: requests and errors by operation");
    ok(strstr(text, "s3up_signing_seconds_bucket{le=\"0.00005\"} 2\n") &&
           strstr(text, "s3up_signing_seconds_bucket{le=\"0.001\"} 3\n") &&
           strstr(text, "s3up_signing_seconds_bucket{le=\"+Inf\"} 4\n") &&
           strstr(text, "s3up_signing_seconds_count 4\n") &&
           strstr(text, "s3up_signing_seconds_sum 0.900790\n"),
       "Prometheus: a cumulative histogram with its sum and count");
    ok(strstr(text, "s3up_credentials_expiry_timestamp_seconds 1800000000\n") != NULL,
       "Prometheus: the credentials' expiry");
    ok(strstr(text, "s3up_credentials_fetched_total 1\n") &&
           strstr(text, "s3up_credentials_failed_total 2\n"),
       "Prometheus: credentials fetched and failed");
    j = s3up_metrics_json(m, p);
    is_str(json_string_value(json_object_get(j, "credentials_expire")), "2027-01-15T08:00:00Z",
           "JSON: the credentials' expiry");
    json_decref(j);

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
