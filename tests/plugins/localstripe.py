"""A localstripe server over HTTP for the tests that need Stripe (owned by the payments work)."""
