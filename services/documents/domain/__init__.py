"""The pure model of documents: checklists and letters as folds of their events, and the
decisions that return new events or refuse with a `shared.refusal.Refused`. No I/O here."""
