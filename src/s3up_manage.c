/*
 * Admins' actions on endpoints, their members and their upload links. The
 * files of an endpoint are in s3up_manage_files.c.
 */
#include <apr_strings.h>

#include "s3up_cognito.h"
#include "s3up_manage.h"
#include "s3up_manage_int.h"
#include "s3up_token.h"

/* Endpoint records are listed a page at a time. */
#define TOTALS_PAGES_MAX 100

/* A passcode people can type: 13 characters without look-alikes (64 bits).
 * Five tries per quarter hour leave no guess a chance. */
#define PASSCODE_LEN 13

apr_status_t s3up_manage_endpoint(s3up_endpoint_t **ep, s3up_manage_t *m, const char *id,
                                  s3up_error_t **err, apr_pool_t *p)
{
    apr_status_t rv = s3up_store_endpoint_get(ep, m->store, id, err, p);

    if (rv == S3UP_ENOTFOUND) {
        return s3up_failf(err, rv, "NoSuchEndpoint", p, "there is no endpoint '%s'",
                          s3up_store_id_valid(id) ? id : "");
    }
    return rv;
}

/* The values of spec, checked against the rules of this server. */
static apr_status_t check_spec(const s3up_manage_t *m, const s3up_endpoint_spec_t *spec,
                               s3up_error_t **err, apr_pool_t *p)
{
    if (spec->members) {
        if (spec->members->nelts > S3UP_MANAGE_MEMBERS_MAX) {
            return s3up_failf(err, S3UP_EINPUT, "BadRequest", p,
                              "members: a list of up to %d names", S3UP_MANAGE_MEMBERS_MAX);
        }
        for (int i = 0; i < spec->members->nelts; i++) {
            if (!s3up_principal_name_ok(APR_ARRAY_IDX(spec->members, i, const char *))) {
                return s3up_failf(err, S3UP_EINPUT, "BadRequest", p,
                                  "members[%d]: a name of 1 to %d bytes of UTF-8 text "
                                  "without control characters",
                                  i, S3UP_PRINCIPAL_NAME_MAX);
            }
        }
    }
    if (spec->set_max_file_size &&
        (spec->max_file_size < 0 || spec->max_file_size > m->conf->max_file_size)) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p,
                          "max_file_size: bytes, from 1 to %" APR_OFF_T_FMT,
                          m->conf->max_file_size);
    }
    if (spec->status && strcmp(spec->status, S3UP_ENDPOINT_ACTIVE) &&
        strcmp(spec->status, S3UP_ENDPOINT_REVOKED)) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p, "status: \"active\" or \"revoked\"");
    }
    if (spec->note && strlen(spec->note) > S3UP_MANAGE_NOTE_MAX) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p, "note: text of up to %d bytes",
                          S3UP_MANAGE_NOTE_MAX);
    }
    return APR_SUCCESS;
}

static void apply_spec(s3up_endpoint_t *ep, const s3up_endpoint_spec_t *spec, apr_pool_t *p)
{
    if (spec->members) {
        ep->members = apr_array_make(p, spec->members->nelts + 1, sizeof(const char *));
        for (int i = 0; i < spec->members->nelts; i++) {
            APR_ARRAY_PUSH(ep->members, const char *) =
                apr_pstrdup(p, APR_ARRAY_IDX(spec->members, i, const char *));
        }
    }
    if (spec->set_expires) {
        ep->expires = spec->expires;
    }
    if (spec->set_max_file_size) {
        ep->max_file_size = spec->max_file_size;
    }
    if (spec->status) {
        ep->status = apr_pstrdup(p, spec->status);
    }
    if (spec->note) {
        ep->note = apr_pstrdup(p, spec->note);
    }
}

static int has(const apr_array_header_t *list, const char *s)
{
    for (int i = 0; list && i < list->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(list, i, const char *), s)) {
            return 1;
        }
    }
    return 0;
}

/* Keep the member index in step with a record: add who is new, remove who
 * is gone. The record is what counts; the index only finds endpoints. */
static apr_status_t sync_members(s3up_manage_t *m, const char *id, const apr_array_header_t *before,
                                 const apr_array_header_t *after, s3up_error_t **err, apr_pool_t *p)
{
    apr_status_t rv;

    for (int i = 0; after && i < after->nelts; i++) {
        const char *who = APR_ARRAY_IDX(after, i, const char *);
        if (!has(before, who) &&
            (rv = s3up_store_member_add(m->store, who, id, err, p)) != APR_SUCCESS) {
            return rv;
        }
    }
    for (int i = 0; before && i < before->nelts; i++) {
        const char *who = APR_ARRAY_IDX(before, i, const char *);
        if (!has(after, who) &&
            (rv = s3up_store_member_remove(m->store, who, id, err, p)) != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

/* A folder holding files from before (an endpoint of this id deleted with
 * files=keep) is not silently shown to new members. */
static apr_status_t existing_files(int *removed, s3up_manage_t *m, const s3up_endpoint_t *ep,
                                   s3up_existing_e existing, s3up_error_t **err, apr_pool_t *p)
{
    s3up_object_page_t *page;
    s3up_endpoint_t *taken;
    apr_status_t rv;

    *removed = 0;
    if (existing == S3UP_EXISTING_KEEP) {
        return APR_SUCCESS;
    }
    rv = s3up_s3_list_objects(&page, m->s3, ep->prefix, NULL, NULL, 1, err, p);
    if (rv != APR_SUCCESS || page->objects->nelts == 0) {
        return rv;
    }
    /* The files of a live endpoint are its own: "exists" says it. */
    if (s3up_store_endpoint_get(&taken, m->store, ep->id, err, p) == APR_SUCCESS) {
        return s3up_failf(err, S3UP_ECONFLICT, "Conflict", p, "an endpoint '%s' exists already",
                          ep->id);
    }
    if (existing == S3UP_EXISTING_REFUSE) {
        return s3up_failf(err, S3UP_ECONFLICT, "FolderNotEmpty", p,
                          "the folder %s holds files from before (an endpoint '%s' was "
                          "deleted and its files kept): create it with existing_files "
                          "\"keep\" to show them to its members, or \"delete\" to remove "
                          "them first",
                          ep->prefix, ep->id);
    }
    return s3up_manage_empty(removed, m, ep->prefix, err, p);
}

/* A Cognito user named after the endpoint, with a temporary password; it
 * becomes a member. Signed with the same AWS credentials as S3. */
static apr_status_t cognito_user(s3up_created_t *c, s3up_manage_t *m, s3up_endpoint_t *ep,
                                 s3up_error_t **err, apr_pool_t *p)
{
    s3up_cognito_t cg;
    s3up_cognito_user_t *user;
    apr_status_t rv;

    if (!m->conf->cognito_pool) {
        return s3up_failf(err, S3UP_EDENIED, "Conflict", p,
                          "S3UpCognitoUserPool is not set on this server");
    }
    if (s3up_cognito_init(&cg, m->conf->cognito_pool, m->conf->cognito_server, m->s3->aws.creds,
                          m->s3->aws.signer, m->s3->aws.http, p) != APR_SUCCESS ||
        s3up_cognito_password(&c->cognito_password, p) != APR_SUCCESS) {
        return s3up_fail(err, APR_EGENERAL, "StoreError", "the Cognito client could not be set up",
                         p);
    }
    /* The clock and the waits of the S3 client (a test's, where one runs). */
    cg.aws.now = m->s3->aws.now;
    cg.aws.sleep = m->s3->aws.sleep;
    cg.aws.random = m->s3->aws.random;
    cg.aws.metrics = m->s3->aws.metrics;
    rv = s3up_cognito_admin_create_user(&user, &cg, ep->id, c->cognito_password, NULL, err, p);
    if (rv == S3UP_ECONFLICT) {
        return s3up_failf(err, rv, "Conflict", p, "Cognito has a user named '%s' already", ep->id);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    c->cognito_user = user->username;
    APR_ARRAY_PUSH(ep->members, const char *) = user->username;
    return APR_SUCCESS;
}

apr_status_t s3up_manage_create(s3up_created_t **out, s3up_manage_t *m, const char *id,
                                const s3up_endpoint_spec_t *spec, s3up_existing_e existing,
                                int cognito, const s3up_link_spec_t *link, s3up_error_t **err,
                                apr_pool_t *p)
{
    s3up_created_t *c = apr_pcalloc(p, sizeof(*c));
    s3up_endpoint_t *ep = apr_pcalloc(p, sizeof(*ep)), *taken;
    apr_status_t rv;

    *out = c;
    c->failed = "endpoint-create";
    if (!s3up_store_id_valid(id)) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p,
                          "id: 1 to 63 of a-z, 0-9 and '-', not starting or ending "
                          "with '-'");
    }
    if ((rv = check_spec(m, spec, err, p)) != APR_SUCCESS) {
        return rv;
    }
    ep->id = apr_pstrdup(p, id);
    ep->prefix = apr_pstrcat(p, m->conf->prefix, id, "/", NULL);
    ep->members = apr_array_make(p, 4, sizeof(const char *));
    ep->created = m->s3->aws.now();
    ep->created_by = m->who->name;
    ep->status = S3UP_ENDPOINT_ACTIVE;
    ep->note = "";
    apply_spec(ep, spec, p);
    if ((rv = existing_files(&c->old_files, m, ep, existing, err, p)) != APR_SUCCESS) {
        return rv;
    }
    if (cognito) {
        /* The id first: a taken one must not leave a user behind. */
        if (s3up_store_endpoint_get(&taken, m->store, id, err, p) == APR_SUCCESS) {
            return s3up_failf(err, S3UP_ECONFLICT, "Conflict", p, "an endpoint '%s' exists already",
                              id);
        }
        c->failed = "cognito-create";
        if ((rv = cognito_user(c, m, ep, err, p)) != APR_SUCCESS) {
            return rv;
        }
    }
    c->failed = "endpoint-create";
    rv = s3up_store_endpoint_put(m->store, ep, err, p);
    if (rv == S3UP_ECONFLICT) {
        return s3up_failf(err, rv, "Conflict", p, "an endpoint '%s' exists already", id);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    c->ep = ep;
    c->failed = "member-add";
    if ((rv = sync_members(m, id, NULL, ep->members, err, p)) != APR_SUCCESS) {
        return rv;
    }
    c->failed = "link-create";
    if (link && (rv = s3up_manage_link_create(&c->link, m, id, link, err, p)) != APR_SUCCESS) {
        return rv;
    }
    c->failed = NULL;
    return APR_SUCCESS;
}

apr_status_t s3up_manage_change(s3up_endpoint_t **out, s3up_manage_t *m, const char *id,
                                const char *if_match, const s3up_endpoint_spec_t *spec,
                                s3up_error_t **err, apr_pool_t *p)
{
    const apr_array_header_t *before = NULL;
    s3up_endpoint_t *ep;
    apr_status_t rv;

    if ((rv = s3up_manage_endpoint(&ep, m, id, err, p)) != APR_SUCCESS ||
        (rv = check_spec(m, spec, err, p)) != APR_SUCCESS) {
        return rv;
    }
    /* The version the admin edited, if known: a change made by someone
     * else since is not silently overwritten. */
    if (if_match && strcmp(if_match, ep->etag)) {
        rv = S3UP_ECONFLICT;
    } else {
        before = apr_array_copy(p, ep->members);
        apply_spec(ep, spec, p);
        rv = s3up_store_endpoint_put(m->store, ep, err, p);
    }
    if (rv == S3UP_ECONFLICT) {
        return s3up_failf(err, rv, "Conflict", p,
                          "endpoint '%s' was changed by someone else; reload it", id);
    }
    if (rv != APR_SUCCESS ||
        (rv = sync_members(m, id, before, ep->members, err, p)) != APR_SUCCESS) {
        return rv;
    }
    *out = ep;
    return APR_SUCCESS;
}

apr_status_t s3up_manage_delete(int *deleted, s3up_manage_t *m, const char *id, int delete_files,
                                s3up_error_t **err, apr_pool_t *p)
{
    apr_array_header_t *links, *shares;
    s3up_endpoint_t *ep;
    apr_status_t rv;

    *deleted = 0;
    if ((rv = s3up_manage_endpoint(&ep, m, id, err, p)) != APR_SUCCESS) {
        return rv;
    }
    /* Closed first, so nothing new arrives while it is emptied. */
    ep->status = S3UP_ENDPOINT_REVOKED;
    if ((rv = s3up_store_endpoint_put(m->store, ep, err, p)) != APR_SUCCESS ||
        (delete_files && (rv = s3up_manage_empty(deleted, m, ep->prefix, err, p)) != APR_SUCCESS) ||
        (rv = s3up_store_endpoint_links(&links, m->store, id, err, p)) != APR_SUCCESS ||
        (rv = s3up_store_endpoint_shares(&shares, m->store, id, err, p)) != APR_SUCCESS) {
        return rv;
    }
    for (int i = 0; i < links->nelts; i++) {
        s3up_link_t l = {.id = APR_ARRAY_IDX(links, i, const char *), .endpoint = id};
        if ((rv = s3up_store_link_delete(m->store, &l, err, p)) != APR_SUCCESS) {
            return rv;
        }
    }
    /* Its shares go too: a later endpoint of the same id shares nothing. */
    for (int i = 0; i < shares->nelts; i++) {
        s3up_share_t s = {.id = APR_ARRAY_IDX(shares, i, const char *), .endpoint = id};
        if ((rv = s3up_store_share_delete(m->store, &s, err, p)) != APR_SUCCESS) {
            return rv;
        }
    }
    if ((rv = sync_members(m, id, ep->members, NULL, err, p)) != APR_SUCCESS ||
        (rv = s3up_store_facts_delete(m->store, id, err, p)) != APR_SUCCESS) {
        return rv;
    }
    return s3up_store_endpoint_delete(m->store, id, err, p);
}

apr_status_t s3up_manage_list(apr_array_header_t **eps, const char **next, s3up_manage_t *m,
                              const char *q, const char *cursor, int max, s3up_error_t **err,
                              apr_pool_t *p)
{
    apr_array_header_t *ids;
    apr_status_t rv = s3up_store_endpoint_ids(&ids, next, m->store, q, cursor, max, err, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *eps = apr_array_make(p, ids->nelts, sizeof(s3up_endpoint_t *));
    for (int i = 0; i < ids->nelts; i++) {
        s3up_endpoint_t *ep;
        s3up_error_t *ignored;
        /* One gone meanwhile, or unreadable, is left out of the page. */
        if (s3up_store_endpoint_get(&ep, m->store, APR_ARRAY_IDX(ids, i, const char *), &ignored,
                                    p) == APR_SUCCESS) {
            APR_ARRAY_PUSH(*eps, s3up_endpoint_t *) = ep;
        }
    }
    return APR_SUCCESS;
}

/* When a link stops: its own end or its endpoint's, whichever is first. */
static apr_time_t link_ends(const s3up_link_t *l, const s3up_endpoint_t *ep)
{
    if (!ep || !ep->expires) {
        return l->expires;
    }
    return l->expires && l->expires < ep->expires ? l->expires : ep->expires;
}

static void link_view(s3up_link_view_t *v, s3up_manage_t *m, s3up_link_t *l,
                      const s3up_endpoint_t *ep, apr_pool_t *p)
{
    s3up_error_t *ignored;

    v->link = l;
    v->ends = link_ends(l, ep);
    v->tries.count = 0;
    v->tries.since = 0;
    if (l->passcode_hash) {
        s3up_store_tries_get(&v->tries, m->store, l->id, S3UP_PASSCODE_WINDOW, &ignored, p);
    }
    v->locked_until =
        v->tries.count >= S3UP_PASSCODE_TRIES ? v->tries.since + S3UP_PASSCODE_WINDOW : 0;
}

static apr_status_t count_file(void *baton, const char *key, const void *item)
{
    s3up_totals_t *t = baton;

    (void)key;
    t->bytes += ((const s3up_object_t *)item)->size;
    t->files++;
    return APR_SUCCESS;
}

/* Totals of the files under prefix: every page, up to a bound. */
static apr_status_t totals(s3up_totals_t *t, s3up_manage_t *m, const char *prefix,
                           s3up_error_t **err, apr_pool_t *p)
{
    memset(t, 0, sizeof(*t));
    return s3up_s3_each(m->s3, S3UP_S3_OBJECTS, prefix, TOTALS_PAGES_MAX, &t->complete, count_file,
                        t, err, p);
}

apr_status_t s3up_manage_get(s3up_endpoint_view_t **out, s3up_manage_t *m, const char *id,
                             s3up_error_t **err, apr_pool_t *p)
{
    s3up_endpoint_view_t *v = apr_pcalloc(p, sizeof(*v));
    apr_array_header_t *ids;
    apr_status_t rv;

    if ((rv = s3up_manage_endpoint(&v->ep, m, id, err, p)) != APR_SUCCESS ||
        (rv = s3up_store_endpoint_links(&ids, m->store, id, err, p)) != APR_SUCCESS) {
        return rv;
    }
    v->links = apr_array_make(p, ids->nelts, sizeof(s3up_link_view_t));
    for (int i = 0; i < ids->nelts; i++) {
        s3up_link_t *l;
        s3up_error_t *ignored;
        if (s3up_store_link_get(&l, m->store, APR_ARRAY_IDX(ids, i, const char *), &ignored, p) ==
            APR_SUCCESS) {
            link_view(apr_array_push(v->links), m, l, v->ep, p);
        }
    }
    if ((rv = totals(&v->totals, m, v->ep->prefix, err, p)) != APR_SUCCESS) {
        return rv;
    }
    *out = v;
    return APR_SUCCESS;
}

/* A passcode made up: PASSCODE_LEN characters without look-alikes. */
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

apr_status_t s3up_manage_link_create(s3up_link_made_t **out, s3up_manage_t *m, const char *id,
                                     const s3up_link_spec_t *spec, s3up_error_t **err,
                                     apr_pool_t *p)
{
    s3up_link_made_t *made = apr_pcalloc(p, sizeof(*made));
    s3up_link_t *link = apr_pcalloc(p, sizeof(*link));
    s3up_endpoint_t *ep;
    apr_status_t rv;

    if (!m->conf->links) {
        return s3up_failf(err, S3UP_EDENIED, "Conflict", p,
                          "upload links need S3UpLinkURL and S3UpSecretFile on this server");
    }
    if (spec->passcode &&
        (strlen(spec->passcode) < S3UP_MANAGE_PASSCODE_MIN || strlen(spec->passcode) > 128)) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p,
                          "passcode: %d to 128 characters (or true to make one)",
                          S3UP_MANAGE_PASSCODE_MIN);
    }
    if (spec->expires && spec->expires <= m->s3->aws.now()) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p,
                          "link.expires: a future ISO 8601 time, or null");
    }
    if (spec->label && (strlen(spec->label) > S3UP_MANAGE_LABEL_MAX ||
                        (*spec->label && !s3up_principal_name_ok(spec->label)))) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p,
                          "label: text of up to %d bytes without control characters",
                          S3UP_MANAGE_LABEL_MAX);
    }
    if ((rv = s3up_manage_endpoint(&ep, m, id, err, p)) != APR_SUCCESS) {
        return rv;
    }
    made->passcode = spec->passcode;
    if ((!made->passcode && spec->make_passcode &&
         make_passcode(&made->passcode, p) != APR_SUCCESS) ||
        s3up_token_new(&made->token, p) != APR_SUCCESS ||
        (made->passcode &&
         s3up_token_passcode_hash(&link->passcode_hash, made->passcode, p) != APR_SUCCESS)) {
        return s3up_fail(err, APR_EGENERAL, "StoreError", "the link could not be made", p);
    }
    link->id = s3up_token_id(made->token, p);
    link->endpoint = ep->id;
    link->created = m->s3->aws.now();
    link->created_by = m->who->name;
    link->expires = spec->expires;
    link->label = spec->label && *spec->label ? spec->label : NULL;
    if ((rv = s3up_store_link_put(m->store, link, err, p)) != APR_SUCCESS) {
        return rv;
    }
    made->link = link;
    *out = made;
    return APR_SUCCESS;
}

/* The link link_id of endpoint id: another endpoint's is no link of it. */
static apr_status_t link_of(s3up_link_t **l, s3up_manage_t *m, const char *id, const char *link_id,
                            s3up_error_t **err, apr_pool_t *p)
{
    apr_status_t rv = s3up_store_link_get(l, m->store, link_id, err, p);

    if (rv == S3UP_ENOTFOUND || (rv == APR_SUCCESS && strcmp((*l)->endpoint, id))) {
        return s3up_failf(err, S3UP_ENOTFOUND, "NoSuchEndpoint", p,
                          "endpoint '%s' has no such upload link",
                          s3up_store_id_valid(id) ? id : "");
    }
    return rv;
}

apr_status_t s3up_manage_link_revoke(s3up_manage_t *m, const char *id, const char *link_id,
                                     s3up_error_t **err, apr_pool_t *p)
{
    s3up_link_t *l;
    apr_status_t rv = link_of(&l, m, id, link_id, err, p);

    return rv == APR_SUCCESS ? s3up_store_link_delete(m->store, l, err, p) : rv;
}

apr_status_t s3up_manage_link_unlock(s3up_link_view_t **out, s3up_manage_t *m, const char *id,
                                     const char *link_id, s3up_error_t **err, apr_pool_t *p)
{
    s3up_link_t *l;
    s3up_endpoint_t *ep;
    apr_status_t rv = link_of(&l, m, id, link_id, err, p);

    if (rv != APR_SUCCESS ||
        (rv = s3up_store_tries_clear(m->store, l->id, err, p)) != APR_SUCCESS ||
        (rv = s3up_manage_endpoint(&ep, m, id, err, p)) != APR_SUCCESS) {
        return rv;
    }
    *out = apr_pcalloc(p, sizeof(**out));
    link_view(*out, m, l, ep, p);
    return APR_SUCCESS;
}
