class ApplicationError(Exception):
    """A refusal a person can read: the API answers 400 (or `status_code`), pages show it.

    `field_errors` maps a form field to its message, so a page can show the error
    next to the field the person has to fix.
    """

    status_code = 400

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
        if status_code is not None:
            self.status_code = status_code


class ConflictError(ApplicationError):
    """The action clashes with the current state (a campaign already approved, ...): 409."""

    status_code = 409
