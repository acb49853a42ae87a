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
#include "s3up_s3.h"

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

void s3up_pages_security_headers(request_rec *r, const char *connect)
{
    /* Uppy makes thumbnails as blob: and data: images, and sets styles
     * through the DOM (not inline markup), which style-src allows. */
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   apr_pstrcat(r->pool,
                               "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'",
                               connect ? " " : "", connect ? connect : "",
                               "; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
                               NULL));
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    /* A page whose address is a secret (an upload link's) names no page
     * to anyone, not even our own logs. */
    apr_table_setn(r->headers_out, "Referrer-Policy",
                   apr_table_get(r->subprocess_env, "S3UP_REQUEST") ? "no-referrer"
                                                                    : "same-origin");
    apr_table_setn(r->headers_out, "X-Frame-Options", "DENY");
}

/* The S3 origin a location's pages send parts to, when it is another. */
static const char *s3_origin(request_rec *r)
{
    const s3up_dir_conf_t *dc = ap_get_module_config(r->per_dir_config, &s3up_module);
    const char *server = s3up_conf_bucket(dc) ? s3up_conf_s3_server(dc, r->pool) : NULL;
    s3up_s3_loc_t loc;

    if (!server || s3up_conf_upload_mode(dc) == S3UP_MODE_PROXY ||
        s3up_s3_loc_init(&loc, server, s3up_conf_region(dc), s3up_conf_bucket(dc),
                         s3up_conf_path_style(dc), r->pool) != APR_SUCCESS) {
        return NULL;
    }
    return loc.origin;
}

/* Replace each {{name}} in text by fill's value for it, HTML-escaped;
 * unknown names by nothing. */
static const char *fill_in(const char *text, const apr_table_t *fill, apr_pool_t *p)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    const char *c = text, *open, *close;

    while ((open = strstr(c, "{{")) && (close = strstr(open + 2, "}}"))) {
        const char *v = apr_table_get(fill, apr_pstrmemdup(p, open + 2, close - open - 2));
        APR_ARRAY_PUSH(out, const char *) = apr_pstrmemdup(p, c, open - c);
        APR_ARRAY_PUSH(out, const char *) = v ? ap_escape_html(p, v) : "";
        c = close + 2;
    }
    APR_ARRAY_PUSH(out, const char *) = c;
    return apr_array_pstrcat(p, out, 0);
}

int s3up_pages_serve_filled(request_rec *r, const char *section, const char *page, int status,
                            const apr_table_t *fill)
{
    const char *root = s3up_conf_document_root(s3up_conf_srv(r->server)), *text;
    char *file, *buf;
    apr_file_t *fd;
    apr_finfo_t fi;
    apr_size_t len;

    if (apr_filepath_merge(&file, root, apr_pstrcat(r->pool, section, "/", page, NULL),
                           APR_FILEPATH_SECUREROOT | APR_FILEPATH_NOTRELATIVE,
                           r->pool) != APR_SUCCESS ||
        apr_stat(&fi, file, APR_FINFO_SIZE, r->pool) != APR_SUCCESS || fi.size > 65536 ||
        apr_file_open(&fd, file, APR_READ, 0, r->pool) != APR_SUCCESS) {
        return HTTP_NOT_FOUND;
    }
    len = (apr_size_t)fi.size;
    buf = apr_palloc(r->pool, len + 1);
    if (apr_file_read_full(fd, buf, len, &len) != APR_SUCCESS) {
        return HTTP_NOT_FOUND;
    }
    buf[len] = '\0';
    text = fill_in(buf, fill, r->pool);
    r->status = status;
    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    s3up_pages_security_headers(r, NULL);
    ap_set_content_length(r, strlen(text));
    if (!r->header_only) {
        ap_rputs(text, r);
    }
    return DONE;
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
    if (!strcmp(type, types[0].type)) {
        s3up_pages_security_headers(r, s3_origin(r));
    } else {
        apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
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
