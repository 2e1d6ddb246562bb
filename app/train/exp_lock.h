/* One trainer per experiment: an exclusive flock on CKDIR/NAME/.train.lock held for the
 * whole run. The kernel drops it when the process ends, however it ends, so a lock left by a
 * killed run never blocks; the file only records the holder's pid for the message. */
#ifndef APP_EXP_LOCK_H
#define APP_EXP_LOCK_H

#include <stddef.h>

#define EXP_LOCK_FILE ".train.lock" /* in the experiment folder */

/* Takes the lock of dir without waiting. Returns the lock's descriptor, or -1 with a reason
 * (naming the pid that holds it when another process does). */
int exp_lock_take(const char *dir, char *err, size_t errlen);
void exp_lock_release(int fd);

#endif
