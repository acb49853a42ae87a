/*
 * The AWS shared credentials and config files: INI text, one section per
 * profile. Only flat settings are kept; indented sub-settings (the "s3 ="
 * blocks of the config file) are skipped.
 */
#include <apr_env.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "s3up.h"
#include "s3up_creds.h"

/* Longer files are not credentials files. */
#define FILE_MAX (1024 * 1024)

struct s3up_creds_files_t {
    apr_hash_t *profiles; /* name -> apr_hash_t of setting -> value */
};

s3up_creds_files_t *s3up_creds_files_make(apr_pool_t *p)
{
    s3up_creds_files_t *f = apr_palloc(p, sizeof(*f));

    f->profiles = apr_hash_make(p);
    return f;
}

static char *trim(char *s, char *end)
{
    while (s < end && apr_isspace(*s)) {
        s++;
    }
    while (end > s && apr_isspace(end[-1])) {
        end--;
    }
    *end = '\0';
    return s;
}

/* The profile a section header names, or NULL when the section is not a
 * profile ("[sso-session x]", "[services y]" of the config file). */
static const char *section_profile(const char *name, int config)
{
    if (!config || !strcmp(name, "default")) {
        return name;
    }
    if (!strncmp(name, "profile", 7) && apr_isspace(name[7])) {
        for (name += 8; apr_isspace(*name); name++) {
        }
        return *name ? name : NULL;
    }
    return NULL;
}

apr_status_t s3up_creds_files_add(s3up_creds_files_t *files, const char *text, int config,
                                  const char **why, apr_pool_t *p)
{
    char *copy = apr_pstrdup(p, text), *line, *next;
    apr_hash_t *section = NULL;
    int in_section = 0, n = 0;

    *why = NULL;
    for (line = copy; line; line = next) {
        char *end = line + strcspn(line, "\n"), *s, *eq;
        int indented = apr_isspace(*line) && *line != '\n';

        next = *end ? end + 1 : NULL;
        if (end > line && end[-1] == '\r') {
            end--;
        }
        n++;
        s = trim(line, end);
        if (!*s || *s == '#' || *s == ';') {
            continue;
        }
        if (*s == '[') {
            const char *name;
            char *close = strchr(s, ']');
            if (!close || close[1]) {
                *why = apr_psprintf(p, "line %d: a section header without its ']'", n);
                return APR_EINVAL;
            }
            name = section_profile(trim(s + 1, close), config);
            in_section = 1;
            section = NULL;
            if (name) {
                section = apr_hash_get(files->profiles, name, APR_HASH_KEY_STRING);
                if (!section) {
                    section = apr_hash_make(p);
                    apr_hash_set(files->profiles, name, APR_HASH_KEY_STRING, section);
                }
            }
            continue;
        }
        eq = strchr(s, '=');
        if (!eq || !in_section) {
            if (indented && in_section) {
                continue; /* a sub-setting of a nested block */
            }
            *why = apr_psprintf(p, "line %d: %s", n,
                                in_section ? "neither a section, a setting nor a comment"
                                           : "a setting before any [section]");
            return APR_EINVAL;
        }
        if (indented || !section) {
            continue;
        }
        {
            const char *name = trim(s, eq), *value = trim(eq + 1, eq + 1 + strlen(eq + 1));
            /* The credentials file's settings win: it is read first and
             * the config file only fills what is missing. */
            if (*value && !(config && apr_hash_get(section, name, APR_HASH_KEY_STRING))) {
                apr_hash_set(section, name, APR_HASH_KEY_STRING, value);
            }
        }
    }
    return APR_SUCCESS;
}

const char *s3up_creds_files_get(const s3up_creds_files_t *files, const char *profile,
                                 const char *name)
{
    apr_hash_t *section;

    if (!files || !profile) {
        return NULL;
    }
    section = apr_hash_get(files->profiles, profile, APR_HASH_KEY_STRING);
    return section ? apr_hash_get(section, name, APR_HASH_KEY_STRING) : NULL;
}

static apr_status_t load_one(s3up_creds_files_t *files, const char *env, const char *dflt,
                             int config, const char **why, apr_pool_t *p)
{
    char *path, *home;
    const char *text, *what;
    apr_status_t rv;

    if (apr_env_get(&path, env, p) != APR_SUCCESS || !*path) {
        if (apr_env_get(&home, "HOME", p) != APR_SUCCESS || !*home) {
            return APR_SUCCESS; /* nowhere to look */
        }
        path = apr_pstrcat(p, home, dflt, NULL);
    }
    rv = s3up_creds_read_file(&text, path, FILE_MAX, p);
    if (APR_STATUS_IS_ENOENT(rv) || APR_STATUS_IS_ENOTDIR(rv) || rv == APR_EINVAL) {
        return APR_SUCCESS; /* missing, or empty */
    }
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot read '%s': %s", path,
                            rv == S3UP_ETOOBIG ? "larger than 1 MB" : s3up_strerror(rv, p));
        return rv;
    }
    rv = s3up_creds_files_add(files, text, config, &what, p);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "'%s', %s", path, what);
    }
    return rv;
}

apr_status_t s3up_creds_files_load(s3up_creds_files_t **out, const char **why, apr_pool_t *p)
{
    s3up_creds_files_t *files = s3up_creds_files_make(p);
    apr_status_t rv;

    *why = NULL;
    *out = files;
    rv = load_one(files, "AWS_SHARED_CREDENTIALS_FILE", "/.aws/credentials", 0, why, p);
    if (rv == APR_SUCCESS) {
        rv = load_one(files, "AWS_CONFIG_FILE", "/.aws/config", 1, why, p);
    }
    return rv;
}
