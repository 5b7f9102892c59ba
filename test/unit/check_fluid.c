/* check_fluid.c - unit tests for services/fluid.c (RFC 19 FLUIDs and their encodings). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/fluid.h"
#include "test/unit/check.h"

#define F58 "\xc6\x92" /* U+0192, the F58 prefix */

static const struct vector {
    uint64_t id;
    const char *dec, *hex, *dothex, *f58;
} vectors[] = {
    /* F58 digits worked by hand: 57 is the last digit 'z', 58 = 1*58 + 0 is "21",
     * 3363 = 57*58 + 57 is "zz", 3364 = 58^2 is "211". */
    {0, "0", "0x0", "0000.0000.0000.0000", F58 "1"},
    {1, "1", "0x1", "0000.0000.0000.0001", F58 "2"},
    {57, "57", "0x39", "0000.0000.0000.0039", F58 "z"},
    {58, "58", "0x3a", "0000.0000.0000.003a", F58 "21"},
    {3363, "3363", "0xd23", "0000.0000.0000.0d23", F58 "zz"},
    {3364, "3364", "0xd24", "0000.0000.0000.0d24", F58 "211"},
    {6731191091817518, "6731191091817518", "0x17e9fb8df16c2e", "0017.e9fb.8df1.6c2e",
     F58 "uZZybuNNy"},
    {UINT64_MAX, "18446744073709551615", "0xffffffffffffffff", "ffff.ffff.ffff.ffff",
     F58 "jpXCZedGfVQ"},
};

static void check_encode (uint64_t id, enum fx_fluid_type type, const char *expected)
{
    char buf[FX_FLUID_STRLEN];

    ck_assert_int_eq (fx_fluid_encode (buf, sizeof (buf), id, type), 0);
    ck_assert_str_eq (buf, expected);
}

static void check_decode (const char *s, uint64_t expected, enum fx_fluid_type expected_type)
{
    struct fx_error err = {{0}};
    enum fx_fluid_type type = 0;
    uint64_t id = 0;

    ck_assert_msg (fx_fluid_decode (s, &id, &type, &err) == 0, "%s: %s", s, err.text);
    ck_assert_uint_eq (id, expected);
    ck_assert_int_eq (type, expected_type);
}

static void check_error (const char *s, const char *text)
{
    struct fx_error err = {{0}};
    uint64_t id = 12345;

    errno = 0;
    ck_assert_msg (fx_fluid_decode (s, &id, NULL, &err) < 0, "'%s' decoded", s);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_str_eq (err.text, text);
    ck_assert_uint_eq (id, 12345);
}

START_TEST (test_init)
{
    struct fx_fluid_gen gen;

    ck_assert_int_eq (fx_fluid_init (&gen, 0, 0), 0);
    ck_assert_int_eq (fx_fluid_init (&gen, FX_FLUID_ID_MAX, FX_FLUID_TS_MAX), 0);
    errno = 0;
    ck_assert_int_eq (fx_fluid_init (&gen, FX_FLUID_ID_MAX + 1, 0), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_fluid_init (&gen, 0, FX_FLUID_TS_MAX + 1), -1);
    ck_assert_int_eq (fx_fluid_init (NULL, 0, 0), -1);
}
END_TEST

START_TEST (test_fields)
{
    uint64_t id;
    struct fx_fluid_gen gen;

    ck_assert_int_eq (fx_fluid_init (&gen, 15451, 401210253), 0);
    ck_assert_int_eq (fx_fluid_generate_at (&gen, 401210253, &id), 0);
    ck_assert_uint_eq (fx_fluid_timestamp (id), 401210253);
    ck_assert_uint_eq (fx_fluid_generator (id), 15451);
    ck_assert_uint_eq (fx_fluid_sequence (id), 0);
    /* The example id of RFC 19 style: 401210253 ms, generator 15451, sequence 46. */
    ck_assert_uint_eq (fx_fluid_timestamp (6731191091817518), 401210253);
    ck_assert_uint_eq (fx_fluid_generator (6731191091817518), 15451);
    ck_assert_uint_eq (fx_fluid_sequence (6731191091817518), 46);
    ck_assert_uint_eq (fx_fluid_timestamp (UINT64_MAX), FX_FLUID_TS_MAX);
    ck_assert_uint_eq (fx_fluid_generator (UINT64_MAX), FX_FLUID_ID_MAX);
    ck_assert_uint_eq (fx_fluid_sequence (UINT64_MAX), FX_FLUID_SEQ_MAX);
}
END_TEST

START_TEST (test_sequence)
{
    struct fx_fluid_gen gen;
    uint64_t id;

    ck_assert_int_eq (fx_fluid_init (&gen, 3, 100), 0);
    for (uint32_t i = 0; i <= FX_FLUID_SEQ_MAX; i++) {
        ck_assert_int_eq (fx_fluid_generate_at (&gen, 100, &id), 0);
        ck_assert_uint_eq (fx_fluid_timestamp (id), 100);
        ck_assert_uint_eq (fx_fluid_generator (id), 3);
        ck_assert_uint_eq (fx_fluid_sequence (id), i);
    }
    /* Millisecond 100 is used up: the generator takes 101 although the clock says 100. */
    ck_assert_int_eq (fx_fluid_generate_at (&gen, 100, &id), 0);
    ck_assert_uint_eq (fx_fluid_timestamp (id), 101);
    ck_assert_uint_eq (fx_fluid_sequence (id), 0);
    ck_assert_int_eq (fx_fluid_generate_at (&gen, 100, &id), 0);
    ck_assert_uint_eq (fx_fluid_timestamp (id), 101);
    ck_assert_uint_eq (fx_fluid_sequence (id), 1);
    ck_assert_int_eq (fx_fluid_generate_at (&gen, 105, &id), 0);
    ck_assert_uint_eq (fx_fluid_timestamp (id), 105);
    ck_assert_uint_eq (fx_fluid_sequence (id), 0);
}
END_TEST

START_TEST (test_never_backwards)
{
    struct fx_fluid_gen gen;
    uint64_t id, prev = 0;
    uint64_t clock[] = {50, 49, 10, 50, 51, 0, 51, 200, 199, 200};

    /* Clock readings before the start time count as the start time. */
    ck_assert_int_eq (fx_fluid_init (&gen, 1, 50), 0);
    for (size_t i = 0; i < sizeof (clock) / sizeof (clock[0]); i++) {
        ck_assert_int_eq (fx_fluid_generate_at (&gen, clock[i], &id), 0);
        if (i > 0)
            ck_assert_uint_gt (id, prev);
        ck_assert_uint_ge (fx_fluid_timestamp (id), 50);
        prev = id;
    }
    ck_assert_uint_eq (fx_fluid_timestamp (prev), 200);
    ck_assert_uint_eq (fx_fluid_sequence (prev), 2);
}
END_TEST

START_TEST (test_overflow)
{
    struct fx_fluid_gen gen;
    uint64_t id, last = 0;

    ck_assert_int_eq (fx_fluid_init (&gen, FX_FLUID_ID_MAX, FX_FLUID_TS_MAX), 0);
    for (uint32_t i = 0; i <= FX_FLUID_SEQ_MAX; i++)
        ck_assert_int_eq (fx_fluid_generate_at (&gen, FX_FLUID_TS_MAX, &last), 0);
    ck_assert_uint_eq (last, UINT64_MAX);
    id = 7;
    errno = 0;
    ck_assert_int_eq (fx_fluid_generate_at (&gen, FX_FLUID_TS_MAX, &id), -1);
    ck_assert_int_eq (errno, EOVERFLOW);
    ck_assert_uint_eq (id, 7);
    ck_assert_int_eq (fx_fluid_generate (&gen, &id), -1);
    ck_assert_int_eq (errno, EOVERFLOW);
    ck_assert_int_eq (fx_fluid_generate_at (&gen, FX_FLUID_TS_MAX + 1, &id), -1);
    ck_assert_int_eq (fx_fluid_generate_at (NULL, 0, &id), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_fluid_generate_at (&gen, 0, NULL), -1);
    ck_assert_int_eq (fx_fluid_generate (NULL, &id), -1);
}
END_TEST

START_TEST (test_generate_clock)
{
    struct fx_fluid_gen gen;
    uint64_t id, prev = 0;

    ck_assert_int_eq (fx_fluid_init (&gen, 42, 1000), 0);
    for (int i = 0; i < 5000; i++) {
        ck_assert_int_eq (fx_fluid_generate (&gen, &id), 0);
        if (i > 0 && id <= prev)
            ck_abort_msg ("id %d not increasing", i);
        if (fx_fluid_generator (id) != 42 || fx_fluid_timestamp (id) < 1000)
            ck_abort_msg ("id %d has wrong fields", i);
        prev = id;
    }
}
END_TEST

START_TEST (test_encode_vectors)
{
    for (size_t i = 0; i < sizeof (vectors) / sizeof (vectors[0]); i++) {
        check_encode (vectors[i].id, FX_FLUID_DEC, vectors[i].dec);
        check_encode (vectors[i].id, FX_FLUID_HEX, vectors[i].hex);
        check_encode (vectors[i].id, FX_FLUID_DOTHEX, vectors[i].dothex);
        check_encode (vectors[i].id, FX_FLUID_F58, vectors[i].f58);
    }
}
END_TEST

START_TEST (test_encode_errors)
{
    char buf[FX_FLUID_STRLEN];

    errno = 0;
    ck_assert_int_eq (fx_fluid_encode (buf, sizeof (buf), 1, 0), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_fluid_encode (buf, sizeof (buf), 1, 99), -1);
    ck_assert_int_eq (fx_fluid_encode (NULL, 10, 1, FX_FLUID_DEC), -1);
    ck_assert_int_eq (errno, EINVAL);
    /* Exactly enough room, then one byte short. */
    ck_assert_int_eq (fx_fluid_encode (buf, 3, 58, FX_FLUID_DEC), 0);
    ck_assert_int_eq (fx_fluid_encode (buf, 2, 58, FX_FLUID_DEC), -1);
    ck_assert_int_eq (errno, EOVERFLOW);
    ck_assert_int_eq (fx_fluid_encode (buf, 5, 58, FX_FLUID_HEX), 0);
    ck_assert_int_eq (fx_fluid_encode (buf, 4, 58, FX_FLUID_HEX), -1);
    ck_assert_int_eq (fx_fluid_encode (buf, 20, 58, FX_FLUID_DOTHEX), 0);
    ck_assert_int_eq (fx_fluid_encode (buf, 19, 58, FX_FLUID_DOTHEX), -1);
    ck_assert_int_eq (fx_fluid_encode (buf, 5, 58, FX_FLUID_F58), 0);
    ck_assert_str_eq (buf, F58 "21");
    ck_assert_int_eq (fx_fluid_encode (buf, 4, 58, FX_FLUID_F58), -1);
    ck_assert_int_eq (errno, EOVERFLOW);
    ck_assert_int_eq (fx_fluid_encode (buf, 0, 0, FX_FLUID_F58), -1);
    ck_assert_int_eq (fx_fluid_encode (buf, FX_FLUID_STRLEN, UINT64_MAX, FX_FLUID_DOTHEX), 0);
    ck_assert_int_eq (fx_fluid_encode (buf, FX_FLUID_STRLEN, UINT64_MAX, FX_FLUID_DEC), 0);
}
END_TEST

START_TEST (test_decode_vectors)
{
    for (size_t i = 0; i < sizeof (vectors) / sizeof (vectors[0]); i++) {
        check_decode (vectors[i].dec, vectors[i].id, FX_FLUID_DEC);
        check_decode (vectors[i].hex, vectors[i].id, FX_FLUID_HEX);
        check_decode (vectors[i].dothex, vectors[i].id, FX_FLUID_DOTHEX);
        check_decode (vectors[i].f58, vectors[i].id, FX_FLUID_F58);
        /* ASCII 'f' may stand in for the two-byte prefix. */
        char ascii[FX_FLUID_STRLEN];
        snprintf (ascii, sizeof (ascii), "f%s", vectors[i].f58 + 2);
        check_decode (ascii, vectors[i].id, FX_FLUID_F58);
    }
}
END_TEST

START_TEST (test_decode_forms)
{
    check_decode ("fuZZybuNNy", 6731191091817518, FX_FLUID_F58);
    check_decode ("f1", 0, FX_FLUID_F58);
    check_decode (F58 "111", 0, FX_FLUID_F58);
    check_decode ("f1111111111111111111111111111112", 1, FX_FLUID_F58);
    check_decode ("  " F58 "uZZybuNNy\n", 6731191091817518, FX_FLUID_F58);
    check_decode ("\t6731191091817518 ", 6731191091817518, FX_FLUID_DEC);
    check_decode ("0x17E9FB8DF16C2E", 6731191091817518, FX_FLUID_HEX);
    check_decode ("0x00000000000000000001", 1, FX_FLUID_HEX);
    check_decode ("0017.E9FB.8DF1.6C2E", 6731191091817518, FX_FLUID_DOTHEX);
    check_decode ("007", 7, FX_FLUID_DEC);
}
END_TEST

START_TEST (test_decode_errors)
{
    check_error ("", "job id is empty");
    check_error (" \t\n", "job id is empty");
    check_error ("18446744073709551616", "18446744073709551616: job id is larger than 64 bits");
    check_error ("99999999999999999999999",
                 "99999999999999999999999: job id is larger than 64 bits");
    check_error ("0x10000000000000000", "0x10000000000000000: job id is larger than 64 bits");
    check_error (F58 "jpXCZedGfVR", F58 "jpXCZedGfVR: job id is larger than 64 bits");
    check_error ("fzzzzzzzzzzz", "fzzzzzzzzzzz: job id is larger than 64 bits");
    check_error ("12a", "12a: invalid decimal digit 'a'");
    check_error ("-1", "-1: invalid decimal digit '-'");
    check_error ("+1", "+1: invalid decimal digit '+'");
    check_error ("1 2", "1 2: invalid decimal digit ' '");
    check_error ("0x", "0x: no hex digits");
    check_error ("0xg", "0xg: invalid hex digit 'g'");
    check_error ("0X10", "0X10: invalid decimal digit 'X'");
    check_error ("f", "f: no F58 digits");
    check_error (F58, F58 ": no F58 digits");
    check_error ("fluke", "fluke: invalid F58 digit 'l'");
    check_error ("f0", "f0: invalid F58 digit '0'");
    check_error ("fO", "fO: invalid F58 digit 'O'");
    check_error ("fI", "fI: invalid F58 digit 'I'");
    check_error (F58 F58, F58 F58 ": invalid byte 0xc6");
    check_error ("0017.e9fb.8df1", "0017.e9fb.8df1: dothex needs four groups of four hex digits");
    check_error ("0017.e9fb.8df1.6c2e.0000",
                 "0017.e9fb.8df1.6c2e.0000: dothex needs four groups of four hex digits");
    check_error ("17.e9fb.8df1.6c2e",
                 "17.e9fb.8df1.6c2e: dothex needs four groups of four hex digits");
    check_error ("0017.e9fb.8df1.6c2",
                 "0017.e9fb.8df1.6c2: dothex needs four groups of four hex digits");
    check_error ("0017.e9fb.8df1.6c2g", "0017.e9fb.8df1.6c2g: invalid hex digit 'g'");
    check_error ("0017:e9fb.8df1.6c2e",
                 "0017:e9fb.8df1.6c2e: dothex needs four groups of four hex digits");
    check_error (".", ".: dothex needs four groups of four hex digits");
    check_error ("1\x01", "1?: invalid byte 0x01");
}
END_TEST

START_TEST (test_decode_error_long)
{
    char s[200];
    struct fx_error err;
    uint64_t id;

    memset (s, '9', 150);
    s[150] = '\0';
    ck_assert_int_eq (fx_fluid_decode (s, &id, NULL, &err), -1);
    ck_assert_uint_eq (strlen (err.text), 67 + strlen (": job id is larger than 64 bits"));
    ck_assert_int_eq (fx_fluid_decode (NULL, &id, NULL, &err), -1);
    ck_assert_str_eq (err.text, "job id is NULL");
    ck_assert_int_eq (fx_fluid_decode ("1", NULL, NULL, NULL), -1);
    ck_assert_int_eq (errno, EINVAL);
}
END_TEST

START_TEST (test_decode_type)
{
    struct fx_error err;
    uint64_t id;

    ck_assert_int_eq (fx_fluid_decode_type ("58", FX_FLUID_DEC, &id, &err), 0);
    ck_assert_uint_eq (id, 58);
    ck_assert_int_eq (fx_fluid_decode_type ("f21", FX_FLUID_F58, &id, &err), 0);
    ck_assert_uint_eq (id, 58);
    ck_assert_int_eq (fx_fluid_decode_type ("0x3a", FX_FLUID_HEX, &id, &err), 0);
    ck_assert_int_eq (fx_fluid_decode_type ("0000.0000.0000.003a", FX_FLUID_DOTHEX, &id, &err), 0);
    ck_assert_uint_eq (id, 58);
    ck_assert_int_eq (fx_fluid_decode_type ("0x3a", FX_FLUID_DEC, &id, &err), -1);
    ck_assert_str_eq (err.text, "0x3a: invalid decimal digit 'x'");
    ck_assert_int_eq (fx_fluid_decode_type ("3a", FX_FLUID_HEX, &id, &err), -1);
    ck_assert_str_eq (err.text, "3a: hex job id must start with 0x");
    ck_assert_int_eq (fx_fluid_decode_type ("21", FX_FLUID_F58, &id, &err), -1);
    ck_assert_str_eq (err.text, "21: F58 job id must start with " F58 " or f");
    ck_assert_int_eq (fx_fluid_decode_type (" 58", FX_FLUID_DEC, &id, &err), -1);
    ck_assert_int_eq (fx_fluid_decode_type ("", FX_FLUID_DEC, &id, &err), -1);
    ck_assert_str_eq (err.text, "job id is empty");
    ck_assert_int_eq (fx_fluid_decode_type ("1", 0, &id, &err), -1);
    ck_assert_str_eq (err.text, "unknown job id encoding 0");
    ck_assert_int_eq (fx_fluid_decode_type (NULL, FX_FLUID_DEC, &id, &err), -1);
    ck_assert_int_eq (errno, EINVAL);
}
END_TEST

static uint64_t random64 (void)
{
    uint64_t v = 0;

    for (int i = 0; i < 4; i++)
        v = v << 16 | (rand () & 0xffff);
    return v >> (rand () % 64); /* cover short ids too */
}

START_TEST (test_round_trip)
{
    static const enum fx_fluid_type types[] = {FX_FLUID_DEC, FX_FLUID_HEX, FX_FLUID_DOTHEX,
                                               FX_FLUID_F58};

    srand (19);
    for (int i = 0; i < 20000; i++) {
        uint64_t id = random64 ();
        for (size_t t = 0; t < 4; t++) {
            char buf[FX_FLUID_STRLEN];
            enum fx_fluid_type type;
            uint64_t back;
            if (fx_fluid_encode (buf, sizeof (buf), id, types[t]) < 0 ||
                fx_fluid_decode (buf, &back, &type, NULL) < 0 || back != id || type != types[t])
                ck_abort_msg ("round trip of %ju through type %d failed", (uintmax_t) id,
                              (int) types[t]);
        }
    }
}
END_TEST

static Suite *fluid_suite (void)
{
    Suite *s = suite_create ("fluid");
    const struct fx_check_case cases[] = {
        {"init", test_init},
        {"fields", test_fields},
        {"sequence", test_sequence},
        {"never_backwards", test_never_backwards},
        {"overflow", test_overflow},
        {"generate_clock", test_generate_clock},
        {"encode_vectors", test_encode_vectors},
        {"encode_errors", test_encode_errors},
        {"decode_vectors", test_decode_vectors},
        {"decode_forms", test_decode_forms},
        {"decode_errors", test_decode_errors},
        {"decode_error_long", test_decode_error_long},
        {"decode_type", test_decode_type},
        {"round_trip", test_round_trip},
    };

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (fluid_suite ());
}
