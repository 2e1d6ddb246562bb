/* PyTorch state_dict files (engine/formats/pth): files written by torch.save in the zip and legacy
 * formats (tools/gen_pth.py) read as the tensors torch saved, every dtype converted, views of
 * shared storages at their offsets; pickles that do anything but build a state_dict refused,
 * naming the opcode or global; corrupt and truncated files refused with their reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/formats/pth/pickle.h"
#include "engine/pth/pth.h"
#include "engine/formats/pth/pth_internal.h"
#include "test_check.h"
#include "test_files.h"


static uint8_t *read_fixture(const char *name, size_t *size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, name);
    return read_whole_file_or_exit(path, size);
}

/* The tensor as floats, checked against dtype and shape (up to 2 dimensions). */
static int values(const st_file *f, const char *name, st_dtype dtype, int ndim, int64_t d0,
                  int64_t d1, float *out)
{
    const st_tensor *t = st_find(f, name);
    if (!t || t->dtype != dtype || t->ndim != ndim || (ndim > 0 && t->shape[0] != d0) ||
        (ndim > 1 && t->shape[1] != d1)) {
        fprintf(stderr, "tensor %s missing or of another dtype or shape\n", name);
        return -1;
    }
    st_to_f32(t, out);
    return 0;
}

/* The tensors of tools/gen_pth.py's dtype_tensors(). */
static void check_dtypes(const st_file *f)
{
    float v[12];
    CHECK(st_count(f) == 11 && st_meta_count(f) == 0);
    const char *floats[] = {"f32", "f16", "bf16", "f64"};
    for (int k = 0; k < 4; k++) {
        int ok = !values(f, floats[k], ST_F32, 2, 2, 3, v);
        for (int i = 0; ok && i < 6; i++)
            ok = v[i] == 0.5f * (float)i - 1.0f;
        CHECK(ok);
    }
    CHECK(!values(f, "count", ST_I64, 0, 0, 0, v) && v[0] == 7.0f);
    CHECK(!values(f, "i32", ST_I32, 1, 3, 0, v) && v[0] == -1.0f && v[2] == 1.0f);
    CHECK(!values(f, "empty", ST_F32, 2, 0, 3, v) && st_find(f, "empty")->numel == 0);
    CHECK(!values(f, "base", ST_F32, 1, 12, 0, v) && v[0] == 0.0f && v[11] == 11.0f);
    CHECK(!values(f, "view", ST_F32, 1, 4, 0, v) && v[0] == 4.0f && v[3] == 7.0f);
    CHECK(!values(f, "row", ST_F32, 1, 4, 0, v) && v[0] == 8.0f && v[3] == 11.0f);
    CHECK(!values(f, "column", ST_F32, 2, 2, 1, v) && v[0] == 3.0f && v[1] == 4.0f);
}

static void test_torch_files(void)
{
    char path[512];
    const char *files[] = {"pth_dtypes.pth", "pth_dtypes_legacy.pth", "pth_dtypes_legacy_p4.pth"};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, files[k]);
        st_file *f = pth_open(path);
        if (!f)
            fprintf(stderr, "%s\n", eng_last_error());
        CHECK(f != NULL);
        if (f)
            check_dtypes(f);
        st_close(f);
    }
    /* Legacy views (view metadata) and _rebuild_tensor, as PyTorch < 0.4 wrote them. */
    snprintf(path, sizeof path, "%s/pth_views_old.pth", FIXTURE_DIR);
    st_file *f = pth_open(path);
    float v[10];
    CHECK(f != NULL);
    if (f) {
        CHECK(!values(f, "root", ST_F32, 1, 10, 0, v) && v[9] == 18.0f);
        CHECK(!values(f, "mid", ST_F32, 1, 4, 0, v) && v[0] == 6.0f && v[3] == 12.0f);
        CHECK(!values(f, "count", ST_I64, 0, 0, 0, v) && v[0] == 5.0f);
        st_close(f);
    }
    snprintf(path, sizeof path, "%s/pth_noncontig.pth", FIXTURE_DIR);
    CHECK(!pth_open(path) && strstr(eng_last_error(), path) &&
          strstr(eng_last_error(), "tensor 't': strides that are not contiguous"));
}

/* Runs a pickle; 0 when it loaded, else the reason is in eng_last_error(). */
static int load(const char *bytes, size_t n, const pk_value **out)
{
    pk_arena *a = pk_arena_new();
    size_t used = 0;
    const pk_value *v = pk_load(a, (const uint8_t *)bytes, n, &used);
    if (out && v) {
        const pk_value *x = pk_dict_get(v, "a"), *y = pk_dict_get(v, "b");
        *out = NULL;
        /* the checks of the one valid pickle below, while the arena lives */
        if (x && y && x->kind == PK_INT && x->i == -256 && y->kind == PK_FLOAT &&
            y->f == 1.5 && used == n - 3)
            *out = v;
    }
    pk_arena_free(a);
    return v ? 0 : -1;
}

#define PICKLE(s) s, sizeof s - 1

static void test_refusals(void)
{
    static const struct {
        const char *bytes;
        size_t n;
        const char *reason;
    } cases[] = {
        {PICKLE("\x80\x02"
                "cposix\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03."),
         "refused: pickle global posix.system is not part of a state_dict"},
        {PICKLE("\x80\x04\x8c\x05posix\x8c\x06system\x93X\x02\x00\x00\x00ls\x85R."),
         "refused: pickle global posix.system is not part of a state_dict"},
        {PICKLE("\x80\x02(iposix\nsystem\n."), "refused: pickle opcode INST at byte 3"},
        {PICKLE("\x80\x02\x81."), "refused: pickle opcode NEWOBJ"},
        {PICKLE("\x80\x02\xff."), "byte 0xff at 2 is not an opcode"},
        {PICKLE("\x80\x02X\x10\x00\x00\x00"
                "ab."),
         "truncated pickle: BINUNICODE at byte 2"},
        {PICKLE("\x80\x02K\x01"), "no STOP"},
        {PICKLE("\x80\x02t."), "no MARK"},
        {PICKLE("\x80\x02}K\x01s."), "stack underflow"},
        {PICKLE("\x80\x02K\x01(."), "stack underflow"},
        {PICKLE("\x80\x02h\x05."), "memo entry read before it is set"},
        {PICKLE("\x80\x02K\x01r\x00\x00\x00\x01."), "memo index past the pickle's length"},
        {PICKLE("\x80\x02\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09."),
         "refused: an integer of 9 bytes"},
        {PICKLE("\x80\x02"
                "ctorch\nFloatStorage\n)R."),
         "refused: pickle call of torch.FloatStorage with 0 arguments"},
        {PICKLE("\x80\x02"
                "ccollections\nOrderedDict\n]\x85R."),
         "refused: pickle call of collections.OrderedDict with 1 argument"},
        {PICKLE("\x80\x02"
                "ctorch._utils\n_rebuild_tensor_v2\n(K\x01K\x02tR."),
         "arguments of torch._utils._rebuild_tensor_v2 are not"},
        {PICKLE("\x80\x02)}b."), "refused: pickle BUILD of a tuple"},
        {PICKLE("\x80\x02)K\x01"
                "a."),
         "appended to a value that is not a list"},
        {PICKLE("\x80\x02"
                "c\x1b[31m\nx\n."),
         "global ?[31m.x is not"},
        {PICKLE("\x80\x09."), "unsupported pickle protocol 9"},
        {PICKLE("\x80\x02(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((."),
         "refused: more than 64 nested MARKs at byte 66 (MARK)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        int rc = load(cases[k].bytes, cases[k].n, NULL);
        if (!rc || !strstr(eng_last_error(), cases[k].reason)) {
            fprintf(stderr, "pickle %zu: '%s', expected '%s'\n", k, eng_last_error(),
                    cases[k].reason);
            test_failures++;
        }
    }
    /* {'a': -256 (LONG1), 'b': 1.5 (BINFLOAT)}, then bytes after STOP that are not its own. */
    const pk_value *ok = NULL;
    static const char good[] = "\x80\x02}q\x00(X\x01\x00\x00\x00" "a\x8a\x02\x00\xffX\x01\x00"
                               "\x00\x00" "bG?\xf8\x00\x00\x00\x00\x00\x00u.K\x01.";
    CHECK(load(good, sizeof good - 1, &ok) == 0 && ok != NULL);
}

/* Where a legacy file's storage records start: after its five pickles. */
static size_t legacy_records(const uint8_t *buf, size_t n)
{
    size_t at = pth_legacy_magic(buf, n), used = 0;
    pk_arena *a = pk_arena_new();
    for (int k = 0; k < 4 && at; k++, at += used)
        if (!pk_load(a, buf + at, n - at, &used))
            at = 0;
    pk_arena_free(a);
    return at;
}

/* Files read by their first bytes, and what is wrong named as it is. */
static void test_misleading(void)
{
    size_t n;
    uint8_t *legacy = read_fixture("pth_dtypes_legacy.pth", &n);
    size_t at = legacy_records(legacy, n);
    CHECK(at != 0);
    legacy[at]++; /* the first storage's element count */
    CHECK(!pth_parse(legacy, n) && strstr(eng_last_error(), "corrupt: storage ") &&
          strstr(eng_last_error(), " elements but the tensor needs "));
    legacy[at]--;
    legacy[5] ^= 1; /* the magic number */
    CHECK(!pth_parse(legacy, n) &&
          strstr(eng_last_error(),
                 "a pickle, not a PyTorch .pth file (torch.save writes a zip archive or "
                 "a legacy file with its magic number)"));
    free(legacy);
    /* {'a\0b': 1} */
    static const char nul_key[] = "\x80\x02}(X\x03\x00\x00\x00" "a\x00" "bK\x01u.";
    pk_arena *a = pk_arena_new();
    const pk_value *obj = pk_load(a, (const uint8_t *)nul_key, sizeof nul_key - 1, &n);
    pth_dict d = {0};
    CHECK(obj && pth_collect(&d, obj, 0) &&
          strstr(eng_last_error(), "not a state_dict: key 'a' contains a NUL byte"));
    pth_dict_free(&d);
    pk_arena_free(a);
}

/* Damaged copies of the fixtures. */
static void test_corrupt_files(void)
{
    size_t n, m;
    uint8_t *zip = read_fixture("pth_dtypes.pth", &n);
    uint8_t *legacy = read_fixture("pth_dtypes_legacy.pth", &m);
    CHECK(!pth_parse(zip, n / 2) && strstr(eng_last_error(), "not a readable zip archive"));
    CHECK(!pth_parse(legacy, m - 5) && strstr(eng_last_error(), "truncated: storage"));
    CHECK(!pth_parse(legacy, 40) && strstr(eng_last_error(), "truncated pickle"));
    CHECK(!pth_parse((const uint8_t *)"{\"a\":1}", 7) &&
          strstr(eng_last_error(), "not a torch.save file"));
    size_t p4_size;
    uint8_t *p4 = read_fixture("pth_dtypes_legacy_p4.pth", &p4_size);
    CHECK(pth_probe(zip, PTH_PROBE_BYTES) && pth_probe(legacy, PTH_PROBE_BYTES) &&
          pth_probe(p4, PTH_PROBE_BYTES) && !pth_probe(legacy, 8) &&
          !pth_probe((const uint8_t *)"\x10\0\0\0\0\0\0\0{", 9));
    free(p4);
    /* A storage's bytes changed (1.0f of "base" at byte 4 of its entry): libzip's CRC check. */
    static const uint8_t one_two[] = {0, 0, 0x80, 0x3f, 0, 0, 0, 0x40};
    uint8_t *at = memmem(zip, n, one_two, sizeof one_two);
    CHECK(at != NULL);
    if (at) {
        at[3] ^= 1;
        CHECK(!pth_parse(zip, n) && strstr(eng_last_error(), "CRC"));
        at[3] ^= 1;
    }
    st_file *f = pth_parse(zip, n);
    CHECK(f != NULL);
    st_close(f);
    free(zip);
    free(legacy);
}

int main(void)
{
    test_torch_files();
    test_refusals();
    test_corrupt_files();
    test_misleading();
    if (test_failures) {
        fprintf(stderr, "%d check(s) failed\n", test_failures);
        return 1;
    }
    printf("pth: all checks passed\n");
    return 0;
}
