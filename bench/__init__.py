"""Benchmark lbp-kg against a Flask hello-world floor, oxigraph serve and rdflib-endpoint (see bench/README.md)."""
