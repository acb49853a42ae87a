/*
 * Principals' names.
 */
#include <string.h>

#include "s3up_keys.h"
#include "s3up_principal.h"

int s3up_principal_name_ok(const char *name)
{
    apr_size_t n = name ? strlen(name) : 0;

    return n >= 1 && n <= S3UP_PRINCIPAL_NAME_MAX && s3up_keys_text_ok(name);
}
