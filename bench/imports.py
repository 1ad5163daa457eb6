"""Import throughput: a Label Studio file of ``--lines`` classify tasks (one in ten with a
prior answer) imported into a fresh project on SQLite, strict and then not strict (the second
import finds every item there: it measures the reading, checking and comparing alone).

Prints one JSON line: seconds and lines per second of each import. Run it against two
source trees (``PYTHONPATH``) alternately to compare them in the same sitting.

    PYTHONPATH=src .venv/bin/python bench/imports.py --lines 20000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from datafab.foundry import Foundry
from datafab.services import imports, projects
from datafab.services.accounts import create_organization
from datafab.settings import Settings
from datafab.store.migrate import upgrade


def _tasks(n: int) -> str:
    lines = []
    for k in range(1, n + 1):
        task: dict = {"id": k, "data": {"text": f"The service at branch {k} was fine"}}
        if k % 10 == 0:
            task["annotations"] = [{"result": [
                {"type": "choices", "value": {"choices": ["positive"]}}]}]
        lines.append(json.dumps(task))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        foundry = Foundry(Settings(database_url=url, refit_in_background=False))
        org, _ = create_organization(foundry, "Bench")
        project = projects.create_project(foundry, org, {
            "name": "sentiment", "primitive": "classify",
            "settings": {"labels": ["positive", "negative"]}})
        path = Path(tmp) / "tasks.jsonl"
        path.write_text(_tasks(args.lines))
        out = {"lines": args.lines}
        for name, strict in (("strict_fresh", True), ("again_unchanged", False)):
            start = time.perf_counter()
            imports.import_file(foundry, org, project.id, "label-studio",
                                lambda: imports.file_lines(path), strict=strict)
            seconds = time.perf_counter() - start
            out[f"{name}_s"] = round(seconds, 2)
            out[f"{name}_lines_per_s"] = round(args.lines / seconds)
        foundry.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
