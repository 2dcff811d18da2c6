"""Analytics: the event store as a place to ask questions.

`analytics/migrations/` creates the `analytics` schema (documented views over the event
store, without personal data) and the read-only role `slrt_analyst`; `setup` applies them
with the reference data (offices, published times, days off, the pseudonyms' key) at every
service's start-up; `export` writes the views to Parquet and CSV; `report` makes an office's
monthly report (HTML and PDF, in Bahasa Indonesia); `cli` is `slrt export` / `slrt report`.
"""
