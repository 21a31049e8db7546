"""Files in and out: every input format read as `ChainInput`s, other people's labels imported, exports written.

Reading chains: `load` (files, streams, their errors) → `load_records` (which format a record is, from its
fields) → `load_fields` (ids, references, field access) and `load_tools` (other tools' records: OpenAI, vLLM,
chat messages, TRL, MR-GSM8K, inspect_ai); `load_options` holds `ReadOptions` and `--field`; `sources` streams
parquet/Arrow/HF datasets/inspect_ai archives and `compressed` opens gzip/zstd.
Labelled datasets: `importers` (detection, references) → `import_datasets` (ProcessBench, PRM800K, lm-eval,
TRL) and `import_exports` (our own exports back), sharing `import_records`; `ingest` verifies and stores them.
Writing: `export` (the formats, CSV and Parquet writers) with `export_records` (one chain's record in each
format) and `export_hf` (a Hugging Face dataset folder and its card).
"""
