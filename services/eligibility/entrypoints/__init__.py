"""How the world reaches eligibility: the events it consumes and its HTTP API."""
