"""The SPARQL 1.1 Protocol at ``/sparql``: one protocol core (:mod:`.protocol`), media types and content
negotiation (:mod:`.formats`), and the Service Description (:mod:`.description`)."""
