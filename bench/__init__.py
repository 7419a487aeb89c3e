"""`make bench`: build a large synthetic data set and print what each page costs.

Not a test, and not part of what production runs: it prints figures (queries, median
render times cold and cached, and throughput through gunicorn as a ratio to a static
file served by the same server in the same run), for a person to read against the goals
in the issue. Run it with `make bench` (production settings, PostgreSQL and Redis);
`python -m bench --help` lists its options.
"""
