/*
 * A table in shared memory that all of httpd's processes see, behind a
 * global mutex: the passcode tries of a server, the parts of each upload
 * being passed on to S3. Registered in pre_config, made (zeroed) in
 * post_config, attached in each child's child_init.
 */
#ifndef MOD_S3UP_SHARED_H
#define MOD_S3UP_SHARED_H

#include <apr_global_mutex.h>
#include <apr_shm.h>
#include <httpd.h>

typedef struct s3up_shared_t {
    const char *name; /* of the mutex, for httpd's Mutex directive */
    apr_size_t size;
    apr_shm_t *shm;
    apr_global_mutex_t *mutex;
} s3up_shared_t;

void s3up_shared_register(s3up_shared_t *sh, apr_pool_t *pconf);
apr_status_t s3up_shared_create(s3up_shared_t *sh, server_rec *s, apr_pool_t *pconf);
apr_status_t s3up_shared_child_init(s3up_shared_t *sh, apr_pool_t *pchild);

/* The table's memory. */
void *s3up_shared_base(s3up_shared_t *sh);

/* Lock (on) or unlock the table: baton is the s3up_shared_t (the shape of
 * s3up_limit_lock_fn). */
void s3up_shared_lock(void *baton, int on);

#endif /* MOD_S3UP_SHARED_H */
