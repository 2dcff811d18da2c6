"""`python -m services.notifications` serves the API and sends notifications."""

from services.notifications.bootstrap import create_app
from shared.runtime import serve

serve(create_app(), "notifications")
