/* check_cert.c - unit tests for services/cert.c.
 *
 * Files are written under one private temporary directory per test case, made by an
 * unchecked fixture (run in the parent, so it is removed even when a test fails).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/cert.h"
#include "test/unit/check.h"

static char base[] = "/tmp/check_cert.XXXXXX";

static void base_setup (void)
{
    strcpy (base, "/tmp/check_cert.XXXXXX");
    if (!mkdtemp (base))
        abort ();
}

static int remove_cb (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void) sb, (void) flag, (void) ftw;
    return remove (path);
}

static void base_teardown (void)
{
    nftw (base, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* base/name in a static buffer (one at a time). */
static const char *path_of (const char *name)
{
    static char path[128];

    snprintf (path, sizeof (path), "%s/%s", base, name);
    return path;
}

/* Write len bytes of text to base/name with the given mode; returns the path. */
static const char *put (const char *name, const char *text, size_t len, mode_t mode)
{
    const char *path = path_of (name);
    int fd;

    unlink (path);
    ck_assert_int_ge ((fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600)), 0);
    ck_assert_int_eq (write (fd, text, len), (ssize_t) len);
    ck_assert_int_eq (fchmod (fd, mode), 0);
    ck_assert_int_eq (close (fd), 0);
    return path;
}

/* A valid file text for cert, keys in the usual order. */
static void cert_text (const struct fx_cert *cert, char *buf, size_t size)
{
    char pk[65], sk[65];

    sodium_bin2hex (pk, sizeof (pk), cert->pk, sizeof (cert->pk));
    sodium_bin2hex (sk, sizeof (sk), cert->sk, sizeof (cert->sk));
    snprintf (buf, size, "name = \"%s\"\npublic-key = \"%s\"\nsecret-key = \"%s\"\n", cert->name,
              pk, sk);
}

/* Load text from a file of the given mode; expect errno e and exactly the message msg, where
 * "@" stands for the file's path. */
static void load_fails (const char *text, size_t len, mode_t mode, int e, const char *msg)
{
    const char *path = put ("bad.cert", text, len, mode);
    struct fx_error err = {{0}};
    struct fx_cert cert;
    char want[FX_ERROR_LEN + 128];
    size_t n = 0;

    for (const char *p = msg; *p; p++) {
        if (*p == '@')
            n += (size_t) snprintf (want + n, sizeof (want) - n, "%s", path);
        else
            want[n++] = *p;
        ck_assert_uint_lt (n, sizeof (want));
    }
    want[n] = '\0';
    memset (&cert, 0xa5, sizeof (cert));
    errno = 0;
    ck_assert_int_eq (fx_cert_load (&cert, path, &err), -1);
    ck_assert_int_eq (errno, e);
    ck_assert_msg (!strcmp (err.text, want), "'%s': got '%s', want '%s'", text, err.text, want);
    for (size_t i = 0; i < sizeof (cert); i++) /* a failed load leaves cert unchanged */
        ck_assert_uint_eq (((unsigned char *) &cert)[i], 0xa5);
}

static void load_text_fails (const char *text, const char *msg)
{
    load_fails (text, strlen (text), 0600, EINVAL, msg);
}

START_TEST (test_round_trip)
{
    struct fx_cert a, b;
    struct fx_error err = {{0}};
    const char *path = path_of ("fluke.cert");
    struct stat st;
    char text[1024];
    FILE *f;
    size_t n;

    ck_assert_int_eq (fx_cert_generate (&a, "fluke"), 0);
    ck_assert_str_eq (a.name, "fluke");
    ck_assert_msg (fx_cert_write (&a, path, &err) == 0, "%s", err.text);
    ck_assert_int_eq (stat (path, &st), 0);
    ck_assert_uint_eq (st.st_mode & 07777, 0600);
    ck_assert_msg (fx_cert_load (&b, path, &err) == 0, "%s", err.text);
    ck_assert_str_eq (b.name, "fluke");
    ck_assert_mem_eq (a.pk, b.pk, sizeof (a.pk));
    ck_assert_mem_eq (a.sk, b.sk, sizeof (a.sk));
    ck_assert_mem_eq (a.auth_key, b.auth_key, sizeof (a.auth_key));

    ck_assert_ptr_nonnull ((f = fopen (path, "r")));
    n = fread (text, 1, sizeof (text) - 1, f);
    text[n] = '\0';
    fclose (f);
    ck_assert_msg (!strncmp (text, "# Flux cluster certificate", 26), "%s", text);
    ck_assert_ptr_nonnull (strstr (text, "\nname = \"fluke\"\n"));
}
END_TEST

START_TEST (test_auth_key)
{
    struct fx_cert a, b;
    uint8_t want[32];

    ck_assert_int_eq (fx_cert_generate (&a, "a"), 0);
    ck_assert_int_eq (fx_cert_generate (&b, "a"), 0);
    ck_assert_mem_ne (a.sk, b.sk, sizeof (a.sk));
    ck_assert_mem_ne (a.auth_key, b.auth_key, sizeof (a.auth_key));
    crypto_generichash (want, 32, a.sk, 32, (const uint8_t *) "flux-overlay-auth-v1", 20);
    ck_assert_mem_eq (a.auth_key, want, 32);
    ck_assert_mem_ne (a.auth_key, a.sk, 32);
}
END_TEST

START_TEST (test_generate_names)
{
    struct fx_cert c;
    char longname[65];

    memset (longname, 'x', 64);
    longname[64] = '\0';
    ck_assert_int_eq (fx_cert_generate (&c, longname + 1), 0); /* 63: the longest */
    const char *bad[] = {NULL, "", longname, "a b", "a/b", "caf\xc3\xa9", "a\"b", "a\nb"};
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        errno = 0;
        ck_assert_int_eq (fx_cert_generate (&c, bad[i]), -1);
        ck_assert_int_eq (errno, EINVAL);
    }
    ck_assert_int_eq (fx_cert_generate (&c, "Node_1.x-y"), 0);
}
END_TEST

START_TEST (test_overwrite_refused)
{
    struct fx_cert a, b, c;
    struct fx_error err = {{0}};
    const char *path = path_of ("c.cert");
    char want[600];

    ck_assert_int_eq (fx_cert_generate (&a, "a"), 0);
    ck_assert_int_eq (fx_cert_generate (&b, "b"), 0);
    ck_assert_int_eq (fx_cert_write (&a, path, &err), 0);
    errno = 0;
    ck_assert_int_eq (fx_cert_write (&b, path, &err), -1);
    ck_assert_int_eq (errno, EEXIST);
    snprintf (want, sizeof (want), "%s: File exists", path);
    ck_assert_str_eq (err.text, want);
    ck_assert_int_eq (fx_cert_load (&c, path, &err), 0);
    ck_assert_mem_eq (c.sk, a.sk, sizeof (a.sk)); /* the first file is intact */

    ck_assert_int_eq (symlink ("elsewhere", path_of ("link")), 0);
    ck_assert_int_eq (fx_cert_write (&b, path_of ("link"), &err), -1);
    ck_assert_int_eq (access (path_of ("elsewhere"), F_OK), -1);
    ck_assert_int_eq (fx_cert_write (&b, path_of ("nodir/x"), &err), -1);
    ck_assert_int_eq (errno, ENOENT);
}
END_TEST

START_TEST (test_write_umask)
{
    struct fx_cert a;
    struct fx_error err = {{0}};
    struct stat st;
    mode_t old = umask (0);

    ck_assert_int_eq (fx_cert_generate (&a, "a"), 0);
    ck_assert_int_eq (fx_cert_write (&a, path_of ("u0"), &err), 0);
    umask (0377);
    ck_assert_int_eq (fx_cert_write (&a, path_of ("u377"), &err), 0);
    umask (old);
    ck_assert_int_eq (stat (path_of ("u0"), &st), 0);
    ck_assert_uint_eq (st.st_mode & 07777, 0600);
    ck_assert_int_eq (stat (path_of ("u377"), &st), 0);
    ck_assert_uint_eq (st.st_mode & 07777, 0600);
}
END_TEST

START_TEST (test_mode_refused)
{
    const mode_t modes[] = {0640, 0604, 0660, 0620, 0602, 0610, 0601, 0644, 0666};
    struct fx_cert a;
    char text[512], want[FX_ERROR_LEN];

    ck_assert_int_eq (fx_cert_generate (&a, "a"), 0);
    cert_text (&a, text, sizeof (text));
    for (size_t i = 0; i < sizeof (modes) / sizeof (modes[0]); i++) {
        snprintf (want, sizeof (want),
                  "@: certificate is readable by group or others (mode %04o): run chmod 600 @",
                  (unsigned) modes[i]);
        load_fails (text, strlen (text), modes[i], EPERM, want);
    }
    put ("ok.cert", text, strlen (text), 0400); /* read-only for the owner is fine */
    ck_assert_int_eq (fx_cert_load (&a, path_of ("ok.cert"), NULL), 0);
}
END_TEST

/* Hex keys of one generated certificate, and the public key of another. */
static char pk_hex[65], sk_hex[65], other_pk_hex[65];

static void make_keys (void)
{
    struct fx_cert a, b;

    ck_assert_int_eq (fx_cert_generate (&a, "a"), 0);
    ck_assert_int_eq (fx_cert_generate (&b, "b"), 0);
    sodium_bin2hex (pk_hex, sizeof (pk_hex), a.pk, sizeof (a.pk));
    sodium_bin2hex (sk_hex, sizeof (sk_hex), a.sk, sizeof (a.sk));
    sodium_bin2hex (other_pk_hex, sizeof (other_pk_hex), b.pk, sizeof (b.pk));
}

/* tmpl with each "{pk}" replaced by pk and each "{sk}" by sk. */
static const char *with_keys (const char *tmpl, const char *pk, const char *sk)
{
    static char buf[1024];
    size_t n = 0;

    for (const char *p = tmpl; *p;) {
        const char *ins = !strncmp (p, "{pk}", 4) ? pk : !strncmp (p, "{sk}", 4) ? sk : NULL;
        size_t len = ins ? strlen (ins) : 1;
        ck_assert_uint_lt (n + len, sizeof (buf));
        memcpy (buf + n, ins ? ins : p, len);
        n += len;
        p += ins ? 4 : 1;
    }
    buf[n] = '\0';
    return buf;
}

START_TEST (test_lenient_layout)
{
    struct fx_cert c;
    struct fx_error err = {{0}};
    const char *text, *path;

    make_keys ();
    text = with_keys ("\n# comment\n   # indented \"comment\n\t\n"
                      "secret-key=\"{sk}\"\n  public-key\t =  \"{pk}\"   \nname = \"x\"",
                      pk_hex, sk_hex);
    path = put ("l.cert", text, strlen (text), 0600);
    ck_assert_msg (fx_cert_load (&c, path, &err) == 0, "%s", err.text);
    ck_assert_str_eq (c.name, "x");
}
END_TEST

START_TEST (test_parse_errors)
{
    const char *pkl = "public-key = \"{pk}\"\n", *skl = "secret-key = \"{sk}\"\n";
    char t[1024];

    make_keys ();
    /* unknown and duplicate keys */
    snprintf (t, sizeof (t), "name = \"a\"\n%s%scolour = \"red\"\n", pkl, skl);
    load_text_fails (with_keys (t, pk_hex, sk_hex), "@:4: unknown key 'colour'");
    snprintf (t, sizeof (t), "name = \"a\"\n%s#\nname = \"b\"\n%s", pkl, skl);
    load_text_fails (with_keys (t, pk_hex, sk_hex), "@:4: duplicate key 'name'");
    snprintf (t, sizeof (t), "name = \"a\"\n%s%s%s", pkl, skl, skl);
    load_text_fails (with_keys (t, pk_hex, sk_hex), "@:4: duplicate key 'secret-key'");
    /* missing keys name the last line */
    snprintf (t, sizeof (t), "name = \"a\"\n%s\n# end\n", pkl);
    load_text_fails (with_keys (t, pk_hex, sk_hex), "@:4: missing key 'secret-key'");
    snprintf (t, sizeof (t), "%s%s", pkl, skl);
    load_text_fails (with_keys (t, pk_hex, sk_hex), "@:2: missing key 'name'");
    load_text_fails ("", "@:1: missing key 'name'");
    load_text_fails ("# nothing\n", "@:1: missing key 'name'");
    /* bad hex: upper case, short, long, not hex */
    snprintf (t, sizeof (t), "name = \"a\"\n%s%s", pkl, skl);
    char upper[65];
    strcpy (upper, pk_hex);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char) (*c - 'a' + 'A');
    if (strcmp (upper, pk_hex) != 0)
        load_text_fails (with_keys (t, upper, sk_hex),
                         "@:2: public-key: expected 64 lowercase hex digits");
    load_text_fails (with_keys (t, "abcd", sk_hex),
                     "@:2: public-key: expected 64 lowercase hex digits");
    load_text_fails (with_keys (t, pk_hex, "00"),
                     "@:3: secret-key: expected 64 lowercase hex digits");
    char longhex[70];
    snprintf (longhex, sizeof (longhex), "%s00", sk_hex);
    load_text_fails (with_keys (t, pk_hex, longhex),
                     "@:3: secret-key: expected 64 lowercase hex digits");
    char nothex[65];
    strcpy (nothex, sk_hex);
    nothex[10] = 'g';
    load_text_fails (with_keys (t, pk_hex, nothex),
                     "@:3: secret-key: expected 64 lowercase hex digits");
    /* a public key that is not the secret key's */
    load_text_fails (with_keys (t, other_pk_hex, sk_hex),
                     "@:2: public-key does not match secret-key");
    /* bad names */
    snprintf (t, sizeof (t), "%s%sname = \"a b\"\n", pkl, skl);
    load_text_fails (with_keys (t, pk_hex, sk_hex),
                     "@:3: name: must be 1-63 characters of [A-Za-z0-9._-]");
    snprintf (t, sizeof (t), "%s%sname = \"\"\n", pkl, skl);
    load_text_fails (with_keys (t, pk_hex, sk_hex),
                     "@:3: name: must be 1-63 characters of [A-Za-z0-9._-]");
}
END_TEST

START_TEST (test_syntax_errors)
{
    make_keys ();
    load_text_fails ("name \"a\"\n", "@:1: expected: key = \"value\"");
    load_text_fails ("# c\n= \"a\"\n", "@:2: expected: key = \"value\"");
    load_text_fails ("name.x = \"a\"\n", "@:1: expected: key = \"value\"");
    load_text_fails ("name = a\n", "@:1: value must be a double-quoted string");
    load_text_fails ("name = 'a'\n", "@:1: value must be a double-quoted string");
    load_text_fails ("name =\n", "@:1: value must be a double-quoted string");
    load_text_fails ("name = \"a\n", "@:1: unterminated string or text after the closing quote");
    load_text_fails ("name = \"\n", "@:1: unterminated string or text after the closing quote");
    load_text_fails ("name = \"a\" # c\n",
                     "@:1: unterminated string or text after the closing quote");
    load_text_fails ("name = \"a\"b\"\n",
                     "@:1: quotes, backslashes and control characters are not allowed in a "
                     "value");
    load_text_fails ("name = \"a\\\"\n",
                     "@:1: quotes, backslashes and control characters are not allowed in a "
                     "value");
    load_text_fails ("name = \"a\"\r\n", "@:1: carriage return at end of line (DOS line ending?)");
    load_fails ("# x\n#\0y\n", 8, 0600, EINVAL, "@:2: NUL byte in file");
    /* the whole valid text, then a stray line */
    load_text_fails (with_keys ("name = \"a\"\npublic-key = \"{pk}\"\nsecret-key = \"{sk}\"\n"
                                "stray\n",
                                pk_hex, sk_hex),
                     "@:4: expected: key = \"value\"");
}
END_TEST

START_TEST (test_file_errors)
{
    struct fx_cert c;
    struct fx_error err = {{0}};
    char want[FX_ERROR_LEN + 128], *big;

    errno = 0;
    ck_assert_int_eq (fx_cert_load (&c, path_of ("absent"), &err), -1);
    ck_assert_int_eq (errno, ENOENT);
    snprintf (want, sizeof (want), "%s: No such file or directory", path_of ("absent"));
    ck_assert_str_eq (err.text, want);

    ck_assert_int_eq (mkdir (path_of ("dir"), 0700), 0);
    errno = 0;
    ck_assert_int_eq (fx_cert_load (&c, path_of ("dir"), &err), -1);
    ck_assert_int_eq (errno, EINVAL);
    snprintf (want, sizeof (want), "%s: certificate is not a regular file", path_of ("dir"));
    ck_assert_str_eq (err.text, want);

    ck_assert_ptr_nonnull ((big = malloc (FX_CERT_FILE_MAX + 2)));
    memset (big, '#', FX_CERT_FILE_MAX + 1);
    big[FX_CERT_FILE_MAX + 1] = '\0';
    load_fails (big, FX_CERT_FILE_MAX + 1, 0600, EFBIG, "@: certificate is larger than 4096 bytes");
    free (big);
    errno = 0;
    ck_assert_int_eq (fx_cert_load (NULL, path_of ("x"), NULL), -1);
    ck_assert_int_eq (errno, EINVAL);
}
END_TEST

START_TEST (test_fingerprint)
{
    struct fx_cert a, b;
    struct fx_error err = {{0}};
    char fa[FX_CERT_FINGERPRINT_SIZE], fa2[FX_CERT_FINGERPRINT_SIZE], fb[FX_CERT_FINGERPRINT_SIZE];
    char small[5] = "zzzz";

    ck_assert_int_eq (fx_cert_generate (&a, "a"), 0);
    ck_assert_int_eq (fx_cert_generate (&b, "a"), 0);
    fx_cert_fingerprint (&a, fa, sizeof (fa));
    ck_assert_uint_eq (strlen (fa), 16);
    ck_assert_uint_eq (strspn (fa, "0123456789abcdef"), 16);
    ck_assert_int_eq (fx_cert_write (&a, path_of ("f.cert"), &err), 0);
    ck_assert_int_eq (fx_cert_load (&b, path_of ("f.cert"), &err), 0);
    fx_cert_fingerprint (&b, fa2, sizeof (fa2));
    ck_assert_str_eq (fa, fa2); /* stable across write and load */
    ck_assert_int_eq (fx_cert_generate (&b, "a"), 0);
    fx_cert_fingerprint (&b, fb, sizeof (fb));
    ck_assert_str_ne (fa, fb);
    ck_assert_ptr_null (strstr (fa, "00000000")); /* not a copy of nothing */
    fx_cert_fingerprint (&a, small, sizeof (small));
    ck_assert_int_eq (strncmp (small, fa, 4), 0);
    ck_assert_uint_eq (strlen (small), 4);
    fx_cert_fingerprint (&a, small, 0); /* writes nothing */
}
END_TEST

START_TEST (test_clear)
{
    struct fx_cert a;
    static const struct fx_cert zero;

    ck_assert_int_eq (fx_cert_generate (&a, "a"), 0);
    fx_cert_clear (&a);
    ck_assert_mem_eq (&a, &zero, sizeof (a));
    fx_cert_clear (NULL);
}
END_TEST

static Suite *cert_suite (void)
{
    Suite *s = suite_create ("cert");
    const struct fx_check_case cases[] = {
        {"round_trip", test_round_trip},         {"auth_key", test_auth_key},
        {"generate_names", test_generate_names}, {"overwrite_refused", test_overwrite_refused},
        {"write_umask", test_write_umask},       {"mode_refused", test_mode_refused},
        {"lenient_layout", test_lenient_layout}, {"parse_errors", test_parse_errors},
        {"syntax_errors", test_syntax_errors},   {"file_errors", test_file_errors},
        {"fingerprint", test_fingerprint},       {"clear", test_clear},
    };
    const struct fx_check_fixtures fx = {.unchecked_setup = base_setup,
                                         .unchecked_teardown = base_teardown};

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), &fx);
    return s;
}

int main (void)
{
    return fx_check_main (cert_suite ());
}
