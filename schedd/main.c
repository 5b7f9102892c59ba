/* main.c - flux-schedd: not built yet (issue 6); a placeholder so that the tree builds. */
#include <stdio.h>

int main (void)
{
    fprintf (stderr, "flux-schedd: not implemented\n");
    return 1;
}
