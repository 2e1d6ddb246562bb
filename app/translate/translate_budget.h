/* The memory a translation's plan may take, shared by the choice of tiles (translate.c) and
 * of where an exact U-Net is cut (translate_exact.c). */
#ifndef APP_TRANSLATE_BUDGET_H
#define APP_TRANSLATE_BUDGET_H

#include "app/model/generator.h"

/* The memory a new plan may take: the backend's budget (this translation's share of it: 0 or
 * 1 for all), with the current plan, which makes way for it (less the weights, which wait in
 * memory meanwhile); and no more than the memory this process may use (app_memory_limit:
 * limits, cgroups). */
double translate_memory_available(generator *r, double share);
/* The plan sizes are estimates (generator_plan_bytes): a tenth is kept spare. */
#define TRANSLATE_BUDGET_MARGIN 1.1

#endif
