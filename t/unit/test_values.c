/*
 * The values of directives, checked one by one: what is taken, what is
 * refused, and that a refusal says why.
 */
#include <apr_general.h>

#include "s3up_values.h"
#include "tap.h"

static apr_pool_t *pool;

#define MIB ((apr_int64_t)1024 * 1024)

static void size_is(const char *arg, apr_int64_t want)
{
    apr_int64_t got = -1;
    const char *why = s3up_values_size(&got, arg, pool);
    ok(!why && got == want, "size '%s' is %" APR_INT64_T_FMT " (%s)", arg, want, why ? why : "ok");
}

static void refused(const char *why, const char *part, const char *what)
{
    ok(why && strstr(why, part), "%s: refused (%s)", what, why ? why : "taken");
}

int main(void)
{
    apr_interval_time_t t = 0;
    apr_int64_t n;
    const char *out;

    apr_initialize();
    apr_pool_create(&pool, NULL);

    size_is("0", 0);
    size_is("64M", 64 * MIB);
    size_is("5t", 5 * 1024 * 1024 * MIB);
    size_is("1048576", MIB);
    refused(s3up_values_size(&n, "M", pool), "not a size", "a suffix alone");
    refused(s3up_values_size(&n, "5MB", pool), "unknown size suffix", "two letters");
    refused(s3up_values_size(&n, "9999999999999T", pool), "too large", "overflow");

    ok(!s3up_values_duration(&t, "15m", pool) && t == apr_time_from_sec(900), "15m");
    ok(!s3up_values_duration(&t, "7d", pool) && t == apr_time_from_sec(7 * 86400), "7d");
    ok(!s3up_values_duration(&t, "30", pool) && t == apr_time_from_sec(30), "plain seconds");
    refused(s3up_values_duration(&t, "1w", pool), "unknown time unit", "weeks");
    refused(s3up_values_duration(&t, "-1s", pool), "not a duration", "negative");
    is_str(s3up_values_duration_text(apr_time_from_sec(7 * 86400), pool), "7d", "7 days as text");
    is_str(s3up_values_duration_text(apr_time_from_sec(90), pool), "90s", "90 s as text");

    ok(!s3up_values_bucket(&out, "my-bucket.2026", pool), "a good bucket name");
    refused(s3up_values_bucket(&out, "ab", pool), "3 to 63", "too short");
    refused(s3up_values_bucket(&out, "My_Bucket", pool), "lower-case", "upper case and '_'");
    refused(s3up_values_bucket(&out, "192.168.1.1", pool), "IP address", "an IP address");
    refused(s3up_values_bucket(&out, "xn--abc", pool), "reserved by S3", "a reserved prefix");
    refused(s3up_values_bucket(&out, "a..b", pool), "two dots", "two dots");

    ok(!s3up_values_region(&out, "eu-west-1", pool) &&
           !s3up_values_region(&out, "zonegroup_a", pool),
       "AWS and other stores' region names");
    refused(s3up_values_region(&out, "us/east", pool), "region name", "a '/' in a region");

    ok(!s3up_values_server_url(&out, "HTTPS://s3.example.com:7480/", pool) &&
           !strcmp(out, "https://s3.example.com:7480"),
       "a server URL, normalised: %s", out);
    refused(s3up_values_server_url(&out, "ftp://x", pool), "http:// or https://", "ftp");
    refused(s3up_values_server_url(&out, "https://u:p@x", pool), "user information",
            "credentials in the URL");
    refused(s3up_values_server_url(&out, "https://x/bucket", pool), "path or query", "a path");

    ok(!s3up_values_url_or_path(&out, "/upload/", pool) &&
           !s3up_values_url_or_path(&out, "https://up.example.com/drop", pool),
       "a path, and a URL");
    refused(s3up_values_url_or_path(&out, "//evil.example", pool), "neither",
            "a scheme-relative URL");
    ok(!s3up_values_link_url(&out, "https://up.example.com/drop//", pool) &&
           !strcmp(out, "https://up.example.com/drop"),
       "a link URL loses its trailing '/': %s", out);
    ok(!s3up_values_link_url(&out, "/", pool) && !strcmp(out, "/"), "a link URL of '/' stays");
    refused(s3up_values_link_url(&out, "drop", pool), "neither", "a relative link URL");

    ok(!s3up_values_access_key(&out, "AKIDEXAMPLE", pool), "an access key id");
    refused(s3up_values_access_key(&out, "AKID EXAMPLE", pool), "access key id", "a space");
    refused(s3up_values_claim(&out, "", pool), "claim name", "an empty claim");
    ok(!s3up_values_env_prefix(&out, "", pool) && !s3up_values_env_prefix(&out, "OIDC-X_", pool),
       "environment prefixes, the empty one too");
    refused(s3up_values_env_prefix(&out, "OIDC.", pool), "environment variable prefix", "a dot");
    ok(!s3up_values_user_pool(&out, "eu-west-1_AbC123", pool), "a user pool id");
    refused(s3up_values_user_pool(&out, "eu-west-1", pool), "user pool id", "no '_ID'");
    refused(s3up_values_user_pool(&out, "eu-west-1_Ab-C", pool), "user pool id", "'-' in the ID");

    ok(!s3up_values_storage_class(&out, "GLACIER_IR", pool) &&
           !s3up_values_storage_class(&out, "COLD", pool),
       "storage classes, AWS's and a store's own");
    refused(s3up_values_storage_class(&out, "Standard", pool), "storage class", "lower case");
    ok(!s3up_values_kms_key(&out, "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab", pool) &&
           !s3up_values_kms_key(&out, "alias/uploads", pool),
       "a KMS key ARN and an alias");
    refused(s3up_values_kms_key(&out, "key id", pool), "KMS key", "a space in a KMS key");

    ok(!s3up_values_count(&n, "32", pool) && n == 32, "a count");
    refused(s3up_values_count(&n, "4k", pool), "unknown suffix", "a count with a unit");
    refused(s3up_values_count(&n, "x", pool), "not a number", "letters");

    ok(s3up_values_blank("a b") && s3up_values_blank("a\tb") && !s3up_values_blank("ab"),
       "blanks are seen");

    ok(!s3up_values_prefix(&out, "uploads", pool) && !strcmp(out, "uploads/"),
       "a prefix gets its '/'");
    refused(s3up_values_prefix(&out, "/uploads/", pool), "must not begin with '/'", "absolute");
    refused(s3up_values_prefix(&out, "a/../b/", pool), "'..'", "a climbing segment");
    refused(s3up_values_prefix(&out, "a\\b/", pool), "control characters or", "a backslash");
    refused(s3up_values_prefixes_apart("uploads/", "uploads/.state/", pool), "inside S3UpPrefix",
            "state inside files");
    refused(s3up_values_prefixes_apart("s/files/", "s/", pool), "inside S3UpStatePrefix",
            "files inside state");
    ok(!s3up_values_prefixes_apart("uploads/", ".s3up/", pool), "the defaults lie apart");

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
