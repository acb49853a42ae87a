/*
 * The admin routes (handler s3up-admin): upload endpoints, customer access
 * (members, upload links, Cognito users), files, sharing, unfinished
 * uploads. DESIGN.md §4.
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

#include "mod_s3up_drop.h"
#include "mod_s3up_handler.h"
#include "mod_s3up_identity.h"
#include "mod_s3up_pages.h"
#include "mod_s3up_request.h"
#include "mod_s3up_route.h"
#include "mod_s3up_upload.h"
#include "s3up_cognito.h"
#include "s3up_principal.h"
#include "s3up_json.h"
#include "s3up_keys.h"
#include "s3up_sigv4.h"
#include "s3up_token.h"
#include "s3up_xml.h"
#include "s3up_util.h"
#include "s3up_time.h"

APLOG_USE_MODULE(s3up);

#define MEMBERS_MAX 200
#define NOTE_MAX 1000
#define ENDPOINTS_PAGE 100
#define UPLOADS_MAX 200
#define TOTALS_PAGES_MAX 100
#define DOWNLOAD_EXPIRES apr_time_from_sec(300)

typedef struct admin_t {
    request_rec *r;
    const s3up_dir_conf_t *dc;
    const s3up_srv_conf_t *sc;
    const s3up_principal_t *who;
    s3up_s3_t *s3;
    s3up_store_t store;
} admin_t;

/* One line per admin action: who, what, where, how it ended. */
static void audit(admin_t *a, const char *action, const char *endpoint, const char *key,
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

static int reply_store_error(admin_t *a, const char *action, const char *endpoint,
                             const s3up_error_t *err, const char *notfound_code)
{
    audit(a, action, endpoint, NULL, err->code ? err->code : "failed");
    return s3up_reply_s3_error(a->r, err, notfound_code);
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

/* The fields of a create or change request, checked, applied to ep. */
static int apply_fields(admin_t *a, s3up_endpoint_t *ep, const json_t *body)
{
    request_rec *r = a->r;
    const json_t *v;

    if ((v = json_object_get(body, "members")) != NULL) {
        size_t i;
        json_t *m;
        if (!json_is_array(v) || json_array_size(v) > MEMBERS_MAX) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                    "members: a list of up to %d names", MEMBERS_MAX);
        }
        ep->members = apr_array_make(r->pool, (int)json_array_size(v), sizeof(const char *));
        json_array_foreach(v, i, m)
        {
            if (!s3up_principal_name_ok(json_string_value(m))) {
                return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                        "members[%d]: a name of 1 to %d bytes of UTF-8 text "
                                        "without control characters",
                                        (int)i, S3UP_PRINCIPAL_NAME_MAX);
            }
            APR_ARRAY_PUSH(ep->members, const char *) = apr_pstrdup(r->pool, json_string_value(m));
        }
    }
    if ((v = json_object_get(body, "expires")) != NULL) {
        apr_time_t t = 0;
        if (!json_is_null(v) &&
            (!json_is_string(v) || s3up_time_parse(&t, json_string_value(v)) != APR_SUCCESS)) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                    "expires: an ISO 8601 time (2026-12-31T23:59:59Z) or null");
        }
        ep->expires = t;
    }
    if ((v = json_object_get(body, "max_file_size")) != NULL) {
        apr_off_t limit = s3up_conf_max_file_size(a->dc);
        if (!json_is_null(v) &&
            (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > limit)) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                    "max_file_size: bytes, from 1 to %" APR_OFF_T_FMT, limit);
        }
        ep->max_file_size = json_is_null(v) ? 0 : (apr_off_t)json_integer_value(v);
    }
    if ((v = json_object_get(body, "status")) != NULL) {
        const char *s = json_string_value(v);
        if (!s || (strcmp(s, S3UP_ENDPOINT_ACTIVE) && strcmp(s, S3UP_ENDPOINT_REVOKED))) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                    "status: \"active\" or \"revoked\"");
        }
        ep->status = apr_pstrdup(r->pool, s);
    }
    if ((v = json_object_get(body, "note")) != NULL) {
        if (!json_is_string(v) || strlen(json_string_value(v)) > NOTE_MAX) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                    "note: text of up to %d bytes", NOTE_MAX);
        }
        ep->note = apr_pstrdup(r->pool, json_string_value(v));
    }
    return OK;
}

/* Keep the member index in step with a record: add who is new, remove who
 * is gone. The record is what counts; the index only finds endpoints. */
static int sync_members(admin_t *a, const char *id, const apr_array_header_t *before,
                        const apr_array_header_t *after)
{
    s3up_error_t *err;

    for (int i = 0; after && i < after->nelts; i++) {
        const char *m = APR_ARRAY_IDX(after, i, const char *);
        int had = 0;
        for (int j = 0; before && j < before->nelts && !had; j++) {
            had = !strcmp(m, APR_ARRAY_IDX(before, j, const char *));
        }
        if (!had && s3up_store_member_add(&a->store, m, id, &err, a->r->pool) != APR_SUCCESS) {
            return reply_store_error(a, "member-add", id, err, "NoSuchEndpoint");
        }
    }
    for (int j = 0; before && j < before->nelts; j++) {
        const char *m = APR_ARRAY_IDX(before, j, const char *);
        int keeps = 0;
        for (int i = 0; after && i < after->nelts && !keeps; i++) {
            keeps = !strcmp(m, APR_ARRAY_IDX(after, i, const char *));
        }
        if (!keeps && s3up_store_member_remove(&a->store, m, id, &err, a->r->pool) != APR_SUCCESS) {
            return reply_store_error(a, "member-remove", id, err, "NoSuchEndpoint");
        }
    }
    return OK;
}

/* A passcode people can type: 13 characters without look-alikes, 64
 * bits. Five tries per quarter hour leave no guess a chance. */
#define PASSCODE_LEN 13
#define PASSCODE_MIN 8
static apr_status_t make_passcode(const char **out, apr_pool_t *p)
{
    static const char alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
    unsigned char raw[PASSCODE_LEN];
    char *code = apr_palloc(p, sizeof(raw) + 1);
    apr_status_t rv = apr_generate_random_bytes(raw, sizeof(raw));

    for (size_t i = 0; i < sizeof(raw); i++) {
        /* 256 = 8 * 31 + 8: drop the top 8 values to stay unbiased. */
        while (raw[i] >= 248 && rv == APR_SUCCESS) {
            rv = apr_generate_random_bytes(&raw[i], 1);
        }
        code[i] = alphabet[raw[i] % 31];
    }
    code[sizeof(raw)] = '\0';
    *out = code;
    return rv;
}

/* A new upload link for ep from {expires, passcode}: its JSON, with the
 * token's URL and the passcode shown this once. */
static int create_link(json_t **out, admin_t *a, const s3up_endpoint_t *ep, const json_t *spec)
{
    request_rec *r = a->r;
    const char *base = s3up_conf_link_url(a->sc), *token, *passcode = NULL;
    const json_t *pc = json_object_get(spec, "passcode"), *ex = json_object_get(spec, "expires");
    s3up_link_t link = {0};
    s3up_error_t *err;
    apr_size_t n;

    if (!base || !s3up_conf_secret(a->sc)) {
        return s3up_reply_error(r, HTTP_CONFLICT, "Conflict",
                                "upload links need S3UpLinkURL and S3UpSecretFile on this server");
    }
    if (json_is_string(pc) && *json_string_value(pc)) {
        passcode = json_string_value(pc);
        if (strlen(passcode) < PASSCODE_MIN || strlen(passcode) > 128) {
            return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                    "passcode: %d to 128 characters (or true to make one)",
                                    PASSCODE_MIN);
        }
    } else if (json_is_true(pc) && make_passcode(&passcode, r->pool) != APR_SUCCESS) {
        return s3up_reply_error(r, HTTP_INTERNAL_SERVER_ERROR, "StoreError",
                                "no randomness for a passcode");
    }
    if (ex && !json_is_null(ex) &&
        (!json_is_string(ex) ||
         s3up_time_parse(&link.expires, json_string_value(ex)) != APR_SUCCESS ||
         link.expires <= apr_time_now())) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                "link.expires: a future ISO 8601 time, or null");
    }
    if (s3up_token_new(&token, r->pool) != APR_SUCCESS ||
        (passcode &&
         s3up_token_passcode_hash(&link.passcode_hash, passcode, r->pool) != APR_SUCCESS)) {
        return s3up_reply_error(r, HTTP_INTERNAL_SERVER_ERROR, "StoreError",
                                "the link could not be made");
    }
    link.id = s3up_token_id(token, r->pool);
    link.endpoint = ep->id;
    link.created = apr_time_now();
    link.created_by = a->who->name;
    if (s3up_store_link_put(&a->store, &link, &err, r->pool) != APR_SUCCESS) {
        return reply_store_error(a, "link-create", ep->id, err, "NoSuchEndpoint");
    }
    audit(a, "link-create", ep->id, NULL, "ok");
    n = strlen(base);
    *out = json_pack(
        "{s:s,s:s,s:o,s:o,s:b}", "id", link.id, "url",
        apr_psprintf(r->pool, "%.*s/%s", (int)(n && base[n - 1] == '/' ? n - 1 : n), base, token),
        "passcode", passcode ? json_string(passcode) : json_null(), "expires",
        link.expires ? json_string(s3up_time_iso8601(link.expires, r->pool)) : json_null(),
        "has_passcode", passcode != NULL);
    return OK;
}

/* A Cognito user named after the endpoint, with a temporary password that
 * is shown this once; the user becomes a member. Signed with the
 * location's AWS credentials. */
static int create_cognito_user(json_t **out, admin_t *a, s3up_endpoint_t *ep)
{
    request_rec *r = a->r;
    const char *pool_id = s3up_conf_cognito_user_pool(a->sc), *password;
    s3up_cognito_t c;
    s3up_cognito_user_t *user;
    s3up_error_t *err;

    if (!pool_id) {
        return s3up_reply_error(r, HTTP_CONFLICT, "Conflict",
                                "S3UpCognitoUserPool is not set on this server");
    }
    if (s3up_cognito_init(&c, pool_id, s3up_conf_cognito_server(a->sc), a->s3->aws.creds,
                          a->s3->aws.signer, a->s3->aws.http, r->pool) != APR_SUCCESS ||
        s3up_cognito_password(&password, r->pool) != APR_SUCCESS) {
        return s3up_reply_error(r, HTTP_INTERNAL_SERVER_ERROR, "StoreError",
                                "the Cognito client could not be set up");
    }
    if (s3up_cognito_admin_create_user(&user, &c, ep->id, password, NULL, &err, r->pool) !=
        APR_SUCCESS) {
        audit(a, "cognito-create", ep->id, NULL, err->code ? err->code : "failed");
        if (err->status == S3UP_ECONFLICT) {
            return s3up_reply_error(r, HTTP_CONFLICT, "Conflict",
                                    "Cognito has a user named '%s' already", ep->id);
        }
        return s3up_reply_s3_error(r, err, "NoSuchEndpoint");
    }
    APR_ARRAY_PUSH(ep->members, const char *) = user->username;
    audit(a, "cognito-create", ep->id, NULL, "ok");
    *out = json_pack("{s:s,s:s}", "username", user->username, "temporary_password", password);
    return OK;
}

static int empty_folder(admin_t *a, const char *prefix, int *deleted);

/* A folder holding files from before (an endpoint of this id deleted
 * with files=keep) is not silently shown to new members: the admin says
 * "keep" (show them) or "delete" (remove them first). */
static int existing_files(admin_t *a, s3up_endpoint_t *ep, const json_t *body)
{
    const char *choice = s3up_json_str(body, "existing_files");
    s3up_object_page_t *page;
    s3up_error_t *err;
    int deleted = 0;

    if (choice && strcmp(choice, "keep") && strcmp(choice, "delete")) {
        return s3up_reply_error(a->r, HTTP_BAD_REQUEST, "BadRequest",
                                "existing_files: \"keep\" or \"delete\"");
    }
    if (choice && !strcmp(choice, "keep")) {
        return OK;
    }
    if (s3up_s3_list_objects(&page, a->s3, ep->prefix, NULL, NULL, 1, &err, a->r->pool) !=
        APR_SUCCESS) {
        return s3up_reply_s3_error(a->r, err, "NoSuchEndpoint");
    }
    if (page->objects->nelts == 0) {
        return OK;
    }
    {
        /* The files of a live endpoint are its own: "exists" says it. */
        s3up_endpoint_t *taken;
        if (s3up_store_endpoint_get(&taken, &a->store, ep->id, &err, a->r->pool) == APR_SUCCESS) {
            return s3up_reply_error(a->r, HTTP_CONFLICT, "Conflict",
                                    "an endpoint '%s' exists already", ep->id);
        }
    }
    if (!choice) {
        audit(a, "endpoint-create", ep->id, NULL, "folder-not-empty");
        return s3up_reply_error(a->r, HTTP_CONFLICT, "FolderNotEmpty",
                                "the folder %s holds files from before (an endpoint '%s' was "
                                "deleted and its files kept): create it with existing_files "
                                "\"keep\" to show them to its members, or \"delete\" to remove "
                                "them first",
                                ep->prefix, ep->id);
    }
    audit(a, "endpoint-create", ep->id, NULL, "old-files-deleted");
    return empty_folder(a, ep->prefix, &deleted);
}

static int route_create(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    request_rec *r = a->r;
    json_t *body, *reply, *link = NULL, *cognito = NULL;
    s3up_endpoint_t *ep = apr_pcalloc(r->pool, sizeof(*ep));
    const apr_array_header_t *no_members = apr_array_make(r->pool, 1, sizeof(const char *));
    const char *id;
    s3up_error_t *err;
    apr_status_t rv;
    int rc;

    if ((rc = s3up_read_json(&body, r)) != OK) {
        return rc;
    }
    id = s3up_json_str(body, "id");
    if (!s3up_store_id_valid(id)) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                "id: 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'");
    }
    ep->id = apr_pstrdup(r->pool, id);
    ep->prefix = apr_pstrcat(r->pool, s3up_conf_prefix(a->dc), id, "/", NULL);
    ep->members = apr_array_make(r->pool, 4, sizeof(const char *));
    ep->created = apr_time_now();
    ep->created_by = a->who->name;
    ep->status = S3UP_ENDPOINT_ACTIVE;
    ep->note = "";
    if ((rc = apply_fields(a, ep, body)) != OK || (rc = existing_files(a, ep, body)) != OK) {
        return rc;
    }
    /* Before the record is written: a taken id must not leave a user
     * behind, so the id is checked first. */
    if (json_is_true(json_object_get(body, "cognito"))) {
        s3up_endpoint_t *taken;
        if (s3up_store_endpoint_get(&taken, &a->store, id, &err, r->pool) == APR_SUCCESS) {
            return s3up_reply_error(r, HTTP_CONFLICT, "Conflict", "an endpoint '%s' exists already",
                                    id);
        }
        if ((rc = create_cognito_user(&cognito, a, ep)) != OK) {
            return rc;
        }
    }
    rv = s3up_store_endpoint_put(&a->store, ep, &err, r->pool);
    if (rv == S3UP_ECONFLICT) {
        audit(a, "endpoint-create", id, NULL, "exists");
        return s3up_reply_error(r, HTTP_CONFLICT, "Conflict", "an endpoint '%s' exists already",
                                id);
    }
    if (rv != APR_SUCCESS) {
        return reply_store_error(a, "endpoint-create", id, err, "NoSuchEndpoint");
    }
    if ((rc = sync_members(a, id, no_members, ep->members)) != OK) {
        return rc;
    }
    audit(a, "endpoint-create", id, NULL, "ok");
    if (json_is_object(json_object_get(body, "link")) &&
        (rc = create_link(&link, a, ep, json_object_get(body, "link"))) != OK) {
        return rc;
    }
    reply = json_pack("{s:o,s:o}", "endpoint", endpoint_json(a, ep), "portal_url",
                      portal_url(a, id) ? json_string(portal_url(a, id)) : json_null());
    if (link) {
        json_object_set_new(reply, "link", link);
    }
    if (cognito) {
        json_object_set_new(reply, "cognito", cognito);
    }
    return s3up_reply_json(r, HTTP_CREATED, reply);
}

static int route_list(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    request_rec *r = a->r;
    const char *q = s3up_arg(r, "q"), *cursor = s3up_arg(r, "cursor");
    const char *dir = apr_pstrcat(r->pool, a->store.prefix, "endpoints/", NULL);
    s3up_object_page_t *page;
    s3up_error_t *err;
    json_t *list, *reply;

    /* Both owned by the pool, the list also by the reply: no failure of
     * a pack can leave the list freed under the loop below. */
    reply = s3up_json_own(json_object(), r->pool);
    list = s3up_json_own(json_array(), r->pool);
    json_object_set(reply, "endpoints", list);
    if (s3up_s3_list_objects(&page, a->s3, apr_pstrcat(r->pool, dir, q ? q : "", NULL), NULL,
                             cursor, ENDPOINTS_PAGE, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_s3_error(r, err, "NoSuchEndpoint");
    }
    for (int i = 0; i < page->objects->nelts; i++) {
        const char *k = APR_ARRAY_IDX(page->objects, i, s3up_object_t).key + strlen(dir);
        const char *id = apr_pstrndup(r->pool, k, strlen(k) > 5 ? strlen(k) - 5 : 0);
        s3up_endpoint_t *ep;
        if (s3up_store_endpoint_get(&ep, &a->store, id, &err, r->pool) == APR_SUCCESS) {
            json_array_append_new(list, endpoint_json(a, ep));
        }
    }
    json_object_set_new(reply, "next",
                        page->truncated && page->next_token ? json_string(page->next_token)
                                                            : json_null());
    return s3up_reply_json(r, HTTP_OK, json_incref(reply));
}

static int endpoint_load(s3up_endpoint_t **ep, admin_t *a, const char *id)
{
    s3up_error_t *err;
    apr_status_t rv = s3up_store_endpoint_get(ep, &a->store, id, &err, a->r->pool);

    if (rv == S3UP_ENOTFOUND) {
        return s3up_reply_error(a->r, HTTP_NOT_FOUND, "NoSuchEndpoint", "there is no endpoint '%s'",
                                id);
    }
    return rv == APR_SUCCESS ? OK : s3up_reply_s3_error(a->r, err, "NoSuchEndpoint");
}

/* A link as the admin pages show it: with its passcode tries, and when
 * it is locked until. */
static json_t *link_json(admin_t *a, const s3up_link_t *l)
{
    apr_pool_t *p = a->r->pool;
    s3up_tries_t tries = {0, 0};
    s3up_error_t *err;
    json_t *j;

    if (l->passcode_hash) {
        s3up_store_tries_get(&tries, &a->store, l->id, S3UP_PASSCODE_WINDOW, &err, p);
    }
    j = json_pack(
        "{s:s,s:s,s:o,s:o,s:b,s:i,s:o}", "id", l->id, "created", s3up_time_iso8601(l->created, p),
        "created_by", l->created_by ? json_string(l->created_by) : json_null(), "expires",
        l->expires ? json_string(s3up_time_iso8601(l->expires, p)) : json_null(), "has_passcode",
        l->passcode_hash != NULL, "passcode_tries", tries.count, "locked_until",
        tries.count >= S3UP_PASSCODE_TRIES
            ? json_string(s3up_time_iso8601(tries.since + S3UP_PASSCODE_WINDOW, p))
            : json_null());
    return j ? j : json_object();
}

static int route_get(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    const char *id = arg[0];
    request_rec *r = a->r;
    s3up_endpoint_t *ep;
    apr_array_header_t *ids;
    s3up_error_t *err;
    json_t *links, *reply;
    const char *token = NULL;
    apr_off_t bytes = 0;
    int files = 0, pages = 0, rc;

    /* Both owned by the pool, the list also by the reply: no failure of
     * a pack can leave the list freed under the loop below. */
    reply = s3up_json_own(json_object(), r->pool);
    links = s3up_json_own(json_array(), r->pool);
    json_object_set(reply, "links", links);
    if ((rc = endpoint_load(&ep, a, id)) != OK) {
        return rc;
    }
    if (s3up_store_endpoint_links(&ids, &a->store, id, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_s3_error(r, err, "NoSuchEndpoint");
    }
    for (int i = 0; i < ids->nelts; i++) {
        s3up_link_t *l;
        if (s3up_store_link_get(&l, &a->store, APR_ARRAY_IDX(ids, i, const char *), &err,
                                r->pool) == APR_SUCCESS) {
            json_array_append_new(links, link_json(a, l));
        }
    }
    /* Totals: every page of the listing, up to a bound. */
    do {
        s3up_object_page_t *page;
        if (s3up_s3_list_objects(&page, a->s3, ep->prefix, NULL, token, 1000, &err, r->pool) !=
            APR_SUCCESS) {
            return s3up_reply_s3_error(r, err, "NoSuchEndpoint");
        }
        for (int i = 0; i < page->objects->nelts; i++) {
            bytes += APR_ARRAY_IDX(page->objects, i, s3up_object_t).size;
        }
        files += page->objects->nelts;
        token = page->truncated ? page->next_token : NULL;
    } while (token && ++pages < TOTALS_PAGES_MAX);
    json_object_set_new(reply, "endpoint", endpoint_json(a, ep));
    json_object_set_new(reply, "share_max_expires",
                        json_integer((json_int_t)apr_time_sec(s3up_conf_share_max_expires(a->dc))));
    json_object_set_new(reply, "totals",
                        json_pack("{s:i,s:I,s:b}", "files", files, "bytes", (json_int_t)bytes,
                                  "complete", token == NULL));
    return s3up_reply_json(r, HTTP_OK, json_incref(reply));
}

static int route_patch(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    const char *id = arg[0];
    request_rec *r = a->r;
    const char *if_match = apr_table_get(r->headers_in, "If-Match");
    const apr_array_header_t *before;
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    json_t *body;
    apr_status_t rv;
    int rc;

    if ((rc = s3up_read_json(&body, r)) != OK || (rc = endpoint_load(&ep, a, id)) != OK) {
        return rc;
    }
    /* The version the admin edited, if the page says: a change made by
     * someone else since is not silently overwritten. */
    if (!if_match) {
        if_match = s3up_json_str(body, "version");
    }
    if (if_match && strcmp(if_match, ep->etag)) {
        audit(a, "endpoint-change", id, NULL, "conflict");
        return s3up_reply_error(r, HTTP_CONFLICT, "Conflict",
                                "endpoint '%s' was changed by someone else; reload it", id);
    }
    before = apr_array_copy(r->pool, ep->members);
    if ((rc = apply_fields(a, ep, body)) != OK) {
        return rc;
    }
    rv = s3up_store_endpoint_put(&a->store, ep, &err, r->pool);
    if (rv == S3UP_ECONFLICT) {
        audit(a, "endpoint-change", id, NULL, "conflict");
        return s3up_reply_error(r, HTTP_CONFLICT, "Conflict",
                                "endpoint '%s' was changed by someone else; reload it", id);
    }
    if (rv != APR_SUCCESS) {
        return reply_store_error(a, "endpoint-change", id, err, "NoSuchEndpoint");
    }
    if ((rc = sync_members(a, id, before, ep->members)) != OK) {
        return rc;
    }
    audit(a, "endpoint-change", id, NULL, "ok");
    return s3up_reply_json(r, HTTP_OK, json_pack("{s:o}", "endpoint", endpoint_json(a, ep)));
}

/* An upload aborted by an admin frees its name, if the name is reserved
 * for that upload. */
static void end_reservation(admin_t *a, const char *key, const char *upload_id)
{
    s3up_reservation_t *res;
    s3up_error_t *err;

    if (s3up_store_reservation_get(&res, &a->store, key, upload_id, &err, a->r->pool) ==
            APR_SUCCESS &&
        res->upload_id && !strcmp(res->upload_id, upload_id)) {
        s3up_store_reservation_end(&a->store, res, &err, a->r->pool);
    }
}

/* Every unfinished upload under prefix, aborted; every object deleted. */
static int empty_folder(admin_t *a, const char *prefix, int *deleted)
{
    request_rec *r = a->r;
    const char *key_marker = NULL, *id_marker = NULL, *token = NULL;
    s3up_error_t *err;

    do {
        s3up_upload_page_t *page;
        if (s3up_s3_list_uploads(&page, a->s3, prefix, key_marker, id_marker, 1000, &err,
                                 r->pool) != APR_SUCCESS) {
            return s3up_reply_s3_error(r, err, "NoSuchEndpoint");
        }
        for (int i = 0; i < page->uploads->nelts; i++) {
            const s3up_upload_t *u = &APR_ARRAY_IDX(page->uploads, i, s3up_upload_t);
            apr_status_t rv = s3up_s3_abort(a->s3, u->key, u->upload_id, &err, r->pool);
            if (rv != APR_SUCCESS && rv != S3UP_ENOTFOUND) {
                return s3up_reply_s3_error(r, err, "NoSuchUpload");
            }
            end_reservation(a, u->key, u->upload_id);
        }
        key_marker = page->truncated ? page->next_key_marker : NULL;
        id_marker = page->next_upload_id_marker;
    } while (key_marker);
    do {
        s3up_object_page_t *page;
        /* Deleting as we go: each listing starts over from what is left. */
        if (s3up_s3_list_objects(&page, a->s3, prefix, NULL, token, 1000, &err, r->pool) !=
            APR_SUCCESS) {
            return s3up_reply_s3_error(r, err, "NoSuchEndpoint");
        }
        for (int i = 0; i < page->objects->nelts; i++) {
            const char *k = APR_ARRAY_IDX(page->objects, i, s3up_object_t).key;
            if (s3up_s3_delete(a->s3, k, &err, r->pool) != APR_SUCCESS) {
                return s3up_reply_s3_error(r, err, "NoSuchKey");
            }
            (*deleted)++;
        }
        token = page->truncated ? page->next_token : NULL;
    } while (token);
    return OK;
}

static int route_delete(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    const char *id = arg[0];
    request_rec *r = a->r;
    const char *files = s3up_arg(r, "files");
    apr_array_header_t *links, *none = apr_array_make(r->pool, 1, sizeof(const char *));
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    int deleted = 0, rc;

    if (files && strcmp(files, "keep") && strcmp(files, "delete")) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "files: keep or delete");
    }
    if ((rc = endpoint_load(&ep, a, id)) != OK) {
        return rc;
    }
    /* Close it first, so nothing new arrives while it is emptied. */
    ep->status = S3UP_ENDPOINT_REVOKED;
    if (s3up_store_endpoint_put(&a->store, ep, &err, r->pool) != APR_SUCCESS) {
        return reply_store_error(a, "endpoint-delete", id, err, "NoSuchEndpoint");
    }
    if (files && !strcmp(files, "delete") && (rc = empty_folder(a, ep->prefix, &deleted)) != OK) {
        audit(a, "endpoint-delete", id, NULL, "files-failed");
        return rc;
    }
    if (s3up_store_endpoint_links(&links, &a->store, id, &err, r->pool) != APR_SUCCESS) {
        return reply_store_error(a, "endpoint-delete", id, err, "NoSuchEndpoint");
    }
    for (int i = 0; i < links->nelts; i++) {
        s3up_link_t l = {APR_ARRAY_IDX(links, i, const char *), id, 0, NULL, 0, NULL};
        if (s3up_store_link_delete(&a->store, &l, &err, r->pool) != APR_SUCCESS) {
            return reply_store_error(a, "endpoint-delete", id, err, "NoSuchEndpoint");
        }
    }
    if ((rc = sync_members(a, id, ep->members, none)) != OK) {
        return rc;
    }
    if (s3up_s3_delete(a->s3,
                       apr_pstrcat(r->pool, a->store.prefix, "endpoints/", id, ".json", NULL), &err,
                       r->pool) != APR_SUCCESS) {
        return reply_store_error(a, "endpoint-delete", id, err, "NoSuchEndpoint");
    }
    s3up_store_forget(&a->store, id, NULL);
    audit(a, "endpoint-delete", id, NULL,
          files && !strcmp(files, "delete") ? "files-deleted" : "files-kept");
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:s,s:i}", "deleted", id, "files_deleted", deleted));
}

static int route_link_create(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    const char *id = arg[0];
    s3up_endpoint_t *ep;
    json_t *body, *link;
    int rc;

    if ((rc = s3up_read_json(&body, a->r)) != OK || (rc = endpoint_load(&ep, a, id)) != OK ||
        (rc = create_link(&link, a, ep, body)) != OK) {
        return rc;
    }
    return s3up_reply_json(a->r, HTTP_CREATED, json_pack("{s:o}", "link", link));
}

/* The link {link} of endpoint {id}: OK and *l set, or the reply's DONE. */
static int link_load(s3up_link_t **l, admin_t *a, const char *id, const char *link_id,
                     const char *action)
{
    s3up_error_t *err;
    apr_status_t rv = s3up_store_link_get(l, &a->store, link_id, &err, a->r->pool);

    if (rv == S3UP_ENOTFOUND || (rv == APR_SUCCESS && strcmp((*l)->endpoint, id))) {
        return s3up_reply_error(a->r, HTTP_NOT_FOUND, "NoSuchEndpoint",
                                "endpoint '%s' has no such upload link", id);
    }
    return rv == APR_SUCCESS ? OK : reply_store_error(a, action, id, err, "NoSuchEndpoint");
}

static int route_link_delete(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    const char *id = arg[0];
    s3up_link_t *l;
    s3up_error_t *err;
    int rc;

    if ((rc = link_load(&l, a, id, arg[1], "link-revoke")) != OK) {
        return rc;
    }
    if (s3up_store_link_delete(&a->store, l, &err, a->r->pool) != APR_SUCCESS) {
        return reply_store_error(a, "link-revoke", id, err, "NoSuchEndpoint");
    }
    audit(a, "link-revoke", id, NULL, "ok");
    return s3up_reply_json(a->r, HTTP_OK, json_object());
}

/* DELETE /api/endpoints/{id}/links/{link}/lock: the link's passcode
 * tries are forgotten (on other servers once their S3UpCacheTTL passes). */
static int route_link_unlock(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    const char *id = arg[0];
    s3up_link_t *l;
    s3up_error_t *err;
    int rc;

    if ((rc = link_load(&l, a, id, arg[1], "link-unlock")) != OK) {
        return rc;
    }
    if (s3up_store_tries_clear(&a->store, l->id, &err, a->r->pool) != APR_SUCCESS) {
        return reply_store_error(a, "link-unlock", id, err, "NoSuchEndpoint");
    }
    s3up_drop_unlock(l->id);
    audit(a, "link-unlock", id, NULL, "ok");
    return s3up_reply_json(a->r, HTTP_OK, json_pack("{s:o}", "link", link_json(a, l)));
}

static int route_files(void *ctx, const char *const *arg)
{
    admin_t *a = ctx;
    const char *id = arg[0];
    request_rec *r = a->r;
    const char *sub = s3up_arg(r, "prefix"), *rel = "", *why;
    s3up_object_page_t *page;
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    int rc;

    if ((rc = endpoint_load(&ep, a, id)) != OK) {
        return rc;
    }
    if (sub && *sub && s3up_keys_relpath(&rel, sub, &why, r->pool) != APR_SUCCESS) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "InvalidKey", "prefix: %s", why);
    }
    if (s3up_s3_list_objects(&page, a->s3, apr_pstrcat(r->pool, ep->prefix, rel, NULL), NULL,
                             s3up_arg(r, "cursor"), 1000, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_s3_error(r, err, "NoSuchEndpoint");
    }
    return s3up_reply_json(r, HTTP_OK, s3up_files_json(page, ep->prefix, r->pool));
}

/* A key an admin may touch: a file below S3UpPrefix, in an endpoint's
 * folder, with a path our key policy would produce. */
static int admin_key(admin_t *a, const char *key)
{
    const char *prefix = s3up_conf_prefix(a->dc), *rel, *why, *slash = NULL;
    apr_size_t n = strlen(prefix);

    if (key && !strncmp(key, prefix, n)) {
        slash = strchr(key + n, '/');
    }
    if (!slash || !s3up_store_id_valid(apr_pstrmemdup(a->r->pool, key + n, slash - key - n)) ||
        s3up_keys_relpath(&rel, slash + 1, &why, a->r->pool) != APR_SUCCESS ||
        strcmp(rel, slash + 1)) {
        return s3up_reply_error(a->r, HTTP_BAD_REQUEST, "InvalidKey",
                                "key: a file of an upload endpoint");
    }
    return OK;
}

/* Content-Disposition for a download: RFC 6266, UTF-8 name and an ASCII
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

static int route_download(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    const char *key = s3up_arg(a->r, "key"), *url;
    int rc;

    if ((rc = admin_key(a, key)) != OK) {
        return rc;
    }
    if (s3up_s3_presign_get(&url, a->s3, key, attachment(key, a->r->pool), DOWNLOAD_EXPIRES,
                            a->r->pool) != APR_SUCCESS) {
        return s3up_reply_error(a->r, HTTP_INTERNAL_SERVER_ERROR, "StoreError",
                                "the download could not be signed");
    }
    audit(a, "download", NULL, key, "ok");
    apr_table_setn(a->r->headers_out, "Location", url);
    apr_table_setn(a->r->headers_out, "Cache-Control", "no-store");
    return HTTP_MOVED_TEMPORARILY;
}

static int route_share(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    request_rec *r = a->r;
    apr_interval_time_t longest = s3up_conf_share_max_expires(a->dc), life;
    const json_t *ex;
    const char *key, *url;
    s3up_object_t *obj;
    s3up_error_t *err;
    json_t *body;
    int rc;

    if ((rc = s3up_read_json(&body, r)) != OK ||
        (rc = admin_key(a, key = s3up_json_str(body, "key"))) != OK) {
        return rc;
    }
    ex = json_object_get(body, "expires");
    life = json_is_integer(ex) ? apr_time_from_sec(json_integer_value(ex)) : 0;
    if (life < apr_time_from_sec(60) || life > longest) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                "expires: seconds, from 60 to %" APR_TIME_T_FMT,
                                apr_time_sec(longest));
    }
    if (s3up_s3_head(&obj, a->s3, key, &err, r->pool) != APR_SUCCESS) {
        return s3up_reply_s3_error(r, err, "NoSuchKey");
    }
    if (s3up_s3_presign_get(&url, a->s3, key, attachment(key, r->pool), life, r->pool) !=
        APR_SUCCESS) {
        return s3up_reply_error(r, HTTP_INTERNAL_SERVER_ERROR, "StoreError",
                                "the link could not be signed");
    }
    audit(a, "share", NULL, key, "ok");
    return s3up_reply_json(r, HTTP_OK,
                           json_pack("{s:s,s:s}", "url", url, "expires_at",
                                     s3up_time_iso8601(a->s3->aws.now() + life, r->pool)));
}

static int route_file_delete(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    const char *key = s3up_arg(a->r, "key");
    s3up_error_t *err;
    int rc;

    if ((rc = admin_key(a, key)) != OK) {
        return rc;
    }
    if (s3up_s3_delete(a->s3, key, &err, a->r->pool) != APR_SUCCESS) {
        audit(a, "file-delete", NULL, key, err->code);
        return s3up_reply_s3_error(a->r, err, "NoSuchKey");
    }
    audit(a, "file-delete", NULL, key, "ok");
    return s3up_reply_json(a->r, HTTP_OK, json_object());
}

static int route_uploads(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    request_rec *r = a->r;
    const char *id = s3up_arg(r, "endpoint");
    s3up_upload_page_t *page;
    s3up_endpoint_t *ep;
    s3up_error_t *err;
    json_t *list, *reply;
    int rc;

    /* Both owned by the pool, the list also by the reply: no failure of
     * a pack can leave the list freed under the loop below. */
    reply = s3up_json_own(json_object(), r->pool);
    list = s3up_json_own(json_array(), r->pool);
    json_object_set(reply, "uploads", list);
    if (!id) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest", "endpoint is missing");
    }
    if ((rc = endpoint_load(&ep, a, id)) != OK) {
        return rc;
    }
    if (s3up_s3_list_uploads(&page, a->s3, ep->prefix, NULL, NULL, UPLOADS_MAX, &err, r->pool) !=
        APR_SUCCESS) {
        return s3up_reply_s3_error(r, err, "NoSuchEndpoint");
    }
    for (int i = 0; i < page->uploads->nelts; i++) {
        const s3up_upload_t *u = &APR_ARRAY_IDX(page->uploads, i, s3up_upload_t);
        apr_array_header_t *parts;
        apr_off_t bytes = 0;
        if (s3up_s3_list_parts(&parts, a->s3, u->key, u->upload_id, &err, r->pool) != APR_SUCCESS) {
            continue; /* finished or aborted meanwhile */
        }
        for (int j = 0; j < parts->nelts; j++) {
            bytes += APR_ARRAY_IDX(parts, j, s3up_part_t).size;
        }
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:i,s:I}", "key", u->key, "upload_id",
                                              u->upload_id, "initiated",
                                              s3up_time_iso8601(u->initiated, r->pool), "parts",
                                              parts->nelts, "bytes", (json_int_t)bytes));
    }
    json_object_set_new(reply, "truncated", json_boolean(page->truncated));
    return s3up_reply_json(r, HTTP_OK, json_incref(reply));
}

static int route_upload_abort(void *ctx, const char *const *arg __attribute__((unused)))
{
    admin_t *a = ctx;
    const char *key = s3up_arg(a->r, "key"), *upload_id = s3up_arg(a->r, "uploadId");
    s3up_error_t *err;
    apr_status_t rv;
    int rc;

    if ((rc = admin_key(a, key)) != OK) {
        return rc;
    }
    if (!upload_id || !*upload_id) {
        return s3up_reply_error(a->r, HTTP_BAD_REQUEST, "BadRequest", "uploadId is missing");
    }
    rv = s3up_s3_abort(a->s3, key, upload_id, &err, a->r->pool);
    if (rv != APR_SUCCESS && rv != S3UP_ENOTFOUND) {
        return reply_store_error(a, "upload-abort", NULL, err, "NoSuchUpload");
    }
    end_reservation(a, key, upload_id);
    audit(a, "upload-abort", NULL, key, rv == APR_SUCCESS ? "ok" : "gone");
    return s3up_reply_json(a->r, HTTP_OK, json_object());
}

/* The admin API (DESIGN.md §4). */
static const s3up_route_t admin_routes[] = {
    {"GET", "api/endpoints", route_list},
    {"POST", "api/endpoints", route_create},
    {"GET", "api/endpoints/{id}", route_get},
    {"PATCH", "api/endpoints/{id}", route_patch},
    {"DELETE", "api/endpoints/{id}", route_delete},
    {"POST", "api/endpoints/{id}/links", route_link_create},
    {"DELETE", "api/endpoints/{id}/links/{link}", route_link_delete},
    {"DELETE", "api/endpoints/{id}/links/{link}/lock", route_link_unlock},
    {"GET", "api/endpoints/{id}/files", route_files},
    {"GET", "api/download", route_download},
    {"POST", "api/share", route_share},
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
    if (!a->who) {
        return s3up_reply_error(r, HTTP_FORBIDDEN, "Forbidden",
                                "the admin pages need a signed-in person");
    }
    if (call->chosen) {
        /* The customer routes, into any endpoint's folder. */
        s3up_upload_ctx_t *up = apr_pcalloc(r->pool, sizeof(*up));
        if (!s3up_upload_is_api(call->path)) {
            return s3up_reply_error(r, HTTP_NOT_FOUND, "BadRequest", "no such route");
        }
        up->r = r;
        up->dc = a->dc;
        up->who = a->who;
        up->is_admin = 1;
        up->base = call->base;
        up->chosen = call->chosen;
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
    return s3up_route(r, admin_routes, call->path, a);
}
