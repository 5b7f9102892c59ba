/* check_kvs.c - the KVS data model (kvsd/schema.c) against a real private PostgreSQL, and
 * the key rules (kvsd/key.c).
 *
 * Each test starts from an empty database with the schema applied, and talks to the
 * database functions kvsd itself calls (kvs_commit, kvs_get, kvs_dir, kvs_job_purge).
 */
#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "kvsd/kvsd.h"
#include "test/unit/check.h"
#include "test/unit/pg.h"

static PGconn *conn;

static void pg_setup (void)
{
    test_pg_setup ("check_kvs");
}

static PGresult *exec_ok (const char *sql)
{
    PGresult *res = PQexec (conn, sql);
    ExecStatusType st = PQresultStatus (res);

    ck_assert_msg (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s", sql,
                   PQresultErrorMessage (res));
    return res;
}

static void db_setup (void)
{
    char *sql = schema_setup_sql (1234);

    conn = PQconnectdb (getenv ("FLUX_TEST_PG_DSN"));
    ck_assert_msg (PQstatus (conn) == CONNECTION_OK, "%s", PQerrorMessage (conn));
    PQclear (exec_ok ("SET client_min_messages = warning"));
    PQclear (exec_ok ("DROP SCHEMA public CASCADE; CREATE SCHEMA public"));
    PQclear (exec_ok (sql));
    free (sql);
}

static void db_teardown (void)
{
    PQfinish (conn);
}

/* Run a one-value query with text params; returns the parsed JSON of the value, or NULL
 * when it failed (then *detail gets the kvs_fail code, if any). */
static json_t *call (const char *sql, int n, const char *const *params, char *detail)
{
    PGresult *res = PQexecParams (conn, sql, n, NULL, params, NULL, NULL, 0);
    json_t *o = NULL;

    if (PQresultStatus (res) == PGRES_TUPLES_OK) {
        o = json_loads (PQgetvalue (res, 0, 0), 0, NULL);
        ck_assert_msg (o != NULL, "not JSON: %s", PQgetvalue (res, 0, 0));
    } else if (detail) {
        const char *d = PQresultErrorField (res, PG_DIAG_MESSAGE_DETAIL);
        snprintf (detail, 64, "%s", d ? d : PQresultErrorField (res, PG_DIAG_SQLSTATE));
    }
    PQclear (res);
    return o;
}

static json_t *commit (const char *batch)
{
    json_t *o = call ("SELECT kvs_commit ($1::json)", 1, (const char *const[]){batch}, NULL);

    ck_assert_ptr_nonnull (o);
    return o;
}

/* A commit whose answer the test does not look at. */
static void commit_ok (const char *batch)
{
    json_decref (commit (batch));
}

static json_t *get (const char *ns, const char *key, const char *from, char *detail)
{
    return call ("SELECT kvs_get ($1, $2, $3::integer, 1000)", 3,
                 (const char *const[]){ns, key, from}, detail);
}

static char *get_text (const char *key)
{
    json_t *o = get ("primary", key, "0", NULL);
    char *s;

    ck_assert_msg (o != NULL, "%s missing", key);
    s = json_dumps (o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (o);
    return s;
}

#define ASSERT_ENTRY(key, want)                                                                    \
    do {                                                                                           \
        char *got_ = get_text (key);                                                               \
        ck_assert_str_eq (got_, want);                                                             \
        free (got_);                                                                               \
    } while (0)

#define ASSERT_RESULT(batch, want)                                                                 \
    do {                                                                                           \
        json_t *r_ = commit (batch);                                                               \
        char *s_ = json_dumps (r_, JSON_COMPACT | JSON_SORT_KEYS);                                 \
        ck_assert_str_eq (s_, want);                                                               \
        free (s_);                                                                                 \
        json_decref (r_);                                                                          \
    } while (0)

START_TEST (put_creates_parents)
{
    ASSERT_RESULT ("[{\"ns\":\"primary\",\"ops\":[{\"op\":\"put\",\"key\":\"a.b.c\","
                   "\"value\":{\"x\":[1,2]}}]}]",
                   "[{\"seqs\":[null],\"version\":1}]");
    ASSERT_ENTRY ("a.b.c", "{\"key\":\"a.b.c\",\"type\":\"json\",\"value\":{\"x\":[1,2]}}");
    ASSERT_ENTRY ("a", "{\"entries\":[\"b\"],\"key\":\"a\",\"type\":\"dir\"}");
    ASSERT_ENTRY ("", "{\"entries\":[\"a\"],\"key\":\"\",\"type\":\"dir\"}");
}
END_TEST

START_TEST (put_under_value_fails_alone)
{
    /* The second transaction fails; the first and third stand, with consecutive versions. */
    ASSERT_RESULT ("[{\"ns\":\"primary\",\"ops\":[{\"op\":\"put\",\"key\":\"v\",\"value\":1}]},"
                   "{\"ns\":\"primary\",\"ops\":[{\"op\":\"put\",\"key\":\"w\",\"value\":2},"
                   "{\"op\":\"put\",\"key\":\"v.x\",\"value\":3}]},"
                   "{\"ns\":\"primary\",\"ops\":[{\"op\":\"put\",\"key\":\"z\",\"value\":\"s\"}]}]",
                   "[{\"seqs\":[null],\"version\":1},{\"error\":\"ENOTDIR\",\"errstr\":\"v: Not a "
                   "directory\"},{\"seqs\":[null],\"version\":2}]");
    char detail[64] = "";
    ck_assert_ptr_null (get ("primary", "w", "0", detail)); /* not half applied */
    ck_assert_str_eq (detail, "ENOENT");
    ASSERT_ENTRY ("z", "{\"key\":\"z\",\"type\":\"json\",\"value\":\"s\"}");
}
END_TEST

START_TEST (put_over_dir_replaces_subtree)
{
    char detail[64] = "";

    commit_ok (
        "[{\"ns\":\"primary\",\"ops\":[{\"op\":\"put\",\"key\":\"d.x.y\",\"value\":1},"
        "{\"op\":\"append\",\"key\":\"d.log\",\"event\":{\"timestamp\":1,\"name\":\"e\"}}]}]");
    commit_ok ("[{\"ns\":\"primary\",\"ops\":[{\"op\":\"put\",\"key\":\"d\",\"value\":true}]}]");
    ASSERT_ENTRY ("d", "{\"key\":\"d\",\"type\":\"json\",\"value\":true}");
    ck_assert_ptr_null (get ("primary", "d.x.y", "0", detail));
    ck_assert_str_eq (detail, "ENOENT");
    PGresult *res = exec_ok ("SELECT count(*) FROM kvs_event");
    ck_assert_str_eq (PQgetvalue (res, 0, 0), "0");
    PQclear (res);
}
END_TEST

START_TEST (unlink_and_mkdir)
{
    char detail[64] = "";

    commit_ok (
        "[{\"ns\":\"primary\",\"ops\":[{\"op\":\"put\",\"key\":\"u.a\",\"value\":1},"
        "{\"op\":\"put\",\"key\":\"u.b.c\",\"value\":2},{\"op\":\"mkdir\",\"key\":\"m.n\"}]}]");
    ASSERT_ENTRY ("m.n", "{\"entries\":[],\"key\":\"m.n\",\"type\":\"dir\"}");
    /* mkdir of an existing directory keeps its contents. */
    commit_ok ("[{\"ns\":\"primary\",\"ops\":[{\"op\":\"mkdir\",\"key\":\"u\"}]}]");
    ASSERT_ENTRY ("u.a", "{\"key\":\"u.a\",\"type\":\"json\",\"value\":1}");
    /* unlink of a directory takes everything under it; of a missing key, nothing. */
    ASSERT_RESULT ("[{\"ns\":\"primary\",\"ops\":[{\"op\":\"unlink\",\"key\":\"u\"},"
                   "{\"op\":\"unlink\",\"key\":\"nothing.here\"}]}]",
                   "[{\"seqs\":[null,null],\"version\":3}]");
    ck_assert_ptr_null (get ("primary", "u.b.c", "0", detail));
    PGresult *res = exec_ok ("SELECT count(*) FROM kvs_entry WHERE key LIKE 'u%'");
    ck_assert_str_eq (PQgetvalue (res, 0, 0), "0");
    PQclear (res);
}
END_TEST

START_TEST (raw_values)
{
    commit_ok ("[{\"ns\":\"primary\",\"ops\":[{\"op\":\"put\",\"key\":\"r\","
               "\"data\":\"AAECA/8=\"}]}]");
    ASSERT_ENTRY ("r", "{\"data\":\"AAECA/8=\",\"key\":\"r\",\"type\":\"raw\"}");
}
END_TEST

START_TEST (eventlog_append_and_pages)
{
    char batch[4096];
    json_t *o;

    ASSERT_RESULT ("[{\"ns\":\"primary\",\"ops\":[{\"op\":\"append\",\"key\":\"j.log\","
                   "\"event\":{\"timestamp\":1.5,\"name\":\"submit\",\"context\":{\"u\":16}}},"
                   "{\"op\":\"append\",\"key\":\"j.log\",\"event\":{\"timestamp\":2,"
                   "\"name\":\"alloc\"}}]}]",
                   "[{\"seqs\":[0,1],\"version\":1}]");
    ASSERT_ENTRY ("j.log", "{\"count\":2,\"events\":[{\"context\":{\"u\":16},\"name\":\"submit\","
                           "\"timestamp\":1.5},{\"name\":\"alloc\",\"timestamp\":2}],\"key\":"
                           "\"j.log\",\"seq\":0,\"type\":\"eventlog\"}");
    o = get ("primary", "j.log", "1", NULL);
    ck_assert_int_eq (json_integer_value (json_object_get (o, "seq")), 1);
    ck_assert_int_eq (json_array_size (json_object_get (o, "events")), 1);
    json_decref (o);
    /* Appending to a value or a directory fails. */
    snprintf (batch, sizeof (batch),
              "[{\"ns\":\"primary\",\"ops\":[{\"op\":\"put\",\"key\":\"val\",\"value\":1}]},"
              "{\"ns\":\"primary\",\"ops\":[{\"op\":\"append\",\"key\":\"val\",\"event\":"
              "{\"timestamp\":1,\"name\":\"x\"}}]},"
              "{\"ns\":\"primary\",\"ops\":[{\"op\":\"append\",\"key\":\"j\",\"event\":"
              "{\"timestamp\":1,\"name\":\"x\"}}]}]");
    ASSERT_RESULT (batch, "[{\"seqs\":[null],\"version\":2},{\"error\":\"EINVAL\",\"errstr\":"
                          "\"val: Not an eventlog\"},{\"error\":\"EISDIR\",\"errstr\":\"j: Is a "
                          "directory\"}]");
}
END_TEST

START_TEST (namespaces_are_separate)
{
    PQclear (exec_ok ("INSERT INTO kvs_namespace (name, owner) VALUES ('job-1', 1000)"));
    ASSERT_RESULT ("[{\"ns\":\"job-1\",\"ops\":[{\"op\":\"put\",\"key\":\"a\",\"value\":1}]},"
                   "{\"ns\":\"gone\",\"ops\":[{\"op\":\"put\",\"key\":\"a\",\"value\":1}]}]",
                   "[{\"seqs\":[null],\"version\":1},{\"error\":\"ENOENT\",\"errstr\":\"gone: "
                   "No such namespace\"}]");
    char detail[64] = "";
    ck_assert_ptr_null (get ("primary", "a", "0", detail));
    ck_assert_str_eq (detail, "ENOENT");
    /* Removing a namespace removes its data. */
    PQclear (exec_ok ("DELETE FROM kvs_namespace WHERE name = 'job-1'"));
    PGresult *res = exec_ok ("SELECT count(*) FROM kvs_entry WHERE ns = 'job-1'");
    ck_assert_str_eq (PQgetvalue (res, 0, 0), "0");
    PQclear (res);
}
END_TEST

START_TEST (dir_listing_pages)
{
    json_t *o;
    char *s;

    commit_ok ("[{\"ns\":\"primary\",\"ops\":[{\"op\":\"put\",\"key\":\"l.a\",\"value\":1},"
               "{\"op\":\"put\",\"key\":\"l.b.c\",\"value\":2},{\"op\":\"put\",\"key\":\"l.d\","
               "\"value\":3}]}]");
    o = call ("SELECT kvs_dir ('primary', 'l', false, true, '', 2)", 0, NULL, NULL);
    s = json_dumps (o, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq (s, "{\"entries\":[{\"key\":\"l.a\",\"type\":\"json\",\"value\":1},"
                         "{\"key\":\"l.b\",\"type\":\"dir\"}],\"more\":true}");
    free (s);
    json_decref (o);
    o = call ("SELECT kvs_dir ('primary', 'l', true, false, 'l.b', 10)", 0, NULL, NULL);
    s = json_dumps (o, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq (s, "{\"entries\":[{\"key\":\"l.b.c\",\"type\":\"json\"},"
                         "{\"key\":\"l.d\",\"type\":\"json\"}],\"more\":false}");
    free (s);
    json_decref (o);
}
END_TEST

START_TEST (job_purge)
{
    json_t *o;
    char *s;

    /* Three jobs inactive (clean at t=100, 200, 250), one running, and an eventlog that is
     * not a job's (job.eventlog) whose last event is clean too: never taken for a job. */
    commit_ok ("[{\"ns\":\"primary\",\"ops\":["
               "{\"op\":\"put\",\"key\":\"job.0000.0000.0000.0001.jobspec\",\"value\":{}},"
               "{\"op\":\"append\",\"key\":\"job.0000.0000.0000.0001.eventlog\","
               "\"event\":{\"timestamp\":1,\"name\":\"submit\"}},"
               "{\"op\":\"append\",\"key\":\"job.0000.0000.0000.0001.eventlog\","
               "\"event\":{\"timestamp\":100,\"name\":\"clean\"}},"
               "{\"op\":\"append\",\"key\":\"job.0000.0000.0000.0002.eventlog\","
               "\"event\":{\"timestamp\":200,\"name\":\"clean\"}},"
               "{\"op\":\"append\",\"key\":\"job.0000.0000.0000.0004.eventlog\","
               "\"event\":{\"timestamp\":250,\"name\":\"clean\"}},"
               "{\"op\":\"append\",\"key\":\"job.0000.0000.0000.0003.eventlog\","
               "\"event\":{\"timestamp\":300,\"name\":\"submit\"}},"
               "{\"op\":\"append\",\"key\":\"job.x.eventlog\","
               "\"event\":{\"timestamp\":1,\"name\":\"clean\"}}]}]");
    o = call ("SELECT kvs_job_purge (NULL, 1, false, 1)", 0, NULL, NULL);
    s = json_dumps (o, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq (s, "{\"bytes\":0,\"entries\":0,\"jobs\":2,\"keys\":[],\"more\":false}");
    free (s);
    json_decref (o);
    /* At most one per call, the oldest first; "more" says another call is needed. */
    o = call ("SELECT kvs_job_purge (NULL, 1, true, 1)", 0, NULL, NULL);
    s = json_dumps (o, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq (s, "{\"bytes\":65,\"entries\":3,\"jobs\":1,"
                         "\"keys\":[\"job.0000.0000.0000.0001\"],\"more\":true}");
    free (s);
    json_decref (o);
    ck_assert_ptr_null (get ("primary", "job.0000.0000.0000.0001", "0", NULL));
    o = call ("SELECT kvs_job_purge (NULL, 1, true, 1)", 0, NULL, NULL);
    ck_assert_int_eq (json_integer_value (json_object_get (o, "jobs")), 1);
    ck_assert (json_is_false (json_object_get (o, "more")));
    json_decref (o);
    ck_assert_ptr_null (get ("primary", "job.0000.0000.0000.0002", "0", NULL));
    /* An age limit in seconds: the last inactive one is older than a minute. */
    o = call ("SELECT kvs_job_purge (60, NULL, true, 1000)", 0, NULL, NULL);
    ck_assert_int_eq (json_integer_value (json_object_get (o, "jobs")), 1);
    json_decref (o);
    ASSERT_ENTRY ("job.0000.0000.0000",
                  "{\"entries\":[\"0003\"],\"key\":\"job.0000.0000.0000\",\"type\":\"dir\"}");
    ASSERT_ENTRY ("job.x", "{\"entries\":[\"eventlog\"],\"key\":\"job.x\",\"type\":\"dir\"}");
}
END_TEST

START_TEST (dir_answer_is_capped_in_bytes)
{
    char *batch = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&batch, &len);
    json_t *o;

    /* Six values of 1 MB: a listing with values stops before 4 MiB and says there is more. */
    fprintf (f, "[{\"ns\":\"primary\",\"ops\":[");
    for (int i = 0; i < 6; i++) {
        fprintf (f, "%s{\"op\":\"put\",\"key\":\"big.v%d\",\"value\":\"", i ? "," : "", i);
        for (int j = 0; j < 1000000; j++)
            fputc ('x', f);
        fprintf (f, "\"}");
    }
    fprintf (f, "]}]");
    fclose (f);
    commit_ok (batch);
    free (batch);
    o = call ("SELECT kvs_dir ('primary', 'big', false, true, '', 1000)", 0, NULL, NULL);
    ck_assert_int_eq (json_array_size (json_object_get (o, "entries")), 4);
    ck_assert (json_is_true (json_object_get (o, "more")));
    json_decref (o);
    o = call ("SELECT kvs_dir ('primary', 'big', false, false, '', 1000)", 0, NULL, NULL);
    ck_assert_int_eq (json_array_size (json_object_get (o, "entries")), 6);
    ck_assert (json_is_false (json_object_get (o, "more")));
    json_decref (o);
}
END_TEST

START_TEST (setup_is_idempotent_and_refuses_newer)
{
    char *sql = schema_setup_sql (1234);
    PGresult *res;

    PQclear (exec_ok (sql));
    res = exec_ok ("SELECT owner FROM kvs_namespace WHERE name = 'primary'");
    ck_assert_str_eq (PQgetvalue (res, 0, 0), "1234");
    PQclear (res);
    /* A current database is only read: a read-only one (a standby) still serves. */
    PQclear (exec_ok ("SET default_transaction_read_only = on"));
    PQclear (exec_ok (sql));
    PQclear (exec_ok ("SET default_transaction_read_only = off"));
    PQclear (exec_ok ("UPDATE kvs_schema SET version = 999"));
    res = PQexec (conn, sql);
    ck_assert_int_eq (PQresultStatus (res), PGRES_FATAL_ERROR);
    ck_assert_ptr_nonnull (strstr (PQresultErrorMessage (res), "newer than this kvsd"));
    PQclear (res);
    free (sql);
}
END_TEST

START_TEST (key_rules)
{
    struct fx_error err = {""};
    char out[KVS_KEY_MAX + 1], big[KVS_KEY_MAX + 10];

    ck_assert_int_eq (key_normalize (".a..b.", out, sizeof (out), &err), 0);
    ck_assert_str_eq (out, "a.b");
    ck_assert_int_eq (key_normalize (".", out, sizeof (out), &err), 0);
    ck_assert_str_eq (out, "");
    ck_assert_int_eq (key_normalize ("a b", out, sizeof (out), &err), -1);
    ck_assert_ptr_nonnull (strstr (err.text, "invalid key"));
    ck_assert_int_eq (key_normalize ("a\xc3\xa9", out, sizeof (out), &err), -1);
    memset (big, 'x', sizeof (big) - 1);
    big[sizeof (big) - 1] = '\0';
    ck_assert_int_eq (key_normalize (big, out, sizeof (out), &err), -1);
    ck_assert_ptr_nonnull (strstr (err.text, "longer than"));
    ck_assert (key_within ("a.b.c", "a.b"));
    ck_assert (key_within ("a.b", "a.b"));
    ck_assert (!key_within ("a.bc", "a.b"));
    ck_assert (key_within ("x", ""));
    ck_assert (ns_name_valid ("job-42"));
    ck_assert (!ns_name_valid ("job 42"));
    ck_assert (!ns_name_valid (""));
}
END_TEST

int main (void)
{
    Suite *s = suite_create ("kvs");
    TCase *db = tcase_create ("data model");
    TCase *keys = tcase_create ("keys");

    tcase_add_unchecked_fixture (db, pg_setup, test_pg_teardown);
    tcase_add_checked_fixture (db, db_setup, db_teardown);
    tcase_set_timeout (db, 30);
    tcase_add_test (db, put_creates_parents);
    tcase_add_test (db, put_under_value_fails_alone);
    tcase_add_test (db, put_over_dir_replaces_subtree);
    tcase_add_test (db, unlink_and_mkdir);
    tcase_add_test (db, raw_values);
    tcase_add_test (db, eventlog_append_and_pages);
    tcase_add_test (db, namespaces_are_separate);
    tcase_add_test (db, dir_listing_pages);
    tcase_add_test (db, job_purge);
    tcase_add_test (db, dir_answer_is_capped_in_bytes);
    tcase_add_test (db, setup_is_idempotent_and_refuses_newer);
    tcase_add_test (keys, key_rules);
    suite_add_tcase (s, db);
    suite_add_tcase (s, keys);
    return fx_check_main (s);
}
