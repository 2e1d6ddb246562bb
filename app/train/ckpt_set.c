/* Checkpoint sets committed as one (see ckpt_set.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/train/ckpt_set.h"
#include "app/common/fsutil.h"

#define NEXT_SUFFIX ".safetensors.next"
#define COMMIT_SUFFIX ".commit"

void ckpt_set_begin(ckpt_set *s, const char *dir, const char *tag)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->tag, sizeof s->tag, "%s", tag);
}

const char *ckpt_set_stage(ckpt_set *s, const char *name)
{
    if (s->count == CKPT_SET_MAX_FILES)
        return NULL;
    char path[CKPT_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s_%s" NEXT_SUFFIX, s->dir, s->tag, name);
    memcpy(s->staged[s->count], path, sizeof path);
    return s->staged[s->count++];
}

/* The final name of a staged file: the path without ".next". */
static void final_name(const char *staged, char *out, size_t len)
{
    snprintf(out, len, "%.*s", (int)(strlen(staged) - strlen(".next")), staged);
}

static void record_path(const char *dir, const char *tag, char *out, size_t len)
{
    snprintf(out, len, "%s/%s" COMMIT_SUFFIX, dir, tag);
}

int ckpt_set_commit(ckpt_set *s, char *err, size_t errlen)
{
    char record[CKPT_PATH_MAX], final[CKPT_PATH_MAX], text[CKPT_SET_MAX_FILES * 256 + 64];
    record_path(s->dir, s->tag, record, sizeof record);
    snprintf(text, sizeof text, "pix2pix-vk checkpoint set %s: these files are one step\n",
             s->tag);
    for (int i = 0; i < s->count; i++) {
        const char *slash = strrchr(s->staged[i], '/');
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s\n", slash + 1);
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

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* Renames every TAG_*.safetensors.next of dir into place. */
static int finish_tag(const char *dir, const char *tag, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot read the folder: %s", dir, strerror(errno));
        return -1;
    }
    size_t tlen = strlen(tag);
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, tag, tlen) || e->d_name[tlen] != '_' ||
            !ends_with(e->d_name, NEXT_SUFFIX))
            continue;
        char staged[CKPT_PATH_MAX], final[CKPT_PATH_MAX];
        snprintf(staged, sizeof staged, "%s/%s", dir, e->d_name);
        final_name(staged, final, sizeof final);
        if (rename(staged, final)) {
            snprintf(err, errlen, "%s: cannot rename into place: %s", final, strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

/* Calls fn(dir, entry name) for each entry of dir ending in suffix; stops at an error. */
static int for_each_suffix(const char *dir, const char *suffix,
                           int (*fn)(const char *dir, const char *name, char *err, size_t errlen),
                           int *count, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot read the folder: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d)) != NULL)
        if (ends_with(e->d_name, suffix)) {
            rc = fn(dir, e->d_name, err, errlen);
            *count += !rc;
        }
    closedir(d);
    return rc;
}

static int finish_record(const char *dir, const char *name, char *err, size_t errlen)
{
    char tag[256], record[CKPT_PATH_MAX];
    snprintf(tag, sizeof tag, "%.*s", (int)(strlen(name) - strlen(COMMIT_SUFFIX)), name);
    snprintf(record, sizeof record, "%s/%s", dir, name);
    if (finish_tag(dir, tag, err, errlen))
        return -1;
    if (fs_sync_dir(dir) || unlink(record)) {
        snprintf(err, errlen, "%s: cannot finish the commit: %s", record, strerror(errno));
        return -1;
    }
    return 0;
}

static int discard_staged(const char *dir, const char *name, char *err, size_t errlen)
{
    char path[CKPT_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (unlink(path)) {
        snprintf(err, errlen, "%s: cannot remove: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int ckpt_set_recover(const char *dir, int *discarded, char *err, size_t errlen)
{
    int finished = 0;
    *discarded = 0;
    if (for_each_suffix(dir, COMMIT_SUFFIX, finish_record, &finished, err, errlen) ||
        for_each_suffix(dir, NEXT_SUFFIX, discard_staged, discarded, err, errlen))
        return -1;
    if ((finished || *discarded) && fs_sync_dir(dir)) {
        snprintf(err, errlen, "%s: fsync of the folder failed: %s", dir, strerror(errno));
        return -1;
    }
    return finished;
}

void ckpt_set_path(const char *dir, const char *tag, const char *name, char *out, size_t len)
{
    char record[CKPT_PATH_MAX];
    record_path(dir, tag, record, sizeof record);
    snprintf(out, len, "%s/%s_%s" NEXT_SUFFIX, dir, tag, name);
    if (!fs_exists(record) || !fs_exists(out))
        snprintf(out, len, "%s/%s_%s.safetensors", dir, tag, name);
}
