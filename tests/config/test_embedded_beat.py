import pytest

from config.celery import app
from config.embedded_beat import EmbeddedBeat

CALLS: list[str] = []


@app.task(name="tests.config.record_call")
def record_call(label: str = "x") -> None:
    CALLS.append(label)


@app.task(name="tests.config.always_fails")
def always_fails() -> None:
    raise RuntimeError("boom")


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()


def test_runs_each_job_when_due_then_waits_for_its_interval(db):
    beat = EmbeddedBeat(schedule={"every-minute": {"task": "tests.config.record_call", "schedule": 60.0, "args": ("a",)}})
    next_runs = {"every-minute": 100.0}
    assert beat.run_due(99.0, next_runs) == []
    assert beat.run_due(100.0, next_runs) == ["every-minute"]
    assert beat.run_due(159.0, next_runs) == []
    assert beat.run_due(160.0, next_runs) == ["every-minute"]
    assert CALLS == ["a", "a"]


def test_a_failing_job_does_not_stop_the_others(db):
    beat = EmbeddedBeat(
        schedule={
            "broken": {"task": "tests.config.always_fails", "schedule": 60.0},
            "fine": {"task": "tests.config.record_call", "schedule": 60.0},
        }
    )
    assert beat.run_due(0.0, {}) == ["broken", "fine"]
    assert CALLS == ["x"]


def test_the_real_schedule_names_registered_tasks():
    from django.conf import settings

    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, f"{name}: {entry['task']} is not a registered task"
