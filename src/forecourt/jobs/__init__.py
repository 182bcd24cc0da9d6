"""Time-driven work: expire lapsed holds, send reminders and follow-ups, alert on cars not back, purge records past
their retention, then relay the outbox.

`registry.py` names the jobs; `runner.py` runs a pass, each job once per slot across every process (the claim is
`core.job_runs`); `loop.py` repeats passes on a thread. `forecourt worker` runs the passes; web processes do too while
FORECOURT_RUN_JOBS is true (the single-process default); `forecourt jobs run` does one pass (cron-friendly).
"""

from forecourt.jobs.runner import JobOutcome, JobReport, run_due_jobs

__all__ = ["JobOutcome", "JobReport", "run_due_jobs"]
