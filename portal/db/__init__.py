"""PostgreSQL for the portal: Django's backend, with a client-side deadline on every wait for the server."""
