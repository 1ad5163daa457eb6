"""Media: image files for perception work — uploaded to a project and kept by their SHA-256,
or found by relative path under the media folder — their sizes filled into items, and shown
to the requester and, on need to know, to the contributor holding the item."""
