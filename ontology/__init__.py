"""The ruhrkg ontology (OWL, Turtle) and its SHACL shapes."""
