/*
 * Object keys and part sizes.
 */
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
