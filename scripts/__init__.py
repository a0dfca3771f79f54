"""Scripts (run as files); a package so that tests import them as `scripts.X`."""
