"""Build, hold, reason over, validate and export the graph in Oxigraph."""
