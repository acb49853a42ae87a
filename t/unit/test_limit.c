/*
 * Try limits: counting before verifying, waiting, windows ending,
 * clearing, locks learnt from elsewhere. At once: entering, leaving, other
 * keys, a full table, long keys.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_limit.h"
#include "tap.h"

/* At most so many at once (window 0). */
static void test_at_once(apr_pool_t *p)
{
    s3up_limit_t *g =
        s3up_limit_attach(apr_pcalloc(p, s3up_limit_size(16)), 16, 0, 0, NULL, NULL, p);
    char key[32];
    int in = 0;

    ok(s3up_limit_enter(g, "u1", 2) && s3up_limit_enter(g, "u1", 2), "two in for u1");
    ok(!s3up_limit_enter(g, "u1", 2), "a third is refused");
    ok(s3up_limit_enter(g, "u2", 2), "another key is counted apart");
    s3up_limit_leave(g, "u1");
    ok(s3up_limit_enter(g, "u1", 2), "one left: one more may enter");
    s3up_limit_leave(g, "u1");
    s3up_limit_leave(g, "u1");
    s3up_limit_leave(g, "u2");
    /* 200 keys into 16 slots: every slot ends up taken, the rest refused
     * (a key in never gives way, however old). */
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        in += s3up_limit_enter(g, key, 1);
    }
    is_int(in, 16, "a full table holds 16 keys");
    ok(!s3up_limit_enter(g, "one-more", 1), "and refuses a new one rather than let it through");
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        s3up_limit_leave(g, key);
    }
    ok(s3up_limit_enter(g, "one-more", 1), "all left: slots free again");
    {
        char longkey[200];
        memset(longkey, 'y', sizeof(longkey) - 1);
        longkey[sizeof(longkey) - 1] = '\0';
        ok(s3up_limit_enter(g, longkey, 1) && !s3up_limit_enter(g, longkey, 1),
           "an over-long key counts by its first 64 bytes (and is not overflowed)");
    }
}

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
    is_int(s3up_limit_take(l, "a", t0), 0, "first try taken");
    is_int(s3up_limit_take(l, "a", t0 + 1), 0, "second try taken");
    is_int(s3up_limit_wait(l, "a", t0 + 2), 0, "two tries: may still try");
    is_int(s3up_limit_take(l, "a", t0 + apr_time_from_sec(10)), 0, "third try taken");
    is_int(s3up_limit_wait(l, "a", t0 + apr_time_from_sec(10)), window - apr_time_from_sec(10),
           "three tries: waits until the window ends");
    is_int(s3up_limit_take(l, "a", t0 + apr_time_from_sec(10)), window - apr_time_from_sec(10),
           "a fourth try is not taken, and says how long to wait");
    is_int(s3up_limit_wait(l, "b", t0), 0, "another key is not affected");
    is_int(s3up_limit_wait(l, "a", t0 + window), 0, "the window over: may try again");
    is_int(s3up_limit_take(l, "a", t0 + window), 0, "and counting starts over");
    is_int(s3up_limit_wait(l, "a", t0 + window + 1), 0, "one try in the new window");

    s3up_limit_take(l, "c", t0);
    s3up_limit_take(l, "c", t0);
    s3up_limit_clear(l, "c");
    s3up_limit_take(l, "c", t0);
    s3up_limit_take(l, "c", t0);
    is_int(s3up_limit_wait(l, "c", t0), 0, "a success clears the tries");

    s3up_limit_block(l, "d", t0 + apr_time_from_sec(60), t0);
    is_int(s3up_limit_wait(l, "d", t0), apr_time_from_sec(60),
           "a lock learnt from elsewhere: waits until it ends");
    is_int(s3up_limit_take(l, "d", t0 + apr_time_from_sec(59)), apr_time_from_sec(1),
           "no try is taken meanwhile");
    is_int(s3up_limit_take(l, "d", t0 + apr_time_from_sec(60)), 0, "and tries resume after it");

    {
        /* A full table: newer keys take the oldest windows' slots, and
         * what is counted is still counted right. */
        char key[32];
        for (int i = 0; i < 20000; i++) {
            snprintf(key, sizeof(key), "k%d", i);
            s3up_limit_take(l, key, t0 + i);
        }
        s3up_limit_take(l, "late", t0 + 30000);
        s3up_limit_take(l, "late", t0 + 30001);
        s3up_limit_take(l, "late", t0 + 30002);
        ok(s3up_limit_wait(l, "late", t0 + 30003) > 0, "a full table still counts a new key");
        is_int(s3up_limit_wait(l, "k5", t0 + 30003), 0, "long-gone keys have given way");
    }
    {
        char longkey[200];
        memset(longkey, 'x', sizeof(longkey) - 1);
        longkey[sizeof(longkey) - 1] = '\0';
        s3up_limit_take(l, longkey, t0);
        s3up_limit_take(l, longkey, t0);
        s3up_limit_take(l, longkey, t0);
        ok(s3up_limit_wait(l, longkey, t0) > 0,
           "an over-long key is counted by its first 64 bytes (and not overflowed)");
    }

    test_at_once(p);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
