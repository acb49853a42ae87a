/*
 * Principals' names: what an identity provider may name a person with.
 * (Run, like every unit test, under AddressSanitizer: a name that is cut
 * off in the middle of a UTF-8 sequence must not be read past its end.)
 */
#include <apr_general.h>

#include "s3up_principal.h"
#include "tap.h"

static void name_is(const char *name, int want, const char *what)
{
    is_int(s3up_principal_name_ok(name), want, "%s", what);
}

int main(void)
{
    char longest[S3UP_PRINCIPAL_NAME_MAX + 2];

    apr_initialize();
    name_is("alice@example.com", 1, "an address");
    name_is("Jürgen Groß", 1, "UTF-8 letters");
    name_is("\xe5\xbc\xa0\xe4\xbc\x9f", 1, "CJK");
    name_is("\xf0\x9f\x98\x80 smile", 1, "a four-byte sequence");
    name_is("caf\xe9", 0, "Latin-1, not UTF-8");
    name_is("\xc0\xaf", 0, "an overlong '/'");
    name_is("\xed\xa0\x80", 0, "a surrogate");
    name_is("\xf4\x90\x80\x80", 0, "past U+10FFFF");
    name_is("ab\xe2\x82", 0, "a sequence cut off at the end");
    name_is("\xe2", 0, "a lone lead byte at the end");
    name_is("a\x01"
            "b",
            0, "a C0 control character");
    name_is("a\x7f"
            "b",
            0, "DEL");
    name_is("a\xc2\x85"
            "b",
            0, "a C1 control character (NEL)");
    name_is("a\nb", 0, "a line break");
    name_is("", 0, "empty");
    name_is(NULL, 0, "none");
    memset(longest, 'x', S3UP_PRINCIPAL_NAME_MAX);
    longest[S3UP_PRINCIPAL_NAME_MAX] = '\0';
    name_is(longest, 1, "256 bytes");
    longest[S3UP_PRINCIPAL_NAME_MAX] = 'x';
    longest[S3UP_PRINCIPAL_NAME_MAX + 1] = '\0';
    name_is(longest, 0, "257 bytes");
    apr_terminate();
    return done_testing();
}
