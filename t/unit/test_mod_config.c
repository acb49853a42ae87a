/*
 * Every configuration field has a create default and a merge rule.
 *
 * How this catches a forgotten field: the structs in mod_s3up_config.h are
 * generated from the S3UP_DIR_FIELDS / S3UP_SRV_FIELDS lists, and the
 * field tables below are generated from the same lists, so a new field is
 * tested the moment it exists. For each field:
 *   - create leaves it unset (NULL, or S3UP_CONF_UNSET for numbers);
 *   - the directive the list names sets it, through the real setter found
 *     in the real directive table, to a value that differs between "base"
 *     and "add" and is not all zero bytes (pcalloc's value, which a
 *     forgotten merge line leaves behind);
 *   - merge(base, add) takes add's value, merge(add, unset) and
 *     merge(base, unset) keep the configured one, merge(unset, unset)
 *     stays unset (defaults belong in the getters).
 * A directive in the table without sample values here fails too.
 *
 * This compiles src/mod_s3up_config.c against httpd's headers. httpd is not
 * a library, so the two ap_* functions the setters call and the module
 * record are defined below: a test harness for the directive plumbing,
 * not a stand-in for anything the code under test decides.
 */
#include <stddef.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>

#include <httpd.h>
#include <http_config.h>

#include "mod_s3up_config.h"
#include "tap.h"

/* ------------------------------------------------------------------------
 * harness: what httpd would provide
 */

module AP_MODULE_DECLARE_DATA s3up_module; /* module_index 0 */

/* httpd looks at the enclosing sections; here cmd->path says we are in one. */
AP_DECLARE(const char *) ap_check_cmd_context(cmd_parms *cmd, unsigned forbidden)
{
    if ((forbidden & NOT_IN_LOCATION) && cmd->path) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " cannot occur within <Location> section",
                           NULL);
    }
    return NULL;
}

AP_DECLARE(char *) ap_server_root_relative(apr_pool_t *p, const char *fname)
{
    return fname[0] == '/' ? apr_pstrdup(p, fname) : apr_pstrcat(p, "/tmp/", fname, NULL);
}

/* ------------------------------------------------------------------------
 * the field tables, from the same lists as the structs
 */

typedef struct {
    const char *name;
    const char *directive;
    size_t offset, size;
    int is_ptr;
    int kind_ptr;
} field_t;

/* A field's kind (which says how create and merge treat it) must match its
 * type: a pointer kept as NUM would be "set" to -1 by create. */
#define IS_PTR(type) _Generic((type){0}, const char * : 1, default : 0)
#define KIND_PTR 1
#define KIND_NUM 0
#define FIELD(conf, kind, type, f, d)                                                              \
    {#f, d, offsetof(conf, f), sizeof(type), IS_PTR(type), KIND_##kind},
#define DIR_FIELD(kind, type, f, d) FIELD(s3up_dir_conf_t, kind, type, f, d)
#define SRV_FIELD(kind, type, f, d) FIELD(s3up_srv_conf_t, kind, type, f, d)

static const field_t dir_fields[] = {S3UP_DIR_FIELDS(DIR_FIELD)};
static const field_t srv_fields[] = {S3UP_SRV_FIELDS(SRV_FIELD)};

#define N_DIR (sizeof(dir_fields) / sizeof(dir_fields[0]))
#define N_SRV (sizeof(srv_fields) / sizeof(srv_fields[0]))

/* ------------------------------------------------------------------------
 * sample values: base and add differ, add is never 0/Off/NULL
 */

typedef struct {
    const char *directive;
    const char *base, *add;
} sample_t;

static sample_t samples[] = {
    {"S3UpBucket", "base-bucket", "add-bucket"},
    {"S3UpRegion", "eu-west-1", "us-west-2"},
    {"S3UpEndpoint", "https://s3.example.com", "http://127.0.0.1:7480"},
    {"S3UpPathStyle", "Off", "On"},
    {"S3UpCredentials", "profile base", "static"},
    {"S3UpAccessKey", "AKIDBASE", "AKIDADD"},
    {"S3UpSecretKeyFile", NULL, NULL}, /* temporary files, made in main() */
    {"S3UpPrefix", "base/", "add"},
    {"S3UpStatePrefix", ".base-state/", ".add-state"},
    {"S3UpPartSize", "8M", "128M"},
    {"S3UpMaxFileSize", "1G", "2T"},
    {"S3UpPresignExpires", "10m", "2h"},
    {"S3UpShareMaxExpires", "1d", "3d"},
    {"S3UpUserClaim", "email", "preferred_username"},
    {"S3UpClaimPrefix", "BASE_", "ADD_"},
    {"S3UpUploadMode", "direct", "proxy"},
    {"S3UpPartsInFlight", "2", "8"},
    {"S3UpMaxUnfinished", "5", "300"},
    {"S3UpServerSideEncryption", "AES256", "aws:kms alias/uploads"},
    {"S3UpStorageClass", "STANDARD_IA", "GLACIER_IR"},
    {"S3UpSecretFile", NULL, NULL}, /* temporary files, made in main() */
    {"S3UpCacheTTL", "10s", "1m"},
    {"S3UpCognitoUserPool", "eu-west-1_Base1", "us-east-1_Add2"},
    {"S3UpCognitoEndpoint", "http://127.0.0.1:9229", "https://cognito.example.com"},
    {"S3UpDocumentRoot", "/", "/tmp"},
    {"S3UpPortalURL", "/base/", "https://portal.example.com/"},
    {"S3UpLinkURL", "/base-drop", "https://files.example.com/drop"},
    {"S3UpNotifyURL", "http://127.0.0.1:9/hook", "https://hooks.example.com/s3up?x=1"},
    {"S3UpNotifySecretFile", NULL, NULL}, /* temporary files, made in main() */
    {NULL, NULL, NULL},
};

static sample_t *sample_for(const char *directive)
{
    sample_t *s;

    for (s = samples; s->directive; s++) {
        if (!strcasecmp(s->directive, directive)) {
            return s;
        }
    }
    return NULL;
}

static const command_rec *cmd_for(const char *directive)
{
    const command_rec *c;

    for (c = s3up_cmds; c->name; c++) {
        if (!strcasecmp(c->name, directive)) {
            return c;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * helpers
 */

static const char *temp_file(apr_pool_t *p, const char *name, const char *data)
{
    const char *dir, *path;
    apr_file_t *f;

    apr_temp_dir_get(&dir, p);
    path = apr_psprintf(p, "%s/s3up-test-conf-%ld-%s", dir, (long)getpid(), name);
    apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE,
                  APR_FPROT_UREAD | APR_FPROT_UWRITE, p);
    apr_file_puts(data, f);
    apr_file_close(f);
    return path;
}

/* Calls a directive's setter the way httpd's config walk does. */
static const char *invoke(const command_rec *c, server_rec *s, void *dconf, const char *arg,
                          apr_pool_t *p)
{
    cmd_parms cmd = {0};
    char *first, *rest;

    cmd.pool = p;
    cmd.temp_pool = p;
    cmd.server = s;
    cmd.cmd = c;
    cmd.info = c->cmd_data; /* as httpd's invoke_cmd() does */
    switch (c->args_how) {
    case TAKE1:
        return c->AP_TAKE1(&cmd, dconf, arg);
    case FLAG:
        return c->AP_FLAG(&cmd, dconf, !strcasecmp(arg, "on"));
    case TAKE12:
        first = apr_strtok(apr_pstrdup(p, arg), " ", &rest);
        return c->AP_TAKE2(&cmd, dconf, first, *rest ? rest : NULL);
    default:
        return "the test harness does not know this args_how";
    }
}

typedef struct {
    server_rec s;
    void *slots[1]; /* the module config vector: s3up_module is index 0 */
    s3up_dir_conf_t *dir;
} level_t;

static void level_init(level_t *l, apr_pool_t *p)
{
    memset(l, 0, sizeof(*l));
    l->dir = s3up_conf_create_dir(p, NULL);
    l->slots[0] = s3up_conf_create_srv(p, &l->s);
    l->s.module_config = (ap_conf_vector_t *)l->slots;
}

/* Sets every directive of the table to its base or add sample. */
static void level_set_all(level_t *l, int add, apr_pool_t *p)
{
    const command_rec *c;

    for (c = s3up_cmds; c->name; c++) {
        const sample_t *smp = sample_for(c->name);
        const char *err;

        if (!ok(smp != NULL, "%s has sample values in this test", c->name)) {
            continue;
        }
        err = invoke(c, &l->s, l->dir, add ? smp->add : smp->base, p);
        if (!ok(err == NULL, "%s %s accepted", c->name, add ? smp->add : smp->base)) {
            diag("error: %s", err);
        }
    }
}

static int all_bytes(const void *v, size_t n, unsigned char b)
{
    const unsigned char *c = v;

    while (n--) {
        if (*c++ != b) {
            return 0;
        }
    }
    return 1;
}

/* NULL for pointers, S3UP_CONF_UNSET (-1: all bits set) for numbers. */
static int is_unset(const field_t *f, const void *conf)
{
    const char *v = (const char *)conf + f->offset;

    return f->is_ptr ? all_bytes(v, f->size, 0) : all_bytes(v, f->size, 0xff);
}

static int same(const field_t *f, const void *a, const void *b)
{
    return !memcmp((const char *)a + f->offset, (const char *)b + f->offset, f->size);
}

typedef void *merge_fn(apr_pool_t *p, void *base, void *add);

static void check_fields(const char *what, const field_t *fields, size_t n, void *fresh, void *base,
                         void *add, merge_fn *merge, apr_pool_t *p)
{
    void *m_override = merge(p, base, add);
    void *m_keep_add = merge(p, add, fresh);
    void *m_keep_base = merge(p, base, fresh);
    void *m_unset = merge(p, fresh, fresh);
    size_t i;

    for (i = 0; i < n; i++) {
        const field_t *f = &fields[i];

        ok(cmd_for(f->directive) != NULL, "%s.%s: its directive %s is in the table", what, f->name,
           f->directive);
        ok(f->is_ptr == f->kind_ptr, "%s.%s: its kind fits its type", what, f->name);
        ok(is_unset(f, fresh), "%s.%s: create leaves it unset", what, f->name);
        ok(!is_unset(f, add) && !is_unset(f, base), "%s.%s: %s sets it", what, f->name,
           f->directive);
        ok(!all_bytes((char *)add + f->offset, f->size, 0),
           "%s.%s: the add sample is not zero (so a missing merge line shows)", what, f->name);
        ok(!same(f, base, add), "%s.%s: base and add samples differ", what, f->name);
        ok(same(f, m_override, add), "%s.%s: merge(base, add) takes add", what, f->name);
        ok(same(f, m_keep_add, add), "%s.%s: merge(add, unset) keeps add", what, f->name);
        ok(same(f, m_keep_base, base), "%s.%s: merge(base, unset) keeps base", what, f->name);
        ok(is_unset(f, m_unset), "%s.%s: merge(unset, unset) stays unset", what, f->name);
    }
}

static void test_coverage(apr_pool_t *p)
{
    level_t fresh, base, add;

    level_init(&fresh, p);
    level_init(&base, p);
    level_init(&add, p);
    level_set_all(&base, 0, p);
    level_set_all(&add, 1, p);

    check_fields("dir", dir_fields, N_DIR, fresh.dir, base.dir, add.dir, s3up_conf_merge_dir, p);
    check_fields("srv", srv_fields, N_SRV, fresh.slots[0], base.slots[0], add.slots[0],
                 s3up_conf_merge_srv, p);
}

/* Every sample is for a real directive (no stale rows). */
static void test_samples_current(void)
{
    const sample_t *s;

    for (s = samples; s->directive; s++) {
        ok(cmd_for(s->directive) != NULL, "sample %s names a directive", s->directive);
    }
}

static void test_defaults(apr_pool_t *p)
{
    s3up_dir_conf_t *dc = s3up_conf_create_dir(p, NULL);
    s3up_srv_conf_t *sc = s3up_conf_create_srv(p, NULL);

    ok(s3up_conf_bucket(dc) == NULL, "default: no bucket");
    is_str(s3up_conf_region(dc), "us-east-1", "default: region");
    is_str(s3up_conf_s3_server(dc, p), "https://s3.us-east-1.amazonaws.com", "default: endpoint");
    is_int(s3up_conf_path_style(dc), 0, "default: virtual-hosted style on AWS");
    is_int(s3up_conf_creds_source(dc), S3UP_CREDS_CHAIN, "default: credentials chain");
    is_str(s3up_conf_prefix(dc), "uploads/", "default: prefix");
    is_str(s3up_conf_state_prefix(dc), ".s3up/", "default: state prefix");
    is_int(s3up_conf_part_size(dc), 64 * 1024 * 1024, "default: part size 64M");
    is_int(s3up_conf_max_file_size(dc), 5LL << 40, "default: max file size 5T");
    is_int(s3up_conf_presign_expires(dc), apr_time_from_sec(3600), "default: presign 1h");
    is_int(s3up_conf_share_max_expires(dc), apr_time_from_sec(7 * 86400), "default: share 7d");
    is_str(s3up_conf_user_claim(dc), "REMOTE_USER", "default: user claim");
    is_str(s3up_conf_claim_prefix(dc), "OIDC_CLAIM_", "default: claim prefix");
    is_int(s3up_conf_upload_mode(dc), S3UP_MODE_DIRECT, "default: direct mode");
    is_int(s3up_conf_cache_ttl(sc), apr_time_from_sec(30), "default: cache TTL 30s");
    ok(s3up_conf_secret(sc) == NULL, "default: no link secret");

    dc->region = "eu-central-1";
    is_str(s3up_conf_s3_server(dc, p), "https://s3.eu-central-1.amazonaws.com",
           "endpoint follows the region");
    dc->s3_server = "http://127.0.0.1:7480";
    is_int(s3up_conf_path_style(dc), 1, "custom endpoint: path style");
    dc->s3_server = "https://s3.eu-central-1.amazonaws.com";
    is_int(s3up_conf_path_style(dc), 0, "explicit AWS endpoint: virtual-hosted style");
    dc->path_style = 1;
    is_int(s3up_conf_path_style(dc), 1, "S3UpPathStyle On wins");
}

/* S3UpServerSideEncryption's forms, and a key not merged into AES256. */
static void test_storage(apr_pool_t *p)
{
    const command_rec *sse = cmd_for("S3UpServerSideEncryption");
    s3up_dir_conf_t *base = s3up_conf_create_dir(p, NULL), *add = s3up_conf_create_dir(p, NULL);
    server_rec s = {0};
    s3up_s3_storage_t st;
    const char *err;

    st = s3up_conf_storage(base);
    ok(!st.sse && !st.kms_key_id && !st.storage_class, "default: the bucket's own settings");
    err = invoke(sse, &s, base, "AES256 k1", p);
    ok(err && strstr(err, "S3UpServerSideEncryption: AES256 takes no key"), "AES256 with a key: %s",
       err);
    err = invoke(sse, &s, base, "aws:KMS", p);
    ok(err && strstr(err, "neither AES256 nor aws:kms"), "an unknown mode: %s", err);
    err = invoke(sse, &s, base, "aws:kms key with space", p);
    ok(err && strstr(err, "is not a KMS key id"), "a bad key: %s", err);
    ok(!invoke(sse, &s, base, "aws:kms arn:aws:kms:eu-west-1:111122223333:key/1234abcd", p),
       "a KMS key ARN");
    ok(!invoke(sse, &s, add, "AES256", p), "AES256");
    st = s3up_conf_storage(s3up_conf_merge_dir(p, base, add));
    ok(!strcmp(st.sse, "AES256") && !st.kms_key_id,
       "AES256 in a section does not take the server's KMS key");
    st = s3up_conf_storage(base);
    is_str(st.kms_key_id, "arn:aws:kms:eu-west-1:111122223333:key/1234abcd", "the key, as given");
    err = invoke(cmd_for("S3UpStorageClass"), &s, base, "standard_ia", p);
    ok(err && strstr(err, "is not a storage class"), "a lower-case class: %s", err);
}

int main(void)
{
    apr_pool_t *p;
    const char *f1, *f2, *f3, *f4;

    apr_initialize();
    apr_pool_create(&p, NULL);
    f1 = temp_file(p, "sk-base", "base-secret-key\n");
    f2 = temp_file(p, "sk-add", "add-secret-key\n");
    f3 = temp_file(p, "hmac-base", "0123456789abcdef0123456789abcdef-base\n");
    f4 = temp_file(p, "hmac-add", "0123456789abcdef0123456789abcdef-add\n");
    sample_for("S3UpSecretKeyFile")->base = f1;
    sample_for("S3UpSecretKeyFile")->add = f2;
    sample_for("S3UpSecretFile")->base = f3;
    sample_for("S3UpSecretFile")->add = f4;
    sample_for("S3UpNotifySecretFile")->base = f3;
    sample_for("S3UpNotifySecretFile")->add = f4;

    test_samples_current();
    test_coverage(p);
    test_defaults(p);
    test_storage(p);

    apr_file_remove(f1, p);
    apr_file_remove(f2, p);
    apr_file_remove(f3, p);
    apr_file_remove(f4, p);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
