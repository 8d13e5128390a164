"""Running untrusted SPARQL within limits: the guard, sandboxed worker pools, result serialisation."""
