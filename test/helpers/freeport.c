/* freeport.c - print N tcp ports on 127.0.0.1 that are free right now (the kernel picks
 * them), for tests that must write ports into a configuration: never a fixed port.
 *
 *   freeport [N]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main (int argc, char **argv)
{
    int n = argc > 1 ? atoi (argv[1]) : 1;
    int fds[64];

    if (n < 1 || n > 64) {
        fprintf (stderr, "Usage: freeport [N (1-64)]\n");
        return 2;
    }
    /* Hold every socket until all are chosen, so the N ports differ. */
    for (int i = 0; i < n; i++) {
        struct sockaddr_in sin = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
        socklen_t len = sizeof (sin);
        if ((fds[i] = socket (AF_INET, SOCK_STREAM, 0)) < 0
            || bind (fds[i], (struct sockaddr *) &sin, sizeof (sin)) < 0
            || getsockname (fds[i], (struct sockaddr *) &sin, &len) < 0) {
            perror ("freeport");
            return 1;
        }
        printf ("%d\n", ntohs (sin.sin_port));
    }
    for (int i = 0; i < n; i++)
        close (fds[i]);
    return 0;
}
