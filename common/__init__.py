"""The basement every app may use and that uses no app: Persian digits and dates, rate limiting, htmx
responses, enqueueing after commit, and the error that carries a Persian message to a person."""
