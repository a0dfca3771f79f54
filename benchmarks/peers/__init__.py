"""Peer engines given the same criteria as greencert (GoRules ZEN, rule-engine, plain Python) and the comparison run."""
