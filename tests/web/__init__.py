"""Browser tests of the service's pages (api/web), driven through Debian's chromium."""
