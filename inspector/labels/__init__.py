"""Human labels without a terminal: the labels as data (`labelset`), what each annotator action writes
(`session`), and what the chain view shows of a result (`review`). The TUI is a thin shell over these."""
