/*
 * The files of an endpoint as the admin pages list them: filtered by name,
 * sorted by any column, in pages, with folders, who uploaded each file and
 * which file a numbered copy was made beside.
 *
 * S3 lists keys in one order only, so the folder is listed whole (up to
 * S3UP_MANAGE_FILES_MAX files) and the rest happens here. The pages after
 * the first (a cursor) read the listing the first page kept in this
 * process's store cache, for S3UpCacheTTL: a folder of 10,000 files is
 * listed once, not once per page. Who uploaded a file is in its
 * metadata, which only a HEAD tells: asked for the page's files
 * (HEADS_AT_ONCE at a time), or for every file when sorting by uploader,
 * and kept for the file's key, ETag and time (which change when the file
 * does) in the store cache and in the endpoint's facts object in the
 * bucket, so listing the folder again asks nothing, in any process.
 */
#include <apr_base64.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "s3up_keys.h"
#include "s3up_manage.h"
#include "s3up_manage_int.h"

#define LINK_OWNER "link:"
#define LINK_ID_SHOWN 12 /* hex digits of a link id in its uploads' metadata */
/* HEADs of a page in flight together: a page of 100 files costs the time
 * of ~7 HEADs rather than 100 (the store answers them side by side). */
#define HEADS_AT_ONCE 16

typedef struct browse_t {
    s3up_manage_t *m;
    const s3up_endpoint_t *ep;
    const s3up_files_query_t *q;
    const char *base; /* the listed prefix */
    apr_array_header_t *rows;
    apr_hash_t *folders; /* name -> s3up_file_row_t * */
    apr_hash_t *names;   /* every file's name -> its version_t */
    s3up_totals_t *totals;
    apr_array_header_t *links; /* the endpoint's link records, once read */
    int facts_read;            /* the endpoint's facts object, once */
    apr_pool_t *p;
} browse_t;

/* Whether name contains part, ASCII letters in any case. */
static int contains(const char *name, const char *part)
{
    apr_size_t n = strlen(part);

    for (; *name; name++) {
        if (!strncasecmp(name, part, n)) {
            return 1;
        }
    }
    return n == 0;
}

/* Which version of a file a listing saw. */
typedef struct version_t {
    const char *etag; /* NULL: none given */
    apr_time_t time;
} version_t;

/* The name of a fact about a file: its key, ETag and time. */
static const char *fact_name(const char *key, const char *etag, apr_time_t time, apr_pool_t *p)
{
    return etag ? apr_psprintf(p, "%s\t%s\t%" APR_TIME_T_FMT, key, etag, time) : NULL;
}

static const char *row_fact(const s3up_file_row_t *row, apr_pool_t *p)
{
    return fact_name(row->key, row->etag, row->last_modified, p);
}

static apr_status_t add_object(void *baton, const char *key, const void *item)
{
    browse_t *b = baton;
    const s3up_object_t *o = item;
    const char *name = key + strlen(b->ep->prefix), *below = key + strlen(b->base);
    const char *slash = strchr(below, '/');
    s3up_file_row_t *row;

    version_t *v = apr_palloc(b->p, sizeof(*v));

    v->etag = o->etag ? apr_pstrdup(b->p, o->etag) : NULL;
    v->time = o->last_modified;
    apr_hash_set(b->names, apr_pstrdup(b->p, name), APR_HASH_KEY_STRING, v);
    if (b->q->filter && !contains(name, b->q->filter)) {
        return APR_SUCCESS;
    }
    b->totals->files++;
    b->totals->bytes += o->size;
    if (b->q->folders && slash) {
        const char *folder = apr_pstrndup(b->p, name, (apr_size_t)(slash + 1 - name));
        row = apr_hash_get(b->folders, folder, APR_HASH_KEY_STRING);
        if (!row) {
            row = apr_pcalloc(b->p, sizeof(*row));
            row->name = folder;
            apr_hash_set(b->folders, folder, APR_HASH_KEY_STRING, row);
        }
        row->files++;
        row->size += o->size;
        row->last_modified =
            o->last_modified > row->last_modified ? o->last_modified : row->last_modified;
        return APR_SUCCESS;
    }
    row = apr_array_push(b->rows);
    memset(row, 0, sizeof(*row));
    row->key = apr_pstrdup(b->p, key);
    row->name = row->key + strlen(b->ep->prefix);
    row->size = o->size;
    row->last_modified = o->last_modified;
    row->etag = o->etag ? apr_pstrdup(b->p, o->etag) : NULL;
    return APR_SUCCESS;
}

/* A listing being read from S3: each object to add_object, and a line of
 * it kept ("key\tsize\tmtime\tetag") for the pages after this one. */
typedef struct keep_t {
    browse_t *b;
    apr_array_header_t *lines;
    int keep; /* 0: a key holds a tab or a line break, so nothing is kept */
    int seen;
} keep_t;

/* What add_and_keep says past S3UP_MANAGE_FILES_MAX files: enough. */
#define ENOUGH APR_INCOMPLETE

static apr_status_t add_and_keep(void *baton, const char *key, const void *item)
{
    keep_t *k = baton;
    const s3up_object_t *o = item;

    if (++k->seen > S3UP_MANAGE_FILES_MAX) {
        return ENOUGH;
    }
    if (strpbrk(key, "\t\n") || (o->etag && strpbrk(o->etag, "\t\n"))) {
        k->keep = 0;
    } else if (k->keep) {
        APR_ARRAY_PUSH(k->lines, const char *) =
            apr_psprintf(k->b->p, "%s\t%" APR_OFF_T_FMT "\t%" APR_TIME_T_FMT "\t%s", key, o->size,
                         o->last_modified, o->etag ? o->etag : "");
    }
    return add_object(k->b, key, item);
}

/* A kept listing: "complete\n", then a line per object. */
static apr_status_t add_kept(browse_t *b, char *text, int *complete)
{
    char *next = strchr(text, '\n');

    *complete = *text == '1';
    while (next) {
        char *line = next + 1, *size, *mtime, *etag;
        s3up_object_t o = {0};

        if ((next = strchr(line, '\n')) != NULL) {
            *next = '\0';
        }
        size = strchr(line, '\t');
        mtime = size ? strchr(size + 1, '\t') : NULL;
        etag = mtime ? strchr(mtime + 1, '\t') : NULL;
        if (!etag) {
            continue;
        }
        *size++ = '\0';
        *mtime++ = '\0';
        *etag++ = '\0';
        o.key = line;
        o.etag = *etag ? etag : NULL;
        o.size = (apr_off_t)apr_strtoi64(size, NULL, 10);
        o.last_modified = (apr_time_t)apr_strtoi64(mtime, NULL, 10);
        add_object(b, line, &o);
    }
    return APR_SUCCESS;
}

/* The folder's objects through add_object: on a later page, from the
 * listing an earlier one kept; else from S3, kept for the next pages. Up to
 * S3UP_MANAGE_FILES_MAX files, however many pages S3 gives them in (RGW's
 * pages may hold fewer than the 1,000 keys asked for). */
static apr_status_t list_folder(browse_t *b, int *complete, s3up_error_t **err)
{
    keep_t k = {b, NULL, 1, 0};
    apr_time_t listed = b->m->s3->aws.now();
    const char *text;
    apr_status_t rv;

    if (b->q->offset > 0 && s3up_store_listing_get(&text, b->m->store, b->base, b->p)) {
        return add_kept(b, (char *)text, complete);
    }
    k.lines = apr_array_make(b->p, 256, sizeof(const char *));
    rv = s3up_s3_each(b->m->s3, S3UP_S3_OBJECTS, b->base, 2 * S3UP_MANAGE_FILES_MAX / 1000,
                      complete, add_and_keep, &k, err, b->p);
    if (rv == ENOUGH) {
        *complete = 0;
        rv = APR_SUCCESS;
    }
    if (rv == APR_SUCCESS && k.keep) {
        text = apr_pstrcat(b->p, *complete ? "1\n" : "0\n", apr_array_pstrcat(b->p, k.lines, '\n'),
                           NULL);
        s3up_store_listing_put(b->m->store, b->base, text, listed, b->p);
    }
    return rv;
}

const char *s3up_manage_copy_base(const char *name, apr_pool_t *p)
{
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    const char *dot = strrchr(base, '.');
    const char *end = dot && dot != base ? dot : name + strlen(name);
    const char *open;

    /* "{stem} ({n})" just before the end: n from 1, no leading zero. */
    if (end - base < 5 || end[-1] != ')') {
        return NULL;
    }
    for (open = end - 2; open > base && apr_isdigit(*open); open--) {
    }
    if (open == end - 2 || *open != '(' || open[1] == '0' || open - base < 2 || open[-1] != ' ') {
        return NULL;
    }
    return apr_pstrcat(p, apr_pstrndup(p, name, (apr_size_t)(open - 1 - name)), end, NULL);
}

/* A metadata value as s3up_uploads_meta_value wrote it: plain ASCII, or
 * "=?UTF-8?B?{base64}?=". */
static const char *meta_text(const char *v, apr_pool_t *p)
{
    apr_size_t n = v ? strlen(v) : 0;
    char *plain;
    int len;

    if (n < 12 || strncmp(v, "=?UTF-8?B?", 10) || strcmp(v + n - 2, "?=")) {
        return v;
    }
    plain = apr_palloc(p, apr_base64_decode_len(apr_pstrndup(p, v + 10, n - 12)) + 1);
    len = apr_base64_decode(plain, apr_pstrndup(p, v + 10, n - 12));
    plain[len < 0 ? 0 : len] = '\0';
    return plain;
}

/* A link's uploads name it "link:{first 12 hex digits of its id}". */
static void uploader_of(s3up_uploader_t *by, browse_t *b, const char *owner)
{
    s3up_error_t *ignored;
    apr_array_header_t *ids;

    by->name = owner;
    if (!owner || strncmp(owner, LINK_OWNER, strlen(LINK_OWNER))) {
        return;
    }
    by->link_id = owner + strlen(LINK_OWNER);
    by->name = NULL;
    if (!b->links) {
        b->links = apr_array_make(b->p, 4, sizeof(s3up_link_t *));
        if (s3up_store_endpoint_links(&ids, b->m->store, b->ep->id, &ignored, b->p) ==
            APR_SUCCESS) {
            for (int i = 0; i < ids->nelts; i++) {
                s3up_link_t *l;
                if (s3up_store_link_get(&l, b->m->store, APR_ARRAY_IDX(ids, i, const char *),
                                        &ignored, b->p) == APR_SUCCESS) {
                    APR_ARRAY_PUSH(b->links, s3up_link_t *) = l;
                }
            }
        }
    }
    for (int i = 0; i < b->links->nelts; i++) {
        const s3up_link_t *l = APR_ARRAY_IDX(b->links, i, s3up_link_t *);
        if (strlen(by->link_id) == LINK_ID_SHOWN && !strncmp(l->id, by->link_id, LINK_ID_SHOWN)) {
            by->link_id = l->id;
            by->name = l->label;
        }
    }
}

/* What a file's metadata says of it: who uploaded it, its checksum. */
static void describe(s3up_file_row_t *row, browse_t *b, const char *by, const char *sum)
{
    uploader_of(&row->by, b, meta_text(by, b->p));
    row->checksum = sum ? apr_pstrcat(b->p, "sha256:", sum, NULL) : NULL;
}

/* Describe row from what this process knows of its file: 0 if nothing. */
static int describe_known(s3up_file_row_t *row, browse_t *b)
{
    const char *name = row_fact(row, b->p), *known;
    char *sum;

    if (!name || !s3up_store_fact_get(&known, b->m->store, name, b->p)) {
        return 0;
    }
    sum = strchr(known, '\n');
    *sum++ = '\0';
    describe(row, b, *known ? known : NULL, *sum ? sum : NULL);
    return 1;
}

/* The endpoint's facts saved in the bucket, with those just learned: only
 * from a listing of the whole folder (its names are every file's); at its
 * last page (finish) for sure. */
static void save_facts(browse_t *b, int finish)
{
    apr_array_header_t *names;

    if (!b->totals->complete || strcmp(b->base, b->ep->prefix)) {
        return;
    }
    names = apr_array_make(b->p, (int)apr_hash_count(b->names), sizeof(const char *));
    for (apr_hash_index_t *hi = apr_hash_first(b->p, b->names); hi; hi = apr_hash_next(hi)) {
        const version_t *v = apr_hash_this_val(hi);
        APR_ARRAY_PUSH(names, const char *) =
            fact_name(apr_pstrcat(b->p, b->ep->prefix, (const char *)apr_hash_this_key(hi), NULL),
                      v->etag, v->time, b->p);
    }
    s3up_store_facts_save(b->m->store, b->ep->id, names, finish, b->p);
}

/* Who uploaded each of rows' files and its checksum, from their metadata:
 * what this process saw of the same key, ETag and time before, else what
 * the endpoint's facts object says (read once), else HEADs, HEADS_AT_ONCE
 * in flight together, and then the facts object is written again. A file
 * gone meanwhile keeps its row, with neither. */
static apr_status_t describe_all(s3up_file_row_t **rows, int n, browse_t *b, int finish,
                                 s3up_error_t **err)
{
    apr_size_t m = (apr_size_t)(n > 0 ? n : 1);
    const char **keys = apr_palloc(b->p, sizeof(*keys) * m);
    s3up_file_row_t **asked = apr_palloc(b->p, sizeof(*asked) * m);
    s3up_object_t **objs = apr_palloc(b->p, sizeof(*objs) * m);
    apr_status_t *rvs = apr_palloc(b->p, sizeof(*rvs) * m);
    s3up_error_t **errs = apr_pcalloc(b->p, sizeof(*errs) * m);
    int k = 0, learned = 0;

    for (int i = 0; i < n; i++) {
        if (!describe_known(rows[i], b)) {
            asked[k++] = rows[i];
        }
    }
    if (k && !b->facts_read) {
        int still = 0;
        b->facts_read = 1;
        s3up_store_facts_load(b->m->store, b->ep->id, b->p);
        for (int i = 0; i < k; i++) {
            if (!describe_known(asked[i], b)) {
                asked[still++] = asked[i];
            }
        }
        k = still;
    }
    for (int i = 0; i < k; i++) {
        keys[i] = asked[i]->key;
    }
    s3up_s3_head_all(objs, rvs, errs, b->m->s3, keys, k, HEADS_AT_ONCE, b->p);
    for (int i = 0; i < k; i++) {
        const char *by, *sum, *name = row_fact(asked[i], b->p);
        if (rvs[i] == S3UP_ENOTFOUND) {
            continue;
        }
        if (rvs[i] != APR_SUCCESS) {
            *err = errs[i];
            return rvs[i];
        }
        by = apr_table_get(objs[i]->meta, "uploaded-by");
        sum = apr_table_get(objs[i]->meta, "sha256");
        describe(asked[i], b, by, sum);
        if (name && objs[i]->etag && !strcmp(objs[i]->etag, asked[i]->etag) &&
            !strpbrk(by ? by : "", "\n") && !strpbrk(sum ? sum : "", "\n")) {
            s3up_store_fact_put(b->m->store, name,
                                apr_pstrcat(b->p, by ? by : "", "\n", sum ? sum : "", NULL), b->p);
            learned++;
        }
    }
    if (learned) {
        save_facts(b, finish);
    }
    return APR_SUCCESS;
}

/* Every row of an array of them, for describe_all. */
static s3up_file_row_t **rows_of(apr_array_header_t *rows, apr_pool_t *p)
{
    s3up_file_row_t **out = apr_palloc(p, sizeof(*out) * (apr_size_t)(rows->nelts + 1));

    for (int i = 0; i < rows->nelts; i++) {
        out[i] = &APR_ARRAY_IDX(rows, i, s3up_file_row_t);
    }
    return out;
}

/* Names as people read them: ASCII letters in any case, then exactly. */
static int cmp_text(const char *x, const char *y)
{
    int c = strcasecmp(x, y);
    return c ? c : strcmp(x, y);
}

/* Known uploaders first. */
static int cmp_uploader(const char *x, const char *y)
{
    if (!x || !y) {
        return !x - !y;
    }
    return cmp_text(x, y);
}

static int cmp_time(apr_time_t x, apr_time_t y)
{
    return x < y ? -1 : x > y;
}

/* qsort takes no baton: the order of the sort running in this thread. */
static __thread s3up_sort_e sort_by;

static int cmp_rows(const void *a, const void *b)
{
    const s3up_file_row_t *x = a, *y = b;
    int c = 0;

    switch (sort_by) {
    case S3UP_SORT_SIZE:
        c = x->size < y->size ? -1 : x->size > y->size;
        break;
    case S3UP_SORT_ARRIVED:
        c = cmp_time(x->last_modified, y->last_modified);
        break;
    case S3UP_SORT_UPLOADER:
        c = cmp_uploader(x->by.name, y->by.name);
        break;
    case S3UP_SORT_NAME:
        break;
    }
    return c ? c : cmp_text(x->name, y->name);
}

static int cmp_rows_desc(const void *a, const void *b)
{
    return cmp_rows(b, a);
}

void s3up_manage_sort(apr_array_header_t *rows, s3up_sort_e sort, int descending)
{
    sort_by = sort;
    qsort(rows->elts, rows->nelts, sizeof(s3up_file_row_t), descending ? cmp_rows_desc : cmp_rows);
}

static void folders_of(s3up_file_list_t *out, browse_t *b)
{
    out->folders = apr_array_make(b->p, (int)apr_hash_count(b->folders), sizeof(s3up_file_row_t));
    for (apr_hash_index_t *hi = apr_hash_first(b->p, b->folders); hi; hi = apr_hash_next(hi)) {
        *(s3up_file_row_t *)apr_array_push(out->folders) =
            *(const s3up_file_row_t *)apr_hash_this_val(hi);
    }
    s3up_manage_sort(out->folders, b->q->sort == S3UP_SORT_UPLOADER ? S3UP_SORT_NAME : b->q->sort,
                     b->q->descending);
}

/* The rows of one page, each described (every row was, when sorting by
 * uploader), and the original beside each numbered copy. */
static apr_status_t page_of(s3up_file_list_t *out, browse_t *b, int described, s3up_error_t **err)
{
    const s3up_files_query_t *q = b->q;
    int from = q->offset < b->rows->nelts ? q->offset : b->rows->nelts;
    int to = from + q->limit < b->rows->nelts ? from + q->limit : b->rows->nelts;
    apr_status_t rv;

    out->rows = apr_array_make(b->p, to - from, sizeof(s3up_file_row_t));
    for (int i = from; i < to; i++) {
        *(s3up_file_row_t *)apr_array_push(out->rows) = APR_ARRAY_IDX(b->rows, i, s3up_file_row_t);
    }
    if (!described && (rv = describe_all(rows_of(out->rows, b->p), out->rows->nelts, b,
                                         to == b->rows->nelts, err)) != APR_SUCCESS) {
        return rv;
    }
    for (int i = 0; i < out->rows->nelts; i++) {
        s3up_file_row_t *row = &APR_ARRAY_IDX(out->rows, i, s3up_file_row_t);
        const char *orig = s3up_manage_copy_base(row->name, b->p);
        row->copy_of = orig && apr_hash_get(b->names, orig, APR_HASH_KEY_STRING) ? orig : NULL;
    }
    out->next = to < b->rows->nelts ? to : -1;
    return APR_SUCCESS;
}

apr_status_t s3up_manage_browse(s3up_file_list_t **out, s3up_manage_t *m, const char *id,
                                const s3up_files_query_t *q, s3up_error_t **err, apr_pool_t *p)
{
    s3up_file_list_t *list = apr_pcalloc(p, sizeof(*list));
    browse_t b = {.m = m, .q = q, .p = p, .totals = &list->totals};
    const char *rel = "", *why;
    s3up_endpoint_t *ep;
    apr_status_t rv;

    if (q->offset < 0 || q->limit < 1 || q->limit > S3UP_MANAGE_PAGE_MAX) {
        return s3up_failf(err, S3UP_EINPUT, "BadRequest", p,
                          "cursor: a place in the list; limit: 1 to %d", S3UP_MANAGE_PAGE_MAX);
    }
    if ((rv = s3up_manage_endpoint(&ep, m, id, err, p)) != APR_SUCCESS) {
        return rv;
    }
    if (q->sub && *q->sub && s3up_keys_relpath(&rel, q->sub, &why, p) != APR_SUCCESS) {
        return s3up_failf(err, S3UP_EINPUT, "InvalidKey", p, "prefix: %s", why);
    }
    b.ep = ep;
    /* A folder view's prefix is a folder: "a" lists "a/...", not "ab". */
    b.base = apr_pstrcat(p, ep->prefix, rel, q->folders && *rel ? "/" : "", NULL);
    b.rows = apr_array_make(p, 64, sizeof(s3up_file_row_t));
    b.folders = apr_hash_make(p);
    b.names = apr_hash_make(p);
    if ((rv = list_folder(&b, &list->totals.complete, err)) != APR_SUCCESS) {
        return rv;
    }
    if (q->sort == S3UP_SORT_UPLOADER) {
        if (b.rows->nelts > S3UP_MANAGE_UPLOADERS_MAX) {
            return s3up_failf(err, S3UP_EINPUT, "BadRequest", p,
                              "sort=uploaded_by: at most %d files; filter them first",
                              S3UP_MANAGE_UPLOADERS_MAX);
        }
        if ((rv = describe_all(rows_of(b.rows, p), b.rows->nelts, &b, 1, err)) != APR_SUCCESS) {
            return rv;
        }
    }
    s3up_manage_sort(b.rows, q->sort, q->descending);
    folders_of(list, &b);
    list->folder = ep->prefix;
    if ((rv = page_of(list, &b, q->sort == S3UP_SORT_UPLOADER, err)) != APR_SUCCESS) {
        return rv;
    }
    *out = list;
    return APR_SUCCESS;
}
