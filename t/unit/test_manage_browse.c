/*
 * The admin's file list (s3up_manage_browse.c) over the in-memory S3 of
 * fake_s3.h: filter, sort by each column, pages, folders, who uploaded a
 * file (a person, a link with its label, a link revoked since), the
 * original of a numbered copy, and the totals of what matched.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "s3up_json.h"
#include "s3up_manage.h"
#include "fake_s3.h"
#include "tap.h"

#define BUCKET "bkt"

static fake_bed_t bed;
static apr_pool_t *pool;
static const s3up_manage_conf_t conf = {"uploads/", 1 << 30, apr_time_from_sec(86400),
                                        1,          NULL,    NULL};
static s3up_principal_t ada = {"ada", "httpd", NULL, NULL};
static s3up_manage_t m = {&conf, &bed.s3, &bed.store, &ada};

/* A file that arrived at the bed's clock, then a second passes. */
static void put(const char *name, apr_size_t size, const char *by)
{
    apr_table_t *meta = apr_table_make(pool, 1);
    char *data = apr_pcalloc(pool, size + 1);

    memset(data, 'x', size);
    if (by) {
        apr_table_setn(meta, "uploaded-by", by);
    }
    fake_s3_put_object(bed.f, BUCKET, apr_pstrcat(pool, "uploads/acme/", name, NULL), data, size,
                       meta);
    fake_bed_clock += apr_time_from_sec(1);
}

static s3up_file_list_t *browse(s3up_files_query_t q)
{
    s3up_file_list_t *list = NULL;
    s3up_error_t *err = NULL;

    if (!q.limit) {
        q.limit = 100;
    }
    if (s3up_manage_browse(&list, &m, "acme", &q, &err, pool) != APR_SUCCESS) {
        diag("browse: %s", err ? err->message : "?");
        return NULL;
    }
    return list;
}

#define FACTS ".s3up/facts/acme.json"

/* A fresh store cache: another process, which has seen nothing yet. */
static void forget(void)
{
    s3up_store_cache_create(&bed.store.cache, pool);
}

/* Nothing seen of any file yet, by any process: nor a facts object. */
static void forget_all(void)
{
    forget();
    fake_s3_remove(bed.f, BUCKET, FACTS);
}

/* The page's names, joined with ",". */
static const char *order(const s3up_file_list_t *l)
{
    apr_array_header_t *n = apr_array_make(pool, 8, sizeof(const char *));

    for (int i = 0; l && i < l->rows->nelts; i++) {
        APR_ARRAY_PUSH(n, const char *) = APR_ARRAY_IDX(l->rows, i, s3up_file_row_t).name;
    }
    return apr_array_pstrcat(pool, n, ',');
}

static const s3up_file_row_t *row(const s3up_file_list_t *l, const char *name)
{
    for (int i = 0; l && i < l->rows->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(l->rows, i, s3up_file_row_t).name, name)) {
            return &APR_ARRAY_IDX(l->rows, i, s3up_file_row_t);
        }
    }
    return NULL;
}

static void test_copy_base(void)
{
    is_str(s3up_manage_copy_base("a (1).pdf", pool), "a.pdf", "a (1).pdf is a copy of a.pdf");
    is_str(s3up_manage_copy_base("d/a.tar (12).gz", pool), "d/a.tar.gz",
           "the number sits before the last dot, in a folder too");
    is_str(s3up_manage_copy_base("notes (3)", pool), "notes", "no extension");
    ok(!s3up_manage_copy_base("a.pdf", pool) && !s3up_manage_copy_base("a (0).pdf", pool) &&
           !s3up_manage_copy_base("a(1).pdf", pool) && !s3up_manage_copy_base("(1).pdf", pool) &&
           !s3up_manage_copy_base("a (x).pdf", pool) && !s3up_manage_copy_base(" (1)", pool),
       "no copy: no number, (0), no space, no stem, not digits");
}

static void test_list(void)
{
    s3up_link_spec_t spec = {.label = "Legal team"};
    s3up_link_made_t *made, *gone;
    s3up_file_list_t *l;
    s3up_error_t *err = NULL;

    s3up_manage_link_create(&made, &m, "acme", &spec, &err, pool);
    spec.label = NULL;
    s3up_manage_link_create(&gone, &m, "acme", &spec, &err, pool);
    put("b.pdf", 30, "alice");
    put("a.pdf", 10, apr_psprintf(pool, "link:%.12s", made->link->id));
    put("a (1).pdf", 20, "=?UTF-8?B?w6lsaXNl?=");
    put("photos/x.jpg", 50, apr_psprintf(pool, "link:%.12s", gone->link->id));
    put("photos/y.jpg", 5, NULL);
    s3up_manage_link_revoke(&m, "acme", gone->link->id, &err, pool);

    l = browse((s3up_files_query_t){0});
    is_str(order(l), "a (1).pdf,a.pdf,b.pdf,photos/x.jpg,photos/y.jpg", "by name");
    ok(l && l->totals.files == 5 && l->totals.bytes == 115 && l->totals.complete && l->next == -1,
       "the totals: 5 files, 115 bytes, one page");
    is_str(order(browse((s3up_files_query_t){.sort = S3UP_SORT_SIZE})),
           "photos/y.jpg,a.pdf,a (1).pdf,b.pdf,photos/x.jpg", "by size");
    is_str(order(browse((s3up_files_query_t){.sort = S3UP_SORT_SIZE, .descending = 1})),
           "photos/x.jpg,b.pdf,a (1).pdf,a.pdf,photos/y.jpg", "by size, largest first");
    is_str(order(browse((s3up_files_query_t){.sort = S3UP_SORT_ARRIVED, .descending = 1})),
           "photos/y.jpg,photos/x.jpg,a (1).pdf,a.pdf,b.pdf", "newest first");
    is_str(order(browse((s3up_files_query_t){.sort = S3UP_SORT_UPLOADER})),
           "b.pdf,a.pdf,a (1).pdf,photos/x.jpg,photos/y.jpg",
           "by uploader: alice, Legal team, élise, then those without a name");

    l = browse((s3up_files_query_t){.filter = "PDF"});
    is_str(order(l), "a (1).pdf,a.pdf,b.pdf", "filtered by name, any case");
    ok(l && l->totals.files == 3 && l->totals.bytes == 60, "the totals of what matched");

    l = browse((s3up_files_query_t){0});
    is_str(row(l, "b.pdf") ? row(l, "b.pdf")->by.name : NULL, "alice", "a member's file: its name");
    ok(row(l, "b.pdf") && !row(l, "b.pdf")->by.link_id, "(not a link)");
    is_str(row(l, "a.pdf") ? row(l, "a.pdf")->by.name : NULL, "Legal team",
           "a link's file: the link's label");
    is_str(row(l, "a.pdf") ? row(l, "a.pdf")->by.link_id : NULL, made->link->id,
           "and the link's whole id");
    is_str(row(l, "a (1).pdf") ? row(l, "a (1).pdf")->by.name : NULL, "\xc3\xa9lise",
           "a UTF-8 name, decoded");
    ok(row(l, "photos/x.jpg") && !row(l, "photos/x.jpg")->by.name &&
           row(l, "photos/x.jpg")->by.link_id,
       "a revoked link's file: a link, without a label");
    ok(row(l, "photos/y.jpg") && !row(l, "photos/y.jpg")->by.name &&
           !row(l, "photos/y.jpg")->by.link_id,
       "no metadata: unknown");
    is_str(row(l, "a (1).pdf") ? row(l, "a (1).pdf")->copy_of : NULL, "a.pdf",
           "a numbered copy names its original");
    ok(row(l, "a.pdf") && !row(l, "a.pdf")->copy_of, "the original names none");

    l = browse((s3up_files_query_t){.limit = 2});
    is_str(order(l), "a (1).pdf,a.pdf", "a page of two");
    ok(l && l->next == 2 && l->totals.files == 5, "the next page's place, the totals of all");
    l = browse((s3up_files_query_t){.limit = 2, .offset = 4});
    is_str(order(l), "photos/y.jpg", "the last page");
    ok(l && l->next == -1, "no page after it");
    forget_all();
    fake_s3_reset_counts(bed.f);
    browse((s3up_files_query_t){.limit = 2});
    is_int(fake_s3_calls(bed.f, "HeadObject"), 2, "only the page's files are asked who sent them");
    is_int(bed.f->batches, 1, "together");
    l = browse((s3up_files_query_t){.limit = 2});
    ok(l && row(l, "a.pdf") && row(l, "a.pdf")->by.name &&
           !strcmp(row(l, "a.pdf")->by.name, "Legal team"),
       "the same page again: described as before");
    is_int(fake_s3_calls(bed.f, "HeadObject"), 2, "from what the first time saw: no HEAD");
    put("a.pdf", 11, "bob");
    l = browse((s3up_files_query_t){.limit = 2});
    ok(l && row(l, "a.pdf") && row(l, "a.pdf")->by.name && !strcmp(row(l, "a.pdf")->by.name, "bob"),
       "a file written again is asked again: its new uploader");
    is_int(fake_s3_calls(bed.f, "HeadObject"), 3, "(one HEAD, that file's)");
    put("a.pdf", 10, apr_psprintf(pool, "link:%.12s", made->link->id));

    forget_all();
    fake_s3_reset_counts(bed.f);
    fake_s3_fail_next(bed.f, "HeadObject", 503, "SlowDown");
    fake_s3_drop_next(bed.f, "HeadObject");
    l = browse((s3up_files_query_t){.limit = 3});
    ok(l && row(l, "b.pdf") && row(l, "b.pdf")->by.name &&
           !strcmp(row(l, "b.pdf")->by.name, "alice") && row(l, "a.pdf") &&
           row(l, "a.pdf")->by.name,
       "a HEAD that failed (503, no answer) is sent again alone: every row described");
    is_int(fake_s3_calls(bed.f, "HeadObject"), 5, "3 together, 2 again");
    forget_all();
    fake_s3_fail_next(bed.f, "HeadObject", 403, "AccessDenied");
    ok(!browse((s3up_files_query_t){.limit = 3}), "a HEAD refused: the page fails");

    browse((s3up_files_query_t){.limit = 2});
    fake_s3_reset_counts(bed.f);
    l = browse((s3up_files_query_t){.limit = 2, .offset = 2});
    is_str(order(l), "b.pdf,photos/x.jpg", "the second page");
    l = browse((s3up_files_query_t){.limit = 2, .offset = 4, .filter = "Y"});
    ok(l && l->rows->nelts == 0 && l->totals.files == 1,
       "a later page, filtered: from the same listing");
    is_int(fake_s3_calls(bed.f, "ListObjectsV2"), 0,
           "the folder is listed once for its pages: the later ones read what the first kept");
    fake_bed_clock += apr_time_from_sec(31);
    l = browse((s3up_files_query_t){.limit = 2, .offset = 4});
    is_str(order(l), "photos/y.jpg", "the last page, after the cache's TTL");
    is_int(fake_s3_calls(bed.f, "ListObjectsV2"), 1, "lists the folder again");
}

static void test_folders(void)
{
    s3up_file_list_t *l = browse((s3up_files_query_t){.folders = 1});
    const s3up_file_row_t *f;
    s3up_error_t *err = NULL;

    is_str(order(l), "a (1).pdf,a.pdf,b.pdf", "folder view: the files at the top");
    ok(l && l->folders->nelts == 1, "and one folder");
    f = l && l->folders->nelts ? &APR_ARRAY_IDX(l->folders, 0, s3up_file_row_t) : NULL;
    ok(f && !strcmp(f->name, "photos/") && f->files == 2 && f->size == 55 && !f->key,
       "photos/: 2 files, 55 bytes");
    l = browse((s3up_files_query_t){.folders = 1, .sub = "photos"});
    is_str(order(l), "photos/x.jpg,photos/y.jpg", "inside the folder");
    ok(l && l->folders->nelts == 0, "(no folder below it)");
    ok(s3up_manage_browse(&l, &m, "acme", &(s3up_files_query_t){.sub = "../x", .limit = 5}, &err,
                          pool) == S3UP_EINPUT,
       "a climbing folder: refused");
    ok(s3up_manage_browse(&l, &m, "acme", &(s3up_files_query_t){.limit = 0}, &err, pool) ==
               S3UP_EINPUT &&
           s3up_manage_browse(&l, &m, "acme", &(s3up_files_query_t){.limit = 5, .offset = -1}, &err,
                              pool) == S3UP_EINPUT,
       "a bad page: refused");
    ok(s3up_manage_browse(&l, &m, "nope", &(s3up_files_query_t){.limit = 5}, &err, pool) ==
           S3UP_ENOTFOUND,
       "an unknown endpoint: 404");
}

/* What one process learned of the files, the others read from the
 * endpoint's facts object in the bucket. */
static void test_facts(void)
{
    const fake_s3_object_t *o;
    s3up_file_list_t *l;
    s3up_error_t *err = NULL;
    const char *bad;

    forget_all();
    browse((s3up_files_query_t){.limit = 2});
    o = fake_s3_find(bed.f, BUCKET, FACTS);
    ok(o && strstr(o->data, "uploads/acme/a (1).pdf\\t") &&
           strstr(o->data, "uploads/acme/a.pdf\\t") && !strstr(o->data, "b.pdf"),
       "a page's files asked: what they said is saved in the bucket");
    forget();
    fake_s3_reset_counts(bed.f);
    l = browse((s3up_files_query_t){.limit = 2});
    ok(l && row(l, "a (1).pdf") && row(l, "a (1).pdf")->by.name &&
           !strcmp(row(l, "a (1).pdf")->by.name, "\xc3\xa9lise"),
       "another process: the same page, described");
    ok(fake_s3_calls(bed.f, "HeadObject") == 0 && fake_s3_calls(bed.f, "PutObject") == 0,
       "from the facts object: no HEAD, nothing written");
    fake_s3_reset_counts(bed.f);
    browse((s3up_files_query_t){.limit = 5});
    ok(fake_s3_calls(bed.f, "HeadObject") == 3 && fake_s3_calls(bed.f, "PutObject") == 1,
       "the whole folder: the 3 files nobody asked yet are, and the object written again");
    forget();
    fake_s3_reset_counts(bed.f);
    browse((s3up_files_query_t){.limit = 5});
    is_int(fake_s3_calls(bed.f, "HeadObject"), 0, "another process: every file from the bucket");

    put("b.pdf", 31, "carol");
    fake_s3_remove(bed.f, BUCKET, "uploads/acme/photos/y.jpg");
    fake_s3_reset_counts(bed.f);
    l = browse((s3up_files_query_t){.limit = 5});
    ok(l && row(l, "b.pdf") && row(l, "b.pdf")->by.name &&
           !strcmp(row(l, "b.pdf")->by.name, "carol") && fake_s3_calls(bed.f, "HeadObject") == 1,
       "a file written again: asked again (one HEAD)");
    is_int(fake_s3_calls(bed.f, "PutObject"), 1, "... and the object written again");
    o = fake_s3_find(bed.f, BUCKET, FACTS);
    ok(o && !strstr(o->data, "photos/y.jpg") && strstr(o->data, "uploads/acme/b.pdf\\t") &&
           strstr(o->data, "carol\\n"),
       "with the new fact in, the gone file's out");
    forget();
    fake_s3_reset_counts(bed.f);
    browse((s3up_files_query_t){.limit = 5});
    is_int(fake_s3_calls(bed.f, "HeadObject"), 0,
           "another process: no HEAD, the changed file included");
    put("c.pdf", 1, "dave");
    put("d.pdf", 1, "erin");
    ok(o && !strstr(o->data, "alice"), "(the old version of the file's too)");

    bad = "{\"facts\":{\"x\":1}";
    fake_s3_put_object(bed.f, BUCKET, FACTS, bad, strlen(bad), NULL);
    forget();
    fake_s3_reset_counts(bed.f);
    l = browse((s3up_files_query_t){.limit = 10});
    ok(l && l->rows->nelts == 6 && fake_s3_calls(bed.f, "HeadObject") == 6 &&
           fake_s3_calls(bed.f, "PutObject") == 1,
       "a facts object that is not JSON: ignored, every file asked, the object written anew");
    o = fake_s3_find(bed.f, BUCKET, "uploads/acme/b.pdf");
    for (int shaped = 1; shaped >= 0; shaped--) {
        bad = s3up_json_dump(s3up_json_own(json_pack("{s:{s:s}}", "facts",
                                                     apr_psprintf(pool, "%s\t%s\t%" APR_TIME_T_FMT,
                                                                  o->key, o->etag, o->mtime),
                                                     shaped ? "mallory\n" : "no line break"),
                                           pool),
                             pool);
        fake_s3_put_object(bed.f, BUCKET, FACTS, bad, strlen(bad), NULL);
        forget();
        fake_s3_reset_counts(bed.f);
        l = browse((s3up_files_query_t){.limit = 10});
        if (shaped) {
            ok(l && row(l, "b.pdf") && row(l, "b.pdf")->by.name &&
                   !strcmp(row(l, "b.pdf")->by.name, "mallory") &&
                   fake_s3_calls(bed.f, "HeadObject") == 5,
               "(what the bucket's object says is taken as it is: it is the state's)");
        } else {
            ok(l && row(l, "b.pdf") && row(l, "b.pdf")->by.name &&
                   !strcmp(row(l, "b.pdf")->by.name, "carol") &&
                   fake_s3_calls(bed.f, "HeadObject") == 6,
               "a fact not of the cache's shape (no line break): ignored, the file asked");
        }
    }
    forget_all();
    fake_s3_reset_counts(bed.f);
    browse((s3up_files_query_t){.sub = "photos", .limit = 5});
    ok(fake_s3_calls(bed.f, "HeadObject") == 1 && fake_s3_calls(bed.f, "PutObject") == 0,
       "a folder inside: asked, but nothing saved (the object holds the whole endpoint's)");
    ok(s3up_store_facts_delete(&bed.store, "acme", &err, pool) == APR_SUCCESS &&
           !fake_s3_find(bed.f, BUCKET, FACTS),
       "the facts object goes with its endpoint");
}

/* A folder walked page by page: the facts object is read once by a process
 * and written now and then (a quarter more each time) and at the last
 * page, not at every page; a new process then asks nothing. */
static void test_facts_walk(void)
{
    s3up_endpoint_spec_t spec = {0};
    s3up_created_t *c;
    s3up_error_t *err;
    s3up_file_list_t *l;
    int pages = 0, heads;

    s3up_manage_create(&c, &m, "walk", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool);
    for (int i = 0; i < 100; i++) {
        apr_table_t *meta = apr_table_make(pool, 1);
        apr_table_setn(meta, "uploaded-by", "walker");
        fake_s3_put_object(bed.f, BUCKET, apr_psprintf(pool, "uploads/walk/f%03d", i), "x", 1,
                           meta);
    }
    forget();
    fake_s3_reset_counts(bed.f);
    for (int offset = 0; offset >= 0; offset = l ? l->next : -1, pages++) {
        l = NULL;
        s3up_manage_browse(&l, &m, "walk", &(s3up_files_query_t){.limit = 5, .offset = offset},
                           &err, pool);
    }
    is_int(pages, 20, "100 files walked in pages of 5");
    is_int(fake_s3_calls(bed.f, "HeadObject"), 100, "each file asked once");
    ok(fake_s3_calls(bed.f, "PutObject") == 10 && fake_s3_calls(bed.f, "GetObject") <= 2,
       "the facts object read once (with the endpoint's record) and written 10 times, not 20");
    forget();
    fake_s3_reset_counts(bed.f);
    for (int offset = 0; offset >= 0; offset = l ? l->next : -1) {
        l = NULL;
        s3up_manage_browse(&l, &m, "walk", &(s3up_files_query_t){.limit = 5, .offset = offset},
                           &err, pool);
    }
    heads = fake_s3_calls(bed.f, "HeadObject");
    ok(heads == 0 && fake_s3_calls(bed.f, "PutObject") == 0,
       "a new process walks it asking nothing, writing nothing (the last page wrote every fact)");
}

int main(void)
{
    s3up_endpoint_spec_t spec = {0};
    s3up_created_t *c;
    s3up_error_t *err;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    fake_bed_init(&bed, BUCKET, pool);
    s3up_manage_create(&c, &m, "acme", &spec, S3UP_EXISTING_REFUSE, 0, NULL, &err, pool);

    test_copy_base();
    test_list();
    test_folders();
    test_facts();
    test_facts_walk();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
