/* check_rlist.c - unit tests for services/rlist*.c (RFC 20 resource sets). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/rlist.h"
#include "test/unit/check.h"

/* The guide's example, exactly as `flux R encode --hosts=fluke[3,108,6-103] --cores=0-3`
 * prints it. */
static const char guide_R[] = "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-99\","
                              "\"children\":{\"core\":\"0-3\"}}],\"starttime\":0,"
                              "\"expiration\":0,\"nodelist\":[\"fluke[3,108,6-103]\"]}}";

/* Decode the JSON text s as R; fail the test on error. */
static struct fx_rlist *decode_ok (const char *s)
{
    json_error_t jerr;
    json_t *R = json_loads (s, 0, &jerr);
    struct fx_error err = {{0}};
    struct fx_rlist *rl;

    ck_assert_msg (R != NULL, "bad test JSON: %s: %s", s, jerr.text);
    rl = fx_rlist_decode (R, &err);
    ck_assert_msg (rl != NULL, "decode %s: %s", s, err.text);
    json_decref (R);
    return rl;
}

/* The canonical R of rl as compact JSON text, in a static buffer. */
static const char *encode (const struct fx_rlist *rl)
{
    static char buf[16384];
    json_t *R = fx_rlist_encode (rl);
    char *s;

    ck_assert_ptr_nonnull (R);
    s = json_dumps (R, JSON_COMPACT);
    ck_assert_ptr_nonnull (s);
    ck_assert_uint_lt (strlen (s), sizeof (buf));
    strcpy (buf, s);
    free (s);
    json_decref (R);
    return buf;
}

/* Decode in, check its encoding is expected, and that the encoding decodes and encodes to
 * itself. */
static void check_codec (const char *in, const char *expected)
{
    struct fx_rlist *rl = decode_ok (in);
    struct fx_rlist *again;

    ck_assert_str_eq (encode (rl), expected);
    again = decode_ok (expected);
    ck_assert_str_eq (encode (again), expected);
    fx_rlist_destroy (again);
    fx_rlist_destroy (rl);
}

/* Decoding s fails with errnum and exactly text. */
static void check_error (const char *s, int errnum, const char *text)
{
    json_t *R = json_loads (s, 0, NULL);
    struct fx_error err = {{0}};

    ck_assert_msg (R != NULL, "bad test JSON: %s", s);
    errno = 0;
    ck_assert_msg (fx_rlist_decode (R, &err) == NULL, "%s decoded", s);
    ck_assert_int_eq (errno, errnum);
    ck_assert_str_eq (err.text, text);
    json_decref (R);
}

static struct fx_idset *ids (const char *s)
{
    struct fx_idset *set = fx_idset_decode (s, NULL);

    ck_assert_ptr_nonnull (set);
    return set;
}

static void check_short (const struct fx_rlist *rl, const char *expected)
{
    char *s = fx_rlist_dumps_short (rl);

    ck_assert_ptr_nonnull (s);
    ck_assert_str_eq (s, expected);
    free (s);
}

static void check_ranks (const struct fx_rlist *rl, const char *expected)
{
    struct fx_idset *ranks = fx_rlist_ranks (rl);
    char *s = fx_idset_encode (ranks, 0);

    ck_assert_str_eq (s, expected);
    free (s);
    fx_idset_destroy (ranks);
}

/* Build with fx_rlist_add: ranks, hosts (NULL for none), cores, gpus (NULL for none). */
static struct fx_rlist *build (const char *ranks, const char *hosts, const char *cores,
                               const char *gpus)
{
    struct fx_rlist *rl = fx_rlist_create ();
    struct fx_hostlist *hl = hosts ? fx_hostlist_decode (hosts, NULL) : NULL;
    struct fx_idset *r = ids (ranks), *c = ids (cores), *g = gpus ? ids (gpus) : NULL;
    struct fx_error err = {{0}};

    ck_assert_ptr_nonnull (rl);
    ck_assert_msg (fx_rlist_add (rl, r, hl, c, g, &err) == 0, "add: %s", err.text);
    fx_hostlist_destroy (hl);
    fx_idset_destroy (r);
    fx_idset_destroy (c);
    fx_idset_destroy (g);
    return rl;
}

START_TEST (test_guide_example)
{
    struct fx_rlist *rl = build ("0-99", "fluke[3,108,6-103]", "0-3", NULL);
    struct fx_rlist_node node;

    ck_assert_str_eq (encode (rl), guide_R);
    ck_assert_uint_eq (fx_rlist_nnodes (rl), 100);
    ck_assert_uint_eq (fx_rlist_ncores (rl), 400);
    ck_assert_uint_eq (fx_rlist_ngpus (rl), 0);
    ck_assert_int_eq (fx_rlist_node_at (rl, 1, &node), 0);
    ck_assert_uint_eq (node.rank, 1);
    ck_assert_str_eq (node.host, "fluke108");
    ck_assert_int_eq (fx_rlist_find_rank (rl, 99, &node), 0);
    ck_assert_str_eq (node.host, "fluke103");
    check_short (rl, "rank[0-99]/core[0-3]");
    fx_rlist_destroy (rl);
    check_codec (guide_R, guide_R);
}
END_TEST

START_TEST (test_padding_gpus_properties)
{
    const char *in = "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-3\",\"children\":"
                     "{\"gpu\":\"0-1\",\"core\":\"0-7\"}}],\"nodelist\":[\"node[001-003]\","
                     "\"node010\"],\"properties\":{\"fat\":\"1-2\",\"debug\":\"0\"},"
                     "\"starttime\":1676560542,\"expiration\":1676562342.5}}";
    const char *out = "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-3\",\"children\":"
                      "{\"core\":\"0-7\",\"gpu\":\"0-1\"}}],\"starttime\":1676560542,"
                      "\"expiration\":1676562342.5,\"nodelist\":[\"node[001-003,010]\"],"
                      "\"properties\":{\"debug\":\"0\",\"fat\":\"1-2\"}}}";
    struct fx_rlist *rl = decode_ok (in);
    struct fx_rlist_node node;
    const struct fx_idset *pranks;
    const char *name;
    char *s;

    ck_assert_uint_eq (fx_rlist_ngpus (rl), 8);
    ck_assert_int_eq (fx_rlist_find_rank (rl, 3, &node), 0);
    ck_assert_str_eq (node.host, "node010");
    s = fx_rlist_nodelist (rl);
    ck_assert_str_eq (s, "node[001-003,010]");
    free (s);
    ck_assert_uint_eq (fx_rlist_nproperties (rl), 2);
    ck_assert_int_eq (fx_rlist_property_at (rl, 1, &name, &pranks), 0);
    ck_assert_str_eq (name, "fat");
    ck_assert_uint_eq (fx_idset_count (pranks), 2);
    ck_assert_int_eq (fx_rlist_property_at (rl, 2, &name, &pranks), -1);
    ck_assert_int_eq (errno, ENOENT);
    check_short (rl, "rank[0-3]/core[0-7],gpu[0-1]");
    fx_rlist_destroy (rl);
    check_codec (in, out);
}
END_TEST

START_TEST (test_grouping)
{
    /* One entry per rank, out of order, is grouped into runs of equal children. */
    check_codec ("{\"version\":1,\"execution\":{\"R_lite\":["
                 "{\"rank\":\"3\",\"children\":{\"core\":\"0-3\"}},"
                 "{\"rank\":\"0\",\"children\":{\"core\":\"0-3\"}},"
                 "{\"rank\":\"1\",\"children\":{\"core\":\"[0-3]\"}},"
                 "{\"rank\":\"2\",\"children\":{\"core\":\"0-1\"}},"
                 "{\"rank\":\"4-5\",\"children\":{\"core\":\"3,0-2\"}}]}}",
                 "{\"version\":1,\"execution\":{\"R_lite\":["
                 "{\"rank\":\"0-1\",\"children\":{\"core\":\"0-3\"}},"
                 "{\"rank\":\"2\",\"children\":{\"core\":\"0-1\"}},"
                 "{\"rank\":\"3-5\",\"children\":{\"core\":\"0-3\"}}],"
                 "\"starttime\":0,\"expiration\":0}}");
    /* Ranks with gaps between them still share an entry when nothing lies between. */
    check_codec ("{\"version\":1,\"execution\":{\"R_lite\":["
                 "{\"rank\":\"0,7\",\"children\":{\"core\":\"0\",\"gpu\":\"\"}},"
                 "{\"rank\":\"9\",\"children\":{\"core\":\"0\"}}],"
                 "\"nodelist\":[\"a\",\"b,c\"]}}",
                 "{\"version\":1,\"execution\":{\"R_lite\":["
                 "{\"rank\":\"0,7,9\",\"children\":{\"core\":\"0\"}}],"
                 "\"starttime\":0,\"expiration\":0,\"nodelist\":[\"a,b,c\"]}}");
    /* An empty set. */
    check_codec ("{\"version\":1,\"execution\":{\"R_lite\":[],\"nodelist\":[]}}",
                 "{\"version\":1,\"execution\":{\"R_lite\":[],"
                 "\"starttime\":0,\"expiration\":0}}");
}
END_TEST

START_TEST (test_kept_keys)
{
    const char *in = "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0\",\"children\":"
                     "{\"core\":\"0\"}}],\"nslots\":4},\"scheduling\":{\"writer\":\"fluxion\","
                     "\"graph\":[1,2]}}";
    const char *out = "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0\",\"children\":"
                      "{\"core\":\"0\"}}],\"starttime\":0,\"expiration\":0,\"nslots\":4},"
                      "\"scheduling\":{\"writer\":\"fluxion\",\"graph\":[1,2]}}";
    struct fx_rlist *rl = decode_ok (in);
    struct fx_rlist *cp = fx_rlist_copy (rl);
    struct fx_rlist *u = fx_rlist_union (rl, rl, NULL);

    check_codec (in, out);
    ck_assert_str_eq (encode (cp), out);
    /* A set operation's result is not the allocation nslots and scheduling describe. */
    ck_assert_str_eq (encode (u), "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0\","
                                  "\"children\":{\"core\":\"0\"}}],\"starttime\":0,"
                                  "\"expiration\":0}}");
    fx_rlist_destroy (u);
    fx_rlist_destroy (cp);
    fx_rlist_destroy (rl);
}
END_TEST

START_TEST (test_short)
{
    struct fx_rlist *rl =
        decode_ok ("{\"version\":1,\"execution\":{\"R_lite\":["
                   "{\"rank\":\"0\",\"children\":{\"core\":\"0\"}},"
                   "{\"rank\":\"1-2\",\"children\":{\"core\":\"0-3\",\"gpu\":\"1\"}},"
                   "{\"rank\":\"3\",\"children\":{\"core\":\"\",\"gpu\":\"0-1\"}},"
                   "{\"rank\":\"5,7\",\"children\":{\"core\":\"0-3\"}}]}}");
    struct fx_rlist *empty = fx_rlist_create ();

    check_short (rl, "rank0/core0 rank[1-2]/core[0-3],gpu1 rank3/gpu[0-1] rank[5,7]/core[0-3]");
    check_short (empty, "");
    check_ranks (rl, "0-3,5,7");
    ck_assert_uint_eq (fx_rlist_ncores (rl), 17);
    ck_assert_uint_eq (fx_rlist_ngpus (rl), 4);
    fx_rlist_destroy (empty);
    fx_rlist_destroy (rl);
}
END_TEST

START_TEST (test_hosts_to_ranks)
{
    struct fx_rlist *rl = decode_ok ("{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":"
                                     "\"0-4\",\"children\":{\"core\":\"0\"}}],\"nodelist\":"
                                     "[\"fluke[3,108]\",\"login,fluke[6,3]\"]}}");
    struct fx_error err = {{0}};
    struct fx_idset *r;
    char *s;

    r = fx_rlist_hosts_to_ranks (rl, "fluke3", &err);
    s = fx_idset_encode (r, 0);
    ck_assert_str_eq (s, "0,4"); /* a host named twice maps to both ranks */
    free (s);
    fx_idset_destroy (r);
    r = fx_rlist_hosts_to_ranks (rl, "login,fluke[6,108]", &err);
    s = fx_idset_encode (r, 0);
    ck_assert_str_eq (s, "1-3");
    free (s);
    fx_idset_destroy (r);
    errno = 0;
    ck_assert_ptr_null (fx_rlist_hosts_to_ranks (rl, "fluke[3-4]", &err));
    ck_assert_int_eq (errno, ENOENT);
    ck_assert_str_eq (err.text, "host fluke4 is not in the set");
    ck_assert_ptr_null (fx_rlist_hosts_to_ranks (rl, "fluke[", &err));
    ck_assert_int_eq (errno, EINVAL);
    fx_rlist_destroy (rl);
    /* Without hosts, no name is found and the nodelist is absent. */
    rl = build ("0-1", NULL, "0", NULL);
    ck_assert_ptr_null (fx_rlist_hosts_to_ranks (rl, "fluke3", &err));
    ck_assert_int_eq (errno, ENOENT);
    ck_assert_ptr_null (fx_rlist_nodelist (rl));
    ck_assert_int_eq (errno, ENOENT);
    fx_rlist_destroy (rl);
}
END_TEST

START_TEST (test_add)
{
    struct fx_rlist *rl = build ("4-5", "n[4-5]", "0-1", NULL);
    struct fx_hostlist *hl = fx_hostlist_decode ("n[0-1]", NULL);
    struct fx_idset *r01 = ids ("0-1"), *r5 = ids ("5"), *c = ids ("0"), *big = ids ("1048576");
    struct fx_idset *empty = ids ("");
    struct fx_error err = {{0}};

    /* Ranks added below the existing ones are sorted in. */
    ck_assert_int_eq (fx_rlist_add (rl, r01, hl, c, NULL, &err), 0);
    ck_assert_str_eq (encode (rl), "{\"version\":1,\"execution\":{\"R_lite\":["
                                   "{\"rank\":\"0-1\",\"children\":{\"core\":\"0\"}},"
                                   "{\"rank\":\"4-5\",\"children\":{\"core\":\"0-1\"}}],"
                                   "\"starttime\":0,\"expiration\":0,"
                                   "\"nodelist\":[\"n[0-1,4-5]\"]}}");
    ck_assert_int_eq (fx_rlist_add (rl, r5, NULL, c, NULL, &err), -1);
    ck_assert_int_eq (errno, EEXIST);
    ck_assert_str_eq (err.text, "rank 5 is already present");
    ck_assert_int_eq (fx_rlist_add (rl, r01, NULL, big, NULL, &err), -1);
    ck_assert_int_eq (errno, E2BIG);
    ck_assert_str_eq (err.text, "cores: id 1048576 is above the limit 1048575");
    ck_assert_int_eq (fx_rlist_add (rl, r01, NULL, empty, empty, &err), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_str_eq (err.text, "no cores and no gpus");
    ck_assert_int_eq (fx_rlist_add (rl, empty, NULL, c, NULL, &err), -1);
    ck_assert_str_eq (err.text, "no ranks");
    fx_hostlist_destroy (hl);
    hl = fx_hostlist_decode ("a,b,c", NULL);
    ck_assert_int_eq (fx_rlist_add (rl, r01, hl, c, NULL, &err), -1);
    ck_assert_str_eq (err.text, "3 hosts for 2 ranks");
    ck_assert_uint_eq (fx_rlist_nnodes (rl), 4);
    fx_hostlist_destroy (hl);
    fx_idset_destroy (r01);
    fx_idset_destroy (r5);
    fx_idset_destroy (c);
    fx_idset_destroy (big);
    fx_idset_destroy (empty);
    fx_rlist_destroy (rl);
}
END_TEST

START_TEST (test_set_property)
{
    struct fx_rlist *rl = build ("0-3", NULL, "0", NULL);
    struct fx_idset *r12 = ids ("1-2"), *r3 = ids ("3"), *r9 = ids ("3,8-9");
    struct fx_error err = {{0}};
    const char *bad[] = {"a!", "a&b", "a'", "a\"", "x^", "`", "a|b", "(a", "a)", "a b", ""};

    ck_assert_int_eq (fx_rlist_set_property (rl, "fat", r12, &err), 0);
    ck_assert_int_eq (fx_rlist_set_property (rl, "fat", r3, &err), 0);
    ck_assert_int_eq (fx_rlist_set_property (rl, "+queue@x", r3, &err), 0);
    ck_assert_str_eq (encode (rl), "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-3\","
                                   "\"children\":{\"core\":\"0\"}}],\"starttime\":0,"
                                   "\"expiration\":0,\"properties\":{\"+queue@x\":\"3\","
                                   "\"fat\":\"1-3\"}}}");
    ck_assert_int_eq (fx_rlist_set_property (rl, "fat", r9, &err), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_str_eq (err.text, "fat: ranks 8-9 are not in the set");
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        errno = 0;
        ck_assert_int_eq (fx_rlist_set_property (rl, bad[i], r3, &err), -1);
        ck_assert_int_eq (errno, EINVAL);
    }
    ck_assert_uint_eq (fx_rlist_nproperties (rl), 2);
    fx_idset_destroy (r12);
    fx_idset_destroy (r3);
    fx_idset_destroy (r9);
    fx_rlist_destroy (rl);
}
END_TEST

START_TEST (test_union)
{
    struct fx_rlist *a = decode_ok ("{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-3\","
                                    "\"children\":{\"core\":\"0-1\"}}],\"nodelist\":[\"n[0-3]\"],"
                                    "\"properties\":{\"p\":\"0\"},\"expiration\":100}}");
    struct fx_rlist *b = decode_ok ("{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"2-5\","
                                    "\"children\":{\"core\":\"1-2\",\"gpu\":\"0\"}}],"
                                    "\"nodelist\":[\"n[2-5]\"],\"properties\":{\"p\":\"5\","
                                    "\"q\":\"2\"}}}");
    struct fx_rlist *u = fx_rlist_union (a, b, NULL);

    ck_assert_ptr_nonnull (u);
    ck_assert_str_eq (encode (u),
                      "{\"version\":1,\"execution\":{\"R_lite\":["
                      "{\"rank\":\"0-1\",\"children\":{\"core\":\"0-1\"}},"
                      "{\"rank\":\"2-3\",\"children\":{\"core\":\"0-2\",\"gpu\":\"0\"}},"
                      "{\"rank\":\"4-5\",\"children\":{\"core\":\"1-2\",\"gpu\":\"0\"}}],"
                      "\"starttime\":0,\"expiration\":100,\"nodelist\":[\"n[0-5]\"],"
                      "\"properties\":{\"p\":\"0,5\",\"q\":\"2\"}}}");
    fx_rlist_destroy (u);
    fx_rlist_destroy (a);
    fx_rlist_destroy (b);
}
END_TEST

START_TEST (test_append)
{
    struct fx_rlist *a = build ("0-3", NULL, "0-1", NULL);
    struct fx_rlist *b = build ("2-5", NULL, "2-3", "0");
    struct fx_rlist *c = build ("3", NULL, "1-2", NULL);
    struct fx_rlist *h1 = build ("0", "x", "0", NULL), *h2 = build ("0", "y", "1", NULL);
    struct fx_error err = {{0}};
    struct fx_rlist *r = fx_rlist_append (a, b, &err);

    ck_assert_ptr_nonnull (r);
    check_short (r, "rank[0-1]/core[0-1] rank[2-3]/core[0-3],gpu0 rank[4-5]/core[2-3],gpu0");
    fx_rlist_destroy (r);
    errno = 0;
    ck_assert_ptr_null (fx_rlist_append (a, c, &err));
    ck_assert_int_eq (errno, EEXIST);
    ck_assert_str_eq (err.text, "rank 3: cores 1 in both sets");
    ck_assert_ptr_null (fx_rlist_union (h1, h2, &err));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_str_eq (err.text, "rank 0: host x in one set, y in the other");
    /* A rank with a host and one without mix; then the nodelist is left out. */
    r = fx_rlist_union (h1, b, &err);
    ck_assert_ptr_null (fx_rlist_nodelist (r));
    ck_assert_ptr_null (strstr (encode (r), "nodelist"));
    fx_rlist_destroy (r);
    fx_rlist_destroy (a);
    fx_rlist_destroy (b);
    fx_rlist_destroy (c);
    fx_rlist_destroy (h1);
    fx_rlist_destroy (h2);
}
END_TEST

START_TEST (test_diff_intersect)
{
    struct fx_rlist *a = decode_ok ("{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-3\","
                                    "\"children\":{\"core\":\"0-3\",\"gpu\":\"0-1\"}}],"
                                    "\"nodelist\":[\"n[0-3]\"],\"properties\":{\"p\":\"1-2\"},"
                                    "\"starttime\":5,\"expiration\":10}}");
    struct fx_rlist *b = build ("1-2,7", NULL, "0-3", "0");
    struct fx_rlist *c = build ("3", NULL, "2", NULL);
    struct fx_rlist *d = fx_rlist_diff (a, b);
    struct fx_rlist *x = fx_rlist_intersect (a, b);
    struct fx_rlist *y = fx_rlist_intersect (b, c);
    struct fx_rlist *self = fx_rlist_diff (a, a);

    ck_assert_str_eq (encode (d),
                      "{\"version\":1,\"execution\":{\"R_lite\":["
                      "{\"rank\":\"0\",\"children\":{\"core\":\"0-3\",\"gpu\":\"0-1\"}},"
                      "{\"rank\":\"1-2\",\"children\":{\"core\":\"\",\"gpu\":\"1\"}},"
                      "{\"rank\":\"3\",\"children\":{\"core\":\"0-3\",\"gpu\":\"0-1\"}}],"
                      "\"starttime\":5,\"expiration\":10,\"nodelist\":[\"n[0-3]\"],"
                      "\"properties\":{\"p\":\"1-2\"}}}");
    ck_assert_str_eq (encode (x),
                      "{\"version\":1,\"execution\":{\"R_lite\":["
                      "{\"rank\":\"1-2\",\"children\":{\"core\":\"0-3\",\"gpu\":\"0\"}}],"
                      "\"starttime\":5,\"expiration\":10,\"nodelist\":[\"n[1-2]\"],"
                      "\"properties\":{\"p\":\"1-2\"}}}");
    ck_assert_uint_eq (fx_rlist_nnodes (y), 0); /* disjoint ranks */
    ck_assert_uint_eq (fx_rlist_nnodes (self), 0);
    ck_assert_uint_eq (fx_rlist_nproperties (self), 0);
    fx_rlist_destroy (d);
    fx_rlist_destroy (x);
    fx_rlist_destroy (y);
    fx_rlist_destroy (self);
    fx_rlist_destroy (a);
    fx_rlist_destroy (b);
    fx_rlist_destroy (c);
}
END_TEST

START_TEST (test_copy_ranks)
{
    struct fx_rlist *a = decode_ok ("{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-9\","
                                    "\"children\":{\"core\":\"0-3\"}}],\"nodelist\":[\"n[0-9]\"],"
                                    "\"properties\":{\"p\":\"1-2\",\"q\":\"8\"}}}");
    struct fx_idset *keep = ids ("2-4,8-11");
    struct fx_rlist *r = fx_rlist_copy_ranks (a, keep);

    ck_assert_str_eq (encode (r), "{\"version\":1,\"execution\":{\"R_lite\":["
                                  "{\"rank\":\"2-4,8-9\",\"children\":{\"core\":\"0-3\"}}],"
                                  "\"starttime\":0,\"expiration\":0,"
                                  "\"nodelist\":[\"n[2-4,8-9]\"],\"properties\":{\"p\":\"2\","
                                  "\"q\":\"8\"}}}");
    fx_idset_destroy (keep);
    fx_rlist_destroy (r);
    fx_rlist_destroy (a);
}
END_TEST

/* R with an R_lite entry as given: {"version":1,"execution":{"R_lite":[ENTRY]}}. */
#define WITH_ENTRY(e) "{\"version\":1,\"execution\":{\"R_lite\":[" e "]}}"
/* R with one rank 0-3 of one core, plus the execution keys given. */
#define WITH_EXEC(x)                                                                               \
    "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-3\",\"children\":{\"core\":\"0\"}}]"  \
    "," x "}}"

START_TEST (test_errors_structure)
{
    check_error ("[]", EINVAL, "R: not an object");
    check_error ("{\"version\":1,\"execution\":{\"R_lite\":[]},\"extra\":1}", EINVAL,
                 "R: unknown key 'extra'");
    check_error ("{\"execution\":{\"R_lite\":[]}}", EINVAL, "version: missing");
    check_error ("{\"version\":2,\"execution\":{\"R_lite\":[]}}", EINVAL,
                 "version: only version 1 is supported");
    check_error ("{\"version\":\"1\",\"execution\":{\"R_lite\":[]}}", EINVAL,
                 "version: only version 1 is supported");
    check_error ("{\"version\":1}", EINVAL, "execution: missing");
    check_error ("{\"version\":1,\"execution\":[]}", EINVAL, "execution: not an object");
    check_error ("{\"version\":1,\"execution\":{\"R_lite\":[],\"foo\":1,\"bar\":2}}", EINVAL,
                 "execution: unknown keys 'foo', 'bar'");
    check_error ("{\"version\":1,\"execution\":{\"R_lite\":[],\"x\\ny\":1}}", EINVAL,
                 "execution: unknown key 'x?y'");
    check_error ("{\"version\":1,\"execution\":{}}", EINVAL, "R_lite: missing");
    check_error ("{\"version\":1,\"execution\":{\"R_lite\":{}}}", EINVAL, "R_lite: not an array");
    check_error ("{\"version\":1,\"execution\":{\"R_lite\":[]},\"scheduling\":1}", EINVAL,
                 "scheduling: not an object");
}
END_TEST

START_TEST (test_errors_rlite)
{
    check_error (WITH_ENTRY ("1"), EINVAL, "R_lite[0]: not an object");
    check_error (WITH_ENTRY ("{\"rank\":\"0\",\"children\":{\"core\":\"0\"},\"x\":1}"), EINVAL,
                 "R_lite[0]: unknown key 'x'");
    check_error (WITH_ENTRY ("{\"children\":{\"core\":\"0\"}}"), EINVAL, "R_lite[0].rank: missing");
    check_error (WITH_ENTRY ("{\"rank\":0,\"children\":{\"core\":\"0\"}}"), EINVAL,
                 "R_lite[0].rank: not a string");
    check_error (WITH_ENTRY ("{\"rank\":\"1-0\",\"children\":{\"core\":\"0\"}}"), EINVAL,
                 "R_lite[0].rank: invalid idset '1-0'");
    check_error (WITH_ENTRY ("{\"rank\":\"\",\"children\":{\"core\":\"0\"}}"), EINVAL,
                 "R_lite[0].rank: empty idset");
    check_error (WITH_ENTRY ("{\"rank\":\"0\"}"), EINVAL, "R_lite[0].children: missing");
    check_error (WITH_ENTRY ("{\"rank\":\"0\",\"children\":\"core\"}"), EINVAL,
                 "R_lite[0].children: not an object");
    check_error (WITH_ENTRY ("{\"rank\":\"0\",\"children\":{\"core\":\"0\",\"socket\":\"0\"}}"),
                 EINVAL, "R_lite[0].children: unknown key 'socket'");
    check_error (WITH_ENTRY ("{\"rank\":\"0\",\"children\":{\"gpu\":\"0\"}}"), EINVAL,
                 "R_lite[0].children.core: missing");
    check_error (WITH_ENTRY ("{\"rank\":\"0\",\"children\":{\"core\":\"0\"}},"
                             "{\"rank\":\"1\",\"children\":{\"core\":\"0\"}},"
                             "{\"rank\":\"2\",\"children\":{\"core\":\"0-\"}}"),
                 EINVAL, "R_lite[2].children.core: invalid idset '0-'");
    check_error (WITH_ENTRY ("{\"rank\":\"0\",\"children\":{\"core\":\"0\",\"gpu\":[0]}}"), EINVAL,
                 "R_lite[0].children.gpu: not a string");
    check_error (WITH_ENTRY ("{\"rank\":\"0\",\"children\":{\"core\":\"\",\"gpu\":\"\"}}"), EINVAL,
                 "R_lite[0].children: no cores and no gpus");
    check_error (WITH_ENTRY ("{\"rank\":\"0-3\",\"children\":{\"core\":\"0\"}},"
                             "{\"rank\":\"7,3\",\"children\":{\"core\":\"1\"}}"),
                 EINVAL, "R_lite[1].rank: rank 3 is also in R_lite[0]");
    check_error (WITH_ENTRY ("{\"rank\":\"0\",\"children\":{\"core\":\"0-99999999999\"}}"), EINVAL,
                 "R_lite[0].children.core: invalid idset '0-99999999999'");
}
END_TEST

START_TEST (test_errors_limits)
{
    check_error (WITH_ENTRY ("{\"rank\":\"0\",\"children\":{\"core\":\"0,1048576\"}}"), E2BIG,
                 "R_lite[0].children.core: id 1048576 is above the limit 1048575");
    check_error (
        WITH_ENTRY ("{\"rank\":\"0\",\"children\":{\"core\":\"0\",\"gpu\":\"0-2147483647\"}}"),
        E2BIG, "R_lite[0].children.gpu: id 2147483647 is above the limit 1048575");
    check_error (WITH_ENTRY ("{\"rank\":\"0-2147483647\",\"children\":{\"core\":\"0\"}}"), E2BIG,
                 "R_lite[0].rank: more than 1000000 ranks in R");
    check_error (WITH_ENTRY ("{\"rank\":\"0-599999\",\"children\":{\"core\":\"0\"}},"
                             "{\"rank\":\"600000-1000000\",\"children\":{\"core\":\"0\"}}"),
                 E2BIG, "R_lite[1].rank: more than 1000000 ranks in R");
    /* Long input is cut short in messages. */
    check_error (WITH_ENTRY ("{\"rank\":\"0\",\"children\":{\"core\":\"0,1,2,3,4,5,6,7,8,9,10,"
                             "11,12,13,14,15,16,17,18,19,20,x\"}}"),
                 EINVAL,
                 "R_lite[0].children.core: invalid idset '0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,"
                 "15,16,17,18,1...'");
}
END_TEST

START_TEST (test_errors_nodelist)
{
    check_error (WITH_EXEC ("\"nodelist\":\"n[0-3]\""), EINVAL, "nodelist: not an array");
    check_error (WITH_EXEC ("\"nodelist\":[\"n[0-1]\",7]"), EINVAL, "nodelist[1]: not a string");
    check_error (WITH_EXEC ("\"nodelist\":[\"n[0-1]\",\"n[2-\"]"), EINVAL,
                 "nodelist[1]: n[2-: unterminated range");
    check_error (WITH_EXEC ("\"nodelist\":[\"n[0-2]\"]"), EINVAL, "nodelist: 3 hosts for 4 ranks");
    check_error (WITH_EXEC ("\"nodelist\":[\"n[0-2]\",\"a,b\"]"), EINVAL,
                 "nodelist: 5 hosts for 4 ranks");
}
END_TEST

START_TEST (test_errors_properties)
{
    check_error (WITH_EXEC ("\"properties\":[]"), EINVAL, "properties: not an object");
    check_error (WITH_EXEC ("\"properties\":{\"a|b\":\"0\"}"), EINVAL,
                 "properties: property name 'a|b' holds '|'");
    check_error (WITH_EXEC ("\"properties\":{\"\":\"0\"}"), EINVAL,
                 "properties: empty property name");
    check_error (WITH_EXEC ("\"properties\":{\"a\":0}"), EINVAL, "properties.a: not a string");
    check_error (WITH_EXEC ("\"properties\":{\"a\":\"\"}"), EINVAL, "properties.a: empty idset");
    check_error (WITH_EXEC ("\"properties\":{\"a\":\"x\"}"), EINVAL,
                 "properties.a: invalid idset 'x'");
    check_error (WITH_EXEC ("\"properties\":{\"a\":\"7\"}"), EINVAL,
                 "properties.a: rank 7 not in R");
    check_error (WITH_EXEC ("\"properties\":{\"a\":\"2-9\"}"), EINVAL,
                 "properties.a: ranks 4-9 not in R");
}
END_TEST

START_TEST (test_errors_numbers)
{
    check_error (WITH_EXEC ("\"starttime\":\"now\""), EINVAL, "starttime: not a number");
    check_error (WITH_EXEC ("\"starttime\":-1"), EINVAL, "starttime: negative");
    check_error (WITH_EXEC ("\"expiration\":-0.5"), EINVAL, "expiration: negative");
    check_error (WITH_EXEC ("\"starttime\":200,\"expiration\":100.5"), EINVAL,
                 "expiration: 100.5 is not after starttime 200");
    check_error (WITH_EXEC ("\"starttime\":200,\"expiration\":200"), EINVAL,
                 "expiration: 200 is not after starttime 200");
    check_error (WITH_EXEC ("\"nslots\":0"), EINVAL, "nslots: not a positive integer");
    check_error (WITH_EXEC ("\"nslots\":1.5"), EINVAL, "nslots: not a positive integer");
    /* 0 means unset, so an expiration without a start time is fine, and so is the reverse. */
    check_codec (WITH_EXEC ("\"expiration\":100"),
                 "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-3\",\"children\":"
                 "{\"core\":\"0\"}}],\"starttime\":0,\"expiration\":100}}");
    check_codec (WITH_EXEC ("\"starttime\":100.25,\"expiration\":0.0"),
                 "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-3\",\"children\":"
                 "{\"core\":\"0\"}}],\"starttime\":100.25,\"expiration\":0}}");
}
END_TEST

/* 1024 ranks on node[0000-1023], every eighth with GPUs, every other with 4 more cores. */
START_TEST (test_large)
{
    struct fx_rlist *rl = fx_rlist_create (), *again;
    struct fx_hostlist *hosts = fx_hostlist_decode ("node[0000-1023]", NULL);
    struct fx_idset *c8 = ids ("0-7"), *c4 = ids ("0-3"), *g = ids ("0-3"), *sel;
    struct fx_error err = {{0}};
    json_t *R;
    char *s;

    for (unsigned int r = 0; r < 1024; r++) {
        struct fx_idset *one = fx_idset_create ();
        struct fx_hostlist *h = fx_hostlist_create ();
        ck_assert_int_ge (fx_hostlist_append (h, fx_hostlist_nth (hosts, r), NULL), 0);
        ck_assert_int_eq (fx_idset_set (one, r), 0);
        ck_assert_int_eq (fx_rlist_add (rl, one, h, r % 2 ? c4 : c8, r % 8 ? NULL : g, &err), 0);
        fx_idset_destroy (one);
        fx_hostlist_destroy (h);
    }
    ck_assert_uint_eq (fx_rlist_nnodes (rl), 1024);
    ck_assert_uint_eq (fx_rlist_ncores (rl), 512 * 8 + 512 * 4);
    ck_assert_uint_eq (fx_rlist_ngpus (rl), 128 * 4);
    R = fx_rlist_encode (rl);
    ck_assert_ptr_nonnull (R);
    ck_assert_uint_eq (
        json_array_size (json_object_get (json_object_get (R, "execution"), "R_lite")), 1024);
    ck_assert_str_eq (json_string_value (json_array_get (
                          json_object_get (json_object_get (R, "execution"), "nodelist"), 0)),
                      "node[0000-1023]");
    again = fx_rlist_decode (R, &err);
    ck_assert_msg (again != NULL, "%s", err.text);
    ck_assert_uint_eq (fx_rlist_ncores (again), fx_rlist_ncores (rl));
    s = fx_rlist_dumps_short (again);
    const char *prefix = "rank0/core[0-7],gpu[0-3] rank1/core[0-3] rank2/core[0-7] ";
    ck_assert_msg (strncmp (s, prefix, strlen (prefix)) == 0, "%.80s", s);
    free (s);
    sel = fx_rlist_hosts_to_ranks (again, "node[0008,1023]", &err);
    s = fx_idset_encode (sel, 0);
    ck_assert_str_eq (s, "8,1023");
    free (s);
    fx_idset_destroy (sel);
    fx_rlist_destroy (again);
    json_decref (R);
    fx_hostlist_destroy (hosts);
    fx_idset_destroy (c8);
    fx_idset_destroy (c4);
    fx_idset_destroy (g);
    fx_rlist_destroy (rl);
}
END_TEST

static Suite *rlist_suite (void)
{
    Suite *s = suite_create ("rlist");
    const struct fx_check_case cases[] = {
        {"guide_example", test_guide_example},
        {"padding_gpus_properties", test_padding_gpus_properties},
        {"grouping", test_grouping},
        {"kept_keys", test_kept_keys},
        {"short", test_short},
        {"hosts_to_ranks", test_hosts_to_ranks},
        {"add", test_add},
        {"set_property", test_set_property},
        {"union", test_union},
        {"append", test_append},
        {"diff_intersect", test_diff_intersect},
        {"copy_ranks", test_copy_ranks},
        {"errors_structure", test_errors_structure},
        {"errors_rlite", test_errors_rlite},
        {"errors_limits", test_errors_limits},
        {"errors_nodelist", test_errors_nodelist},
        {"errors_properties", test_errors_properties},
        {"errors_numbers", test_errors_numbers},
        {"large", test_large},
    };

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (rlist_suite ());
}
