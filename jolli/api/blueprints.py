"""Every blueprint the API serves, as "module:attribute"; ``create_app`` registers them in this order."""

BLUEPRINTS: list[str] = [
    "jolli.api.health:bp",
    "jolli.api.sources:bp",
    "jolli.api.spaces:bp",
    "jolli.api.explain:bp",
    "jolli.api.integrations:bp",
    "jolli.api.checks:bp",
    "jolli.api.webhooks:bp",
    "jolli.api.events:bp",
    "jolli.api.openapi:bp",
]
