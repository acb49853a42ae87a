/*
 * Failed-try limits: counting, waiting, windows ending, clearing.
 */
#include <apr_general.h>

#include "s3up_limit.h"
#include "tap.h"

int main(void)
{
    apr_pool_t *p;
    s3up_limit_t *l;
    apr_time_t t0 = apr_time_from_sec(1800000000);
    apr_interval_time_t window = apr_time_from_sec(900);

    apr_initialize();
    apr_pool_create(&p, NULL);
    s3up_limit_create(&l, 3, window, p);

    is_int(s3up_limit_wait(l, "a", t0), 0, "a fresh key may try");
    s3up_limit_fail(l, "a", t0);
    s3up_limit_fail(l, "a", t0 + 1);
    is_int(s3up_limit_wait(l, "a", t0 + 2), 0, "two failures: may still try");
    s3up_limit_fail(l, "a", t0 + apr_time_from_sec(10));
    is_int(s3up_limit_wait(l, "a", t0 + apr_time_from_sec(10)), window - apr_time_from_sec(10),
           "three failures: waits until the window ends");
    is_int(s3up_limit_wait(l, "b", t0), 0, "another key is not affected");
    is_int(s3up_limit_wait(l, "a", t0 + window), 0, "the window over: may try again");
    s3up_limit_fail(l, "a", t0 + window);
    is_int(s3up_limit_wait(l, "a", t0 + window + 1), 0, "and counting starts over");

    s3up_limit_fail(l, "c", t0);
    s3up_limit_fail(l, "c", t0);
    s3up_limit_clear(l, "c");
    s3up_limit_fail(l, "c", t0);
    s3up_limit_fail(l, "c", t0);
    is_int(s3up_limit_wait(l, "c", t0), 0, "a success clears the failures");

    {
        char key[32];
        for (int i = 0; i < 20000; i++) {
            snprintf(key, sizeof(key), "k%d", i);
            s3up_limit_fail(l, key, t0);
        }
        ok(1, "20,000 keys: memory stays bounded (no crash; valgrind checks the rest)");
    }

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
