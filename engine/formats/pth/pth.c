/* torch.save files of either format, told apart by their first bytes (see pth.h). */
#include "engine/pth/pth.h"
#include "engine/engine.h"

#include <stdio.h>
#include <string.h>

#include "engine/util/file_map.h"
#include "engine/formats/pth/pth_internal.h"

static int is_zip(const uint8_t *head, size_t n)
{
    return n >= 4 && !memcmp(head, "PK", 2) &&
           ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
}

int pth_probe(const uint8_t *head, size_t n)
{
    return is_zip(head, n) || pth_legacy_magic(head, n);
}

st_file *pth_parse(const uint8_t *buf, size_t size)
{
    if (is_zip(buf, size))
        return pth_parse_zip(buf, size);
    if (pth_legacy_magic(buf, size))
        return pth_parse_legacy(buf, size);
    if (size && buf[0] == 0x80) /* PROTO: pickle.dump's output, or a legacy file's damaged */
        eng_set_error(-1, "a pickle, not a PyTorch .pth file (torch.save writes a zip "
                          "archive or a legacy file with its magic number)");
    else
        eng_set_error(-1, "not a torch.save file (neither a zip archive nor the legacy "
                          "format)");
    return NULL;
}

st_file *pth_open(const char *path)
{
    file_map m;
    if (file_map_open(&m, path))
        return NULL;
    st_file *f = pth_parse(m.data, m.size);
    if (!f)
        eng_set_error(-1, "%s: %s", path, eng_last_error());
    file_map_close(&m); /* the table holds copies */
    return f;
}
