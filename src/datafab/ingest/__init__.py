"""From an organization's own files to chunks fit to show people and models: readers,
chunking, duplicate removal and personal-data redaction. Pure: no database, no HTTP."""
