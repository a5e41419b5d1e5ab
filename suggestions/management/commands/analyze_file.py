import json

from django.core.management.base import BaseCommand, CommandError

from suggestions.analysis import analyze_corpus


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

    def handle(self, *args, input, out, themes, **options):
        results = analyze_corpus(read_records(input), n_themes=themes)
        with open(out, "w", encoding="utf-8") as output:
            for result in results:
                output.write(json.dumps(result, ensure_ascii=False) + "\n")
        clusters = len({result["cluster"] for result in results} - {None})
        merged = sum(1 for result in results if result["duplicate_of"] is not None)
        self.stdout.write(f"{len(results)} suggestions, {merged} merged as duplicates, {clusters} themes -> {out}")
