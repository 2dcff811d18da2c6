"""The eligibility model: NIK rules and the decision, as pure functions. No I/O."""
