/*
 * Routes: each handler's API is one table of (method, pattern, function),
 * read top to bottom by one matcher. A pattern is the path below the
 * location, segment by segment: a literal, or {name} for any one segment,
 * handed to the function in order. Of the patterns a path matches, only
 * those with the most literal segments count ("s3/multipart/{id}/batch"
 * before "s3/multipart/{id}/{n}"); a path they match with another method
 * gets 405, a path nothing matches 404.
 *
 * t/integration/authz_matrix.t reads these tables from the source: a route
 * added without a row in its matrix fails that test.
 */
#ifndef MOD_S3UP_ROUTE_H
#define MOD_S3UP_ROUTE_H

#include <httpd.h>

#define S3UP_ROUTE_ARGS 4

typedef int s3up_route_fn(void *ctx, const char *const *args);

typedef struct s3up_route_t {
    const char *method;
    const char *pattern;
    s3up_route_fn *fn;
} s3up_route_t;

/* Run the route of routes (ending with a NULL method) that r's method and
 * path (below the location, no leading '/') select, with ctx; or answer
 * 404 / 405 in the API's error shape. */
int s3up_route(request_rec *r, const s3up_route_t *routes, const char *path, void *ctx);

/* Whether some route's pattern matches path, whatever the method. */
int s3up_route_exists(const s3up_route_t *routes, const char *path);

#endif /* MOD_S3UP_ROUTE_H */
