/* Looking a word up in a NULL-terminated list of names (the options' and files' spellings). */
#ifndef APP_NAME_LIST_H
#define APP_NAME_LIST_H

/* The index of name in names (which ends with NULL), or -1. */
int name_index(const char *const *names, const char *name);

#endif
