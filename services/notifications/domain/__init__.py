"""The pure notifications model: where to reach a citizen, masking, message templates."""
