"""The web process's entry point (gunicorn 'wsgi:app'): the app, refused in production mode
when it is unsafe (SEC-09). The CLI (`flask --app run.py …`) loads run.py instead, so that
`flask db upgrade` and `flask megabird check-config` run whatever the configuration."""
from app import create_app
from app.services.ops.production import refuse_unsafe

app = create_app()
refuse_unsafe(app)
