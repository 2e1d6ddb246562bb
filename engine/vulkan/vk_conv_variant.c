/* The conv kernels' pipeline variants (vk_internal.h): a tile slot and a kernel geometry. The
 * geometries get ids as the lowering first meets them, the same for the process (plans of
 * several devices may lower at once, hence the lock); past VK_CONV_GEOMETRIES - 1 of them a
 * conv takes the generic id 0, its geometry read from the push constants. */
#include <pthread.h>
#include <string.h>

#include "engine/vulkan/vk_internal.h"

static vk_conv_geometry geometries[VK_CONV_GEOMETRIES];
static uint32_t ngeometries = 1; /* [0]: the generic kernel */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

uint32_t vk_conv_variant(uint32_t tile_slot, const vk_conv_geometry *g)
{
    pthread_mutex_lock(&lock);
    uint32_t id = 1;
    while (id < ngeometries && memcmp(&geometries[id], g, sizeof *g))
        id++;
    if (id == ngeometries) {
        if (ngeometries < VK_CONV_GEOMETRIES)
            geometries[ngeometries++] = *g;
        else
            id = 0;
    }
    pthread_mutex_unlock(&lock);
    return id * VK_CONV_TILE_SLOTS + tile_slot;
}

uint32_t vk_conv_variant_tile(uint32_t variant) { return variant % VK_CONV_TILE_SLOTS; }

int vk_conv_variant_geometry(uint32_t variant, vk_conv_geometry *g)
{
    uint32_t id = variant / VK_CONV_TILE_SLOTS;
    pthread_mutex_lock(&lock);
    *g = id < ngeometries ? geometries[id] : geometries[0];
    pthread_mutex_unlock(&lock);
    return id > 0 && id < ngeometries;
}
