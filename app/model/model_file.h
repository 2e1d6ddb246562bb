/* Model files, whatever their format: safetensors (ours, or converted), or a PyTorch state_dict
 * saved by torch.save (a .pth file: zip or legacy format), told apart by their first bytes,
 * whatever their name. Every command that takes a model file opens it here. */
#ifndef APP_MODEL_FILE_H
#define APP_MODEL_FILE_H

#include <stddef.h>

#include "engine/safetensors.h"

/* The file's tensors; NULL with "path: reason" in eng_last_error(), as st_open. */
st_file *model_file_open(const char *path);

#endif
