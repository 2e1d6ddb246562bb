/* PyTorch state_dict files (torch.save of a dict of tensors, as .pth files are) read into the
 * same tensor table as a safetensors file, with nothing of PyTorch or Python at run time:
 *   - the zip format (PyTorch >= 1.6): NAME/data.pkl and NAME/data/KEY, read with libzip;
 *   - the legacy format (older files, and _use_new_zipfile_serialization=False): the magic
 *     number, protocol version and system info pickles, the state_dict's pickle, the list of
 *     storage keys, then each storage's element count and bytes.
 * The pickles go through a restricted unpickler (pickle.h) that runs nothing. Floating-point
 * tensors (fp32, fp16, bf16, fp64) come out as F32, integer ones (num_batches_tracked) as they
 * are; storages shared between tensors and offset views are followed, strides that are not
 * contiguous are refused. Keys keep their names, except that a "module." prefix on every key
 * (a model wrapped in nn.DataParallel when saved) is dropped. A dict holding the state_dict
 * under "state_dict" is read too. The table has no metadata. */
#ifndef ENGINE_PTH_PTH_H
#define ENGINE_PTH_PTH_H

#include <stddef.h>
#include <stdint.h>

#include "engine/safetensors.h"

/* 1 when a file starting with these bytes (PTH_PROBE_BYTES of them, or the whole file when
 * shorter) is a torch.save file of either format. */
#define PTH_PROBE_BYTES 32
int pth_probe(const uint8_t *head, size_t n);
/* Reads a file's bytes; NULL with a one-line reason in eng_last_error() (refusals start with
 * "refused: "). */
st_file *pth_parse(const uint8_t *buf, size_t size);
/* Same for a file: reasons are "path: reason". */
st_file *pth_open(const char *path);

#endif
