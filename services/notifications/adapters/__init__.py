"""Notifications' adapters: its tables (contacts, messages), the notification streams'
repository, the unit of work, the office directory, and the message senders."""
