"""`make bench`: benchmarks that write a Markdown report and JSON under bench/results/."""
