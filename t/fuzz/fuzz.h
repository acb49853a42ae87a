/*
 * What every libFuzzer target shares: APR set up once, a pool per input
 * (destroyed after it, so the sanitizer sees every leak and use after
 * free), the input as a NUL-terminated string, and touch() to read what a
 * parser returned (a bad pointer in a result is found here too).
 * Build: make fuzz. Run: t/fuzz/run.
 */
#ifndef S3UP_FUZZ_H
#define S3UP_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

static inline void touch(const char *s)
{
    volatile size_t n = s ? strlen(s) : 0;
    (void)n;
}

/* The target's body: data as a string of len bytes (NULs included) in p. */
static void fuzz_one(const char *data, apr_size_t len, apr_pool_t *p);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    apr_pool_t *p;
    char *s;

    if (!ready) {
        apr_initialize();
        ready = 1;
    }
    apr_pool_create_unmanaged_ex(&p, NULL, NULL);
    s = apr_palloc(p, size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    fuzz_one(s, size, p);
    apr_pool_destroy(p);
    return 0;
}

/* The input cut at separator sep into at most max pieces (the last holds
 * the rest); returns how many. */
static inline int fuzz_split(const char **pieces, int max, char *s, char sep)
{
    int n = 0;

    while (n < max - 1) {
        char *at = strchr(s, sep);
        if (!at) {
            break;
        }
        *at = '\0';
        pieces[n++] = s;
        s = at + 1;
    }
    pieces[n++] = s;
    return n;
}

#endif /* S3UP_FUZZ_H */
