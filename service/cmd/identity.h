/* The identity commands: `licensingd token` (a development token) and
 * `licensingd init-organization` (the deployment's one organization). Each reads its own options
 * and hands the rest to config_load. */
#ifndef LICENSINGD_CMD_IDENTITY_H
#define LICENSINGD_CMD_IDENTITY_H

#include "service/base/config.h"

/* argv holds the options after the command's name. Exit status: 0, 1 (failed), 2 (usage). */
int token_command(int argc, char **argv, config_getenv_fn getenv_fn);
int init_organization_command(int argc, char **argv, config_getenv_fn getenv_fn);

#endif
