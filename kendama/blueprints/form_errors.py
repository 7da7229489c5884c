"""Put a service's field messages onto a WTForms form so the page shows them by each field."""

from __future__ import annotations

from flask_wtf import FlaskForm

from ..services.errors import ServiceError


def apply_service_errors(form: FlaskForm, error: ServiceError) -> None:
    """Attach each field message to its field; others go to the form-level list."""
    form.form_errors = list(getattr(form, "form_errors", []))
    for name, message in (error.fields or {}).items():
        field = getattr(form, name.split(".")[0], None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
        else:
            form.form_errors.append(message)
    if not error.fields:
        form.form_errors.append(error.message)
