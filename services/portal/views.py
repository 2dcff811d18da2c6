"""The portal keeps no tables and so no views of its own: what it shows is read through
intake's and casework's APIs (`adapters/services.py`)."""
