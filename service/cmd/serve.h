/* The `serve` and `migrate` subcommands: process lifecycle around the HTTP server and the pool. */
#ifndef LICENSINGD_SERVER_H
#define LICENSINGD_SERVER_H

#include "service/base/config.h"

int server_run(const struct config *cfg);
int server_migrate(const struct config *cfg);

#endif
