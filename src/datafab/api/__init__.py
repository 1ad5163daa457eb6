"""The REST API (FastAPI): HTTP in, one service call, HTTP out. No SQL, no algorithms."""
