/* When a run saves: latest_* at every save_epoch_freq epochs, at the end, when stopping, and
 * at least every LATEST_SAVE_SECONDS (short epochs would otherwise rewrite the files
 * constantly); <epoch>_net_* every save_epoch_freq epochs; a run stopped inside an epoch saves
 * where it stopped, to resume from there; --save-latest-freq saves latest_* (and with
 * --save-by-iter iter_<step>_net_*) every so many steps besides. With --save-pth each save
 * also writes G and D (and G's average) as the reference's .pth files of the same names. */
#include <inttypes.h>
#include <stdio.h>

#include "app/common/progress.h"
#include "app/model/pth_save.h"
#include "app/train/train_ckpt.h"
#include "app/train/train_session.h"

#define LATEST_SAVE_SECONDS 600.0

/* TAG_net_G.pth, TAG_net_D.pth and with --ema-decay TAG_net_G_ema.pth. 0 or -1 (reported). */
static int save_pth(train_session *s, const char *tag)
{
    const net *nets[3] = {&s->t.G, &s->t.D, &s->t.G_ema};
    static const char *const names[3] = {"G", "D", "G_ema"};
    for (int k = 0; k < 3 && nets[k]->n; k++) {
        char path[4400], err[4600];
        snprintf(path, sizeof path, "%s/%s_net_%s.pth", s->dir, tag, names[k]);
        if (pth_save_net(nets[k], s->t.plan, path, err, sizeof err)) {
            fprintf(stderr, "pix2pix train: %s\n", err); /* it names the file */
            return -1;
        }
    }
    return 0;
}

/* latest_* (resuming at iteration iter of the epoch, or at the next epoch when complete) and
 * the copy copy_tag_net_* unless NULL. 0 or -1 (reported). */
static int save(train_session *s, int iter, int complete, const char *copy_tag)
{
    int status = train_ckpt_save(s->c, &s->t, s->dir, s->epoch, iter, complete, copy_tag);
    if (!status && s->c->save_pth)
        status = save_pth(s, "latest") || (copy_tag && save_pth(s, copy_tag));
    s->last_save = now_seconds();
    return status ? -1 : 0;
}

int train_save(train_session *s, int iter)
{
    const train_config *c = s->c;
    if (iter < s->iters)
        return save(s, iter, 0, NULL);
    int numbered = s->epoch % c->save_epoch_freq == 0;
    if (!numbered && !s->stopped && s->epoch != s->epochs &&
        now_seconds() - s->last_save < LATEST_SAVE_SECONDS)
        return 0;
    char tag[16];
    snprintf(tag, sizeof tag, "%d", s->epoch);
    return save(s, s->iters, 1, numbered ? tag : NULL);
}

int train_save_latest(train_session *s, int iter)
{
    char tag[32];
    snprintf(tag, sizeof tag, "iter_%" PRId64, eng_adam_steps(s->t.opt_g));
    return save(s, iter, iter == s->iters, s->c->save_by_iter ? tag : NULL);
}
