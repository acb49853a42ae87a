/*
 * Admins' actions: endpoints with their members and upload links, the files
 * that arrived, unfinished uploads, downloads and share links (docs/api.md,
 * admin routes). Who is an admin is httpd's decision; these functions act
 * for whoever the caller says, and check every value and key they are
 * given.
 *
 * Every function returns APR_SUCCESS, or a status with *err saying why:
 *   S3UP_EINPUT     bad input ("BadRequest", "InvalidKey")
 *   S3UP_ENOTFOUND  no such endpoint, link or file ("NoSuchEndpoint", ...)
 *   S3UP_ECONFLICT  exists already, changed meanwhile, or files from before
 *                   ("Conflict", "FolderNotEmpty")
 *   S3UP_EDENIED    not configured for it here ("Conflict")
 * or S3's (and Cognito's) own failure.
 */
#ifndef S3UP_MANAGE_H
#define S3UP_MANAGE_H

#include "s3up_principal.h"
#include "s3up_s3.h"
#include "s3up_store.h"

/* The server's settings that shape admins' actions. */
typedef struct s3up_manage_conf_t {
    const char *prefix;            /* S3UpPrefix */
    apr_off_t max_file_size;       /* S3UpMaxFileSize */
    apr_interval_time_t share_max; /* S3UpShareMaxExpires */
    int links;                     /* S3UpLinkURL and S3UpSecretFile are set */
    const char *cognito_pool;      /* S3UpCognitoUserPool, or NULL */
    const char *cognito_server;    /* S3UpCognitoEndpoint, or NULL: AWS's */
} s3up_manage_conf_t;

/* One request's view. */
typedef struct s3up_manage_t {
    const s3up_manage_conf_t *conf;
    s3up_s3_t *s3;
    s3up_store_t *store;
    const s3up_principal_t *who; /* the admin */
} s3up_manage_t;

#define S3UP_MANAGE_MEMBERS_MAX 200
#define S3UP_MANAGE_NOTE_MAX 1000
/* Passcodes an admin chooses: at least this long. */
#define S3UP_MANAGE_PASSCODE_MIN 8

/* What an admin sets on an endpoint; what is not set stays as it is. */
typedef struct s3up_endpoint_spec_t {
    const apr_array_header_t *members; /* const char *; NULL: unchanged */
    int set_expires;
    apr_time_t expires; /* 0: never */
    int set_max_file_size;
    apr_off_t max_file_size; /* 0: the server's */
    const char *status;      /* S3UP_ENDPOINT_ACTIVE or _REVOKED; NULL: unchanged */
    const char *note;        /* NULL: unchanged */
} s3up_endpoint_spec_t;

/* A new upload link. */
typedef struct s3up_link_spec_t {
    apr_time_t expires;   /* 0: as long as its endpoint */
    const char *passcode; /* one the admin chose, or NULL */
    int make_passcode;    /* make one up (13 characters, 64 bits) */
    const char *label;    /* whom or what it is for, or NULL */
} s3up_link_spec_t;

/* Longest link label, in bytes. */
#define S3UP_MANAGE_LABEL_MAX 200

typedef struct s3up_link_made_t {
    s3up_link_t *link;
    const char *token;    /* shown this once */
    const char *passcode; /* the passcode, shown this once; NULL: none */
} s3up_link_made_t;

/* What to do with files a folder holds when its endpoint is created. */
typedef enum {
    S3UP_EXISTING_REFUSE = 0, /* S3UP_ECONFLICT "FolderNotEmpty" */
    S3UP_EXISTING_KEEP,       /* show them to the new members */
    S3UP_EXISTING_DELETE,     /* remove them first */
} s3up_existing_e;

typedef struct s3up_created_t {
    s3up_endpoint_t *ep;
    s3up_link_made_t *link;   /* when one was asked for */
    const char *cognito_user; /* with its temporary password, shown once */
    const char *cognito_password;
    int old_files;      /* files and unfinished uploads removed first */
    const char *failed; /* on failure, the step: "cognito-create",
                           "endpoint-create", "member-add", "link-create" */
} s3up_created_t;

/* Create endpoint id with spec: a Cognito user first when asked (the id
 * checked free before, so that a taken id leaves no user behind), the
 * record, its members in the index, a link when link is given. */
apr_status_t s3up_manage_create(s3up_created_t **out, s3up_manage_t *m, const char *id,
                                const s3up_endpoint_spec_t *spec, s3up_existing_e existing,
                                int cognito, const s3up_link_spec_t *link, s3up_error_t **err,
                                apr_pool_t *p);

/* Change endpoint id, if its record is still the version if_match names
 * (NULL: any); the member index follows. *out is the new record. */
apr_status_t s3up_manage_change(s3up_endpoint_t **out, s3up_manage_t *m, const char *id,
                                const char *if_match, const s3up_endpoint_spec_t *spec,
                                s3up_error_t **err, apr_pool_t *p);

/* Delete endpoint id: closed first (nothing new arrives meanwhile), its
 * files (and unfinished uploads) removed when delete_files, its links and
 * member index, then its record. *deleted counts the files removed. */
apr_status_t s3up_manage_delete(int *deleted, s3up_manage_t *m, const char *id, int delete_files,
                                s3up_error_t **err, apr_pool_t *p);

/* A page of endpoints (s3up_endpoint_t *), ids starting with q. */
apr_status_t s3up_manage_list(apr_array_header_t **eps, const char **next, s3up_manage_t *m,
                              const char *q, const char *cursor, int max, s3up_error_t **err,
                              apr_pool_t *p);

typedef struct s3up_totals_t {
    int files;
    apr_off_t bytes;
    int complete; /* 0: there were more pages than counted */
} s3up_totals_t;

typedef struct s3up_link_view_t {
    s3up_link_t *link;
    s3up_tries_t tries;      /* of its passcode, now */
    apr_time_t locked_until; /* 0: not locked */
    apr_time_t ends;         /* when it stops: its own or its endpoint's end,
                                whichever comes first; 0: when revoked */
} s3up_link_view_t;

typedef struct s3up_endpoint_view_t {
    s3up_endpoint_t *ep;
    apr_array_header_t *links; /* s3up_link_view_t */
    s3up_totals_t totals;
} s3up_endpoint_view_t;

/* Endpoint id with its links and the totals of its files (every page of
 * the listing up to a bound). */
apr_status_t s3up_manage_get(s3up_endpoint_view_t **out, s3up_manage_t *m, const char *id,
                             s3up_error_t **err, apr_pool_t *p);

/* Upload links of endpoint id. */
apr_status_t s3up_manage_link_create(s3up_link_made_t **out, s3up_manage_t *m, const char *id,
                                     const s3up_link_spec_t *spec, s3up_error_t **err,
                                     apr_pool_t *p);
apr_status_t s3up_manage_link_revoke(s3up_manage_t *m, const char *id, const char *link_id,
                                     s3up_error_t **err, apr_pool_t *p);
/* Forget the link's passcode tries (in the bucket; the caller forgets its
 * server's own count). */
apr_status_t s3up_manage_link_unlock(s3up_link_view_t **out, s3up_manage_t *m, const char *id,
                                     const char *link_id, s3up_error_t **err, apr_pool_t *p);

/* Presigned GETs of a customer's file, as an attachment with its name:
 * for the admin's own download (short-lived), or to share (life up to
 * S3UpShareMaxExpires; the file must exist). */
apr_status_t s3up_manage_download(const char **url, s3up_manage_t *m, const char *key,
                                  s3up_error_t **err, apr_pool_t *p);
apr_status_t s3up_manage_share(const char **url, apr_time_t *expires_at, s3up_manage_t *m,
                               const char *key, apr_interval_time_t life, s3up_error_t **err,
                               apr_pool_t *p);
apr_status_t s3up_manage_file_delete(s3up_manage_t *m, const char *key, s3up_error_t **err,
                                     apr_pool_t *p);

typedef struct s3up_unfinished_t {
    const char *key;
    const char *upload_id;
    apr_time_t initiated;
    int parts;
    apr_off_t bytes;
} s3up_unfinished_t;

/* Endpoint id's unfinished uploads (s3up_unfinished_t), with their size so
 * far; *truncated when there were more than listed. */
apr_status_t s3up_manage_uploads(apr_array_header_t **out, int *truncated, s3up_manage_t *m,
                                 const char *id, s3up_error_t **err, apr_pool_t *p);

/* Abort an unfinished upload; its name is freed if it was reserved for it.
 * *gone when S3 no longer had it. */
apr_status_t s3up_manage_upload_abort(int *gone, s3up_manage_t *m, const char *key,
                                      const char *upload_id, s3up_error_t **err, apr_pool_t *p);

/* Share links through this server (s3up_manage_share.c): the address
 * holds a token of 256 random bits; each use is answered with a fresh,
 * short-lived presigned GET of the one shared key. */
typedef struct s3up_share_made_t {
    s3up_share_t *share;
    const char *token; /* shown this once */
} s3up_share_made_t;

/* A new share of key (a file that exists) for life (60 s to
 * S3UpShareMaxExpires). */
apr_status_t s3up_manage_share_create(s3up_share_made_t **out, s3up_manage_t *m, const char *key,
                                      apr_interval_time_t life, s3up_error_t **err, apr_pool_t *p);
/* Endpoint id's shares (s3up_share_t *), newest first. */
apr_status_t s3up_manage_shares(apr_array_header_t **out, s3up_manage_t *m, const char *id,
                                s3up_error_t **err, apr_pool_t *p);
apr_status_t s3up_manage_share_revoke(s3up_manage_t *m, const char *id, const char *share_id,
                                      s3up_error_t **err, apr_pool_t *p);

/* Anyone following a share's address (m->who may be NULL): *url is a
 * presigned GET of its key, good for a few minutes (never past the share),
 * and the use is counted. S3UP_ENOTFOUND "NoSuchShare" for a token that
 * names no share (revoked, or never made) or whose file is gone;
 * APR_TIMEUP "ShareExpired" once it expired. *share is set whenever a
 * record was found. */
apr_status_t s3up_manage_share_open(const char **url, s3up_share_t **share, s3up_manage_t *m,
                                    const char *token, s3up_error_t **err, apr_pool_t *p);

/* The files of an endpoint as the admin pages list them
 * (s3up_manage_browse.c): the whole folder listed (up to a bound), then
 * filtered, sorted and cut into pages here. */
typedef enum {
    S3UP_SORT_NAME = 0,
    S3UP_SORT_SIZE,
    S3UP_SORT_ARRIVED,
    S3UP_SORT_UPLOADER,
} s3up_sort_e;

typedef struct s3up_files_query_t {
    const char *sub;    /* a folder below the endpoint's (relative path), or NULL */
    const char *filter; /* names containing this, any case; NULL: all */
    s3up_sort_e sort;
    int descending;
    int folders; /* the folders directly below sub as rows of their own */
    int offset;  /* where the page starts */
    int limit;   /* its length */
} s3up_files_query_t;

/* Who uploaded a file: a person's name, or a link (its label, if known). */
typedef struct s3up_uploader_t {
    const char *name;    /* the person, or the link's label; NULL: unknown */
    const char *link_id; /* a link's id (or the start of it), else NULL */
} s3up_uploader_t;

typedef struct s3up_file_row_t {
    const char *key;  /* NULL for a folder */
    const char *name; /* relative to the endpoint's folder */
    apr_off_t size;   /* a folder's: of its files */
    apr_time_t last_modified;
    const char *etag; /* a file's, as S3 lists it */
    int files;        /* a folder's */
    s3up_uploader_t by;
    const char *checksum; /* "sha256:..." when the file carries one, else NULL */
    const char *copy_of;  /* "a (1).pdf" beside "a.pdf": the original's name */
} s3up_file_row_t;

typedef struct s3up_file_list_t {
    apr_array_header_t *rows;    /* s3up_file_row_t: this page of files */
    apr_array_header_t *folders; /* s3up_file_row_t: every folder (q->folders) */
    const char *folder;          /* the endpoint's folder (key prefix) */
    s3up_totals_t totals;        /* the files matched, every page */
    int next;                    /* the next page's offset; -1: none */
} s3up_file_list_t;

#define S3UP_MANAGE_FILES_MAX 10000    /* listed per query */
#define S3UP_MANAGE_UPLOADERS_MAX 1000 /* files sorted by uploader at most */
#define S3UP_MANAGE_PAGE_MAX 500

apr_status_t s3up_manage_browse(s3up_file_list_t **out, s3up_manage_t *m, const char *id,
                                const s3up_files_query_t *q, s3up_error_t **err, apr_pool_t *p);

/* The pure parts of it, for tests: the name a numbered copy ("a (2).pdf")
 * was made from ("a.pdf"), or NULL; and rows sorted by q. */
const char *s3up_manage_copy_base(const char *name, apr_pool_t *p);
void s3up_manage_sort(apr_array_header_t *rows, s3up_sort_e sort, int descending);

#endif /* S3UP_MANAGE_H */
