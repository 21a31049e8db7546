"""Files in and out: every input format read as `ChainInput`s, other people's labels imported, exports written.

`load` reads chains (JSONL, JSON, `sources` for parquet/Arrow/HF/inspect_ai, `compressed` for gzip/zstd);
`importers` reads labelled datasets (PRM800K, ProcessBench, our exports); `ingest` stores both; `export`
writes labelled chains in our formats and the field's.
"""
