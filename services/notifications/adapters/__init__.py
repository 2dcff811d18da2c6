"""Notifications' ports to the outside: message senders and the office directory."""
