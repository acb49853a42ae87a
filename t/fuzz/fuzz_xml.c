/*
 * S3's and STS's XML answers: every input goes to every parser (and, as a
 * string, to s3up_time_parse). What is parsed is then read.
 */
#include "fuzz.h"
#include "s3up_time.h"
#include "s3up_xml.h"

static void fuzz_one(const char *data, apr_size_t len, apr_pool_t *p)
{
    s3up_error_t e = {0}, *ce = NULL;
    const char *id = NULL;
    s3up_part_page_t *parts;
    s3up_complete_t *done;
    s3up_upload_page_t *uploads;
    s3up_object_page_t *objects;
    s3up_creds_t *creds;
    apr_time_t t;
    int i;

    if (s3up_xml_parse_error(&e, data, len, p) == APR_SUCCESS) {
        touch(e.code);
        touch(e.message);
        touch(e.request_id);
    }
    if (s3up_xml_parse_initiate(&id, data, len, p) == APR_SUCCESS) {
        touch(id);
    }
    if (s3up_xml_parse_list_parts(&parts, data, len, p) == APR_SUCCESS) {
        for (i = 0; i < parts->parts->nelts; i++) {
            touch(APR_ARRAY_IDX(parts->parts, i, s3up_part_t).etag);
        }
        /* What ListParts gave must be acceptable to Complete, or refused cleanly. */
        if (parts->parts->nelts) {
            const char *xml;
            if (s3up_xml_build_complete(&xml, parts->parts, p) == APR_SUCCESS) {
                touch(xml);
            }
        }
    }
    switch (s3up_xml_parse_complete(&done, &ce, data, len, p)) {
    case APR_SUCCESS:
        touch(done->location);
        touch(done->bucket);
        touch(done->key);
        touch(done->etag);
        break;
    case S3UP_ES3:
        touch(ce->code);
        touch(ce->message);
        break;
    default:
        break;
    }
    if (s3up_xml_parse_list_uploads(&uploads, data, len, p) == APR_SUCCESS) {
        touch(uploads->next_key_marker);
        touch(uploads->next_upload_id_marker);
        for (i = 0; i < uploads->uploads->nelts; i++) {
            touch(APR_ARRAY_IDX(uploads->uploads, i, s3up_upload_t).key);
            touch(APR_ARRAY_IDX(uploads->uploads, i, s3up_upload_t).upload_id);
        }
    }
    if (s3up_xml_parse_list_objects(&objects, data, len, p) == APR_SUCCESS) {
        touch(objects->next_token);
        for (i = 0; i < objects->objects->nelts; i++) {
            touch(APR_ARRAY_IDX(objects->objects, i, s3up_object_t).key);
            touch(APR_ARRAY_IDX(objects->objects, i, s3up_object_t).etag);
        }
        for (i = 0; i < objects->prefixes->nelts; i++) {
            touch(APR_ARRAY_IDX(objects->prefixes, i, const char *));
        }
    }
    if (s3up_xml_parse_sts_credentials(&creds, data, len, p) == APR_SUCCESS) {
        touch(creds->access_key);
        touch(creds->secret_key);
        touch(creds->session_token);
    }
    if (s3up_xml_parse_sts_error(&e, data, len, p) == APR_SUCCESS) {
        touch(e.code);
        touch(e.request_id);
    }
    s3up_time_parse(&t, data);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    s3up_xml_init();
    return 0;
}
