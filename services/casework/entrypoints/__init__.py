"""How the world reaches casework: HTTP for staff, events from Kafka or the store."""
