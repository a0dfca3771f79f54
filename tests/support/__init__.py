"""Shared test support: generators, the reference evaluator, the API and browser helpers, the PostgreSQL choice, and
the data the tests read (broken_rules/, synthetic_ratio/)."""
