/*
 * Facts of an endpoint's files (what their metadata says, named by key,
 * ETag and time: see s3up_store_fact_get) kept in one object per endpoint
 * in the bucket's state, beside each process's cache. A listing of 10,000
 * files that nobody here has seen costs one GetObject, not 10,000 HEADs.
 */
#include <stdlib.h>

#include <apr_strings.h>

#include "s3up_json.h"
#include "s3up_store.h"

/* 10,000 files of long names and uploaders fit; past it nothing is kept. */
#define FACTS_MAX (16 * 1024 * 1024)

static const char *facts_key(const s3up_store_t *st, const char *id, apr_pool_t *p)
{
    return apr_pstrcat(p, st->prefix, "facts/", id, ".json", NULL);
}

/* A text as the cache keeps it: two lines, the second without a break. */
static int text_valid(const char *text)
{
    const char *nl = strchr(text, '\n');

    return nl && !strchr(nl + 1, '\n');
}

/* This process's note of how many facts the object held when it last read
 * or wrote it. */
static const char *note_name(const char *id, apr_pool_t *p)
{
    return apr_pstrcat(p, "facts/", id, NULL);
}

void s3up_store_facts_load(s3up_store_t *st, const char *id, apr_pool_t *p)
{
    s3up_body_t *body;
    s3up_error_t *err;
    const char *why, *name, *noted;
    json_t *j, *facts, *v;
    int n = 0;

    if (s3up_store_note_get(&noted, st, note_name(id, p), p)) {
        return;
    }
    if (s3up_s3_get(&body, st->s3, facts_key(st, id, p), FACTS_MAX, &err, p) == APR_SUCCESS &&
        s3up_json_parse(&j, body->data, body->len, FACTS_MAX, &why, p) == APR_SUCCESS &&
        json_is_object(facts = json_object_get(j, "facts"))) {
        json_object_foreach(facts, name, v)
        {
            if (json_is_string(v) && text_valid(json_string_value(v))) {
                s3up_store_fact_put(st, name, json_string_value(v), p);
                n++;
            }
        }
    }
    s3up_store_note_put(st, note_name(id, p), apr_itoa(p, n), p);
}

void s3up_store_facts_save(s3up_store_t *st, const char *id, const apr_array_header_t *names,
                           int finish, apr_pool_t *p)
{
    const char **known = apr_palloc(p, sizeof(*known) * (apr_size_t)(names->nelts + 1));
    const char *text, *noted;
    s3up_error_t *err;
    json_t *facts, *j;
    int held = 0, n = 0;

    for (int i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        known[i] = NULL;
        n += name && s3up_store_fact_get(&known[i], st, name, p);
    }
    if (s3up_store_note_get(&noted, st, note_name(id, p), p)) {
        held = atoi(noted);
    }
    if (!finish && n <= held + held / 4) {
        return;
    }
    facts = json_object();
    if (!(j = json_pack("{s:o}", "facts", facts))) {
        return;
    }
    s3up_json_own(j, p);
    for (int i = 0; i < names->nelts; i++) {
        json_t *v;
        /* A name or text that is not UTF-8 is left out: asked again. */
        if (known[i] && (v = json_string(known[i]))) {
            json_object_set_new(facts, APR_ARRAY_IDX(names, i, const char *), v);
        }
    }
    text = s3up_json_dump(j, p);
    if (text && strlen(text) <= FACTS_MAX &&
        s3up_s3_put(NULL, st->s3, facts_key(st, id, p), text, strlen(text), "application/json",
                    NULL, &err, p) == APR_SUCCESS) {
        s3up_store_note_put(st, note_name(id, p), apr_itoa(p, n), p);
    }
}

apr_status_t s3up_store_facts_delete(s3up_store_t *st, const char *id, s3up_error_t **err,
                                     apr_pool_t *p)
{
    return s3up_s3_delete(st->s3, facts_key(st, id, p), err, p);
}
