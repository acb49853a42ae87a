/*
 * A board where httpd's processes leave texts for each other: a few
 * slots, each holding a name, when its text was made, the store's
 * generation then (s3up_store_cache_share) and the text. The admin file
 * list leaves a folder's listing there, so that its next page, served by
 * another process, need not list the folder again.
 *
 * The board lives in memory the caller provides (shared memory for
 * httpd), with a lock around each use (a global mutex). Fixed size: a new
 * name takes the oldest slot; a text longer than a slot is not left.
 */
#ifndef S3UP_BOARD_H
#define S3UP_BOARD_H

#include "s3up.h"

#define S3UP_BOARD_NAME_MAX 255 /* longer names are not left */

typedef struct s3up_board_t s3up_board_t;

typedef void s3up_board_lock_fn(void *baton, int lock);

/* Bytes of memory a board of `slots` texts of up to text_max bytes needs. */
apr_size_t s3up_board_size(int slots, apr_size_t text_max);

/* Make mem (s3up_board_size bytes) an empty board, touching only the
 * slots' heads (the texts' pages stay untouched until used). */
void s3up_board_clear(void *mem, int slots, apr_size_t text_max);

/* A board over mem, made by s3up_board_clear. lock may be NULL within one
 * process and thread. */
s3up_board_t *s3up_board_attach(void *mem, int slots, apr_size_t text_max, s3up_board_lock_fn *lock,
                                void *baton, apr_pool_t *p);

/* Leave text under name, made at `made` in the given generation, in place
 * of what name held, else of the oldest slot. 0 when it was not left (too
 * long a name or text). */
int s3up_board_put(s3up_board_t *b, const char *name, const char *text, apr_time_t made,
                   apr_uint32_t generation);

/* The text left under name, copied into p, if it was made at or after
 * `since` and in `generation`; its time in *made. 0 when there is none. */
int s3up_board_get(const char **text, apr_time_t *made, s3up_board_t *b, const char *name,
                   apr_time_t since, apr_uint32_t generation, apr_pool_t *p);

#endif /* S3UP_BOARD_H */
