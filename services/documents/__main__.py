from services.documents.bootstrap import create_app
from shared.runtime import serve

serve(create_app(), "documents")
