/* Checkpoint sets committed as one (see ckpt_set.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/train/ckpt_set.h"
#include "app/common/fsutil.h"
#include "base/out_path.h"
#include "app/train/ckpt_record.h"

void ckpt_set_begin(ckpt_set *s, const char *dir, const char *tag, long long step)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->tag, sizeof s->tag, "%s", tag);
    s->step = step;
}

/* 0 when final may be replaced by a rename: a regular file, or none yet. */
static int check_final(const char *final, char *err, size_t errlen)
{
    char why[512], *target;
    if (out_path_target(final, &target, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", final, why);
        return -1;
    }
    int link = strcmp(target, final) != 0;
    free(target);
    if (link)
        snprintf(err, errlen, "%s: a symbolic link; a checkpoint is put in place by a rename, "
                 "which would replace the link: refusing (put the file itself there)", final);
    return link ? -1 : 0;
}

const char *ckpt_set_stage(ckpt_set *s, const char *name, char *err, size_t errlen)
{
    char final[CKPT_PATH_MAX - sizeof ".next"];
    snprintf(final, sizeof final, "%s/%s_%s.safetensors", s->dir, s->tag, name);
    if (s->count == CKPT_SET_MAX_FILES) {
        snprintf(err, errlen, "%s: more than %d files in a checkpoint set", final,
                 CKPT_SET_MAX_FILES);
        return NULL;
    }
    if (check_final(final, err, errlen))
        return NULL;
    snprintf(s->staged[s->count], CKPT_PATH_MAX, "%s.next", final);
    return s->staged[s->count++];
}

/* The final name of a staged file: the path without ".next". */
static void final_name(const char *staged, char *out, size_t len)
{
    snprintf(out, len, "%.*s", (int)(strlen(staged) - strlen(".next")), staged);
}

/* The record of the staged files as written: their names and sizes. */
static int describe(const ckpt_set *s, char *text, size_t len, char *err, size_t errlen)
{
    ckpt_record r = {.step = s->step, .count = s->count};
    for (int i = 0; i < s->count; i++) {
        struct stat st;
        if (stat(s->staged[i], &st)) {
            snprintf(err, errlen, "%s: %s", s->staged[i], strerror(errno));
            return -1;
        }
        snprintf(r.names[i], CKPT_NAME_MAX, "%s", strrchr(s->staged[i], '/') + 1);
        r.sizes[i] = (long long)st.st_size;
    }
    if (ckpt_record_format(&r, s->tag, text, len)) {
        snprintf(err, errlen, "%s/%s" CKPT_COMMIT_SUFFIX ": the file names are too long", s->dir,
                 s->tag);
        return -1;
    }
    return 0;
}

int ckpt_set_commit(ckpt_set *s, char *err, size_t errlen)
{
    char record[CKPT_PATH_MAX], final[CKPT_PATH_MAX], text[CKPT_SET_MAX_FILES * 300 + 100];
    snprintf(record, sizeof record, "%s/%s" CKPT_COMMIT_SUFFIX, s->dir, s->tag);
    if (describe(s, text, sizeof text, err, errlen)) {
        ckpt_set_abort(s);
        return -1;
    }
    if (fs_write_atomic(record, text) || fs_sync_dir(s->dir)) {
        snprintf(err, errlen, "%s: cannot write: %s", record, strerror(errno));
        ckpt_set_abort(s);
        unlink(record);
        return -1;
    }
    /* Committed: a failure below is finished by the next recovery. */
    for (int i = 0; i < s->count; i++) {
        final_name(s->staged[i], final, sizeof final);
        if (rename(s->staged[i], final)) {
            snprintf(err, errlen, "%s: cannot rename into place: %s", final, strerror(errno));
            return -1;
        }
    }
    if (fs_sync_dir(s->dir) || unlink(record) || fs_sync_dir(s->dir)) {
        snprintf(err, errlen, "%s: cannot finish the commit: %s", record, strerror(errno));
        return -1;
    }
    return 0;
}

void ckpt_set_abort(ckpt_set *s)
{
    for (int i = 0; i < s->count; i++)
        unlink(s->staged[i]);
    s->count = 0;
}

typedef struct {
    ckpt_step_fn step_of;
    ckpt_recovery *r;
} recovery;

/* Renames the record's staged files into place (those an interrupted commit did not). */
static int finish_set(const char *dir, const ckpt_record *rec, char *err, size_t errlen)
{
    for (int i = 0; i < rec->count; i++) {
        char staged[CKPT_PATH_MAX], final[CKPT_PATH_MAX];
        snprintf(staged, sizeof staged, "%s/%s", dir, rec->names[i]);
        final_name(staged, final, sizeof final);
        if (rename(staged, final) && errno != ENOENT) {
            snprintf(err, errlen, "%s: cannot rename into place: %s", final, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Finishes the set of the record DIR/NAME, or refuses the record; other entries are passed. */
static int recover_record(const char *dir, const char *name, recovery *ctx, char *err,
                          size_t errlen)
{
    char tag[256], record[CKPT_PATH_MAX], why[1024];
    if (!ckpt_is_record(name, tag, sizeof tag))
        return 0;
    snprintf(record, sizeof record, "%s/%s", dir, name);
    ckpt_record rec;
    int complete = !ckpt_record_read(record, tag, &rec, why, sizeof why) &&
                   !ckpt_record_check(&rec, dir, tag, ctx->step_of, why, sizeof why);
    if (!complete && !ctx->r->refused++)
        snprintf(ctx->r->refused_why, sizeof ctx->r->refused_why, "%s: %s", record, why);
    if (complete && finish_set(dir, &rec, err, errlen))
        return -1;
    if ((complete && fs_sync_dir(dir)) || unlink(record)) {
        snprintf(err, errlen, "%s: cannot %s: %s", record,
                 complete ? "finish the commit" : "remove", strerror(errno));
        return -1;
    }
    ctx->r->finished += complete;
    return 0;
}

/* Removes DIR/NAME when it is a staged file; other entries are passed. */
static int discard_staged(const char *dir, const char *name, recovery *ctx, char *err,
                          size_t errlen)
{
    char path[CKPT_PATH_MAX];
    if (!ckpt_is_staged(name, NULL))
        return 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (unlink(path)) {
        snprintf(err, errlen, "%s: cannot remove: %s", path, strerror(errno));
        return -1;
    }
    ctx->r->discarded++;
    return 0;
}

/* Calls fn(dir, entry name, ctx) for each entry of dir; stops at an error. */
static int for_each_entry(const char *dir,
                          int (*fn)(const char *dir, const char *name, recovery *ctx, char *err,
                                    size_t errlen),
                          recovery *ctx, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot read the folder: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d)) != NULL)
        rc = fn(dir, e->d_name, ctx, err, errlen);
    closedir(d);
    return rc;
}

int ckpt_set_recover(const char *dir, ckpt_step_fn step_of, ckpt_recovery *r, char *err,
                     size_t errlen)
{
    memset(r, 0, sizeof *r);
    recovery ctx = {step_of, r};
    if (for_each_entry(dir, recover_record, &ctx, err, errlen) ||
        for_each_entry(dir, discard_staged, &ctx, err, errlen))
        return -1;
    if ((r->finished || r->refused || r->discarded) && fs_sync_dir(dir)) {
        snprintf(err, errlen, "%s: fsync of the folder failed: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}
