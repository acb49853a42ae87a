/*
 * Customers' uploads: access to endpoints, names, starting an upload.
 * The parts and the end of an upload are in s3up_uploads_parts.c.
 */
#include <apr_base64.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "s3up_keys.h"
#include "s3up_uploads.h"
#include "s3up_uploads_int.h"
#include "s3up_util.h"

/* Pages of ListObjectsV2 and ListMultipartUploads read to learn which
 * numbered names are taken, and names tried after that: together, the
 * bound on S3 calls a new name costs. */
#define NAME_LIST_PAGES 10
#define NAME_TRIES 8

/* The largest file one form POST carries (S3's PutObject limit). */
#define POST_OBJECT_MAX ((apr_off_t)5 * 1024 * 1024 * 1024)

/* Files of a link holder checked per page: each costs a HEAD. */
#define OWNED_PAGE 100

static int is_member(const s3up_uploads_t *u, const s3up_endpoint_t *ep)
{
    if (u->who->link_endpoint) {
        return !strcmp(u->who->link_endpoint, ep->id);
    }
    if (u->is_admin) {
        return 1;
    }
    for (int i = 0; i < ep->members->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(ep->members, i, const char *), u->who->name)) {
            return 1;
        }
    }
    return 0;
}

static apr_status_t no_such_endpoint(s3up_error_t **err, const char *id, apr_pool_t *p)
{
    return s3up_failf(err, S3UP_ENOTFOUND, "NoSuchEndpoint", p,
                      "there is no upload endpoint '%s' that you may use", id);
}

apr_status_t s3up_uploads_endpoint(s3up_endpoint_t **out, s3up_uploads_t *u, const char *id,
                                   int writing, s3up_error_t **err, apr_pool_t *p)
{
    const char *prefix = u->conf->prefix;
    s3up_endpoint_t *ep;
    apr_status_t rv;

    if (!s3up_store_id_valid(id)) {
        return no_such_endpoint(err, "", p);
    }
    rv = s3up_store_endpoint_get(&ep, u->store, id, err, p);
    if (rv == S3UP_ENOTFOUND) {
        return no_such_endpoint(err, id, p);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* Not a member, or a record pointing outside S3UpPrefix: as if there
     * were none, so that nobody learns which endpoints exist. */
    if (!is_member(u, ep) || strncmp(ep->prefix, prefix, strlen(prefix))) {
        if (is_member(u, ep)) {
            s3up_log(S3UP_LOG_ERR, 0, "endpoint %s has prefix %s outside S3UpPrefix", id,
                     ep->prefix);
        }
        return no_such_endpoint(err, id, p);
    }
    if (writing && !s3up_store_endpoint_open(ep, u->s3->aws.now())) {
        int revoked = strcmp(ep->status, S3UP_ENDPOINT_ACTIVE) != 0;
        return s3up_failf(err, S3UP_EDENIED, revoked ? "EndpointRevoked" : "EndpointExpired", p,
                          "the upload endpoint '%s' has %s", id,
                          revoked ? "been closed" : "expired");
    }
    *out = ep;
    return APR_SUCCESS;
}

apr_status_t s3up_uploads_endpoint_ids(apr_array_header_t **ids, s3up_uploads_t *u,
                                       s3up_error_t **err, apr_pool_t *p)
{
    if (u->who->link_endpoint) {
        *ids = apr_array_make(p, 1, sizeof(const char *));
        APR_ARRAY_PUSH(*ids, const char *) = u->who->link_endpoint;
        return APR_SUCCESS;
    }
    return s3up_store_member_endpoints(ids, u->store, u->who->name, err, p);
}

apr_status_t s3up_uploads_default_endpoint(s3up_endpoint_t **out, s3up_uploads_t *u, int writing,
                                           s3up_error_t **err, apr_pool_t *p)
{
    apr_array_header_t *ids;
    apr_status_t rv;

    if (u->chosen) {
        return s3up_uploads_endpoint(out, u, u->chosen, writing, err, p);
    }
    if ((rv = s3up_uploads_endpoint_ids(&ids, u, err, p)) != APR_SUCCESS) {
        return rv;
    }
    if (ids->nelts == 0) {
        return s3up_fail(err, S3UP_EDENIED, "Forbidden", "you have no upload endpoint", p);
    }
    if (ids->nelts > 1) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p,
                          "you have %d upload endpoints: choose one with e/{id}/", ids->nelts);
    }
    return s3up_uploads_endpoint(out, u, APR_ARRAY_IDX(ids, 0, const char *), writing, err, p);
}

apr_status_t s3up_uploads_key_endpoint(s3up_endpoint_t **out, s3up_uploads_t *u, const char *key,
                                       int writing, s3up_error_t **err, apr_pool_t *p)
{
    const char *rel, *clean, *why, *id;
    s3up_endpoint_t *ep;
    apr_status_t rv;

    if (!key || !*key) {
        return s3up_fail(err, S3UP_EINPUT, "BadRequest", "the key is missing", p);
    }
    if (s3up_store_file_key_split(&id, &rel, u->conf->prefix, key, p) != APR_SUCCESS ||
        s3up_keys_relpath(&clean, rel, &why, p) != APR_SUCCESS || strcmp(clean, rel) ||
        (u->chosen && strcmp(u->chosen, id))) {
        return s3up_uploads_outside(err, p);
    }
    rv = s3up_uploads_endpoint(&ep, u, id, writing, err, p);
    if (rv == S3UP_ENOTFOUND ||
        (rv == APR_SUCCESS && strncmp(key, ep->prefix, strlen(ep->prefix)))) {
        return s3up_uploads_outside(err, p);
    }
    if (rv == APR_SUCCESS) {
        *out = ep;
    }
    return rv;
}

apr_status_t s3up_uploads_outside(s3up_error_t **err, apr_pool_t *p)
{
    return s3up_fail(err, S3UP_EDENIED, "InvalidKey", "the key lies outside your upload endpoints",
                     p);
}

apr_off_t s3up_uploads_limit(const s3up_uploads_t *u, const s3up_endpoint_t *ep)
{
    apr_off_t limit = u->conf->max_file_size;
    return ep->max_file_size && ep->max_file_size < limit ? ep->max_file_size : limit;
}

const char *s3up_uploads_meta_value(const char *v, apr_pool_t *p)
{
    apr_size_t n = strlen(v);
    char *b64;

    for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
        if (*c < 0x20 || *c >= 0x7f) {
            b64 = apr_palloc(p, apr_base64_encode_len((int)n));
            apr_base64_encode(b64, v, (int)n);
            return apr_pstrcat(p, "=?UTF-8?B?", b64, "?=", NULL);
        }
    }
    return v;
}

static apr_table_t *object_meta(const s3up_uploads_t *u, const char *name, apr_pool_t *p)
{
    apr_table_t *meta = apr_table_make(p, 2);
    apr_table_setn(meta, "uploaded-by", s3up_uploads_meta_value(u->who->name, p));
    apr_table_setn(meta, "original-name", s3up_uploads_meta_value(name, p));
    return meta;
}

/* A content type passed on to S3: a plain type/subtype, else the default. */
static const char *content_type_of(const char *type)
{
    if (!type || !*type || strlen(type) > 200 || strpbrk(type, "\r\n\"\\")) {
        return "application/octet-stream";
    }
    for (const char *c = type; *c; c++) {
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
            return "application/octet-stream";
        }
    }
    return type;
}

/* The path a file goes to: Uppy's relativePath, for a file from a folder,
 * ends with the file's name; anything else (the text "null" that a query
 * carries for plain files, a stale value) is no path, and the name is. */
static const char *path_of(const char *filename, const char *relative_path)
{
    apr_size_t n = relative_path ? strlen(relative_path) : 0, f = strlen(filename);

    if (n == f && !strcmp(relative_path, filename)) {
        return relative_path;
    }
    if (n > f && !strcmp(relative_path + n - f, filename) &&
        (relative_path[n - f - 1] == '/' || relative_path[n - f - 1] == '\\')) {
        return relative_path;
    }
    return filename;
}

static apr_status_t relpath_of(const char **rel, const s3up_file_t *file, s3up_error_t **err,
                               apr_pool_t *p)
{
    const char *why;

    if (!file->filename || !*file->filename) {
        return s3up_fail(err, S3UP_EINPUT, "BadRequest", "filename is missing", p);
    }
    if (s3up_keys_relpath(rel, path_of(file->filename, file->relative_path), &why, p) !=
        APR_SUCCESS) {
        return s3up_fail(err, S3UP_EINPUT, "InvalidKey", why, p);
    }
    return APR_SUCCESS;
}

static apr_status_t too_large(s3up_error_t **err, apr_off_t size, apr_off_t limit, const char *how,
                              apr_pool_t *p)
{
    return s3up_failf(err, S3UP_ETOOBIG, "TooLarge", p,
                      "the file is %" APR_OFF_T_FMT " bytes; at most %" APR_OFF_T_FMT
                      " may be uploaded here%s",
                      size, limit, how);
}

/* Names taken under a folder, as relpaths. */
typedef struct {
    apr_hash_t *names;
    apr_size_t skip; /* the folder's length */
} taken_t;

static apr_status_t add_taken(void *baton, const char *key, const void *item)
{
    taken_t *t = baton;

    (void)item;
    apr_hash_set(t->names, key + t->skip, APR_HASH_KEY_STRING, "");
    return APR_SUCCESS;
}

/* Every key under dir + stem already taken by a file or an unfinished
 * upload, as relpaths: bounded pages of both listings. */
static apr_status_t taken_names(apr_hash_t **out, s3up_uploads_t *u, const char *dir,
                                const char *stem, s3up_error_t **err, apr_pool_t *p)
{
    const char *prefix = apr_pstrcat(p, dir, stem, NULL);
    taken_t taken = {apr_hash_make(p), strlen(dir)};
    int files = 0, uploads = 0;
    apr_status_t rv;

    if ((rv = s3up_s3_each(u->s3, S3UP_S3_OBJECTS, prefix, NAME_LIST_PAGES, &files, add_taken,
                           &taken, err, p)) != APR_SUCCESS ||
        (files && (rv = s3up_s3_each(u->s3, S3UP_S3_UPLOADS, prefix, NAME_LIST_PAGES, &uploads,
                                     add_taken, &taken, err, p)) != APR_SUCCESS)) {
        return rv;
    }
    if (!files || !uploads) {
        return s3up_fail(err, S3UP_ECONFLICT, "Conflict",
                         "too many files of this name are here already: rename it", p);
    }
    *out = taken.names;
    return APR_SUCCESS;
}

/* The part of relpath every numbered name shares: "a/report" of
 * "a/report.pdf" ("a/report (2).pdf"). */
static const char *stem_of(const char *relpath, apr_pool_t *p)
{
    const char *base = strrchr(relpath, '/'), *dot;

    base = base ? base + 1 : relpath;
    dot = strrchr(base, '.');
    return dot && dot != base ? apr_pstrmemdup(p, relpath, dot - relpath) : relpath;
}

/* A free key in ep for relpath, reserved as res says (res->key is set):
 * the first numbered name that no file, no unfinished upload and no other
 * reservation holds. */
static apr_status_t claim_key(s3up_uploads_t *u, const s3up_endpoint_t *ep, const char *relpath,
                              s3up_reservation_t *res, s3up_error_t **err, apr_pool_t *p)
{
    apr_hash_t *taken = NULL;
    apr_status_t rv;
    int n = 0;

    if ((rv = taken_names(&taken, u, ep->prefix, stem_of(relpath, p), err, p)) != APR_SUCCESS) {
        return rv;
    }
    for (int tries = 0; tries < NAME_TRIES; tries++, n++) {
        s3up_object_t *obj;
        s3up_error_t *ignored;

        while (apr_hash_get(taken, s3up_keys_numbered(relpath, n, p), APR_HASH_KEY_STRING)) {
            n++;
        }
        res->key = apr_pstrcat(p, ep->prefix, s3up_keys_numbered(relpath, n, p), NULL);
        rv = s3up_store_reserve(u->store, res, err, p);
        if (rv == S3UP_ECONFLICT) {
            continue;
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        /* Reserved first, looked second: an upload completing since the
         * listing held its reservation until its object existed. */
        rv = s3up_s3_head(&obj, u->s3, res->key, err, p);
        if (rv == S3UP_ENOTFOUND) {
            return APR_SUCCESS;
        }
        s3up_store_reservation_end(u->store, res, &ignored, p);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return s3up_fail(err, S3UP_ECONFLICT, "Conflict",
                     "files of this name keep arriving: try again in a moment", p);
}

/* A reservation for a new file of the caller's in ep. */
static void reservation_for(s3up_reservation_t *res, const s3up_uploads_t *u,
                            const s3up_endpoint_t *ep, apr_off_t size, apr_time_t until)
{
    memset(res, 0, sizeof(*res));
    res->endpoint = ep->id;
    res->owner = u->who->name;
    res->size = size;
    res->expires = until;
}

/* What a link was used for is noted, so that its holder lists only that. */
static apr_status_t note_owned(s3up_uploads_t *u, const s3up_endpoint_t *ep,
                               const s3up_reservation_t *res, s3up_error_t **err, apr_pool_t *p)
{
    if (!u->who->link_endpoint) {
        return APR_SUCCESS;
    }
    return s3up_store_owned_add(u->store, ep->id, u->who->name, res->key + strlen(ep->prefix), err,
                                p);
}

apr_status_t s3up_uploads_fingerprint_check(const char *fingerprint, s3up_error_t **err,
                                            apr_pool_t *p)
{
    apr_size_t n = fingerprint ? strlen(fingerprint) : 0;

    if (n < 16 || n > 128 ||
        strspn(fingerprint, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                            "0123456789-_:") != n) {
        return s3up_fail(err, S3UP_EINPUT, "BadRequest",
                         "metadata.fingerprint must be 16 to 128 letters, digits, '-', '_' or ':'",
                         p);
    }
    return APR_SUCCESS;
}

/* What identifies one file of an endpoint for resuming: its path, size and
 * fingerprint (the endpoint and the owner are where the store looks). */
static const char *match_of(const char *rel, const s3up_file_t *file, apr_pool_t *p)
{
    const char *id =
        apr_psprintf(p, "%s\n%" APR_OFF_T_FMT "\n%s", rel, file->size, file->fingerprint);
    return s3up_sha256_hex(id, strlen(id), p);
}

/* Whether res is an upload of the caller's, in ep, of the file match
 * names, still held. */
static int resumable_by(const s3up_reservation_t *res, const s3up_uploads_t *u,
                        const s3up_endpoint_t *ep, const char *match, apr_off_t size)
{
    return res->upload_id && res->match && !strcmp(res->match, match) &&
           !strcmp(res->owner, u->who->name) && !strcmp(res->endpoint, ep->id) &&
           !strncmp(res->key, ep->prefix, strlen(ep->prefix)) && res->size == size &&
           res->expires > u->s3->aws.now();
}

/* The caller's unfinished upload of the file match names, with the parts
 * S3 holds; S3UP_ENOTFOUND when there is none to continue. */
static apr_status_t resume(s3up_started_t **out, s3up_uploads_t *u, const s3up_endpoint_t *ep,
                           const char *match, const s3up_file_t *file, s3up_error_t **err,
                           apr_pool_t *p)
{
    s3up_reservation_t *res;
    apr_array_header_t *parts;
    s3up_started_t *s;
    s3up_error_t *ignored;
    const char *key;
    apr_status_t rv;

    rv = s3up_store_resumable(&key, u->store, ep->id, u->who->name, match, err, p);
    if (rv == APR_SUCCESS) {
        rv = s3up_store_reservation_get(&res, u->store, key, NULL, err, p);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!resumable_by(res, u, ep, match, file->size)) {
        return S3UP_ENOTFOUND;
    }
    rv = s3up_s3_list_parts(&parts, u->s3, key, res->upload_id, err, p);
    if (rv == S3UP_ENOTFOUND) {
        /* Gone from S3 by other means: its name is free again. */
        s3up_store_reservation_end(u->store, res, &ignored, p);
        return rv;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    s = apr_pcalloc(p, sizeof(*s));
    s->key = res->key;
    s->upload_id = res->upload_id;
    s->part_size = res->part_size;
    s->through_httpd = u->conf->proxy;
    s->resumed = 1;
    s->parts = parts;
    *out = s;
    return APR_SUCCESS;
}

apr_status_t s3up_uploads_start(s3up_started_t **out, s3up_uploads_t *u, const s3up_endpoint_t *ep,
                                const s3up_file_t *file, s3up_error_t **err, apr_pool_t *p)
{
    apr_off_t limit = s3up_uploads_limit(u, ep), part_size = 0;
    s3up_reservation_t res;
    s3up_started_t *s;
    s3up_error_t *ignored;
    const char *rel, *upload_id, *match = NULL;
    apr_status_t rv;
    int parts, unfinished;

    if ((rv = relpath_of(&rel, file, err, p)) != APR_SUCCESS ||
        (file->fingerprint &&
         (rv = s3up_uploads_fingerprint_check(file->fingerprint, err, p)) != APR_SUCCESS)) {
        return rv;
    }
    if (file->size > limit) {
        return too_large(err, file->size, limit, "", p);
    }
    if (file->size >= 0 &&
        s3up_keys_plan(&part_size, &parts, file->size, u->conf->part_size) != APR_SUCCESS) {
        return too_large(err, file->size, S3UP_OBJECT_SIZE_MAX, "", p);
    }
    if (file->size < 0 && !u->conf->secret) {
        return s3up_fail(err, S3UP_EINPUT, "BadRequest",
                         "declare the file's size (metadata.size) to upload it here", p);
    }
    if (file->fingerprint && file->size >= 0) {
        match = match_of(rel, file, p);
        if ((rv = resume(out, u, ep, match, file, err, p)) != S3UP_ENOTFOUND) {
            return rv;
        }
    }
    rv = s3up_store_unfinished(&unfinished, u->store, ep->id, u->who->name, u->conf->max_unfinished,
                               err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (unfinished >= u->conf->max_unfinished) {
        return s3up_failf(err, S3UP_ELIMIT, "TooManyUploads", p,
                          "you have %d unfinished uploads here, the most allowed: finish "
                          "or cancel one of them first",
                          unfinished);
    }
    reservation_for(&res, u, ep, file->size, u->s3->aws.now() + S3UP_UPLOADS_HOLD);
    res.part_size = part_size;
    res.match = match;
    if ((rv = claim_key(u, ep, rel, &res, err, p)) != APR_SUCCESS ||
        (rv = note_owned(u, ep, &res, err, p)) != APR_SUCCESS) {
        if (res.etag) {
            s3up_store_reservation_end(u->store, &res, &ignored, p);
        }
        return rv;
    }
    rv = s3up_s3_create_multipart(&upload_id, u->s3, res.key, content_type_of(file->content_type),
                                  object_meta(u, file->filename, p), err, p);
    if (rv != APR_SUCCESS) {
        s3up_store_reservation_end(u->store, &res, &ignored, p);
        return rv;
    }
    if ((rv = s3up_store_reservation_bind(u->store, &res, upload_id, err, p)) != APR_SUCCESS) {
        s3up_s3_abort(u->s3, res.key, upload_id, &ignored, p);
        s3up_store_reservation_end(u->store, &res, &ignored, p);
        return rv;
    }
    s = apr_pcalloc(p, sizeof(*s));
    s->key = res.key;
    s->upload_id = upload_id;
    s->part_size = part_size;
    s->through_httpd = u->conf->proxy || file->size < 0;
    s3up_metrics_add(u->s3->aws.metrics, S3UP_M_UPLOADS_STARTED, 1);
    *out = s;
    return APR_SUCCESS;
}

apr_status_t s3up_uploads_form(s3up_post_t **out, s3up_uploads_t *u, const s3up_endpoint_t *ep,
                               const s3up_file_t *file, s3up_error_t **err, apr_pool_t *p)
{
    apr_off_t limit = s3up_uploads_limit(u, ep);
    s3up_reservation_t res;
    s3up_error_t *ignored;
    const char *rel;
    apr_status_t rv;

    if (u->conf->proxy) {
        return s3up_fail(err, S3UP_ECONFLICT, "Conflict",
                         "this location takes files through the server: upload in parts "
                         "(s3/multipart)",
                         p);
    }
    if ((rv = relpath_of(&rel, file, err, p)) != APR_SUCCESS) {
        return rv;
    }
    if (limit > POST_OBJECT_MAX) {
        limit = POST_OBJECT_MAX;
    }
    if (file->size > limit) {
        return too_large(err, file->size, limit, " in one piece", p);
    }
    /* Held while the form may be sent; nothing ends it but time, since S3
     * takes the form without us. */
    reservation_for(&res, u, ep, file->size, u->s3->aws.now() + u->conf->expires);
    if ((rv = claim_key(u, ep, rel, &res, err, p)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = note_owned(u, ep, &res, err, p)) != APR_SUCCESS) {
        s3up_store_reservation_end(u->store, &res, &ignored, p);
        return rv;
    }
    rv = s3up_s3_post_policy(out, u->s3, res.key, limit, content_type_of(file->content_type),
                             object_meta(u, file->filename, p), u->conf->expires, p);
    if (rv != APR_SUCCESS) {
        s3up_store_reservation_end(u->store, &res, &ignored, p);
        return s3up_fail(err, rv, "SigningFailed", "the upload form could not be signed", p);
    }
    s3up_metrics_add(u->s3->aws.metrics, S3UP_M_UPLOADS_STARTED, 1);
    return APR_SUCCESS;
}

/* A link holder's files: what was noted for the link, each checked to be
 * there and to have come from this link (a name noted for a form that was
 * never sent may since hold someone else's file). */
static apr_status_t owned_files(s3up_object_page_t **out, s3up_uploads_t *u,
                                const s3up_endpoint_t *ep, const char *cursor, s3up_error_t **err,
                                apr_pool_t *p)
{
    const char *me = s3up_uploads_meta_value(u->who->name, p), *next;
    s3up_object_page_t *page = apr_pcalloc(p, sizeof(*page));
    apr_array_header_t *rels;
    apr_status_t rv;

    rv = s3up_store_owned_list(&rels, &next, u->store, ep->id, u->who->name, cursor, OWNED_PAGE,
                               err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    page->objects = apr_array_make(p, rels->nelts, sizeof(s3up_object_t));
    page->prefixes = apr_array_make(p, 1, sizeof(const char *));
    for (int i = 0; i < rels->nelts; i++) {
        const char *key = apr_pstrcat(p, ep->prefix, APR_ARRAY_IDX(rels, i, const char *), NULL);
        const char *by;
        s3up_object_t *obj;

        rv = s3up_s3_head(&obj, u->s3, key, err, p);
        if (rv == S3UP_ENOTFOUND) {
            continue;
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        by = apr_table_get(obj->meta, "uploaded-by");
        if (by && !strcmp(by, me)) {
            obj->key = key;
            *(s3up_object_t *)apr_array_push(page->objects) = *obj;
        }
    }
    page->truncated = next != NULL;
    page->next_token = next;
    *out = page;
    return APR_SUCCESS;
}

apr_status_t s3up_uploads_files(s3up_object_page_t **out, s3up_uploads_t *u,
                                const s3up_endpoint_t *ep, const char *cursor, s3up_error_t **err,
                                apr_pool_t *p)
{
    if (u->who->link_endpoint) {
        return owned_files(out, u, ep, cursor, err, p);
    }
    return s3up_s3_list_objects(out, u->s3, ep->prefix, NULL, cursor, 1000, err, p);
}
