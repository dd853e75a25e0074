"""One class per REST resource, each holding the client's transport; no state of its own."""
