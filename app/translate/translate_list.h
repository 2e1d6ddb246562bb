/* What translate reads and writes: the input files and, for each, its output path. */
#ifndef APP_TRANSLATE_LIST_H
#define APP_TRANSLATE_LIST_H

typedef struct {
    char **inputs, **outputs;
    int n;
    int existing;   /* inputs left out because their output exists (skip_existing) */
    int in_output;  /* images left out because they are in the output folder, inside input */
} translate_list;

/* input: an image file, or a folder of images (recursive: and its subfolders, the output
 * folder excepted: its images are results, counted in in_output). Each output is
 * out_dir/REL/STEM.ext, REL the input's folder below input (mirroring the tree). Two inputs
 * that would write the same output (a.png and a.jpg) are refused, each pair named on stderr,
 * before anything is translated. skip_existing leaves out the inputs whose output is a
 * complete image (it decodes, within max_pixels): outputs are written atomically, so anything
 * else there (empty, truncated, foreign) is made again, said on stderr. 0, or -1 with the
 * reason on stderr. */
int translate_list_make(translate_list *l, const char *input, const char *out_dir,
                        const char *ext, int recursive, int skip_existing, long long max_pixels);
void translate_list_free(translate_list *l);

#endif
