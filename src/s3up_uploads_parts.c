/*
 * Customers' uploads: the parts of an upload, and its end. Every function
 * acts on the caller's own upload only, found through its key's
 * reservation (s3up_store.h): the key names the upload it is reserved for,
 * and who started it.
 */
#include <apr_strings.h>

#include "s3up_keys.h"
#include "s3up_sigv4.h"
#include "s3up_token.h"
#include "s3up_uploads.h"
#include "s3up_uploads_int.h"
#include "s3up_util.h"

static apr_status_t no_such_upload(s3up_error_t **err, apr_pool_t *p)
{
    return s3up_failf(err, S3UP_ENOTFOUND, "NoSuchUpload", p,
                      "there is no such upload of yours (finished, cancelled, or never "
                      "started)");
}

/* The reservation of the caller's upload upload_id of key, in an endpoint
 * the caller may use (writing: and that is open). Another's upload, or one
 * the key is not reserved for, is no upload at all. */
static apr_status_t own_upload(s3up_reservation_t **res, s3up_endpoint_t **ep, s3up_uploads_t *u,
                               const char *key, const char *upload_id, int writing,
                               s3up_error_t **err, apr_pool_t *p)
{
    apr_status_t rv;

    if ((rv = s3up_uploads_key_endpoint(ep, u, key, writing, err, p)) != APR_SUCCESS) {
        return rv;
    }
    if (!upload_id || !*upload_id || strlen(upload_id) > 1024) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p, "the upload id is missing");
    }
    rv = s3up_store_reservation_get(res, u->store, key, upload_id, err, p);
    if (rv == S3UP_ENOTFOUND ||
        (rv == APR_SUCCESS && (!(*res)->upload_id || strcmp((*res)->upload_id, upload_id) ||
                               (!u->is_admin && strcmp((*res)->owner, u->who->name))))) {
        return no_such_upload(err, p);
    }
    return rv;
}

/* Where part n goes: S3, signed for its exact length; or httpd, with a
 * token for that length (at most the limit, when no size was declared). */
static apr_status_t part_url(const char **url, s3up_uploads_t *u, const s3up_endpoint_t *ep,
                             const s3up_reservation_t *res, int n, s3up_error_t **err,
                             apr_pool_t *p)
{
    s3up_part_grant_t grant = {0, res->size >= 0};
    const char *token;

    if (res->size >= 0 &&
        s3up_keys_part_length(&grant.bytes, res->size, res->part_size, n) != APR_SUCCESS) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p,
                          "part %d lies past the end of the file (%" APR_OFF_T_FMT
                          " bytes in parts of %" APR_OFF_T_FMT ")",
                          n, res->size, res->part_size);
    }
    if (res->size >= 0 && !u->conf->proxy) {
        if (s3up_s3_presign_upload_part(url, u->s3, res->key, res->upload_id, n, grant.bytes,
                                        u->conf->expires, p) != APR_SUCCESS) {
            return s3up_failf(err, APR_EINVAL, "SigningFailed", p, "part %d cannot be signed", n);
        }
        return APR_SUCCESS;
    }
    if (!grant.exact) {
        apr_off_t limit = s3up_uploads_limit(u, ep);
        grant.bytes = limit < S3UP_PART_SIZE_MAX ? limit : S3UP_PART_SIZE_MAX;
    }
    if (s3up_token_part_make(&token, res->key, res->upload_id, n, &grant,
                             u->s3->aws.now() + u->conf->expires, u->conf->secret,
                             p) != APR_SUCCESS) {
        return s3up_failf(err, APR_EINVAL, "SigningFailed", p,
                          "part %d cannot be signed (is S3UpSecretFile set?)", n);
    }
    *url = apr_psprintf(p, "%s/s3/multipart/%s/%d/data?key=%s&t=%s", u->part_base,
                        s3up_uri_encode(res->upload_id, 0, p), n, s3up_uri_encode(res->key, 0, p),
                        token);
    return APR_SUCCESS;
}

static apr_status_t sign(apr_array_header_t **urls, s3up_uploads_t *u, const char *key,
                         const char *upload_id, const apr_array_header_t *numbers,
                         s3up_error_t **err, apr_pool_t *p)
{
    s3up_reservation_t *res;
    s3up_endpoint_t *ep;
    apr_status_t rv;

    if (numbers->nelts < 1 || numbers->nelts > S3UP_UPLOADS_BATCH_MAX) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p,
                          "up to %d part numbers from 1 to 10000", S3UP_UPLOADS_BATCH_MAX);
    }
    if ((rv = own_upload(&res, &ep, u, key, upload_id, 1, err, p)) != APR_SUCCESS) {
        return rv;
    }
    *urls = apr_array_make(p, numbers->nelts, sizeof(const char *));
    for (int i = 0; i < numbers->nelts; i++) {
        const char **url = apr_array_push(*urls);
        if ((rv = part_url(url, u, ep, res, APR_ARRAY_IDX(numbers, i, int), err, p)) !=
            APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

apr_status_t s3up_uploads_sign(apr_array_header_t **urls, s3up_uploads_t *u, const char *key,
                               const char *upload_id, const apr_array_header_t *numbers,
                               s3up_error_t **err, apr_pool_t *p)
{
    apr_time_t t0 = u->s3->aws.now();
    apr_status_t rv = sign(urls, u, key, upload_id, numbers, err, p);

    if (rv == APR_SUCCESS) {
        s3up_metrics_signing(u->s3->aws.metrics, u->s3->aws.now() - t0);
    }
    return rv;
}

apr_status_t s3up_uploads_parts(apr_array_header_t **parts, s3up_uploads_t *u, const char *key,
                                const char *upload_id, s3up_error_t **err, apr_pool_t *p)
{
    s3up_reservation_t *res;
    s3up_endpoint_t *ep;
    apr_status_t rv = own_upload(&res, &ep, u, key, upload_id, 1, err, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = s3up_s3_list_parts(parts, u->s3, key, upload_id, err, p);
    return rv == S3UP_ENOTFOUND ? no_such_upload(err, p) : rv;
}

/* The key holds a file the caller uploaded: an upload that is gone was
 * completed (keys are reserved per upload), and the answer lost. */
static int completed_before(s3up_finished_t *out, s3up_uploads_t *u, const char *key, apr_pool_t *p)
{
    s3up_object_t *obj;
    s3up_error_t *err;
    const char *by;

    if (s3up_s3_head(&obj, u->s3, key, &err, p) != APR_SUCCESS) {
        return 0;
    }
    by = apr_table_get(obj->meta, "uploaded-by");
    if (!by || strcmp(by, s3up_uploads_meta_value(u->who->name, p))) {
        return 0;
    }
    out->size = obj->size;
    out->again = 1;
    return 1;
}

/* Over its limit: the upload is aborted (or the object removed), never
 * kept, and its name freed. */
static apr_status_t refuse(s3up_finished_t *out, s3up_uploads_t *u, const s3up_reservation_t *res,
                           apr_off_t size, apr_off_t limit, int completed, s3up_error_t **err,
                           apr_pool_t *p)
{
    s3up_error_t *ignored;

    if (completed) {
        s3up_s3_delete(u->s3, res->key, &ignored, p);
    } else {
        s3up_s3_abort(u->s3, res->key, res->upload_id, &ignored, p);
    }
    s3up_store_reservation_end(u->store, res, &ignored, p);
    s3up_metrics_add(u->s3->aws.metrics, S3UP_M_UPLOADS_FAILED, 1);
    out->size = size;
    return s3up_failf(err, S3UP_ETOOBIG, "TooLarge", p,
                      "the file is %" APR_OFF_T_FMT " bytes; at most %" APR_OFF_T_FMT
                      " may be uploaded here, so it was not kept",
                      size, limit);
}

apr_status_t s3up_uploads_complete(s3up_finished_t **out, s3up_uploads_t *u, const char *key,
                                   const char *upload_id, const apr_array_header_t *parts,
                                   s3up_error_t **err, apr_pool_t *p)
{
    s3up_finished_t *f = apr_pcalloc(p, sizeof(*f));
    apr_array_header_t *stored;
    s3up_reservation_t *res;
    s3up_endpoint_t *ep = NULL;
    s3up_complete_t *done;
    s3up_object_t *obj;
    apr_off_t size = 0, limit;
    apr_status_t rv;

    *out = f;
    f->key = key;
    f->location = s3up_s3_url(u->s3->loc, key, p);
    rv = own_upload(&res, &ep, u, key, upload_id, 1, err, p);
    if (rv == S3UP_ENOTFOUND && ep && !strcmp((*err)->code, "NoSuchUpload") &&
        completed_before(f, u, key, p)) {
        f->endpoint = ep->id;
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    f->endpoint = ep->id;
    limit = s3up_uploads_limit(u, ep);
    /* What S3 holds for the parts asked for, before they become a file. */
    rv = s3up_s3_list_parts(&stored, u->s3, key, upload_id, err, p);
    if (rv == S3UP_ENOTFOUND) {
        return completed_before(f, u, key, p) ? APR_SUCCESS : no_such_upload(err, p);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    for (int i = 0; i < stored->nelts; i++) {
        const s3up_part_t *have = &APR_ARRAY_IDX(stored, i, s3up_part_t);
        for (int j = 0; j < parts->nelts; j++) {
            if (APR_ARRAY_IDX(parts, j, s3up_part_t).number == have->number) {
                size += have->size;
                break;
            }
        }
    }
    if (size > limit) {
        return refuse(f, u, res, size, limit, 0, err, p);
    }
    if ((rv = s3up_s3_complete(&done, u->s3, key, upload_id, parts, err, p)) != APR_SUCCESS) {
        s3up_metrics_add(u->s3->aws.metrics, S3UP_M_UPLOADS_FAILED, 1);
        return rv;
    }
    /* Parts replaced between the listing and the completion are caught
     * here, on the object itself. */
    if ((rv = s3up_s3_head(&obj, u->s3, key, err, p)) != APR_SUCCESS) {
        return rv;
    }
    if (obj->size > limit) {
        return refuse(f, u, res, obj->size, limit, 1, err, p);
    }
    f->size = obj->size;
    f->etag = obj->etag;
    s3up_metrics_add(u->s3->aws.metrics, S3UP_M_UPLOADS_COMPLETED, 1);
    s3up_metrics_add(u->s3->aws.metrics, S3UP_M_BYTES_COMPLETED, (apr_uint64_t)obj->size);
    /* The file exists now: the name is taken by it, whatever becomes of
     * the reservation. */
    s3up_store_reservation_end(u->store, res, err, p);
    return APR_SUCCESS;
}

apr_status_t s3up_uploads_arrived(s3up_finished_t **out, s3up_uploads_t *u, const char *key,
                                  s3up_error_t **err, apr_pool_t *p)
{
    s3up_finished_t *f = apr_pcalloc(p, sizeof(*f));
    const char *by;
    s3up_endpoint_t *ep;
    s3up_object_t *obj;
    s3up_error_t *ignored;
    apr_off_t limit;
    apr_status_t rv;

    *out = f;
    f->key = key;
    if ((rv = s3up_uploads_key_endpoint(&ep, u, key, 1, err, p)) != APR_SUCCESS) {
        return rv;
    }
    f->endpoint = ep->id;
    f->location = s3up_s3_url(u->s3->loc, key, p);
    rv = s3up_s3_head(&obj, u->s3, key, err, p);
    if (rv == S3UP_ENOTFOUND) {
        return s3up_fail(err, rv, "NoSuchKey", "no file has arrived under that name", p);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    by = obj->meta ? apr_table_get(obj->meta, "uploaded-by") : NULL;
    if (!by || strcmp(by, s3up_uploads_meta_value(u->who->name, p))) {
        return s3up_fail(err, S3UP_EDENIED, "InvalidKey", "that file was not sent by you", p);
    }
    limit = s3up_uploads_limit(u, ep);
    f->size = obj->size;
    f->etag = obj->etag;
    if (obj->size > limit) {
        s3up_s3_delete(u->s3, key, &ignored, p);
        s3up_metrics_add(u->s3->aws.metrics, S3UP_M_UPLOADS_FAILED, 1);
        return s3up_failf(err, S3UP_ETOOBIG, "TooLarge", p,
                          "the file is %" APR_OFF_T_FMT " bytes; at most %" APR_OFF_T_FMT
                          " may be uploaded here, so it was not kept",
                          obj->size, limit);
    }
    rv = s3up_store_arrival_note(u->store, key, obj->etag, err, p);
    if (rv == S3UP_ECONFLICT) {
        f->again = 1;
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    s3up_metrics_add(u->s3->aws.metrics, S3UP_M_UPLOADS_COMPLETED, 1);
    s3up_metrics_add(u->s3->aws.metrics, S3UP_M_BYTES_COMPLETED, (apr_uint64_t)obj->size);
    return APR_SUCCESS;
}

apr_status_t s3up_uploads_abort(s3up_uploads_t *u, const char *key, const char *upload_id,
                                s3up_error_t **err, apr_pool_t *p)
{
    s3up_reservation_t *res;
    s3up_endpoint_t *ep;
    apr_status_t rv;

    /* Cancelling frees storage, so it is allowed on a closed endpoint. */
    if ((rv = own_upload(&res, &ep, u, key, upload_id, 0, err, p)) != APR_SUCCESS) {
        return rv;
    }
    rv = s3up_s3_abort(u->s3, key, upload_id, err, p);
    if (rv != APR_SUCCESS && rv != S3UP_ENOTFOUND) {
        return rv; /* the name stays reserved: the upload may still be there */
    }
    s3up_metrics_add(u->s3->aws.metrics, S3UP_M_UPLOADS_ABORTED, rv == APR_SUCCESS);
    return s3up_store_reservation_end(u->store, res, err, p);
}

apr_status_t s3up_uploads_pass_part(const char **etag, s3up_s3_t *s3, const char *key,
                                    const char *upload_id, int part, s3up_http_read_fn *read,
                                    void *baton, apr_off_t size, s3up_error_t **err, apr_pool_t *p)
{
    return s3up_s3_upload_part(etag, s3, key, upload_id, part, read, baton, size, err, p);
}
