"""The web layer of neaspec-kg: a FastAPI app over the validated graph (SPARQL endpoint, REST API)."""
