"""The worker: runs queued tasks (the e-mail of tracker.ops.mail) in production.

It is django-tasks-db's `db_worker`, with the same options, in rounds: before each
round it enqueues again the e-mail whose worker died while sending it or whose task was
lost (tracker.ops.mail.requeue_due); a round runs the tasks that are ready (at most
ROUND_TASKS), then the worker waits `--interval` seconds when there were none.

SIGTERM or SIGINT: the task in hand is finished, then the worker exits (a second signal
exits at once). SIGKILL: the message in hand is sent again by the next worker once its
lease has ended (README, "Sending e-mail")."""

import logging
import time

from django_tasks_db.management.commands import db_worker

from tracker.ops.mail import requeue_due

# Tasks run in one round before the sweep runs again.
ROUND_TASKS = 100


class QuietRounds(logging.Filter):
    """db_worker's worker says it starts and stops; a round is not a start or a stop."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Starting worker", "No more tasks to run"))


class Command(db_worker.Command):
    help = (
        "Run the task worker (django-tasks-db's db_worker, same options) and send again "
        "e-mail whose worker died while sending it."
    )

    def handle(self, *args, **options) -> None:
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        worker = db_worker.Worker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=True,  # a round ends when no task is ready
            backend_name=options["backend_name"],
            startup_delay=False,
            max_tasks=ROUND_TASKS,
            worker_id=options["worker_id"],
            excluded_queue_names=[q for q in options["exclude_queues"].split(",") if q],
        )
        worker.configure_signals()
        db_worker.logger.info("Worker %s started on %s", worker.worker_id, ",".join(queue_names))
        quiet = QuietRounds()
        db_worker.logger.addFilter(quiet)
        try:
            while worker.running:
                requeued = requeue_due()
                if requeued:
                    db_worker.logger.info("Requeued %d e-mail", requeued)
                worker._run_tasks = 0  # noqa: SLF001 (the count is per round)
                worker.run()
                if not worker.running or (options["batch"] and not worker._run_tasks):  # noqa: SLF001
                    break
                if not worker._run_tasks:  # noqa: SLF001
                    time.sleep(options["interval"])
        finally:
            db_worker.logger.removeFilter(quiet)
        db_worker.logger.info("Worker %s stopped", worker.worker_id)
