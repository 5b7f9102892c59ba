/* schema.c - the KVS database schema, as versioned migrations.
 *
 * Each migration is a list of single SQL statements.  At every connection kvsd runs one DO
 * block (schema_setup_sql) that takes an advisory lock, reads the level reached from
 * kvs_schema, refuses a database newer than this kvsd, applies the missing migrations in
 * order and records the new level, all in one transaction: a failed migration leaves the
 * database as it was.  A migration, once released, is never edited: a change is a new one.
 *
 * The work of a commit is done by kvs_commit() inside the database, so that a batch of
 * client transactions is one round trip and one database transaction, each client
 * transaction in its own subtransaction (an exception block).  Errors meant for the client
 * are raised by kvs_fail() with the errno name in DETAIL (see db.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvsd/kvsd.h"

static const char *const migration_1[] = {
    "CREATE TABLE kvs_namespace ("
    " name text COLLATE \"C\" PRIMARY KEY,"
    " owner bigint NOT NULL,"
    " version bigint NOT NULL DEFAULT 0,"
    " created double precision NOT NULL DEFAULT extract (epoch FROM now ()))",

    /* type: d dir, j json, r raw, e eventlog.  Every entry's parent exists as a dir. */
    "CREATE TABLE kvs_entry ("
    " ns text COLLATE \"C\" NOT NULL REFERENCES kvs_namespace (name) ON DELETE CASCADE,"
    " key text COLLATE \"C\" NOT NULL,"
    " parent text COLLATE \"C\" NOT NULL,"
    " type \"char\" NOT NULL,"
    " jvalue text,"
    " rvalue bytea,"
    " nevents integer NOT NULL DEFAULT 0,"
    " version bigint NOT NULL,"
    " PRIMARY KEY (ns, key))",

    "CREATE INDEX kvs_entry_parent ON kvs_entry (ns, parent, key)",

    "CREATE TABLE kvs_event ("
    " ns text COLLATE \"C\" NOT NULL,"
    " key text COLLATE \"C\" NOT NULL,"
    " seq integer NOT NULL,"
    " name text NOT NULL,"
    " timestamp double precision NOT NULL,"
    " event text NOT NULL,"
    " PRIMARY KEY (ns, key, seq),"
    " FOREIGN KEY (ns, key) REFERENCES kvs_entry (ns, key) ON DELETE CASCADE)",

    "CREATE FUNCTION kvs_fail (code text, msg text) RETURNS void LANGUAGE plpgsql AS $f$"
    " BEGIN RAISE EXCEPTION USING MESSAGE = msg, DETAIL = code; END $f$",

    /* The parent of a.b.c is a.b; of a it is the root, ''. */
    "CREATE FUNCTION kvs_parent (k text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$"
    " SELECT CASE WHEN strpos (k, '.') = 0 THEN ''"
    " ELSE regexp_replace (k, '\\.[^.]*$', '') END $f$",

    /* Create the missing directories above k: look up from the nearest, since an existing
     * directory's own parents exist. */
    "CREATE FUNCTION kvs_mkparents (p_ns text, k text, v bigint) RETURNS void"
    " LANGUAGE plpgsql AS $f$"
    " DECLARE anc text[] := '{}'; p text := kvs_parent (k); t \"char\";"
    " BEGIN"
    "  WHILE p <> '' LOOP"
    "   SELECT type INTO t FROM kvs_entry WHERE ns = p_ns AND key = p;"
    "   IF FOUND THEN"
    "    IF t <> 'd' THEN PERFORM kvs_fail ('ENOTDIR', p || ': Not a directory'); END IF;"
    "    EXIT;"
    "   END IF;"
    "   anc := p || anc;"
    "   p := kvs_parent (p);"
    "  END LOOP;"
    "  FOR i IN 1 .. coalesce (array_length (anc, 1), 0) LOOP"
    "   INSERT INTO kvs_entry (ns, key, parent, type, version)"
    "    VALUES (p_ns, anc[i], kvs_parent (anc[i]), 'd', v);"
    "  END LOOP;"
    " END $f$",

    /* Remove whatever is at k (and under it): the subtree range is [k., k/) in C order. */
    "CREATE FUNCTION kvs_remove (p_ns text, k text) RETURNS void LANGUAGE sql AS $f$"
    " DELETE FROM kvs_entry WHERE ns = p_ns"
    "  AND (key = k OR (key > k || '.' AND key < k || '/')) $f$",

    /* Store a value of type t (j, r or d) at k, replacing what was there. */
    "CREATE FUNCTION kvs_store (p_ns text, k text, t \"char\", jv text, rv bytea, v bigint)"
    " RETURNS void LANGUAGE plpgsql AS $f$"
    " DECLARE old \"char\";"
    " BEGIN"
    "  SELECT type INTO old FROM kvs_entry WHERE ns = p_ns AND key = k FOR UPDATE;"
    "  IF NOT FOUND THEN"
    "   PERFORM kvs_mkparents (p_ns, k, v);"
    "  ELSIF old = 'd' AND t = 'd' THEN"
    "   RETURN;"
    "  ELSIF old IN ('d', 'e') THEN"
    "   PERFORM kvs_remove (p_ns, k);"
    "  END IF;"
    "  INSERT INTO kvs_entry (ns, key, parent, type, jvalue, rvalue, version)"
    "   VALUES (p_ns, k, kvs_parent (k), t, jv, rv, v)"
    "   ON CONFLICT (ns, key) DO UPDATE SET type = t, jvalue = jv, rvalue = rv,"
    "   nevents = 0, version = v;"
    " END $f$",

    /* Append one event (validated by kvsd) to the eventlog at k; returns its seq. */
    "CREATE FUNCTION kvs_append (p_ns text, k text, ev json, v bigint) RETURNS integer"
    " LANGUAGE plpgsql AS $f$"
    " DECLARE t \"char\"; n integer;"
    " BEGIN"
    "  SELECT type, nevents INTO t, n FROM kvs_entry WHERE ns = p_ns AND key = k FOR UPDATE;"
    "  IF NOT FOUND THEN"
    "   PERFORM kvs_mkparents (p_ns, k, v);"
    "   INSERT INTO kvs_entry (ns, key, parent, type, nevents, version)"
    "    VALUES (p_ns, k, kvs_parent (k), 'e', 1, v);"
    "   n := 0;"
    "  ELSIF t = 'e' THEN"
    "   UPDATE kvs_entry SET nevents = n + 1, version = v WHERE ns = p_ns AND key = k;"
    "  ELSIF t = 'd' THEN"
    "   PERFORM kvs_fail ('EISDIR', k || ': Is a directory');"
    "  ELSE"
    "   PERFORM kvs_fail ('EINVAL', k || ': Not an eventlog');"
    "  END IF;"
    "  INSERT INTO kvs_event (ns, key, seq, name, timestamp, event)"
    "   VALUES (p_ns, k, n, ev->>'name', (ev->>'timestamp')::double precision, ev::text);"
    "  RETURN n;"
    " END $f$",

    /* batch: [{"ns": NS, "ops": [OP...]}...] with OP {"op": put|unlink|mkdir|append, "key",
     * "value"|"data"|"event"}.  Returns a JSON array: per transaction {"version", "seqs"}
     * (seqs parallel to ops: the event number of each append, else null) or {"error",
     * "errstr"}.  Client errors roll back only their own transaction; anything else
     * (disk full, ...) fails the whole batch. */
    "CREATE FUNCTION kvs_commit (batch json) RETURNS text LANGUAGE plpgsql AS $f$"
    " DECLARE c json; op json; v bigint; s integer; seqs text[]; res text[] := '{}';"
    "  msg text; code text; k text;"
    " BEGIN"
    "  FOR c IN SELECT * FROM json_array_elements (batch) LOOP"
    "   BEGIN"
    "    UPDATE kvs_namespace SET version = version + 1 WHERE name = c->>'ns'"
    "     RETURNING version INTO v;"
    "    IF NOT FOUND THEN"
    "     PERFORM kvs_fail ('ENOENT', (c->>'ns') || ': No such namespace');"
    "    END IF;"
    "    seqs := '{}';"
    "    FOR op IN SELECT * FROM json_array_elements (c->'ops') LOOP"
    "     k := op->>'key';"
    "     s := NULL;"
    "     CASE op->>'op'"
    "      WHEN 'put' THEN"
    "       IF op->'data' IS NOT NULL THEN"
    "        PERFORM kvs_store (c->>'ns', k, 'r', NULL, decode (op->>'data', 'base64'), v);"
    "       ELSE"
    "        PERFORM kvs_store (c->>'ns', k, 'j', (op->'value')::text, NULL, v);"
    "       END IF;"
    "      WHEN 'mkdir' THEN PERFORM kvs_store (c->>'ns', k, 'd', NULL, NULL, v);"
    "      WHEN 'unlink' THEN PERFORM kvs_remove (c->>'ns', k);"
    "      WHEN 'append' THEN s := kvs_append (c->>'ns', k, op->'event', v);"
    "      ELSE PERFORM kvs_fail ('EINVAL', 'unknown operation ' || (op->>'op'));"
    "     END CASE;"
    "     seqs := seqs || coalesce (s::text, 'null');"
    "    END LOOP;"
    "    res := res || format ('{\"version\":%s,\"seqs\":[%s]}', v,"
    "     array_to_string (seqs, ','));"
    "   EXCEPTION WHEN raise_exception THEN"
    "    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, code = PG_EXCEPTION_DETAIL;"
    "    res := res || json_build_object ('error', code, 'errstr', msg)::text;"
    "   END;"
    "  END LOOP;"
    "  RETURN '[' || array_to_string (res, ',') || ']';"
    " END $f$",

    /* The entry at k as the ENTRY object of doc/kvs.md; eventlogs from event p_from, at
     * most p_limit events and about 4 MiB. */
    "CREATE FUNCTION kvs_get (p_ns text, k text, p_from integer, p_limit integer)"
    " RETURNS text LANGUAGE plpgsql STABLE AS $f$"
    " DECLARE e kvs_entry; r text;"
    " BEGIN"
    "  IF k <> '' THEN"
    "   SELECT * INTO e FROM kvs_entry WHERE ns = p_ns AND key = k;"
    "   IF NOT FOUND THEN PERFORM kvs_fail ('ENOENT', k || ': No such key'); END IF;"
    "  END IF;"
    "  IF k = '' OR e.type = 'd' THEN"
    "   SELECT coalesce (json_agg (substr (key, length (k) + CASE WHEN k = '' THEN 1 ELSE 2"
    "    END) ORDER BY key), '[]') INTO r FROM kvs_entry WHERE ns = p_ns AND parent = k;"
    "   RETURN format ('{\"key\":%s,\"type\":\"dir\",\"entries\":%s}', to_json (k), r);"
    "  ELSIF e.type = 'j' THEN"
    "   RETURN format ('{\"key\":%s,\"type\":\"json\",\"value\":%s}', to_json (k), e.jvalue);"
    "  ELSIF e.type = 'r' THEN"
    "   RETURN json_build_object ('key', k, 'type', 'raw', 'data',"
    "    translate (encode (e.rvalue, 'base64'), E'\\n', ''))::text;"
    "  END IF;"
    "  SELECT string_agg (event, ',' ORDER BY seq) INTO r FROM ("
    "   SELECT event, seq, sum (octet_length (event)) OVER (ORDER BY seq) AS total"
    "   FROM (SELECT event, seq FROM kvs_event WHERE ns = p_ns AND key = k AND seq >= p_from"
    "    ORDER BY seq LIMIT p_limit) x) y"
    "  WHERE total <= 4194304 OR seq = p_from;"
    "  RETURN format ('{\"key\":%s,\"type\":\"eventlog\",\"count\":%s,\"seq\":%s,"
    "\"events\":[%s]}', to_json (k), e.nevents, p_from, coalesce (r, ''));"
    " END $f$",

    /* Children (or, recursive, everything) under k after the key p_after: {"entries",
     * "more"}.  Values only when p_values; eventlogs give their count. */
    "CREATE FUNCTION kvs_dir (p_ns text, k text, p_rec boolean, p_values boolean,"
    " p_after text, p_limit integer) RETURNS text LANGUAGE plpgsql STABLE AS $f$"
    " DECLARE t \"char\"; r text; n integer;"
    " BEGIN"
    "  IF k <> '' THEN"
    "   SELECT type INTO t FROM kvs_entry WHERE ns = p_ns AND key = k;"
    "   IF NOT FOUND THEN PERFORM kvs_fail ('ENOENT', k || ': No such key'); END IF;"
    "   IF t <> 'd' THEN PERFORM kvs_fail ('ENOTDIR', k || ': Not a directory'); END IF;"
    "  END IF;"
    "  SELECT string_agg (CASE WHEN NOT keep THEN NULL"
    "   WHEN type = 'j' THEN format ('{\"key\":%s,\"type\":\"json\"%s}', to_json (key),"
    "    CASE WHEN p_values THEN ',\"value\":' || jvalue ELSE '' END)"
    "   WHEN type = 'r' THEN format ('{\"key\":%s,\"type\":\"raw\"%s}', to_json (key),"
    "    CASE WHEN p_values THEN ',\"data\":' || to_json (translate (encode (rvalue,"
    "     'base64'), E'\\n', '')) ELSE '' END)"
    "   WHEN type = 'e' THEN format ('{\"key\":%s,\"type\":\"eventlog\",\"count\":%s}',"
    "    to_json (key), nevents)"
    "   ELSE format ('{\"key\":%s,\"type\":\"dir\"}', to_json (key)) END, ',' ORDER BY key),"
    "   count (*) FILTER (WHERE NOT keep) INTO r, n"
    "  FROM (SELECT *, rn <= p_limit AND (total <= 4194304 OR rn = 1) AS keep"
    "   FROM (SELECT key, type, jvalue, rvalue, nevents,"
    "    row_number () OVER (ORDER BY key) AS rn,"
    "    sum (CASE WHEN p_values THEN coalesce (octet_length (jvalue), 0)"
    "     + 2 * coalesce (octet_length (rvalue), 0) ELSE 0 END) OVER (ORDER BY key) AS total"
    "    FROM kvs_entry WHERE ns = p_ns AND key > p_after AND CASE"
    "     WHEN NOT p_rec THEN parent = k"
    "     WHEN k = '' THEN true"
    "     ELSE key > k || '.' AND key < k || '/' END"
    "    ORDER BY key LIMIT p_limit + 1) x) y;"
    "  RETURN format ('{\"entries\":[%s],\"more\":%s}', coalesce (r, ''),"
    "   CASE WHEN n > 0 THEN 'true' ELSE 'false' END);"
    " END $f$",

    /* Entries, events and bytes by namespace and by first key component. */
    "CREATE FUNCTION kvs_stats () RETURNS text LANGUAGE sql STABLE AS $f$"
    " WITH e AS (SELECT ns, split_part (key, '.', 1) AS prefix, count (*) AS entries,"
    "   sum (coalesce (octet_length (jvalue), 0) + coalesce (octet_length (rvalue), 0))"
    "   AS bytes FROM kvs_entry GROUP BY 1, 2),"
    "  ev AS (SELECT ns, split_part (key, '.', 1) AS prefix, count (*) AS events,"
    "   sum (octet_length (event)) AS bytes FROM kvs_event GROUP BY 1, 2),"
    "  p AS (SELECT coalesce (e.ns, ev.ns) AS ns, coalesce (e.prefix, ev.prefix) AS prefix,"
    "   coalesce (e.entries, 0) AS entries, coalesce (ev.events, 0) AS events,"
    "   coalesce (e.bytes, 0) + coalesce (ev.bytes, 0) AS bytes"
    "   FROM e FULL JOIN ev ON e.ns = ev.ns AND e.prefix = ev.prefix)"
    " SELECT json_build_object ('database_bytes', pg_database_size (current_database ()),"
    "  'namespaces', (SELECT coalesce (json_agg (json_build_object ('name', n.name,"
    "    'entries', coalesce (s.entries, 0), 'events', coalesce (s.events, 0),"
    "    'bytes', coalesce (s.bytes, 0)) ORDER BY n.name), '[]')"
    "   FROM kvs_namespace n LEFT JOIN (SELECT ns, sum (entries) AS entries,"
    "    sum (events) AS events, sum (bytes) AS bytes FROM p GROUP BY ns) s"
    "   ON s.ns = n.name),"
    "  'prefixes', (SELECT coalesce (json_agg (json_build_object ('namespace', ns,"
    "    'prefix', prefix, 'entries', entries, 'events', events, 'bytes', bytes)"
    "    ORDER BY ns, prefix), '[]') FROM p))::text $f$",

    /* Inactive jobs (the last event of job.ID.eventlog, ID in dothex, is clean) older than
     * p_age seconds or beyond the newest p_num.  Without p_force they are only counted;
     * with it the oldest p_max of them are removed (a bounded transaction: the caller
     * repeats while "more").  Returns {"jobs", "entries", "bytes", "keys", "more"}. */
    "CREATE FUNCTION kvs_job_purge (p_age double precision, p_num integer,"
    " p_force boolean, p_max integer) RETURNS text LANGUAGE plpgsql AS $f$"
    " DECLARE keys text[]; k text; nent bigint := 0; nbytes bigint := 0; ne bigint;"
    "  nb bigint; total integer;"
    " BEGIN"
    "  SELECT count (*), coalesce ((array_agg (dir ORDER BY timestamp))[1:p_max], '{}')"
    "   INTO total, keys FROM ("
    "   SELECT left (e.key, -9) AS dir, ev.timestamp,"
    "    row_number () OVER (ORDER BY ev.timestamp DESC) AS rn"
    "   FROM kvs_entry e JOIN kvs_event ev ON ev.ns = e.ns AND ev.key = e.key"
    "    AND ev.seq = e.nevents - 1"
    "   WHERE e.ns = 'primary' AND e.key > 'job.' AND e.key < 'job/' AND e.type = 'e'"
    "    AND e.key ~ '^job(\\.[0-9a-f]{4}){4}\\.eventlog$' AND ev.name = 'clean') x"
    "  WHERE (p_age IS NOT NULL AND timestamp < extract (epoch FROM now ()) - p_age)"
    "   OR (p_num IS NOT NULL AND rn > p_num);"
    "  IF NOT p_force THEN"
    "   RETURN json_build_object ('jobs', total, 'entries', 0, 'bytes', 0,"
    "    'keys', '[]'::json, 'more', false)::text;"
    "  END IF;"
    "  IF array_length (keys, 1) > 0 THEN"
    "   UPDATE kvs_namespace SET version = version + 1 WHERE name = 'primary';"
    "   FOREACH k IN ARRAY keys LOOP"
    "    SELECT count (*), sum (coalesce (octet_length (jvalue), 0)"
    "     + coalesce (octet_length (rvalue), 0)) INTO ne, nb FROM kvs_entry"
    "     WHERE ns = 'primary' AND (key = k OR (key > k || '.' AND key < k || '/'));"
    "    nent := nent + ne; nbytes := nbytes + coalesce (nb, 0);"
    "    SELECT coalesce (sum (octet_length (event)), 0) INTO nb FROM kvs_event"
    "     WHERE ns = 'primary' AND key > k || '.' AND key < k || '/';"
    "    nbytes := nbytes + nb;"
    "    PERFORM kvs_remove ('primary', k);"
    "   END LOOP;"
    "  END IF;"
    "  RETURN json_build_object ('jobs', coalesce (array_length (keys, 1), 0),"
    "   'entries', nent, 'bytes', nbytes, 'keys', to_json (keys),"
    "   'more', total > coalesce (array_length (keys, 1), 0))::text;"
    " END $f$",
};

/* Migration 2: kvs_commit read the namespace out of the client transaction's JSON text
 * (c->>'ns') once per operation, which reparses the whole transaction each time: a commit
 * of 100 jobs (140 operations, 140 KB) took 400 ms.  The namespace is now read once. */
static const char *const migration_2[] = {
    "CREATE OR REPLACE FUNCTION kvs_commit (batch json) RETURNS text LANGUAGE plpgsql AS $f$"
    " DECLARE c json; op json; v bigint; s integer; seqs text[]; res text[] := '{}';"
    "  msg text; code text; k text; n text;"
    " BEGIN"
    "  FOR c IN SELECT * FROM json_array_elements (batch) LOOP"
    "   BEGIN"
    "    n := c->>'ns';"
    "    UPDATE kvs_namespace SET version = version + 1 WHERE name = n RETURNING version INTO v;"
    "    IF NOT FOUND THEN"
    "     PERFORM kvs_fail ('ENOENT', n || ': No such namespace');"
    "    END IF;"
    "    seqs := '{}';"
    "    FOR op IN SELECT * FROM json_array_elements (c->'ops') LOOP"
    "     k := op->>'key';"
    "     s := NULL;"
    "     CASE op->>'op'"
    "      WHEN 'put' THEN"
    "       IF op->'data' IS NOT NULL THEN"
    "        PERFORM kvs_store (n, k, 'r', NULL, decode (op->>'data', 'base64'), v);"
    "       ELSE"
    "        PERFORM kvs_store (n, k, 'j', (op->'value')::text, NULL, v);"
    "       END IF;"
    "      WHEN 'mkdir' THEN PERFORM kvs_store (n, k, 'd', NULL, NULL, v);"
    "      WHEN 'unlink' THEN PERFORM kvs_remove (n, k);"
    "      WHEN 'append' THEN s := kvs_append (n, k, op->'event', v);"
    "      ELSE PERFORM kvs_fail ('EINVAL', 'unknown operation ' || (op->>'op'));"
    "     END CASE;"
    "     seqs := seqs || coalesce (s::text, 'null');"
    "    END LOOP;"
    "    res := res || format ('{\"version\":%s,\"seqs\":[%s]}', v,"
    "     array_to_string (seqs, ','));"
    "   EXCEPTION WHEN raise_exception THEN"
    "    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, code = PG_EXCEPTION_DETAIL;"
    "    res := res || json_build_object ('error', code, 'errstr', msg)::text;"
    "   END;"
    "  END LOOP;"
    "  RETURN '[' || array_to_string (res, ',') || ']';"
    " END $f$",
};

/* Migration 3: every job's eventlog in key order, a page at a time, for jobd's start (one
 * query per page instead of one per job: doc/kvs.md, kvs.job-eventlogs). */
static const char *const migration_3[] = {
    "CREATE FUNCTION kvs_job_eventlogs (p_ns text, p_after text, p_limit integer)"
    " RETURNS text LANGUAGE plpgsql STABLE AS $f$"
    " DECLARE r text; n integer;"
    " BEGIN"
    /* The eventlog keys come from kvs_entry in key order (an index range, stopped at the
     * limit); each one's events from kvs_event by its primary key. */
    "  SELECT coalesce (string_agg (format ('{\"key\":%s,\"events\":[%s]}', to_json (key),"
    "   (SELECT string_agg (event, ',' ORDER BY seq) FROM kvs_event ev"
    "     WHERE ev.ns = p_ns AND ev.key = x.key)), ',' ORDER BY key), ''), count (*)"
    "   INTO r, n FROM ("
    "    SELECT key FROM kvs_entry"
    "     WHERE ns = p_ns AND key > p_after AND key >= 'job.' AND key < 'job/' AND type = 'e'"
    "      AND key ~ '^job(\\.[0-9a-f]{4}){4}\\.eventlog$'"
    "     ORDER BY key LIMIT p_limit) x;"
    "  RETURN format ('{\"entries\":[%s],\"more\":%s}', r,"
    "   CASE WHEN n >= p_limit THEN 'true' ELSE 'false' END);"
    " END $f$",
};

#define NELEM(a) (sizeof (a) / sizeof ((a)[0]))

static const struct migration {
    const char *const *stmts;
    size_t count;
} migrations[] = {
    {migration_1, NELEM (migration_1)},
    {migration_2, NELEM (migration_2)},
    {migration_3, NELEM (migration_3)},
};

int schema_version (void)
{
    return (int) NELEM (migrations);
}

/* A DO block applying the missing migrations; owner becomes the primary namespace's owner
 * when it is created.  Returns a malloc'd string or NULL. */
char *schema_setup_sql (unsigned long owner)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&buf, &len);

    if (!f)
        return NULL;
    fprintf (f,
             "DO $setup$ DECLARE v integer := 0; BEGIN\n"
             "PERFORM pg_advisory_xact_lock (7418001);\n"
             "IF to_regclass ('kvs_schema') IS NULL THEN\n"
             "CREATE TABLE kvs_schema (version integer NOT NULL);\n"
             "ELSE SELECT coalesce (max (version), 0) INTO v FROM kvs_schema; END IF;\n"
             "IF v > %d THEN RAISE EXCEPTION 'the database schema is at level %%, newer than "
             "this kvsd knows (%d)', v; END IF;\n",
             schema_version (), schema_version ());
    for (size_t m = 0; m < NELEM (migrations); m++) {
        fprintf (f, "IF v < %zu THEN\n", m + 1);
        for (size_t i = 0; i < migrations[m].count; i++)
            fprintf (f, "EXECUTE $mig$%s$mig$;\n", migrations[m].stmts[i]);
        fprintf (f, "END IF;\n");
    }
    /* Nothing is written when the database is current: a read-only one still serves. */
    fprintf (f,
             "IF v < %d THEN DELETE FROM kvs_schema; INSERT INTO kvs_schema VALUES (%d); END IF;\n"
             "IF NOT EXISTS (SELECT 1 FROM kvs_namespace WHERE name = 'primary') THEN\n"
             "INSERT INTO kvs_namespace (name, owner) VALUES ('primary', %lu); END IF;\n"
             "END $setup$;\n"
             "SET statement_timeout = %d",
             schema_version (), schema_version (), owner, KVS_STATEMENT_TIMEOUT_MS);
    if (fclose (f) != 0) {
        free (buf);
        return NULL;
    }
    return buf;
}
