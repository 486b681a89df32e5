"""The JSON HTTP API: the route table, one module per resource, request bodies, OpenAPI, Open311."""
