/*
 * Tables in shared memory behind a global mutex.
 */
#include <util_mutex.h>

#include "mod_s3up_shared.h"

void s3up_shared_register(s3up_shared_t *sh, apr_pool_t *pconf)
{
    ap_mutex_register(pconf, sh->name, NULL, APR_LOCK_DEFAULT, 0);
}

apr_status_t s3up_shared_create(s3up_shared_t *sh, server_rec *s, apr_pool_t *pconf)
{
    apr_status_t rv = apr_shm_create(&sh->shm, sh->size, NULL, pconf);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    memset(apr_shm_baseaddr_get(sh->shm), 0, sh->size);
    return ap_global_mutex_create(&sh->mutex, NULL, sh->name, NULL, s, pconf, 0);
}

apr_status_t s3up_shared_child_init(s3up_shared_t *sh, apr_pool_t *pchild)
{
    return apr_global_mutex_child_init(&sh->mutex, apr_global_mutex_lockfile(sh->mutex), pchild);
}

void *s3up_shared_base(s3up_shared_t *sh)
{
    return apr_shm_baseaddr_get(sh->shm);
}

void s3up_shared_lock(void *baton, int on)
{
    s3up_shared_t *sh = baton;

    if (on) {
        apr_global_mutex_lock(sh->mutex);
    } else {
        apr_global_mutex_unlock(sh->mutex);
    }
}
