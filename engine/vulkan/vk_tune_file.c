/* The tuning file: {"format", "device_uuid" (hex), "driver_version", "shader_hash" (hex),
 * "convs": [{"key": [mode, n, c, hi, wi, m, ho, wo, kh, kw, stride, pad],
 * "tile": "TXxTY:TMxTN:BK", "splits", "coopmat", "ms"}]}. It is outside data: read strictly,
 * and any surprise ignores the whole file with the reason. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/atomic_file.h"
#include "engine/engine.h"
#include "engine/vulkan/vk_tune_file.h"

#define FORMAT "pix2pix-vk conv tuning 1"
#define KEY_FIELDS 12
#define MAX_FILE_BYTES (4 << 20)

static void key_fields(const vk_conv_key *k, uint32_t f[KEY_FIELDS])
{
    uint32_t v[KEY_FIELDS] = {k->mode, k->n,  k->c,  k->hi, k->wi,     k->m,
                              k->ho,   k->wo, k->kh, k->kw, k->stride, k->pad};
    memcpy(f, v, sizeof v);
}

static vk_conv_key key_from(const uint32_t f[KEY_FIELDS])
{
    return (vk_conv_key){f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11]};
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

static void identity_strings(const vk_tune_identity *id, char uuid[2 * VK_UUID_SIZE + 1],
                             char hash[17])
{
    hex(id->device_uuid, VK_UUID_SIZE, uuid);
    snprintf(hash, 17, "%016llx", (unsigned long long)id->shader_hash);
}

static cJSON *record_json(const vk_tune_record *r)
{
    uint32_t f[KEY_FIELDS];
    key_fields(&r->key, f);
    cJSON *o = cJSON_CreateObject(), *key = cJSON_AddArrayToObject(o, "key");
    for (int i = 0; i < KEY_FIELDS; i++)
        cJSON_AddItemToArray(key, cJSON_CreateNumber(f[i]));
    char tile[64];
    snprintf(tile, sizeof tile, "%ux%u:%ux%u:%u", r->tile.tx, r->tile.ty, r->tile.tm, r->tile.tn,
             r->tile.bk);
    cJSON_AddStringToObject(o, "tile", tile);
    cJSON_AddNumberToObject(o, "splits", r->splits);
    cJSON_AddBoolToObject(o, "coopmat", r->coopmat);
    cJSON_AddNumberToObject(o, "ms", r->ms);
    return o;
}

int vk_tune_file_save(const char *path, const vk_tune_identity *id, const vk_tune_record *recs,
                      size_t n)
{
    char uuid[2 * VK_UUID_SIZE + 1], hash[17];
    identity_strings(id, uuid, hash);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", FORMAT);
    cJSON_AddStringToObject(root, "device_uuid", uuid);
    cJSON_AddNumberToObject(root, "driver_version", id->driver_version);
    cJSON_AddStringToObject(root, "shader_hash", hash);
    cJSON *convs = cJSON_AddArrayToObject(root, "convs");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(convs, record_json(&recs[i]));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    atomic_file f;
    char err[512]; /* the base library's reasons, passed on */
    int rc = -1;
    if (!text)
        eng_set_error(-1, "%s: out of memory", path);
    else if (!atomic_file_open(&f, path, err, sizeof err)) {
        atomic_file_write(&f, text, strlen(text));
        atomic_file_write(&f, "\n", 1);
        rc = atomic_file_commit(&f, err, sizeof err);
    }
    if (text && rc)
        eng_set_error(-1, "%s", err);
    free(text);
    return rc;
}

/* The file's text (NUL-terminated, malloc'ed); NULL with *missing set when there is none. */
static char *read_text(const char *path, int *missing)
{
    FILE *fp = fopen(path, "rb");
    *missing = !fp;
    if (!fp)
        return NULL;
    char *text = malloc(MAX_FILE_BYTES + 1);
    size_t got = text ? fread(text, 1, MAX_FILE_BYTES + 1, fp) : 0;
    fclose(fp);
    if (!text || got > MAX_FILE_BYTES) {
        eng_set_error(-1, "%s: over %d bytes", path, MAX_FILE_BYTES);
        free(text);
        return NULL;
    }
    text[got] = 0;
    return text;
}

/* A whole number in 0..UINT32_MAX. */
static int u32_of(const cJSON *j, uint32_t *v)
{
    if (!cJSON_IsNumber(j) || j->valuedouble < 0 || j->valuedouble > 4294967295.0 ||
        j->valuedouble != (double)(uint32_t)j->valuedouble)
        return -1;
    *v = (uint32_t)j->valuedouble;
    return 0;
}

static int parse_record(const cJSON *o, vk_tune_record *r)
{
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(o, "key");
    const cJSON *tile = cJSON_GetObjectItemCaseSensitive(o, "tile");
    const cJSON *coopmat = cJSON_GetObjectItemCaseSensitive(o, "coopmat");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(o, "ms");
    uint32_t f[KEY_FIELDS];
    if (!cJSON_IsArray(key) || cJSON_GetArraySize(key) != KEY_FIELDS || !cJSON_IsString(tile) ||
        !cJSON_IsBool(coopmat) || !cJSON_IsNumber(ms) ||
        u32_of(cJSON_GetObjectItemCaseSensitive(o, "splits"), &r->splits))
        return -1;
    for (int i = 0; i < KEY_FIELDS; i++)
        if (u32_of(cJSON_GetArrayItem(key, i), &f[i]))
            return -1;
    r->key = key_from(f);
    r->coopmat = cJSON_IsTrue(coopmat);
    r->ms = ms->valuedouble;
    int used = -1;
    vk_conv_tile *t = &r->tile;
    return sscanf(tile->valuestring, "%ux%u:%ux%u:%u%n", &t->tx, &t->ty, &t->tm, &t->tn, &t->bk,
                  &used) == 5 && used == (int)strlen(tile->valuestring) ? 0 : -1;
}

/* The id of a record's tile among tu's candidates; -1 when it is none of them. */
static int candidate_id(const vk_tuning *tu, const vk_conv_tile *t, uint32_t *id)
{
    for (int i = 0; i < tu->nshapes; i++) {
        vk_conv_tile c = vk_conv_tile_of(tu->shape_ids[i]);
        if (!memcmp(&c, t, sizeof c)) {
            *id = tu->shape_ids[i];
            return 0;
        }
    }
    return -1;
}

/* Whether the file's identity is id's; else why not. */
static int same_identity(const cJSON *root, const vk_tune_identity *id, const char **why)
{
    char uuid[2 * VK_UUID_SIZE + 1], hash[17];
    identity_strings(id, uuid, hash);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "device_uuid");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(root, "shader_hash");
    uint32_t driver;
    if (!cJSON_IsString(f) || !cJSON_IsString(h) ||
        u32_of(cJSON_GetObjectItemCaseSensitive(root, "driver_version"), &driver))
        *why = "malformed (device_uuid, driver_version or shader_hash)";
    else if (strcmp(f->valuestring, uuid))
        *why = "measured on another device (device UUID differs)";
    else if (driver != id->driver_version)
        *why = "stale: measured with another driver version";
    else if (strcmp(h->valuestring, hash))
        *why = "stale: measured with another build of the shaders";
    else
        return 1;
    return 0;
}

/* The records that apply to tu and lim, into out (room for all). */
static int take_records(const cJSON *convs, const vk_tuning *tu, const VkPhysicalDeviceLimits *lim,
                        vk_conv_tuned *out, size_t *n)
{
    const cJSON *o;
    *n = 0;
    cJSON_ArrayForEach(o, convs) {
        vk_tune_record r;
        uint32_t id;
        if (!cJSON_IsObject(o) || parse_record(o, &r))
            return -1;
        if (r.coopmat && !tu->coopmat_tile.bk)
            continue; /* the kernel is not in use in this run */
        if (!r.coopmat && (candidate_id(tu, &r.tile, &id) || vk_conv_tile_check(&r.tile, lim)))
            continue;
        out[(*n)++] = (vk_conv_tuned){r.key, {r.coopmat ? 0 : id, r.splits, r.coopmat}};
    }
    return 0;
}

int vk_tune_file_load(const char *path, const vk_tune_identity *id, const vk_tuning *tu,
                      const VkPhysicalDeviceLimits *lim, vk_conv_tuned **out, size_t *n)
{
    int missing = 0;
    *out = NULL;
    *n = 0;
    char *text = read_text(path, &missing);
    if (!text)
        return missing ? 1 : -1;
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *convs = cJSON_GetObjectItemCaseSensitive(root, "convs");
    const char *reason = "malformed (not a pix2pix-vk tuning file)";
    int rc = -1;
    if (cJSON_IsObject(root) && cJSON_IsString(format) && !strcmp(format->valuestring, FORMAT) &&
        cJSON_IsArray(convs) && same_identity(root, id, &reason)) {
        int count = cJSON_GetArraySize(convs);
        *out = malloc(sizeof **out * (size_t)(count ? count : 1));
        if (!*out)
            reason = "out of memory";
        else if (take_records(convs, tu, lim, *out, n))
            reason = "malformed conv entry";
        else
            rc = 0;
    }
    cJSON_Delete(root);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
        eng_set_error(-1, "%s: %s", path, reason);
    }
    return rc;
}
