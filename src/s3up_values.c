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

/* Character sets, for strspn(). */
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"
#define ALNUM LOWER UPPER DIGITS

/* Whether all of s is made of the characters of set. */
static int made_of(const char *s, const char *set)
{
    return !s[strspn(s, set)];
}

static int count_of(const char *s, char c)
{
    int n = 0;

    for (; (s = strchr(s, c)); s++) {
        n++;
    }
    return n;
}

/* NULL and *out = arg when ok, else "'arg' why". */
static const char *take(const char **out, const char *arg, int ok, const char *why, apr_pool_t *p)
{
    if (!ok) {
        return apr_psprintf(p, "'%s' %s", arg, why);
    }
    *out = arg;
    return NULL;
}

/* A number with an optional one-letter unit; units[0] is the bare
 * number's (suffix '\0'), a factor of 0 ends the list. */
typedef struct {
    char suffix;
    apr_int64_t factor;
} unit_t;

static const unit_t bytes[] = {
    {'\0', 1},        {'K', 1LL << 10}, {'k', 1LL << 10}, {'M', 1LL << 20}, {'m', 1LL << 20},
    {'G', 1LL << 30}, {'g', 1LL << 30}, {'T', 1LL << 40}, {'t', 1LL << 40}, {0, 0},
};

static const unit_t seconds[] = {
    {'\0', APR_USEC_PER_SEC},       {'s', APR_USEC_PER_SEC},         {'m', 60 * APR_USEC_PER_SEC},
    {'h', 3600 * APR_USEC_PER_SEC}, {'d', 86400 * APR_USEC_PER_SEC}, {0, 0},
};

static const unit_t ones[] = {{'\0', 1}, {0, 0}};

typedef struct {
    const unit_t *units;
    const char *what, *unit, *hint, *large;
} quantity_t;

static const quantity_t size_q = {bytes, "size", "size suffix",
                                  "use a number of bytes with an optional K, M, G or T suffix "
                                  "(binary: 1K = 1024)",
                                  "too large"};
static const quantity_t duration_q = {
    seconds, "duration", "time unit",
    "use a number of seconds with an optional s, m, h or d suffix", "too long"};
static const quantity_t count_q = {ones, "number", "suffix", "use digits only", "too large"};

static const char *quantity(apr_int64_t *out, const char *arg, const quantity_t *q, apr_pool_t *p)
{
    const unit_t *u;
    apr_int64_t n;
    char *end;

    if (!apr_isdigit(*arg)) {
        return apr_psprintf(p, "'%s' is not a %s; %s", arg, q->what, q->hint);
    }
    errno = 0;
    n = apr_strtoi64(arg, &end, 10);
    for (u = q->units; u->factor && u->suffix != *end; u++) {
    }
    if (!u->factor || (*end && end[1])) {
        return apr_psprintf(p, "'%s' has an unknown %s; %s", arg, q->unit, q->hint);
    }
    if (errno == ERANGE || n > APR_INT64_MAX / u->factor) {
        return apr_psprintf(p, "'%s' is %s", arg, q->large);
    }
    *out = n * u->factor;
    return NULL;
}

const char *s3up_values_size(apr_int64_t *out, const char *arg, apr_pool_t *p)
{
    return quantity(out, arg, &size_q, p);
}

const char *s3up_values_duration(apr_interval_time_t *out, const char *arg, apr_pool_t *p)
{
    return quantity(out, arg, &duration_q, p);
}

const char *s3up_values_count(apr_int64_t *out, const char *arg, apr_pool_t *p)
{
    return quantity(out, arg, &count_q, p);
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
const char *s3up_values_bucket(const char **out, const char *b, apr_pool_t *p)
{
    static const char *bad_prefix[] = {"xn--", "sthree-", "amzn-s3-demo-", NULL};
    static const char *bad_suffix[] = {"-s3alias", "--ol-s3",    ".mrap",
                                       "--x-s3",   "--table-s3", NULL};
    apr_size_t len = strlen(b), i;

    if (len < 3 || len > 63) {
        return apr_psprintf(p, "'%s' must be 3 to 63 characters long", b);
    }
    if (!made_of(b, LOWER DIGITS ".-")) {
        return apr_psprintf(p, "'%s' may hold only lower-case letters, digits, '.' and '-'", b);
    }
    if (!apr_isalnum(b[0]) || !apr_isalnum(b[len - 1])) {
        return apr_psprintf(p, "'%s' must begin and end with a letter or digit", b);
    }
    if (strstr(b, "..")) {
        return apr_psprintf(p, "'%s' must not hold two dots in a row", b);
    }
    if (made_of(b, DIGITS ".") && count_of(b, '.') == 3) {
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
    *out = b;
    return NULL;
}

/* Regions go into the credential scope ("date/REGION/s3/aws4_request"), so
 * a '/' or a space would break signing. AWS names are like eu-west-1;
 * other stores use names like "default", "auto" or "zonegroup_a". */
const char *s3up_values_region(const char **out, const char *r, apr_pool_t *p)
{
    apr_size_t len = strlen(r);

    return take(out, r, len >= 1 && len <= 32 && apr_isalnum(r[0]) && made_of(r, LOWER DIGITS "-_"),
                "is not a region name (like us-east-1): use lower-case letters, digits, '-' "
                "and '_'",
                p);
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
const char *s3up_values_url_or_path(const char **out, const char *arg, apr_pool_t *p)
{
    apr_uri_t uri;
    int path = arg[0] == '/' && arg[1] != '/';
    int url = !path && apr_uri_parse(p, arg, &uri) == APR_SUCCESS && uri.scheme &&
              (!strcasecmp(uri.scheme, "http") || !strcasecmp(uri.scheme, "https")) &&
              uri.hostname && *uri.hostname && !uri.query && !uri.fragment;

    return take(out, arg, (path || url) && !s3up_values_blank(arg),
                "is neither an http(s) URL nor a path starting with '/'", p);
}

const char *s3up_values_http_url(const char **out, const char *arg, apr_pool_t *p)
{
    apr_uri_t uri;
    int ok = apr_uri_parse(p, arg, &uri) == APR_SUCCESS && uri.scheme &&
             (!strcasecmp(uri.scheme, "http") || !strcasecmp(uri.scheme, "https")) &&
             uri.hostname && *uri.hostname && !uri.user && !uri.fragment;

    return take(out, arg, ok && !s3up_values_blank(arg),
                "is not an http(s) URL (like https://hooks.example.com/s3up)", p);
}

/* Links are S3UpLinkURL/{token}: keep exactly one slash between. */
const char *s3up_values_link_url(const char **out, const char *arg, apr_pool_t *p)
{
    const char *err = s3up_values_url_or_path(out, arg, p);
    apr_size_t len = strlen(arg);

    while (!err && len > 1 && arg[len - 1] == '/') {
        len--;
    }
    *out = err ? NULL : apr_pstrmemdup(p, arg, len);
    return err;
}

/* Names of one "word": no spaces, no control characters. */
static const char *word(const char **out, const char *arg, const char *what, apr_pool_t *p)
{
    return take(out, arg, *arg && strlen(arg) <= 128 && !s3up_values_blank(arg),
                apr_pstrcat(p, "is not ", what, " (1 to 128 characters, no spaces)", NULL), p);
}

const char *s3up_values_access_key(const char **out, const char *arg, apr_pool_t *p)
{
    return word(out, arg, "an access key id", p);
}

const char *s3up_values_claim(const char **out, const char *arg, apr_pool_t *p)
{
    return word(out, arg, "a claim name (like email or preferred_username)", p);
}

/* Empty is allowed: mod_auth_openidc's OIDCClaimPrefix may be "". */
const char *s3up_values_env_prefix(const char **out, const char *arg, apr_pool_t *p)
{
    return take(out, arg, made_of(arg, ALNUM "_-"),
                "is not an environment variable prefix (letters, digits, '_' and '-')", p);
}

/* AWS's pattern: [\w-]+_[0-9a-zA-Z]+ (REGION_ID, like eu-west-1_AbC123). */
const char *s3up_values_user_pool(const char **out, const char *arg, apr_pool_t *p)
{
    const char *id = strrchr(arg, '_');
    int ok = id && id > arg && id[1] && strlen(arg) <= 55 && made_of(id + 1, ALNUM) &&
             strspn(arg, ALNUM "_-") >= (apr_size_t)(id - arg);

    return take(out, arg, ok, "is not a user pool id (like eu-west-1_AbC123)", p);
}

const char *s3up_values_storage_class(const char **out, const char *arg, apr_pool_t *p)
{
    apr_size_t len = strlen(arg);

    return take(out, arg, len >= 1 && len <= 64 && made_of(arg, UPPER DIGITS "_"),
                "is not a storage class (like STANDARD_IA: upper-case letters, digits and '_')", p);
}

const char *s3up_values_kms_key(const char **out, const char *arg, apr_pool_t *p)
{
    apr_size_t len = strlen(arg);

    return take(out, arg, len >= 1 && len <= 2048 && made_of(arg, ALNUM ":/_-."),
                "is not a KMS key id, ARN or alias", p);
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
