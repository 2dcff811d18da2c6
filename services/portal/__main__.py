"""`python -m services.portal` serves the citizens' public pages."""

from services.portal.bootstrap import create_app
from shared.runtime import serve

serve(create_app(), "portal")
