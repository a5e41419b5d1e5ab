import contextlib
import json
import logging
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from suggestions.analysis.corpus import iter_corpus
from suggestions.analysis.parallel import WorkerLost

# Each process holds hazm's tables and a chunk of texts; beyond a few, the steps left to one process dominate.
_MAX_WORKERS = 4


def read_records(path: str):
    """(id, text) of each line of a JSONL file, read as the analysis asks for them: the analysis keeps each text's
    display form only, so a million texts as given are never all held at once."""
    try:
        with open(path, encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    yield row["id"], row["text"]
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise CommandError(f"سطر {number} پرونده معتبر نیست (باید id و text داشته باشد): {exc}") from exc
    except OSError as exc:
        raise CommandError(f"پرونده خوانده نشد: {exc}") from exc


class Command(BaseCommand):
    help = (
        "Analyzes a JSONL file of {id, text} lines with the same code as the background jobs and writes "
        "{id, duplicate_of, cluster, cluster_label, similar} lines. Writes nothing to the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("input")
        parser.add_argument("--out", required=True)
        parser.add_argument("--themes", type=int, default=None, help="number of themes (default: chosen automatically)")
        parser.add_argument(
            "--workers",
            type=int,
            default=min(os.cpu_count() or 1, _MAX_WORKERS),
            help="processes sharing the per-text steps (default: one per core, at most 4); the results are the same",
        )

    def run_from_argv(self, argv):
        """From the command line, the process ends once the output is in place and the summary said: unwinding a
        large analysis object by object (hazm's tables, the collection's vectors and lists) took about 0.4 s at
        20,000 texts and gives nothing the system's exit does not. A refusal ends as Django ends it, with its message
        and status 1; ``call_command`` (the tests, other code) never comes here."""
        super().run_from_argv(argv)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    def handle(self, *args, input, out, themes, workers, **options):
        if workers < 1:
            raise CommandError("--workers باید دست‌کم ۱ باشد")
        clusters, merged, count = set(), 0, 0
        # Written beside the output and put in its place once whole: an analysis that fails leaves no half file,
        # and an earlier output stays as it was.
        partial = f"{out}.partial"
        try:
            # Opened first: an output that cannot be written is said before the analysis, not after it.
            with open(partial, "w", encoding="utf-8") as output:
                # The analysis runs here, in full, before the first result is given.
                results = iter_corpus(read_records(input), n_themes=themes, workers=workers)
                for result in results:
                    output.write(json.dumps(result, ensure_ascii=False) + "\n")
                    clusters.add(result["cluster"])
                    merged += result["duplicate_of"] is not None
                    count += 1
            os.replace(partial, out)
        except WorkerLost as exc:
            raise CommandError(
                "یکی از پردازه‌های تحلیل پیش از پایان کارش از کار افتاد (شاید برای کمبود حافظه)؛ "
                "پرونده خروجی نوشته نشد. با --workers 1 یا روی دستگاهی با حافظه بیشتر دوباره اجرا کنید."
            ) from exc
        except OSError as exc:
            raise CommandError(f"پرونده خروجی نوشته نشد: {exc}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(partial)
        clusters.discard(None)
        self.stdout.write(f"{count} suggestions, {merged} merged as duplicates, {len(clusters)} themes -> {out}")
