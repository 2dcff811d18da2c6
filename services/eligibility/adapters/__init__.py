"""Eligibility's adapters: the registry tables and the CSV extracts loaded into them."""
