/*
 * Small helpers of s3up_util: reading a field of a urlencoded form (the
 * passcode form of upload links).
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_util.h"
#include "tap.h"

static const char *field(const char *body, const char *name, apr_pool_t *p)
{
    return s3up_form_value(body, strlen(body), name, p);
}

static void test_form(apr_pool_t *p)
{
    is_str(field("passcode=abc", "passcode", p), "abc", "form: one field");
    is_str(field("x=1&passcode=a+b%2Bc%26d%3d&y=2", "passcode", p),
           "a b+c&d=", "form: '+' is a space, %%XX a byte, either case");
    is_str(field("passcode=first&passcode=second", "passcode", p), "first", "form: the first");
    is_str(field("passcode=", "passcode", p), "", "form: an empty value");
    is_str(field("pass=1&passcodes=2&passcode=3", "passcode", p), "3",
           "form: names are matched whole");
    ok(field("x=1&y=2", "passcode", p) == NULL, "form: absent");
    ok(field("passcode", "passcode", p) == NULL, "form: a name without '=' has no value");
    ok(field("passcode=ab%2", "passcode", p) == NULL, "form: a cut escape");
    ok(field("passcode=ab%zz", "passcode", p) == NULL, "form: a bad escape");
    ok(field("passcode=a%00b", "passcode", p) == NULL, "form: a NUL byte");
    ok(field("", "passcode", p) == NULL, "form: an empty body");
    is_str(field("&&passcode=%C3%A9&", "passcode", p), "\xc3\xa9", "form: empty pairs, UTF-8");
    /* Not NUL-terminated: only len bytes count. */
    is_str(s3up_form_value("passcode=abcdef", 12, "passcode", p), "abc", "form: len bytes only");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_form(p);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
