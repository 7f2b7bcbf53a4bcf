/* A background thread's stop signal and its interruptible sleep: the thread naps between rounds
 * and a stop request wakes it at once (the audit retention, the notification sender). */
#ifndef LICENSINGD_BASE_STOPPER_H
#define LICENSINGD_BASE_STOPPER_H

#include <pthread.h>

struct stopper {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
};

void stopper_init(struct stopper *s);
/* Sleeps ms, or less if a stop is requested; 1 when stopping. */
int stopper_sleep(struct stopper *s, unsigned ms);
/* 1 once a stop was requested. */
int stopper_stopping(struct stopper *s);
/* Requests the stop and wakes the sleeper. */
void stopper_stop(struct stopper *s);
void stopper_destroy(struct stopper *s);

#endif
