"""The step library, by subject: grammar (the templates), context (the scenario), application (Given), decision
(When, and Then: outcome, verdicts, missing evidence), labels (labels and grades), numbers (margins, measured values,
caveats), certificates (a certificate's life). features/conftest.py loads them and holds the hooks."""
