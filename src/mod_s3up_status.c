/*
 * The s3up-status handler: the server's counters, as JSON, or as Prometheus
 * text with ?format=prometheus. Who may read them is httpd's decision
 * (Require in its <Location>), as for mod_status.
 */
#include <apr_strings.h>

#include <httpd.h>
#include <http_protocol.h>
#include <util_script.h>

#include "mod_s3up_handler.h"
#include "mod_s3up_request.h"
#include "mod_s3up_shared.h"

/* The format asked for in the query: "json" (the default) or "prometheus". */
static const char *format_of(request_rec *r)
{
    apr_table_t *args;

    ap_args_to_table(r, &args);
    return args && apr_table_get(args, "format") ? apr_table_get(args, "format") : "json";
}

int s3up_status_serve(const s3up_call_t *call)
{
    request_rec *r = call->r;
    s3up_metrics_t *m = s3up_shared_metrics();
    const char *format = format_of(r), *text;

    if (r->method_number != M_GET) {
        r->allowed = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!m) {
        return s3up_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "StoreUnavailable",
                                "the counters were not set up in this process");
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!strcmp(format, "json")) {
        return s3up_reply_json(r, HTTP_OK, s3up_metrics_json(m, r->pool));
    }
    if (strcmp(format, "prometheus")) {
        return s3up_reply_error(r, HTTP_BAD_REQUEST, "BadRequest",
                                "format is json (the default) or prometheus");
    }
    text = s3up_metrics_prometheus(m, r->pool);
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    ap_set_content_length(r, strlen(text));
    if (!r->header_only) {
        ap_rputs(text, r);
    }
    return OK;
}
