/*
 * Object keys and part sizes.
 */
#include <apr_strings.h>

#include "s3up_keys.h"

apr_status_t s3up_keys_plan(apr_off_t *part_size, int *parts, apr_off_t file_size,
                            apr_off_t configured_part_size)
{
    apr_off_t size = configured_part_size, count;

    if (file_size < 0) {
        return APR_EINVAL;
    }
    if (file_size > S3UP_OBJECT_SIZE_MAX) {
        return S3UP_ETOOBIG;
    }
    if (size < S3UP_PART_SIZE_MIN) {
        size = S3UP_PART_SIZE_MIN;
    } else if (size > S3UP_PART_SIZE_MAX) {
        size = S3UP_PART_SIZE_MAX;
    }
    if ((file_size + size - 1) / size > S3UP_PARTS_MAX) {
        /* Whole MiB keep part boundaries easy to read in listings; 5 TiB
         * needs 524.288 MiB, so 525 MiB, far below the 5 GiB ceiling. */
        apr_off_t least = (file_size + S3UP_PARTS_MAX - 1) / S3UP_PARTS_MAX;
        size = (least + S3UP_MIB - 1) / S3UP_MIB * S3UP_MIB;
    }
    count = file_size ? (file_size + size - 1) / size : 1;
    *part_size = size;
    *parts = (int)count;
    return APR_SUCCESS;
}

apr_status_t s3up_keys_part_length(apr_off_t *length, apr_off_t file_size, apr_off_t part_size,
                                   int n)
{
    apr_off_t parts, start;

    if (file_size < 0 || file_size > S3UP_OBJECT_SIZE_MAX || part_size < S3UP_PART_SIZE_MIN ||
        part_size > S3UP_PART_SIZE_MAX) {
        return APR_EINVAL;
    }
    parts = file_size ? (file_size + part_size - 1) / part_size : 1;
    if (n < 1 || n > parts || parts > S3UP_PARTS_MAX) {
        return APR_EINVAL;
    }
    start = (apr_off_t)(n - 1) * part_size;
    *length = file_size - start < part_size ? file_size - start : part_size;
    return APR_SUCCESS;
}

/* Length of the UTF-8 sequence at s, or 0 when it is not valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static int utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80) {
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    }
    if (s[0] >= 0xe0 && s[0] <= 0xef) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[0] == 0xe0 && s[1] < 0xa0) ||
            (s[0] == 0xed && s[1] >= 0xa0)) {
            return 0;
        }
        return 3;
    }
    if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80 ||
            (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)) {
            return 0;
        }
        return 4;
    }
    return 0;
}

/* A control character: C0, DEL, or C1 (U+0080..U+009F, c2 80..c2 9f). */
static int is_control(const unsigned char *c, int n)
{
    return (n == 1 && (*c < 0x20 || *c == 0x7f)) || (n == 2 && c[0] == 0xc2 && c[1] < 0xa0);
}

int s3up_keys_text_ok(const char *s)
{
    const unsigned char *c = (const unsigned char *)s;

    while (c && *c) {
        int n = utf8_len(c);
        if (!n || is_control(c, n)) {
            return 0;
        }
        c += n;
    }
    return c != NULL;
}

apr_status_t s3up_keys_relpath(const char **out, const char *name, const char **why, apr_pool_t *p)
{
    apr_array_header_t *segs = apr_array_make(p, 4, sizeof(const char *));
    const unsigned char *c = (const unsigned char *)(name ? name : "");
    const char *path;

    while (*c) {
        const unsigned char *start;
        apr_size_t seg_len;

        while (*c == '/' || *c == '\\') {
            c++; /* absolute paths become relative; empty segments go */
        }
        start = c;
        while (*c && *c != '/' && *c != '\\') {
            int n = utf8_len(c);
            if (!n) {
                *why = "the name is not valid UTF-8";
                return APR_EINVAL;
            }
            if (is_control(c, n)) {
                *why = "the name holds a control character";
                return APR_EINVAL;
            }
            c += n;
        }
        seg_len = c - start;
        if (seg_len == 0 || (seg_len == 1 && start[0] == '.')) {
            continue;
        }
        if (seg_len == 2 && start[0] == '.' && start[1] == '.') {
            *why = "the name climbs out of its folder (..)";
            return APR_EINVAL;
        }
        if (seg_len > S3UP_KEYS_MAX_SEGMENT) {
            *why = "a file or folder name is longer than 255 bytes";
            return APR_EINVAL;
        }
        APR_ARRAY_PUSH(segs, const char *) = apr_pstrmemdup(p, (const char *)start, seg_len);
    }
    if (!segs->nelts) {
        *why = "the name is empty";
        return APR_EINVAL;
    }
    path = apr_array_pstrcat(p, segs, '/');
    if (strlen(path) > S3UP_KEYS_MAX_RELPATH) {
        *why = "the path is longer than 800 bytes";
        return APR_EINVAL;
    }
    *out = path;
    return APR_SUCCESS;
}

const char *s3up_keys_numbered(const char *relpath, int n, apr_pool_t *p)
{
    const char *base = strrchr(relpath, '/');
    const char *dot;

    base = base ? base + 1 : relpath;
    dot = strrchr(base, '.');
    if (n <= 0) {
        return relpath;
    }
    if (!dot || dot == base) {
        return apr_psprintf(p, "%s (%d)", relpath, n);
    }
    return apr_psprintf(p, "%.*s (%d)%s", (int)(dot - relpath), relpath, n, dot);
}
