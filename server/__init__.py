"""The web layer: the Flask app, the SPARQL endpoint and the command line."""
