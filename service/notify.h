/* Change notifications: the sender thread that reads the change sequence for every subscription
 * and POSTs Graph's notification bodies, with retries, backoff and lifecycle 'missed'. */
#ifndef LICENSINGD_NOTIFY_H
#define LICENSINGD_NOTIFY_H

#include <jansson.h>

#include "db/subscriptions.h"
#include "service/base/config.h"

struct notify_sender;

/* Starts the sender (its own database connection, reconnecting with backoff); NULL when the
 * thread cannot be created. */
struct notify_sender *notify_start(const struct config *cfg);
void notify_stop(struct notify_sender *sender);

/* Graph's changeNotification for one change of s (NULL when s does not want it: its changeType
 * list lacks the change's type). Pure; exposed for the unit tests. Caller owns the result. */
json_t *notify_item(const struct db_subscription *s, const struct db_change *c, const char *tenant);

/* Graph's lifecycle notification body for s ("missed", "subscriptionRemoved", ...). */
json_t *notify_lifecycle_body(const struct db_subscription *s, const char *event,
                              const char *tenant);

/* The retry delay after `attempts` failed attempts: base doubled per attempt, capped at 15 min. */
long notify_backoff_ms(unsigned base_ms, int attempts);

#endif
