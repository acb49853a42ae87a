/*
 * mod_s3up: httpd as a portal for receiving huge files into an S3 bucket.
 *
 * Glue only: the module record, the log bridge to the core, and the
 * configuration check run by `apachectl configtest` and at every (re)start.
 * Directives live in src/mod_s3up_config.c, the S3 work in src/s3up_*.c.
 */
#include <apr_fnmatch.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include <ap_expr.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_request.h>
#include <util_cfgtree.h>

#include "s3up.h"
#include "s3up_xml.h"
#include "mod_s3up_config.h"
#include "mod_s3up_creds.h"
#include "mod_s3up_handler.h"
#include "mod_s3up_notify.h"
#include "mod_s3up_request.h"
#include "mod_s3up_shared.h"
#include "mod_s3up_upload.h"

static void s3up_register_hooks(apr_pool_t *p);

/* The module record is the one symbol httpd looks up: everything else is
 * built hidden (-fvisibility=hidden), so that no function of ours can
 * collide with another module's or a library's of the same name. */
extern module AP_MODULE_DECLARE_DATA __attribute__((visibility("default"))) s3up_module;

AP_DECLARE_MODULE(s3up) = {
    STANDARD20_MODULE_STUFF, s3up_conf_create_dir, s3up_conf_merge_dir,
    s3up_conf_create_srv,    s3up_conf_merge_srv,  s3up_cmds,
    s3up_register_hooks,     AP_MODULE_FLAG_NONE,
};

/* ------------------------------------------------------------------------
 * log bridge: the core logs through s3up_log(), which lands here
 */

static void s3up_log_bridge(void *baton, int level, apr_status_t rv, const char *msg)
{
    server_rec *s = baton;

    ap_log_error(APLOG_MARK, level, rv, s, "%s", msg);
}

static void s3up_log_attach(server_rec *s)
{
    s3up_log_set(s3up_log_bridge, s, ap_get_server_module_loglevel(s, APLOG_MODULE_INDEX));
}

/* ------------------------------------------------------------------------
 * configuration check
 *
 * httpd merges a request's configuration from the server defaults and every
 * section matching its URL. At configtest there is no request, so for each
 * <Location>/<Directory> whose handler is ours we rebuild that merge for the
 * section's own path: the server's defaults, then, in httpd's order, every
 * section that would match that path (the section itself included), merged
 * with httpd's own ap_merge_per_dir_configs. Regex or wildcard sections have
 * no single path and are checked merged over the server defaults alone.
 */

typedef struct {
    server_rec *s;
    apr_pool_t *p;
    apr_hash_t *set_handlers; /* "file:line" -> SetHandler argument */
    apr_hash_t *reported;     /* one report per section and problem */
    int errors;
} s3up_check_t;

/* SetHandler keeps its argument as an ap_expr whose parse tree is private
 * to httpd, but it remembers the file and line it came from: find the
 * directive there in the configuration tree and read its argument. */
static void collect_set_handlers(apr_hash_t *h, const ap_directive_t *d, apr_pool_t *p)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "SetHandler") && d->args && d->filename) {
            const char *args = d->args;
            apr_hash_set(h, apr_psprintf(p, "%s:%d", d->filename, d->line_num), APR_HASH_KEY_STRING,
                         ap_getword_conf(p, &args));
        }
        collect_set_handlers(h, d->first_child, p);
    }
}

static const char *handler_of(const s3up_check_t *ck, const core_dir_config *core)
{
    if (core->expr_handler && core->expr_handler->filename) {
        return apr_hash_get(ck->set_handlers,
                            apr_psprintf(ck->p, "%s:%u", core->expr_handler->filename,
                                         core->expr_handler->line_number),
                            APR_HASH_KEY_STRING);
    }
    return core->handler;
}

/* Would a request for path (a literal section path) be merged with the
 * section `other`? The same tests as httpd's location and directory walks. */
static int section_matches(const core_dir_config *other, const char *path, int is_location)
{
    apr_size_t len;

    if (other->r) {
        return !ap_regexec(other->r, path, 0, NULL, 0);
    }
    if (other->d_is_fnmatch) {
        return apr_fnmatch(other->d, path, APR_FNM_PATHNAME) == APR_SUCCESS;
    }
    len = strlen(other->d);
    if (strncmp(other->d, path, len)) {
        return 0;
    }
    /* <Location /up> matches /up and /up/..., not /upper; directory paths
     * end with '/' already. */
    return !is_location || len == 0 || other->d[len - 1] == '/' || path[len] == '/' ||
           path[len] == '\0';
}

static const char *where(const s3up_check_t *ck, const core_dir_config *core, int is_location)
{
    const char *kind = is_location ? "Location" : "Directory";
    const char *section =
        core ? apr_psprintf(ck->p, "<%s%s %s>", kind, core->r ? "Match" : "", core->d)
             : "the server config";

    if (ck->s->is_virtual) {
        return apr_psprintf(ck->p, "%s of the <VirtualHost> at %s:%u", section,
                            ck->s->defn_name ? ck->s->defn_name : "?", ck->s->defn_line_number);
    }
    return section;
}

static void check_one(s3up_check_t *ck, const void *key, ap_conf_vector_t *merged,
                      const s3up_dir_conf_t *own, const core_dir_config *core, int is_location)
{
    const char *handler = handler_of(ck, ap_get_core_module_config(merged));
    const s3up_dir_conf_t *dc = ap_get_module_config(merged, &s3up_module);
    const char *err, *seen;

    if (!s3up_handler_is_ours(handler)) {
        return;
    }
    if (!dc) {
        dc = s3up_conf_create_dir(ck->p, NULL);
    }
    /* The handlers route below their <Location>'s path; a <Directory>,
     * a regex or the server level gives them none to route from. */
    if (!core || !is_location || core->r || core->d_is_fnmatch) {
        err = "mount mod_s3up's handlers with SetHandler inside a plain <Location /path>";
    } else if (s3up_handler_uses_s3(handler)) {
        err = s3up_conf_check_location(dc, own, s3up_conf_srv(ck->s), handler, ck->p);
    } else {
        err = NULL; /* s3up-status: counters only */
    }
    if (!err) {
        return;
    }
    /* A virtual host inherits the main server's sections: say it once. */
    seen = apr_psprintf(ck->p, "%pp %s", key, err);
    if (apr_hash_get(ck->reported, seen, APR_HASH_KEY_STRING)) {
        return;
    }
    apr_hash_set(ck->reported, seen, APR_HASH_KEY_STRING, seen);
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, ck->s, S3UP_LOGNO(0101) "in %s (SetHandler %s): %s",
                 where(ck, core, is_location), handler, err);
    ck->errors++;
}

static void check_sections(s3up_check_t *ck, apr_array_header_t *secs, int is_location)
{
    ap_conf_vector_t **sec = (ap_conf_vector_t **)secs->elts;
    int i, j;

    for (i = 0; i < secs->nelts; i++) {
        const core_dir_config *core = ap_get_core_module_config(sec[i]);
        const s3up_dir_conf_t *own = ap_get_module_config(sec[i], &s3up_module);
        int literal = !core->r && !core->d_is_fnmatch;
        ap_conf_vector_t *merged = ck->s->lookup_defaults;

        /* A section that neither names a handler nor sets one of ours is
         * checked through the section it inherits from. */
        if (!own && !core->expr_handler && !core->handler) {
            continue;
        }
        for (j = 0; j < secs->nelts; j++) {
            if (j == i || (literal && section_matches(ap_get_core_module_config(sec[j]), core->d,
                                                      is_location))) {
                merged = ap_merge_per_dir_configs(ck->p, merged, sec[j]);
            }
        }
        check_one(ck, sec[i], merged, own, core, is_location);
    }
}

static int s3up_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    s3up_check_t ck = {0};

    (void)pconf;
    (void)plog;
    s3up_log_attach(s);
    ck.p = ptemp;
    s3up_conf_creds_load(pconf);
    ck.set_handlers = apr_hash_make(ptemp);
    ck.reported = apr_hash_make(ptemp);
    collect_set_handlers(ck.set_handlers, ap_conftree, ptemp);

    for (ck.s = s; ck.s; ck.s = ck.s->next) {
        core_server_config *csc = ap_get_core_module_config(ck.s->module_config);

        /* SetHandler outside any section applies to the whole server. */
        check_one(&ck, ck.s->lookup_defaults, ck.s->lookup_defaults,
                  ap_get_module_config(ck.s->lookup_defaults, &s3up_module), NULL, 1);
        check_sections(&ck, csc->sec_url, 1);
        check_sections(&ck, csc->sec_dir, 0);
    }
    if (ck.errors) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     S3UP_LOGNO(0102) "%d configuration problem%s, see above", ck.errors,
                     ck.errors == 1 ? "" : "s");
        return !OK;
    }
    return OK;
}

static int s3up_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    s3up_shared_pre_config(pconf);
    return OK;
}

static int s3up_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    apr_status_t rv;

    (void)plog;
    (void)ptemp;
    /* check_config pointed the bridge at the server of that pass; this is
     * the one the children inherit. */
    s3up_log_attach(s);
    s3up_xml_init();
    if ((rv = s3up_shared_post_config(pconf, s)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     S3UP_LOGNO(0104) "cannot set up shared memory for httpd's processes");
        return !OK;
    }
    /* httpd reads its configuration twice when it starts: try the
     * credentials on the pass that serves. */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        s3up_creds_probe(s, ptemp);
    }
    return OK;
}

/* ------------------------------------------------------------------------
 * our locations are no files
 *
 * httpd maps every URL to a file (map_to_storage: a stat() per path
 * segment, <Directory> merges) before the handler runs. Our handlers serve
 * routes, and their pages by themselves, so for them that walk is skipped,
 * as mod_proxy does for its locations. The handler SetHandler names is
 * known once the <Location> sections are merged, at translate_name.
 */

#define NOTE_OURS "s3up-location"

static int s3up_translate(request_rec *r)
{
    core_dir_config *core = ap_get_core_module_config(r->per_dir_config);
    const char *handler = core->handler, *err = NULL;

    if (core->expr_handler) {
        handler = ap_expr_str_exec(r, core->expr_handler, &err);
    }
    if (!err && s3up_handler_is_ours(handler)) {
        apr_table_setn(r->notes, NOTE_OURS, "1");
        /* Before httpd's access checks, which may refuse it and log it. */
        s3up_req_hide_address(r);
    }
    return DECLINED;
}

static int s3up_map_to_storage(request_rec *r)
{
    return apr_table_get(r->notes, NOTE_OURS) ? OK : DECLINED;
}

static void s3up_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv = s3up_shared_child_init(pchild);

    if (rv == APR_SUCCESS) {
        rv = s3up_proc_init(pchild, s);
    }
    if (rv == APR_SUCCESS) {
        rv = s3up_creds_child_init(pchild);
    }
    if (rv == APR_SUCCESS) {
        rv = s3up_notify_child_init(pchild, s);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     S3UP_LOGNO(0103) "cannot set up the S3 client of this process");
    }
}

static void s3up_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(s3up_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(s3up_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(s3up_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(s3up_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(s3up_translate, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_map_to_storage(s3up_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(s3up_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
