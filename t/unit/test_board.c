/*
 * The board of texts httpd's processes leave for each other: left and
 * taken, by name, within a time and a generation; a new name in the
 * oldest slot; names and texts too long are not left; the lock is taken
 * around each use; a board over memory that was never zeroed.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_board.h"
#include "tap.h"

static int held, locks;

static void lock(void *baton, int on)
{
    (void)baton;
    held += on ? 1 : -1;
    locks += on;
}

int main(void)
{
    apr_pool_t *p;
    const char *text = NULL;
    apr_time_t made = 0, t = apr_time_from_sec(1000);
    char *mem, *big;
    s3up_board_t *b;

    apr_initialize();
    apr_pool_create(&p, NULL);
    mem = apr_palloc(p, s3up_board_size(3, 64));
    memset(mem, 0x5a, s3up_board_size(3, 64)); /* whatever was there */
    s3up_board_clear(mem, 3, 64);
    b = s3up_board_attach(mem, 3, 64, lock, NULL, p);

    ok(!s3up_board_get(&text, &made, b, "l:bkt/a/", 0, 7, p), "an empty board has nothing");
    ok(s3up_board_put(b, "l:bkt/a/", "1\nlisting a", t, 7), "a text is left");
    ok(s3up_board_get(&text, &made, b, "l:bkt/a/", t - 10, 7, p), "and taken by its name");
    is_str(text, "1\nlisting a", "... whole");
    ok(made == t, "... with the time it was made");
    ok(!s3up_board_get(&text, &made, b, "l:bkt/a/", t + 1, 7, p),
       "not when asked for a newer one (the TTL ran out)");
    ok(!s3up_board_get(&text, &made, b, "l:bkt/a/", 0, 8, p),
       "not after a write (another generation)");
    ok(!s3up_board_get(&text, &made, b, "l:bkt/b/", 0, 7, p), "not under another name");

    s3up_board_put(b, "l:bkt/a/", "1\nlisting a, again", t + 5, 8);
    ok(s3up_board_get(&text, &made, b, "l:bkt/a/", 0, 8, p) && !strcmp(text, "1\nlisting a, again"),
       "left again: the new text in its place");
    s3up_board_put(b, "l:bkt/b/", "b", t + 1, 8);
    s3up_board_put(b, "l:bkt/c/", "c", t + 2, 8);
    s3up_board_put(b, "l:bkt/d/", "d", t + 3, 8);
    ok(!s3up_board_get(&text, &made, b, "l:bkt/b/", 0, 8, p),
       "a fourth name on a board of 3: the oldest (b) gives way");
    ok(s3up_board_get(&text, &made, b, "l:bkt/a/", 0, 8, p) &&
           s3up_board_get(&text, &made, b, "l:bkt/c/", 0, 8, p) &&
           s3up_board_get(&text, &made, b, "l:bkt/d/", 0, 8, p),
       "the others stay");

    big = apr_palloc(p, 66);
    memset(big, 'x', 65);
    big[65] = '\0';
    ok(!s3up_board_put(b, "l:bkt/e/", big, t + 9, 8), "a text longer than a slot is not left");
    big[64] = '\0';
    ok(s3up_board_put(b, "l:bkt/e/", big, t + 9, 8) &&
           s3up_board_get(&text, &made, b, "l:bkt/e/", 0, 8, p) && strlen(text) == 64,
       "one that fills it is");
    big = apr_palloc(p, S3UP_BOARD_NAME_MAX + 2);
    memset(big, 'n', S3UP_BOARD_NAME_MAX + 1);
    big[S3UP_BOARD_NAME_MAX + 1] = '\0';
    ok(!s3up_board_put(b, big, "x", t, 8) && !s3up_board_get(&text, &made, b, big, 0, 8, p),
       "a name too long is neither left nor looked for");
    ok(!s3up_board_put(b, "", "x", t, 8), "nor an empty one");
    ok(locks > 0 && held == 0, "every use took the lock and gave it back");

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
