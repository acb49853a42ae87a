/*
 * SigV4 canonicalisation and signing of whatever a request may hold: the
 * input is split at newlines into a method, a path, a query and headers
 * ("name=value" and "name:value" lines). Signing twice must give the same
 * signature, and a presigned query must be made or refused cleanly.
 */
#include "fuzz.h"
#include "s3up_sigv4.h"
#include "s3up_util.h"

#define MAX_LINES 16

static apr_array_header_t *pairs(const char *line, char sep, char eq, apr_pool_t *p)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(s3up_kv_t));
    char *copy = apr_pstrdup(p, line);
    const char *items[MAX_LINES];
    int n = fuzz_split(items, MAX_LINES, copy, sep);

    for (int i = 0; i < n; i++) {
        char *at = strchr(items[i], eq);
        if (at) {
            *at = '\0';
            s3up_kv_add(out, items[i], at + 1);
        } else if (*items[i]) {
            s3up_kv_add(out, items[i], "");
        }
    }
    return out;
}

static void fuzz_one(const char *data, apr_size_t len, apr_pool_t *p)
{
    s3up_sigv4_t *signer;
    s3up_creds_t creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, 0};
    const char *lines[4], *canonical, *signed_headers, *first, *query;
    s3up_sigv4_req_t req = {0};
    char *copy = apr_pstrmemdup(p, data, len);
    int n;

    if (s3up_sigv4_create(&signer, p) != APR_SUCCESS) {
        return;
    }
    n = fuzz_split(lines, 4, copy, '\n');
    req.method = n > 0 ? lines[0] : "GET";
    req.path = n > 1 && *lines[1] ? lines[1] : "/";
    req.query = pairs(n > 2 ? lines[2] : "", '&', '=', p);
    req.headers = pairs(n > 3 ? lines[3] : "", '\r', ':', p);
    s3up_kv_add(req.headers, "host", "bucket.s3.amazonaws.com");
    req.region = "us-east-1";
    req.service = "s3";
    req.now = apr_time_from_sec(1440938160);
    req.flags = len ? (data[0] & 7) : 0;
    if (s3up_sigv4_canonical_request(&canonical, &signed_headers, &req, p) == APR_SUCCESS) {
        touch(canonical);
        touch(signed_headers);
    }
    if (s3up_sigv4_sign_headers(signer, &req, &creds, p) == APR_SUCCESS) {
        first = apr_pstrdup(p, s3up_kv_get(req.headers, "authorization"));
        if (s3up_sigv4_sign_headers(signer, &req, &creds, p) != APR_SUCCESS ||
            strcmp(first, s3up_kv_get(req.headers, "authorization"))) {
            abort(); /* signing is a function of the request */
        }
    }
    req.headers = apr_array_make(p, 1, sizeof(s3up_kv_t));
    s3up_kv_add(req.headers, "host", "bucket.s3.amazonaws.com");
    if (s3up_sigv4_presign(&query, signer, &req, &creds, apr_time_from_sec(3600), p) ==
        APR_SUCCESS) {
        touch(query);
    }
    touch(s3up_uri_encode(data, len & 1, p));
}
