"""How the world reaches notifications: events from Kafka or the store; HTTP for staff."""
