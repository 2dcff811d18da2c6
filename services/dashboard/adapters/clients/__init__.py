"""One HTTP client per service: what the dashboard reads and the commands it sends.

The dashboard never reads another service's tables; every read goes through the owning
service's API, with the signed-in person's own short-lived token, so each read of a case
is logged by the service that holds it (casework records case-file reads).
"""
