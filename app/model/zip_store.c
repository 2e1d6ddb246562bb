/* Stored zip records (zip_store.h): local headers, data, central directory, end record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/model/zip_store.h"
#include "base/grow.h"

#define ALIGN 64
#define LOCAL_HEADER 30
#define PAD_HEADER 4 /* extra field id and size of the padding */

/* The zip's CRC-32 (the table made on first use: saves run on one thread). */
static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static void le16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
    le16(p, v & 0xFFFF);
    le16(p + 2, v >> 16);
}

/* The fields a local header and a central directory entry share, from "version needed". */
static void common_fields(uint8_t *p, uint32_t crc, uint32_t len, size_t name_len,
                          size_t extra_len)
{
    le16(p, 20);          /* version needed */
    le16(p + 2, 0);       /* flags */
    le16(p + 4, 0);       /* stored */
    le16(p + 6, 0);       /* time */
    le16(p + 8, 0x21);    /* date: 1980-01-01 */
    le32(p + 10, crc);
    le32(p + 14, len);    /* compressed */
    le32(p + 18, len);    /* uncompressed */
    le16(p + 22, (unsigned)name_len);
    le16(p + 24, (unsigned)extra_len);
}

static void write_bytes(zip_store *z, const void *p, size_t n)
{
    atomic_file_write(&z->file, p, n);
    z->offset += n;
}

int zip_store_open(zip_store *z, const char *path, char *err, size_t errlen)
{
    memset(z, 0, sizeof *z);
    return atomic_file_open(&z->file, path, err, errlen);
}

void zip_store_add(zip_store *z, const char *name, const void *data, size_t len)
{
    size_t name_len = strlen(name);
    if (len > 0xFFFFFFFFu || z->offset + len > 0xFFFFFFFFu - ALIGN || name_len > 0xFFFF ||
        z->records == 0xFFFF) {
        z->failed = 1;
        return;
    }
    size_t pad = (ALIGN - (z->offset + LOCAL_HEADER + name_len + PAD_HEADER) % ALIGN) % ALIGN;
    uint32_t crc = crc32_of(data, len), at = (uint32_t)z->offset;
    uint8_t header[LOCAL_HEADER + PAD_HEADER], zeros[ALIGN] = {0};
    le32(header, 0x04034b50);
    common_fields(header + 4, crc, (uint32_t)len, name_len, PAD_HEADER + pad);
    write_bytes(z, header, LOCAL_HEADER);
    write_bytes(z, name, name_len);
    le16(header, 0x4246); /* "FB", torch's padding record */
    le16(header + 2, (unsigned)pad);
    write_bytes(z, header, PAD_HEADER);
    write_bytes(z, zeros, pad);
    write_bytes(z, data, len);
    uint8_t *grown = grow_bytes(z->central, &z->central_cap, z->central_len, 46 + name_len);
    if (!grown) {
        z->failed = 1;
        return;
    }
    z->central = grown;
    uint8_t *c = z->central + z->central_len;
    memset(c, 0, 46);
    le32(c, 0x02014b50);
    le16(c + 4, 20); /* version made by */
    common_fields(c + 6, crc, (uint32_t)len, name_len, 0);
    le32(c + 42, at);
    memcpy(c + 46, name, name_len);
    z->central_len += 46 + name_len;
    z->records++;
}

int zip_store_close(zip_store *z, char *err, size_t errlen)
{
    uint8_t end[22] = {0};
    le32(end, 0x06054b50);
    le16(end + 8, (unsigned)z->records);
    le16(end + 10, (unsigned)z->records);
    le32(end + 12, (uint32_t)z->central_len);
    le32(end + 16, (uint32_t)z->offset);
    if (z->failed || z->offset + z->central_len > 0xFFFFFFFFu) {
        snprintf(err, errlen, "%s: out of memory, or over the 4 GiB of a zip without zip64",
                 z->file.path);
        zip_store_abandon(z);
        return -1;
    }
    write_bytes(z, z->central, z->central_len);
    write_bytes(z, end, sizeof end);
    free(z->central);
    z->central = NULL;
    return atomic_file_commit(&z->file, err, errlen);
}

void zip_store_abandon(zip_store *z)
{
    atomic_file_abandon(&z->file);
    free(z->central);
    z->central = NULL;
}
