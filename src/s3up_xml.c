/*
 * libxml2 parsing of S3 responses, and the CompleteMultipartUpload body.
 *
 * Every document is read from memory with the network off and no DTD: a
 * DOCTYPE stops the parser as soon as it is seen, so no entity is ever
 * declared, let alone expanded or fetched. Elements are matched by local
 * name whatever their namespace (S3's, or none as in <Error>), unknown ones
 * are skipped. What we keep is copied into the pool and the document freed
 * before returning, so nothing of libxml2 outlives a call.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "s3up_xml.h"
#include "s3up_time.h"

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"

/* No XML_PARSE_NOENT, no XML_PARSE_DTDLOAD: entities stay unexpanded and
 * no external subset is read; NOERROR/NOWARNING keep stderr quiet. */
#define PARSE_OPTIONS                                                                              \
    (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA)

void s3up_xml_init(void)
{
    xmlInitParser();
}

/* libxml2 reports encoding failures without a parser context, through the
 * calling thread's structured handler; this one drops them. */
#if LIBXML_VERSION >= 21200
static void quiet(void *ctx, const xmlError *error)
#else
static void quiet(void *ctx, xmlErrorPtr error)
#endif
{
    (void)ctx;
    (void)error;
}

/* SAX hook for <!DOCTYPE ...>: stop before any declaration is read. */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    (void)name;
    (void)external_id;
    (void)system_id;
    *(int *)ctxt->_private = 1;
    xmlStopParser(ctxt);
}

static int xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Why libxml2 gave up, for whoever debugs a store's odd answer. */
static void log_unreadable(xmlParserCtxtPtr ctxt, int doctype)
{
    const xmlError *e;
    const char *msg;
    apr_size_t len;

    if (!s3up_log_enabled(S3UP_LOG_DEBUG)) {
        return;
    }
    if (doctype) {
        s3up_log(S3UP_LOG_DEBUG, S3UP_EPARSE, "xml: refused a DOCTYPE (no DTDs, no entities)");
        return;
    }
    e = xmlCtxtGetLastError(ctxt);
    msg = e && e->message ? e->message : "no root element";
    for (len = strlen(msg); len && xml_space(msg[len - 1]); len--) {
    }
    s3up_log(S3UP_LOG_DEBUG, S3UP_EPARSE, "xml: unreadable answer: %.*s (line %d)", (int)len, msg,
             e ? e->line : 0);
}

static apr_status_t doc_read(xmlDoc **out, const char *body, apr_size_t len)
{
    xmlParserCtxtPtr ctxt;
    xmlStructuredErrorFunc saved_fn = xmlStructuredError;
    void *saved_ctx = xmlStructuredErrorContext;
    xmlDoc *doc;
    int doctype = 0;

    if (len > S3UP_XML_MAX) {
        return S3UP_ETOOBIG;
    }
    /* White space before the XML declaration would make it illegal; S3
     * keeps slow connections alive with white space, so skip it. */
    for (; body && len && xml_space(*body); body++, len--) {
    }
    if (!body || !len) {
        return S3UP_EPARSE;
    }
    ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        return APR_ENOMEM;
    }
    ctxt->_private = &doctype;
    ctxt->sax->internalSubset = refuse_doctype;

    xmlSetStructuredErrorFunc(NULL, quiet);
    doc = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, NULL, PARSE_OPTIONS);
    xmlSetStructuredErrorFunc(saved_ctx, saved_fn);

    if (!doc || doctype || doc->intSubset || doc->extSubset || !xmlDocGetRootElement(doc)) {
        log_unreadable(ctxt, doctype);
        xmlFreeDoc(doc);
        xmlFreeParserCtxt(ctxt);
        return S3UP_EPARSE;
    }
    xmlFreeParserCtxt(ctxt);
    *out = doc;
    return APR_SUCCESS;
}

typedef apr_status_t walk_fn(const xmlNode *root, void *baton, apr_pool_t *p);

/* Read body, check its root is root_name (any root when NULL), hand it to
 * walk, free it. */
static apr_status_t with_doc(const char *body, apr_size_t len, const char *root_name, walk_fn *walk,
                             void *baton, apr_pool_t *p)
{
    xmlDoc *doc;
    const xmlNode *root;
    apr_status_t rv = doc_read(&doc, body, len);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    root = xmlDocGetRootElement(doc);
    if (root_name && strcmp((const char *)root->name, root_name)) {
        s3up_log(S3UP_LOG_DEBUG, S3UP_EPARSE, "xml: expected <%s>, got <%.64s>", root_name,
                 (const char *)root->name);
        rv = S3UP_EPARSE;
    } else {
        rv = walk(root, baton, p);
    }
    xmlFreeDoc(doc);
    return rv;
}

static int is(const xmlNode *n, const char *name)
{
    return !strcmp((const char *)n->name, name);
}

/* The element itself or the next one among its siblings. */
static const xmlNode *element_from(const xmlNode *n)
{
    for (; n && n->type != XML_ELEMENT_NODE; n = n->next) {
    }
    return n;
}

static const xmlNode *first_child(const xmlNode *n)
{
    return element_from(n->children);
}

static const xmlNode *next_sibling(const xmlNode *n)
{
    return element_from(n->next);
}

/* The text of an element, copied into p: "" when empty. */
static const char *text(const xmlNode *n, apr_pool_t *p)
{
    const xmlNode *c;
    apr_size_t len = 0;
    char *s, *d;

    for (c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE && c->content) {
            len += strlen((const char *)c->content);
        }
    }
    d = s = apr_palloc(p, len + 1);
    for (c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE && c->content) {
            apr_size_t l = strlen((const char *)c->content);
            memcpy(d, c->content, l);
            d += l;
        }
    }
    *d = '\0';
    return s;
}

/* Markers and tokens: NULL when absent or empty, so a caller tests one thing. */
static const char *marker(const xmlNode *n, apr_pool_t *p)
{
    const char *s = text(n, p);
    return *s ? s : NULL;
}

/* The text of a number, boolean or time, without surrounding white space,
 * into a small buffer: anything longer is not one of those. */
static apr_status_t scalar(char *buf, apr_size_t size, const xmlNode *n)
{
    const xmlNode *c;
    apr_size_t len = 0;
    char *s, *e;

    for (c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE && c->content) {
            apr_size_t l = strlen((const char *)c->content);
            if (l >= size - len) {
                return S3UP_EPARSE;
            }
            memcpy(buf + len, c->content, l);
            len += l;
        }
    }
    buf[len] = '\0';
    for (s = buf; s < buf + len && xml_space(*s); s++) {
    }
    for (e = buf + len; e > s && xml_space(e[-1]); e--) {
    }
    *e = '\0';
    memmove(buf, s, (apr_size_t)(e - s) + 1);
    return APR_SUCCESS;
}

/* A decimal without sign, within 0..max. */
static apr_status_t get_num(apr_int64_t *out, const xmlNode *n, apr_int64_t max)
{
    char buf[32];
    const char *c;
    apr_int64_t v = 0;

    if (scalar(buf, sizeof(buf), n) != APR_SUCCESS || !buf[0]) {
        return S3UP_EPARSE;
    }
    for (c = buf; *c; c++) {
        if (*c < '0' || *c > '9' || v > (max - (*c - '0')) / 10) {
            return S3UP_EPARSE;
        }
        v = v * 10 + (*c - '0');
    }
    *out = v;
    return APR_SUCCESS;
}

static apr_status_t get_size(apr_off_t *out, const xmlNode *n)
{
    apr_int64_t v;
    apr_status_t rv = get_num(&v, n, APR_INT64_MAX);
    if (rv == APR_SUCCESS) {
        *out = (apr_off_t)v;
    }
    return rv;
}

static apr_status_t get_int(int *out, const xmlNode *n, int min, int max)
{
    apr_int64_t v;
    apr_status_t rv = get_num(&v, n, max);
    if (rv == APR_SUCCESS && v < min) {
        rv = S3UP_EPARSE;
    }
    if (rv == APR_SUCCESS) {
        *out = (int)v;
    }
    return rv;
}

static apr_status_t get_bool(int *out, const xmlNode *n)
{
    char buf[16];

    if (scalar(buf, sizeof(buf), n) != APR_SUCCESS) {
        return S3UP_EPARSE;
    }
    if (!strcmp(buf, "true")) {
        *out = 1;
    } else if (!strcmp(buf, "false")) {
        *out = 0;
    } else {
        return S3UP_EPARSE;
    }
    return APR_SUCCESS;
}

static apr_status_t get_time(apr_time_t *out, const xmlNode *n)
{
    char buf[48];

    if (scalar(buf, sizeof(buf), n) != APR_SUCCESS) {
        return S3UP_EPARSE;
    }
    return s3up_time_parse(out, buf);
}

/* ------------------------------------------------------------------------
 * S3's answers, read by tables: each names the elements it keeps and the
 * member each fills; other elements are skipped.
 */

typedef enum {
    TEXT,   /* const char *, "" when empty */
    MARKER, /* const char *, NULL when empty */
    NUMBER, /* int within [lo, hi] */
    SIZE,   /* apr_off_t */
    BOOL,   /* int, from "true" or "false" */
    TIME,   /* apr_time_t */
    LIST,   /* apr_array_header_t * of items read by `item` */
    INNER,  /* the same struct, filled from a child element by `item` */
} kind_e;

typedef struct field_t {
    const char *name; /* local name of the element; NULL ends a table */
    kind_e kind;
    apr_size_t offset; /* of the member */
    int required;      /* must be there (a MARKER, not empty) */
    int lo, hi;
    const struct shape_t *item;
} field_t;

typedef struct shape_t {
    apr_size_t size; /* of what it fills */
    const field_t *fields;
} shape_t;

#define FIELD(type, member, el, k, required)                                                       \
    {                                                                                              \
        el, k, offsetof(type, member), required, 0, 0, NULL                                        \
    }
#define NUMBER_FIELD(type, member, el, required, lo, hi)                                           \
    {                                                                                              \
        el, NUMBER, offsetof(type, member), required, lo, hi, NULL                                 \
    }
#define LIST_FIELD(type, member, el, item)                                                         \
    {                                                                                              \
        el, LIST, offsetof(type, member), 0, 0, 0, item                                            \
    }
#define INNER_FIELD(el, item)                                                                      \
    {                                                                                              \
        el, INNER, 0, 1, 0, 0, item                                                                \
    }
#define END                                                                                        \
    {                                                                                              \
        NULL, TEXT, 0, 0, 0, 0, NULL                                                               \
    }

static apr_status_t read_field(const field_t *f, void *at, const xmlNode *el, apr_pool_t *p);

/* Fills dest from the children of el as shape says (a table has fewer
 * than 32 fields: one bit each says it was seen). */
static apr_status_t walk(const shape_t *shape, void *dest, const xmlNode *el, apr_pool_t *p)
{
    unsigned int seen = 0;
    const field_t *f;
    int i;

    for (f = shape->fields; f->name; f++) {
        apr_array_header_t **list = (apr_array_header_t **)((char *)dest + f->offset);
        if (f->kind == LIST && !*list) {
            *list = apr_array_make(p, 16, (int)f->item->size);
        }
    }
    for (const xmlNode *c = first_child(el); c; c = next_sibling(c)) {
        for (i = 0, f = shape->fields; f->name && !is(c, f->name); f++, i++) {
        }
        if (f->name) {
            apr_status_t rv = read_field(f, (char *)dest + f->offset, c, p);
            if (rv != APR_SUCCESS) {
                return rv;
            }
            seen |= 1u << i;
        }
    }
    for (i = 0, f = shape->fields; f->name; f++, i++) {
        if (f->required && (!(seen & (1u << i)) ||
                            (f->kind == MARKER && !*(const char **)((char *)dest + f->offset)))) {
            return S3UP_EPARSE;
        }
    }
    return APR_SUCCESS;
}

static apr_status_t read_field(const field_t *f, void *at, const xmlNode *el, apr_pool_t *p)
{
    apr_array_header_t *list;
    void *item;

    switch (f->kind) {
    case TEXT:
        *(const char **)at = text(el, p);
        return APR_SUCCESS;
    case MARKER:
        *(const char **)at = marker(el, p);
        return APR_SUCCESS;
    case NUMBER:
        return get_int(at, el, f->lo, f->hi);
    case SIZE:
        return get_size(at, el);
    case BOOL:
        return get_bool(at, el);
    case TIME:
        return get_time(at, el);
    case INNER:
        return walk(f->item, at, el, p);
    case LIST:
        list = *(apr_array_header_t **)at;
        item = apr_array_push(list);
        memset(item, 0, (apr_size_t)list->elt_size);
        return walk(f->item, item, el, p);
    }
    return S3UP_EPARSE;
}

typedef struct {
    const shape_t *shape;
    void *dest;
} reading_t;

static apr_status_t walk_root(const xmlNode *root, void *baton, apr_pool_t *p)
{
    reading_t *r = baton;

    return walk(r->shape, r->dest, root, p);
}

/* A document whose root is root_name, read as shape says into a new
 * struct in *out. */
static apr_status_t read_doc(void **out, const shape_t *shape, const char *root_name,
                             const char *body, apr_size_t len, apr_pool_t *p)
{
    reading_t r = {shape, apr_pcalloc(p, shape->size)};
    apr_status_t rv = with_doc(body, len, root_name, walk_root, &r, p);

    if (rv == APR_SUCCESS) {
        *out = r.dest;
    }
    return rv;
}

static const field_t error_fields[] = {
    FIELD(s3up_error_t, code, "Code", MARKER, 1),
    FIELD(s3up_error_t, message, "Message", TEXT, 0),
    FIELD(s3up_error_t, request_id, "RequestId", TEXT, 0),
    END,
};
static const shape_t error_shape = {sizeof(s3up_error_t), error_fields};

typedef struct {
    const char *upload_id;
} initiate_t;

static const field_t initiate_fields[] = {
    FIELD(initiate_t, upload_id, "UploadId", MARKER, 1),
    END,
};
static const shape_t initiate_shape = {sizeof(initiate_t), initiate_fields};

/* A part's size is what limits are checked against: never guessed. */
static const field_t part_fields[] = {
    NUMBER_FIELD(s3up_part_t, number, "PartNumber", 1, 1, S3UP_PARTS_MAX),
    FIELD(s3up_part_t, etag, "ETag", TEXT, 1),
    FIELD(s3up_part_t, size, "Size", SIZE, 1),
    FIELD(s3up_part_t, last_modified, "LastModified", TIME, 0),
    END,
};
static const shape_t part_shape = {sizeof(s3up_part_t), part_fields};

static const field_t part_page_fields[] = {
    LIST_FIELD(s3up_part_page_t, parts, "Part", &part_shape),
    FIELD(s3up_part_page_t, truncated, "IsTruncated", BOOL, 0),
    NUMBER_FIELD(s3up_part_page_t, next_marker, "NextPartNumberMarker", 0, 0, S3UP_PARTS_MAX),
    END,
};
static const shape_t part_page_shape = {sizeof(s3up_part_page_t), part_page_fields};

static const field_t complete_fields[] = {
    FIELD(s3up_complete_t, location, "Location", TEXT, 0),
    FIELD(s3up_complete_t, bucket, "Bucket", TEXT, 0),
    FIELD(s3up_complete_t, key, "Key", TEXT, 0),
    FIELD(s3up_complete_t, etag, "ETag", TEXT, 0),
    END,
};
static const shape_t complete_shape = {sizeof(s3up_complete_t), complete_fields};

static const field_t upload_fields[] = {
    FIELD(s3up_upload_t, key, "Key", MARKER, 1),
    FIELD(s3up_upload_t, upload_id, "UploadId", MARKER, 1),
    FIELD(s3up_upload_t, initiated, "Initiated", TIME, 0),
    END,
};
static const shape_t upload_shape = {sizeof(s3up_upload_t), upload_fields};

static const field_t upload_page_fields[] = {
    LIST_FIELD(s3up_upload_page_t, uploads, "Upload", &upload_shape),
    FIELD(s3up_upload_page_t, truncated, "IsTruncated", BOOL, 0),
    FIELD(s3up_upload_page_t, next_key_marker, "NextKeyMarker", MARKER, 0),
    FIELD(s3up_upload_page_t, next_upload_id_marker, "NextUploadIdMarker", MARKER, 0),
    END,
};
static const shape_t upload_page_shape = {sizeof(s3up_upload_page_t), upload_page_fields};

static const field_t object_fields[] = {
    FIELD(s3up_object_t, key, "Key", MARKER, 1),
    FIELD(s3up_object_t, size, "Size", SIZE, 1),
    FIELD(s3up_object_t, etag, "ETag", TEXT, 0),
    FIELD(s3up_object_t, last_modified, "LastModified", TIME, 0),
    END,
};
static const shape_t object_shape = {sizeof(s3up_object_t), object_fields};

/* <CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>: a const char *. */
static const field_t prefix_fields[] = {{"Prefix", TEXT, 0, 1, 0, 0, NULL}, END};
static const shape_t prefix_shape = {sizeof(const char *), prefix_fields};

static const field_t object_page_fields[] = {
    LIST_FIELD(s3up_object_page_t, objects, "Contents", &object_shape),
    LIST_FIELD(s3up_object_page_t, prefixes, "CommonPrefixes", &prefix_shape),
    FIELD(s3up_object_page_t, truncated, "IsTruncated", BOOL, 0),
    FIELD(s3up_object_page_t, next_token, "NextContinuationToken", MARKER, 0),
    END,
};
static const shape_t object_page_shape = {sizeof(s3up_object_page_t), object_page_fields};

apr_status_t s3up_xml_parse_error(s3up_error_t *err, const char *body, apr_size_t len,
                                  apr_pool_t *p)
{
    s3up_error_t *e;
    apr_status_t rv = read_doc((void **)&e, &error_shape, "Error", body, len, p);

    if (rv == APR_SUCCESS) {
        err->code = e->code;
        err->message = e->message;
        err->request_id = e->request_id;
    }
    return rv;
}

/* STS: <AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>
 * <Credentials>...</Credentials>, and <ErrorResponse><Error>...</Error>. */
static const field_t sts_creds_fields[] = {
    FIELD(s3up_creds_t, access_key, "AccessKeyId", MARKER, 1),
    FIELD(s3up_creds_t, secret_key, "SecretAccessKey", MARKER, 1),
    FIELD(s3up_creds_t, session_token, "SessionToken", MARKER, 1),
    FIELD(s3up_creds_t, expires, "Expiration", TIME, 1),
    END,
};
static const shape_t sts_creds_shape = {sizeof(s3up_creds_t), sts_creds_fields};

static const field_t sts_result_fields[] = {
    INNER_FIELD("Credentials", &sts_creds_shape),
    END,
};
static const shape_t sts_result_shape = {sizeof(s3up_creds_t), sts_result_fields};

static const field_t sts_answer_fields[] = {
    INNER_FIELD("AssumeRoleWithWebIdentityResult", &sts_result_shape),
    END,
};
static const shape_t sts_answer_shape = {sizeof(s3up_creds_t), sts_answer_fields};

apr_status_t s3up_xml_parse_sts_credentials(s3up_creds_t **out, const char *body, apr_size_t len,
                                            apr_pool_t *p)
{
    return read_doc((void **)out, &sts_answer_shape, "AssumeRoleWithWebIdentityResponse", body, len,
                    p);
}

static const field_t sts_error_fields[] = {
    INNER_FIELD("Error", &error_shape),
    FIELD(s3up_error_t, request_id, "RequestId", TEXT, 0),
    END,
};
static const shape_t sts_error_shape = {sizeof(s3up_error_t), sts_error_fields};

apr_status_t s3up_xml_parse_sts_error(s3up_error_t *err, const char *body, apr_size_t len,
                                      apr_pool_t *p)
{
    s3up_error_t *e;
    apr_status_t rv = read_doc((void **)&e, &sts_error_shape, "ErrorResponse", body, len, p);

    if (rv == APR_SUCCESS) {
        err->code = e->code;
        err->message = e->message;
        err->request_id = e->request_id && *e->request_id ? e->request_id : NULL;
    }
    return rv;
}

apr_status_t s3up_xml_parse_initiate(const char **upload_id, const char *body, apr_size_t len,
                                     apr_pool_t *p)
{
    initiate_t *i;
    apr_status_t rv =
        read_doc((void **)&i, &initiate_shape, "InitiateMultipartUploadResult", body, len, p);

    if (rv == APR_SUCCESS) {
        *upload_id = i->upload_id;
    }
    return rv;
}

apr_status_t s3up_xml_parse_list_parts(s3up_part_page_t **out, const char *body, apr_size_t len,
                                       apr_pool_t *p)
{
    return read_doc((void **)out, &part_page_shape, "ListPartsResult", body, len, p);
}

apr_status_t s3up_xml_parse_list_uploads(s3up_upload_page_t **out, const char *body, apr_size_t len,
                                         apr_pool_t *p)
{
    return read_doc((void **)out, &upload_page_shape, "ListMultipartUploadsResult", body, len, p);
}

apr_status_t s3up_xml_parse_list_objects(s3up_object_page_t **out, const char *body, apr_size_t len,
                                         apr_pool_t *p)
{
    return read_doc((void **)out, &object_page_shape, "ListBucketResult", body, len, p);
}

static int retryable_code(const char *code)
{
    return !strcmp(code, "InternalError") || !strcmp(code, "SlowDown") ||
           !strcmp(code, "ServiceUnavailable");
}

typedef struct complete_baton_t {
    s3up_complete_t *done;
    s3up_error_t *err;
} complete_baton_t;

/* S3 sends 200 before it has finished combining the parts, so a failure
 * arrives as an <Error> body under that 200. */
static apr_status_t walk_complete_or_error(const xmlNode *root, void *baton, apr_pool_t *p)
{
    complete_baton_t *b = baton;

    if (is(root, "Error")) {
        apr_status_t rv = walk(&error_shape, b->err, root, p);
        return rv == APR_SUCCESS ? S3UP_ES3 : rv;
    }
    if (is(root, "CompleteMultipartUploadResult")) {
        return walk(&complete_shape, b->done, root, p);
    }
    return S3UP_EPARSE;
}

apr_status_t s3up_xml_parse_complete(s3up_complete_t **out, s3up_error_t **err, const char *body,
                                     apr_size_t len, apr_pool_t *p)
{
    complete_baton_t b;
    apr_status_t rv;

    b.done = apr_pcalloc(p, sizeof(*b.done));
    b.err = apr_pcalloc(p, sizeof(*b.err));
    rv = with_doc(body, len, NULL, walk_complete_or_error, &b, p);
    if (rv == APR_SUCCESS) {
        /* Ceph 16 answers <ETag></ETag>; "" is as much as anyone knows. */
        if (!b.done->etag) {
            b.done->etag = "";
        }
        *out = b.done;
    } else if (rv == S3UP_ES3) {
        b.err->status = S3UP_ES3;
        b.err->http_status = 200;
        b.err->retryable = retryable_code(b.err->code);
        if (err) {
            *err = b.err;
        }
    }
    return rv;
}

/* Takes one quote (" or &quot;) or space off either end of [*s, *e):
 * 0 when there is none left to take. */
static int unquote_once(const char **s, const char **e)
{
    apr_size_t n = (apr_size_t)(*e - *s);

    if (n && (xml_space(**s) || **s == '"')) {
        ++*s;
    } else if (n && (xml_space((*e)[-1]) || (*e)[-1] == '"')) {
        --*e;
    } else if (n >= 6 && !strncmp(*s, "&quot;", 6)) {
        *s += 6;
    } else if (n >= 6 && !strncmp(*e - 6, "&quot;", 6)) {
        *e -= 6;
    } else {
        return 0;
    }
    return 1;
}

/* An ETag as the client passed it on: Uppy hands over whatever the browser
 * read, "abc", abc or &quot;abc&quot;. Returns it with exactly one pair of
 * quotes, or NULL when what is inside is no ETag (RFC 9110 etagc). */
static const char *etag_quoted(const char *etag, apr_pool_t *p)
{
    const char *s = etag, *e, *c;

    if (!s) {
        return NULL;
    }
    for (e = s + strlen(s); unquote_once(&s, &e);) {
    }
    if (s == e) {
        return NULL;
    }
    for (c = s; c < e; c++) {
        unsigned char u = (unsigned char)*c;
        if (u <= 0x20 || u == '"' || u >= 0x7f) {
            return NULL;
        }
    }
    return apr_psprintf(p, "\"%.*s\"", (int)(e - s), s);
}

static int part_cmp(const void *a, const void *b)
{
    const s3up_part_t *x = *(const s3up_part_t *const *)a;
    const s3up_part_t *y = *(const s3up_part_t *const *)b;
    return (x->number > y->number) - (x->number < y->number);
}

/* Sorted pointers into parts, checked: numbers in range and unique. */
static apr_status_t parts_sorted(const s3up_part_t ***out, const apr_array_header_t *parts,
                                 apr_pool_t *p)
{
    const s3up_part_t **sorted;
    int i;

    if (!parts || parts->nelts < 1 || parts->nelts > S3UP_PARTS_MAX) {
        return APR_EINVAL;
    }
    sorted = apr_palloc(p, sizeof(*sorted) * (apr_size_t)parts->nelts);
    for (i = 0; i < parts->nelts; i++) {
        sorted[i] = &APR_ARRAY_IDX(parts, i, s3up_part_t);
        if (sorted[i]->number < 1 || sorted[i]->number > S3UP_PARTS_MAX) {
            return APR_EINVAL;
        }
    }
    qsort(sorted, (size_t)parts->nelts, sizeof(*sorted), part_cmp);
    for (i = 1; i < parts->nelts; i++) {
        if (sorted[i]->number == sorted[i - 1]->number) {
            return APR_EINVAL;
        }
    }
    *out = sorted;
    return APR_SUCCESS;
}

/* The tree and its serialisation are libxml2's, so escaping is too. */
static apr_status_t complete_doc(const char **xml, const s3up_part_t **sorted, int n, apr_pool_t *p)
{
    apr_status_t rv = APR_ENOMEM;
    xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *root = doc ? xmlNewDocNode(doc, NULL, BAD_CAST "CompleteMultipartUpload", NULL) : NULL;
    xmlNs *ns = root ? xmlNewNs(root, BAD_CAST S3_NS, NULL) : NULL;
    xmlBuffer *buf = NULL;
    int i;

    if (!ns) {
        goto out;
    }
    xmlSetNs(root, ns);
    xmlDocSetRootElement(doc, root);
    for (i = 0; i < n; i++) {
        char num[16];
        xmlNode *part = xmlNewChild(root, ns, BAD_CAST "Part", NULL);
        const char *etag = etag_quoted(sorted[i]->etag, p);

        if (!etag) {
            rv = APR_EINVAL;
            goto out;
        }
        apr_snprintf(num, sizeof(num), "%d", sorted[i]->number);
        if (!part || !xmlNewTextChild(part, ns, BAD_CAST "PartNumber", BAD_CAST num) ||
            !xmlNewTextChild(part, ns, BAD_CAST "ETag", BAD_CAST etag)) {
            goto out;
        }
    }
    buf = xmlBufferCreate();
    if (buf && xmlNodeDump(buf, doc, root, 0, 0) >= 0) {
        *xml = apr_pstrmemdup(p, (const char *)xmlBufferContent(buf),
                              (apr_size_t)xmlBufferLength(buf));
        rv = APR_SUCCESS;
    }
out:
    if (buf) {
        xmlBufferFree(buf);
    }
    if (doc) {
        xmlFreeDoc(doc);
    }
    return rv;
}

apr_status_t s3up_xml_build_complete(const char **xml, const apr_array_header_t *parts,
                                     apr_pool_t *p)
{
    const s3up_part_t **sorted;
    apr_status_t rv = parts_sorted(&sorted, parts, p);

    if (rv == APR_SUCCESS) {
        rv = complete_doc(xml, sorted, parts->nelts, p);
    }
    return rv;
}
