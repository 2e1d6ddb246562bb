/* The tuner's result (vk_tune.c measures, vk_tune_save.c writes). */
#ifndef ENGINE_VULKAN_VK_TUNE_H
#define ENGINE_VULKAN_VK_TUNE_H

#include "engine/tune.h"
#include "engine/vulkan/vk_tune_file.h"

struct eng_tune {
    eng_tune_row *rows;
    vk_tune_record *best; /* per row: the fastest correct choice */
    int n;
};

#endif
