/*
 * The admin routes of files and their share addresses (docs/api.md): the
 * file list with its sort, filter, folders and pages; share addresses made,
 * listed and revoked. The rules are the service's (s3up_manage_browse.c,
 * s3up_manage_share.c); these parse, call and reply.
 */
#include <apr_strings.h>

#include <http_protocol.h>

#include "mod_s3up_admin.h"
#include "mod_s3up_request.h"
#include "s3up_json.h"
#include "s3up_time.h"

#define FILES_PAGE 100

/* The query of a file list: sort, order, q, view, prefix, cursor, limit. */
static int files_query_of(s3up_files_query_t *q, request_rec *r)
{
    static const char *const sorts[] = {"name", "size", "arrived", "uploaded_by"};
    const char *sort = s3up_arg(r, "sort"), *order = s3up_arg(r, "order");
    const char *view = s3up_arg(r, "view"), *cursor = s3up_arg(r, "cursor");
    const char *limit = s3up_arg(r, "limit");
    char *end;

    memset(q, 0, sizeof(*q));
    q->limit = FILES_PAGE;
    q->sort = (s3up_sort_e)-1;
    for (int i = 0; i < 4 && sort; i++) {
        if (!strcmp(sort, sorts[i])) {
            q->sort = (s3up_sort_e)i;
        }
    }
    if (sort && (int)q->sort < 0) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                "sort: name, size, arrived or uploaded_by");
    }
    q->sort = sort ? q->sort : S3UP_SORT_NAME;
    if (order && strcmp(order, "asc") && strcmp(order, "desc")) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "order: asc or desc");
    }
    q->descending = order && !strcmp(order, "desc");
    if (view && strcmp(view, "folders") && strcmp(view, "flat")) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "view: flat or folders");
    }
    q->folders = view && !strcmp(view, "folders");
    q->filter = s3up_arg(r, "q");
    q->sub = s3up_arg(r, "prefix");
    if (cursor) {
        q->offset = (int)strtol(cursor, &end, 10);
        q->offset = *end || !*cursor ? -1 : q->offset;
    }
    if (limit) {
        q->limit = (int)strtol(limit, &end, 10);
        q->limit = *end || !*limit ? 0 : q->limit;
    }
    return OK;
}

static json_t *file_row_json(const s3up_file_row_t *f, apr_pool_t *p)
{
    json_t *by = json_null();

    if (f->by.name || f->by.link_id) {
        by = json_pack("{s:o,s:s,s:o}", "name", f->by.name ? json_string(f->by.name) : json_null(),
                       "via", f->by.link_id ? "link" : "person", "link",
                       f->by.link_id ? json_string(f->by.link_id) : json_null());
    }
    if (!f->key) {
        return json_pack("{s:s,s:I,s:i,s:s}", "name", f->name, "size", (json_int_t)f->size, "files",
                         f->files, "last_modified", s3up_time_iso8601(f->last_modified, p));
    }
    return json_pack("{s:s,s:s,s:I,s:s,s:o,s:o,s:o}", "key", f->key, "name", f->name, "size",
                     (json_int_t)f->size, "last_modified", s3up_time_iso8601(f->last_modified, p),
                     "uploaded_by", by, "checksum",
                     f->checksum ? json_string(f->checksum) : json_null(), "copy_of",
                     f->copy_of ? json_string(f->copy_of) : json_null());
}

int s3up_admin_files(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    request_rec *r = a->r;
    s3up_files_query_t q;
    s3up_file_list_t *list;
    s3up_error_t *err;
    json_t *files, *folders;
    int rc;

    if ((rc = files_query_of(&q, r)) != OK) {
        return rc;
    }
    if (s3up_manage_browse(&list, &a->m, arg[0], &q, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_failure(r, err, "NoSuchEndpoint");
    }
    files = s3up_json_own(json_array(), r->pool);
    folders = s3up_json_own(json_array(), r->pool);
    for (int i = 0; i < list->rows->nelts; i++) {
        json_array_append_new(
            files, file_row_json(&APR_ARRAY_IDX(list->rows, i, s3up_file_row_t), r->pool));
    }
    for (int i = 0; q.folders && i < list->folders->nelts; i++) {
        json_array_append_new(
            folders, file_row_json(&APR_ARRAY_IDX(list->folders, i, s3up_file_row_t), r->pool));
    }
    return s3up_reply_json(
        r, HTTP_OK,
        json_pack("{s:O,s:O,s:o,s:{s:i,s:I,s:b}}", "files", files, "folders", folders, "next",
                  list->next >= 0 ? json_string(apr_itoa(r->pool, list->next)) : json_null(),
                  "totals", "files", list->totals.files, "bytes", (json_int_t)list->totals.bytes,
                  "complete", list->totals.complete));
}

/* The address of a share on the s3up-drop location. */
static const char *share_url(const admin_t *a, const char *token)
{
    const char *base = s3up_conf_link_url(a->sc);
    apr_size_t n = strlen(base);

    return apr_psprintf(a->r->pool, "%.*s/s/%s", (int)(n && base[n - 1] == '/' ? n - 1 : n), base,
                        token);
}

static json_t *share_json(const admin_t *a, const s3up_share_t *s)
{
    apr_pool_t *p = a->r->pool;
    const char *folder = s3up_store_file_key(a->conf.prefix, s->endpoint, "", p);

    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:i,s:o,s:b}", "id", s->id, "key", s->key, "name",
                     s->key + strlen(folder), "created", s3up_time_iso8601(s->created, p),
                     "created_by", s->created_by ? json_string(s->created_by) : json_null(),
                     "expires", s3up_time_iso8601(s->expires, p), "uses", s->uses, "last_used",
                     s->last_used ? json_string(s3up_time_iso8601(s->last_used, p)) : json_null(),
                     "expired", apr_time_now() >= s->expires);
}

/* POST /api/share {key, expires, raw}: a short address on this server
 * (a share record), or with raw a presigned GET of S3's. */
int s3up_admin_share(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    request_rec *r = a->r;
    const char *key, *url;
    apr_time_t expires_at;
    apr_interval_time_t life;
    s3up_share_made_t *made;
    s3up_error_t *err;
    const json_t *ex;
    json_t *body, *reply;
    int rc;

    if ((rc = s3up_read_json(&body, r)) != OK) {
        return rc;
    }
    key = s3up_json_str(body, "key");
    ex = json_object_get(body, "expires");
    life = json_is_integer(ex) ? apr_time_from_sec(json_integer_value(ex)) : 0;
    if (json_is_true(json_object_get(body, "raw"))) {
        if (s3up_manage_share(&url, &expires_at, &a->m, key, life, &err, r->pool) != APR_SUCCESS) {
            return s3up_admin_failed(a, "share", NULL, key, err, "NoSuchKey");
        }
        s3up_admin_audit(a, "share", NULL, key, "presigned");
        return s3up_reply_json(r, HTTP_OK,
                               json_pack("{s:s,s:s,s:s}", "url", url, "expires_at",
                                         s3up_time_iso8601(expires_at, r->pool), "kind",
                                         "presigned"));
    }
    if (s3up_manage_share_create(&made, &a->m, key, life, &err, r->pool) != APR_SUCCESS) {
        return s3up_admin_failed(a, "share", NULL, key, err, "NoSuchKey");
    }
    s3up_admin_audit(a, "share", made->share->endpoint, key, "ok");
    reply = json_pack("{s:s,s:s,s:s,s:o}", "url", share_url(a, made->token), "expires_at",
                      s3up_time_iso8601(made->share->expires, r->pool), "kind", "short", "share",
                      share_json(a, made->share));
    return s3up_reply_json(r, HTTP_OK, reply);
}

int s3up_admin_shares(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    apr_array_header_t *shares;
    s3up_error_t *err;
    json_t *list;

    if (s3up_manage_shares(&shares, &a->m, arg[0], &err, a->r->pool) != APR_SUCCESS) {
        return s3up_reply_failure(a->r, err, "NoSuchEndpoint");
    }
    list = s3up_json_own(json_array(), a->r->pool);
    for (int i = 0; i < shares->nelts; i++) {
        json_array_append_new(list, share_json(a, APR_ARRAY_IDX(shares, i, s3up_share_t *)));
    }
    return s3up_reply_json(a->r, HTTP_OK, json_pack("{s:O}", "shares", list));
}

int s3up_admin_share_revoke(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    const char *id = arg[0];
    s3up_error_t *err;

    if (s3up_manage_share_revoke(&a->m, id, arg[1], &err, a->r->pool) != APR_SUCCESS) {
        return s3up_admin_failed(a, "share-revoke", s3up_store_id_valid(id) ? id : NULL, NULL, err,
                                 "NoSuchShare");
    }
    s3up_admin_audit(a, "share-revoke", id, NULL, "ok");
    return s3up_reply_json(a->r, HTTP_OK, json_object());
}
