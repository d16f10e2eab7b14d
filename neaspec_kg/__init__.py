"""neaspec-kg: a knowledge graph of North-East Asia's environmental cooperation mechanisms.

Data flows one way: ontology + data -> build (parse, SHACL-validate) -> store (SPARQL)
-> queries/analysis -> API, CLI, views.
"""

__version__ = "0.1.0"
