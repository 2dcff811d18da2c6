"""The intake model: what a request must say, and how it becomes a case. No I/O."""
