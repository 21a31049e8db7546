"""Chains from models: `sample` draws and stores them, `score` adds a learned signal; `backends` are where
they come from (the only place that imports torch and transformers)."""
