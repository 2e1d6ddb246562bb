/* The memory a translation's plan may take (see translate_budget.h). */
#include "app/translate/translate_budget.h"

#include "app/common/resources.h"
#include "engine/engine.h"

double translate_memory_available(generator *r, double share)
{
    share = share > 0 ? share : 1.0;
    double avail = (double)eng_backend_memory_budget(r->be) * share;
    size_t cur = generator_current_bytes(r);
    if (cur)
        avail += (double)cur - (double)r->weight_bytes;
    double limit = (double)app_memory_limit() * share - (double)r->weight_bytes;
    return avail < limit ? avail : limit;
}
