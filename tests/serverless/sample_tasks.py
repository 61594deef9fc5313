"""A task for the Lambda task backend tests: it leaves a file behind, in whichever process runs it."""

from pathlib import Path

from django.tasks import task


@task
def note_write(path: str, text: str) -> None:
    Path(path).write_text(text)
