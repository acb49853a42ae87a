/*
 * The admin routes (handler s3up-admin): upload endpoints, customer access
 * (members, upload links, Cognito users), files, sharing, unfinished
 * uploads (docs/api.md).
 *
 * Who is an admin is httpd's decision (Require ...). The handler only
 * refuses any request that reaches it without an authenticated person, so
 * a location left without Require fails closed. Every action is logged on
 * one line (S3UP0401) and put in the request environment for access logs.
 */
#include <apr_strings.h>

#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>

#include "mod_s3up_admin.h"
#include "mod_s3up_drop.h"
#include "mod_s3up_handler.h"
#include "mod_s3up_identity.h"
#include "mod_s3up_pages.h"
#include "mod_s3up_request.h"
#include "mod_s3up_route.h"
#include "mod_s3up_upload.h"
#include "s3up_json.h"
#include "s3up_manage.h"
#include "s3up_time.h"

APLOG_USE_MODULE(s3up);

#define ENDPOINTS_PAGE 100

/* One line per admin action: who, what, where, how it ended. */
void s3up_admin_audit(admin_t *a, const char *action, const char *endpoint, const char *key,
                      const char *outcome)
{
    request_rec *r = a->r;

    apr_table_setn(r->subprocess_env, "S3UP_USER", a->who->name);
    if (endpoint) {
        apr_table_setn(r->subprocess_env, "S3UP_ENDPOINT", endpoint);
    }
    if (key) {
        apr_table_setn(r->subprocess_env, "S3UP_KEY", key);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                  S3UP_LOGNO(0401) "admin: user=%s action=%s endpoint=%s key=%s outcome=%s",
                  a->who->name, action, endpoint ? endpoint : "-", key ? key : "-", outcome);
}

/* A failed action: logged, and answered. */
int s3up_admin_failed(admin_t *a, const char *action, const char *endpoint, const char *key,
                      const s3up_error_t *err, const char *notfound_code)
{
    s3up_admin_audit(a, action, endpoint, key, err->code ? err->code : "failed");
    return s3up_reply_failure(a->r, err, notfound_code);
}

static const char *portal_url(const admin_t *a, const char *id)
{
    const char *base = s3up_conf_portal_url(a->sc);
    apr_size_t n = base ? strlen(base) : 0;

    if (!base) {
        return NULL;
    }
    return apr_psprintf(a->r->pool, "%.*s/e/%s/", (int)(n && base[n - 1] == '/' ? n - 1 : n), base,
                        id);
}

static json_t *endpoint_json(const admin_t *a, const s3up_endpoint_t *ep)
{
    apr_pool_t *p = a->r->pool;
    json_t *members = json_array();
    const char *url = portal_url(a, ep->id);

    for (int i = 0; i < ep->members->nelts; i++) {
        json_array_append_new(members, json_string(APR_ARRAY_IDX(ep->members, i, const char *)));
    }
    return json_pack(
        "{s:s,s:s,s:o,s:s,s:o,s:o,s:o,s:s,s:s,s:o,s:o,s:s}", "id", ep->id, "prefix", ep->prefix,
        "members", members, "created", s3up_time_iso8601(ep->created, p), "created_by",
        ep->created_by ? json_string(ep->created_by) : json_null(), "expires",
        ep->expires ? json_string(s3up_time_iso8601(ep->expires, p)) : json_null(), "max_file_size",
        ep->max_file_size ? json_integer((json_int_t)ep->max_file_size) : json_null(), "status",
        ep->status, "note", ep->note, "portal_url", url ? json_string(url) : json_null(), "version",
        ep->etag ? json_string(ep->etag) : json_null(), "base",
        apr_pstrcat(p, s3up_req_base(a->r), "/e/", ep->id, NULL));
}

/* The fields of an endpoint a request sets, as the service takes them:
 * OK, or the reply's DONE for a value of the wrong type. */
static int spec_of(s3up_endpoint_spec_t *spec, admin_t *a, const json_t *body)
{
    request_rec *r = a->r;
    const json_t *v;

    memset(spec, 0, sizeof(*spec));
    if ((v = json_object_get(body, "members")) != NULL) {
        apr_array_header_t *members;
        size_t i;
        json_t *m;
        if (!json_is_array(v)) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                    "members: a list of up to %d names", S3UP_MANAGE_MEMBERS_MAX);
        }
        members = apr_array_make(r->pool, (int)json_array_size(v), sizeof(const char *));
        json_array_foreach(v, i, m)
        {
            APR_ARRAY_PUSH(members, const char *) = json_is_string(m) ? json_string_value(m) : "";
        }
        spec->members = members;
    }
    if ((v = json_object_get(body, "expires")) != NULL) {
        spec->set_expires = 1;
        if (!json_is_null(v) &&
            (!json_is_string(v) ||
             s3up_time_parse(&spec->expires, json_string_value(v)) != APR_SUCCESS)) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                    "expires: an ISO 8601 time (2026-12-31T23:59:59Z) or null");
        }
    }
    if ((v = json_object_get(body, "max_file_size")) != NULL) {
        spec->set_max_file_size = 1;
        if (!json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) <= 0)) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                    "max_file_size: bytes, from 1 to %" APR_OFF_T_FMT,
                                    a->conf.max_file_size);
        }
        spec->max_file_size = json_is_null(v) ? 0 : (apr_off_t)json_integer_value(v);
    }
    if ((v = json_object_get(body, "status")) != NULL) {
        spec->status = json_is_string(v) ? json_string_value(v) : "";
    }
    if ((v = json_object_get(body, "note")) != NULL) {
        if (!json_is_string(v)) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                    "note: text of up to %d bytes", S3UP_MANAGE_NOTE_MAX);
        }
        spec->note = json_string_value(v);
    }
    return OK;
}

/* A link request {expires, passcode}: passcode a string, or true to make
 * one up. */
static int link_spec_of(s3up_link_spec_t *spec, admin_t *a, const json_t *body)
{
    const json_t *pc = json_object_get(body, "passcode"), *ex = json_object_get(body, "expires");

    memset(spec, 0, sizeof(*spec));
    if (json_is_string(pc) && *json_string_value(pc)) {
        spec->passcode = json_string_value(pc);
    }
    spec->make_passcode = json_is_true(pc);
    spec->label = s3up_json_str(body, "label");
    if (json_object_get(body, "label") && !json_is_null(json_object_get(body, "label")) &&
        !spec->label) {
        return s3up_reply_error(a->r, HTTP_BAD_REQUEST, "BadRequest",
                                "label: text of up to %d bytes", S3UP_MANAGE_LABEL_MAX);
    }
    if (ex && !json_is_null(ex) &&
        (!json_is_string(ex) ||
         s3up_time_parse(&spec->expires, json_string_value(ex)) != APR_SUCCESS)) {
        return s3up_reply_error(a->r, HTTP_BAD_REQUEST, "BadRequest",
                                "link.expires: a future ISO 8601 time, or null");
    }
    return OK;
}

/* A link just made: its address and passcode, shown this once. */
static json_t *link_made_json(admin_t *a, const s3up_link_made_t *made)
{
    const char *base = s3up_conf_link_url(a->sc);
    apr_size_t n = strlen(base);

    return json_pack(
        "{s:s,s:o,s:s,s:o,s:o,s:b}", "id", made->link->id, "label",
        made->link->label ? json_string(made->link->label) : json_null(), "url",
        apr_psprintf(a->r->pool, "%.*s/%s", (int)(n && base[n - 1] == '/' ? n - 1 : n), base,
                     made->token),
        "passcode", made->passcode ? json_string(made->passcode) : json_null(), "expires",
        made->link->expires ? json_string(s3up_time_iso8601(made->link->expires, a->r->pool))
                            : json_null(),
        "has_passcode", made->passcode != NULL);
}

/* A link as the admin pages show it: with its passcode tries, and when it
 * is locked until. */
static json_t *link_json(admin_t *a, const s3up_link_view_t *v)
{
    apr_pool_t *p = a->r->pool;
    const s3up_link_t *l = v->link;
    json_t *j = json_pack(
        "{s:s,s:o,s:o,s:s,s:o,s:o,s:b,s:i,s:o}", "id", l->id, "label",
        l->label ? json_string(l->label) : json_null(), "ends",
        v->ends ? json_string(s3up_time_iso8601(v->ends, p)) : json_null(), "created",
        s3up_time_iso8601(l->created, p), "created_by",
        l->created_by ? json_string(l->created_by) : json_null(), "expires",
        l->expires ? json_string(s3up_time_iso8601(l->expires, p)) : json_null(), "has_passcode",
        l->passcode_hash != NULL, "passcode_tries", v->tries.count, "locked_until",
        v->locked_until ? json_string(s3up_time_iso8601(v->locked_until, p)) : json_null());
    return j ? j : json_object();
}

static s3up_existing_e existing_of(const char *choice)
{
    if (choice && !strcmp(choice, "keep")) {
        return S3UP_EXISTING_KEEP;
    }
    return choice && !strcmp(choice, "delete") ? S3UP_EXISTING_DELETE : S3UP_EXISTING_REFUSE;
}

static int route_create(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    request_rec *r = a->r;
    const char *id, *choice;
    s3up_endpoint_spec_t spec;
    s3up_link_spec_t link;
    s3up_created_t *c;
    s3up_error_t *err;
    const json_t *link_body;
    json_t *body, *reply;
    int rc;

    if ((rc = s3up_read_json(&body, r)) != OK || (rc = spec_of(&spec, a, body)) != OK) {
        return rc;
    }
    id = s3up_json_str(body, "id");
    choice = s3up_json_str(body, "existing_files");
    if (choice && strcmp(choice, "keep") && strcmp(choice, "delete")) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                "existing_files: \"keep\" or \"delete\"");
    }
    link_body = json_object_get(body, "link");
    if (json_is_object(link_body) && (rc = link_spec_of(&link, a, link_body)) != OK) {
        return rc;
    }
    if (s3up_manage_create(&c, &a->m, id ? id : "", &spec, existing_of(choice),
                           json_is_true(json_object_get(body, "cognito")),
                           json_is_object(link_body) ? &link : NULL, &err,
                           r->pool) != APR_SUCCESS) {
        if (c->cognito_user) {
            s3up_admin_audit(a, "cognito-create", id, NULL, "ok");
        }
        if (c->ep) {
            s3up_admin_audit(a, "endpoint-create", id, NULL, "ok");
        }
        return s3up_admin_failed(a, c->failed, s3up_store_id_valid(id) ? id : NULL, NULL, err,
                                 "NoSuchEndpoint");
    }
    if (c->old_files) {
        s3up_admin_audit(a, "endpoint-create", id, NULL, "old-files-deleted");
    }
    if (c->cognito_user) {
        s3up_admin_audit(a, "cognito-create", id, NULL, "ok");
    }
    s3up_admin_audit(a, "endpoint-create", id, NULL, "ok");
    reply = json_pack("{s:o,s:o}", "endpoint", endpoint_json(a, c->ep), "portal_url",
                      portal_url(a, id) ? json_string(portal_url(a, id)) : json_null());
    if (reply && c->link) {
        s3up_admin_audit(a, "link-create", id, NULL, "ok");
        json_object_set_new(reply, "link", link_made_json(a, c->link));
    }
    if (reply && c->cognito_user) {
        json_object_set_new(reply, "cognito",
                            json_pack("{s:s,s:s}", "username", c->cognito_user,
                                      "temporary_password", c->cognito_password));
    }
    return s3up_reply_json(r, HTTP_CREATED, reply);
}

static int route_list(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    request_rec *r = a->r;
    apr_array_header_t *eps;
    const char *next;
    s3up_error_t *err;
    json_t *list, *reply;

    if (s3up_manage_list(&eps, &next, &a->m, s3up_arg(r, "q"), s3up_arg(r, "cursor"),
                         ENDPOINTS_PAGE, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchEndpoint");
    }
    list = s3up_json_own(json_array(), r->pool);
    for (int i = 0; i < eps->nelts; i++) {
        json_array_append_new(list, endpoint_json(a, APR_ARRAY_IDX(eps, i, s3up_endpoint_t *)));
    }
    reply =
        json_pack("{s:O,s:o}", "endpoints", list, "next", next ? json_string(next) : json_null());
    return s3up_reply_json(r, HTTP_OK, reply);
}

static int route_get(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    request_rec *r = a->r;
    s3up_endpoint_view_t *v;
    s3up_error_t *err;
    json_t *links;

    if (s3up_manage_get(&v, &a->m, arg[0], &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchEndpoint");
    }
    links = s3up_json_own(json_array(), r->pool);
    for (int i = 0; i < v->links->nelts; i++) {
        json_array_append_new(links, link_json(a, &APR_ARRAY_IDX(v->links, i, s3up_link_view_t)));
    }
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:o,s:O,s:I,s:{s:i,s:I,s:b}}", "endpoint",
                                     endpoint_json(a, v->ep), "links", links, "share_max_expires",
                                     (json_int_t)apr_time_sec(a->conf.share_max), "totals", "files",
                                     v->totals.files, "bytes", (json_int_t)v->totals.bytes,
                                     "complete", v->totals.complete));
}

static int route_patch(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    const char *id = arg[0];
    request_rec *r = a->r;
    const char *if_match = apr_table_get(r->headers_in, "If-Match");
    s3up_endpoint_spec_t spec;
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    json_t *body;
    int rc;

    if ((rc = s3up_read_json(&body, r)) != OK || (rc = spec_of(&spec, a, body)) != OK) {
        return rc;
    }
    /* The version the admin edited, if the page says. */
    if (!if_match) {
        if_match = s3up_json_str(body, "version");
    }
    if (s3up_manage_change(&ep, &a->m, id, if_match, &spec, &err, r->pool) != APR_SUCCESS) {
        return s3up_admin_failed(a, "endpoint-change", s3up_store_id_valid(id) ? id : NULL, NULL,
                                 err, "NoSuchEndpoint");
    }
    s3up_admin_audit(a, "endpoint-change", id, NULL, "ok");
    return s3up_reply_json(r, HTTP_OK, json_pack("{s:o}", "endpoint", endpoint_json(a, ep)));
}

static int route_delete(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    const char *id = arg[0];
    request_rec *r = a->r;
    const char *files = s3up_arg(r, "files");
    s3up_error_t *err;
    int deleted, remove_files = files && !strcmp(files, "delete");

    if (files && strcmp(files, "keep") && !remove_files) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "files: keep or delete");
    }
    if (s3up_manage_delete(&deleted, &a->m, id, remove_files, &err, r->pool) != APR_SUCCESS) {
        return s3up_admin_failed(a, "endpoint-delete", s3up_store_id_valid(id) ? id : NULL, NULL,
                                 err, "NoSuchEndpoint");
    }
    s3up_admin_audit(a, "endpoint-delete", id, NULL, remove_files ? "files-deleted" : "files-kept");
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:s,s:i}", "deleted", id, "files_deleted", deleted));
}

static int route_link_create(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    const char *id = arg[0];
    s3up_link_spec_t spec;
    s3up_link_made_t *made;
    s3up_error_t *err;
    json_t *body;
    int rc;

    if ((rc = s3up_read_json(&body, a->r)) != OK || (rc = link_spec_of(&spec, a, body)) != OK) {
        return rc;
    }
    if (s3up_manage_link_create(&made, &a->m, id, &spec, &err, a->r->pool) != APR_SUCCESS) {
        return s3up_admin_failed(a, "link-create", s3up_store_id_valid(id) ? id : NULL, NULL, err,
                                 "NoSuchEndpoint");
    }
    s3up_admin_audit(a, "link-create", id, NULL, "ok");
    return s3up_reply_json(a->r, HTTP_CREATED, json_pack("{s:o}", "link", link_made_json(a, made)));
}

static int route_link_delete(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    const char *id = arg[0];
    s3up_error_t *err;

    if (s3up_manage_link_revoke(&a->m, id, arg[1], &err, a->r->pool) != APR_SUCCESS) {
        return s3up_admin_failed(a, "link-revoke", s3up_store_id_valid(id) ? id : NULL, NULL, err,
                                 "NoSuchEndpoint");
    }
    s3up_admin_audit(a, "link-revoke", id, NULL, "ok");
    return s3up_reply_json(a->r, HTTP_OK, json_object());
}

/* DELETE /api/endpoints/{id}/links/{link}/lock: the link's passcode tries
 * are forgotten (on other servers once their S3UpCacheTTL passes). */
static int route_link_unlock(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    const char *id = arg[0];
    s3up_link_view_t *v;
    s3up_error_t *err;

    if (s3up_manage_link_unlock(&v, &a->m, id, arg[1], &err, a->r->pool) != APR_SUCCESS) {
        return s3up_admin_failed(a, "link-unlock", s3up_store_id_valid(id) ? id : NULL, NULL, err,
                                 "NoSuchEndpoint");
    }
    s3up_drop_unlock(v->link->id);
    s3up_admin_audit(a, "link-unlock", id, NULL, "ok");
    return s3up_reply_json(a->r, HTTP_OK, json_pack("{s:o}", "link", link_json(a, v)));
}

static int route_download(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    const char *key = s3up_arg(a->r, "key"), *url;
    s3up_error_t *err;

    if (s3up_manage_download(&url, &a->m, key, &err, a->r->pool) != APR_SUCCESS) {
        return s3up_reply_failure(a->r, err, "NoSuchKey");
    }
    s3up_admin_audit(a, "download", NULL, key, "ok");
    apr_table_setn(a->r->headers_out, "Location", url);
    apr_table_setn(a->r->err_headers_out, "Cache-Control", "no-store");
    return HTTP_MOVED_TEMPORARILY;
}

static int route_file_delete(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    const char *key = s3up_arg(a->r, "key");
    s3up_error_t *err;

    if (s3up_manage_file_delete(&a->m, key, &err, a->r->pool) != APR_SUCCESS) {
        return s3up_admin_failed(a, "file-delete", NULL, key, err, "NoSuchKey");
    }
    s3up_admin_audit(a, "file-delete", NULL, key, "ok");
    return s3up_reply_json(a->r, HTTP_OK, json_object());
}

static int route_uploads(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    request_rec *r = a->r;
    const char *id = s3up_arg(r, "endpoint");
    apr_array_header_t *uploads;
    s3up_error_t *err;
    json_t *list;
    int truncated;

    if (!id) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "endpoint is missing");
    }
    if (s3up_manage_uploads(&uploads, &truncated, &a->m, id, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchEndpoint");
    }
    list = s3up_json_own(json_array(), r->pool);
    for (int i = 0; i < uploads->nelts; i++) {
        const s3up_unfinished_t *u = &APR_ARRAY_IDX(uploads, i, s3up_unfinished_t);
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:i,s:I}", "key", u->key, "upload_id",
                                              u->upload_id, "initiated",
                                              s3up_time_iso8601(u->initiated, r->pool), "parts",
                                              u->parts, "bytes", (json_int_t)u->bytes));
    }
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:O,s:b}", "uploads", list, "truncated", truncated));
}

static int route_upload_abort(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    const char *key = s3up_arg(a->r, "key");
    s3up_error_t *err;
    int gone;

    if (s3up_manage_upload_abort(&gone, &a->m, key, s3up_arg(a->r, "uploadId"), &err, a->r->pool) !=
        APR_SUCCESS) {
        return s3up_admin_failed(a, "upload-abort", NULL, key, err, "NoSuchUpload");
    }
    s3up_admin_audit(a, "upload-abort", NULL, key, gone ? "gone" : "ok");
    return s3up_reply_json(a->r, HTTP_OK, json_object());
}

/* The admin API (docs/api.md). */
static const s3up_route_t admin_routes[] = {
    {"GET", "api/endpoints", route_list},
    {"POST", "api/endpoints", route_create},
    {"GET", "api/endpoints/{id}", route_get},
    {"PATCH", "api/endpoints/{id}", route_patch},
    {"DELETE", "api/endpoints/{id}", route_delete},
    {"POST", "api/endpoints/{id}/links", route_link_create},
    {"DELETE", "api/endpoints/{id}/links/{link}", route_link_delete},
    {"DELETE", "api/endpoints/{id}/links/{link}/lock", route_link_unlock},
    {"GET", "api/endpoints/{id}/files", s3up_admin_files},
    {"GET", "api/endpoints/{id}/shares", s3up_admin_shares},
    {"DELETE", "api/endpoints/{id}/shares/{share}", s3up_admin_share_revoke},
    {"GET", "api/download", route_download},
    {"POST", "api/share", s3up_admin_share},
    {"DELETE", "api/files", route_file_delete},
    {"GET", "api/uploads", route_uploads},
    {"DELETE", "api/uploads", route_upload_abort},
    {NULL, NULL, NULL},
};

int s3up_admin_serve(const s3up_call_t *call)
{
    request_rec *r = call->r;
    admin_t *a = apr_pcalloc(r->pool, sizeof(*a));
    int rc;

    a->r = r;
    a->dc = call->dc;
    a->sc = s3up_conf_srv(r->server);
    if ((rc = s3up_identity(&a->who, r, a->dc)) != OK) {
        return rc;
    }
    /* Fail closed: without an authenticated person there is no admin. */
    if (!a->who && strncmp(call->path, "api/", 4) && !call->chosen) {
        r->status = HTTP_FORBIDDEN;
        rc = s3up_pages_serve(r, "drop", "not-admin.html");
        return rc == OK ? DONE : rc;
    }
    if (!a->who) {
        return s3up_reply_error(r, HTTP_FORBIDDEN, "Forbidden",
                                "the admin pages need a signed-in person");
    }
    if (call->chosen) {
        /* The customer routes, into any endpoint's folder. */
        s3up_upload_ctx_t *up = s3up_upload_ctx(call);
        if (!s3up_upload_is_api(call->path)) {
            return s3up_reply_error(r, HTTP_NOT_FOUND, "BadRequest", "no such route");
        }
        up->who = a->who;
        up->is_admin = 1;
        return s3up_upload_dispatch(up, call->path);
    }
    if (strncmp(call->path, "api/", 4)) {
        return s3up_pages_serve(r, "admin", call->path);
    }
    if (r->method_number != M_GET && !s3up_same_origin(r)) {
        return s3up_reply_error(r, HTTP_FORBIDDEN, "CrossOrigin",
                                "requests from other sites are refused");
    }
    if ((rc = s3up_req_s3(&a->s3, r, a->dc)) != OK) {
        return rc;
    }
    s3up_req_store(&a->store, r, a->s3, a->dc);
    a->conf.prefix = s3up_conf_prefix(a->dc);
    a->conf.max_file_size = s3up_conf_max_file_size(a->dc);
    a->conf.share_max = s3up_conf_share_max_expires(a->dc);
    a->conf.links = s3up_conf_link_url(a->sc) && s3up_conf_secret(a->sc);
    a->conf.cognito_pool = s3up_conf_cognito_user_pool(a->sc);
    a->conf.cognito_server = s3up_conf_cognito_server(a->sc);
    a->m = (s3up_manage_t){&a->conf, a->s3, &a->store, a->who};
    return s3up_route(r, admin_routes, call->path, a);
}
