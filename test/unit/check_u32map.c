/* check_u32map.c - the uint32 hash map: put/get/remove, growth, deletion chains. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "services/u32map.h"
#include "test/unit/check.h"

static void *val (uintptr_t n)
{
    return (void *) (n + 1);
}

START_TEST (put_get_replace)
{
    struct fx_u32map *m = fx_u32map_create ();

    ck_assert_ptr_null (fx_u32map_get (m, 5));
    ck_assert_int_eq (fx_u32map_put (m, 5, val (5)), 0);
    ck_assert_ptr_eq (fx_u32map_get (m, 5), val (5));
    ck_assert_int_eq (fx_u32map_put (m, 5, val (6)), 0);
    ck_assert_ptr_eq (fx_u32map_get (m, 5), val (6));
    ck_assert_uint_eq (fx_u32map_count (m), 1);
    fx_u32map_destroy (m);
}
END_TEST

START_TEST (key_zero_and_null_refused)
{
    struct fx_u32map *m = fx_u32map_create ();

    ck_assert_int_eq (fx_u32map_put (m, 0, val (1)), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_u32map_put (m, 1, NULL), -1);
    ck_assert_ptr_null (fx_u32map_get (m, 0));
    ck_assert_ptr_null (fx_u32map_remove (m, 0));
    fx_u32map_destroy (m);
}
END_TEST

/* Insert many keys (forcing growth and collisions), remove every other one, and check that
 * every survivor is still found: backward-shift deletion must not break probe chains. */
START_TEST (many_keys_with_removal)
{
    struct fx_u32map *m = fx_u32map_create ();
    const uint32_t n = 20000;

    for (uint32_t k = 1; k <= n; k++)
        ck_assert_int_eq (fx_u32map_put (m, k * 16, val (k)), 0);
    ck_assert_uint_eq (fx_u32map_count (m), n);
    for (uint32_t k = 1; k <= n; k += 2)
        ck_assert_ptr_eq (fx_u32map_remove (m, k * 16), val (k));
    ck_assert_uint_eq (fx_u32map_count (m), n / 2);
    for (uint32_t k = 1; k <= n; k++) {
        if (k % 2)
            ck_assert_ptr_null (fx_u32map_get (m, k * 16));
        else
            ck_assert_ptr_eq (fx_u32map_get (m, k * 16), val (k));
    }
    fx_u32map_destroy (m);
}
END_TEST

START_TEST (iteration_visits_each_once)
{
    struct fx_u32map *m = fx_u32map_create ();
    size_t pos = 0, seen = 0;
    uint32_t key, sum = 0;

    for (uint32_t k = 1; k <= 100; k++)
        fx_u32map_put (m, k, val (k));
    while (fx_u32map_next (m, &pos, &key)) {
        seen++;
        sum += key;
    }
    ck_assert_uint_eq (seen, 100);
    ck_assert_uint_eq (sum, 5050);
    fx_u32map_destroy (m);
}
END_TEST

static Suite *suite (void)
{
    Suite *s = suite_create ("u32map");
    const struct fx_check_case cases[] = {
        {"put_get_replace", put_get_replace},
        {"key_zero_and_null_refused", key_zero_and_null_refused},
        {"many_keys_with_removal", many_keys_with_removal},
        {"iteration_visits_each_once", iteration_visits_each_once},
    };

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (suite ());
}
