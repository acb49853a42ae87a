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
    void *mem;
    apr_time_t t0 = apr_time_from_sec(1800000000);
    apr_interval_time_t window = apr_time_from_sec(900);

    apr_initialize();
    apr_pool_create(&p, NULL);
    mem = apr_pcalloc(p, s3up_limit_size(64));
    l = s3up_limit_attach(mem, 64, 3, window, NULL, NULL, p);

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
        /* A full table: newer keys take the oldest windows' slots, and
         * what is counted is still counted right. */
        char key[32];
        for (int i = 0; i < 20000; i++) {
            snprintf(key, sizeof(key), "k%d", i);
            s3up_limit_fail(l, key, t0 + i);
        }
        s3up_limit_fail(l, "late", t0 + 30000);
        s3up_limit_fail(l, "late", t0 + 30001);
        s3up_limit_fail(l, "late", t0 + 30002);
        ok(s3up_limit_wait(l, "late", t0 + 30003) > 0, "a full table still counts a new key");
        is_int(s3up_limit_wait(l, "k5", t0 + 30003), 0, "long-gone keys have given way");
    }
    {
        char longkey[200];
        memset(longkey, 'x', sizeof(longkey) - 1);
        longkey[sizeof(longkey) - 1] = '\0';
        s3up_limit_fail(l, longkey, t0);
        s3up_limit_fail(l, longkey, t0);
        s3up_limit_fail(l, longkey, t0);
        ok(s3up_limit_wait(l, longkey, t0) > 0,
           "an over-long key is counted by its first 64 bytes (and not overflowed)");
    }

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
