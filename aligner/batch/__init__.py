"""Batch runs: many transcripts (and recordings) into one output folder, resumable, in parallel.

``collect`` finds the items (folders paired by file stem, or a manifest), ``make_executor``
picks where they run (local processes or a Dask cluster) and ``run_batch`` runs them, writes
every output atomically and the report at the end::

    inputs = collect([Path("briefings")], Settings(formats=("srt", "json")))
    with make_executor("local", jobs=4) as executor:
        report = run_batch(inputs, Path("out"), executor=executor)
"""

from aligner.batch.executors import (
    EXECUTORS,
    DaskExecutor,
    Executor,
    LocalExecutor,
    WorkerCrash,
    make_executor,
)
from aligner.batch.items import (
    RECORDING_SUFFIXES,
    TRANSCRIPT_SUFFIXES,
    BatchError,
    Inputs,
    Item,
    Settings,
    collect,
    discover,
    read_manifest,
)
from aligner.batch.report import ItemResult
from aligner.batch.runner import BatchProgress, BatchProgressFn, BatchReport, run_batch
from aligner.batch.work import Outcome, item_digest, process_item

__all__ = [
    "EXECUTORS",
    "RECORDING_SUFFIXES",
    "TRANSCRIPT_SUFFIXES",
    "BatchError",
    "BatchProgress",
    "BatchProgressFn",
    "BatchReport",
    "DaskExecutor",
    "Executor",
    "Inputs",
    "Item",
    "ItemResult",
    "LocalExecutor",
    "Outcome",
    "Settings",
    "WorkerCrash",
    "collect",
    "discover",
    "item_digest",
    "make_executor",
    "process_item",
    "read_manifest",
    "run_batch",
]
