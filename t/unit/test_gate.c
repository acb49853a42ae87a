/*
 * At most so many at once per key: entering, leaving, other keys, a full
 * table, long keys.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_gate.h"
#include "tap.h"

int main(void)
{
    apr_pool_t *p;
    s3up_gate_t *g;
    char key[32];
    int in = 0;

    apr_initialize();
    apr_pool_create(&p, NULL);
    g = s3up_gate_attach(apr_pcalloc(p, s3up_gate_size(16)), 16, NULL, NULL, p);

    ok(s3up_gate_enter(g, "u1", 2) && s3up_gate_enter(g, "u1", 2), "two in for u1");
    ok(!s3up_gate_enter(g, "u1", 2), "a third is refused");
    ok(s3up_gate_enter(g, "u2", 2), "another key is counted apart");
    s3up_gate_leave(g, "u1");
    ok(s3up_gate_enter(g, "u1", 2), "one left: one more may enter");
    s3up_gate_leave(g, "u1");
    s3up_gate_leave(g, "u1");
    s3up_gate_leave(g, "u2");
    /* 200 keys into 16 slots: every slot ends up taken, the rest refused. */
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        in += s3up_gate_enter(g, key, 1);
    }
    is_int(in, 16, "a full table holds 16 keys");
    ok(!s3up_gate_enter(g, "one-more", 1), "and refuses a new one rather than let it through");
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        s3up_gate_leave(g, key);
    }
    ok(s3up_gate_enter(g, "one-more", 1), "all left: slots free again");
    {
        char longkey[200];
        memset(longkey, 'y', sizeof(longkey) - 1);
        longkey[sizeof(longkey) - 1] = '\0';
        ok(s3up_gate_enter(g, longkey, 1) && !s3up_gate_enter(g, longkey, 1),
           "an over-long key counts by its first 64 bytes (and is not overflowed)");
    }
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
