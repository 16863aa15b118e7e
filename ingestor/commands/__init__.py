"""What people run: the `ingestor` command, its output, and the one-shot commands' logic
(plan, preview, status, doctor, prune, init, demo)."""
