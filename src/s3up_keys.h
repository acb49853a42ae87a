/*
 * Object keys and part sizes: the policy that turns a customer's file name
 * into a path below their endpoint's folder, and part-size planning.
 *
 * S3's multipart limits: parts of 5 MiB to 5 GiB (the last may be smaller),
 * at most 10,000 parts, objects up to 5 TiB.
 */
#ifndef S3UP_KEYS_H
#define S3UP_KEYS_H

#include <apr_file_io.h>

#include "s3up.h"

#define S3UP_MIB ((apr_off_t)1024 * 1024)
#define S3UP_PART_SIZE_MIN (5 * S3UP_MIB)
#define S3UP_PART_SIZE_MAX (5 * 1024 * S3UP_MIB)
#define S3UP_PARTS_MAX 10000
#define S3UP_OBJECT_SIZE_MAX (5 * 1024 * 1024 * S3UP_MIB)

/* The part size and part count for a file of file_size bytes.
 *
 * The configured part size is first brought within 5 MiB..5 GiB; when the
 * file would then need more than 10,000 parts, the part size grows to the
 * smallest whole number of MiB that fits it in 10,000 (so a 5 TiB file gets
 * 525 MiB parts, 9,987 of them). An empty file is one (empty) part.
 *
 * APR_EINVAL for a negative size, S3UP_ETOOBIG above 5 TiB; *part_size and
 * *parts are then left alone. */
apr_status_t s3up_keys_plan(apr_off_t *part_size, int *parts, apr_off_t file_size,
                            apr_off_t configured_part_size);

/* The length of part n (1-based) of a file of file_size bytes cut into
 * part_size pieces: part_size for all but the last, what is left for the
 * last (0 for the one part of an empty file). APR_EINVAL when n lies past
 * the last part, or the sizes make no plan s3up_keys_plan could give. */
apr_status_t s3up_keys_part_length(apr_off_t *length, apr_off_t file_size, apr_off_t part_size,
                                   int n);

/* Longest file or folder name, and longest path below an endpoint's
 * folder: S3 keys are at most 1,024 bytes, and the prefix and endpoint id
 * need their share. */
#define S3UP_KEYS_MAX_SEGMENT 255
#define S3UP_KEYS_MAX_RELPATH 800

/* The path below an endpoint's folder for a name a client sent (a file
 * name, or Uppy's relativePath for folder uploads): '\\' counts as '/',
 * leading slashes, empty and "." segments go; "..", invalid UTF-8, control
 * characters (C0, DEL, C1), a segment over 255 bytes or a path over 800
 * bytes are refused with APR_EINVAL and *why saying which. */
apr_status_t s3up_keys_relpath(const char **out, const char *name, const char **why, apr_pool_t *p);

/* Whether s is valid UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF) without control characters (C0, DEL, C1). */
int s3up_keys_text_ok(const char *s);

/* The n-th other name for a taken relpath: "a/report (2).pdf" for n = 2,
 * "a/README (2)" without an extension; relpath itself for n = 0. */
const char *s3up_keys_numbered(const char *relpath, int n, apr_pool_t *p);

#endif /* S3UP_KEYS_H */
