/* Small file-system helpers for the commands. */
#ifndef APP_FSUTIL_H
#define APP_FSUTIL_H

#include <stddef.h>

/* mkdir -p. Returns 0 or -1 (errno set). */
int fs_mkdirs(const char *path);
int fs_is_dir(const char *path);
/* A regular file (links followed). */
int fs_is_file(const char *path);
int fs_exists(const char *path);
/* Both paths exist and name the same file. */
int fs_same_file(const char *a, const char *b);
/* Sorted paths of the .png/.jpg/.jpeg files (any case) directly in dir; *count entries.
 * NULL on error (errno set) or when empty (count 0). Free with fs_free_list. */
char **fs_list_images(const char *dir, int *count);
/* The same, then the images of every subfolder, recursively (in name order, a folder's own
 * images first; links to folders and the folder skip (NULL: none) are not entered: *skipped
 * counts the images in skip's tree when the walk met it). */
char **fs_list_images_tree(const char *dir, const char *skip, int *count, int *skipped);
void fs_free_list(char **list, int count);
/* The file name without folder and extension: /a/b/x.y.png -> x.y */
void fs_stem(const char *path, char *out, size_t len);
/* Removes the temporary files (NAME.tmp.XXXXXX: checkpoints, opt.txt, samples) that atomic
 * saves of a killed process left in dir. Returns how many. */
int fs_remove_stale_temps(const char *dir);
/* fsync of a folder, so that the renames and removals in it are durable. 0 or -1 (errno). */
int fs_sync_dir(const char *dir);
/* Writes text to path atomically (base/atomic_file.h: temporary file, fsync, rename; never
 * over a FIFO, device or folder, through a link). Returns 0 or -1 (errno set). */
int fs_write_atomic(const char *path, const char *text);

#endif
