/*
 * The portal pages: files under S3UpDocumentRoot, served by the handlers
 * themselves so a location needs no Alias or <Directory> of its own.
 */
#ifndef MOD_S3UP_PAGES_H
#define MOD_S3UP_PAGES_H

#include <httpd.h>

/* Serve path (below the location, no leading '/') from the portal's folder
 * `section` ("upload", "admin", "drop") of the document root; "vendor/..."
 * and "common/..." come from the shared folders of those names. "" is the
 * section's index.html. */
int s3up_pages_serve(request_rec *r, const char *section, const char *path);

/* Serve a page of `section` whose "{{name}}" marks are replaced by the
 * values of fill (HTML-escaped), with the given status. Pages are small:
 * read whole. DONE once answered, or an HTTP status. */
int s3up_pages_serve_filled(request_rec *r, const char *section, const char *page, int status,
                            const apr_table_t *fill);

/* The Content-Security-Policy of every page: scripts, styles and frames
 * from this origin only, no inline script; connections also to connect
 * (the S3 origin the pages PUT to; may be NULL). */
void s3up_pages_security_headers(request_rec *r, const char *connect);

/* Redirect a location's bare path to its folder form ("/upload" ->
 * "/upload/"), so the pages' relative links resolve below it. */
int s3up_pages_redirect_slash(request_rec *r);

#endif /* MOD_S3UP_PAGES_H */
