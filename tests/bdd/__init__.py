"""Tests of the BDD kit (engine/bdd) and the step library (features/)."""
