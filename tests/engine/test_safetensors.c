/* safetensors reader and writer: round trip, a file written by tools/gen_golden.py's Python
 * writer, every kind of corruption rejected with a precise message, atomic saves, and loaded
 * tensors giving their memory back. */
#include "engine/engine.h"
#include "engine/safetensors.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_check.h"
#include "test_files.h"


static char tmpdir[256];

static void path_in_tmp(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", tmpdir, name);
}

/* Number of directory entries containing ".tmp." (leftover temporary files). */
static int count_temp_files(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp."))
            n++;
    if (d)
        closedir(d);
    return n;
}

static void test_round_trip(void)
{
    float a[12];
    for (int i = 0; i < 12; i++)
        a[i] = (float)i * 0.25f - 1.0f;
    int64_t steps[1] = {123456789012LL};
    uint8_t bytes[5] = {0, 1, 2, 254, 255};
    uint16_t half[3] = {0x3c00, 0xc000, 0x0001}; /* 1, -2, smallest subnormal */
    int64_t shape_a[3] = {2, 3, 2}, shape_one[1] = {1}, shape_bytes[1] = {5}, shape_half[1] = {3};

    st_writer *w = st_writer_new();
    CHECK(st_writer_add(w, "net.weight", ST_F32, 3, shape_a, a) == 0);
    CHECK(st_writer_add(w, "step", ST_I64, 1, shape_one, steps) == 0);
    CHECK(st_writer_add(w, "quote\"and\\slash", ST_U8, 1, shape_bytes, bytes) == 0);
    CHECK(st_writer_add(w, "scalar", ST_F32, 0, NULL, a) == 0);
    CHECK(st_writer_add(w, "half", ST_F16, 1, shape_half, half) == 0);
    CHECK(st_writer_add(w, "step", ST_F32, 1, shape_one, a) != 0);      /* duplicate */
    CHECK(st_writer_add(w, "__metadata__", ST_F32, 1, shape_one, a) != 0); /* reserved */
    CHECK(st_writer_meta(w, "format", "pt") == 0);
    CHECK(st_writer_meta(w, "note", "line\nbreak") == 0);

    char path[512];
    path_in_tmp(path, sizeof path, "round.safetensors");
    CHECK(st_writer_save(w, path) == 0);
    /* Saving again replaces the file atomically. */
    CHECK(st_writer_save(w, path) == 0);
    st_writer_free(w);
    CHECK(count_temp_files() == 0);

    size_t size = 0;
    uint8_t *raw = read_whole_file(path, &size);
    CHECK(raw != NULL && size > 8);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | raw[i];
    CHECK(hlen % 8 == 0);
    CHECK(raw[8] == '{');
    CHECK(raw[8 + hlen - 1] == '}' || raw[8 + hlen - 1] == ' ');
    free(raw);

    st_file *f = st_open(path);
    CHECK(f != NULL);
    if (!f) {
        fprintf(stderr, "open failed: %s\n", eng_last_error());
        return;
    }
    CHECK(st_count(f) == 5);
    /* Tensors come back in the order they were added. */
    CHECK(strcmp(st_get(f, 0)->name, "net.weight") == 0);
    CHECK(strcmp(st_get(f, 2)->name, "quote\"and\\slash") == 0);
    CHECK(strcmp(st_get(f, 4)->name, "half") == 0);
    CHECK(st_get(f, 5) == NULL && st_get(f, -1) == NULL);

    const st_tensor *t = st_find(f, "net.weight");
    CHECK(t && t->dtype == ST_F32 && t->ndim == 3 && t->shape[0] == 2 && t->shape[1] == 3 &&
          t->shape[2] == 2 && t->numel == 12 && t->nbytes == 48);
    if (t) {
        float back[12];
        st_to_f32(t, back);
        CHECK(memcmp(back, a, sizeof a) == 0);
    }
    t = st_find(f, "step");
    CHECK(t && t->dtype == ST_I64 && t->nbytes == 8);
    if (t) {
        int64_t v;
        memcpy(&v, t->data, 8);
        CHECK(v == steps[0]);
    }
    t = st_find(f, "quote\"and\\slash");
    CHECK(t && t->dtype == ST_U8 && memcmp(t->data, bytes, 5) == 0);
    t = st_find(f, "scalar");
    CHECK(t && t->ndim == 0 && t->numel == 1);
    t = st_find(f, "half");
    if (t) {
        float h[3];
        st_to_f32(t, h);
        CHECK(h[0] == 1.0f && h[1] == -2.0f && h[2] == 1.0f / 16777216.0f);
    }
    CHECK(st_find(f, "absent") == NULL);
    CHECK(st_meta_count(f) == 2);
    CHECK(st_meta(f, "format") && strcmp(st_meta(f, "format"), "pt") == 0);
    CHECK(st_meta(f, "note") && strcmp(st_meta(f, "note"), "line\nbreak") == 0);
    CHECK(st_meta(f, "absent") == NULL);
    CHECK(st_meta_key(f, 0) && st_meta_key(f, 2) == NULL);
    st_close(f);
    unlink(path);
}

/* tests/engine/fixtures/python_writer.safetensors is written by tools/gen_golden.py with the
 * values described there: arange-based so this test can recompute them. */
static void test_python_file(void)
{
    st_file *f = st_open(FIXTURE_DIR "/python_writer.safetensors");
    CHECK(f != NULL);
    if (!f) {
        fprintf(stderr, "open failed: %s\n", eng_last_error());
        return;
    }
    CHECK(st_count(f) == 4);
    CHECK(st_meta(f, "format") && strcmp(st_meta(f, "format"), "pt") == 0);
    const st_tensor *t = st_find(f, "a.weight");
    CHECK(t && t->dtype == ST_F32 && t->ndim == 4 && t->numel == 2 * 3 * 4 * 5);
    if (t) {
        float v[120];
        st_to_f32(t, v);
        int ok = 1;
        for (int i = 0; i < 120; i++)
            ok &= v[i] == (float)i * 0.5f - 7.0f;
        CHECK(ok);
    }
    t = st_find(f, "a.num_batches_tracked");
    CHECK(t && t->dtype == ST_I64 && t->ndim == 0);
    if (t) {
        int64_t v;
        memcpy(&v, t->data, 8);
        CHECK(v == 42);
    }
    t = st_find(f, "b.f64");
    CHECK(t && t->dtype == ST_F64 && t->numel == 3);
    if (t) {
        float v[3];
        st_to_f32(t, v);
        CHECK(v[0] == 0.0f && v[1] == 1.5f && v[2] == 3.0f);
    }
    t = st_find(f, "c.bf16");
    CHECK(t && t->dtype == ST_BF16 && t->numel == 4);
    if (t) {
        float v[4];
        st_to_f32(t, v);
        CHECK(v[0] == 1.0f && v[1] == -2.0f && v[2] == 0.5f && v[3] == 256.0f);
    }
    st_close(f);
}

/* Builds a file image from a header string and data size (data bytes zero). */
static uint8_t *make_file(const char *header, size_t data_size, size_t *size)
{
    size_t hlen = strlen(header);
    *size = 8 + hlen + data_size;
    uint8_t *buf = calloc(1, *size);
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    memcpy(buf + 8, header, hlen);
    return buf;
}

static void expect_reject(const char *header, size_t data_size, const char *expected)
{
    size_t size;
    uint8_t *buf = make_file(header, data_size, &size);
    st_file *f = st_parse(buf, size);
    if (f || !strstr(eng_last_error(), expected) || strchr(eng_last_error(), '\n')) {
        fprintf(stderr, "header %s: expected rejection with \"%s\", got %s \"%s\"\n", header,
                expected, f ? "success" : "error", eng_last_error());
        test_failures++;
    }
    st_close(f);
    free(buf);
}

static void test_corruption(void)
{
    /* Accepted baseline, so the rejections below are about the one thing changed. */
    {
        size_t size;
        uint8_t *buf = make_file("{\"x\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,64]}}",
                                 64, &size);
        st_file *f = st_parse(buf, size);
        CHECK(f && st_count(f) == 1);
        st_close(f);
        /* Truncated data: the offsets now run past the end of the file. */
        f = st_parse(buf, size - 1);
        CHECK(!f && strstr(eng_last_error(),
                           "tensor 'x': data_offsets [0,64] outside the data area of 63 bytes"));
        /* Truncated inside the header. */
        f = st_parse(buf, 20);
        CHECK(!f && strstr(eng_last_error(), "truncated: header length"));
        free(buf);
    }
    CHECK(!st_parse((const uint8_t *)"abc", 3) && strstr(eng_last_error(), "truncated"));
    CHECK(!st_parse((const uint8_t *)"", 0) && strstr(eng_last_error(), "truncated"));
    {
        /* A header length of 2^63: must be rejected, not allocated. */
        uint8_t huge[16] = {0, 0, 0, 0, 0, 0, 0, 0x80, '{', '}'};
        CHECK(!st_parse(huge, sizeof huge) && strstr(eng_last_error(), "header length"));
    }

    static const struct {
        const char *header;
        size_t data_size;
        const char *expected;
    } rejected[] = {
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,64]}", 64,
         "not valid JSON"},
        {"[1,2,3]", 0, "not a JSON object"},
        {"{} x", 0, "trailing bytes"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,12]}}", 64,
         "tensor 'x': data_offsets [0,12] do not match shape [4,4] of F32 (64 bytes)"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[64,128]}}", 64,
         "tensor 'x': data_offsets [64,128] outside the data area of 64 bytes"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[10,2]}}", 64,
         "outside the data area"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0]}}", 64,
         "tensor 'x': data_offsets is not a pair"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,-64]}}", 64,
         "data_offsets is not a pair of non-negative integers"},
        {"{\"x\":{\"dtype\":\"F33\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16,
         "tensor 'x': unknown dtype 'F33'"},
        {"{\"x\":{\"dtype\":7,\"shape\":[4],\"data_offsets\":[0,16]}}", 16,
         "tensor 'x': missing dtype"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
         "\"data_offsets\":[0,16]}}",
         16, "tensor 'x': shape [4294967296,4294967296,4294967296] overflows"},
        {"{\"x\":{\"dtype\":\"F64\",\"shape\":[4503599627370496,4096],"
         "\"data_offsets\":[0,16]}}",
         16, "overflows"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", 16,
         "tensor 'x': shape dimension 0 is not a non-negative integer"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,16]}}", 16,
         "shape dimension 0 is not a non-negative integer"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],"
         "\"data_offsets\":[0,4]}}",
         4, "tensor 'x': 9 dimensions (at most 8)"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}", 16,
         "tensor 'x': shape is not an array"},
        {"{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}", 16,
         "tensor 'x': missing shape"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[4]}}", 16, "tensor 'x': missing data_offsets"},
        {"{\"x\":[1]}", 0, "tensor 'x': entry is not an object"},
        {"{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
         8, "tensor 'x' appears twice"},
        /* The tensors must tile the data area, as the reference library requires. */
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
         12, "tensors 'a' and 'b' overlap: data_offsets [0,8] and [4,12]"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
         4, "tensors 'a' and 'b' overlap: data_offsets [0,4] and [0,4]"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
         12, "bytes 4 to 8 of the data area belong to no tensor (the next is 'b')"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6,
         "the data area's last 2 bytes belong to no tensor"},
        {"{\"__metadata__\":{\"a\":1}}", 0, "__metadata__ value of 'a' is not a string"},
        {"{\"__metadata__\":[]}", 0, "__metadata__ is not an object"},
        {"{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0,
         "__metadata__ key 'k' appears twice"},
    };
    for (size_t i = 0; i < sizeof rejected / sizeof *rejected; i++)
        expect_reject(rejected[i].header, rejected[i].data_size, rejected[i].expected);

    /* Tensors in another order than their bytes, and empty ones at their borders, tile it. */
    {
        size_t size;
        uint8_t *buf = make_file(
            "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
            "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
            "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, &size);
        st_file *f = st_parse(buf, size);
        CHECK(f && st_count(f) == 3);
        st_close(f);
        free(buf);
    }
    /* A zero dimension makes an empty tensor even when the others are huge. */
    {
        size_t size;
        uint8_t *buf = make_file("{\"e\":{\"dtype\":\"F32\",\"shape\":[4294967296,0,4294967296],"
                                 "\"data_offsets\":[0,0]}}",
                                 0, &size);
        st_file *f = st_parse(buf, size);
        CHECK(f && st_find(f, "e") && st_find(f, "e")->numel == 0);
        st_close(f);
        free(buf);
    }

    /* st_open names the file. */
    char path[512];
    path_in_tmp(path, sizeof path, "bad.safetensors");
    FILE *fp = fopen(path, "wb");
    fwrite("\x02\0\0\0\0\0\0\0{]", 1, 10, fp);
    fclose(fp);
    CHECK(!st_open(path) && strstr(eng_last_error(), path) &&
          strstr(eng_last_error(), "not valid JSON"));
    unlink(path);
    CHECK(!st_open(tmpdir) && strstr(eng_last_error(), "not a regular file"));
    path_in_tmp(path, sizeof path, "missing.safetensors");
    CHECK(!st_open(path) && strstr(eng_last_error(), path) &&
          strstr(eng_last_error(), "No such file"));
}

/* What looks like safetensors: a header length the file holds, or one followed by '{'. */
static void test_probe(void)
{
    static const uint8_t fits[] = "\x02\0\0\0\0\0\0\0{}", cut[] = "\xff\0\0\0\0\0\0\0{",
                         legacy_pth[] = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20";
    CHECK(st_probe(fits, 10, 10) && st_probe(cut, 9, 9));
    CHECK(!st_probe(fits, 8, 8) && !st_probe(legacy_pth, 10, 75814));
}

static void test_failed_save_leaves_previous_file(void)
{
    float v[4] = {1, 2, 3, 4};
    int64_t shape[1] = {4};
    st_writer *w = st_writer_new();
    CHECK(st_writer_add(w, "v", ST_F32, 1, shape, v) == 0);

    /* A folder that does not exist: nothing can be created. */
    char path[512];
    path_in_tmp(path, sizeof path, "no/such/dir/x.safetensors");
    CHECK(st_writer_save(w, path) != 0 && strstr(eng_last_error(), path));

    /* The target is a folder: refused before anything is written (base/out_path.h). */
    path_in_tmp(path, sizeof path, "a_folder");
    CHECK(mkdir(path, 0755) == 0);
    char inside[600];
    snprintf(inside, sizeof inside, "%s/keep", path);
    FILE *fp = fopen(inside, "w");
    fputs("previous", fp);
    fclose(fp);
    CHECK(st_writer_save(w, path) != 0 &&
          strstr(eng_last_error(), "not a regular file (a folder)"));
    CHECK(count_temp_files() == 0);
    size_t size;
    uint8_t *prev = read_whole_file(inside, &size);
    CHECK(prev && size == 8 && memcmp(prev, "previous", 8) == 0);
    free(prev);
    unlink(inside);
    rmdir(path);
    st_writer_free(w);
}

/* Resident memory of this process in KiB (VmRSS). */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kib = atol(line + 6);
    if (f)
        fclose(f);
    return kib;
}

/* A loaded tensor's pages go back with st_release: reading a 64 MiB file's tensors raises the
 * resident memory by about their size, releasing them lowers it again, and the values read
 * after a release are still right (read again from the file). */
static void test_release(void)
{
    enum { TENSORS = 4, FLOATS = 4 << 20 };
    char path[512];
    path_in_tmp(path, sizeof path, "big.safetensors");
    float *v = malloc(sizeof *v * FLOATS), *got = malloc(sizeof *got * FLOATS);
    for (size_t i = 0; i < FLOATS; i++)
        v[i] = (float)i;
    st_writer *w = st_writer_new();
    int64_t shape[1] = {FLOATS};
    for (int k = 0; k < TENSORS; k++) {
        char name[16];
        snprintf(name, sizeof name, "t%d", k);
        CHECK(st_writer_add(w, name, ST_F32, 1, shape, v) == 0);
    }
    CHECK(st_writer_save(w, path) == 0);
    st_writer_free(w);
    st_file *f = st_open(path);
    CHECK(f != NULL);
    if (f) {
        long before = rss_kib(), file_kib = (long)TENSORS * FLOATS * 4 / 1024;
        for (int k = 0; k < TENSORS; k++)
            st_to_f32(st_get(f, k), got);
        long loaded = rss_kib();
        for (int k = 0; k < TENSORS; k++)
            st_release(f, st_get(f, k));
        long released = rss_kib();
        printf("resident: %ld KiB, after reading the tensors %ld, after releasing them %ld\n",
               before, loaded, released);
        CHECK(loaded - before > file_kib * 8 / 10);
        CHECK(loaded - released > file_kib * 8 / 10);
        st_to_f32(st_get(f, TENSORS - 1), got);
        CHECK(got[FLOATS - 1] == (float)(FLOATS - 1) && got[12345] == 12345.0f);
        st_close(f);
    }
    unlink(path);
    free(v);
    free(got);
}

/* st_from_tensors: a table built in memory reads like a parsed file; entries that disagree with
 * their shape, leave the buffer or repeat a name are refused (and the buffer freed). */
static void test_from_tensors(void)
{
    float *buf = malloc(8 * sizeof *buf);
    for (int i = 0; i < 8; i++)
        buf[i] = (float)i - 2.5f;
    st_tensor t[2] = {{"a", ST_F32, 2, {2, 3}, 6, buf, 24}, {"b", ST_F32, 0, {0}, 1, buf + 6, 4}};
    st_file *f = st_from_tensors((uint8_t *)buf, 32, t, 2);
    CHECK(f != NULL && st_count(f) == 2 && st_meta_count(f) == 0);
    if (f) {
        float v[6];
        const st_tensor *a = st_find(f, "a"), *b = st_find(f, "b");
        CHECK(a && a->ndim == 2 && a->shape[1] == 3 && b && b->ndim == 0);
        st_to_f32(a, v);
        CHECK(v[0] == -2.5f && v[5] == 2.5f);
        st_to_f32(b, v);
        CHECK(v[0] == 3.5f);
        st_close(f);
    }
    static const struct {
        int index, ndim;
        int64_t dim0;
        size_t numel, nbytes, at;
        const char *name, *reason;
    } bad[] = {
        {0, 2, 3, 6, 24, 0, "a", "do not match its shape"},
        {0, 2, 2, 6, 20, 0, "a", "do not match its shape"},
        {1, 1, 2, 2, 8, 7, "b", "outside the buffer"},
        {1, 1, -1, 0, 0, 0, "b", "negative"},
        {1, 9, 1, 1, 4, 0, "b", "9 dimensions"},
        {1, 0, 0, 1, 4, 0, "a", "appears twice"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        uint8_t *copy = malloc(32);
        st_tensor e[2] = {{"a", ST_F32, 2, {2, 3}, 6, copy, 24},
                          {"b", ST_F32, 0, {0}, 1, copy + 24, 4}};
        st_tensor *x = &e[bad[k].index];
        x->name = bad[k].name;
        x->ndim = bad[k].ndim;
        x->shape[0] = bad[k].dim0;
        x->numel = bad[k].numel;
        x->nbytes = bad[k].nbytes;
        x->data = copy + 4 * bad[k].at;
        CHECK(st_from_tensors(copy, 32, e, 2) == NULL);
        if (!strstr(eng_last_error(), bad[k].reason)) {
            fprintf(stderr, "case %zu: '%s' lacks '%s'\n", k, eng_last_error(), bad[k].reason);
            test_failures++;
        }
    }
}

/* A filled tensor: values i * step, or a failure when step is 0. */
static int fill_ramp(void *ctx, void *dst, size_t nbytes)
{
    float step = *(const float *)ctx;
    if (step == 0.0f)
        return eng_set_error(-1, "no values today");
    for (size_t i = 0; i < nbytes / sizeof(float); i++)
        ((float *)dst)[i] = (float)i * step;
    return 0;
}

/* Filled tensors are written between plain ones in order; a failing fill fails the save with
 * its reason after the file's name, and the previous file stays. */
static void test_fill(void)
{
    float plain[3] = {7, 8, 9}, step_a = 0.5f, step_b = 2.0f, fail = 0.0f;
    int64_t s3[1] = {3}, s25[2] = {5, 5}, s4[1] = {4};
    st_writer *w = st_writer_new();
    CHECK(st_writer_add_fill(w, "a", ST_F32, 2, s25, fill_ramp, &step_a) == 0);
    CHECK(st_writer_add(w, "p", ST_F32, 1, s3, plain) == 0);
    CHECK(st_writer_add_fill(w, "b", ST_F32, 1, s4, fill_ramp, &step_b) == 0);
    CHECK(st_writer_add_fill(w, "c", ST_F32, 1, s4, NULL, NULL) != 0);
    char path[512];
    path_in_tmp(path, sizeof path, "filled.safetensors");
    CHECK(st_writer_save(w, path) == 0);
    st_writer_free(w);
    st_file *f = st_open(path);
    CHECK(f && st_count(f) == 3);
    const st_tensor *a = f ? st_find(f, "a") : NULL, *p = f ? st_find(f, "p") : NULL,
                    *b = f ? st_find(f, "b") : NULL;
    CHECK(a && a->numel == 25 && ((const float *)a->data)[24] == 12.0f);
    CHECK(p && ((const float *)p->data)[2] == 9.0f);
    CHECK(b && ((const float *)b->data)[3] == 6.0f);
    if (f)
        st_close(f);

    size_t before_size, after_size;
    uint8_t *before = read_whole_file(path, &before_size);
    w = st_writer_new();
    CHECK(st_writer_add_fill(w, "a", ST_F32, 1, s4, fill_ramp, &step_b) == 0);
    CHECK(st_writer_add_fill(w, "x", ST_F32, 1, s4, fill_ramp, &fail) == 0);
    CHECK(st_writer_save(w, path) != 0);
    char want[600];
    snprintf(want, sizeof want, "%s: no values today", path);
    CHECK(strcmp(eng_last_error(), want) == 0);
    st_writer_free(w);
    uint8_t *after = read_whole_file(path, &after_size);
    CHECK(before && after && before_size == after_size && !memcmp(before, after, after_size));
    CHECK(count_temp_files() == 0);
    free(before);
    free(after);
    unlink(path);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/st_test_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trip();
    test_python_file();
    test_corruption();
    test_probe();
    test_failed_save_leaves_previous_file();
    test_fill();
    test_release();
    test_from_tensors();
    CHECK(count_temp_files() == 0);
    rmdir(tmpdir);
    if (test_failures) {
        fprintf(stderr, "%d check(s) failed\n", test_failures);
        return 1;
    }
    printf("safetensors: all checks passed\n");
    return 0;
}
