/*
 * Admins' actions (s3up_manage*.c) over the in-memory S3 of fake_s3.h:
 * endpoints and their member index, files left by an earlier endpoint,
 * emptying a folder with unfinished uploads, totals over several pages,
 * links and their locks, keys an admin may touch, unfinished uploads.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_keys.h"
#include "s3up_manage.h"
#include "s3up_uploads.h"
#include "fake_s3.h"
#include "tap.h"

#define MIB S3UP_MIB
#define BUCKET "bkt"

static fake_bed_t bed;
static apr_pool_t *pool;
static const s3up_manage_conf_t conf = {
    "uploads/", 10 * 1024 * MIB, apr_time_from_sec(86400), 1, NULL, NULL};
static s3up_principal_t ada = {"ada", "httpd", NULL, NULL};
static s3up_manage_t m = {&conf, &bed.s3, &bed.store, &ada};

static apr_array_header_t *names(const char *list)
{
    apr_array_header_t *a = apr_array_make(pool, 4, sizeof(const char *));
    char *copy = apr_pstrdup(pool, list), *n, *last;
    for (n = apr_strtok(copy, ",", &last); n; n = apr_strtok(NULL, ",", &last)) {
        APR_ARRAY_PUSH(a, const char *) = n;
    }
    return a;
}

static apr_array_header_t *index_of(const char *who)
{
    apr_array_header_t *ids = NULL;
    s3up_error_t *err;
    bed.store.ttl = 0; /* the bucket's own answer */
    s3up_store_member_endpoints(&ids, &bed.store, who, &err, pool);
    bed.store.ttl = apr_time_from_sec(30);
    return ids;
}

static int lists(const char *who, const char *id)
{
    apr_array_header_t *ids = index_of(who);
    for (int i = 0; ids && i < ids->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(ids, i, const char *), id)) {
            return 1;
        }
    }
    return 0;
}

static void test_create_and_change(void)
{
    s3up_endpoint_spec_t spec = {0};
    s3up_created_t *c;
    s3up_endpoint_t *ep;
    s3up_error_t *err = NULL;
    apr_status_t rv;

    spec.members = names("alice,bob");
    spec.set_max_file_size = 1;
    spec.max_file_size = 5 * MIB;
    rv = s3up_manage_create(&c, &m, "acme", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool);
    ok(rv == APR_SUCCESS && c->ep && c->ep->max_file_size == 5 * MIB && !c->failed,
       "an endpoint made");
    ok(lists("alice", "acme") && lists("bob", "acme"), "its members are in the index");
    rv = s3up_manage_create(&c, &m, "acme", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool);
    ok(rv == S3UP_ECONFLICT && !strcmp(err->code, "Conflict"), "the same id again: 409");

    spec.members = names("bob,carol");
    spec.set_max_file_size = 0;
    spec.note = "Acme Corp";
    ok(s3up_manage_change(&ep, &m, "acme", NULL, &spec, &err, pool) == APR_SUCCESS &&
           !strcmp(ep->note, "Acme Corp") && ep->max_file_size == 5 * MIB,
       "changed: what was set, the rest kept");
    ok(!lists("alice", "acme") && lists("bob", "acme") && lists("carol", "acme"),
       "the member index follows: alice out, carol in, bob stays");
    ok(s3up_manage_change(&ep, &m, "acme", "\"stale\"", &spec, &err, pool) == S3UP_ECONFLICT,
       "a change of a stale version: conflict");

    spec = (s3up_endpoint_spec_t){0};
    spec.members = names("caf\xe9");
    rv = s3up_manage_create(&c, &m, "bad", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool);
    ok(rv == S3UP_EINPUT && strstr(err->message, "members[0]"), "a member name not UTF-8: 400");
    spec = (s3up_endpoint_spec_t){0};
    spec.set_max_file_size = 1;
    spec.max_file_size = 11 * 1024 * MIB;
    ok(s3up_manage_create(&c, &m, "big", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool) ==
           S3UP_EINPUT,
       "a limit over the server's: 400");
    ok(s3up_manage_create(&c, &m, "Bad Id", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool) ==
           S3UP_EINPUT,
       "a bad id: 400");
    spec = (s3up_endpoint_spec_t){0};
    ok(s3up_manage_create(&c, &m, "cog", &spec, S3UP_EXISTING_REFUSE, 1, NULL, &err, pool) ==
               S3UP_EDENIED &&
           !strcmp(c->failed, "cognito-create"),
       "a Cognito user on a server without a pool: refused, and the step named");
}

/* Files left behind by an endpoint deleted with files=keep. */
static void test_existing_files(void)
{
    s3up_endpoint_spec_t spec = {0};
    s3up_created_t *c;
    s3up_error_t *err = NULL;
    const char *upload_id;
    int deleted;

    spec.members = names("dora");
    s3up_manage_create(&c, &m, "old", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool);
    fake_s3_put_object(bed.f, BUCKET, "uploads/old/a.pdf", "x", 1, NULL);
    s3up_s3_create_multipart(&upload_id, &bed.s3, "uploads/old/b.bin", NULL, NULL, &err, pool);
    ok(s3up_manage_delete(&deleted, &m, "old", 0, &err, pool) == APR_SUCCESS && deleted == 0,
       "deleted, its files kept");
    ok(!lists("dora", "old"), "its member no longer finds it");
    ok(s3up_manage_create(&c, &m, "old", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool) ==
               S3UP_ECONFLICT &&
           !strcmp(err->code, "FolderNotEmpty"),
       "made again: FolderNotEmpty");
    ok(s3up_manage_create(&c, &m, "old", &spec, S3UP_EXISTING_DELETE, 0, NULL, &err, pool) ==
               APR_SUCCESS &&
           c->old_files == 2,
       "\"delete\": the file and the unfinished upload removed first (%d)", c->old_files);
    ok(!fake_s3_has(bed.f, BUCKET, "uploads/old/a.pdf") && fake_s3_upload_count(bed.f) == 0,
       "the folder is empty, and no upload is left");
}

/* Emptying a folder aborts its unfinished uploads, and frees their names. */
static void test_empty_with_uploads(void)
{
    s3up_uploads_conf_t uconf = {
        "uploads/", 64 * MIB, 10 * 1024 * MIB, 100, apr_time_from_sec(3600), 0, NULL};
    s3up_principal_t eve = {"eve", "httpd", NULL, NULL};
    s3up_uploads_t u = {&uconf, &bed.s3, &bed.store, &eve, 0, NULL, "http://x/upload"};
    s3up_endpoint_spec_t spec = {0};
    s3up_file_t file = {"pending.bin", NULL, NULL, 10 * MIB, NULL};
    s3up_started_t *started;
    s3up_reservation_t *res;
    s3up_endpoint_t *ep;
    s3up_created_t *c;
    s3up_error_t *err = NULL;
    int deleted;

    spec.members = names("eve");
    s3up_manage_create(&c, &m, "full", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool);
    s3up_uploads_endpoint(&ep, &u, "full", 1, &err, pool);
    ok(s3up_uploads_start(&started, &u, ep, &file, &err, pool) == APR_SUCCESS,
       "an unfinished upload in the folder");
    for (int i = 0; i < 3; i++) {
        fake_s3_put_object(bed.f, BUCKET, apr_psprintf(pool, "uploads/full/f%d", i), "x", 1, NULL);
    }
    ok(s3up_manage_delete(&deleted, &m, "full", 1, &err, pool) == APR_SUCCESS && deleted == 4,
       "deleted with its files: 3 files and 1 upload (%d)", deleted);
    ok(fake_s3_upload_count(bed.f) == 0, "the upload was aborted");
    ok(s3up_store_reservation_get(&res, &bed.store, started->key, NULL, &err, pool) ==
           S3UP_ENOTFOUND,
       "and its name freed");
    ok(s3up_manage_get(NULL, &m, "full", &err, pool) == S3UP_ENOTFOUND &&
           !strcmp(err->code, "NoSuchEndpoint"),
       "the endpoint is gone");
}

static void test_totals_and_files(void)
{
    s3up_endpoint_spec_t spec = {0};
    s3up_endpoint_view_t *v;
    s3up_file_list_t *list;
    s3up_files_query_t q = {.sub = "00", .limit = 500};
    s3up_created_t *c;
    s3up_error_t *err = NULL;

    s3up_manage_create(&c, &m, "many", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool);
    for (int i = 0; i < 2500; i++) {
        fake_s3_put_object(bed.f, BUCKET, apr_psprintf(pool, "uploads/many/%04d.txt", i), "abcd", 4,
                           NULL);
    }
    fake_s3_reset_counts(bed.f);
    ok(s3up_manage_get(&v, &m, "many", &err, pool) == APR_SUCCESS && v->totals.files == 2500 &&
           v->totals.bytes == 10000 && v->totals.complete,
       "totals over three pages: 2,500 files, 10,000 bytes");
    is_int(fake_s3_calls(bed.f, "ListObjectsV2"), 4, "(three pages of files, one of links)");
    ok(s3up_manage_browse(&list, &m, "many", &q, &err, pool) == APR_SUCCESS &&
           list->totals.files == 100 && list->rows->nelts == 100 &&
           !strcmp(list->folder, "uploads/many/"),
       "files below a sub-path");
    q = (s3up_files_query_t){.limit = 500};
    ok(s3up_manage_browse(&list, &m, "many", &q, &err, pool) == APR_SUCCESS &&
           list->totals.files == 2500 && list->totals.complete && list->rows->nelts == 500 &&
           list->next == 500,
       "the whole folder listed over three pages of S3's, cut into pages of 500");
    for (int i = 2500; i <= S3UP_MANAGE_FILES_MAX; i++) {
        fake_s3_put_object(bed.f, BUCKET, apr_psprintf(pool, "uploads/many/%05d.txt", i), "", 0,
                           NULL);
    }
    ok(s3up_manage_browse(&list, &m, "many", &q, &err, pool) == APR_SUCCESS &&
           list->totals.files == S3UP_MANAGE_FILES_MAX && !list->totals.complete,
       "a folder of 10,001 files: 10,000 listed, and not complete");
}

/* The view of the link labelled label. */
static const s3up_link_view_t *labelled(const s3up_endpoint_view_t *view, const char *label)
{
    for (int i = 0; i < view->links->nelts; i++) {
        const s3up_link_view_t *l = &APR_ARRAY_IDX(view->links, i, s3up_link_view_t);
        if (l->link->label && !strcmp(l->link->label, label)) {
            return l;
        }
    }
    return NULL;
}

/* A link's label, and when it stops: its own end or its endpoint's. */
static void test_link_labels(void)
{
    s3up_link_spec_t spec = {.label = "Jane at Acme Legal \xe2\x80\x94 contracts"};
    s3up_endpoint_spec_t change = {.set_expires = 1};
    s3up_endpoint_view_t *view;
    s3up_link_made_t *made;
    s3up_endpoint_t *ep;
    s3up_error_t *err = NULL;
    char *longer = apr_pcalloc(pool, S3UP_MANAGE_LABEL_MAX + 2);

    ok(s3up_manage_link_create(&made, &m, "acme", &spec, &err, pool) == APR_SUCCESS &&
           s3up_manage_get(&view, &m, "acme", &err, pool) == APR_SUCCESS &&
           labelled(view, spec.label) && labelled(view, spec.label)->ends == 0,
       "a labelled link, kept in its record; no end on either: none");
    change.expires = fake_bed_clock + apr_time_from_sec(86400);
    s3up_manage_change(&ep, &m, "acme", NULL, &change, &err, pool);
    spec.label = "short-lived";
    spec.expires = fake_bed_clock + apr_time_from_sec(3600);
    s3up_manage_link_create(&made, &m, "acme", &spec, &err, pool);
    s3up_manage_get(&view, &m, "acme", &err, pool);
    ok(labelled(view, "Jane at Acme Legal \xe2\x80\x94 contracts")->ends == change.expires,
       "a link without an end stops when its endpoint closes");
    ok(labelled(view, "short-lived")->ends == spec.expires, "one that ends first, at its own end");
    change.expires = 0;
    s3up_manage_change(&ep, &m, "acme", NULL, &change, &err, pool);
    memset(longer, 'x', S3UP_MANAGE_LABEL_MAX + 1);
    spec = (s3up_link_spec_t){.label = longer};
    ok(s3up_manage_link_create(&made, &m, "acme", &spec, &err, pool) == S3UP_EINPUT,
       "a label over %d bytes: refused", S3UP_MANAGE_LABEL_MAX);
    spec.label = "tab\there";
    ok(s3up_manage_link_create(&made, &m, "acme", &spec, &err, pool) == S3UP_EINPUT,
       "a label with a control character: refused");
}

static void test_links(void)
{
    s3up_link_spec_t spec = {0};
    s3up_link_made_t *made;
    s3up_link_view_t *v;
    s3up_endpoint_view_t *view;
    s3up_error_t *err = NULL;
    apr_interval_time_t wait;

    spec.make_passcode = 1;
    ok(s3up_manage_link_create(&made, &m, "acme", &spec, &err, pool) == APR_SUCCESS &&
           strlen(made->passcode) == 13 && strlen(made->token) == 43,
       "a link with a passcode made up: 13 characters");
    spec = (s3up_link_spec_t){0};
    spec.passcode = "short";
    ok(s3up_manage_link_create(&made, &m, "acme", &spec, &err, pool) == S3UP_EINPUT,
       "a chosen passcode under 8 characters: refused");
    spec.passcode = "long enough";
    spec.expires = fake_bed_clock - 1;
    ok(s3up_manage_link_create(&made, &m, "acme", &spec, &err, pool) == S3UP_EINPUT,
       "an expiry in the past: refused");
    spec.expires = 0;
    ok(s3up_manage_link_create(&made, &m, "acme", &spec, &err, pool) == APR_SUCCESS,
       "a link with the admin's passcode");
    for (int i = 0; i < 5; i++) {
        s3up_store_try_take(&wait, &bed.store, made->link->id, S3UP_PASSCODE_TRIES,
                            S3UP_PASSCODE_WINDOW, &err, pool);
    }
    s3up_manage_get(&view, &m, "acme", &err, pool);
    {
        int locked = 0;
        for (int i = 0; i < view->links->nelts; i++) {
            const s3up_link_view_t *l = &APR_ARRAY_IDX(view->links, i, s3up_link_view_t);
            locked += l->locked_until == fake_bed_clock + S3UP_PASSCODE_WINDOW;
        }
        is_int(locked, 1, "five tries: the endpoint's view shows the link locked until when");
    }
    ok(s3up_manage_link_unlock(&v, &m, "acme", made->link->id, &err, pool) == APR_SUCCESS &&
           v->locked_until == 0 && v->tries.count == 0,
       "unlocked");
    test_link_labels();
    ok(s3up_manage_link_revoke(&m, "other", made->link->id, &err, pool) == S3UP_ENOTFOUND,
       "another endpoint's link is no link of this one");
    ok(s3up_manage_link_revoke(&m, "acme", made->link->id, &err, pool) == APR_SUCCESS &&
           s3up_manage_link_unlock(&v, &m, "acme", made->link->id, &err, pool) == S3UP_ENOTFOUND,
       "revoked: gone");
}

static void test_keys_and_shares(void)
{
    const char *url;
    apr_time_t until;
    s3up_error_t *err = NULL;
    int gone;

    fake_s3_put_object(bed.f, BUCKET, "uploads/acme/report 1.pdf", "pdf", 3, NULL);
    ok(s3up_manage_download(&url, &m, "uploads/acme/report 1.pdf", &err, pool) == APR_SUCCESS &&
           strstr(url, "response-content-disposition=attachment") &&
           strstr(url, "X-Amz-Expires=300"),
       "a download: 5 minutes, as an attachment");
    ok(s3up_manage_share(&url, &until, &m, "uploads/acme/report 1.pdf", apr_time_from_sec(3600),
                         &err, pool) == APR_SUCCESS &&
           until == fake_bed_clock + apr_time_from_sec(3600),
       "a share for an hour");
    ok(s3up_manage_share(&url, &until, &m, "uploads/acme/report 1.pdf",
                         apr_time_from_sec(2 * 86400), &err, pool) == S3UP_EINPUT,
       "longer than S3UpShareMaxExpires: refused");
    ok(s3up_manage_share(&url, &until, &m, "uploads/acme/none.pdf", apr_time_from_sec(3600), &err,
                         pool) == S3UP_ENOTFOUND,
       "a share of a file that is not there: 404");
    ok(s3up_manage_download(&url, &m, ".s3up/endpoints/acme.json", &err, pool) == S3UP_EINPUT &&
           s3up_manage_download(&url, &m, "uploads/acme/../../.s3up/x", &err, pool) ==
               S3UP_EINPUT &&
           s3up_manage_file_delete(&m, "uploads/Bad Id/x", &err, pool) == S3UP_EINPUT,
       "state records, climbing keys and bad ids: refused");
    ok(s3up_manage_file_delete(&m, "uploads/acme/report 1.pdf", &err, pool) == APR_SUCCESS &&
           !fake_s3_has(bed.f, BUCKET, "uploads/acme/report 1.pdf"),
       "a file deleted");
    ok(s3up_manage_upload_abort(&gone, &m, "uploads/acme/x.bin", "nope", &err, pool) ==
               APR_SUCCESS &&
           gone,
       "aborting an upload S3 no longer has: fine, said gone");
    ok(s3up_manage_upload_abort(&gone, &m, "uploads/acme/x.bin", "", &err, pool) == S3UP_EINPUT,
       "no upload id: refused");
}

static void test_uploads_list(void)
{
    apr_array_header_t *list;
    s3up_error_t *err = NULL;
    const char *id;
    int truncated;

    s3up_s3_create_multipart(&id, &bed.s3, "uploads/acme/half.bin", NULL, NULL, &err, pool);
    fake_s3_add_part(bed.f, id, 1, 5 * MIB);
    fake_s3_add_part(bed.f, id, 2, 2 * MIB);
    ok(s3up_manage_uploads(&list, &truncated, &m, "acme", &err, pool) == APR_SUCCESS &&
           list->nelts == 1 && APR_ARRAY_IDX(list, 0, s3up_unfinished_t).parts == 2 &&
           APR_ARRAY_IDX(list, 0, s3up_unfinished_t).bytes == 7 * MIB && !truncated,
       "an unfinished upload, with its size so far");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    fake_bed_init(&bed, BUCKET, pool);

    test_create_and_change();
    test_existing_files();
    test_empty_with_uploads();
    test_totals_and_files();
    {
        s3up_endpoint_spec_t spec = {0};
        s3up_created_t *c;
        s3up_error_t *err;
        s3up_manage_create(&c, &m, "other", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool);
    }
    test_links();
    test_keys_and_shares();
    test_uploads_list();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
