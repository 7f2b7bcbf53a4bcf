/* licensingd: the command line; each subcommand hands over to its module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service/catalog.h"
#include "service/base/config.h"
#include "service/base/log.h"
#include "service/cmd/identity.h"
#include "service/cmd/serve.h"

#ifndef LICENSINGD_VERSION
#define LICENSINGD_VERSION "0.0.0-dev"
#endif

static void usage(FILE *out)
{
    /* One write of the whole text: a reader that stops early (`licensingd --help | grep -q x`)
     * must not leave us with a broken pipe in the middle of it. */
    static char whole[16384];
    setvbuf(out, whole, _IOFBF, sizeof(whole));
    fprintf(out,
            "licensingd %s - group-based license assignment with a Microsoft Graph API\n\n"
            "Usage: licensingd COMMAND [OPTIONS]\n\n"
            "Commands:\n"
            "  serve        apply pending migrations, then serve HTTP until SIGTERM/SIGINT\n"
            "  migrate      apply pending migrations and exit\n"
            "  import-catalog FILE.csv | --rules FILE.json\n"
            "               import Microsoft's product/service-plan CSV, or plan rules\n"
            "  load-demo    load the demo organization, catalog and directory (idempotent)\n"
            "  init-organization --name NAME --country CC --domain D [--domain D2 ...]\n"
            "               create or update the organization of this deployment (idempotent)\n"
            "  token --scopes \"P ...\" | --roles \"P ...\" [--ttl S] [--sub ID] [--upn UPN]\n"
            "               print an HS256 bearer token signed with LICENSINGD_JWT_SECRET\n"
            "  --help       this text\n"
            "  --version    the version\n\n"
            "%s",
            LICENSINGD_VERSION, config_usage());
}

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("licensingd %s\n", LICENSINGD_VERSION);
        return 0;
    }

    /* identity: these commands read their own options, then the configuration's. */
    if (strcmp(cmd, "token") == 0)
        return token_command(argc - 2, argv + 2, env_lookup);
    if (strcmp(cmd, "init-organization") == 0)
        return init_organization_command(argc - 2, argv + 2, env_lookup);

    /* catalog: import-catalog takes `--rules` and one file name besides the options. */
    int rules = 0;
    const char *import_path = NULL;
    if (strcmp(cmd, "import-catalog") == 0) {
        int kept = 2;
        for (int a = 2; a < argc; a++) {
            if (strcmp(argv[a], "--rules") == 0) {
                rules = 1;
            } else if (strncmp(argv[a], "--", 2) == 0) {
                argv[kept++] = argv[a];
                if (strchr(argv[a], '=') == NULL && a + 1 < argc)
                    argv[kept++] = argv[++a]; /* the option's value */
            } else if (import_path == NULL) {
                import_path = argv[a];
            } else {
                fprintf(stderr, "licensingd: import-catalog takes one file\n");
                return 2;
            }
        }
        argc = kept;
    }
    /* end catalog */

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct config cfg;
    config_defaults(&cfg, cores > 0 ? (unsigned)cores : 1);
    char err[512];
    if (config_load(&cfg, env_lookup, argc - 2, argv + 2, err, sizeof(err)) != 0) {
        fprintf(stderr, "licensingd: %s\n", err);
        return 2;
    }
    log_set_level(cfg.log_level);

    if (strcmp(cmd, "serve") == 0)
        return server_run(&cfg);
    if (strcmp(cmd, "migrate") == 0)
        return server_migrate(&cfg);
    if (strcmp(cmd, "import-catalog") == 0) /* catalog */
        return catalog_import_command(&cfg, import_path, rules);
    if (strcmp(cmd, "load-demo") == 0) /* catalog */
        return catalog_demo_command(&cfg);
    fprintf(stderr, "licensingd: unknown command '%s' (see licensingd --help)\n", cmd);
    return 2;
}
