/* main.c - flux-jobd: not built yet (issue 6); a placeholder so that the tree builds. */
#include <stdio.h>

int main (void)
{
    fprintf (stderr, "flux-jobd: not implemented\n");
    return 1;
}
