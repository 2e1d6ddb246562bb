/* One header included the way a target includes it: compiled by tests/layering/CMakeLists.txt
 * with each target's include directories, to show which headers that target can reach. */
#include PROBE_HEADER

int layering_probe(void);
int layering_probe(void)
{
    return 0;
}
