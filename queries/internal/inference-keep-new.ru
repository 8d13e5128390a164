# Inference, end of a round: the conclusions no graph holds yet join the inferred graph.
# The rules' conclusions wait in the candidates graph, outside the dataset the rules read,
# so a round only sees what earlier rounds added (service/kg/inference.py).
INSERT { GRAPH <https://w3id.org/lbp-kg/graph/inferred> { ?s ?p ?o } }
WHERE {
  GRAPH <urn:lbp-kg:inference:candidates> { ?s ?p ?o }
  FILTER NOT EXISTS {
    GRAPH ?held { ?s ?p ?o }
    FILTER(?held != <urn:lbp-kg:inference:candidates>)
  }
}
