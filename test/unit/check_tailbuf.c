/* check_tailbuf.c - the last bytes of a command's output, as text for JSON. */
#include <string.h>

#include "services/tailbuf.h"
#include "test/unit/check.h"

START_TEST (keeps_the_last_bytes)
{
    static struct fx_tailbuf t;
    char big[FX_TAILBUF_MAX + 10];

    fx_tailbuf_add (&t, "hello ", 6);
    fx_tailbuf_add (&t, "world", 5);
    ck_assert_str_eq (fx_tailbuf_text (&t), "hello world");
    memset (big, 'x', sizeof (big));
    big[sizeof (big) - 1] = 'z';
    fx_tailbuf_add (&t, big, sizeof (big));
    ck_assert_uint_eq (t.len, FX_TAILBUF_MAX);
    ck_assert_int_eq (t.data[FX_TAILBUF_MAX - 1], 'z');
    fx_tailbuf_add (&t, "!", 1); /* one more: the oldest byte goes */
    ck_assert_uint_eq (t.len, FX_TAILBUF_MAX);
    ck_assert_str_eq (fx_tailbuf_text (&t) + FX_TAILBUF_MAX - 2, "z!");
}
END_TEST

START_TEST (text_is_valid_utf8)
{
    static struct fx_tailbuf t;

    fx_tailbuf_add (&t, "\xc6\x92 ok", 5);  /* ƒ stays */
    fx_tailbuf_add (&t, "\0", 1);           /* NUL */
    fx_tailbuf_add (&t, "\xc0\xaf", 2);     /* overlong '/' */
    fx_tailbuf_add (&t, "\xed\xa0\x80", 3); /* a surrogate */
    fx_tailbuf_add (&t, "\xe2\x82", 2);     /* cut at the end */
    ck_assert_str_eq (fx_tailbuf_text (&t), "\xc6\x92 ok????????");
}
END_TEST

static Suite *suite (void)
{
    Suite *s = suite_create ("tailbuf");
    const struct fx_check_case cases[] = {
        {"keeps_the_last_bytes", keeps_the_last_bytes},
        {"text_is_valid_utf8", text_is_valid_utf8},
    };

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (suite ());
}
