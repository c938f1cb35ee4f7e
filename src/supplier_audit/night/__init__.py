"""The night: the one recipe of stages (recipe), what each stage decides (stages), the files it
writes (outputs) and their publication (publication), the run's folders, lock and manifest (run),
the input guards (guard), the review partitions and their runners (partitions, scale), and
progress."""
