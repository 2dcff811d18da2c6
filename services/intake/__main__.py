from services.intake.bootstrap import create_app
from shared.settings import get_settings
from shared.workers import serve_workers

# SLRT_INTAKE_WORKERS processes behind one port (shared/workers.py); one: a plain service.
serve_workers("intake", create_app, get_settings().slrt_intake_workers)
