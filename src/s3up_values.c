/*
 * The values of directives: sizes, durations, bucket and region names,
 * URLs and key prefixes. Each function answers NULL when the value is
 * fine, else why not (without the directive's name, which the caller adds).
 */
#include <errno.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "s3up_values.h"

const char *s3up_values_size(apr_off_t *out, const char *arg, apr_pool_t *p)
{
    const char *hint = "use a number of bytes with an optional K, M, G or T suffix "
                       "(binary: 1K = 1024)";
    apr_int64_t n;
    char *end;
    int shift = 0;

    if (!apr_isdigit(*arg)) {
        return apr_psprintf(p, "'%s' is not a size; %s", arg, hint);
    }
    errno = 0;
    n = apr_strtoi64(arg, &end, 10);
    switch (apr_toupper(*end)) {
    case '\0':
        break;
    case 'K':
        shift = 10;
        break;
    case 'M':
        shift = 20;
        break;
    case 'G':
        shift = 30;
        break;
    case 'T':
        shift = 40;
        break;
    default:
        return apr_psprintf(p, "'%s' has an unknown size suffix; %s", arg, hint);
    }
    if (*end && end[1]) {
        return apr_psprintf(p, "'%s' has an unknown size suffix; %s", arg, hint);
    }
    if (errno == ERANGE || n > (APR_INT64_MAX >> shift)) {
        return apr_psprintf(p, "'%s' is too large", arg);
    }
    *out = (apr_off_t)(n << shift);
    return NULL;
}

const char *s3up_values_duration(apr_interval_time_t *out, const char *arg, apr_pool_t *p)
{
    const char *hint = "use a number of seconds with an optional s, m, h or d suffix";
    apr_int64_t n, unit = 1;
    char *end;

    if (!apr_isdigit(*arg)) {
        return apr_psprintf(p, "'%s' is not a duration; %s", arg, hint);
    }
    errno = 0;
    n = apr_strtoi64(arg, &end, 10);
    switch (apr_tolower(*end)) {
    case '\0':
    case 's':
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    default:
        return apr_psprintf(p, "'%s' has an unknown time unit; %s", arg, hint);
    }
    if (*end && end[1]) {
        return apr_psprintf(p, "'%s' has an unknown time unit; %s", arg, hint);
    }
    if (errno == ERANGE || n > APR_INT64_MAX / unit / APR_USEC_PER_SEC) {
        return apr_psprintf(p, "'%s' is too long", arg);
    }
    *out = apr_time_from_sec(n * unit);
    return NULL;
}

/* Human text for a duration in an error message. */
const char *s3up_values_duration_text(apr_interval_time_t t, apr_pool_t *p)
{
    apr_int64_t s = apr_time_sec(t);

    if (s && s % 86400 == 0) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT "d", s / 86400);
    }
    if (s && s % 3600 == 0) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT "h", s / 3600);
    }
    return apr_psprintf(p, "%" APR_INT64_T_FMT "s", s);
}

int s3up_values_blank(const char *s)
{
    for (; *s; s++) {
        if (apr_iscntrl(*s) || apr_isspace(*s)) {
            return 1;
        }
    }
    return 0;
}

/* S3's bucket naming rules (general purpose buckets): names that AWS would
 * refuse are refused here, so a config that works against one store keeps
 * working against AWS. */
const char *s3up_values_bucket(const char *b, apr_pool_t *p)
{
    static const char *bad_prefix[] = {"xn--", "sthree-", "amzn-s3-demo-", NULL};
    static const char *bad_suffix[] = {"-s3alias", "--ol-s3",    ".mrap",
                                       "--x-s3",   "--table-s3", NULL};
    apr_size_t len = strlen(b), i;
    int dots = 0, digits_and_dots = 1;

    if (len < 3 || len > 63) {
        return apr_psprintf(p, "'%s' must be 3 to 63 characters long", b);
    }
    for (i = 0; i < len; i++) {
        if (!(apr_islower(b[i]) || apr_isdigit(b[i]) || b[i] == '.' || b[i] == '-')) {
            return apr_psprintf(p, "'%s' may hold only lower-case letters, digits, '.' and '-'", b);
        }
        dots += b[i] == '.';
        digits_and_dots &= apr_isdigit(b[i]) || b[i] == '.';
    }
    if (!apr_isalnum(b[0]) || !apr_isalnum(b[len - 1])) {
        return apr_psprintf(p, "'%s' must begin and end with a letter or digit", b);
    }
    if (strstr(b, "..")) {
        return apr_psprintf(p, "'%s' must not hold two dots in a row", b);
    }
    if (dots == 3 && digits_and_dots) {
        return apr_psprintf(p, "'%s' must not look like an IP address", b);
    }
    for (i = 0; bad_prefix[i]; i++) {
        if (!strncmp(b, bad_prefix[i], strlen(bad_prefix[i]))) {
            return apr_psprintf(p, "'%s' must not begin with '%s' (reserved by S3)", b,
                                bad_prefix[i]);
        }
    }
    for (i = 0; bad_suffix[i]; i++) {
        apr_size_t n = strlen(bad_suffix[i]);
        if (len > n && !strcmp(b + len - n, bad_suffix[i])) {
            return apr_psprintf(p, "'%s' must not end with '%s' (reserved by S3)", b,
                                bad_suffix[i]);
        }
    }
    return NULL;
}

/* Regions go into the credential scope ("date/REGION/s3/aws4_request"), so
 * a '/' or a space would break signing. AWS names are like eu-west-1;
 * other stores use names like "default", "auto" or "zonegroup_a". */
const char *s3up_values_region(const char *r, apr_pool_t *p)
{
    apr_size_t len = strlen(r), i;

    if (len < 1 || len > 32 || !apr_isalnum(r[0])) {
        return apr_psprintf(p, "'%s' is not a region name (like us-east-1)", r);
    }
    for (i = 0; i < len; i++) {
        if (!(apr_islower(r[i]) || apr_isdigit(r[i]) || r[i] == '-' || r[i] == '_')) {
            return apr_psprintf(p,
                                "'%s' is not a region name (like us-east-1): use lower-case "
                                "letters, digits, '-' and '_'",
                                r);
        }
    }
    return NULL;
}

/* An http(s) URL to a host, without path, query or user info: the endpoint
 * is where bucket paths or bucket host names are built from. */
const char *s3up_values_server_url(const char **out, const char *arg, apr_pool_t *p)
{
    apr_uri_t uri;

    if (apr_uri_parse(p, arg, &uri) != APR_SUCCESS || !uri.scheme || !uri.hostname ||
        !*uri.hostname) {
        return apr_psprintf(p, "'%s' is not a URL like https://s3.example.com[:port]", arg);
    }
    if (strcasecmp(uri.scheme, "http") && strcasecmp(uri.scheme, "https")) {
        return apr_psprintf(p, "'%s' must be an http:// or https:// URL", arg);
    }
    if (uri.user || uri.password) {
        return apr_psprintf(p,
                            "'%s' must not hold user information; credentials come from "
                            "S3UpCredentials",
                            arg);
    }
    if ((uri.path && *uri.path && strcmp(uri.path, "/")) || uri.query || uri.fragment) {
        return apr_psprintf(p,
                            "'%s' must not have a path or query: give the server only "
                            "(like https://s3.example.com:7480); the bucket is S3UpBucket",
                            arg);
    }
    *out = apr_pstrcat(p, strcasecmp(uri.scheme, "https") ? "http" : "https", "://", uri.hostinfo,
                       NULL);
    return NULL;
}

/* An absolute http(s) URL or a path on this host ("/upload/"). */
const char *s3up_values_url_or_path(const char *arg, apr_pool_t *p)
{
    apr_uri_t uri;

    if (arg[0] == '/' && arg[1] != '/' && !s3up_values_blank(arg)) {
        return NULL;
    }
    if (apr_uri_parse(p, arg, &uri) == APR_SUCCESS && uri.scheme &&
        (!strcasecmp(uri.scheme, "http") || !strcasecmp(uri.scheme, "https")) && uri.hostname &&
        *uri.hostname && !uri.query && !uri.fragment && !s3up_values_blank(arg)) {
        return NULL;
    }
    return apr_psprintf(p, "'%s' is neither an http(s) URL nor a path starting with '/'", arg);
}

/* Key prefixes: relative, no empty, '.' or '..' segments, no control
 * characters. A missing trailing '/' is added: a prefix names a folder. */
const char *s3up_values_prefix(const char **out, const char *arg, apr_pool_t *p)
{
    const char *seg;
    apr_size_t len = strlen(arg);

    if (!len || len > S3UP_VALUES_PREFIX_MAX) {
        return apr_psprintf(p, "'%s' must be 1 to %d characters long", arg, S3UP_VALUES_PREFIX_MAX);
    }
    if (arg[0] == '/') {
        return apr_psprintf(p, "'%s' must not begin with '/' (S3 keys are relative)", arg);
    }
    for (seg = arg; *seg; seg++) {
        if (apr_iscntrl(*seg) || *seg == '\\') {
            return apr_psprintf(p, "'%s' must not hold control characters or '\\'", arg);
        }
    }
    *out = arg[len - 1] == '/' ? apr_pstrdup(p, arg) : apr_pstrcat(p, arg, "/", NULL);
    for (seg = *out; *seg;) {
        apr_size_t n = strcspn(seg, "/");
        if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) {
            return apr_psprintf(p, "'%s' must not hold empty, '.' or '..' path segments", arg);
        }
        seg += n + 1;
    }
    return NULL;
}

/* Files and state share the bucket; neither prefix may contain the other,
 * or customers could write (or list) endpoint records. */
const char *s3up_values_prefixes_apart(const char *prefix, const char *state_prefix, apr_pool_t *p)
{
    if (!strncmp(state_prefix, prefix, strlen(prefix))) {
        return apr_psprintf(p, "S3UpStatePrefix '%s' lies inside S3UpPrefix '%s': keep them apart",
                            state_prefix, prefix);
    }
    if (!strncmp(prefix, state_prefix, strlen(state_prefix))) {
        return apr_psprintf(p, "S3UpPrefix '%s' lies inside S3UpStatePrefix '%s': keep them apart",
                            prefix, state_prefix);
    }
    return NULL;
}
