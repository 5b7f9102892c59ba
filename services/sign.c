/* sign.c - signed job requests: J = HEADER.PAYLOAD.SIGNATURE (doc/job.md "Signing").
 *
 * Wrapping and unwrapping talk to munged through libmunge (blocking); hashing and base64url
 * come from libsodium.  Commands call fx_sign_wrap()/fx_sign_unwrap() directly.  A daemon
 * uses fx_signer: a pool of at most `workers` threads, started as the queue needs them, that
 * run fx_sign_unwrap() on queued requests and hand each result back to the loop thread
 * through an ev_async, where the caller's callback runs.  MUNGE's replay and expiry
 * verdicts are not final here: a replayed credential is accepted (the IMP verifies what
 * jobd verified) and the age is checked against our own max_ttl.  Every failure is -1 with
 * errno and one line in the error struct; nothing is logged.
 */
#include <errno.h>
#include <munge.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "services/auth.h"
#include "services/fsd.h"
#include "services/sign.h"

#define B64_VARIANT   sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define SIGN_J_MAX    (16u * 1024 * 1024) /* bytes of J we look at */
#define DIGEST_LEN    crypto_hash_sha256_BYTES
#define HEADER_FORMAT "{\"version\":1,\"mechanism\":\"munge\",\"userid\":%lu}"

static const char *socket_path (const char *munge_socket)
{
    return munge_socket ? munge_socket : fx_auth_socket ();
}

static munge_ctx_t ctx_create (const char *munge_socket, struct fx_error *err)
{
    const char *path = socket_path (munge_socket);
    munge_ctx_t ctx = munge_ctx_create ();

    if (ctx && path && munge_ctx_set (ctx, MUNGE_OPT_SOCKET, path) != EMUNGE_SUCCESS) {
        munge_ctx_destroy (ctx);
        ctx = NULL;
    }
    if (!ctx) {
        errno = ENOMEM;
        errprintf (err, "munge: cannot create context");
    }
    return ctx;
}

/* base64url of len bytes of data, a new string (NULL with ENOMEM). */
static char *b64_encode (const void *data, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN (len, B64_VARIANT);
    char *s = malloc (n);

    if (s)
        sodium_bin2base64 (s, n, data, len, B64_VARIANT);
    else
        errno = ENOMEM;
    return s;
}

/* Decode b64len characters of base64url into a new NUL-terminated buffer.  NULL with EINVAL
 * or ENOMEM. */
static char *b64_decode (const char *b64, size_t b64len, size_t *len)
{
    size_t max = b64len / 4 * 3 + 3;
    const char *end;
    char *buf;

    if (!(buf = malloc (max + 1))) {
        errno = ENOMEM;
        return NULL;
    }
    if (sodium_base642bin ((unsigned char *) buf, max, b64, b64len, NULL, len, &end, B64_VARIANT)
            != 0
        || end != b64 + b64len) {
        free (buf);
        errno = EINVAL;
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

static void digest (const char *text, size_t len, unsigned char out[DIGEST_LEN])
{
    crypto_hash_sha256 (out, (const unsigned char *) text, len);
}

char *fx_sign_wrap (const void *payload, size_t len, const char *munge_socket, struct fx_error *err)
{
    char header[96], *h = NULL, *p = NULL, *hp = NULL, *cred = NULL, *J = NULL;
    unsigned char d[DIGEST_LEN];
    munge_ctx_t ctx = NULL;
    munge_err_t e;

    if (sodium_init () < 0) {
        errno = ENOMEM;
        errprintf (err, "libsodium: cannot initialize");
        return NULL;
    }
    snprintf (header, sizeof (header), HEADER_FORMAT, (unsigned long) getuid ());
    if (!(h = b64_encode (header, strlen (header))) || !(p = b64_encode (payload, len))
        || asprintf (&hp, "%s.%s", h, p) < 0) {
        hp = NULL;
        errno = ENOMEM;
        errprintf (err, "out of memory");
        goto done;
    }
    digest (hp, strlen (hp), d);
    if (!(ctx = ctx_create (munge_socket, err)))
        goto done;
    if ((e = munge_encode (&cred, ctx, d, sizeof (d))) != EMUNGE_SUCCESS) {
        errprintf (err, "munge: %s", munge_ctx_strerror (ctx));
        errno = e == EMUNGE_SOCKET ? EIO : EPERM;
        cred = NULL;
        goto done;
    }
    if (asprintf (&J, "%s.%s", hp, cred) < 0) {
        J = NULL;
        errno = ENOMEM;
        errprintf (err, "out of memory");
    }
done:
    if (ctx)
        munge_ctx_destroy (ctx);
    free (cred);
    free (hp);
    free (p);
    free (h);
    return J;
}

/* The header's userid, checked: version 1, mechanism munge, no other keys. */
static int decode_header (const char *b64, size_t b64len, uint32_t *userid, struct fx_error *err)
{
    json_int_t version, uid;
    const char *mech;
    json_t *o = NULL;
    size_t len;
    char *text;
    int rc = -1;

    if (!(text = b64_decode (b64, b64len, &len)))
        return errprintf (err, "J: header is not base64url");
    if (!(o = json_loadb (text, len, JSON_REJECT_DUPLICATES, NULL))
        || json_unpack (o, "{s:I s:s s:I !}", "version", &version, "mechanism", &mech, "userid",
                        &uid)
               < 0) {
        errprintf (err, "J: header is not {\"version\",\"mechanism\",\"userid\"}");
        goto done;
    }
    if (version != 1)
        errprintf (err, "J: header version %lld is not 1", (long long) version);
    else if (strcmp (mech, "munge") != 0)
        errprintf (err, "J: mechanism %.32s is not munge", mech);
    else if (uid < 0 || uid >= UINT32_MAX)
        errprintf (err, "J: header userid %lld is out of range", (long long) uid);
    else {
        *userid = (uint32_t) uid;
        rc = 0;
    }
done:
    json_decref (o);
    free (text);
    errno = EINVAL;
    return rc;
}

/* MUNGE's verdict: refusals that are ours to judge (replay, expiry) pass. */
static int munge_verdict (munge_err_t e, munge_ctx_t ctx, struct fx_error *err)
{
    if (e == EMUNGE_SUCCESS || e == EMUNGE_CRED_REPLAYED || e == EMUNGE_CRED_EXPIRED)
        return 0;
    errprintf (err, "munge: %s", munge_ctx_strerror (ctx));
    errno = e == EMUNGE_SOCKET ? EIO : e == EMUNGE_NO_MEMORY ? ENOMEM : EPERM;
    return -1;
}

static int check_age (munge_ctx_t ctx, int64_t max_ttl, struct fx_error *err)
{
    char age_s[FX_FSD_STRLEN], ttl_s[FX_FSD_STRLEN];
    time_t encoded = 0, now = time (NULL);

    if (munge_ctx_get (ctx, MUNGE_OPT_ENCODE_TIME, &encoded) != EMUNGE_SUCCESS) {
        errno = EPERM;
        return errprintf (err, "munge: cannot read the encode time");
    }
    if ((int64_t) now - (int64_t) encoded < max_ttl)
        return 0;
    if (fx_fsd_format (age_s, sizeof (age_s), (double) (now - encoded)) < 0)
        snprintf (age_s, sizeof (age_s), "%llds", (long long) (now - encoded));
    if (fx_fsd_format (ttl_s, sizeof (ttl_s), (double) max_ttl) < 0)
        snprintf (ttl_s, sizeof (ttl_s), "%llds", (long long) max_ttl);
    errno = EKEYEXPIRED;
    return errprintf (err, "signature expired (encoded %s ago, sign.max-ttl is %s)", age_s, ttl_s);
}

/* Check the credential sig against the digest of hp (hplen bytes) and the header's uid. */
static int verify_cred (const char *sig, const char *hp, size_t hplen, uint32_t userid,
                        int64_t max_ttl, const char *munge_socket, struct fx_error *err)
{
    unsigned char d[DIGEST_LEN];
    munge_ctx_t ctx;
    void *buf = NULL;
    int buflen = 0, rc = -1;
    uid_t uid;
    gid_t gid;

    if (!(ctx = ctx_create (munge_socket, err)))
        return -1;
    if (munge_verdict (munge_decode (sig, ctx, &buf, &buflen, &uid, &gid), ctx, err) < 0)
        goto done;
    digest (hp, hplen, d);
    errno = EINVAL;
    if (buflen != DIGEST_LEN || sodium_memcmp (buf, d, DIGEST_LEN) != 0)
        errprintf (err, "J: signature does not match the header and payload");
    else if ((uint32_t) uid != userid)
        errprintf (err, "J: signed by uid %lu, header says userid %lu", (unsigned long) uid,
                   (unsigned long) userid);
    else
        rc = check_age (ctx, max_ttl, err);
done:
    free (buf);
    munge_ctx_destroy (ctx);
    return rc;
}

int fx_sign_unwrap (const char *J, int64_t max_ttl, const char *munge_socket, uint32_t *userid,
                    char **payload, size_t *len, struct fx_error *err)
{
    const char *dot1, *dot2;
    uint32_t uid = 0;
    size_t plen;
    char *p;

    errno = EINVAL;
    if (!J || strnlen (J, SIGN_J_MAX + 1) > SIGN_J_MAX)
        return errprintf (err, "J: missing or longer than %u bytes", SIGN_J_MAX);
    if (!(dot1 = strchr (J, '.')) || !(dot2 = strchr (dot1 + 1, '.')) || !dot2[1])
        return errprintf (err, "J: not HEADER.PAYLOAD.SIGNATURE");
    if (sodium_init () < 0) {
        errno = ENOMEM;
        return errprintf (err, "libsodium: cannot initialize");
    }
    if (decode_header (J, (size_t) (dot1 - J), &uid, err) < 0)
        return -1;
    if (!(p = b64_decode (dot1 + 1, (size_t) (dot2 - dot1 - 1), &plen)))
        return errprintf (err, errno == ENOMEM ? "out of memory" : "J: payload is not base64url");
    if (verify_cred (dot2 + 1, J, (size_t) (dot2 - J), uid, max_ttl, munge_socket, err) < 0) {
        free (p);
        return -1;
    }
    *userid = uid;
    *payload = p;
    *len = plen;
    return 0;
}

/* The asynchronous pool */

struct job {
    char *J;
    fx_sign_f cb;
    void *arg;
    int64_t max_ttl;
    int rc, errnum;
    uint32_t userid;
    char *payload;
    size_t len;
    struct fx_error err;
    struct job *next;
};

struct queue {
    struct job *head, *tail;
};

struct fx_signer {
    struct ev_loop *loop;
    ev_async async_w;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t *threads;          /* nthreads of them, at most workers */
    int workers, nthreads, idle; /* threads started, those waiting for work */
    int ntodo;                   /* requests in todo */
    int stopping;
    int64_t max_ttl;
    char *socket;
    struct queue todo; /* protected by lock */
    struct queue done; /* protected by lock */
};

static void queue_push (struct queue *q, struct job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

static struct job *queue_pop (struct queue *q)
{
    struct job *j = q->head;

    if (j && !(q->head = j->next))
        q->tail = NULL;
    return j;
}

static void job_destroy (struct job *j)
{
    if (j) {
        free (j->J);
        free (j->payload);
        free (j);
    }
}

static void queue_free (struct queue *q)
{
    struct job *j;

    while ((j = queue_pop (q)))
        job_destroy (j);
}

static void *worker_main (void *arg)
{
    struct fx_signer *s = arg;
    struct job *j;

    pthread_mutex_lock (&s->lock);
    for (;;) {
        s->idle++;
        while (!s->todo.head && !s->stopping)
            pthread_cond_wait (&s->cond, &s->lock);
        s->idle--;
        if (s->stopping)
            break;
        j = queue_pop (&s->todo);
        s->ntodo--;
        j->max_ttl = s->max_ttl;
        pthread_mutex_unlock (&s->lock);
        j->rc =
            fx_sign_unwrap (j->J, j->max_ttl, s->socket, &j->userid, &j->payload, &j->len, &j->err);
        j->errnum = j->rc < 0 ? errno : 0;
        pthread_mutex_lock (&s->lock);
        queue_push (&s->done, j);
        ev_async_send (s->loop, &s->async_w);
    }
    pthread_mutex_unlock (&s->lock);
    return NULL;
}

/* Deliver finished requests one at a time, in the loop thread; the callback owns payload. */
static void async_cb (struct ev_loop *loop, ev_async *w, int revents)
{
    struct fx_signer *s = w->data;
    struct job *j;

    (void) loop;
    (void) revents;
    for (;;) {
        pthread_mutex_lock (&s->lock);
        j = queue_pop (&s->done);
        pthread_mutex_unlock (&s->lock);
        if (!j)
            break;
        errno = j->errnum;
        j->cb (j->rc, j->userid, j->payload, j->len, &j->err, j->arg);
        j->payload = NULL;
        job_destroy (j);
    }
}

struct fx_signer *fx_signer_create (struct ev_loop *loop, int workers, int64_t max_ttl,
                                    const char *munge_socket)
{
    struct fx_signer *s;

    if (!loop || workers < 1) {
        errno = EINVAL;
        return NULL;
    }
    if (!(s = calloc (1, sizeof (*s))) || !(s->threads = calloc (workers, sizeof (pthread_t)))
        || (munge_socket && !(s->socket = strdup (munge_socket)))) {
        if (s)
            free (s->threads);
        free (s);
        errno = ENOMEM;
        return NULL;
    }
    s->loop = loop;
    s->workers = workers;
    s->max_ttl = max_ttl;
    pthread_mutex_init (&s->lock, NULL);
    pthread_cond_init (&s->cond, NULL);
    ev_async_init (&s->async_w, async_cb);
    s->async_w.data = s;
    ev_async_start (loop, &s->async_w);
    return s;
}

void fx_signer_destroy (struct fx_signer *s)
{
    if (!s)
        return;
    pthread_mutex_lock (&s->lock);
    s->stopping = 1;
    pthread_cond_broadcast (&s->cond);
    pthread_mutex_unlock (&s->lock);
    for (int i = 0; i < s->nthreads; i++)
        pthread_join (s->threads[i], NULL);
    ev_async_stop (s->loop, &s->async_w);
    queue_free (&s->todo);
    queue_free (&s->done);
    pthread_mutex_destroy (&s->lock);
    pthread_cond_destroy (&s->cond);
    free (s->threads);
    free (s->socket);
    free (s);
}

/* Called with the lock held: start one more worker when none is idle and the pool allows. */
static int grow (struct fx_signer *s)
{
    int e;

    if (s->ntodo < s->idle || s->nthreads >= s->workers)
        return 0;
    if ((e = pthread_create (&s->threads[s->nthreads], NULL, worker_main, s)) != 0) {
        errno = e;
        return s->nthreads > 0 ? 0 : -1; /* the existing workers will get to it */
    }
    s->nthreads++;
    return 0;
}

int fx_signer_unwrap (struct fx_signer *s, const char *J, fx_sign_f cb, void *arg)
{
    struct job *j;

    if (!s || !J || !cb) {
        errno = EINVAL;
        return -1;
    }
    if (!(j = calloc (1, sizeof (*j))) || !(j->J = strdup (J))) {
        free (j);
        errno = ENOMEM;
        return -1;
    }
    j->cb = cb;
    j->arg = arg;
    pthread_mutex_lock (&s->lock);
    if (grow (s) < 0) {
        pthread_mutex_unlock (&s->lock);
        job_destroy (j);
        return -1;
    }
    queue_push (&s->todo, j);
    s->ntodo++;
    pthread_cond_signal (&s->cond);
    pthread_mutex_unlock (&s->lock);
    return 0;
}

void fx_signer_set_max_ttl (struct fx_signer *s, int64_t max_ttl)
{
    pthread_mutex_lock (&s->lock);
    s->max_ttl = max_ttl;
    pthread_mutex_unlock (&s->lock);
}
