"""The screens of the labelling app: verify-on-open, the queue, the chain view, help and the note editor."""
