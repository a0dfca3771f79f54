"""The Gherkin features of the shipped rule sets and the step library that runs them (features/steps)."""
