"""The test suite, mirrored by the package each test is about; shared support in tests.support."""
