/* Word lookup in name lists (contract in name_list.h). */
#include "app/common/name_list.h"

#include <string.h>

int name_index(const char *const *names, const char *name)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}
