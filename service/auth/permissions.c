/* Graph's permissions: one table of names and what each includes (Microsoft Graph permissions
 * reference: the "higher privileged" permissions each API lists besides its least one). */
#include "service/auth/permissions.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    perm_set includes; /* directly; permissions_closure follows the chain */
} table[PERM_COUNT] = {
    [PERM_USER_READ_ALL] = {"User.Read.All", 0},
    [PERM_USER_READWRITE_ALL] = {"User.ReadWrite.All", PERM_BIT(PERM_USER_READ_ALL)},
    [PERM_GROUP_READ_ALL] = {"Group.Read.All", PERM_BIT(PERM_GROUPMEMBER_READ_ALL)},
    [PERM_GROUP_READWRITE_ALL] = {"Group.ReadWrite.All",
                                  PERM_BIT(PERM_GROUP_READ_ALL) |
                                      PERM_BIT(PERM_GROUPMEMBER_READWRITE_ALL)},
    [PERM_GROUPMEMBER_READ_ALL] = {"GroupMember.Read.All", 0},
    [PERM_GROUPMEMBER_READWRITE_ALL] = {"GroupMember.ReadWrite.All",
                                        PERM_BIT(PERM_GROUPMEMBER_READ_ALL)},
    [PERM_DIRECTORY_READ_ALL] = {"Directory.Read.All",
                                 PERM_BIT(PERM_USER_READ_ALL) | PERM_BIT(PERM_GROUP_READ_ALL) |
                                     PERM_BIT(PERM_ORGANIZATION_READ_ALL) |
                                     PERM_BIT(PERM_LICENSEASSIGNMENT_READ_ALL)},
    /* Organization.ReadWrite.All stays separate: Graph lists only it for organization updates. */
    [PERM_DIRECTORY_READWRITE_ALL] = {"Directory.ReadWrite.All",
                                      PERM_BIT(PERM_DIRECTORY_READ_ALL) |
                                          PERM_BIT(PERM_USER_READWRITE_ALL) |
                                          PERM_BIT(PERM_GROUP_READWRITE_ALL) |
                                          PERM_BIT(PERM_LICENSEASSIGNMENT_READWRITE_ALL)},
    [PERM_ORGANIZATION_READ_ALL] = {"Organization.Read.All", 0},
    [PERM_ORGANIZATION_READWRITE_ALL] = {"Organization.ReadWrite.All",
                                         PERM_BIT(PERM_ORGANIZATION_READ_ALL)},
    [PERM_LICENSEASSIGNMENT_READ_ALL] = {"LicenseAssignment.Read.All", 0},
    [PERM_LICENSEASSIGNMENT_READWRITE_ALL] = {"LicenseAssignment.ReadWrite.All",
                                              PERM_BIT(PERM_LICENSEASSIGNMENT_READ_ALL)},
    [PERM_AUDITLOG_READ_ALL] = {"AuditLog.Read.All", 0},
};

const char *permission_name(enum permission p)
{
    return (unsigned)p < PERM_COUNT ? table[p].name : "?";
}

int permission_from_name(const char *name, size_t len, enum permission *out)
{
    for (int p = 0; p < PERM_COUNT; p++) {
        if (strlen(table[p].name) == len && strncasecmp(table[p].name, name, len) == 0) {
            *out = (enum permission)p;
            return 0;
        }
    }
    return -1;
}

/* Calls back for each space-separated word; stops at the first nonzero return. */
static int each_word(const char *text, int (*fn)(const char *w, size_t len, void *ctx), void *ctx)
{
    for (const char *s = text ? text : ""; *s;) {
        s += strspn(s, " ");
        size_t len = strcspn(s, " ");
        if (len > 0) {
            int rc = fn(s, len, ctx);
            if (rc != 0)
                return rc;
        }
        s += len;
    }
    return 0;
}

static int add_known(const char *w, size_t len, void *ctx)
{
    enum permission p;
    if (permission_from_name(w, len, &p) == 0)
        *(perm_set *)ctx |= PERM_BIT(p);
    return 0;
}

perm_set permissions_from_list(const char *text)
{
    perm_set set = 0;
    (void)each_word(text, add_known, &set);
    return set;
}

struct strict {
    perm_set set;
    char *bad;
    size_t bad_size;
};

static int add_strict(const char *w, size_t len, void *ctx)
{
    struct strict *st = ctx;
    enum permission p;
    if (permission_from_name(w, len, &p) != 0) {
        snprintf(st->bad, st->bad_size, "%.*s", (int)len, w);
        return -1;
    }
    st->set |= PERM_BIT(p);
    return 0;
}

int permissions_parse_strict(const char *text, perm_set *out, char *bad, size_t bad_size)
{
    struct strict st = {0, bad, bad_size};
    if (each_word(text, add_strict, &st) != 0)
        return -1;
    *out = st.set;
    return 0;
}

perm_set permissions_closure(perm_set granted)
{
    perm_set set = granted & PERM_ALL, before;
    do {
        before = set;
        for (int p = 0; p < PERM_COUNT; p++)
            if (set & PERM_BIT(p))
                set |= table[p].includes;
    } while (set != before);
    return set;
}

int permissions_satisfy(perm_set granted, perm_set any_of)
{
    return (permissions_closure(granted) & any_of) != 0;
}

void permissions_format(perm_set set, char *out, size_t size)
{
    size_t used = 0;
    if (size > 0)
        out[0] = '\0';
    for (int p = 0; p < PERM_COUNT && used < size; p++) {
        if ((set & PERM_BIT(p)) == 0)
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? " " : "", table[p].name);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}
