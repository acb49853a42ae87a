/*
 * The primitives the store's files share (not for use outside the store):
 * small JSON records of the state prefix, read through the process cache
 * and written with conditions.
 */
#ifndef S3UP_STORE_RECORDS_H
#define S3UP_STORE_RECORDS_H

#include <jansson.h>

#include "s3up_store.h"

/* Longest record the store reads. */
#define S3UP_RECORD_MAX (64 * 1024)

/* A record's text and version: from the cache while fresh (fresh = 0), or
 * from S3 (fresh = 1), which refreshes the cache. S3UP_ENOTFOUND, *err left
 * alone, when there is none. serial names the cache entry (may be NULL). */
apr_status_t s3up_record_get(const char **text, const char **etag, apr_uint64_t *serial,
                             s3up_store_t *st, const char *key, int fresh, s3up_error_t **err,
                             apr_pool_t *p);

/* A conditional write (cond may be NULL). When S3 fails without saying
 * whether it took (a 5xx: Ceph answers 500 when two conditional writes
 * race), the record itself tells: ours, or someone else's (S3UP_ECONFLICT).
 * The cache is not touched. etag may be NULL. */
apr_status_t s3up_record_put(const char **etag, s3up_store_t *st, const char *key, const char *text,
                             const s3up_put_cond_t *cond, s3up_error_t **err, apr_pool_t *p);

/* Forget key in this process's cache only: for records whose readers can
 * tell a stale copy themselves (an upload record names its upload). */
void s3up_record_forget_here(s3up_store_t *st, const char *key);

/* Forget key (or the index below prefix) in every process here. */
void s3up_record_forget(s3up_store_t *st, const char *key, apr_pool_t *p);
void s3up_record_index_forget(s3up_store_t *st, const char *prefix, apr_pool_t *p);

/* Delete the record at key and its entry id in the index below index, and
 * forget both in every process here (also when a delete failed). */
apr_status_t s3up_record_delete_indexed(s3up_store_t *st, const char *key, const char *index,
                                        const char *id, s3up_error_t **err, apr_pool_t *p);

/* The names of the empty objects under an index prefix that pass valid,
 * sorted, from the cache while fresh. */
apr_status_t s3up_record_index(apr_array_header_t **ids, s3up_store_t *st, const char *prefix,
                               int (*valid)(const char *), s3up_error_t **err, apr_pool_t *p);

/* The connection's memo slot for a record read from the cache entry
 * `serial` (slot is st->memo's, or NULL with no memo), and what it holds
 * from that very entry in *kept (NULL: parse into the slot's pool, emptied
 * here, then s3up_memo_keep). NULL, with *kept NULL, when there is no memo
 * or serial is 0: parse into the caller's pool. */
s3up_store_memo_slot_t *s3up_memo_slot(void **kept, s3up_store_memo_slot_t *slot,
                                       const s3up_store_t *st, apr_uint64_t serial);
void s3up_memo_keep(s3up_store_memo_slot_t *slot, const s3up_store_t *st, apr_uint64_t serial,
                    void *value);

/* An optional time field: null or absent is 0; else ISO 8601. */
apr_status_t s3up_record_time(apr_time_t *out, const json_t *v);

/* An error of the store's own, in S3's shape. */
s3up_error_t *s3up_record_error(apr_status_t status, const char *code, const char *message,
                                apr_pool_t *p);

/* Hex sha256 of s: how names are turned into keys. */
const char *s3up_record_hash(const char *s, apr_pool_t *p);

#endif /* S3UP_STORE_RECORDS_H */
