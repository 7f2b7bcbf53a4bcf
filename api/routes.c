/* The single list of endpoints; openapi.yaml describes the same set. Literal segments come before
 * {placeholders} that could also match them. */
#include "handlers.h"

const struct route api_routes[] = {
    {HTTP_GET, "/healthz", api_health_live},
    {HTTP_GET, "/readyz", api_health_ready},
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
