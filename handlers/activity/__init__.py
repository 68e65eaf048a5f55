"""Village activity logs: the free-text parser, the catalogue of activities, counts, and the /nhatky review."""
