/* The experiment folder (see exp_folder.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app/common/fsutil.h"
#include "app/train/exp_folder.h"
#include "app/train/exp_lock.h"

static int ends_with(const char *s, const char *end)
{
    size_t n = strlen(s), m = strlen(end);
    return n >= m && !strcmp(s + n - m, end);
}

/* Whether a file of this name belongs to a run: a checkpoint (staged or committed) or the
 * loss log. */
static int is_run_file(const char *name)
{
    return !strcmp(name, "loss_log.csv") || ends_with(name, ".safetensors") ||
           ends_with(name, ".safetensors.next") || ends_with(name, ".commit");
}

/* 1 when dir holds a run, with the first such file's name in found; 0 when not; -1 when it
 * cannot be read (errno set). */
static int holds_run(const char *dir, char *found, size_t len)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    const struct dirent *e;
    int run = 0;
    while (!run && (e = readdir(d)))
        if (is_run_file(e->d_name)) {
            snprintf(found, len, "%s", e->d_name);
            run = 1;
        }
    closedir(d);
    return run;
}

/* Creates the sibling folder DIR.old-YYYYmmdd-HHMMSS (with -2, -3, ... when that exists). */
static int make_aside_folder(const char *dir, char *aside, size_t len)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime_r(&now, &tm));
    for (int k = 1; k < 100; k++) {
        if (k == 1)
            snprintf(aside, len, "%s.old-%s", dir, stamp);
        else
            snprintf(aside, len, "%s.old-%s-%d", dir, stamp, k);
        if (!mkdir(aside, 0755))
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    return -1;
}

/* Moves every entry of dir but the lock (held by this run) into a new sibling folder. */
static int move_aside(const char *dir)
{
    char aside[4300], from[4600], to[4600];
    if (make_aside_folder(dir, aside, sizeof aside)) {
        fprintf(stderr, "pix2pix train: %s: cannot create a folder to move the previous run "
                "to: %s\n", dir, strerror(errno));
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "pix2pix train: %s: cannot read: %s\n", dir, strerror(errno));
        return -1;
    }
    const struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        const char *name = e->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, EXP_LOCK_FILE))
            continue;
        snprintf(from, sizeof from, "%s/%s", dir, name);
        snprintf(to, sizeof to, "%s/%s", aside, name);
        if ((rc = rename(from, to)))
            fprintf(stderr, "pix2pix train: %s: cannot move it to %s: %s (the previous run is "
                    "partly in each folder)\n", from, aside, strerror(errno));
    }
    closedir(d);
    if (!rc)
        fprintf(stderr, "pix2pix train: the previous run of %s moved to %s\n", dir, aside);
    return rc;
}

/* Refuses (EXP_NEW) or moves aside (EXP_OVERWRITE) a run dir holds. */
static int settle_old_run(const char *dir, exp_mode mode, int *status)
{
    char found[256];
    int run = mode == EXP_RESUME ? 0 : holds_run(dir, found, sizeof found);
    *status = 1;
    if (run < 0) {
        fprintf(stderr, "pix2pix train: %s: cannot read: %s\n", dir, strerror(errno));
        return -1;
    }
    if (!run)
        return 0;
    if (mode == EXP_OVERWRITE)
        return move_aside(dir);
    fprintf(stderr, "pix2pix train: %s already holds a training run (%s): resume it with "
            "--continue, start another with a new --name, or move it aside with --overwrite\n",
            dir, found);
    *status = 2;
    return -1;
}

int exp_folder_open(const char *dir, exp_mode mode, int *status)
{
    char err[1024];
    *status = 1;
    if (fs_mkdirs(dir)) {
        fprintf(stderr, "pix2pix train: %s: cannot create the folder: %s\n", dir,
                strerror(errno));
        return -1;
    }
    /* The lock first: a folder in use is reported as such, and no other trainer writes in it
     * while its run is looked at or moved. */
    int lock = exp_lock_take(dir, err, sizeof err);
    if (lock < 0) {
        fprintf(stderr, "pix2pix train: %s\n", err);
        return -1;
    }
    if (settle_old_run(dir, mode, status)) {
        exp_lock_release(lock);
        return -1;
    }
    return lock;
}
