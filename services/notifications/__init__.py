"""Notifications: answers and updates back to the citizen through their own channel.

Owns the `notifications` schema (contacts, messages, access log) and the
`notification-<case_id>` streams. It listens for the moments a citizen should hear about
(registration, not in DTKS, letter signed, referral, resolution), renders a message in
Bahasa Indonesia, hands it to a `Sender`, keeps it, and records `NotificationSent` with
the recipient masked. For now the only `Sender` records messages and delivers nothing
(see README.md).
"""
