/*
 * What every route of every handler needs: the S3 client and the state
 * store for this request, JSON in and out, the one error shape, query
 * arguments and the same-origin check.
 */
#ifndef MOD_S3UP_REQUEST_H
#define MOD_S3UP_REQUEST_H

#include <httpd.h>
#include <jansson.h>

#include "mod_s3up_config.h"
#include "s3up_s3.h"
#include "s3up_store.h"
#include "s3up_uploads.h"

/* Longest JSON body a client may send. */
#define S3UP_JSON_BODY_MAX (64 * 1024)

/* Per-process state: the curl share and the store cache. Made in
 * child_init, after s3up_shared_child_init. */
apr_status_t s3up_proc_init(apr_pool_t *pchild, server_rec *s);

/* A part of upload_id is passed on to S3 through httpd: 1 when fewer than
 * max were on their way (for all of httpd's processes), else 0. Each 1 is
 * followed by one s3up_req_part_leave. */
int s3up_req_part_enter(request_rec *r, const char *upload_id, int max);
void s3up_req_part_leave(request_rec *r, const char *upload_id);

/* The location's settings for the uploads service. */
void s3up_req_uploads_conf(s3up_uploads_conf_t *out, request_rec *r, const s3up_dir_conf_t *dc);

/* The S3 client and store of this request's location. OK, or the error
 * reply's DONE. */
int s3up_req_s3(s3up_s3_t **out, request_rec *r, const s3up_dir_conf_t *dc);
void s3up_req_store(s3up_store_t *out, request_rec *r, s3up_s3_t *s3, const s3up_dir_conf_t *dc);

/* Replies: set the status and write the body. s3up_reply_json returns OK
 * and takes body's reference. The error replies return DONE, which httpd
 * takes as "answered", and which differs from OK so that a helper that
 * answered with an error stops its route: `if ((rc = f(...)) != OK)
 * return rc;`. */
int s3up_reply_json(request_rec *r, int status, json_t *body);
int s3up_reply_error(request_rec *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 405 for a method a route does not take. */
int s3up_reply_not_allowed(request_rec *r);

/* An S3 failure in our shape: not found as `notfound_code` (404), a lost
 * race as 409, a store that does not answer as 503 with Retry-After, a
 * refusal of ours by S3 as 502, a client's mistake S3 caught as 400. */
int s3up_reply_s3_error(request_rec *r, const s3up_error_t *err, const char *notfound_code);

/* Any failure of the core: its own (bad input 400, not allowed 403,
 * nothing usable 404 with its code, too large 413, a limit 429, a lost
 * race 409), or S3's as s3up_reply_s3_error. */
int s3up_reply_failure(request_rec *r, const s3up_error_t *err, const char *notfound_code);

/* The request body as a JSON object: application/json, at most
 * S3UP_JSON_BODY_MAX bytes. OK and *out set, or the error reply's DONE. */
int s3up_read_json(json_t **out, request_rec *r);

/* The URL path of the <Location> the handler serves, without a trailing
 * '/' ("" for "/"): httpd's record of the most specific section merged
 * for this request. check_config refuses our handlers outside a plain
 * <Location>. */
const char *s3up_req_base(request_rec *r);

/* A page of a listing as the API shows files: {files:[{key, name, size,
 * last_modified}], next}, names relative to folder. */
json_t *s3up_files_json(const s3up_object_page_t *page, const char *folder, apr_pool_t *p);

/* Called from translate_name, before httpd's access checks (which may
 * refuse r and log it): when r's address carries a secret (a part's
 * token in ?t=, an upload link's or a share's token as its last segment),
 * S3UP_REQUEST is set in the environment to the request line with it
 * hidden, for access logs (the examples log it instead of %r for such
 * requests), and the module's own log lines show the address hidden too. */
void s3up_req_hide_address(request_rec *r);

/* r's path for a log line: with any secret in its address hidden. */
const char *s3up_req_log_uri(request_rec *r);

/* A query argument, decoded; NULL when absent. */
const char *s3up_arg(request_rec *r, const char *name);

/* Whether a state-changing request comes from our own pages: a browser
 * says so with Sec-Fetch-Site or Origin; a request with neither is not
 * from a browser, where cross-site forgery does not arise. */
int s3up_same_origin(request_rec *r);

#endif /* MOD_S3UP_REQUEST_H */
