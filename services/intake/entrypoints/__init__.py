"""How the world reaches intake: the staff HTTP API (channel adapters come later)."""
