"""Loaded by worker processes that fault tests start (PYTHONPATH): injects the faults HAMANDISHI_FAULTS names.
slow: the analysis sleeps 4 s before it starts, so a test can kill the worker mid-task.
broken: the analysis always raises."""

import os

faults = set(filter(None, os.environ.get("HAMANDISHI_FAULTS", "").split(",")))

if faults:
    from celery.signals import worker_process_init

    @worker_process_init.connect
    def _inject(**kwargs):
        import time

        from suggestions import pipeline

        original = pipeline.analyze_suggestion_text

        def faulty(suggestion):
            if "slow" in faults:
                time.sleep(4)
            if "broken" in faults:
                raise RuntimeError("injected fault: the analysis always fails")
            return original(suggestion)

        pipeline.analyze_suggestion_text = faulty
