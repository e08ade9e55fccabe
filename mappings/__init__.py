"""Parse the Steckbriefe document and map it to RDF (the lowest layer)."""
