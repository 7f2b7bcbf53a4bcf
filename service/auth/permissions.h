/* Graph's permission names, what a token grants (delegated scp, application roles), and which
 * grant satisfies which need: a broader permission includes the narrower ones as Graph documents.
 */
#ifndef LICENSINGD_AUTH_PERMISSIONS_H
#define LICENSINGD_AUTH_PERMISSIONS_H

#include <stddef.h>
#include <stdint.h>

/* One name each in the table of permissions.c. */
enum permission {
    PERM_USER_READ_ALL,
    PERM_USER_READWRITE_ALL,
    PERM_GROUP_READ_ALL,
    PERM_GROUP_READWRITE_ALL,
    PERM_GROUPMEMBER_READ_ALL,
    PERM_GROUPMEMBER_READWRITE_ALL,
    PERM_DIRECTORY_READ_ALL,
    PERM_DIRECTORY_READWRITE_ALL,
    PERM_ORGANIZATION_READ_ALL,
    PERM_ORGANIZATION_READWRITE_ALL,
    PERM_LICENSEASSIGNMENT_READ_ALL,
    PERM_LICENSEASSIGNMENT_READWRITE_ALL,
    PERM_AUDITLOG_READ_ALL,
    PERM_COUNT
};

/* A set of permissions: bit (1u << p) for each enum permission p. */
typedef uint32_t perm_set;

#define PERM_BIT(p) ((perm_set)1u << (p))
#define PERM_ALL (PERM_BIT(PERM_COUNT) - 1u)

/* "User.Read.All" for PERM_USER_READ_ALL; "?" past the end. */
const char *permission_name(enum permission p);

/* The permission named (case-insensitively, as Entra compares scope names); 0, or -1 if unknown. */
int permission_from_name(const char *name, size_t len, enum permission *out);

/* The known names in a space-separated list (a token's scp); names of other APIs (openid,
 * profile, offline_access) are not licensingd's and are skipped. */
perm_set permissions_from_list(const char *text);

/* Every name of a space-separated list must be known (the route table, `licensingd token`);
 * 0, or -1 with the first unknown name copied into bad. */
int permissions_parse_strict(const char *text, perm_set *out, char *bad, size_t bad_size)
    __attribute__((warn_unused_result));

/* granted with everything its members include (ReadWrite includes Read; Directory.* includes
 * User.*, Group.* and GroupMember.*; ...). */
perm_set permissions_closure(perm_set granted);

/* 1 when granted (closed over inclusion) holds at least one permission of any_of. */
int permissions_satisfy(perm_set granted, perm_set any_of);

/* The names of set, space-separated, in enum order, into out (truncated to size). */
void permissions_format(perm_set set, char *out, size_t size);

#endif
