/* The $filter tree: what api/filter.c parses and db/filter_sql.c compiles; freeing and naming. */
#include "service/base/filter.h"

#include <stdlib.h>

void filter_free(struct filter_node *node)
{
    if (node == NULL)
        return;
    filter_free(node->left);
    filter_free(node->right);
    free(node->property);
    free(node->sub);
    for (int i = 0; i < node->nvalues; i++)
        free(node->values[i].text);
    free(node->values);
    free(node);
}

const char *filter_op_name(enum filter_op op)
{
    static const char *const names[] = {"eq", "ne", "gt", "ge", "lt", "le", "in"};
    return (unsigned)op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}
