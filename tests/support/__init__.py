"""What the tests share: factories, helpers, and the servers and databases they start."""
