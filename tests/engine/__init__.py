"""Tests of engine/: the loader, compiler, evaluator, durable core, records, editions, overlays, certificates."""
