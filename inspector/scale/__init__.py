"""Verifying many chains at once: `workers` (`--workers N`, one machine), `ray_data` (`--ray`, a cluster)
and the Parquet `shards` it writes."""
