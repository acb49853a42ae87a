/*
 * The handler entry shared by s3up-upload, s3up-drop, s3up-admin and
 * s3up-status.
 */
#include <apr_strings.h>

#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>

#include "mod_s3up_handler.h"
#include "mod_s3up_pages.h"
#include "mod_s3up_request.h"

extern module AP_MODULE_DECLARE_DATA s3up_module;

static const struct {
    const char *name;
    s3up_serve_fn *serve;
    int folder; /* serves pages and routes below its location */
} handlers[] = {
    {"s3up-upload", s3up_upload_serve, 1},
    {"s3up-drop", s3up_drop_serve, 1},
    {"s3up-admin", s3up_admin_serve, 1},
    {"s3up-status", s3up_status_serve, 0},
};

#define HANDLERS (sizeof(handlers) / sizeof(handlers[0]))

int s3up_handler_is_ours(const char *name)
{
    for (size_t i = 0; name && i < HANDLERS; i++) {
        if (!strcasecmp(handlers[i].name, name)) {
            return 1;
        }
    }
    return 0;
}

int s3up_handler_uses_s3(const char *name)
{
    return s3up_handler_is_ours(name) && strcasecmp(name, "s3up-status");
}

int s3up_handler(request_rec *r)
{
    s3up_call_t call = {r, NULL, NULL, NULL, NULL};
    apr_size_t n;
    size_t i;

    for (i = 0; i < HANDLERS && strcmp(handlers[i].name, r->handler); i++) {
    }
    if (i == HANDLERS) {
        return DECLINED;
    }
    call.dc = ap_get_module_config(r->per_dir_config, &s3up_module);
    if (!handlers[i].folder) {
        call.base = r->uri;
        call.path = "";
        return handlers[i].serve(&call);
    }
    call.base = s3up_req_base(r);
    n = strlen(call.base);
    if (strncmp(r->uri, call.base, n) || r->uri[n] != '/') {
        /* "/upload": the pages want the folder form, so that their
         * relative links resolve below it. */
        return r->method_number == M_GET ? s3up_pages_redirect_slash(r) : HTTP_NOT_FOUND;
    }
    call.path = r->uri + n + 1;
    if (!strncmp(call.path, "e/", 2)) {
        const char *slash = strchr(call.path + 2, '/');
        if (!slash) {
            /* "/upload/e/acme": the same, for an endpoint's pages. */
            return r->method_number == M_GET ? s3up_pages_redirect_slash(r) : HTTP_NOT_FOUND;
        }
        call.chosen = apr_pstrmemdup(r->pool, call.path + 2, slash - call.path - 2);
        call.path = slash + 1;
    }
    return handlers[i].serve(&call);
}
