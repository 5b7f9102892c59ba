/* pg.h - a private PostgreSQL cluster for unit tests that need a database.
 *
 * test_pg_setup (NAME) makes a fresh /tmp/NAME.XXXXXX (mode 0755, so that the cluster's
 * account reaches it when the tests run as root), starts a cluster in it (services/pgcluster.c:
 * a copy of the cached template, ~0.1 s) and sets test_pg_dsn and $FLUX_TEST_PG_DSN to its
 * connection string; test_pg_teardown () stops it and removes the directory.  Use them as an
 * unchecked fixture, so that the server lives in the parent and is stopped even when a test
 * fails or times out in its forked child:
 *
 *     static void pg_setup (void) { test_pg_setup ("check_kvs"); }
 *     ... .unchecked_setup = pg_setup, .unchecked_teardown = test_pg_teardown ...
 */
#ifndef FX_TEST_PG_H
#define FX_TEST_PG_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "services/pgcluster.h"
#include "test/unit/check.h"

static char test_pg_dir[64];
static struct fx_pgcluster *test_pg;
static const char *test_pg_dsn;

static int test_pg_rm_cb (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void) sb;
    (void) flag;
    (void) ftw;
    return remove (path);
}

static inline void test_pg_setup (const char *name)
{
    struct fx_error err = {""};
    char data[128], sock[128];

    snprintf (test_pg_dir, sizeof (test_pg_dir), "/tmp/%s.XXXXXX", name);
    ck_assert_ptr_nonnull (mkdtemp (test_pg_dir));
    chmod (test_pg_dir, 0755);
    snprintf (data, sizeof (data), "%s/data", test_pg_dir);
    snprintf (sock, sizeof (sock), "%s/sock", test_pg_dir);
    test_pg = fx_pgcluster_start (data, sock, NULL, &err);
    ck_assert_msg (test_pg != NULL, "private PostgreSQL: %s", err.text);
    test_pg_dsn = fx_pgcluster_dsn (test_pg);
    setenv ("FLUX_TEST_PG_DSN", test_pg_dsn, 1);
}

static inline void test_pg_teardown (void)
{
    fx_pgcluster_stop (test_pg);
    test_pg = NULL;
    test_pg_dsn = NULL;
    unsetenv ("FLUX_TEST_PG_DSN");
    if (test_pg_dir[0])
        nftw (test_pg_dir, test_pg_rm_cb, 8, FTW_DEPTH | FTW_PHYS);
    test_pg_dir[0] = '\0';
}

#endif
