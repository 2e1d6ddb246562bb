/* base/text_line.h, the escaping of names in message lines (base has no tests of its own:
 * datasets, its first user, carries them): control bytes, bytes that are not UTF-8 and
 * backslashes escaped, valid UTF-8 left as it is. */
#include <stdlib.h>
#include <string.h>

#include "base/text_line.h"
#include "test_common.h"

/* What text_escape writes for s. */
static char *escaped(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    text_escape(f, s);
    fclose(f);
    return buf;
}

static void check_escape(const char *in, const char *want)
{
    char *got = escaped(in);
    if (strcmp(got, want)) {
        fprintf(stderr, "escape of '%s': got '%s', want '%s'\n", in, got, want);
        test_failures++;
    }
    free(got);
}

int main(void)
{
    check_escape("plain/name.png", "plain/name.png");
    check_escape("evil.png\nfake.png: ok", "evil.png\\nfake.png: ok");
    check_escape("a\rb\tc", "a\\rb\\tc");
    check_escape("back\\slash", "back\\\\slash");
    check_escape("bell\a esc\033[31m del\177", "bell\\x07 esc\\x1b[31m del\\x7f");
    /* Valid UTF-8 of 2, 3 and 4 bytes as it is; C1 controls (U+0080..U+009F) escaped. */
    check_escape("fa\xc3\xa7" "ade.png", "fa\xc3\xa7" "ade.png");
    check_escape("\xe2\x82\xac \xf0\x9f\x98\x80 \xc2\xa0", "\xe2\x82\xac \xf0\x9f\x98\x80 \xc2\xa0");
    check_escape("csi\xc2\x9b" "2J", "csi\\xc2\\x9b2J");
    /* Not UTF-8: a stray byte, a continuation alone, overlong forms, a surrogate, beyond
     * U+10FFFF, a sequence cut short (by another byte, and by the end). */
    check_escape("bad\xff.png", "bad\\xff.png");
    check_escape("\x80x", "\\x80x");
    check_escape("\xc0\xaf \xe0\x80\xaf", "\\xc0\\xaf \\xe0\\x80\\xaf");
    check_escape("\xed\xa0\x80", "\\xed\\xa0\\x80");
    check_escape("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
    check_escape("\xe2\x82x", "\\xe2\\x82x");
    check_escape("end\xe2\x82", "end\\xe2\\x82");

    /* text_line: the whole formatted line escaped, one newline at its end, long lines too. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    text_line(f, "%s: %s", "dir/evil.png\nfake.png", "empty file");
    char long_name[2000];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    text_line(f, "%s\t", long_name);
    fclose(f);
    CHECK(!strncmp(buf, "dir/evil.png\\nfake.png: empty file\n", 35));
    CHECK(len == 35 + sizeof long_name - 1 + 3 && !strcmp(buf + len - 3, "\\t\n"));
    free(buf);
    return TEST_RESULT();
}
