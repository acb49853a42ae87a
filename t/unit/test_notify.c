/*
 * Arrival notifications: the event, its signature (against a value
 * computed by Python's hmac module), delivery with retries over the
 * scripted transport, the bounded queue, stopping.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_json.h"
#include "s3up_notify.h"
#include "fake_http.h"
#include "tap.h"

static s3up_http_t http = {&fake_ops, NULL, 0, 0, 0};
static int sleeps;
static apr_interval_time_t slept[8];

static void no_wait(s3up_notifier_t *n, apr_interval_time_t t)
{
    (void)n;
    if (sleeps < 8) {
        slept[sleeps] = t;
    }
    sleeps++;
}

int main(void)
{
    apr_pool_t *p;
    s3up_notifier_t *n;
    s3up_metrics_t *m;
    json_t *j;
    const char *body, *why;
    s3up_arrival_t a = {"bkt",
                        "acme",
                        "uploads/acme/r&d/plan.pdf",
                        "r&d/plan.pdf",
                        1234,
                        "\"0cc175b9c0f1b6a831c399e269772661\"",
                        "alice@example.com",
                        "oidc",
                        apr_time_from_sec(1800000000)};

    apr_initialize();
    apr_pool_create(&p, NULL);
    m = s3up_metrics_attach(apr_pcalloc(p, s3up_metrics_size()), p);

    body = s3up_notify_event(&a, "0123456789abcdef0123456789abcdef", p);
    ok(body && s3up_json_parse(&j, body, strlen(body), 4096, &why, p) == APR_SUCCESS,
       "the event is JSON: %s", body);
    is_str(s3up_json_str(j, "type"), "s3up.file.arrived", "its type");
    is_str(s3up_json_str(j, "key"), "uploads/acme/r&d/plan.pdf", "the key");
    is_str(s3up_json_str(j, "name"), "r&d/plan.pdf", "the name below the folder");
    is_str(s3up_json_str(j, "time"), "2027-01-15T08:00:00Z", "the time");
    is_int(json_integer_value(json_object_get(j, "size")), 1234, "the size");
    is_str(s3up_json_str(json_object_get(j, "uploaded_by"), "name"), "alice@example.com",
           "by whom");
    is_str(s3up_json_str(j, "etag"), "\"0cc175b9c0f1b6a831c399e269772661\"", "the ETag");

    /* HMAC-SHA256("Jefe", "1700000000.x") by Python's hmac module. */
    is_str(s3up_notify_signature("Jefe", apr_time_from_sec(1700000000), "x", p),
           "t=1700000000,v1=95ba1fddc0743288472f74290fa59971211ab763d047813f6649e08e49308276",
           "the signature: t=UNIX,v1=HMAC-SHA256(secret, \"UNIX.body\")");

    ok(s3up_notifier_create(&n, "http://127.0.0.1:9/hook", "k3y-0123456789abcdef0123456789ab",
                            &http, m, 2, p) == APR_SUCCESS,
       "a notifier");
    s3up_notifier_set_clock(n, fixed_now, no_wait);

    script(1, OK(204));
    ok(s3up_notifier_deliver(n, body, p) == APR_SUCCESS && fake.calls == 1, "delivered at once");
    is_str(fake.method, "POST", "POSTed");
    is_str(fake.url, "http://127.0.0.1:9/hook", "to the URL");
    is_str(sent_header("content-type"), "application/json", "as JSON");
    is_str(sent_header("x-s3up-signature"),
           s3up_notify_signature("k3y-0123456789abcdef0123456789ab", fixed_now(), body, p),
           "signed");
    ok(fake.body && !strcmp(fake.body, body), "the body as made");

    sleeps = 0;
    script(3, OK(503), FAIL(S3UP_ENOCONNECT), OK(200));
    ok(s3up_notifier_deliver(n, body, p) == APR_SUCCESS && fake.calls == 3,
       "a 503 and no connection are tried again");
    ok(sleeps == 2 && slept[0] >= apr_time_from_msec(500) && slept[1] >= slept[0] / 2,
       "with waits between (%d)", sleeps);

    script(2, OK(400), OK(200));
    ok(s3up_notifier_deliver(n, body, p) != APR_SUCCESS && fake.calls == 1,
       "a 400 is not tried again");
    script(2, OK(429), OK(200));
    ok(s3up_notifier_deliver(n, body, p) == APR_SUCCESS && fake.calls == 2, "a 429 is");

    s3up_notifier_set_retries(n, 3, apr_time_from_sec(1), apr_time_from_sec(4));
    script(4, OK(500), OK(500), OK(500), OK(200));
    ok(s3up_notifier_deliver(n, body, p) != APR_SUCCESS && fake.calls == 3,
       "given up after the attempts allowed");

    {
        json_t *c = s3up_metrics_json(m, p);
        is_int(json_integer_value(json_object_get(c, "notifications_sent")), 3,
               "three counted sent");
        is_int(json_integer_value(json_object_get(c, "notifications_failed")), 2,
               "two counted failed");
        json_decref(c);
    }

    ok(s3up_notifier_post(n, "{}") == APR_SUCCESS && s3up_notifier_post(n, "{}") == APR_SUCCESS,
       "two queued");
    is_int(s3up_notifier_post(n, "{}"), APR_EAGAIN, "a third: the queue is full, never waits");
    s3up_notifier_stop(n);
    is_int(s3up_notifier_post(n, "{}"), APR_EOF, "stopped: nothing more is taken");
    {
        json_t *c = s3up_metrics_json(m, p);
        is_int(json_integer_value(json_object_get(c, "notifications_failed")), 6,
               "the full queue, the two dropped at the stop, the late one: failed");
        json_decref(c);
    }
    s3up_notifier_run(n); /* returns at once: stopped */
    ok(1, "the worker's loop ends once stopped");

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
