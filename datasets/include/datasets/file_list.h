/* Folder listings in natural order ("2.jpg" before "10.jpg"), used by the dataset scan and
 * the dataset tools. */
#ifndef DATASETS_FILE_LIST_H
#define DATASETS_FILE_LIST_H

#include <stddef.h>

typedef struct {
    char **names;
    size_t count;
} name_list;

/* Entries of dir but folders (symlinks followed; dangling links, FIFOs and other non-regular
 * files kept for the caller to report; names starting with '.' left out), in natural
 * order: digit runs compare by value, everything else bytewise, ties broken by strcmp. */
int list_files(const char *dir, name_list *out, char *err, size_t errlen);
/* Whether name is in the (naturally sorted) list. */
int name_list_contains(const name_list *l, const char *name);
void name_list_free(name_list *l);
int natural_compare(const char *a, const char *b);
int is_directory(const char *path);
/* a + "/" + b, malloc'ed (NULL when out of memory). */
char *path_join(const char *a, const char *b);
/* mkdir -p; 0 or -1 with a reason. */
int make_dirs(const char *path, char *err, size_t errlen);

#endif
