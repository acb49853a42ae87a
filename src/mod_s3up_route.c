/*
 * The route matcher.
 */
#include <apr_strings.h>

#include <http_protocol.h>

#include "mod_s3up_request.h"
#include "mod_s3up_route.h"

/* The literal segments of pattern if path matches it (args receive the
 * {name} segments), else -1. */
static int match(const char *pattern, const char *path, const char **args, apr_pool_t *p)
{
    int literals = 0, n = 0;

    for (;;) {
        const char *pe = strchr(pattern, '/'), *se = strchr(path, '/');
        apr_size_t pl = pe ? (apr_size_t)(pe - pattern) : strlen(pattern);
        apr_size_t sl = se ? (apr_size_t)(se - path) : strlen(path);

        if (pl >= 2 && pattern[0] == '{' && pattern[pl - 1] == '}') {
            if (sl == 0 || n >= S3UP_ROUTE_ARGS) {
                return -1;
            }
            if (args) {
                args[n] = apr_pstrmemdup(p, path, sl);
            }
            n++;
        } else if (pl != sl || strncmp(pattern, path, pl)) {
            return -1;
        } else {
            literals++;
        }
        if (!pe || !se) {
            return !pe && !se ? literals : -1;
        }
        pattern = pe + 1;
        path = se + 1;
    }
}

static int best(const s3up_route_t *routes, const char *path)
{
    int most = -1;

    for (const s3up_route_t *rt = routes; rt->method; rt++) {
        int m = match(rt->pattern, path, NULL, NULL);
        most = m > most ? m : most;
    }
    return most;
}

int s3up_route_exists(const s3up_route_t *routes, const char *path)
{
    return best(routes, path) >= 0;
}

int s3up_route(request_rec *r, const s3up_route_t *routes, const char *path, void *ctx)
{
    const char *args[S3UP_ROUTE_ARGS] = {NULL};
    int most = best(routes, path);

    if (most < 0) {
        return s3up_reply_error(r, HTTP_NOT_FOUND, "BadRequest", "no such route");
    }
    for (const s3up_route_t *rt = routes; rt->method; rt++) {
        /* By number: HEAD is GET's. */
        if (ap_method_number_of(rt->method) == r->method_number &&
            match(rt->pattern, path, args, r->pool) == most) {
            return rt->fn(ctx, args);
        }
    }
    return s3up_reply_not_allowed(r);
}
