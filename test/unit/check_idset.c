/* check_idset.c - unit tests for services/idset.c (RFC 22 idsets). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "services/idset.h"
#include "test/unit/check.h"

#define BITS 200 /* ids used by the randomised comparisons against a bitmap */

static struct fx_idset *decode_ok (const char *s)
{
    struct fx_error err = {{0}};
    struct fx_idset *set = fx_idset_decode (s, &err);

    ck_assert_msg (set != NULL, "decode '%s': %s", s, err.text);
    return set;
}

static void check_encode (const struct fx_idset *set, int flags, const char *expected)
{
    char *s = fx_idset_encode (set, flags);

    ck_assert_ptr_nonnull (s);
    ck_assert_str_eq (s, expected);
    free (s);
}

/* Decode s, check both encodings, and that the plain encoding decodes to an equal set. */
static void check_codec (const char *s, const char *plain, const char *bracketed)
{
    struct fx_idset *set = decode_ok (s);
    struct fx_idset *again = decode_ok (plain);
    struct fx_idset *again2 = decode_ok (bracketed);

    check_encode (set, 0, plain);
    check_encode (set, FX_IDSET_FLAG_BRACKETS, bracketed);
    ck_assert (fx_idset_equal (set, again));
    ck_assert (fx_idset_equal (set, again2));
    fx_idset_destroy (set);
    fx_idset_destroy (again);
    fx_idset_destroy (again2);
}

static void check_error (const char *s, const char *text)
{
    struct fx_error err = {{0}};

    errno = 0;
    ck_assert_msg (fx_idset_decode (s, &err) == NULL, "'%s' decoded", s);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_str_eq (err.text, text);
}

/* set must hold exactly the ids marked in bits[0..BITS). */
static void check_bits (const struct fx_idset *set, const bool *bits)
{
    size_t count = 0;
    unsigned int id = fx_idset_first (set);

    /* Plain comparisons: a ck_assert per id would dominate the run time. */
    for (unsigned int i = 0; i < BITS; i++) {
        if (fx_idset_test (set, i) != bits[i])
            ck_abort_msg ("test (%u) is %d", i, !bits[i]);
        if (bits[i]) {
            if (id != i)
                ck_abort_msg ("iteration gave %u, expected %u", id, i);
            id = fx_idset_next (set, id);
            count++;
        }
    }
    ck_assert_uint_eq (id, FX_IDSET_INVALID_ID);
    ck_assert_uint_eq (fx_idset_count (set), count);
}

START_TEST (test_codec)
{
    check_codec ("", "", "");
    check_codec ("[]", "", "");
    check_codec ("0", "0", "0");
    check_codec ("[5]", "5", "5");
    check_codec ("0-3,8", "0-3,8", "[0-3,8]");
    check_codec ("[1-3,5]", "1-3,5", "[1-3,5]");
    check_codec ("1-2", "1-2", "[1-2]");
    check_codec ("1,2", "1-2", "[1-2]");
    check_codec ("7-7", "7", "7");
    check_codec ("10,100,1000", "10,100,1000", "[10,100,1000]");
    check_codec ("2147483647", "2147483647", "2147483647");
    check_codec ("0-2147483647", "0-2147483647", "[0-2147483647]");
}
END_TEST

START_TEST (test_unordered)
{
    check_codec ("3,1,2", "1-3", "[1-3]");
    check_codec ("1-5,3-8", "1-8", "[1-8]");
    check_codec ("1,1,1", "1", "1");
    check_codec ("9,0-3,5,4", "0-5,9", "[0-5,9]");
    check_codec ("20-30,1,10-19", "1,10-30", "[1,10-30]");
    check_codec ("5,3,1", "1,3,5", "[1,3,5]");
}
END_TEST

START_TEST (test_errors)
{
    check_error ("01", "01: leading zero at position 0");
    check_error ("1-03", "1-03: leading zero at position 2");
    check_error ("00", "00: leading zero at position 0");
    check_error ("2147483648", "2147483648: id at position 0 is larger than 2147483647");
    check_error ("1-99999999999999999999",
                 "1-99999999999999999999: id at position 2 is larger than 2147483647");
    check_error ("-1", "-1: invalid character '-' at position 0");
    check_error ("+1", "+1: invalid character '+' at position 0");
    check_error ("1-", "1-: missing id at end");
    check_error ("1,", "1,: trailing comma");
    check_error (",1", ",1: invalid character ',' at position 0");
    check_error ("1,,2", "1,,2: invalid character ',' at position 2");
    check_error ("5-3", "5-3: range at position 0 ends before it starts");
    check_error ("1,10-9", "1,10-9: range at position 2 ends before it starts");
    check_error (" 1", " 1: invalid character ' ' at position 0");
    check_error ("1 ", "1 : invalid character ' ' at position 1");
    check_error ("1-2-3", "1-2-3: invalid character '-' at position 3");
    check_error ("[1-3", "[1-3: missing ']'");
    check_error ("[", "[: missing ']'");
    check_error ("1]", "1]: invalid character ']' at position 1");
    check_error ("[[1]]", "[[1]]: invalid character '[' at position 1");
    check_error ("[,]", "[,]: invalid character ',' at position 1");
    check_error ("a", "a: invalid character 'a' at position 0");
    check_error ("1\n", "1?: invalid byte 0x0a at position 1");
    check_error ("0x1", "0x1: invalid character 'x' at position 1");
}
END_TEST

START_TEST (test_error_long)
{
    char s[200];
    struct fx_error err;

    memset (s, '1', 150);
    strcpy (s + 150, ",x");
    ck_assert_ptr_null (fx_idset_decode (s, &err));
    ck_assert_int_eq (strlen (err.text),
                      67 + strlen (": id at position 0 is larger than 2147483647"));
    ck_assert_ptr_nonnull (strstr (err.text, "11...: id at position 0"));
    ck_assert_ptr_null (fx_idset_decode ("1,x", NULL));
    ck_assert_ptr_null (fx_idset_decode (NULL, &err));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_str_eq (err.text, "idset is NULL");
}
END_TEST

START_TEST (test_set_clear)
{
    struct fx_idset *set = fx_idset_create ();

    ck_assert_int_eq (fx_idset_set (set, 5), 0);
    ck_assert_int_eq (fx_idset_set (set, 3), 0);
    ck_assert_int_eq (fx_idset_set (set, 4), 0);
    check_encode (set, 0, "3-5");
    ck_assert_int_eq (fx_idset_set (set, 7), 0);
    ck_assert_int_eq (fx_idset_set (set, 5), 0);
    check_encode (set, 0, "3-5,7");
    ck_assert_int_eq (fx_idset_set (set, 6), 0);
    check_encode (set, 0, "3-7");
    ck_assert_int_eq (fx_idset_clear (set, 5), 0);
    check_encode (set, 0, "3-4,6-7");
    ck_assert_int_eq (fx_idset_clear (set, 3), 0);
    ck_assert_int_eq (fx_idset_clear (set, 7), 0);
    ck_assert_int_eq (fx_idset_clear (set, 100), 0);
    check_encode (set, 0, "4,6");
    ck_assert (fx_idset_test (set, 4));
    ck_assert (!fx_idset_test (set, 5));
    ck_assert (!fx_idset_test (set, FX_IDSET_ID_MAX));
    ck_assert (!fx_idset_test (set, FX_IDSET_INVALID_ID));
    ck_assert_int_eq (fx_idset_set (set, FX_IDSET_ID_MAX), 0);
    ck_assert (fx_idset_test (set, FX_IDSET_ID_MAX));
    errno = 0;
    ck_assert_int_eq (fx_idset_set (set, FX_IDSET_ID_MAX + 1), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_idset_clear (set, FX_IDSET_INVALID_ID), -1);
    check_encode (set, 0, "4,6,2147483647");
    fx_idset_destroy (set);
}
END_TEST

START_TEST (test_ranges)
{
    struct fx_idset *set = decode_ok ("1-2,5-6,9-10,20");

    ck_assert_int_eq (fx_idset_range_set (set, 3, 8), 0);
    check_encode (set, 0, "1-10,20");
    ck_assert_int_eq (fx_idset_range_set (set, 12, 18), 0);
    check_encode (set, 0, "1-10,12-18,20");
    ck_assert_int_eq (fx_idset_range_set (set, 0, 30), 0);
    check_encode (set, 0, "0-30");
    ck_assert_int_eq (fx_idset_range_clear (set, 10, 19), 0);
    check_encode (set, 0, "0-9,20-30");
    ck_assert_int_eq (fx_idset_range_clear (set, 5, 25), 0);
    check_encode (set, 0, "0-4,26-30");
    ck_assert_int_eq (fx_idset_range_clear (set, 0, 0), 0);
    ck_assert_int_eq (fx_idset_range_clear (set, 30, 40), 0);
    check_encode (set, 0, "1-4,26-29");
    ck_assert_int_eq (fx_idset_range_clear (set, 10, 20), 0);
    check_encode (set, 0, "1-4,26-29");
    ck_assert_int_eq (fx_idset_range_clear (set, 0, FX_IDSET_ID_MAX), 0);
    check_encode (set, 0, "");
    errno = 0;
    ck_assert_int_eq (fx_idset_range_set (set, 5, 4), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_idset_range_set (set, 0, FX_IDSET_ID_MAX + 1), -1);
    ck_assert_int_eq (fx_idset_range_clear (set, 5, 4), -1);
    ck_assert_int_eq (fx_idset_count (set), 0);
    fx_idset_destroy (set);
}
END_TEST

START_TEST (test_iterate)
{
    struct fx_idset *set = decode_ok ("0,5-7,2147483647");
    struct fx_idset *empty = fx_idset_create ();

    ck_assert_uint_eq (fx_idset_first (set), 0);
    ck_assert_uint_eq (fx_idset_next (set, 0), 5);
    ck_assert_uint_eq (fx_idset_next (set, 2), 5);
    ck_assert_uint_eq (fx_idset_next (set, 5), 6);
    ck_assert_uint_eq (fx_idset_next (set, 7), FX_IDSET_ID_MAX);
    ck_assert_uint_eq (fx_idset_next (set, FX_IDSET_ID_MAX), FX_IDSET_INVALID_ID);
    ck_assert_uint_eq (fx_idset_next (set, FX_IDSET_INVALID_ID), FX_IDSET_INVALID_ID);
    ck_assert_uint_eq (fx_idset_last (set), FX_IDSET_ID_MAX);
    ck_assert_uint_eq (fx_idset_count (set), 5);
    ck_assert_uint_eq (fx_idset_first (empty), FX_IDSET_INVALID_ID);
    ck_assert_uint_eq (fx_idset_last (empty), FX_IDSET_INVALID_ID);
    ck_assert_uint_eq (fx_idset_next (empty, 0), FX_IDSET_INVALID_ID);
    ck_assert_uint_eq (fx_idset_count (empty), 0);
    fx_idset_destroy (set);
    fx_idset_destroy (empty);
}
END_TEST

START_TEST (test_setops)
{
    struct fx_idset *a = decode_ok ("0-10,20-30,40");
    struct fx_idset *b = decode_ok ("5-25,40-50");
    struct fx_idset *r;

    r = fx_idset_union (a, b);
    check_encode (r, 0, "0-30,40-50");
    fx_idset_destroy (r);
    r = fx_idset_intersect (a, b);
    check_encode (r, 0, "5-10,20-25,40");
    fx_idset_destroy (r);
    r = fx_idset_difference (a, b);
    check_encode (r, 0, "0-4,26-30");
    fx_idset_destroy (r);
    r = fx_idset_difference (b, a);
    check_encode (r, 0, "11-19,41-50");
    fx_idset_destroy (r);
    check_encode (a, 0, "0-10,20-30,40");
    check_encode (b, 0, "5-25,40-50");

    ck_assert_int_eq (fx_idset_add (a, b), 0);
    check_encode (a, 0, "0-30,40-50");
    ck_assert_int_eq (fx_idset_subtract (a, b), 0);
    check_encode (a, 0, "0-4,26-30");
    ck_assert_int_eq (fx_idset_subtract (a, a), 0);
    check_encode (a, 0, "");
    fx_idset_destroy (a);
    fx_idset_destroy (b);
}
END_TEST

START_TEST (test_setops_edges)
{
    struct fx_idset *all = decode_ok ("0-2147483647");
    struct fx_idset *some = decode_ok ("0,2147483647");
    struct fx_idset *empty = fx_idset_create ();
    struct fx_idset *r;

    r = fx_idset_difference (all, some);
    check_encode (r, 0, "1-2147483646");
    fx_idset_destroy (r);
    r = fx_idset_difference (some, all);
    check_encode (r, 0, "");
    fx_idset_destroy (r);
    r = fx_idset_union (empty, some);
    ck_assert (fx_idset_equal (r, some));
    fx_idset_destroy (r);
    r = fx_idset_intersect (all, some);
    ck_assert (fx_idset_equal (r, some));
    fx_idset_destroy (r);
    r = fx_idset_intersect (empty, all);
    ck_assert (fx_idset_equal (r, empty));
    fx_idset_destroy (r);
    errno = 0;
    ck_assert_ptr_null (fx_idset_union (NULL, all));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_ptr_null (fx_idset_difference (all, NULL));
    ck_assert_ptr_null (fx_idset_intersect (NULL, NULL));
    ck_assert_int_eq (fx_idset_add (NULL, all), -1);
    ck_assert_int_eq (fx_idset_subtract (all, NULL), -1);
    fx_idset_destroy (all);
    fx_idset_destroy (some);
    fx_idset_destroy (empty);
}
END_TEST

START_TEST (test_equal_copy)
{
    struct fx_idset *a = decode_ok ("1-3,7");
    struct fx_idset *b = decode_ok ("7,3,2,1");
    struct fx_idset *c = fx_idset_copy (a);

    ck_assert (fx_idset_equal (a, b));
    ck_assert (fx_idset_equal (a, c));
    ck_assert_int_eq (fx_idset_set (c, 8), 0);
    ck_assert (!fx_idset_equal (a, c));
    ck_assert_int_eq (fx_idset_clear (c, 8), 0);
    ck_assert_int_eq (fx_idset_clear (c, 2), 0);
    ck_assert (!fx_idset_equal (a, c));
    ck_assert (fx_idset_equal (NULL, NULL));
    ck_assert (!fx_idset_equal (a, NULL));
    ck_assert_ptr_null (fx_idset_copy (NULL));
    fx_idset_destroy (a);
    fx_idset_destroy (b);
    fx_idset_destroy (c);
    fx_idset_destroy (NULL);
}
END_TEST

START_TEST (test_null_args)
{
    ck_assert_int_eq (fx_idset_set (NULL, 1), -1);
    ck_assert_int_eq (fx_idset_clear (NULL, 1), -1);
    ck_assert (!fx_idset_test (NULL, 1));
    ck_assert_uint_eq (fx_idset_count (NULL), 0);
    ck_assert_uint_eq (fx_idset_first (NULL), FX_IDSET_INVALID_ID);
    ck_assert_uint_eq (fx_idset_next (NULL, 1), FX_IDSET_INVALID_ID);
    ck_assert_uint_eq (fx_idset_last (NULL), FX_IDSET_INVALID_ID);
    errno = 0;
    ck_assert_ptr_null (fx_idset_encode (NULL, 0));
    ck_assert_int_eq (errno, EINVAL);
}
END_TEST

START_TEST (test_encode_flags)
{
    struct fx_idset *set = decode_ok ("1");

    errno = 0;
    ck_assert_ptr_null (fx_idset_encode (set, 4));
    ck_assert_int_eq (errno, EINVAL);
    check_encode (set, FX_IDSET_FLAG_BRACKETS, "1");
    fx_idset_destroy (set);
}
END_TEST

START_TEST (test_large)
{
    struct fx_idset *set = decode_ok ("0-1000000");
    struct fx_idset *even = fx_idset_create ();
    struct fx_idset *r;
    char *s;

    ck_assert_uint_eq (fx_idset_count (set), 1000001);
    check_encode (set, 0, "0-1000000");
    for (unsigned int i = 0; i <= 200000; i += 2)
        if (fx_idset_set (even, i) < 0)
            ck_abort_msg ("set %u failed", i);
    ck_assert_uint_eq (fx_idset_count (even), 100001);
    s = fx_idset_encode (even, 0);
    r = decode_ok (s);
    free (s);
    ck_assert (fx_idset_equal (r, even));
    fx_idset_destroy (r);
    ck_assert_int_eq (fx_idset_subtract (set, even), 0);
    ck_assert_uint_eq (fx_idset_count (set), 1000001 - 100001);
    ck_assert_uint_eq (fx_idset_first (set), 1);
    ck_assert_uint_eq (fx_idset_next (set, 1), 3);
    ck_assert_uint_eq (fx_idset_next (set, 199999), 200001);
    ck_assert_int_eq (fx_idset_add (set, even), 0);
    check_encode (set, 0, "0-1000000");
    /* Clear every other id: each clear splits the last range. */
    for (unsigned int i = 800001; i < 1000000; i += 2)
        if (fx_idset_clear (set, i) < 0)
            ck_abort_msg ("clear %u failed", i);
    ck_assert_uint_eq (fx_idset_count (set), 1000001 - 100000);
    /* From the top down each clear splits the first range and moves all the others. */
    for (unsigned int i = 799999; i > 796000; i -= 2)
        if (fx_idset_clear (set, i) < 0)
            ck_abort_msg ("clear %u failed", i);
    ck_assert_uint_eq (fx_idset_count (set), 1000001 - 102000);
    fx_idset_destroy (set);
    fx_idset_destroy (even);
}
END_TEST

START_TEST (test_random_ops)
{
    /* Random set/clear of ids and ranges, checked against a bitmap after each step. */
    bool bits[BITS] = {false};
    struct fx_idset *set = fx_idset_create ();

    srand (42);
    for (int step = 0; step < 3000; step++) {
        unsigned int lo = rand () % BITS;
        unsigned int hi = lo + rand () % (rand () % 4 == 0 ? 40 : 3);
        bool on = rand () % 2;
        if (hi >= BITS)
            hi = BITS - 1;
        if (on)
            ck_assert_int_eq (fx_idset_range_set (set, lo, hi), 0);
        else
            ck_assert_int_eq (fx_idset_range_clear (set, lo, hi), 0);
        for (unsigned int i = lo; i <= hi; i++)
            bits[i] = on;
        check_bits (set, bits);
    }
    fx_idset_destroy (set);
}
END_TEST

static struct fx_idset *random_set (bool *bits)
{
    struct fx_idset *set = fx_idset_create ();

    for (int i = 0; i < BITS; i++) {
        bits[i] = rand () % 3 != 0;
        if (bits[i])
            ck_assert_int_eq (fx_idset_set (set, i), 0);
    }
    return set;
}

START_TEST (test_random_setops)
{
    srand (7);
    for (int round = 0; round < 200; round++) {
        bool a[BITS], b[BITS], want[BITS];
        struct fx_idset *sa = random_set (a), *sb = random_set (b);
        struct fx_idset *u = fx_idset_union (sa, sb);
        struct fx_idset *x = fx_idset_intersect (sa, sb);
        struct fx_idset *d = fx_idset_difference (sa, sb);

        for (int i = 0; i < BITS; i++)
            want[i] = a[i] || b[i];
        check_bits (u, want);
        for (int i = 0; i < BITS; i++)
            want[i] = a[i] && b[i];
        check_bits (x, want);
        for (int i = 0; i < BITS; i++)
            want[i] = a[i] && !b[i];
        check_bits (d, want);
        fx_idset_destroy (u);
        fx_idset_destroy (x);
        fx_idset_destroy (d);
        fx_idset_destroy (sa);
        fx_idset_destroy (sb);
    }
}
END_TEST

static Suite *idset_suite (void)
{
    Suite *s = suite_create ("idset");
    const struct fx_check_case cases[] = {
        {"codec", test_codec},
        {"unordered", test_unordered},
        {"errors", test_errors},
        {"error_long", test_error_long},
        {"set_clear", test_set_clear},
        {"ranges", test_ranges},
        {"iterate", test_iterate},
        {"setops", test_setops},
        {"setops_edges", test_setops_edges},
        {"equal_copy", test_equal_copy},
        {"null_args", test_null_args},
        {"encode_flags", test_encode_flags},
        {"large", test_large},
        {"random_ops", test_random_ops},
        {"random_setops", test_random_setops},
    };

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (idset_suite ());
}
