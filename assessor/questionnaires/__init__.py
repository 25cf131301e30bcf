"""Questionnaires: the in-memory definition, the file schema and loader, publishing with
checksums, comparability between versions, and the FHIR export."""
