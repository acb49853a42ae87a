/*
 * The portal pages: static files of S3UpDocumentRoot.
 */
#include <apr_file_info.h>
#include <apr_strings.h>

#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include "mod_s3up_config.h"
#include "mod_s3up_pages.h"

extern module AP_MODULE_DECLARE_DATA s3up_module;

static const struct {
    const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".map", "application/json"},
};

static const char *type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++) {
        if (!strcasecmp(dot, types[i].ext)) {
            return types[i].type;
        }
    }
    return NULL;
}

int s3up_pages_redirect_slash(request_rec *r)
{
    const char *to = apr_pstrcat(r->pool, ap_escape_uri(r->pool, r->uri), "/", r->args ? "?" : "",
                                 r->args ? r->args : "", NULL);
    apr_table_setn(r->headers_out, "Location", ap_construct_url(r->pool, to, r));
    return HTTP_MOVED_PERMANENTLY;
}

int s3up_pages_serve(request_rec *r, const char *section, const char *path)
{
    const char *root = s3up_conf_document_root(s3up_conf_srv(r->server));
    const char *rel, *type;
    char *file;
    apr_file_t *fd;
    apr_status_t rv;
    int rc;

    if (r->method_number != M_GET) {
        r->allowed = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!*path) {
        path = "index.html";
    }
    /* vendor/ (Uppy) and common/ (our shared modules) serve every portal. */
    rel = !strncmp(path, "vendor/", 7) || !strncmp(path, "common/", 7)
              ? path
              : apr_pstrcat(r->pool, section, "/", path, NULL);
    type = type_of(rel);
    /* SECUREROOT refuses any path that would leave the document root. */
    if (!type ||
        apr_filepath_merge(&file, root, rel, APR_FILEPATH_SECUREROOT | APR_FILEPATH_NOTRELATIVE,
                           r->pool) != APR_SUCCESS ||
        apr_stat(&r->finfo, file, APR_FINFO_MIN, r->pool) != APR_SUCCESS ||
        r->finfo.filetype != APR_REG) {
        return HTTP_NOT_FOUND;
    }
    r->filename = file;
    ap_set_content_type(r, type);
    ap_update_mtime(r, r->finfo.mtime);
    ap_set_last_modified(r);
    ap_set_etag(r);
    /* Pages may change with an upgrade: revalidate, cheaply (304). */
    apr_table_setn(r->headers_out, "Cache-Control", "no-cache");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Referrer-Policy", "same-origin");
    if (!strcmp(type, types[0].type)) {
        apr_table_setn(r->headers_out, "X-Frame-Options", "DENY");
    }
    if ((rc = ap_meets_conditions(r)) != OK) {
        return rc;
    }
    ap_set_content_length(r, r->finfo.size);
    if (r->header_only) {
        return OK;
    }
    rv = apr_file_open(&fd, file, APR_READ | APR_SENDFILE_ENABLED, 0, r->pool);
    if (rv != APR_SUCCESS) {
        return HTTP_NOT_FOUND;
    }
    {
        apr_size_t sent;
        ap_send_fd(fd, r, 0, (apr_size_t)r->finfo.size, &sent);
    }
    return OK;
}
