/*
 * libxml2 parsing of S3 responses and error bodies, and building of the
 * one XML request body S3 needs (CompleteMultipartUpload). No network, no
 * entities, no DTDs, size-bounded: S3UP_EPARSE for anything unreadable,
 * S3UP_ETOOBIG for input over S3UP_XML_MAX.
 */
#ifndef S3UP_XML_H
#define S3UP_XML_H

#include "s3up_s3.h"

#define S3UP_XML_MAX (4 * 1024 * 1024)

/* The parsers fill their outputs only on success. Markers and tokens
 * (NextKeyMarker, NextContinuationToken, ...) absent or empty are NULL. */

/* Once per process, before threads (xmlInitParser). */
void s3up_xml_init(void);

/* An <Error> document: fills code, message, request_id of err (leaves
 * status/http_status alone). S3UP_EPARSE when body is not one. */
apr_status_t s3up_xml_parse_error(s3up_error_t *err, const char *body, apr_size_t len,
                                  apr_pool_t *p);

/* <InitiateMultipartUploadResult> -> UploadId */
/* STS's AssumeRoleWithWebIdentity answer: the four fields of its
 * Credentials, all required; S3UP_EPARSE otherwise. */
apr_status_t s3up_xml_parse_sts_credentials(s3up_creds_t **out, const char *body, apr_size_t len,
                                            apr_pool_t *p);

/* STS's <ErrorResponse>: code, message, request id into err. */
apr_status_t s3up_xml_parse_sts_error(s3up_error_t *err, const char *body, apr_size_t len,
                                      apr_pool_t *p);

apr_status_t s3up_xml_parse_initiate(const char **upload_id, const char *body, apr_size_t len,
                                     apr_pool_t *p);

/* <ListPartsResult> */
apr_status_t s3up_xml_parse_list_parts(s3up_part_page_t **out, const char *body, apr_size_t len,
                                       apr_pool_t *p);

/* <CompleteMultipartUploadResult>. A 200 answer may carry an <Error>
 * instead: then S3UP_ES3 with *err filled (err may be NULL). The ETag is ""
 * when the store sends none or an empty one (Ceph 16). */
apr_status_t s3up_xml_parse_complete(s3up_complete_t **out, s3up_error_t **err, const char *body,
                                     apr_size_t len, apr_pool_t *p);

/* <ListMultipartUploadsResult> */
apr_status_t s3up_xml_parse_list_uploads(s3up_upload_page_t **out, const char *body, apr_size_t len,
                                         apr_pool_t *p);

/* <ListBucketResult> (ListObjectsV2) */
apr_status_t s3up_xml_parse_list_objects(s3up_object_page_t **out, const char *body, apr_size_t len,
                                         apr_pool_t *p);

/* <CompleteMultipartUpload> body; parts sorted by number, ETags quoted.
 * APR_EINVAL for no parts, a number outside 1..10000 or twice, or an ETag
 * that is empty or not printable ASCII once its quotes are off. */
apr_status_t s3up_xml_build_complete(const char **xml, const apr_array_header_t *parts,
                                     apr_pool_t *p);

#endif /* S3UP_XML_H */
