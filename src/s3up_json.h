/*
 * jansson values tied to APR pools: a value parsed or made here is released
 * when its pool is, so request code never calls json_decref by hand.
 */
#ifndef S3UP_JSON_H
#define S3UP_JSON_H

#include <jansson.h>

#include "s3up.h"

/* Hand j's reference to p: json_decref runs when p is cleared. */
json_t *s3up_json_own(json_t *j, apr_pool_t *p);

/* Parse a JSON text of at most max bytes (S3UP_ETOOBIG beyond), rejecting
 * duplicate keys. On S3UP_EPARSE, *why says where and what. */
apr_status_t s3up_json_parse(json_t **out, const char *text, apr_size_t len, apr_size_t max,
                             const char **why, apr_pool_t *p);

/* Compact text (keys in insertion order), allocated from p. */
const char *s3up_json_dump(const json_t *j, apr_pool_t *p);

/* A JSON string of s. ASCII text, such as a URL this server signed, is
 * taken without the UTF-8 check json_string() makes (its cost grows with the
 * length); other text still gets it: NULL if s is not UTF-8. */
json_t *s3up_json_string(const char *s);

/* obj[name] when it is a string, else NULL. */
const char *s3up_json_str(const json_t *obj, const char *name);

#endif /* S3UP_JSON_H */
