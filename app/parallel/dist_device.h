/* The device of each rank of a job (mpirun -np N pix2pix train|translate). */
#ifndef APP_DIST_DEVICE_H
#define APP_DIST_DEVICE_H

#include <stddef.h>

/* With several ranks the default device ("auto") becomes, for local rank K of a machine,
 * vulkan:N for the K-th Vulkan GPU (discrete or integrated) where the machine has at least
 * as many as it has ranks, else the CPU; on the CPU, threads 0 splits the cores between the
 * local ranks. Other devices are kept. *device points to the spec (in buf when rewritten). */
void dist_device(const char *spec, int threads, const char **device, int *threads_out,
                 char *buf, size_t len);
/* The list index (vulkan:N) of this machine's k-th usable Vulkan GPU (discrete or integrated:
 * not a software device), or -1 when it has fewer than local_size of them. */
int dist_local_gpu(int k, int local_size);

#endif
