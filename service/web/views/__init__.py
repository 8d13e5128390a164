"""One module per resource: the blueprints."""
