/* Readiness: one connection of its own, pinged with a short bound, so /readyz reports a frozen or
 * unreachable database within a second or two whatever the request pool is doing. */
#ifndef LICENSINGD_DB_PROBE_H
#define LICENSINGD_DB_PROBE_H

#include "service/base/error.h"

struct db_probe;

/* No connection is made yet; NULL when out of memory. wait_ms bounds each connect and ping. */
struct db_probe *db_probe_open(const char *conninfo, unsigned wait_ms);
void db_probe_close(struct db_probe *probe);

/* 0 when the database answered a ping, else -1 with err (LIC_ERR_UNAVAILABLE). A caller arriving
 * while a check runs shares its verdict. The ping and any reconnect share one budget of wait_ms,
 * set as the calling thread's deadline (db_set_deadline) and cleared afterwards. */
int db_probe_check(struct db_probe *probe, struct lic_error *err);

#endif
