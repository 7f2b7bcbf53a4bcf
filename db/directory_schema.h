/* Every Graph property of a user and of a group, one row each: the one table per entity that
 * drives the SQL select list and the writes (db/), and body parsing, $select and rendering (api/).
 * A new property is one row here (and a migration adding its column). */
#ifndef LICENSINGD_DB_DIRECTORY_SCHEMA_H
#define LICENSINGD_DB_DIRECTORY_SCHEMA_H

/* A timestamptz read as Graph's ISO 8601 text ("...Z"). */
#define DB_TIME(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* How a property is stored and shown. */
enum prop_kind {
    PROP_TEXT,    /* text column: a string or null */
    PROP_BOOL,    /* boolean column, read as "t"/"f" */
    PROP_STRINGS, /* text[] column: read as JSON array text, written from one */
    PROP_TIME,    /* timestamptz column, read with DB_TIME */
    PROP_NULL,    /* always null here (deletedDateTime, visibility) */
    PROP_EMPTY,   /* always [] here (a group's proxyAddresses) */
    PROP_CUSTOM,  /* rendered by its entity's code: relations, licenseProcessingState */
    PROP_KIND_COUNT
};

enum prop_flag {
    PROP_DEFAULT = 1,  /* in the representation without $select */
    PROP_REQUIRED = 2, /* POST must give it; a required string must not be empty */
};

struct db_property {
    const char *name;   /* Graph name */
    const char *column; /* the column POST and PATCH write; NULL: read-only */
    enum prop_kind kind;
    unsigned flags; /* enum prop_flag */
    int max_chars;  /* longest string accepted (per item for PROP_STRINGS) */
};

/* X(ENUM, Graph name, SQL read expression, written column or NULL, kind, flags, max_chars),
 * in the order Graph emits the properties; the row's position is its column in db_rows and its
 * bit in $select. */
#define USER_PROPERTIES(X)                                                                         \
    X(BUSINESS_PHONES, "businessPhones", "array_to_json(u.business_phones)::text",                 \
      "business_phones", PROP_STRINGS, PROP_DEFAULT, 64)                                           \
    X(DISPLAY_NAME, "displayName", "u.display_name", "display_name", PROP_TEXT,                    \
      PROP_DEFAULT | PROP_REQUIRED, 256)                                                           \
    X(GIVEN_NAME, "givenName", "u.given_name", "given_name", PROP_TEXT, PROP_DEFAULT, 64)          \
    X(JOB_TITLE, "jobTitle", "u.job_title", "job_title", PROP_TEXT, PROP_DEFAULT, 128)             \
    X(MAIL, "mail", "u.mail", "mail", PROP_TEXT, PROP_DEFAULT, 256)                                \
    X(MOBILE_PHONE, "mobilePhone", "u.mobile_phone", "mobile_phone", PROP_TEXT, PROP_DEFAULT, 64)  \
    X(OFFICE_LOCATION, "officeLocation", "u.office_location", "office_location", PROP_TEXT,        \
      PROP_DEFAULT, 128)                                                                           \
    X(PREFERRED_LANGUAGE, "preferredLanguage", "u.preferred_language", "preferred_language",       \
      PROP_TEXT, PROP_DEFAULT, 16)                                                                 \
    X(SURNAME, "surname", "u.surname", "surname", PROP_TEXT, PROP_DEFAULT, 64)                     \
    X(UPN, "userPrincipalName", "u.user_principal_name", "user_principal_name", PROP_TEXT,         \
      PROP_DEFAULT | PROP_REQUIRED, 113)                                                           \
    X(USAGE_LOCATION, "usageLocation", "u.usage_location", "usage_location", PROP_TEXT,            \
      PROP_DEFAULT, 2)                                                                             \
    X(LICENSES, "assignedLicenses", "NULL", NULL, PROP_CUSTOM, PROP_DEFAULT, 0)                    \
    X(STATES, "licenseAssignmentStates", "NULL", NULL, PROP_CUSTOM, PROP_DEFAULT, 0)               \
    X(ID, "id", "u.id", NULL, PROP_TEXT, PROP_DEFAULT, 0)                                          \
    X(ACCOUNT_ENABLED, "accountEnabled", "u.account_enabled", "account_enabled", PROP_BOOL,        \
      PROP_REQUIRED, 0)                                                                            \
    X(MAIL_NICKNAME, "mailNickname", "u.mail_nickname", "mail_nickname", PROP_TEXT, PROP_REQUIRED, \
      64)                                                                                          \
    X(DEPARTMENT, "department", "u.department", "department", PROP_TEXT, 0, 64)                    \
    X(CREATED, "createdDateTime", DB_TIME("u.created_at"), NULL, PROP_TIME, 0, 0)                  \
    X(PROXY_ADDRESSES, "proxyAddresses", "NULL", NULL, PROP_CUSTOM, 0, 0)                          \
    X(DELETED, "deletedDateTime", "NULL", NULL, PROP_NULL, 0, 0)                                   \
    X(PLANS, "assignedPlans", "NULL", NULL, PROP_CUSTOM, 0, 0)

/* Derived on read, never stored: one probe of the partial error index per group (semantics §6).
 */
#define GROUP_HAS_ERRORS                                                                           \
    "EXISTS (SELECT 1 FROM license_assignment_states e"                                            \
    " WHERE e.group_id = g.id AND e.error <> 'None')"

#define GROUP_PROPERTIES(X)                                                                        \
    X(ID, "id", "g.id", NULL, PROP_TEXT, PROP_DEFAULT, 0)                                          \
    X(DELETED, "deletedDateTime", "NULL", NULL, PROP_NULL, PROP_DEFAULT, 0)                        \
    X(DESCRIPTION, "description", "g.description", "description", PROP_TEXT, PROP_DEFAULT, 1024)   \
    X(DISPLAY_NAME, "displayName", "g.display_name", "display_name", PROP_TEXT,                    \
      PROP_DEFAULT | PROP_REQUIRED, 256)                                                           \
    X(GROUP_TYPES, "groupTypes", "array_to_json(g.group_types)::text", "group_types",              \
      PROP_STRINGS, PROP_DEFAULT, 64)                                                              \
    X(MAIL, "mail", "g.mail", NULL, PROP_TEXT, PROP_DEFAULT, 0)                                    \
    X(MAIL_ENABLED, "mailEnabled", "g.mail_enabled", "mail_enabled", PROP_BOOL,                    \
      PROP_DEFAULT | PROP_REQUIRED, 0)                                                             \
    X(MAIL_NICKNAME, "mailNickname", "g.mail_nickname", "mail_nickname", PROP_TEXT,                \
      PROP_DEFAULT | PROP_REQUIRED, 64)                                                            \
    X(MEMBERSHIP_RULE, "membershipRule", "g.membership_rule", "membership_rule", PROP_TEXT,        \
      PROP_DEFAULT, 3072)                                                                          \
    X(MEMBERSHIP_RULE_STATE, "membershipRuleProcessingState",                                      \
      "g.membership_rule_processing_state", "membership_rule_processing_state", PROP_TEXT,         \
      PROP_DEFAULT, 16)                                                                            \
    X(PROXY_ADDRESSES, "proxyAddresses", "NULL", NULL, PROP_EMPTY, PROP_DEFAULT, 0)                \
    X(SECURITY_ENABLED, "securityEnabled", "g.security_enabled", "security_enabled", PROP_BOOL,    \
      PROP_DEFAULT | PROP_REQUIRED, 0)                                                             \
    X(VISIBILITY, "visibility", "NULL", NULL, PROP_NULL, PROP_DEFAULT, 0)                          \
    X(CREATED, "createdDateTime", DB_TIME("g.created_at"), NULL, PROP_TIME, PROP_DEFAULT, 0)       \
    X(LICENSES, "assignedLicenses", "NULL", NULL, PROP_CUSTOM, PROP_DEFAULT, 0)                    \
    X(LICENSE_PROCESSING_STATE, "licenseProcessingState", "g.license_processing_state", NULL,      \
      PROP_CUSTOM, PROP_DEFAULT, 0)                                                                \
    X(HAS_ERRORS, "hasMembersWithLicenseErrors", GROUP_HAS_ERRORS, NULL, PROP_BOOL, 0, 0)

/* Expansions of the tables (name ENUM_PREFIX_ROW to read them). */
#define DB_PROPERTY_UCOL(id, ...) UCOL_##id,
#define DB_PROPERTY_GCOL(id, ...) GCOL_##id,
#define DB_PROPERTY_READ(id, name, read, ...) read ", "
#define DB_PROPERTY_NAME(id, name, ...) name,
#define DB_PROPERTY_ROW(id, name, read, column, kind, flags, max) {name, column, kind, flags, max},

#endif
