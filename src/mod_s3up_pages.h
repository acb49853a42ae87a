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

/* Redirect a location's bare path to its folder form ("/upload" ->
 * "/upload/"), so the pages' relative links resolve below it. */
int s3up_pages_redirect_slash(request_rec *r);

#endif /* MOD_S3UP_PAGES_H */
