/* check_hostlist.c - unit tests for services/hostlist.c (RFC 29 hostlists). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/hostlist.h"
#include "test/unit/check.h"

/* Decode s, fail the test on error. */
static struct fx_hostlist *decode_ok (const char *s)
{
    struct fx_error err = {{0}};
    struct fx_hostlist *hl = fx_hostlist_decode (s, &err);

    ck_assert_msg (hl != NULL, "decode '%s': %s", s, err.text);
    return hl;
}

/* The hosts of hl joined with commas, in a static buffer. */
static const char *expand (struct fx_hostlist *hl)
{
    static char buf[8192];
    size_t len = 0;

    buf[0] = '\0';
    for (int i = 0; i < fx_hostlist_count (hl); i++) {
        const char *h = fx_hostlist_nth (hl, i);
        ck_assert_ptr_nonnull (h);
        len += snprintf (buf + len, sizeof (buf) - len, "%s%s", i ? "," : "", h);
        ck_assert_uint_lt (len, sizeof (buf));
    }
    return buf;
}

/* Decode s, check its expansion and its encoding, then check the encoding decodes to the
 * same hosts and encodes to the same string. */
static void check_codec (const char *s, const char *expanded, const char *encoded)
{
    struct fx_hostlist *hl = decode_ok (s);
    struct fx_hostlist *again;
    char *enc = fx_hostlist_encode (hl);
    char *enc2;

    ck_assert_str_eq (expand (hl), expanded);
    ck_assert_ptr_nonnull (enc);
    ck_assert_str_eq (enc, encoded);
    again = decode_ok (enc);
    ck_assert_str_eq (expand (again), expanded);
    enc2 = fx_hostlist_encode (again);
    ck_assert_str_eq (enc2, enc);
    free (enc);
    free (enc2);
    fx_hostlist_destroy (again);
    fx_hostlist_destroy (hl);
}

static void check_encode (struct fx_hostlist *hl, const char *expected)
{
    char *s = fx_hostlist_encode (hl);

    ck_assert_ptr_nonnull (s);
    ck_assert_str_eq (s, expected);
    free (s);
}

static void check_error (const char *s, int errnum, const char *text)
{
    struct fx_error err = {{0}};

    errno = 0;
    ck_assert_msg (fx_hostlist_decode (s, &err) == NULL, "'%s' decoded", s);
    ck_assert_int_eq (errno, errnum);
    ck_assert_str_eq (err.text, text);
}

START_TEST (test_empty)
{
    struct fx_hostlist *hl = decode_ok ("");

    ck_assert_int_eq (fx_hostlist_count (hl), 0);
    check_encode (hl, "");
    ck_assert_ptr_null (fx_hostlist_nth (hl, 0));
    ck_assert_ptr_null (fx_hostlist_nth (hl, -1));
    fx_hostlist_destroy (hl);
    hl = fx_hostlist_create ();
    ck_assert_int_eq (fx_hostlist_count (hl), 0);
    check_encode (hl, "");
    fx_hostlist_destroy (hl);
    fx_hostlist_destroy (NULL);
}
END_TEST

START_TEST (test_plain)
{
    check_codec ("fluke3", "fluke3", "fluke3");
    check_codec ("login", "login", "login");
    check_codec ("a,b,c", "a,b,c", "a,b,c");
    check_codec ("x.y-z_1", "x.y-z_1", "x.y-z_1");
    check_codec ("42", "42", "42");
    check_codec ("fluke007", "fluke007", "fluke007");
}
END_TEST

START_TEST (test_brackets)
{
    check_codec ("fluke[0-3]", "fluke0,fluke1,fluke2,fluke3", "fluke[0-3]");
    check_codec ("fluke[1,3,5]", "fluke1,fluke3,fluke5", "fluke[1,3,5]");
    check_codec ("fluke[7]", "fluke7", "fluke7");
    check_codec ("[1-3]", "1,2,3", "[1-3]");
    check_codec ("fluke[1-2],login[5-6]", "fluke1,fluke2,login5,login6", "fluke[1-2],login[5-6]");
    check_codec ("a[1-2,3-4]", "a1,a2,a3,a4", "a[1-4]");
    check_codec ("a1[2-3]", "a12,a13", "a1[2-3]");
}
END_TEST

START_TEST (test_canonical)
{
    /* A bracketed single host encodes as the plain name it is. */
    check_codec ("x1[009],x0[9]", "x1009,x09", "x[1009,09]");
    check_codec ("a[1]b", "a1b", "a1b");
    check_codec ("a1[3]", "a13", "a13");
    check_codec ("x[13,15],x1[6]", "x13,x15,x16", "x[13,15-16]");
    check_codec ("foo[1,3]-ib", "foo1-ib,foo3-ib", "foo[1,3]-ib");
    check_codec ("n[1-2],n[08],n[3]", "n1,n2,n08,n3", "n[1-2,08,3]");
}
END_TEST

START_TEST (test_padding)
{
    check_codec ("[00-02]", "00,01,02", "[00-02]");
    check_codec ("fluke[08-10]", "fluke08,fluke09,fluke10", "fluke[08-10]");
    check_codec ("fluke[00-2]", "fluke00,fluke01,fluke02", "fluke[00-02]");
    check_codec ("fluke[9-10]", "fluke9,fluke10", "fluke[9-10]");
    check_codec ("fluke[007]", "fluke007", "fluke007");
    check_codec ("fluke[098-101]", "fluke098,fluke099,fluke100,fluke101", "fluke[098-101]");
    check_codec ("fluke[01,1]", "fluke01,fluke1", "fluke[01,1]");
    check_codec ("fluke[1-010]",
                 "fluke1,fluke2,fluke3,fluke4,fluke5,fluke6,fluke7,fluke8,fluke9,"
                 "fluke10",
                 "fluke[1-10]");
}
END_TEST

START_TEST (test_suffix)
{
    check_codec ("foo[0-4]-eth2", "foo0-eth2,foo1-eth2,foo2-eth2,foo3-eth2,foo4-eth2",
                 "foo[0-4]-eth2");
    check_codec ("foo[1,3]-ib,foo[1,3]", "foo1-ib,foo3-ib,foo1,foo3", "foo[1,3]-ib,foo[1,3]");
    check_codec ("a[1]b,a[2]b", "a1b,a2b", "a[1-2]b");
    check_codec ("a[1-2]5", "a15,a25", "a[1-2]5");
}
END_TEST

START_TEST (test_order_kept)
{
    struct fx_hostlist *hl = decode_ok ("fluke[3,108,6-103]");

    ck_assert_int_eq (fx_hostlist_count (hl), 100);
    ck_assert_str_eq (fx_hostlist_nth (hl, 0), "fluke3");
    ck_assert_str_eq (fx_hostlist_nth (hl, 1), "fluke108");
    ck_assert_str_eq (fx_hostlist_nth (hl, 2), "fluke6");
    ck_assert_str_eq (fx_hostlist_nth (hl, 99), "fluke103");
    check_encode (hl, "fluke[3,108,6-103]");
    fx_hostlist_destroy (hl);
    check_codec ("c,a,b", "c,a,b", "c,a,b");
    check_codec ("n[5-6],n[1-2]", "n5,n6,n1,n2", "n[5-6,1-2]");
}
END_TEST

START_TEST (test_compress)
{
    check_codec ("fluke1,fluke2,fluke3", "fluke1,fluke2,fluke3", "fluke[1-3]");
    check_codec ("fluke9,fluke10,fluke11", "fluke9,fluke10,fluke11", "fluke[9-11]");
    check_codec ("fluke08,fluke09,fluke10", "fluke08,fluke09,fluke10", "fluke[08-10]");
    check_codec ("fluke1,fluke01", "fluke1,fluke01", "fluke[1,01]");
    check_codec ("fluke[8-9],fluke010", "fluke8,fluke9,fluke010", "fluke[8-9,010]");
    check_codec ("a1,b2,a3", "a1,b2,a3", "a1,b2,a3");
    check_codec ("a1,a3,b2", "a1,a3,b2", "a[1,3],b2");
    check_codec ("fluke,fluke1", "fluke,fluke1", "fluke,fluke1");
    check_codec ("x1234567890,x1234567891", "x1234567890,x1234567891", "x1[234567890-234567891]");
    check_codec ("x10000000001,x10000000002", "x10000000001,x10000000002",
                 "x10[000000001-000000002]");
}
END_TEST

START_TEST (test_duplicates)
{
    check_codec ("a[1,1,2]", "a1,a1,a2", "a[1,1-2]");
    check_codec ("a,a", "a,a", "a,a");
    check_codec ("n[1-3],n[1-3]", "n1,n2,n3,n1,n2,n3", "n[1-3,1-3]");
}
END_TEST

START_TEST (test_errors_syntax)
{
    check_error ("fluke[3-", EINVAL, "fluke[3-: unterminated range");
    check_error ("fluke[3-]", EINVAL, "fluke[3-]: unterminated range");
    check_error ("fluke[5-2]", EINVAL, "fluke[5-2]: range end before start");
    check_error ("fluke[1-3", EINVAL, "fluke[1-3: missing ']'");
    check_error ("fluke[", EINVAL, "fluke[: missing ']'");
    check_error ("fluke[1,", EINVAL, "fluke[1,: missing ']'");
    check_error ("fluke[]", EINVAL, "fluke[]: missing number");
    check_error ("fluke[1,]", EINVAL, "fluke[1,]: missing number");
    check_error ("fluke[,1]", EINVAL, "fluke[,1]: missing number");
    check_error ("fluke[a]", EINVAL, "fluke[a]: invalid character 'a' in brackets");
    check_error ("fluke[1-2-3]", EINVAL, "fluke[1-2-3]: invalid character '-' in brackets");
    check_error ("fluke[-1]", EINVAL, "fluke[-1]: invalid character '-' in brackets");
    check_error ("fluke[1 ]", EINVAL, "fluke[1 ]: invalid character ' ' in brackets");
    check_error ("flu ke", EINVAL, "flu ke: invalid character ' '");
    check_error ("ok,flu\tke", EINVAL, "flu?ke: invalid character byte 0x09");
    check_error ("fluke]", EINVAL, "fluke]: invalid character ']'");
    check_error ("fluke\xc6\x92", EINVAL, "fluke??: invalid character byte 0xc6");
    check_error ("a[1]b[2]", EINVAL, "a[1]b[2]: more than one bracketed list");
    check_error ("a[1][2]", EINVAL, "a[1][2]: more than one bracketed list");
    check_error ("a[1]b]", EINVAL, "a[1]b]: invalid character ']'");
}
END_TEST

START_TEST (test_errors_commas)
{
    check_error ("a,,b", EINVAL, "empty host name at position 2");
    check_error (",a", EINVAL, "empty host name at position 0");
    check_error (",", EINVAL, "empty host name at position 0");
    check_error ("a,", EINVAL, "a: trailing comma");
    check_error ("a[1-2],", EINVAL, "a[1-2]: trailing comma");
}
END_TEST

START_TEST (test_errors_limits)
{
    char name[FX_HOSTLIST_NAME_MAX + 8];
    char expr[FX_HOSTLIST_NAME_MAX + 16];
    struct fx_error err;

    check_error ("a[1234567890]", EINVAL, "a[1234567890]: number too large (over 9 digits)");
    check_error ("a[0000000001]", EINVAL, "a[0000000001]: number too large (over 9 digits)");
    check_error ("a[0-1000000]", E2BIG, "a[0-1000000]: more than 1000000 hosts");
    check_error ("a[0-999999],b", E2BIG, "b: more than 1000000 hosts");
    check_error ("a[0-999999],b[1-2]", E2BIG, "b[1-2]: more than 1000000 hosts");
    check_error ("a[0-999999999]", E2BIG, "a[0-999999999]: more than 1000000 hosts");

    memset (name, 'x', FX_HOSTLIST_NAME_MAX);
    name[FX_HOSTLIST_NAME_MAX] = '\0';
    fx_hostlist_destroy (decode_ok (name));
    strcat (name, "y");
    errno = 0;
    ck_assert_ptr_null (fx_hostlist_decode (name, &err));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_str_eq (err.text + strlen (err.text) - 18, "host name too long");
    ck_assert_ptr_nonnull (strstr (err.text, "...: "));

    memset (expr, 'x', FX_HOSTLIST_NAME_MAX - 1);
    strcpy (expr + FX_HOSTLIST_NAME_MAX - 1, "[1-99]");
    ck_assert_ptr_null (fx_hostlist_decode (expr, &err));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_str_eq (err.text + strlen (err.text) - 18, "host name too long");
    strcpy (expr + FX_HOSTLIST_NAME_MAX - 1, "[1-9]");
    fx_hostlist_destroy (decode_ok (expr));
}
END_TEST

START_TEST (test_errors_null)
{
    struct fx_error err;

    errno = 0;
    ck_assert_ptr_null (fx_hostlist_decode (NULL, &err));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_ptr_null (fx_hostlist_decode ("a[", NULL));
    ck_assert_int_eq (fx_hostlist_append (NULL, "a", &err), -1);
    ck_assert_int_eq (fx_hostlist_append_list (NULL, NULL), -1);
    ck_assert_ptr_null (fx_hostlist_copy (NULL));
    ck_assert_ptr_null (fx_hostlist_encode (NULL));
    ck_assert_int_eq (fx_hostlist_count (NULL), 0);
    ck_assert_ptr_null (fx_hostlist_nth (NULL, 0));
    ck_assert_int_eq (fx_hostlist_find (NULL, "a"), -1);
    ck_assert_int_eq (fx_hostlist_sort (NULL), -1);
    ck_assert_int_eq (fx_hostlist_uniq (NULL), -1);
    ck_assert_int_eq (fx_hostlist_minus (NULL, NULL), -1);
}
END_TEST

START_TEST (test_cap)
{
    struct fx_hostlist *hl = decode_ok ("a[0-999999]");
    struct fx_error err;

    ck_assert_int_eq (fx_hostlist_count (hl), FX_HOSTLIST_MAX);
    ck_assert_str_eq (fx_hostlist_nth (hl, -1), "a999999");
    errno = 0;
    ck_assert_int_eq (fx_hostlist_append (hl, "b", &err), -1);
    ck_assert_int_eq (errno, E2BIG);
    ck_assert_str_eq (err.text, "more than 1000000 hosts");
    ck_assert_int_eq (fx_hostlist_append_list (hl, hl), -1);
    ck_assert_int_eq (errno, E2BIG);
    ck_assert_int_eq (fx_hostlist_count (hl), FX_HOSTLIST_MAX);
    check_encode (hl, "a[0-999999]");
    fx_hostlist_destroy (hl);
}
END_TEST

START_TEST (test_nth)
{
    struct fx_hostlist *hl = decode_ok ("a[1-3],b,c[7-8]");

    ck_assert_str_eq (fx_hostlist_nth (hl, 0), "a1");
    ck_assert_str_eq (fx_hostlist_nth (hl, 2), "a3");
    ck_assert_str_eq (fx_hostlist_nth (hl, 3), "b");
    ck_assert_str_eq (fx_hostlist_nth (hl, 5), "c8");
    ck_assert_str_eq (fx_hostlist_nth (hl, 1), "a2");
    ck_assert_str_eq (fx_hostlist_nth (hl, -1), "c8");
    ck_assert_str_eq (fx_hostlist_nth (hl, -6), "a1");
    ck_assert_str_eq (fx_hostlist_nth (hl, -3), "b");
    errno = 0;
    ck_assert_ptr_null (fx_hostlist_nth (hl, 6));
    ck_assert_int_eq (errno, ENOENT);
    ck_assert_ptr_null (fx_hostlist_nth (hl, -7));
    ck_assert_ptr_null (fx_hostlist_nth (hl, -2147483647 - 1));
    ck_assert_ptr_null (fx_hostlist_nth (hl, 2147483647));
    ck_assert_str_eq (fx_hostlist_nth (hl, 4), "c7");
    fx_hostlist_destroy (hl);
}
END_TEST

START_TEST (test_find)
{
    struct fx_hostlist *hl = decode_ok ("fluke[3,108,6-103],login,foo[08-10]-eth0,x1y,fluke3");

    ck_assert_int_eq (fx_hostlist_find (hl, "fluke3"), 0);
    ck_assert_int_eq (fx_hostlist_find (hl, "fluke108"), 1);
    ck_assert_int_eq (fx_hostlist_find (hl, "fluke6"), 2);
    ck_assert_int_eq (fx_hostlist_find (hl, "fluke103"), 99);
    ck_assert_int_eq (fx_hostlist_find (hl, "login"), 100);
    ck_assert_int_eq (fx_hostlist_find (hl, "foo08-eth0"), 101);
    ck_assert_int_eq (fx_hostlist_find (hl, "foo10-eth0"), 103);
    ck_assert_int_eq (fx_hostlist_find (hl, "x1y"), 104);
    errno = 0;
    ck_assert_int_eq (fx_hostlist_find (hl, "fluke4"), -1);
    ck_assert_int_eq (errno, ENOENT);
    ck_assert_int_eq (fx_hostlist_find (hl, "fluke06"), -1);
    ck_assert_int_eq (fx_hostlist_find (hl, "foo8-eth0"), -1);
    ck_assert_int_eq (fx_hostlist_find (hl, "foo08"), -1);
    ck_assert_int_eq (fx_hostlist_find (hl, "fluke"), -1);
    ck_assert_int_eq (fx_hostlist_find (hl, "fluke1234567890"), -1);
    ck_assert_int_eq (fx_hostlist_find (hl, "fluke1x"), -1);
    ck_assert_int_eq (fx_hostlist_find (hl, ""), -1);
    ck_assert_int_eq (fx_hostlist_find (hl, NULL), -1);
    ck_assert_int_eq (errno, EINVAL);
    fx_hostlist_destroy (hl);
}
END_TEST

START_TEST (test_append)
{
    struct fx_hostlist *hl = fx_hostlist_create ();
    struct fx_error err;

    ck_assert_int_eq (fx_hostlist_append (hl, "fluke[1-3]", &err), 3);
    ck_assert_int_eq (fx_hostlist_append (hl, "fluke4", &err), 1);
    ck_assert_int_eq (fx_hostlist_append (hl, "", &err), 0);
    check_encode (hl, "fluke[1-4]");
    ck_assert_str_eq (fx_hostlist_nth (hl, 3), "fluke4");
    errno = 0;
    ck_assert_int_eq (fx_hostlist_append (hl, "fluke5,fluke[", &err), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_str_eq (err.text, "fluke[: missing ']'");
    ck_assert_int_eq (fx_hostlist_count (hl), 4);
    check_encode (hl, "fluke[1-4]");
    ck_assert_int_eq (fx_hostlist_append (hl, "fluke[5-6],a", &err), 3);
    check_encode (hl, "fluke[1-6],a");
    fx_hostlist_destroy (hl);
}
END_TEST

START_TEST (test_append_list)
{
    struct fx_hostlist *hl = decode_ok ("a[1-2]");
    struct fx_hostlist *other = decode_ok ("a[3-4],b");

    ck_assert_int_eq (fx_hostlist_append_list (hl, other), 3);
    check_encode (hl, "a[1-4],b");
    check_encode (other, "a[3-4],b");
    ck_assert_int_eq (fx_hostlist_append_list (hl, hl), 5);
    check_encode (hl, "a[1-4],b,a[1-4],b");
    fx_hostlist_destroy (hl);
    fx_hostlist_destroy (other);
}
END_TEST

START_TEST (test_copy)
{
    struct fx_hostlist *hl = decode_ok ("fluke[3,108,6-103],x");
    struct fx_hostlist *cp = fx_hostlist_copy (hl);

    ck_assert_ptr_nonnull (cp);
    fx_hostlist_destroy (hl);
    ck_assert_int_eq (fx_hostlist_count (cp), 101);
    check_encode (cp, "fluke[3,108,6-103],x");
    fx_hostlist_destroy (cp);
}
END_TEST

START_TEST (test_sort)
{
    struct fx_hostlist *hl =
        decode_ok ("fluke[10,2,1],b,a,fluke2,fluke02,fluke,a1b,a[0]b,x10y2,x9y3");

    ck_assert_int_eq (fx_hostlist_sort (hl), 0);
    ck_assert_str_eq (expand (hl),
                      "a,a0b,a1b,b,fluke,fluke1,fluke2,fluke2,fluke02,fluke10,x9y3,x10y2");
    check_encode (hl, "a,a0b,a1b,b,fluke,fluke[1-2,2,02,10],x9y3,x10y2");
    fx_hostlist_destroy (hl);
    check_codec ("", "", "");
    hl = decode_ok ("");
    ck_assert_int_eq (fx_hostlist_sort (hl), 0);
    ck_assert_int_eq (fx_hostlist_count (hl), 0);
    fx_hostlist_destroy (hl);
}
END_TEST

START_TEST (test_sort_digit_prefix)
{
    /* Prefixes and suffixes that touch digits sort by the whole digit run. */
    struct fx_hostlist *hl = decode_ok ("x0[10],x0[9],x1[009],x1[10],n1[5]2,n1[10]2,n0[009]");

    ck_assert_int_eq (fx_hostlist_sort (hl), 0);
    ck_assert_str_eq (expand (hl), "n0009,n152,n1102,x09,x010,x110,x1009");
    fx_hostlist_destroy (hl);
}
END_TEST

START_TEST (test_uniq)
{
    struct fx_hostlist *hl = decode_ok ("fluke[5-1000],fluke[1-10],fluke3,fluke[003],a1b,a[1]b");

    ck_assert_int_eq (fx_hostlist_uniq (hl), 0);
    ck_assert_int_eq (fx_hostlist_count (hl), 1002);
    check_encode (hl, "a1b,fluke[1-3,003,4-1000]");
    fx_hostlist_destroy (hl);
}
END_TEST

START_TEST (test_minus)
{
    struct fx_hostlist *hl = decode_ok ("fluke[3,108,6-103],login,fluke3,a1b");
    struct fx_hostlist *other = decode_ok ("fluke[3,6-99],nothere,a[1]b,login");
    struct fx_hostlist *empty = decode_ok ("");

    ck_assert_int_eq (fx_hostlist_minus (hl, empty), 0);
    ck_assert_int_eq (fx_hostlist_minus (hl, other), 98);
    check_encode (hl, "fluke[108,100-103]");
    ck_assert_int_eq (fx_hostlist_minus (empty, other), 0);
    ck_assert_int_eq (fx_hostlist_minus (hl, hl), 5);
    ck_assert_int_eq (fx_hostlist_count (hl), 0);
    fx_hostlist_destroy (hl);
    fx_hostlist_destroy (other);
    fx_hostlist_destroy (empty);
}
END_TEST

START_TEST (test_large)
{
    /* 100k hosts that do not compress: every other number, then sort, minus, find. */
    struct fx_hostlist *hl = fx_hostlist_create ();
    struct fx_hostlist *odd;
    char buf[64];
    char *s;

    for (int i = 199998; i >= 0; i -= 2) {
        snprintf (buf, sizeof (buf), "node%d", i);
        if (fx_hostlist_append (hl, buf, NULL) != 1)
            ck_abort_msg ("append %s failed", buf);
    }
    ck_assert_int_eq (fx_hostlist_count (hl), 100000);
    for (int i = 0; i < 100000; i++)
        if (!fx_hostlist_nth (hl, i))
            ck_abort_msg ("nth %d failed", i);
    ck_assert_int_eq (fx_hostlist_find (hl, "node0"), 99999);
    s = fx_hostlist_encode (hl);
    ck_assert_ptr_nonnull (s);
    odd = decode_ok (s);
    free (s);
    ck_assert_int_eq (fx_hostlist_count (odd), 100000);
    ck_assert_int_eq (fx_hostlist_sort (hl), 0);
    ck_assert_str_eq (fx_hostlist_nth (hl, 0), "node0");
    ck_assert_str_eq (fx_hostlist_nth (hl, -1), "node199998");
    fx_hostlist_destroy (odd);
    odd = decode_ok ("node[0-199999]");
    ck_assert_int_eq (fx_hostlist_minus (odd, hl), 100000);
    ck_assert_str_eq (fx_hostlist_nth (odd, 0), "node1");
    ck_assert_str_eq (fx_hostlist_nth (odd, -1), "node199999");
    ck_assert_int_eq (fx_hostlist_uniq (odd), 0);
    ck_assert_int_eq (fx_hostlist_count (odd), 100000);
    fx_hostlist_destroy (odd);
    fx_hostlist_destroy (hl);
}
END_TEST

static Suite *hostlist_suite (void)
{
    Suite *s = suite_create ("hostlist");
    const struct fx_check_case cases[] = {
        {"empty", test_empty},
        {"plain", test_plain},
        {"brackets", test_brackets},
        {"canonical", test_canonical},
        {"padding", test_padding},
        {"suffix", test_suffix},
        {"order", test_order_kept},
        {"compress", test_compress},
        {"duplicates", test_duplicates},
        {"errors_syntax", test_errors_syntax},
        {"errors_commas", test_errors_commas},
        {"errors_limits", test_errors_limits},
        {"errors_null", test_errors_null},
        {"cap", test_cap},
        {"nth", test_nth},
        {"find", test_find},
        {"append", test_append},
        {"append_list", test_append_list},
        {"copy", test_copy},
        {"sort", test_sort},
        {"sort_digit_prefix", test_sort_digit_prefix},
        {"uniq", test_uniq},
        {"minus", test_minus},
        {"large", test_large},
    };

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (hostlist_suite ());
}
