"""The eligibility model, no I/O: region codes (from `lokal`), NIK and KK rules, the
registry model, extract rows, and the decision."""
