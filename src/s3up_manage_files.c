/*
 * Admins' actions on customers' files and unfinished uploads.
 */
#include <apr_strings.h>

#include "s3up_keys.h"
#include "s3up_manage.h"
#include "s3up_manage_int.h"
#include "s3up_util.h"

/* An admin's own download link lives this long: it is followed at once. */
#define DOWNLOAD_EXPIRES apr_time_from_sec(300)
#define UPLOADS_MAX 200

apr_status_t s3up_manage_file_key(s3up_manage_t *m, const char *key, s3up_error_t **err,
                                  apr_pool_t *p)
{
    const char *id, *path, *clean, *why;

    if (s3up_store_file_key_split(&id, &path, m->conf->prefix, key, p) != APR_SUCCESS ||
        s3up_keys_relpath(&clean, path, &why, p) != APR_SUCCESS || strcmp(clean, path)) {
        return s3up_failf(err, S3UP_EINPUT, "InvalidKey", p, "key: a file of an upload endpoint");
    }
    return APR_SUCCESS;
}

/* The upload's name is freed if it was reserved for that upload. */
static void end_reservation(s3up_manage_t *m, const char *key, const char *upload_id, apr_pool_t *p)
{
    s3up_reservation_t *res;
    s3up_error_t *ignored;

    if (s3up_store_reservation_get(&res, m->store, key, upload_id, &ignored, p) == APR_SUCCESS &&
        res->upload_id && !strcmp(res->upload_id, upload_id)) {
        s3up_store_reservation_end(m->store, res, &ignored, p);
    }
}

/* A folder being emptied: what is removed is counted. */
typedef struct {
    s3up_manage_t *m;
    int *removed;
    s3up_error_t **err;
    apr_pool_t *p;
} emptying_t;

static apr_status_t abort_upload(void *baton, const char *key, const void *item)
{
    emptying_t *e = baton;
    const char *upload_id = ((const s3up_upload_t *)item)->upload_id;
    apr_status_t rv = s3up_s3_abort(e->m->s3, key, upload_id, e->err, e->p);

    if (rv != APR_SUCCESS && rv != S3UP_ENOTFOUND) {
        return rv;
    }
    end_reservation(e->m, key, upload_id, e->p);
    (*e->removed)++;
    return APR_SUCCESS;
}

static apr_status_t delete_file(void *baton, const char *key, const void *item)
{
    emptying_t *e = baton;
    apr_status_t rv = s3up_s3_delete(e->m->s3, key, e->err, e->p);

    (void)item;
    *e->removed += rv == APR_SUCCESS;
    return rv;
}

apr_status_t s3up_manage_empty(int *removed, s3up_manage_t *m, const char *prefix,
                               s3up_error_t **err, apr_pool_t *p)
{
    emptying_t e = {m, removed, err, p};
    apr_status_t rv =
        s3up_s3_each(m->s3, S3UP_S3_UPLOADS, prefix, 0, NULL, abort_upload, &e, err, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    return s3up_s3_each(m->s3, S3UP_S3_OBJECTS, prefix, 0, NULL, delete_file, &e, err, p);
}

/* Content-Disposition of a download: RFC 6266, the UTF-8 name and an ASCII
 * fallback. */
static const char *attachment(const char *key, apr_pool_t *p)
{
    const char *name = strrchr(key, '/') ? strrchr(key, '/') + 1 : key;
    char *ascii = apr_pstrdup(p, name);

    for (char *c = ascii; *c; c++) {
        if ((unsigned char)*c >= 0x7f || *c == '"' || *c == '\\' || *c == '%') {
            *c = '_';
        }
    }
    return apr_psprintf(p, "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii,
                        s3up_uri_encode(name, 0, p));
}

apr_status_t s3up_manage_presign(const char **url, s3up_manage_t *m, const char *key,
                                 apr_interval_time_t life, s3up_error_t **err, apr_pool_t *p)
{
    if (s3up_s3_presign_get(url, m->s3, key, attachment(key, p), life, p) != APR_SUCCESS) {
        return s3up_fail(err, APR_EGENERAL, "SigningFailed", "the link could not be signed", p);
    }
    return APR_SUCCESS;
}

apr_status_t s3up_manage_download(const char **url, s3up_manage_t *m, const char *key,
                                  s3up_error_t **err, apr_pool_t *p)
{
    apr_status_t rv = s3up_manage_file_key(m, key, err, p);
    return rv == APR_SUCCESS ? s3up_manage_presign(url, m, key, DOWNLOAD_EXPIRES, err, p) : rv;
}

apr_status_t s3up_manage_share_check(s3up_manage_t *m, const char *key, apr_interval_time_t life,
                                     s3up_error_t **err, apr_pool_t *p)
{
    s3up_object_t *obj;
    apr_status_t rv;

    if ((rv = s3up_manage_file_key(m, key, err, p)) != APR_SUCCESS) {
        return rv;
    }
    if (life < apr_time_from_sec(60) || life > m->conf->share_max) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p,
                          "expires: seconds, from 60 to %" APR_TIME_T_FMT,
                          apr_time_sec(m->conf->share_max));
    }
    return s3up_s3_head(&obj, m->s3, key, err, p);
}

apr_status_t s3up_manage_share(const char **url, apr_time_t *expires_at, s3up_manage_t *m,
                               const char *key, apr_interval_time_t life, s3up_error_t **err,
                               apr_pool_t *p)
{
    apr_status_t rv;

    if ((rv = s3up_manage_share_check(m, key, life, err, p)) != APR_SUCCESS ||
        (rv = s3up_manage_presign(url, m, key, life, err, p)) != APR_SUCCESS) {
        return rv;
    }
    *expires_at = m->s3->aws.now() + life;
    return APR_SUCCESS;
}

apr_status_t s3up_manage_file_delete(s3up_manage_t *m, const char *key, s3up_error_t **err,
                                     apr_pool_t *p)
{
    apr_status_t rv = s3up_manage_file_key(m, key, err, p);
    return rv == APR_SUCCESS ? s3up_s3_delete(m->s3, key, err, p) : rv;
}

apr_status_t s3up_manage_uploads(apr_array_header_t **out, int *truncated, s3up_manage_t *m,
                                 const char *id, s3up_error_t **err, apr_pool_t *p)
{
    s3up_upload_page_t *page;
    s3up_endpoint_t *ep;
    apr_status_t rv;

    if ((rv = s3up_manage_endpoint(&ep, m, id, err, p)) != APR_SUCCESS ||
        (rv = s3up_s3_list_uploads(&page, m->s3, ep->prefix, NULL, NULL, UPLOADS_MAX, err, p)) !=
            APR_SUCCESS) {
        return rv;
    }
    *out = apr_array_make(p, page->uploads->nelts, sizeof(s3up_unfinished_t));
    for (int i = 0; i < page->uploads->nelts; i++) {
        const s3up_upload_t *u = &APR_ARRAY_IDX(page->uploads, i, s3up_upload_t);
        s3up_unfinished_t *row;
        apr_array_header_t *parts;
        s3up_error_t *ignored;

        if (s3up_s3_list_parts(&parts, m->s3, u->key, u->upload_id, &ignored, p) != APR_SUCCESS) {
            continue; /* finished or aborted meanwhile */
        }
        row = apr_array_push(*out);
        row->key = u->key;
        row->upload_id = u->upload_id;
        row->initiated = u->initiated;
        row->parts = parts->nelts;
        row->bytes = 0;
        for (int j = 0; j < parts->nelts; j++) {
            row->bytes += APR_ARRAY_IDX(parts, j, s3up_part_t).size;
        }
    }
    *truncated = page->truncated;
    return APR_SUCCESS;
}

apr_status_t s3up_manage_upload_abort(int *gone, s3up_manage_t *m, const char *key,
                                      const char *upload_id, s3up_error_t **err, apr_pool_t *p)
{
    apr_status_t rv = s3up_manage_file_key(m, key, err, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!upload_id || !*upload_id) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p, "uploadId is missing");
    }
    rv = s3up_s3_abort(m->s3, key, upload_id, err, p);
    if (rv != APR_SUCCESS && rv != S3UP_ENOTFOUND) {
        return rv;
    }
    *gone = rv == S3UP_ENOTFOUND;
    end_reservation(m, key, upload_id, p);
    return APR_SUCCESS;
}
