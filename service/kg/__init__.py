"""The domain's read side: vocabulary, ontology loading, the query catalogue, the knowledge base, labels."""
