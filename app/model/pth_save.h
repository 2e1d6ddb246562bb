/* A network as a PyTorch state_dict file, as torch.save(net.state_dict(), PATH) writes it (the
 * zip format of PyTorch 1.6 and later), so that the reference's scripts and torch.load read
 * what pix2pix-vk trained: ARCHIVE/data.pkl, a pickle (protocol 2) of an OrderedDict of
 * torch._utils._rebuild_tensor_v2 calls on persistent storages; ARCHIVE/data/<k>, storage k's
 * little-endian bytes (fp32; int64 for num_batches_tracked, a 0-d tensor); ARCHIVE/version. */
#ifndef APP_MODEL_PTH_SAVE_H
#define APP_MODEL_PTH_SAVE_H

#include <stddef.h>

#include "app/model/networks.h"

/* Writes the network's tensors, read from p, to path (replaced atomically). 0, or -1 with a
 * reason naming the file. */
int pth_save_net(const net *n, eng_plan *p, const char *path, char *err, size_t errlen);

#endif
