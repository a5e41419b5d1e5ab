"""What every benchmark shares, so that a script holds only what it measures.

- `processes`: `Stack`, the processes of one run with their logs, all stopped on the way out; CPU per group.
- `broker`: `start_private_redis(stack)`, a redis-server of the run's own on a free port.
- `database`: `recreate_database(url)`, a throw-away PostgreSQL database or SQLite file, refused unless its
  name says it is a benchmark's.
- `portal`: `portal_env(...)` and `start_portal(stack, env, web=…, workers=…, beat=…)`, gunicorn, Celery
  workers, beat or `manage.py serve`; whether every receipt was stored and analyzed.
- `citizen`: a browser with its own cookies, and the suggestion form filled in as a person would.
- `corpus`: synthetic Persian suggestions, the same for the same seed.
- `bulk`: rows COPYed into PostgreSQL for large collections.
- `memory`: peak RSS of this process, of its children, and of a running process tree.
- `figures`: percentiles, tables, and `report(figures, args.json)`: a table for people and JSON for machines.
- `results`: what the portal stored, in `analyze_file`'s format, for the shared scorer.

Benchmarks print figures; tests never import benchmark scripts, only this harness or the product.
"""
