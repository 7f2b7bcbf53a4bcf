/* `licensingd init-organization --name NAME --country CC --domain D [--domain D2 ...]`: creates
 * or updates the deployment's one organization; running it again with the same values changes
 * nothing. Its subscribedSkus ids then read {organizationId}_{skuId}. */
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "service/cmd/identity.h"
#include "service/audit.h"
#include "service/directory.h"

/* Whoever ran the command, as the audit log names it. */
static const struct audit_actor command_actor = {.app_name = "licensingd init-organization"};

int init_organization_command(int argc, char **argv, config_getenv_fn getenv_fn)
{
    const char *domains[ORG_SETUP_MAX_DOMAINS];
    struct org_setup s = {.domains = domains};
    int kept = 0;
    for (int i = 0; i < argc; i++) {
        const char *flag = argv[i];
        int own = strcmp(flag, "--name") == 0 || strcmp(flag, "--country") == 0 ||
                  strcmp(flag, "--domain") == 0;
        if (!own) {
            argv[kept++] = argv[i];
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "licensingd init-organization: %s needs a value\n", flag);
            return 2;
        }
        const char *value = argv[++i];
        if (strcmp(flag, "--name") == 0) {
            s.name = value;
        } else if (strcmp(flag, "--country") == 0) {
            s.country = value;
        } else if (s.n_domains < ORG_SETUP_MAX_DOMAINS) {
            domains[s.n_domains++] = value;
        } else {
            fprintf(stderr, "licensingd init-organization: at most %d domains\n",
                    ORG_SETUP_MAX_DOMAINS);
            return 2;
        }
    }
    struct config cfg;
    config_defaults(&cfg, 1);
    char text[512];
    if (config_load(&cfg, getenv_fn, kept, argv, text, sizeof(text)) != 0) {
        fprintf(stderr, "licensingd init-organization: %s\n", text);
        return 2;
    }

    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = db_connect(cfg.database_url, &err);
    if (conn == NULL) {
        fprintf(stderr, "licensingd init-organization: cannot connect to the database: %s\n",
                err.message);
        return 1;
    }
    char id[GUID_SIZE] = "";
    int created = 0, changed = 0;
    int rc = organization_setup(conn, &s, &command_actor, id, &created, &changed, &err);
    db_disconnect(conn);
    if (rc != 0) {
        fprintf(stderr, "licensingd init-organization: %s\n", err.message);
        return err.kind == LIC_ERR_BAD_REQUEST ? 2 : 1;
    }
    printf("organization %s %s\n", id,
           created   ? "created"
           : changed ? "updated"
                     : "unchanged (already so)");
    return 0;
}
