/* When a run saves: latest_* at every save_epoch_freq epochs, at the end, when stopping, and
 * at least every LATEST_SAVE_SECONDS (short epochs would otherwise rewrite the files
 * constantly); <epoch>_net_* every save_epoch_freq epochs; a run stopped inside an epoch saves
 * where it stopped, to resume from there; --save-latest-freq saves latest_* (and with
 * --save-by-iter iter_<step>_net_*) every so many steps besides. */
#include <inttypes.h>
#include <stdio.h>

#include "app/common/progress.h"
#include "app/train/train_ckpt.h"
#include "app/train/train_session.h"

#define LATEST_SAVE_SECONDS 600.0

int train_save(train_session *s, int iter)
{
    const train_config *c = s->c;
    if (iter < s->iters)
        return train_ckpt_save(c, &s->t, s->dir, s->epoch, iter, 0, NULL) ? -1 : 0;
    int numbered = s->epoch % c->save_epoch_freq == 0;
    if (!numbered && !s->stopped && s->epoch != s->epochs &&
        now_seconds() - s->last_save < LATEST_SAVE_SECONDS)
        return 0;
    char tag[16];
    snprintf(tag, sizeof tag, "%d", s->epoch);
    int status = train_ckpt_save(c, &s->t, s->dir, s->epoch, s->iters, 1, numbered ? tag : NULL);
    s->last_save = now_seconds();
    return status ? -1 : 0;
}

int train_save_latest(train_session *s, int iter)
{
    char tag[32];
    snprintf(tag, sizeof tag, "iter_%" PRId64, eng_adam_steps(s->t.opt_g));
    int status = train_ckpt_save(s->c, &s->t, s->dir, s->epoch, iter, iter == s->iters,
                                 s->c->save_by_iter ? tag : NULL);
    s->last_save = now_seconds();
    return status ? -1 : 0;
}
